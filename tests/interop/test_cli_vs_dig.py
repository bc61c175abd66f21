"""`resolve @ADDR ...` against the real `dig @ADDR ...`: the same framing for the same replies.

Both commands get the same arguments and ask the same server: our nameserver (in-process, the
offline lab behind it, on a free port) for recursive questions, and the lab's authoritative
hosts directly for `+norec` ones. Their outputs must be identical line for line once what
legitimately differs is masked: the program's name on the `; <<>>` line, the message ID, the
query time, the WHEN line, TTLs of cached records (they count down between the two runs), and
our own `;;` comment lines (NODATA explained, why SERVFAIL, a referral spelled out), which are
additions dig's readers skip.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.interop.nsd_harness import require_tool
from tests.interop.test_server_dig import DIG, DIG_TIMEOUT
from tests.test_cli import CHECKOUT, ROOT
from tests.test_server import ServerThread

pytestmark = pytest.mark.interop

OUR_ADDITIONS = re.compile(r"^;; (NODATA|SERVFAIL because|REFERRAL)[ :].*\n\n", re.M)
RECORD_TTL = re.compile(r"^([^;\s][^\t]*\t+)\d+\t", re.M)


def normalise(output: str, *, mask_ttl: bool) -> str:
    output = OUR_ADDITIONS.sub("", output)
    output = re.sub(r"^; <<>> .* <<>> ", "; <<>> PROGRAM <<>> ", output, flags=re.M)
    output = re.sub(r"id: \d+", "id: N", output)
    output = re.sub(r"Query time: \d+ msec", "Query time: N msec", output)
    output = re.sub(r"^;; WHEN: .*$", ";; WHEN: T", output, flags=re.M)
    if mask_ttl:
        output = RECORD_TTL.sub(r"\1TTL\t", output)
    return output


def both(args: list[str], *, mask_ttl: bool) -> tuple[str, str]:
    ours = subprocess.run([*CHECKOUT, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=DIG_TIMEOUT, check=False)  # fmt: skip
    theirs = subprocess.run([DIG, *args], capture_output=True, text=True, timeout=DIG_TIMEOUT,
                            check=False)  # fmt: skip
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert "Traceback" not in ours.stderr, ours.stderr
    return normalise(ours.stdout, mask_ttl=mask_ttl), normalise(theirs.stdout, mask_ttl=mask_ttl)


@pytest.fixture(scope="module")
def lab_and_server():
    require_tool(DIG, "bind9-dnsutils")
    from resolver import Resolver
    from resolver.lab import Lab

    with Lab(port=0) as lab, Resolver.for_lab(lab) as resolver, ServerThread(resolver) as server:
        yield lab, server


@pytest.mark.parametrize(
    "question",
    [
        ["www.cs.cornell.edu"],
        ["www.example.com", "AAAA"],
        ["example.com", "MX"],
        ["example.com", "TXT"],
        ["example.com", "SOA"],
        ["example.com", "NS"],
        ["example.com", "CAA"],
        ["_sip._tcp.example.com", "SRV"],
        ["-x", "127.42.0.1"],
        ["alias.example.com"],
        ["chain.example.com"],
        ["www.cs.cornell.edu", "TXT"],  # NODATA
        ["nonexistent.cs.cornell.edu"],  # NXDOMAIN
        ["loop.example.com"],  # SERVFAIL
        ["huge.example.com", "TXT"],  # truncated over UDP, retried over TCP
        ["www.example.com", "+tcp"],
        ["www.example.com", "+dnssec", "+cd"],
        ["example.com", "MX", "+short"],
        ["example.com", "MX", "+noall", "+answer"],
        ["nonexistent.example.com", "+nocmd", "+noquestion", "+nostats"],
        ["www.example.com", "+noall", "+answer", "+authority", "+additional", "+stats"],
    ],
    ids=" ".join,
)
def test_recursive_answers_framed_as_dig_frames_them(lab_and_server, question):
    _, server = lab_and_server
    args = [f"@{server.host}", "-p", str(server.port), *question]
    both(args, mask_ttl=True)  # the first run fills the cache: both then see cached answers
    ours, theirs = both(args, mask_ttl=True)
    assert ours == theirs


@pytest.mark.parametrize(
    ("server", "question"),
    [
        ("127.42.0.1", ["www.cs.cornell.edu"]),  # referral with glue
        ("127.42.0.1", ["www.glueless.org"]),
        ("127.42.0.1", [".", "NS"]),
        ("127.42.10.3", ["www.cs.cornell.edu"]),  # authoritative answer
        ("127.42.10.3", ["cs.cornell.edu", "NS"]),
        ("127.42.10.3", ["nonexistent.cs.cornell.edu"]),
    ],
    ids=lambda v: v if isinstance(v, str) else " ".join(v),
)
def test_authoritative_replies_with_norec_framed_as_dig_frames_them(lab_and_server, server,
                                                                     question):  # fmt: skip
    lab, _ = lab_and_server
    ours, theirs = both([f"@{server}", "-p", str(lab.port), "+norec", *question], mask_ttl=False)
    assert ours == theirs
