"""Hermetic resolver tests: the lab in-process, a fake clock, no sockets and no sleeping.

Time-dependent behaviour (TTL expiry, negative caching, server back-off) is checked here by
moving the clock, which real-socket tests could only do by waiting.
"""

from __future__ import annotations

import pytest
from dnslib import QTYPE, RCODE, DNSRecord

from resolver import NXDOMAIN, NoAnswer
from resolver.cache import Trust
from resolver.lab import Fault
from resolver.selection import Feedback
from resolver.trace import QuerySent, ResponseReceived, SubResolutionDone
from resolver.transport import Exchange
from tests.fakenet import hermetic_resolver


@pytest.fixture
def setup(tmp_path):
    resolver, lab, clock, network = hermetic_resolver(tmp_path)
    with resolver:
        yield resolver, lab, clock, network


def ttls(answer) -> list[int]:
    return [rr.ttl for rr in answer.answer_records]


def test_ttls_count_down_and_short_ttl_expires(setup):
    resolver, lab, clock, _ = setup
    first = resolver.resolve("ttl2.example.com.")
    assert ttls(first) == [2] and not first.from_cache
    clock.advance(1.0)
    second = resolver.resolve("ttl2.example.com.")
    assert second.from_cache and ttls(second) == [1]
    clock.advance(1.0)  # now exactly at expiry: never served
    third = resolver.resolve("ttl2.example.com.")
    assert not third.from_cache and third.upstream_queries == 1
    assert ttls(third) == [2]


def test_long_ttl_counts_down(setup):
    resolver, _, clock, _ = setup
    resolver.resolve("www.example.com.")
    clock.advance(100.0)
    answer = resolver.resolve("www.example.com.")
    assert answer.from_cache and ttls(answer) == [3600 - 100]


def test_negative_answers_are_cached_for_the_soa_minimum_and_expire(setup):
    resolver, lab, clock, _ = setup
    with pytest.raises(NXDOMAIN):
        resolver.resolve("nonexistent.example.com.")
    clock.advance(299.0)
    with pytest.raises(NXDOMAIN) as cached:
        resolver.resolve("nonexistent.example.com.", "TXT")  # NXDOMAIN covers every type
    answer = cached.value.answer
    assert answer.from_cache
    assert [rr.ttl for rr in answer.authority_records] == [1]  # min(SOA TTL, MINIMUM 300) - 299
    clock.advance(1.0)
    with pytest.raises(NXDOMAIN) as fresh:
        resolver.resolve("nonexistent.example.com.")
    assert not fresh.value.answer.from_cache


def test_nodata_is_cached_per_type(setup):
    resolver, _, clock, _ = setup
    with pytest.raises(NoAnswer):
        resolver.resolve("www.example.com.", "MX")
    with pytest.raises(NoAnswer) as again:
        resolver.resolve("www.example.com.", "MX")
    assert again.value.answer.from_cache
    other_type = resolver.resolve("www.example.com.", "A")
    assert not other_type.from_cache
    clock.advance(300.0)
    with pytest.raises(NoAnswer) as expired:
        resolver.resolve("www.example.com.", "MX")
    assert not expired.value.answer.from_cache


def test_glue_is_never_returned_as_an_answer(setup):
    resolver, _, _, network = setup
    resolver.resolve("www.cs.cornell.edu.")
    glue = resolver.iterator.cache.get("ns.cs.cornell.edu.", QTYPE.A)
    assert glue is not None and glue.trust == Trust.ADDITIONAL
    sent_before = len(network.sent)
    answer = resolver.resolve("ns.cs.cornell.edu.")
    assert not answer.from_cache and len(network.sent) > sent_before
    reply = next(e for e in reversed(answer.trace) if isinstance(e, ResponseReceived))
    assert reply.aa and reply.zone == "cs.cornell.edu."
    assert resolver.iterator.cache.get("ns.cs.cornell.edu.", QTYPE.A).trust == Trust.AUTH_ANSWER


def test_referral_ns_set_is_not_an_answer_for_ns(setup):
    resolver, _, _, _ = setup
    resolver.resolve("www.cs.cornell.edu.")
    # cornell.edu's NS set is known only from edu's referral (non-authoritative): ask the child.
    referral = resolver.iterator.cache.get("cornell.edu.", QTYPE.NS)
    assert referral is not None and referral.trust == Trust.AUTHORITY
    answer = resolver.resolve("cornell.edu.", "NS")
    assert not answer.from_cache
    asked = [e for e in answer.trace if isinstance(e, QuerySent)]
    assert asked[-1].zone == "cornell.edu."
    assert resolver.iterator.cache.get("cornell.edu.", QTYPE.NS).trust == Trust.AUTH_ANSWER


