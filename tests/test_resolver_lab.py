"""The resolver walking the lab internet over real loopback UDP/TCP: every lab scenario."""

from __future__ import annotations

import asyncio
import threading

import pytest
from dnslib import QTYPE, RCODE

from resolver import (
    NXDOMAIN,
    InvalidName,
    LifetimeTimeout,
    NoAnswer,
    NoNameservers,
    Resolver,
)
from resolver.infra import BACKOFF_AFTER
from resolver.lab import FORGED_ADDRESS, Fault
from resolver.limits import Limits
from resolver.records import Name
from resolver.trace import (
    CnameRestart,
    LimitReached,
    Problem,
    QuerySent,
    Referral,
    ResolutionStarted,
    SendReason,
    ServerTimeout,
)


@pytest.fixture
def resolver(lab):
    with Resolver.for_lab(lab) as r:
        yield r


def addresses(answer) -> list[str]:
    return sorted(rdata.address for rdata in answer)


def scenario(lab, name):
    s = lab.scenario(name)
    return s.qname, s.qtype


def test_deep_name_walks_root_edu_cornell_cs(lab, resolver):
    answer = resolver.resolve(*scenario(lab, "deep_name"))
    assert addresses(answer) == ["127.42.10.81"]
    assert answer.response.authority == []  # minimal responses: no NS set riding along
    referrals = [e.to_zone for e in answer.trace if isinstance(e, Referral)]
    assert referrals == ["edu.", "cornell.edu.", "cs.cornell.edu."]
    zones_asked = [e.zone for e in answer.trace  # the walk, not the validator's DS/DNSKEY
                   if isinstance(e, QuerySent) and e.qname != "." and e.depth == 0]
    assert zones_asked == [".", "edu.", "cornell.edu.", "cs.cornell.edu."]
    assert not answer.from_cache


def test_cold_cache_primes_the_root_ns_set(lab, resolver):
    answer = resolver.resolve("www.example.com.")
    first = next(e for e in answer.trace if isinstance(e, QuerySent))
    assert (first.qname, first.qtype, first.zone) == (".", "NS", ".")


def test_second_resolution_sends_no_upstream_query(lab, resolver):
    qname, qtype = scenario(lab, "deep_name")
    resolver.resolve(qname, qtype)
    before = lab.query_count()
    again = resolver.resolve(qname, qtype)
    assert again.from_cache and again.upstream_queries == 0
    assert lab.query_count() == before
    assert addresses(again) == ["127.42.10.81"]


def test_sibling_name_skips_root_and_tld(lab, resolver):
    resolver.resolve("www.cs.cornell.edu.")
    lab.reset_counters()
    with pytest.raises(NXDOMAIN):
        resolver.resolve("ftp.cs.cornell.edu.")
    hosts = {entry.host for entry in lab.query_log}
    assert hosts == {"ns.cs.cornell.edu."}
    lab.reset_counters()
    resolver.resolve("www.cornell.edu.")  # one level up: starts at cornell.edu, not the root
    assert {entry.host for entry in lab.query_log} <= {"ns1.cornell.edu.", "ns2.cornell.edu."}


def test_mixed_case_name(lab, resolver):
    answer = resolver.resolve("WwW.Cs.CoRnElL.EdU", "a")
    assert addresses(answer) == ["127.42.10.81"]
    assert str(answer.qname) == "WwW.Cs.CoRnElL.EdU."
    assert resolver.resolve("www.cs.cornell.edu.").from_cache


def test_cname_inside_a_zone(lab, resolver):
    answer = resolver.resolve(*scenario(lab, "cname"))
    assert answer.canonical_name == Name.from_text("www.example.com.")
    assert [QTYPE.get(rrset.rdtype) for rrset in answer.response.answer] == ["CNAME", "A"]


def test_cname_chain_across_three_tlds(lab, resolver):
    answer = resolver.resolve(*scenario(lab, "cname_chain"))
    chain = [str(rrset.name) for rrset in answer.response.answer if rrset.rdtype == QTYPE.CNAME]
    assert chain == ["chain.example.com.", "chain.example.net."]
    assert str(answer.canonical_name) == "chain.example.org."
    assert len(answer.rrset) == 1
    restarts = [(e.from_name, e.to_name) for e in answer.trace if isinstance(e, CnameRestart)]
    assert restarts == [
        ("chain.example.com.", "chain.example.net."),
        ("chain.example.net.", "chain.example.org."),
    ]


