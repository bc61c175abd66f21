"""A random-subdomain flood against a small cache: the cache stays within its bytes, the names
in use stay cached, the oldest never-seen names leave first, and every answer is unchanged."""

from __future__ import annotations

from dnslib import QTYPE, RCODE

from resolver.memory import ResolverShares
from tests.scripted import ROOTS, ScriptedNetwork, records, small_internet


def test_a_flood_of_never_seen_names_keeps_the_cache_within_its_bytes():
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 3600 A 127.9.0.1"])
    with net.resolver(ROOTS, cache_size="256K") as resolver:
        cache = resolver.iterator.cache
        assert cache.max_bytes == ResolverShares.of(256 * 1024).rrsets
        for i in range(1500):
            answer = resolver.query(f"flood{i}.example.com.")
            assert answer.rcode == RCODE.NXDOMAIN
            assert cache.used_bytes <= cache.max_bytes
            if i % 50 == 0:  # a name in use, asked all along: kept, answered from the cache
                www = resolver.query("www.example.com.")
                assert [r[3] for r in records(www)] == ["127.9.0.1"]
                assert www.from_cache or i == 0
        assert cache.get_negative("flood1499.example.com.", QTYPE.A) is not None
        assert cache.get_negative("flood0.example.com.", QTYPE.A) is None  # oldest out first
        assert 300 < len(cache) < 1500  # hundreds of small entries fit, not all of them
        # An evicted name is simply asked again, with the same answer.
        before = len(net.asked("flood0.example.com.", "A"))
        assert resolver.query("flood0.example.com.").rcode == RCODE.NXDOMAIN
        assert len(net.asked("flood0.example.com.", "A")) == before + 1
