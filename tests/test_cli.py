"""The `resolve` command, run as a real program in a subprocess against the offline lab.

Every query here uses `--lab` (the lab starts inside the subprocess on loopback) or fails before
any network I/O; nothing reaches the real root servers. Rendering details are also checked
in-process on hand-built trace events.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from dnslib import RR

from resolver import cli
from resolver.answer import Answer
from resolver.cli.dig_output import render_dig
from resolver.cli.dig_syntax import questions_from_words
from resolver.cli.json_output import document, query_document
from resolver.cli.options import OUTPUT_PARTS
from resolver.cli.query import in_process_reply
from resolver.lab import SCENARIOS
from resolver.render import Style, render_trace
from resolver.trace import (
    CacheHit,
    CacheWhat,
    CutSource,
    QuerySent,
    Referral,
    ResolutionFinished,
    ResolutionStarted,
    ResponseReceived,
    SendReason,
    ServerTimeout,
    SubResolutionDone,
    ZoneCutChosen,
)

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = [sys.executable, str(ROOT / "cli.py")]
INSTALLED = shutil.which("resolve")
# Every way the command exists here: the checkout always, the installed script when there is one.
COMMANDS = [pytest.param(CHECKOUT, id="checkout")] + (
    [pytest.param([INSTALLED], id="installed")] if INSTALLED else []
)
RUN_TIMEOUT = 60  # a hang, not slowness: a lab query takes well under a second

ANSI = re.compile(r"\x1b\[")
HOP = re.compile(r"^  #\d+ zone (\S+)", re.MULTILINE)  # the main walk's hops, not nested ones


def flat(text: str) -> str:
    """The text with every run of spaces and line breaks as one space: what a wrapped line says."""
    return " ".join(text.split())


def run(*args: str, command: list[str] = CHECKOUT, stdin: str | None = None):
    """Run the command; return the CompletedProcess (text mode)."""
    return subprocess.run(
        [*command, *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def assert_clean_failure(proc, status: int) -> None:
    assert proc.returncode == status, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("resolve")


def hop_zones(text: str) -> list[str]:
    """The zones asked, in order, with repeats of the same zone folded (retries, priming)."""
    zones: list[str] = []
    for zone in HOP.findall(text):
        if not zones or zones[-1] != zone:
            zones.append(zone)
    return zones


# ---- the real command against the lab ---------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_default_output_reads_like_dig(command):
    proc = run("--lab", "www.cs.cornell.edu", command=command)
    assert proc.returncode == cli.EXIT_ANSWER, proc.stderr
    out = proc.stdout
    assert re.search(r"^;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+$", out, re.M)
    # ad: the lab's answer validated as secure, and we ask with AD=1 as dig does (+adflag)
    flags = r"^;; flags: qr rd ra ad; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1$"
    assert re.search(flags, out, re.M), out
    assert ";; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n" in out
    assert ";; QUESTION SECTION:\n;www.cs.cornell.edu.\t\tIN\tA\n" in out
    # tab-separated, so that `cut -f5` gives the data as it does for dig's output
    records = [line.split("\t") for line in out.splitlines() if line.startswith("www.cs.")]
    assert records == [["www.cs.cornell.edu.", "3600", "IN", "A", "127.42.10.81"]], out
    for footer in (
        r";; Query time: \d+ msec",
        r";; SERVER: in-process \(.*offline lab",
        r";; WHEN: \w{3} \w{3} \d\d \d\d:\d\d:\d\d",
        r";; MSG SIZE  rcvd: \d+",
    ):
        assert re.search(footer, out), footer
    assert not ANSI.search(out), "no colour when stdout is not a terminal"


def test_short_prints_only_the_data():
    for short in ("--short", "+short"):
        proc = run("--lab", short, "www.cs.cornell.edu")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "127.42.10.81\n"


def test_json_is_one_document_with_question_rcode_sections_timings():
    proc = run("--lab", "--json", "www.cs.cornell.edu")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["version"] == 1 and len(doc["queries"]) == 1
    query = doc["queries"][0]
    assert query["question"] == {"name": "www.cs.cornell.edu.", "type": "A", "class": "IN"}
    assert query["rcode"] == "NOERROR" and query["status"] == "answer"
    assert [r["rdata"] for r in query["answer"]] == [{"address": "127.42.10.81"}]
    assert query["timings"]["total_ms"] > 0
    assert query["upstream_queries"] >= 4 and query["from_cache"] is False
    assert query["server"] is None, "resolved in-process: no server"
    assert query["trace"] is None


def test_json_trace_gives_the_events_as_data():
    proc = run("--lab", "--json", "--trace", "www.cs.cornell.edu")
    assert proc.returncode == 0, proc.stderr
    query = json.loads(proc.stdout)["queries"][0]
    kinds = [event["event"] for event in query["trace"]]
    assert kinds[-1] == "resolution_finished" and "response" in kinds
    asked = [e["zone"] for e in query["trace"] if e["event"] == "query_sent"]
    assert "cs.cornell.edu." in asked
    assert query["answer"], "tracing must not change the answer"


@pytest.mark.parametrize("command", COMMANDS)
def test_trace_walks_root_edu_cornell_cs(command):
    proc = run("--lab", "--trace", "www.cs.cornell.edu", command=command)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert hop_zones(out) == [".", "edu.", "cornell.edu.", "cs.cornell.edu."], out
    assert "referral to edu." in out
    assert "authoritative answer" in out
    # the summary: answer, total time, queries, servers
    summary = r"NOERROR in [\d.]+ ms total, \d+ upstream queries, \d+ servers contacted"
    assert re.search(summary, out)
    assert not ANSI.search(out)


def test_trace_nests_the_glueless_sub_resolution():
    proc = run("--lab", "--trace", "www.glueless.org")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "sub-resolution:" in line)
    assert "ns1.dns-host.net." in lines[start] or "ns2.dns-host.net." in lines[start]
    nested = lines[start + 1 :]
    # the sub-walk's hops sit behind the nesting bar, and it ends with the address found
    assert any(re.match(r"\s+│\s+#\d+ zone", line) for line in nested), proc.stdout
    assert any("dns-host.net. has address" in line for line in nested), proc.stdout
    # after the sub-resolution, the main walk asks glueless.org.'s server
    assert hop_zones(proc.stdout)[-1] == "glueless.org."


def test_trace_shows_the_timeout_and_the_retry():
    # lossy.org's only server drops every other UDP query, the first one included.
    proc = run("--lab", "--trace", "www.lossy.org")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    timeout = re.search(r"timed out after [\d.]+ ms, trying (\S+)", out)
    assert timeout, out
    after = out[timeout.end() :]
    assert re.search(r"#\d+ zone lossy\.org\..*retransmission 1", flat(after)), out  # why
    assert "authoritative answer" in after


def test_serve_stale_demo_answers_the_silent_zone_stale():
    """The serve_stale scenario's documented command, run as written (the checkout's cli.py in
    place of `resolve`): the wait in it is the 2 s TTL running out, not a race."""
    demo = SCENARIOS["serve_stale"].demo
    assert demo.count("| resolve ") == 1
    shell = demo.replace("| resolve ", f"| {shlex.join(CHECKOUT)} ")
    proc = subprocess.run(["sh", "-c", shell], cwd=ROOT, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, check=False)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.split("Resolving www.stale.net. A")[1:]
    assert "www.stale.net. 2 IN A 127.42.38.80" in flat(first)
    second = flat(second)
    assert "timed out" in second
    assert "[cache] stale data (RFC 8767: resolving failed, served with TTL 30)" in second
    assert "Answer: www.stale.net. 30 IN A 127.42.38.80" in second
    assert "Extended DNS Error 3 (Stale Answer)" in second


def test_second_query_in_one_run_is_answered_from_cache():
    proc = run("--lab", "--trace", "www.cs.cornell.edu", "www.cs.cornell.edu")
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.split("Resolving www.cs.cornell.edu. A")[1:]
    # the first walk goes all the way down; only the second is answered from cache
    assert hop_zones(first) == [".", "edu.", "cornell.edu.", "cs.cornell.edu."], first
    assert "[cache] answer for" not in first
    assert "[cache] answer for www.cs.cornell.edu." in second
    assert not HOP.search(second), "no upstream query the second time"
    assert "0 upstream queries" in second and "(from cache)" in second


def test_nearby_name_starts_from_the_cached_zone_cut():
    proc = run("--lab", "--json", "--trace", "www.cs.cornell.edu", "ftp.cs.cornell.edu")
    docs = json.loads(proc.stdout)["queries"]
    assert len(docs) == 2
    cuts = [e for e in docs[1]["trace"] if e["event"] == "zone_cut"]
    assert cuts and cuts[0]["zone"] == "cs.cornell.edu." and cuts[0]["source"] == "cache"


@pytest.mark.parametrize("command", COMMANDS)
def test_nxdomain_exit_status_and_authority(command):
    proc = run("--lab", "nonexistent.cs.cornell.edu", command=command)
    assert proc.returncode == cli.EXIT_NXDOMAIN, (proc.stdout, proc.stderr)
    assert "status: NXDOMAIN" in proc.stdout
    assert ";; AUTHORITY SECTION:" in proc.stdout and "SOA" in proc.stdout


def test_nodata_exit_status_and_colour_on_request():
    proc = run("--lab", "--color", "always", "www.cs.cornell.edu", "TXT")
    assert proc.returncode == cli.EXIT_NODATA, (proc.stdout, proc.stderr)
    assert "NODATA" in proc.stdout
    assert ANSI.search(proc.stdout)


def test_servfail_exit_status_for_cyclic_glueless_zones():
    proc = run("--lab", "--trace", "www.cycle-a.com")
    assert proc.returncode == cli.EXIT_SERVFAIL, (proc.stdout, proc.stderr)
    out = flat(proc.stdout)  # the trace wraps at 80 columns
    assert "Answer: SERVFAIL — no address could be found for any name server of cycle-a.com." \
        in out
    assert "last: no address could be found for ns.cycle-b.net." in out
    assert "cyclic dependency" in proc.stdout


def test_servfail_for_a_cname_loop_says_which_limit():
    proc = run("--lab", "--json", "loop.example.com")
    assert proc.returncode == cli.EXIT_SERVFAIL, (proc.stdout, proc.stderr)
    doc = json.loads(proc.stdout)["queries"][0]
    assert doc["rcode"] == "SERVFAIL" and doc["status"] == "servfail"
    assert "max_cname_links" in doc["reason"]


def test_several_queries_report_the_first_failure():
    proc = run("--lab", "--short", "www.cs.cornell.edu", "nonexistent.cs.cornell.edu")
    assert proc.returncode == cli.EXIT_NXDOMAIN
    assert proc.stdout.split(), "the first query's data is still printed"


def test_batch_file_and_reverse_lookup(tmp_path):
    batch = tmp_path / "names.txt"
    batch.write_text("# comment\nwww.cs.cornell.edu A\n\nwww.cs.cornell.edu AAAA  # trailing\n")
    proc = run("--lab", "--json", "-f", str(batch))
    docs = json.loads(proc.stdout)["queries"]
    assert [d["question"]["type"] for d in docs] == ["A", "AAAA"]
    reverse = run("--lab", "--json", "-x", "127.42.0.1")
    doc = json.loads(reverse.stdout)["queries"][0]
    assert doc["question"]["name"] == "1.0.42.127.in-addr.arpa."
    assert doc["question"]["type"] == "PTR"


def test_serve_then_ask_it_with_server_and_read_its_stats():
    """`resolve serve --lab` on an ephemeral port; `--server` and `stats` talk to it."""
    server = subprocess.Popen(
        [*CHECKOUT, "serve", "--lab", "--listen", "127.0.0.1:0"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = None
        for line in server.stderr:  # the daemon logs where it listens once it is bound
            found = re.search(r"serving DNS on 127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "the server never said where it listens"
        where = f"127.0.0.1:{port}"
        proc = run("--server", where, "www.cs.cornell.edu")
        assert proc.returncode == 0, proc.stderr
        assert f"SERVER: 127.0.0.1#{port}(127.0.0.1) (UDP)" in proc.stdout
        assert re.search(r";; flags: qr[a-z ]* rd ra ad;", proc.stdout)  # secure, AD asked
        assert re.search(r"^www\.cs\.cornell\.edu\.\s+\d+\s+IN\s+A\s", proc.stdout, re.M)
        missing = run("--server", where, "--tcp", "--json", "nonexistent.cs.cornell.edu")
        assert missing.returncode == cli.EXIT_NXDOMAIN, missing.stderr
        doc = json.loads(missing.stdout)["queries"][0]
        assert doc["rcode"] == "NXDOMAIN"
        assert doc["server"] == {"address": "127.0.0.1", "port": port, "protocol": "tcp"}
        assert doc["from_cache"] is None and doc["upstream_queries"] is None, "unknowable"
        # over 1232 octets: the UDP reply is truncated and the stub retries over TCP
        big = run("--server", where, "--json", "huge.example.com", "TXT")
        assert big.returncode == 0, big.stderr
        big_doc = json.loads(big.stdout)["queries"][0]
        assert "tc" not in big_doc["flags"]
        assert sum(len(r["data"]) for r in big_doc["answer"]) > 1232
        big_text = run("--server", where, "huge.example.com", "TXT").stdout
        assert f"127.0.0.1#{port}(127.0.0.1) (TCP)" in big_text
        assert ";; Truncated, retrying in TCP mode." in big_text
        stats = run("stats", "--server", where, "--json")
        assert stats.returncode == 0, stats.stderr
        assert isinstance(json.loads(stats.stdout), dict)
        assert run("stats", "--server", where).stdout.startswith(f";; counters of 127.0.0.1#{port}")
    finally:
        server.terminate()
        server.communicate(timeout=RUN_TIMEOUT)
    assert server.returncode == 0


def test_lab_command_serves_a_lab_that_root_hints_and_upstream_port_reach():
    """`resolve lab` in the foreground; a plain `resolve --root-hints ... --upstream-port ...`."""
    lab = subprocess.Popen(
        [*CHECKOUT, "lab", "--port", "0"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        usage = None
        for line in lab.stdout:  # it prints how to reach it once every host is bound
            usage = re.search(r"--root-hints (\S+) --upstream-port (\d+)", line)
            if usage:
                break
        assert usage, "the lab never said how to reach it"
        hints, port = usage.group(1).rstrip(";"), usage.group(2)
        anchor = re.search(r"--trust-anchor (\S+);", line)
        assert anchor, line
        proc = run("--root-hints", hints, "--upstream-port", port, "--trust-anchor",
                   anchor.group(1), "--short", "www.cs.cornell.edu")
        assert proc.returncode == 0, proc.stderr
        assert re.fullmatch(r"127\.42\.\d+\.\d+\n", proc.stdout)
    finally:
        lab.terminate()
        out, _ = lab.communicate(timeout=RUN_TIMEOUT)
    assert lab.returncode == 0 and "lab stopped" in out


def test_server_that_does_not_answer_is_a_servfail_status():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never replies
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        proc = run("--server", f"127.0.0.1:{port}", "--timeout", "0.3", "www.example.com")
    assert_clean_failure(proc, cli.EXIT_SERVFAIL)
    assert "no reply" in proc.stderr


# ---- bad input: one clear line, no traceback, before any network I/O ---------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["www.example.com", "BOGUS"],  # unknown type
        ["a" * 64 + ".example.com"],  # label over 63 octets
        ["-x", "192.0.2"],  # malformed address
        ["-x", "not-an-address"],
        ["x..example.com"],  # empty label
        ["www.example.com", "AXFR"],  # a type a resolver cannot be asked
        [],  # nothing to resolve
        ["--no-such-option", "www.example.com"],
        ["--timeout", "zero", "www.example.com"],
        ["--lab", "--root-hints", "x.hints", "www.example.com"],
        ["--trace", "--short", "www.example.com"],
        ["--server", "127.0.0.1:99999", "www.example.com"],
        ["--trace", "--server", "127.0.0.1", "www.example.com"],
        ["serve", "--listen", "localhost:5353"],
        ["serve", "--listen", "[::1]:port"],
        ["serve", "--allow", "10.0.0.0/33"],
        ["stats", "--server", "no-such-host"],
        ["lab", "--network", "10.0.0.0/8"],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args):
    assert_clean_failure(run(*args), cli.EXIT_USAGE)


def test_unreadable_hints_file_is_one_line(tmp_path):
    missing = tmp_path / "missing.hints"
    proc = run("--root-hints", str(missing), "www.example.com")
    assert_clean_failure(proc, cli.EXIT_USAGE)
    assert str(missing) in proc.stderr
    garbage = tmp_path / "garbage.hints"
    garbage.write_bytes(b"\xff\xfe not a zone file\n")
    assert_clean_failure(run("--root-hints", str(garbage), "www.example.com"), cli.EXIT_USAGE)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_commands_examples_and_exit_codes(command):
    proc = run("--help", command=command)
    assert proc.returncode == 0
    for text in ("--trace", "--lab", "--server", "-x ADDR", "resolve serve", "resolve lab",
                 "resolve stats", "examples:", "exit status:", "NXDOMAIN", "SERVFAIL"):  # fmt: skip
        assert text in proc.stdout, text
    for sub in ("serve", "lab", "stats"):
        sub_help = run(sub, "--help", command=command)
        assert sub_help.returncode == 0 and f"resolve {sub}" in sub_help.stdout


# ---- argument parsing, in-process ----------------------------------------------------------------


def test_dig_style_words():
    q = questions_from_words
    assert [(x.name, x.rdtype) for x in q(["example.com", "mx", "example.org"], 1)] == [
        ("example.com.", 15),
        ("example.org.", 1),
    ]
    assert [(x.name, x.rdtype) for x in q(["MX", "example.com"], 1)] == [("example.com.", 15)]
    assert [(x.name, x.rdtype) for x in q(["example.com", "IN", "TYPE99"], 1)] == [
        ("example.com.", 99)
    ]
    assert [x.name for x in q(["com."], 1)] == ["com."]
    with pytest.raises(cli.UsageError, match="unknown record type"):
        q(["example.com", "nosuch"], 1)
    with pytest.raises(cli.UsageError, match="not followed by a name"):
        q(["a"], 1)


def test_host_port_forms():
    parse = cli.parse_host_port
    assert parse("127.0.0.1", 53) == ("127.0.0.1", 53)
    assert parse("127.0.0.1:5300", 53) == ("127.0.0.1", 5300)
    assert parse("::1", 53) == ("::1", 53)
    assert parse("[::1]:5353", 53) == ("::1", 5353)
    for bad in ("[::1", "[::1]x", "host:53", "1.2.3.4:", "1.2.3.4:70000"):
        with pytest.raises(Exception, match="address|port|IPv6"):
            parse(bad, 53)


# ---- rendering, on hand-built events --------------------------------------------------------


def _walk_events():
    asked = {"qname": "www.cs.cornell.edu.", "qtype": "A"}
    return [
        ResolutionStarted(0, 0.0, "www.cs.cornell.edu.", "A"),
        ZoneCutChosen(0, 0.0, ".", ("a.root-servers.net.",), CutSource.HINTS),
        QuerySent(0, 0.001, ".", "a.root-servers.net.", "127.42.0.1", 53, "udp",
                  "www.cs.cornell.edu.", "A", True),  # fmt: skip
        ResponseReceived(0, 0.002, ".", "a.root-servers.net.", "127.42.0.1", "udp", "NOERROR",
                         "referral", 0.001, 90, False, ("edu. 172800 IN NS a.edu-servers.net.",),
                         referral_zone="edu.", ns_names=1, **asked),  # fmt: skip
        Referral(0, 0.002, ".", "edu.", ("a.edu-servers.net.",), ()),
        ResolutionStarted(1, 0.003, "a.edu-servers.net.", "A", "edu."),
        CacheHit(1, 0.003, "a.edu-servers.net.", "A", CacheWhat.ANSWER, 300,
                 ("a.edu-servers.net. 300 IN A 127.42.1.3",)),  # fmt: skip
        SubResolutionDone(1, 0.003, "a.edu-servers.net.", ("127.42.1.3",)),
        QuerySent(0, 0.004, "edu.", "a.edu-servers.net.", "127.42.1.3", 53, "udp",
                  "www.cs.cornell.edu.", "A", True),  # fmt: skip
        ServerTimeout(0, 0.8, "edu.", "a.edu-servers.net.", "127.42.1.3", "udp", 0.8),
        QuerySent(0, 0.8, "edu.", "b.edu-servers.net.", "127.42.1.4", 53, "udp",
                  "www.cs.cornell.edu.", "A", True, SendReason.NEXT_SERVER),  # fmt: skip
        ResponseReceived(0, 0.81, "edu.", "b.edu-servers.net.", "127.42.1.4", "udp", "NOERROR",
                         "answer", 0.01, 60, True, ("www.cs.cornell.edu. 300 IN A 127.42.9.9",),
                         answers=1, canonical_name="www.cs.cornell.edu.", **asked),  # fmt: skip
        ResolutionFinished(0, 0.81, "www.cs.cornell.edu.", "A", "NOERROR"),
    ]


def _answer(events):
    return Answer(
        "www.cs.cornell.edu.", 1, 1, 0, "www.cs.cornell.edu.",
        answer=RR.fromZone("www.cs.cornell.edu. 300 IN A 127.42.9.9"),
        upstream_queries=3, elapsed=0.81, trace=events,
    )  # fmt: skip


def test_trace_layout_nests_marks_cache_and_explains_retries():
    text = render_trace(_answer(_walk_events()), Style(color=False))
    lines = text.splitlines()
    assert lines[0] == "Resolving www.cs.cornell.edu. A"
    sub = next(i for i, line in enumerate(lines) if "sub-resolution: a.edu-servers.net. A" in line)
    assert lines[sub + 1].lstrip().startswith("│") and "[cache]" in lines[sub + 1]
    assert "has address 127.42.1.3" in lines[sub + 3] and "│" in lines[sub + 3]
    assert "timed out after 800 ms, trying b.edu-servers.net." in text
    hop = "#3 zone edu. → b.edu-servers.net. (127.42.1.4) over UDP — the previous server failed"
    assert hop in flat(text)
    assert "NOERROR in 810 ms total, 3 upstream queries, 3 servers contacted" in flat(text)
    assert not ANSI.search(text)
    assert ANSI.search(render_trace(_answer(_walk_events()), Style(color=True)))


def test_ascii_fallback_when_the_terminal_cannot_show_unicode():
    text = render_trace(_answer(_walk_events()), Style(color=False, unicode=False))
    text.encode("ascii")  # raises if any glyph slipped through
    assert "referral to edu. -- 1 NS" in text


def test_in_process_answer_in_dig_framing_and_as_json():
    reply = in_process_reply(_answer(_walk_events()), cd=False, do=False, origin="test")
    text = render_dig(reply, dict.fromkeys(OUTPUT_PARTS, True), Style())
    assert "\nwww.cs.cornell.edu.\t300\tIN\tA\t127.42.9.9\n" in text
    assert ";; SERVER: in-process (test, 3 upstream queries)" in text
    question = {"name": "www.cs.cornell.edu.", "type": "A", "class": "IN"}
    doc = json.loads(json.dumps(document([query_document(question, "answer", reply=reply)])))
    assert doc["queries"][0]["answer"] == [
        {
            "name": "www.cs.cornell.edu.",
            "ttl": 300,
            "class": "IN",
            "type": "A",
            "data": "127.42.9.9",
            "rdata": {"address": "127.42.9.9"},
        }
    ]
