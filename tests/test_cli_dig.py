"""`resolve` for dig's fingers: dig's words in any order, dig's framing, +norec referrals,
errors that name what is wrong, a closed pipe, `-f -` line by line.

Commands run as real subprocesses against the offline lab: `--lab` in the subprocess, the
session's lab (`lab` fixture) asked directly with `@ADDR -p PORT`, or a `resolve serve --lab`
started here. Nothing leaves loopback.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess

import pytest

from resolver.cli import EXIT_ANSWER, EXIT_NODATA, EXIT_SERVFAIL, EXIT_USAGE, UsageError
from resolver.cli.dig_syntax import translate
from resolver.cli.options import DEFAULT_SERVER_PORT, DIG_PORT, OUTPUT_PARTS, query_parser
from resolver.cli.query import _port_hint, _server_address, _shown
from tests.test_cli import CHECKOUT, ROOT, RUN_TIMEOUT, assert_clean_failure, run


def parse(*words: str):
    translated = translate(words)
    args = query_parser().parse_intermixed_args(translated.argv)
    return args, translated.at_server


# ---- dig's words, in-process (no network) ------------------------------------------------------


def test_dig_words_become_our_options_in_any_order():
    args, at = parse("www.example.com", "@127.0.0.1", "+short", "-p", "5300", "MX", "+notcp")
    assert at and args.server == ("127.0.0.1", None) and args.port == 5300
    assert args.short is True and args.tcp is False and args.words == ["www.example.com", "MX"]
    assert _server_address(args, at) == ("127.0.0.1", 5300)
    args, at = parse("+norec", "-t", "AAAA", "@[::1]:5401", "-x", "127.0.0.1")
    assert args.recurse is False and args.default_type == "AAAA" and args.reverse == ["127.0.0.1"]
    assert _server_address(args, at) == ("::1", 5401)


def test_server_port_defaults_dig_at_is_53_ours_is_the_serve_port():
    assert _server_address(*parse("@127.0.0.1", "x.example")) == ("127.0.0.1", DIG_PORT)
    assert _server_address(*parse("--server", "127.0.0.1", "x.example")) == (
        "127.0.0.1",
        DEFAULT_SERVER_PORT,
    )
    # a bare IPv6 address never carries a port: ::1:5401 is an address
    assert _server_address(*parse("@::1:5401", "x.example")) == ("::1:5401", DIG_PORT)
    assert _server_address(*parse("--server", "[::1]:5401", "x.example")) == ("::1", 5401)
    with pytest.raises(UsageError, match="two ports"):
        _server_address(*parse("--server", "127.0.0.1:5300", "-p", "5301", "x.example"))


def test_an_ipv6_address_that_looks_like_it_holds_a_port_gets_a_hint():
    # no packet is sent here: ::1:5401 is not a loopback address
    args, _ = parse("--server", "::1:5401", "x.example")
    assert _port_hint(args, "::1:5401").endswith("for ::1 port 5401 write [::1]:5401)")
    args, _ = parse("--server", "[::1]:5401", "x.example")
    assert _port_hint(args, "::1") == ""
    args, _ = parse("@::1", "x.example")
    assert _port_hint(args, "::1") == ""


def test_section_toggles_follow_dig_noall_then_answer():
    shown = _shown(parse("+noall", "+answer", "x.example")[0])
    assert [part for part in OUTPUT_PARTS if shown[part]] == ["answer"]
    shown = _shown(parse("+nocmd", "+nostats", "x.example")[0])
    assert not shown["cmd"] and not shown["stats"] and shown["question"] and shown["comments"]
    assert not any(_shown(parse("+short", "x.example")[0]).values()), "+short shows data only"


def test_a_name_may_start_with_plus_or_at_only_with_its_trailing_dot():
    assert parse("+short.", "@x.")[0].words == ["+short.", "@x."]
    with pytest.raises(UsageError, match=r"unknown dig option '\+short2'.*\+short2\."):
        translate(["+short2"])


@pytest.mark.parametrize(
    "args",
    [
        ["--lab", "www.example.com", "+bogus"],  # unknown +option: never a query name
        ["--lab", "+time=", "www.example.com"],
        ["--lab", "-z", "www.example.com"],  # unknown -option
        ["--lab", "--tr", "www.example.com"],  # no abbreviations
        ["@", "www.example.com"],
        ["@localhost", "www.example.com"],  # a server is an address
        ["@127.0.0.1:99999", "www.example.com"],
        ["--lab", "+norec", "www.example.com"],  # +norec needs a server to ask
        ["--lab", "-p", "53", "www.example.com"],
        ["--lab", "-6", "www.example.com"],
        ["-6", "@127.0.0.1", "www.example.com"],
        ["-4", "@::1", "www.example.com"],
        ["--lab", "-c", "CH", "www.example.com"],
        ["--lab", "+short", "+json", "www.example.com"],
        ["--lab", "+trace", "@127.0.0.1", "www.example.com"],
        ["--lab", "-f", "/nonexistent/names.txt"],
    ],
)
def test_bad_dig_words_are_one_line_and_exit_2(args):
    assert_clean_failure(run(*args), EXIT_USAGE)


# ---- dig's framing, from the lab in the subprocess ---------------------------------------------


def test_noall_answer_prints_only_tab_separated_records_in_any_order():
    proc = run("www.cs.cornell.edu", "+noall", "--lab", "+answer")
    assert proc.returncode == EXIT_ANSWER, proc.stderr
    assert proc.stdout == "www.cs.cornell.edu.\t3600\tIN\tA\t127.42.10.81\n"


def test_nodata_is_explained_in_a_comment_line_dig_readers_skip():
    proc = run("--lab", "www.cs.cornell.edu", "TXT", "+nocmd")
    assert proc.returncode == EXIT_NODATA
    assert proc.stdout.startswith(";; Got answer:\n")
    assert "\n;; NODATA: www.cs.cornell.edu. exists but has no TXT records" in proc.stdout
    authority = proc.stdout.split(";; AUTHORITY SECTION:\n")[1].splitlines()[0]
    assert authority.split("\t")[:1] + authority.split("\t")[-3:-1] == [
        "cs.cornell.edu.",
        "IN",
        "SOA",
    ]


def test_servfail_reason_is_a_comment_line():
    proc = run("--lab", "loop.example.com", "+nocmd")
    assert proc.returncode == EXIT_SERVFAIL
    assert "status: SERVFAIL" in proc.stdout
    assert re.search(r"^;; SERVFAIL because: .*max_cname_links", proc.stdout, re.M)


# ---- +norec: walk the tree by hand, one authoritative server at a time --------------------------


def test_norec_shows_referrals_and_their_glue_down_to_the_answer(lab):
    server, steps = "127.42.0.1", []
    for _ in range(6):
        proc = run(f"@{server}", "-p", str(lab.port), "+norec", "www.cs.cornell.edu")
        assert proc.returncode == EXIT_ANSWER, (proc.stdout, proc.stderr)
        assert "WARNING: recursion requested" not in proc.stdout
        follow = re.search(r"^;; REFERRAL to (\S+) .* resolve @(\S+) -p", proc.stdout, re.M)
        if follow is None:
            break
        zone, server = follow.groups()
        steps.append(zone)
        assert "status: NOERROR" in proc.stdout and ", ANSWER: 0," in proc.stdout
        glue = proc.stdout.split(";; ADDITIONAL SECTION:\n")[1].split("\n\n")[0]
        assert f"\tA\t{server}" in glue, "the next server is the glue's address"
    assert steps == ["edu.", "cornell.edu.", "cs.cornell.edu."]
    assert "www.cs.cornell.edu.\t3600\tIN\tA\t127.42.10.81" in proc.stdout
    assert re.search(r"^;; flags: qr aa;", proc.stdout, re.M)


def test_norec_referral_without_glue_says_whose_address_is_needed(lab):
    proc = run("@127.42.0.1", "-p", str(lab.port), "+norec", "+json", "www.glueless.org")
    doc = json.loads(proc.stdout)["queries"][0]
    assert doc["status"] == "referral" and doc["referral"]["zone"] == "org."
    deeper = run(f"@{doc['referral']['glue'][0]['data']}", "-p", str(lab.port), "+norec",
                 "www.glueless.org", "+noall", "+comments")  # fmt: skip
    assert re.search(r"REFERRAL to glueless\.org\. \(\d NS, 0 glue\).*once you know the "
                     r"address of \S+dns-host\.net\.", deeper.stdout), deeper.stdout  # fmt: skip


# ---- errors that name what is wrong ------------------------------------------------------------


def test_nothing_listening_names_the_address_and_the_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = run("--server", f"127.0.0.1:{port}", "--timeout", "2", "www.example.com")
    assert_clean_failure(proc, EXIT_SERVFAIL)
    assert f"127.0.0.1#{port}" in proc.stderr


def test_a_hints_file_that_is_not_one_is_named_with_its_bad_line(tmp_path):
    proc = run("--root-hints", "/etc/passwd", "www.example.com")
    assert_clean_failure(proc, EXIT_USAGE)
    assert "/etc/passwd is not a named.root file: line 1" in proc.stderr
    garbage = tmp_path / "garbage.hints"
    garbage.write_text(". 3600 IN NS a.root.\na.root. 3600 IN QQQ 127.0.0.1\n")
    proc = run("--root-hints", str(garbage), "www.example.com")
    assert_clean_failure(proc, EXIT_USAGE)
    assert "line 2 is not a resource record: 'a.root. 3600 IN QQQ 127.0.0.1'" in proc.stderr


def test_a_closed_pipe_is_not_a_failure(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("www.example.com\n" * 300)  # far more output than a pipe buffer holds
    proc = subprocess.Popen([*CHECKOUT, "--lab", "-f", str(names)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdout.readline() == b"\n"  # dig's output starts with an empty line
    proc.stdout.close()  # the reader goes away, like `| head -1`
    _, stderr = proc.communicate(timeout=RUN_TIMEOUT)
    assert proc.returncode == EXIT_ANSWER, stderr
    assert b"Traceback" not in stderr and not stderr


def test_batch_from_stdin_answers_each_line_as_it_arrives():
    proc = subprocess.Popen([*CHECKOUT, "--lab", "+short", "-f", "-"], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        for name, address in (("www.example.com", "127.42.20.80"),
                              ("www.cs.cornell.edu", "127.42.10.81")):  # fmt: skip
            proc.stdin.write(name + "\n")
            proc.stdin.flush()
            # the answer comes while stdin is still open: the line was not waiting for EOF
            assert proc.stdout.readline() == address + "\n"
        proc.stdin.close()
        assert proc.wait(timeout=RUN_TIMEOUT) == EXIT_ANSWER
    finally:
        if not proc.stdin.closed:
            proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=RUN_TIMEOUT)
        proc.stdout.close()
        proc.stderr.close()


# ---- teaching aids -----------------------------------------------------------------------------


def test_lab_scenarios_lists_each_with_a_command_that_runs():
    from resolver.lab import SCENARIOS

    proc = run("lab", "--scenarios")
    assert proc.returncode == 0, proc.stderr
    commands = re.findall(r"^    (resolve --lab --trace .*)$", proc.stdout, re.M)
    # Scenarios asked over time (serve_stale, prefetch) show a pipeline into `resolve -f -`.
    demos = re.findall(r"^    (\(.*\) \| resolve --lab .* -f -)$", proc.stdout, re.M)
    assert demos == [s.demo for s in SCENARIOS.values() if s.demo] and len(demos) == 2
    assert len(commands) + len(demos) == len(SCENARIOS)
    for name in SCENARIOS:
        assert f"  {name}: " in proc.stdout
    ttl = next(c for c in commands if "ttl2.example.com." in c)
    shown = run(*ttl.split()[1:])
    assert shown.returncode == 0 and "ttl2.example.com." in shown.stdout


def test_legend_explains_the_trace_marks():
    alone = run("--legend")
    assert alone.returncode == 0 and "[cache]" in alone.stdout and "glue" in alone.stdout
    assert max(len(line) for line in alone.stdout.splitlines()) <= 80
    traced = run("--lab", "--trace", "--legend", "www.example.com")
    assert traced.stdout.startswith(alone.stdout)
    assert "Resolving www.example.com. A" in traced.stdout
