"""Serve-stale and prefetch, ours against Unbound configured the same way, over the lab.

The lab runs in this process on port 53 of a free 127.N.0.0/16 (Unbound sends upstream queries
to port 53 only), served by its own engine, so ns.stale.net's fault (silent after its first
answer) is in force. Unbound (iterator only) and our Resolver start from the lab's hints:

- serve-stale: Unbound with `serve-expired: yes`, `serve-expired-ttl: 86400` (our
  MAX_STALE_AGE), `serve-expired-reply-ttl: 30` (STALE_TTL) and
  `serve-expired-client-timeout: 1800` (try to refresh first, answer stale after 1.8 s: our
  CLIENT_RESPONSE_DEADLINE; Unbound's default 0 would answer stale at once), `ede: yes`;
  ours with serve_stale=True. Each asks www.stale.net (TTL 2) once, the lab's only server for
  it then goes silent, and after the TTL has run out both answer it again with the expired
  record, TTL 30, EDE 3 Stale Answer.
- prefetch: Unbound with `prefetch: yes`, ours with prefetch=True. ttl2.example.com (TTL 2) is
  asked every POLL_INTERVAL until the lab sees the record fetched a second time; the question
  just before that fetch was answered from the cache, with what was left of the old TTL (a
  background refresh, not a client waiting for a walk, who would get a fresh TTL 2). Then
  example.com's servers go silent, and the question asked just after the first record's
  expiry is still answered, with the refreshed data, by both.

The waits are the 2 s TTLs running out in real time: Unbound's clock is the wall clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import pytest
from dnslib import EDNS0, QTYPE, RCODE, DNSHeader, DNSQuestion, DNSRecord

from resolver import Resolver
from resolver.ede import OPTION_CODE as EDE_OPTION
from resolver.ede import EdeCode, parse_option
from resolver.lab import Fault, Lab
from resolver.lab.topology import STALE_HOST_ANSWERS, AddressMap
from resolver.stale import CLIENT_RESPONSE_DEADLINE, MAX_STALE_AGE, STALE_TTL
from tests.interop.nsd_harness import exchange, require_tool, unavailable
from tests.interop.test_resolver_vs_unbound import (
    HIERARCHY_ATTEMPTS,
    STUB_EDNS_PAYLOAD,
    STUB_TIMEOUT,
    UNBOUND,
    UPSTREAM_PORT,
    Unbound,
    _free_networks,
)

pytestmark = pytest.mark.interop

TTL = 2  # www.stale.net and ttl2.example.com
EXPIRED = TTL + 1.5  # seconds after an answer by which both caches hold it expired
POLL_INTERVAL = 0.25  # seconds between prefetch questions
SETTLE = 0.1  # seconds for a background refresh on loopback to reach the lab (it takes ~1 ms)
POLL_LIMIT = 4.0  # seconds: Unbound prefetches a 2 s TTL in its last whole second
MARGIN = 0.1  # seconds past an expiry
TTL2_ADDRESS = "127.42.20.3"  # ttl2.example.com, in the default block
EXAMPLE_COM_HOSTS = ("ns1.example.com.", "ns2.example.com.")
SERVE_EXPIRED = (
    "serve-expired: yes",
    f"serve-expired-ttl: {MAX_STALE_AGE}",
    f"serve-expired-reply-ttl: {STALE_TTL}",
    f"serve-expired-client-timeout: {int(CLIENT_RESPONSE_DEADLINE * 1000)}",
    "ede: yes",
    "ede-serve-expired: yes",
)


@pytest.fixture(scope="module")
def lab():
    require_tool(UNBOUND, "unbound")
    for network in list(_free_networks())[:HIERARCHY_ATTEMPTS]:
        try:
            running = Lab(network=network, port=UPSTREAM_PORT).start()
        except OSError:
            continue  # taken between the check and the bind: the next block
        yield running
        running.stop()
        return
    unavailable(f"no free 127.N.0.0/16 with port {UPSTREAM_PORT} (needs root)")


def stub_query(port: int, name: str) -> DNSRecord:
    """What a stub sends Unbound: RD=1, EDNS; the reply parsed."""
    question = DNSRecord(DNSHeader(rd=1), q=DNSQuestion(name, QTYPE.A))
    question.add_ar(EDNS0(udp_len=STUB_EDNS_PAYLOAD))
    raw = exchange(question.pack(), "127.0.0.1", port, "udp", STUB_TIMEOUT)
    assert raw is not None, f"unbound did not answer {name}"
    return DNSRecord.parse(raw)


def unbound_ede(reply: DNSRecord) -> int | None:
    for rr in reply.ar:
        if rr.rtype == QTYPE.OPT:
            for option in rr.rdata:
                if option.code == EDE_OPTION:
                    parsed = parse_option(option.data)
                    return parsed.code if parsed else None
    return None


def seen(lab: Lab, name: str) -> int:
    """How many queries for `name` A the lab's servers have received."""
    return sum(1 for e in lab.query_log if e.qname == name and e.qtype == QTYPE.A)


def our_resolver(lab: Lab, **options) -> Resolver:
    # Unbound here runs without its validator (iterator only): compare like with like.
    return Resolver(root_hints=lab.hints_path, upstream_port=UPSTREAM_PORT,
                    allowed_networks=[lab.network], dnssec=False, **options)