def test_glueless_delegation_resolves_ns_address_first(lab, resolver):
    answer = resolver.resolve(*scenario(lab, "glueless"))
    assert addresses(answer) == ["127.42.30.80"]
    nested = [e for e in answer.trace if isinstance(e, ResolutionStarted) and e.depth == 1]
    assert nested and nested[0].qname.endswith("dns-host.net.")


def test_nxdomain_with_soa(lab, resolver):
    with pytest.raises(NXDOMAIN) as caught:
        resolver.resolve(*scenario(lab, "nxdomain"))
    answer = caught.value.answer
    assert answer.rcode == RCODE.NXDOMAIN
    assert [QTYPE.get(rrset.rdtype) for rrset in answer.response.authority] == ["SOA"]
    assert "nonexistent.example.com." in str(caught.value)


@pytest.mark.parametrize("name", ["nodata", "empty_non_terminal", "wildcard_existing_name"])
def test_nodata_cases(lab, resolver, name):
    with pytest.raises(NoAnswer) as caught:
        resolver.resolve(*scenario(lab, name))
    assert caught.value.answer.rcode == RCODE.NOERROR
    authority = caught.value.answer.response.authority
    assert [QTYPE.get(rrset.rdtype) for rrset in authority] == ["SOA"]


def test_wildcard(lab, resolver):
    answer = resolver.resolve(*scenario(lab, "wildcard"))
    assert str(answer.rrset.name) == "anything.wild.example.com." and len(answer) == 1
    with pytest.raises(NXDOMAIN):
        resolver.resolve(*scenario(lab, "wildcard_below_existing"))


def test_rrset_over_512_fits_in_edns_udp(lab, resolver):
    answer = resolver.resolve(*scenario(lab, "large_over_512"))
    assert len(answer.rrset) > 1
    protocols = {e.protocol for e in answer.trace if isinstance(e, QuerySent)}
    assert protocols == {"udp"}


def test_rrset_over_1232_is_fetched_over_tcp(lab, resolver):
    answer = resolver.resolve(*scenario(lab, "large_over_1232"))
    size = sum(len(rdata.to_text()) for rdata in answer)
    assert size > 1232
    last_two = [e.protocol for e in answer.trace if isinstance(e, QuerySent) and e.depth == 0][-2:]
    assert last_two == ["udp", "tcp"]


def test_dead_lame_and_working_servers(lab, resolver):
    answer = resolver.resolve(*scenario(lab, "flaky_servers"))
    assert addresses(answer) == ["127.42.23.80"]


def test_a_dead_server_costs_a_few_timeouts_for_a_run_of_queries(lab, resolver):
    # Selection prefers the measured working server and explores others about 5 % of the time;
    # a server is backed off after BACKOFF_AFTER timeouts in a row, then skipped.
    for i in range(60):
        with pytest.raises(NXDOMAIN):
            resolver.resolve(f"n{i}.flaky.com.")
    for rtype in ("A", "AAAA", "TXT", "MX", "SRV", "CAA"):
        resolver.query("www.flaky.com.", rtype)
    assert lab.query_count("ns1.flaky.com.") <= BACKOFF_AFTER
    assert resolver.stats()["timeouts"] == lab.query_count("ns1.flaky.com.")


def test_timeout_shows_in_the_trace_and_the_next_server_answers(lab):
    lab.set_fault("ns1.flaky.com.", Fault.dead())
    lab.set_fault("ns3.flaky.com.", Fault.dead())
    lab.set_fault("ns2.flaky.com.", None)  # now the only working one
    # Server order is random among untried servers: a fresh resolver until one hits a dead one.
    for _ in range(20):
        with Resolver.for_lab(lab) as r:
            answer = r.resolve("www.flaky.com.")
        timeouts = [e for e in answer.trace if isinstance(e, ServerTimeout)]
        if timeouts:
            break
    assert timeouts, "no resolution tried a dead server first in 20 attempts"
    assert addresses(answer) == ["127.42.23.80"]
    assert {e.address for e in timeouts} <= {"127.42.23.1", "127.42.23.3"}
    last_query = [e for e in answer.trace if isinstance(e, QuerySent) and e.depth == 0][-1]
    assert last_query.address == "127.42.23.2"
    assert last_query.why == SendReason.NEXT_SERVER


def test_cname_loop_is_servfail_fast(lab, resolver):
    with pytest.raises(NoNameservers) as caught:
        resolver.resolve(*scenario(lab, "cname_loop"))
    answer = caught.value.answer
    assert answer.rcode == RCODE.SERVFAIL
    assert any(isinstance(e, LimitReached) for e in answer.trace)
    assert len([e for e in answer.trace if isinstance(e, QuerySent) and e.depth == 0]) < 15