def test_dead_server_is_skipped_once_repeated_timeouts_back_it_off(setup):
    resolver, lab, clock, network = setup
    dead = "127.42.23.1"
    infra = resolver.iterator.infra
    for i in range(40):  # the first server asked is random: forget until the dead one is tried
        resolver.query(f"n{i}.flaky.com.")
        if (dead, "udp") in network.sent:
            break
        infra.clear()
    assert network.sent.count((dead, "udp")) == 1
    assert infra.usable([dead], "flaky.com.") == [dead]  # one lost datagram is not death
    for _ in range(2):  # two more timeouts in a row: now it is backed off
        infra.report(dead, "flaky.com.", Feedback.TIMEOUT)
    for i in range(20):
        resolver.query(f"m{i}.flaky.com.")
    assert network.sent.count((dead, "udp")) == 1  # backed off: not asked again
    clock.advance(1000.0)  # past the back-off and the 15-minute infra memory (as Unbound)
    assert infra.usable([dead], "flaky.com.") == [dead]


def test_truncating_server_is_asked_again_over_tcp(setup):
    resolver, lab, _, network = setup
    lab.set_fault("ns1.example.net.", Fault.truncate())
    answer = resolver.resolve("www.example.net.")
    assert [rdata.address for rdata in answer] == ["127.42.21.80"]
    assert network.sent[-2:] == [("127.42.21.1", "udp"), ("127.42.21.1", "tcp")]


def test_lossy_server_is_retried(setup):
    resolver, lab, _, _ = setup
    lab.set_fault("ns1.example.net.", Fault.lossy(0.5, seed=3))
    answers = [resolver.query(f"x{i}.example.net.") for i in range(10)]
    assert {a.rcode for a in answers} <= {RCODE.NXDOMAIN, RCODE.SERVFAIL}
    assert sum(a.rcode == RCODE.NXDOMAIN for a in answers) >= 3


def test_upward_referral_marks_the_server_lame(setup):
    resolver, lab, _, _ = setup
    lame = "127.42.20.1"
    lab.set_fault("ns1.example.com.", Fault.lame("upward"))
    for i in range(40):  # the first server asked is random: forget until ns1 is asked
        answer = resolver.query(f"www{i}.example.com.")
        assert answer.rcode == RCODE.NXDOMAIN  # ns2 answers; ns1's referral is not followed
        if any(e.kind == "response" and e.address == lame for e in answer.trace):
            break
        resolver.iterator.infra.clear()
    verdicts = [e.classification for e in answer.trace if e.kind == "response"
                and e.address == lame]
    assert verdicts == ["lame"]
    assert "example.com." in resolver.iterator.infra.stats(lame).lame_zones


def test_server_that_rejects_edns_is_asked_without_it(setup):
    resolver, lab, clock, network = setup

    class RejectsEdns:
        """ns1.example.net as an old server: FORMERR to any query with an OPT record."""

        async def query(self, address, port, query, *, timeout, tcp=False):
            parsed = DNSRecord.parse(query)
            if address == "127.42.21.1" and any(rr.rtype == QTYPE.OPT for rr in parsed.ar):
                reply = parsed.reply()
                reply.header.rcode = RCODE.FORMERR
                return Exchange(reply.pack(), 0.001, "tcp" if tcp else "udp")
            return await network.query(address, port, query, timeout=timeout, tcp=tcp)

    resolver.iterator.transport = RejectsEdns()
    # Without EDNS there is no DO bit and no RRSIG: a validator would call the answer bogus.
    resolver.iterator.validator = None
    answer = resolver.resolve("www.example.net.")
    assert [rdata.address for rdata in answer] == ["127.42.21.80"]
    queries = [e for e in answer.trace if isinstance(e, QuerySent)]
    assert (queries[-2].edns, queries[-1].edns) == (True, False)
    assert not resolver.iterator.infra.edns_ok("127.42.21.1")


def test_priming_answer_without_addresses_falls_back_to_the_hints(setup):
    resolver, _, _, network = setup

    class StripsRootGlue:
        """Root servers that answer `. NS` without the servers' addresses."""

        async def query(self, address, port, query, *, timeout, tcp=False):
            exchange = await network.query(address, port, query, timeout=timeout, tcp=tcp)
            reply = DNSRecord.parse(exchange.raw)
            if str(reply.q.qname) == "." and reply.q.qtype == QTYPE.NS:
                reply.ar = [rr for rr in reply.ar if rr.rtype == QTYPE.OPT]
                return Exchange(reply.pack(), exchange.rtt, exchange.protocol)
            return exchange

    resolver.iterator.transport = StripsRootGlue()
    answer = resolver.resolve("www.cs.cornell.edu.")
    assert [rdata.address for rdata in answer] == ["127.42.10.81"]
    lookups = [e for e in answer.trace if isinstance(e, SubResolutionDone)]
    assert not lookups  # no lookups of root server names
    walk = [e for e in answer.trace if isinstance(e, QuerySent) and e.depth == 0]
    assert len(walk) == 5  # the validator's DS and DNSKEY queries (depth 1) aside


def test_resolution_starts_and_finishes_in_the_trace(setup):
    resolver, _, _, _ = setup
    trace = resolver.resolve("www.example.com.").trace
    assert (trace[0].kind, trace[0].depth, trace[0].qname) == (
        "resolution_started",
        0,
        "www.example.com.",
    )
    assert trace[-1].kind == "resolution_finished"
