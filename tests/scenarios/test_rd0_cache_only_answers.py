"""A query with RD=0 is answered from the cache only (Unbound's allow_snoop): what is cached
comes back, nothing cached is REFUSED with EDE 20, and no upstream query is ever sent."""

from __future__ import annotations

from dnslib import QTYPE, DNSRecord

from resolver.ede import EdeCode
from tests.scripted import (
    ROOTS,
    ScriptedNetwork,
    ask_nameserver,
    client_query,
    ede_options,
    small_internet,
)


def _norec(name: str) -> DNSRecord:
    return client_query(name, rd=False)


def _net() -> ScriptedNetwork:
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 A 127.9.0.1",
                         "alias.example.com. 300 CNAME www.example.com."])
    return net


def test_nothing_cached_is_refused_with_ede_20_and_nothing_is_sent():
    net = _net()
    with net.resolver(ROOTS) as resolver:
        reply = ask_nameserver(resolver, _norec("www.example.com."))
    assert reply.header.rcode == 5 and not reply.rr and reply.header.rd == 0
    [ede] = ede_options(reply)
    assert ede.code == EdeCode.NOT_AUTHORITATIVE
    assert net.sent == []


def test_cached_answers_and_negative_answers_come_back_without_upstream_queries():
    net = _net()
    with net.resolver(ROOTS) as resolver:
        resolver.query("www.example.com.")
        resolver.query("nope.example.com.")
        before = len(net.sent)
        answer = ask_nameserver(resolver, _norec("www.example.com."))
        assert answer.header.rcode == 0
        assert [str(rr.rdata) for rr in answer.rr] == ["127.9.0.1"]
        missing = ask_nameserver(resolver, _norec("nope.example.com."))
        assert missing.header.rcode == 3
        assert len(net.sent) == before


def test_a_cached_cname_whose_target_is_not_cached_gives_the_chain_so_far():
    net = _net()
    with net.resolver(ROOTS) as resolver:
        resolver.query("alias.example.com.", "CNAME")
        before = len(net.sent)
        reply = ask_nameserver(resolver, _norec("alias.example.com."))
        assert reply.header.rcode == 0
        assert [QTYPE.get(rr.rtype) for rr in reply.rr] == ["CNAME"]
        assert len(net.sent) == before


def test_the_library_call_never_walks():
    net = _net()
    with net.resolver(ROOTS) as resolver:
        import asyncio

        answer = asyncio.run(resolver.query_cached_async("www.example.com."))
        assert answer.rcode == 5 and answer.ede.code == EdeCode.NOT_AUTHORITATIVE
        assert net.sent == []
