"""The trace, for teaching (issue 13): the question on every hop, records under the section they
came in, a note with the RFC when the cache answers negatively, and lines that fit 80 columns."""

from __future__ import annotations

import json
import re

import pytest

from resolver.render import Style, render_trace, wrap
from tests.test_cli import HOP, _answer, _walk_events, run

WIDTH = 80


def _hops(out: str) -> list[list[str]]:
    """The lines of each hop (from its "#N zone" line to the next hop), main walk only."""
    hops: list[list[str]] = []
    inside = False
    for line in out.splitlines():
        if re.match(r"  #\d+ zone ", line):
            hops.append([line])
            inside = True
        elif inside and line.startswith("   "):
            hops[-1].append(line)
        else:
            inside = False  # anything else at the walk's level ends the hop
    return hops


def test_every_hop_names_its_question_and_the_sections_of_its_records():
    proc = run("--lab", "--trace", "www.cs.cornell.edu")
    assert proc.returncode == 0, proc.stderr
    hops = _hops(proc.stdout)
    assert len(hops) == len(HOP.findall(proc.stdout)) >= 4
    for hop in hops:
        question = next(line for line in hop if "question:" in line)
        assert re.fullmatch(r"    question: \S+ [A-Z]+", question), hop
    # a referral: its NS set in the authority section, the addresses as glue in additional
    referral = next(hop for hop in hops if any("referral to edu." in line for line in hop))
    text = "\n".join(referral)
    assert "question: edu. A" in text  # QNAME minimisation: the root hears one label (RFC 9156)
    authority = text.index("authority section:")
    glue = text.index("additional section (glue")
    assert authority < text.index("edu. 172800 IN NS a.edu-servers.net.") < glue
    assert glue < text.index("a.edu-servers.net. 172800 IN A 127.42.1.3")
    # the final answer: the A record under "answer section:"
    final = "\n".join(hops[-1])
    assert final.index("answer section:") < final.index("www.cs.cornell.edu. 3600 IN A")


def test_a_negative_cache_hit_says_so_with_its_rfc():
    proc = run("--lab", "--trace", "nonexistent.cs.cornell.edu", "nonexistent.cs.cornell.edu")
    first, second = proc.stdout.split("Resolving nonexistent.cs.cornell.edu. A")[1:]
    assert "RFC 2308" not in first  # the first walk asks the servers
    cache_line = next(i for i, line in enumerate(second.splitlines()) if "[cache]" in line)
    note = second.splitlines()[cache_line + 1]
    assert "a cached NXDOMAIN" in note and "(RFC 2308 §5)" in note


@pytest.mark.parametrize(
    "names",
    [
        ["www.cs.cornell.edu"],
        ["www.glueless.org"],  # nested sub-resolution: nesting bars take columns
        ["www.cycle-a.com"],  # nested three deep, long failure reasons
        ["nonexistent.cs.cornell.edu", "nonexistent.cs.cornell.edu"],  # SOA records
    ],
)
def test_trace_lines_fit_80_columns(names):
    proc = run("--lab", "--trace", *names)
    assert proc.stdout.count("Resolving ") == len(names)
    long = [line for line in proc.stdout.splitlines() if len(line) > WIDTH]
    assert not long, long


def test_a_wrapped_line_keeps_its_nesting_bar_and_hangs_under_it():
    line = "    │    ✗ skipping ns.cycle-b.net.: cyclic dependency: this NS name's address " \
           "needs this very lookup"  # fmt: skip
    first, second = wrap(line, WIDTH)
    assert len(first) <= WIDTH and len(second) <= WIDTH
    lead = "    │    "
    assert second.startswith(lead + " " * 4) and second[len(lead) + 4] != " "
    assert first.split() + second[len(lead):].split() == line.split()


def test_a_word_longer_than_a_line_is_cut_and_colour_codes_take_no_room():
    key = "A" * 200
    lines = wrap(f"      example. 300 IN DNSKEY 257 3 8 {key}", WIDTH)
    assert all(len(line) <= WIDTH for line in lines)
    assert "".join(line.strip() for line in lines).endswith(key)
    coloured = "\x1b[2m" + "x" * 70 + "\x1b[0m"  # 70 columns plus invisible codes
    assert wrap(coloured, WIDTH) == [coloured]


def test_hand_built_events_without_sections_still_list_their_records():
    text = render_trace(_answer(_walk_events()), Style(color=False))
    assert "edu. 172800 IN NS a.edu-servers.net." in text
    assert "section:" not in text
    assert all(len(line) <= WIDTH for line in text.splitlines())


def test_the_json_trace_gives_each_records_section():
    proc = run("--lab", "--json", "--trace", "www.cs.cornell.edu")
    events = json.loads(proc.stdout)["queries"][0]["trace"]
    referral = next(e for e in events if e["event"] == "response" and e["referral_zone"] == "edu.")
    pairs = list(zip(referral["sections"], referral["records"], strict=True))
    plain = [(section, record) for section, record in pairs if " IN RRSIG " not in record
             and " IN DS " not in record]
    assert plain == [
        ("authority", "edu. 172800 IN NS a.edu-servers.net."),
        ("additional", "a.edu-servers.net. 172800 IN A 127.42.1.3"),
    ]
    # the signed root vouches for edu.'s key: its DS and the RRSIG over it, in authority
    signed = [pair for pair in pairs if pair not in plain]
    assert [(section, record.split()[3]) for section, record in signed] == [
        ("authority", "DS"), ("authority", "RRSIG"),
    ]