# ---------------------------------------------------------------------------- serve-stale


def test_both_answer_an_expired_name_stale_when_its_server_went_silent(lab):
    name = lab.scenario("serve_stale").qname
    address = AddressMap(lab.network).address("127.42.38.80")
    results = {}

    lab.set_fault("ns.stale.net.", Fault.silent_after(STALE_HOST_ANSWERS))  # a fresh count
    unbound = Unbound(lab.hints_path, SERVE_EXPIRED).start()
    try:
        first = stub_query(unbound.port, name)
        time.sleep(EXPIRED)  # the record's TTL runs out on Unbound's (wall) clock
        again = stub_query(unbound.port, name)
    finally:
        unbound.stop()
    results["unbound"] = (
        (RCODE.get(first.header.rcode), [str(rr.rdata) for rr in first.rr]),
        (RCODE.get(again.header.rcode), [str(rr.rdata) for rr in again.rr],
         [rr.ttl for rr in again.rr], unbound_ede(again)),
    )

    lab.set_fault("ns.stale.net.", Fault.silent_after(STALE_HOST_ANSWERS))
    with our_resolver(lab, serve_stale=True) as ours:
        first = ours.query(name)
        time.sleep(EXPIRED)
        again = ours.query(name)
    results["ours"] = (
        (first.rcode_text, [str(rr.rdata) for rr in first.answer_records]),
        (again.rcode_text, [str(rr.rdata) for rr in again.answer_records],
         [rr.ttl for rr in again.answer_records], again.ede.code if again.ede else None),
    )

    expected = (
        ("NOERROR", [address]),
        ("NOERROR", [address], [STALE_TTL], EdeCode.STALE_ANSWER),
    )
    assert results["unbound"] == expected, results
    assert results["ours"] == expected, results
    assert lab.query_count("ns.stale.net.") > 2 * STALE_HOST_ANSWERS  # both tried it again


# ---------------------------------------------------------------------------- prefetch


def _prefetch_run(lab: Lab, name: str, ask, expired_by: Callable[[float], float]) -> dict:
    """Ask `name` until the lab sees it fetched again; then silence example.com and ask once
    more just after the first answer expired (`expired_by`: from the wall time of the first
    answer to a time by which it has surely expired, before the refreshed one does).
    `ask` returns (rcode, addresses, ttl)."""
    lab.reset_counters()
    first = ask()
    fetched_at = time.time()
    answers = [first]
    while seen(lab, name) < 2 and time.time() - fetched_at < POLL_LIMIT:
        time.sleep(POLL_INTERVAL - SETTLE)
        answers.append(ask())
        time.sleep(SETTLE)  # a refresh it started reaches the lab before we look
    refreshed = seen(lab, name)
    trigger = answers[-1]  # the question after which the record was fetched again
    for host in EXAMPLE_COM_HOSTS:
        lab.set_fault(host, Fault.dead())
    try:
        wait = expired_by(fetched_at) - time.time()
        if wait > 0:
            time.sleep(wait)
        after = ask()
    finally:
        for host in EXAMPLE_COM_HOSTS:
            lab.set_fault(host, None)
    return {"first": first, "fetches": refreshed, "trigger": trigger, "after": after}


def test_both_refresh_a_name_asked_near_its_expiry_in_the_background(lab):
    name = lab.scenario("prefetch").qname
    address = AddressMap(lab.network).address(TTL2_ADDRESS)

    unbound = Unbound(lab.hints_path, ("prefetch: yes",)).start()
    try:
        def ask_unbound():
            reply = stub_query(unbound.port, name)
            return (RCODE.get(reply.header.rcode), [str(rr.rdata) for rr in reply.rr],
                    min((rr.ttl for rr in reply.rr), default=None))

        # Unbound keeps whole seconds: stored at second s with TTL 2, it answers through s+2.
        theirs = _prefetch_run(lab, name, ask_unbound,
                               lambda first: math.floor(first) + TTL + 1 + MARGIN)
    finally:
        unbound.stop()

    with our_resolver(lab, prefetch=True) as ours:
        def ask_ours():
            answer = ours.query(name)
            return (answer.rcode_text, [str(rr.rdata) for rr in answer.answer_records],
                    answer.ttl)

        mine = _prefetch_run(lab, name, ask_ours, lambda first: first + TTL + MARGIN)

    for who, run in (("unbound", theirs), ("ours", mine)):
        assert run["first"] == ("NOERROR", [address], TTL), (who, run)
        assert run["fetches"] == 2, (who, run)  # fetched again before the poll limit
        # The question that set off the refresh was answered from the cache, with the old
        # record's last second (Unbound shows 0, we round up to 1): nobody waited for a walk,
        # which would have answered with a fresh TTL 2.
        status, addresses, ttl = run["trigger"]
        assert (status, addresses) == ("NOERROR", [address]) and ttl <= 1, (who, run)
        # Just after the first record's expiry, with example.com's servers silent, the
        # refreshed record answers.
        assert run["after"][:2] == ("NOERROR", [address]), (who, run)
