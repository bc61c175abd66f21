"""Forward zones (names sent to recursive resolvers, RD=1, failover, TCP on truncation, answers
cached) and stub zones (configured zone cuts; the walk continues below them), as Unbound's
forward-zone and stub-zone."""

from __future__ import annotations

from dnslib import RCODE

from resolver import trace
from tests.scripted import (
    ANY,
    EXAMPLE1,
    ROOT,
    ROOTS,
    ScriptedNetwork,
    addresses,
    referral,
    small_internet,
    soa,
)

FORWARDER1 = "127.2.0.1"
FORWARDER2 = "127.2.0.2"
CORP = "127.3.0.1"
CORP_CHILD = "127.3.1.1"


def test_a_forward_zone_sends_its_names_to_the_forwarder_and_never_walks():
    net = ScriptedNetwork()
    small_internet(net)
    net.script(FORWARDER1, "www.corp.", "A", ra=True, answer=["www.corp. 300 A 10.1.1.1"])
    with net.resolver(ROOTS, forward_zones={"corp.": [FORWARDER1]}) as resolver:
        answer = resolver.query("www.corp.")
        assert addresses(answer) == ["10.1.1.1"]
        assert [s.address for s in net.sent] == [FORWARDER1]
        again = resolver.query("www.corp.")  # cached as usual
        assert addresses(again) == ["10.1.1.1"] and len(net.sent) == 1
        assert addresses(resolver.query("www.example.com.", "A")) == []  # walked, not forwarded
        assert any(s.address == ROOT for s in net.sent)


def test_a_dead_forwarder_fails_over_to_the_next_and_is_avoided_afterwards():
    net = ScriptedNetwork()
    net.host(FORWARDER1, dead=True)
    for i in range(3):
        net.script(FORWARDER2, f"h{i}.corp.", "A", ra=True, answer=[f"h{i}.corp. 300 A 10.0.0.{i}"])
    with net.resolver(ROOTS, forward_zones={".": [FORWARDER1, FORWARDER2]}) as resolver:
        assert addresses(resolver.query("h0.corp.")) == ["10.0.0.0"]
        assert [s.address for s in net.sent] == [FORWARDER1, FORWARDER2]
        assert addresses(resolver.query("h1.corp.")) == ["10.0.0.1"]
        assert addresses(resolver.query("h2.corp.")) == ["10.0.0.2"]
        assert len(net.queries_to(FORWARDER1)) == 1  # the dead one is tried last from now on


def test_truncated_forwarded_answers_are_asked_again_over_tcp():
    net = ScriptedNetwork()
    big = [f"big.corp. 300 TXT \"{'x' * 200}{i}\"" for i in range(8)]
    net.script(FORWARDER1, "big.corp.", "TXT", ra=True, tc_over_udp=True, answer=big)
    with net.resolver(ROOTS, forward_zones={"corp": [FORWARDER1]}) as resolver:
        answer = resolver.query("big.corp.", "TXT")
        assert len(answer.answer_records) == 8
        assert [s.protocol for s in net.sent] == ["udp", "tcp"]


def test_forwarded_nxdomain_is_cached_by_its_soa_and_servfail_when_every_forwarder_fails():
    net = ScriptedNetwork()
    net.script(FORWARDER1, "nope.corp.", "A", ra=True, rcode=RCODE.NXDOMAIN,
               authority=[soa("corp.", minimum=60)])
    net.script(FORWARDER1, "broken.corp.", "A", ra=True, rcode=RCODE.SERVFAIL)
    net.host(FORWARDER2, dead=True)
    with net.resolver(ROOTS, forward_zones={"corp.": [FORWARDER1, FORWARDER2]}) as resolver:
        assert resolver.query("nope.corp.").rcode == RCODE.NXDOMAIN
        assert resolver.query("nope.corp.").rcode == RCODE.NXDOMAIN
        assert len(net.asked("nope.corp.", "A")) == 1
        assert resolver.query("broken.corp.").rcode == RCODE.SERVFAIL


def test_a_stub_zone_starts_the_walk_at_its_servers_and_follows_referrals_below():
    net = ScriptedNetwork()
    small_internet(net)
    net.script(CORP, ANY, ANY, **referral("eng.corp.", {"ns.eng.corp.": CORP_CHILD}))
    net.script(CORP, "corp.", "SOA", aa=True, answer=[soa("corp.")])
    net.zone(CORP_CHILD, apex="eng.corp.", records=[
        "eng.corp. 300 NS ns.eng.corp.", f"ns.eng.corp. 300 A {CORP_CHILD}", soa("eng.corp."),
        "build.eng.corp. 300 A 10.2.0.1"])
    with net.resolver(ROOTS, stub_zones={"corp.": [CORP]}) as resolver:
        answer = resolver.query("build.eng.corp.")
        assert addresses(answer) == ["10.2.0.1"]
        assert [s.address for s in net.sent] == [CORP, CORP_CHILD]
    chosen = [e for e in answer.trace if isinstance(e, trace.ZoneCutChosen)]
    assert chosen and chosen[0].source == trace.CutSource.STUB and chosen[0].zone == "corp."
    assert not any(s.address == ROOT for s in net.sent)


def test_stub_and_forward_zones_are_checked_when_the_resolver_is_made():
    import pytest

    from resolver.errors import ResolverError

    net = ScriptedNetwork()
    with pytest.raises(ResolverError, match="not an IP address"):
        net.resolver(ROOTS, forward_zones={"corp.": ["ns.corp"]})
    with pytest.raises(ResolverError, match="has no servers"):
        net.resolver(ROOTS, stub_zones={"corp.": []})
    assert EXAMPLE1  # the small internet's address space is untouched by these
