"""Prefetch (Unbound's rule): an answer asked for in the last 10 % of its TTL is refreshed in the
background, once at a time, so the next client finds fresh data; off by default."""

from __future__ import annotations

import asyncio

from resolver.prefetch import prefetch_due
from tests.scripted import ROOTS, ScriptedNetwork, addresses, small_internet

WWW = "www.example.com. 300 A 127.9.0.1"


def _settle(resolver) -> None:
    """Let the background refreshes started so far finish (on the resolver's own loop)."""
    resolver._run(resolver.iterator.refreshes_done())


def test_an_answer_asked_for_late_in_its_ttl_is_refreshed_in_the_background():
    net = ScriptedNetwork()
    small_internet(net, [WWW])
    with net.resolver(ROOTS, prefetch=True) as resolver:
        resolver.query("www.example.com.")
        net.clock.advance(200)  # a third left: no prefetch
        assert resolver.query("www.example.com.").from_cache
        _settle(resolver)
        assert len(net.asked("www.example.com.", "A")) == 1
        net.clock.advance(75)  # 25 s of 300 left: under 10 %
        late = resolver.query("www.example.com.")
        assert late.from_cache and late.ttl == 25  # this client is answered at once
        _settle(resolver)
        assert len(net.asked("www.example.com.", "A")) == 2
        net.clock.advance(30)  # past the old expiry: the refreshed data answers
        after = resolver.query("www.example.com.")
        assert after.from_cache and after.ttl > 250 and addresses(after) == ["127.9.0.1"]
        assert resolver.stats()["prefetches"] == 1


def test_one_refresh_in_flight_per_question():
    net = ScriptedNetwork()
    small_internet(net, [WWW])
    with net.resolver(ROOTS, prefetch=True) as resolver:
        resolver.query("www.example.com.")
        net.clock.advance(280)
        iterator = resolver.iterator

        async def two_clients() -> None:
            walks = [iterator.resolution("www.example.com.", 1) for _ in range(2)]
            await asyncio.gather(*(iterator.run(w) for w in walks))
            await iterator.refreshes_done()

        resolver._run(two_clients())
        assert len(net.asked("www.example.com.", "A")) == 2  # the first walk and one refresh


def test_off_by_default():
    net = ScriptedNetwork()
    small_internet(net, [WWW])
    with net.resolver(ROOTS) as resolver:
        resolver.query("www.example.com.")
        net.clock.advance(290)
        resolver.query("www.example.com.")
        _settle(resolver)
        assert len(net.asked("www.example.com.", "A")) == 1


def test_the_rule():
    assert prefetch_due(30, 300) and not prefetch_due(31, 300) and not prefetch_due(0, 0)


def test_the_nameserver_prefetches_an_answer_it_serves_late_in_its_ttl():
    from dnslib import QTYPE, DNSQuestion, DNSRecord

    from resolver.server import ServerConfig
    from resolver.server.nameserver import Nameserver

    net = ScriptedNetwork()
    small_internet(net, [WWW])
    with net.resolver(ROOTS, prefetch=True) as resolver:
        nameserver = Nameserver(ServerConfig(), resolver, clock=net.clock)
        wire = bytes(DNSRecord(q=DNSQuestion("www.example.com.", QTYPE.A)).pack())

        class Channel:
            udp = True
            replies: list[bytes] = []

            def deferred(self) -> None:
                pass

            def deliver(self, reply: bytes, client: tuple) -> None:
                self.replies.append(reply)

        async def run() -> None:
            channel = Channel()
            assert nameserver.handle(wire, ("127.0.0.1", 5000), channel) is None  # a miss
            await nameserver.drain(30.0)
            nameserver.closing = False
            net.clock.advance(280)
            hit = nameserver.handle(wire, ("127.0.0.1", 5000), channel)  # 20 s of 300 left
            assert DNSRecord.parse(hit).rr[0].ttl == 20
            await asyncio.gather(*nameserver._tasks)
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
                resolver.iterator.refreshes_done(), resolver._loop))

        asyncio.run(run())
        assert len(net.asked("www.example.com.", "A")) == 2
