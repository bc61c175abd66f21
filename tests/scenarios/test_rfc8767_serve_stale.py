"""Serve-stale (RFC 8767), off by default: when every server of a zone fails, expired data up to
a day old answers, with TTL 30 and EDE 3 (19 for NXDOMAIN); a zone that stays down costs one
walk per failure-cache period, not one per question; a denied delegation is never served stale."""

from __future__ import annotations

from resolver.ede import EdeCode
from resolver.stale import MAX_STALE_AGE, STALE_TTL
from tests.scripted import (
    ANY,
    COM,
    EXAMPLE1,
    EXAMPLE2,
    ROOTS,
    ScriptedNetwork,
    addresses,
    referral,
    small_internet,
    soa,
)


def _net() -> ScriptedNetwork:
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 A 127.9.0.1"])
    return net


def _zone_goes_down(net: ScriptedNetwork) -> None:
    net.host(EXAMPLE1, dead=True)
    net.host(EXAMPLE2, dead=True)


def test_off_by_default_expired_data_is_not_served():
    net = _net()
    with net.resolver(ROOTS) as resolver:
        resolver.query("www.example.com.")
        net.clock.advance(400)
        _zone_goes_down(net)
        assert resolver.query("www.example.com.").rcode == 2


def test_every_server_failing_serves_the_expired_answer_with_ttl_30_and_ede_3():
    net = _net()
    with net.resolver(ROOTS, serve_stale=True) as resolver:
        resolver.query("www.example.com.")
        net.clock.advance(400)
        _zone_goes_down(net)
        answer = resolver.query("www.example.com.")
        assert answer.rcode == 0 and addresses(answer) == ["127.9.0.1"]
        assert answer.ttl == STALE_TTL
        assert answer.ede.code == EdeCode.STALE_ANSWER and "example.com." in answer.ede.text
        assert any(e.kind == "cache_hit" and e.what == "stale" for e in answer.trace)
        # Back-off: the next question is answered stale at once, without upstream work.
        sent = len(net.sent)
        again = resolver.query("www.example.com.")
        assert addresses(again) == ["127.9.0.1"] and len(net.sent) == sent
        # The zone comes back: after the failure period a walk refreshes the data.
        net.host(EXAMPLE1, dead=False)
        net.host(EXAMPLE2, dead=False)
        net.clock.advance(10)
        fresh = resolver.query("www.example.com.")
        assert fresh.ede is None and fresh.ttl > STALE_TTL


def test_data_older_than_the_maximum_stale_age_is_not_served():
    net = _net()
    with net.resolver(ROOTS, serve_stale=True) as resolver:
        resolver.query("www.example.com.")
        net.clock.advance(300 + MAX_STALE_AGE + 1)
        _zone_goes_down(net)
        assert resolver.query("www.example.com.").rcode == 2


def test_a_stale_nxdomain_carries_ede_19():
    net = _net()
    with net.resolver(ROOTS, serve_stale=True) as resolver:
        assert resolver.query("nope.example.com.").rcode == 3
        net.clock.advance(400)
        _zone_goes_down(net)
        answer = resolver.query("nope.example.com.")
        assert answer.rcode == 3 and answer.ede.code == EdeCode.STALE_NXDOMAIN_ANSWER


def test_a_delegation_the_parent_now_denies_is_never_served_stale():
    net = _net()
    net.host(COM).replies.clear()
    net.script(COM, ANY, ANY, **referral(
        "example.com.", {"ns1.example.com.": EXAMPLE1, "ns2.example.com.": EXAMPLE2}, ttl=600))
    with net.resolver(ROOTS, serve_stale=True) as resolver:
        resolver.query("www.example.com.")
        net.clock.advance(4000)  # every NS set of example.com. expired: com. is asked again
        _zone_goes_down(net)
        net.host(COM).replies.clear()
        net.script(COM, ANY, ANY, rcode=3, aa=True, authority=[soa("com.")])
        answer = resolver.query("www.example.com.")
        assert answer.rcode == 3 and answer.ede is None


def test_the_nameserver_sends_the_stale_answer_with_the_ede_option():
    from tests.scripted import ask_nameserver, client_query, ede_options

    net = _net()
    with net.resolver(ROOTS, serve_stale=True) as resolver:
        resolver.query("www.example.com.")
        net.clock.advance(400)
        _zone_goes_down(net)
        reply = ask_nameserver(resolver, client_query("www.example.com."))
    assert reply.header.rcode == 0 and [rr.ttl for rr in reply.rr] == [STALE_TTL]
    [ede] = ede_options(reply)
    assert ede.code == EdeCode.STALE_ANSWER


def test_a_client_still_waiting_at_the_deadline_gets_stale_data_while_the_walk_goes_on():
    import asyncio
    import threading

    net = _net()
    with net.resolver(ROOTS, serve_stale=True, stale_answer_deadline=0.05) as resolver:
        resolver.query("www.example.com.")
        net.clock.advance(400)
        held = threading.Event()  # the zone's servers answer only once released
        net.host(EXAMPLE1, hold=held)
        net.host(EXAMPLE2, hold=held)
        try:
            answer = resolver.query("www.example.com.")
            assert addresses(answer) == ["127.9.0.1"] and answer.ttl == STALE_TTL
            assert answer.ede.code == EdeCode.STALE_ANSWER and "still resolving" in answer.ede.text
        finally:
            held.set()

        async def walks_done() -> None:
            tasks = [entry.task for entry in resolver._inflight.values()]
            if tasks:
                await asyncio.wait(tasks)

        resolver._run(walks_done())
        fresh = resolver.query("www.example.com.")  # the walk refreshed the cache meanwhile
        assert fresh.from_cache and fresh.ede is None and fresh.ttl > STALE_TTL


def test_without_stale_data_the_client_waits_for_the_walk():
    import threading

    net = _net()
    with net.resolver(ROOTS, serve_stale=True, stale_answer_deadline=0.0) as resolver:
        held = threading.Event()
        held.set()  # the servers answer at once; the deadline passes before any walk ends
        net.host(EXAMPLE1, hold=held)
        answer = resolver.query("www.example.com.")
        assert addresses(answer) == ["127.9.0.1"] and answer.ede is None
