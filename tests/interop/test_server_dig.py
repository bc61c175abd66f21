"""The nameserver as the real `dig` (BIND's, Debian bind9-dnsutils) sees it.

The server runs in-process with the real Resolver on the offline lab (a refusal test uses a
server that allows only 127.0.0.2). dig sends what real clients send - EDNS with a cookie
option, retries over TCP on TC=1 - so this checks our wire format against BIND's parser.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.interop.nsd_harness import require_tool
from tests.test_server import ServerThread

pytestmark = pytest.mark.interop

DIG = shutil.which("dig") or "/usr/bin/dig"
DIG_TIMEOUT = 30  # seconds for one dig run: a hang, not slowness


@pytest.fixture(scope="module")
def served():
    require_tool(DIG, "bind9-dnsutils")
    from resolver import Resolver
    from resolver.lab import Lab

    with Lab(port=0) as lab, Resolver.for_lab(lab) as resolver, ServerThread(resolver) as server:
        yield server


def dig(server: ServerThread, *args: str) -> str:
    result = subprocess.run(
        [DIG, f"@{server.host}", "-p", str(server.port), "+time=5", "+tries=1", *args],
        capture_output=True,
        text=True,
        timeout=DIG_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def header(output: str) -> tuple[str, set[str], dict[str, int]]:
    """(status, flags, section counts) from dig's header lines."""
    status = re.search(r"status: (\w+)", output).group(1)
    flags_line = re.search(r";; flags: ([^;]*);(.*)", output)
    flags = set(flags_line.group(1).split())
    counts = {k: int(v) for k, v in re.findall(r"(\w+): (\d+)", flags_line.group(2))}
    return status, flags, counts


@pytest.mark.parametrize(
    ("name", "qtype", "expected"),
    [
        ("www.cs.cornell.edu", "A", ["127.42.10.81"]),
        ("www.example.com", "AAAA", ["2001:db8::80"]),
        ("example.com", "MX", ["10 mail.example.com."]),
        ("example.com", "TXT", ['"v=spf1 mx -all"']),
    ],
)
def test_dig_gets_a_aaaa_mx_txt_over_udp(served, name, qtype, expected):
    for _ in ("miss", "hit"):
        output = dig(served, name, qtype)
        status, flags, counts = header(output)
        assert status == "NOERROR"
        assert {"qr", "rd", "ra"} <= flags and "aa" not in flags and "tc" not in flags
        assert "EDNS: version: 0" in output and "udp: 1232" in output
        assert "(UDP)" in output
        assert dig(served, "+short", name, qtype).split("\n")[:-1] == expected


def test_dig_large_txt_is_truncated_over_udp_and_whole_over_tcp(served):
    status, flags, counts = header(dig(served, "+ignore", "huge.example.com", "TXT"))
    assert "tc" in flags and counts["ANSWER"] == 0
    status, flags, counts = header(dig(served, "+ignore", "+noedns", "big.example.com", "TXT"))
    assert "tc" in flags and counts["ANSWER"] == 0
    output = dig(served, "+tcp", "huge.example.com", "TXT")
    status, flags, counts = header(output)
    assert status == "NOERROR" and "tc" not in flags and counts["ANSWER"] == 10
    assert "(TCP)" in output
    # Plain dig sees TC=1 and retries over TCP by itself.
    output = dig(served, "huge.example.com", "TXT")
    assert "Truncated, retrying in TCP mode" in output and header(output)[2]["ANSWER"] == 10


def test_dig_sees_its_own_letter_case(served):
    output = dig(served, "WwW.ExAmPlE.CoM", "A")
    assert re.search(r"^;WwW\.ExAmPlE\.CoM\.\s+IN\s+A$", output, re.M)
    assert header(output)[0] == "NOERROR"


def test_dig_documented_reactions(served):
    assert header(dig(served, "+opcode=status", "example.com"))[0] == "NOTIMP"
    assert header(dig(served, "+edns=1", "+noednsneg", "example.com"))[0] == "BADVERS"
    assert header(dig(served, "+header-only", "example.com"))[0] == "FORMERR"
    assert header(dig(served, "-c", "CH", "example.com", "A"))[0] == "REFUSED"
    any_output = dig(served, "example.com", "ANY")
    assert header(any_output)[0] == "NOERROR"
    assert re.search(r'HINFO\s+"RFC8482" ""', any_output)
    nx = dig(served, "nope.example.com", "A")
    assert header(nx)[0] == "NXDOMAIN" and "SOA" in nx
    # And it still answers normally afterwards.
    assert dig(served, "+short", "www.example.com").strip() == "127.42.20.80"


def test_dig_reads_the_live_stats(served):
    output = dig(served, "CH", "TXT", "stats.resolver.")
    assert header(output)[0] == "NOERROR"
    assert re.search(r'"queries=\d+"', output) and '"cache_hits=' in output


def test_dig_from_a_non_allowed_address_gets_refused():
    require_tool(DIG, "bind9-dnsutils")
    from tests.test_server import FakeResolver

    with ServerThread(FakeResolver(), allow=["127.0.0.2/32"]) as server:
        refused = dig(server, "-b", "127.0.0.1", "www.example.test")
        assert header(refused)[0] == "REFUSED"
        allowed = dig(server, "-b", "127.0.0.2", "www.example.test")
        assert header(allowed)[0] == "NOERROR" and "192.0.2.1" in allowed