def test_cyclic_glueless_is_servfail_fast(lab, resolver):
    with pytest.raises(NoNameservers) as caught:
        resolver.resolve(*scenario(lab, "cyclic_glueless"))
    assert caught.value.answer.upstream_queries < 15


def test_forged_out_of_bailiwick_record_is_never_cached_or_returned(lab, resolver):
    evil = resolver.resolve(*scenario(lab, "malicious"))
    sections = evil.response.answer + evil.response.authority
    assert all(FORGED_ADDRESS not in rrset.to_text() for rrset in sections)
    cached = resolver.iterator.cache.get("www.bank.com.", QTYPE.A)
    assert cached is None or FORGED_ADDRESS not in {str(rr.rdata) for rr in cached.records}
    bank = resolver.resolve(*scenario(lab, "poisoning_target"))
    assert addresses(bank) == ["127.42.25.80"]
    assert not bank.from_cache


@pytest.mark.parametrize("name", ["mx", "txt", "srv", "ptr", "caa", "aaaa", "slow"])
def test_record_types(lab, resolver, name):
    answer = resolver.resolve(*scenario(lab, name))
    qname, qtype = scenario(lab, name)
    assert len(answer) > 0 and all(rdata.rdtype == qtype for rdata in answer)


def test_identical_concurrent_questions_share_one_walk(lab, resolver):
    # The slow host answers 0.4 s late, so the second question surely arrives mid-walk.
    async def both():
        return await asyncio.gather(
            resolver.resolve_async("www.slow.net."), resolver.resolve_async("WWW.slow.net.")
        )

    first, second = asyncio.run(both())
    assert addresses(first) == addresses(second) == ["127.42.26.80"]
    assert str(second.qname) == "WWW.slow.net."
    assert resolver.stats()["deduplicated"] == 1
    assert lab.query_count("ns.slow.net.") == 1


def test_safe_from_many_threads(lab, resolver):
    names = ["www.cs.cornell.edu.", "www.example.com.", "www.example.net.", "www.glueless.org."]
    results: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            results[name] = addresses(resolver.resolve(name))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in names * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors and set(results) == set(names)


def test_slow_server_past_the_deadline_is_a_lifetime_timeout(lab):
    lab.set_fault("ns.slow.net.", Fault.slow(3.0))
    with Resolver.for_lab(lab, lifetime=0.5) as r, pytest.raises(LifetimeTimeout):
        r.resolve("www.slow.net.")


def test_referral_outside_allowed_networks_is_not_followed(lab):
    # Allow only the root and TLD servers' block: the walk must stop, not query elsewhere.
    with Resolver(
        root_hints=lab.hints_path, upstream_port=lab.port, allowed_networks=["127.42.0.0/23"]
    ) as r:
        answer = r.query("www.cs.cornell.edu.")
    assert answer.rcode == RCODE.SERVFAIL
    assert all(e.address.startswith("127.42.") for e in answer.trace if isinstance(e, QuerySent))
    assert not any(
        e.address.startswith("127.42.10.") for e in answer.trace if isinstance(e, QuerySent)
    )
    assert any(getattr(e, "problem", None) == Problem.FORBIDDEN for e in answer.trace)


@pytest.mark.parametrize(
    ("limit", "value", "scenario_name"),
    [
        ("max_upstream_queries", 2, "deep_name"),
        ("max_referrals", 2, "deep_name"),
        ("max_cname_links", 1, "cname_chain"),
        ("max_subresolution_depth", 0, "glueless"),
        ("max_ns_lookups_per_delegation", 0, "glueless"),
        ("max_subresolutions", 0, "glueless"),
    ],
)
def test_each_limit_ends_in_servfail(lab, limit, value, scenario_name):
    with Resolver.for_lab(lab, limits=Limits(**{limit: value})) as r:
        answer = r.query(*scenario(lab, scenario_name))
    assert answer.rcode == RCODE.SERVFAIL
    assert limit in {e.limit for e in answer.trace if isinstance(e, LimitReached)}


@pytest.mark.parametrize(
    "bad",
    ["a" * 64 + ".example.com", ("a" * 60 + ".") * 5 + "com", "www..example.com", "", "   "],
)
def test_invalid_names_raise_invalid_name(resolver, bad):
    with pytest.raises(InvalidName):
        resolver.resolve(bad)


def test_unknown_type_is_invalid(resolver):
    with pytest.raises(InvalidName, match="unknown record type"):
        resolver.resolve("www.example.com", "NOTATYPE")
