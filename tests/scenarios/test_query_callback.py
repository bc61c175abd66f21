"""`Resolver.query_callback`: how a server on the resolver's loop hears a miss's answer without a
future. The callback is called exactly once with the walk's Answer (or the failure), whether the
known-cut shortcut answers, the walk takes the question over, or the resolver closes meanwhile;
identical questions in flight share one walk with `query_async` callers.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from resolver.errors import InvalidName, NoMetaqueries, ResolverClosed
from tests.scripted import EXAMPLE1, EXAMPLE2, ROOTS, ScriptedNetwork, records, small_internet


def internet() -> ScriptedNetwork:
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 A 192.0.2.80"])
    return net


class Heard:
    """A callback that keeps what it was called with."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.arrived = asyncio.Event()

    def __call__(self, answer, error) -> None:
        self.calls.append((answer, error))
        self.arrived.set()


def run_on_loop(net: ScriptedNetwork, body, warm: bool = True):
    """Run `body(resolver)` on a loop the resolver is bound to (as `resolve serve` does), after
    a lookup that caches example.com.'s zone cut."""
    resolver = net.resolver(ROOTS)

    async def run():
        assert resolver.bind_to_running_loop()
        if warm:
            await resolver.query_async("www.example.com.", "A")
        return await body(resolver)

    try:
        return asyncio.run(run())
    finally:
        resolver.close()


@pytest.mark.parametrize("callback_first", [True, False])
def test_the_callback_gets_the_walks_answer_once_and_shares_it_with_query_async(callback_first):
    net = internet()
    held = threading.Event()

    async def body(resolver):
        net.host(EXAMPLE1, hold=held)  # the reply waits until both callers are in
        net.host(EXAMPLE2, hold=held)
        heard = Heard()
        before = len(net.sent)
        if callback_first:
            assert resolver.query_callback("nx1.example.com.", "A", "IN", heard)
        joined = asyncio.ensure_future(resolver.query_async("NX1.example.com.", "A", trace=False))
        await asyncio.sleep(0)  # the query_async caller is in: joined, or started the walk
        if not callback_first:
            assert resolver.query_callback("nx1.example.com.", "A", "IN", heard)
        held.set()
        await asyncio.wait_for(heard.arrived.wait(), 10)
        return heard.calls, await joined, net.sent[before:], resolver.stats()

    try:
        calls, joined, sent, stats = run_on_loop(net, body)
    finally:
        held.set()
    assert len(calls) == 1
    answer, error = calls[0]
    assert error is None and answer.rcode == 3 and joined.rcode == 3
    assert len(sent) == 1  # one walk, one query, for both callers
    assert stats["deduplicated"] == 1 and stats["in_flight"] == 0


def test_an_answer_the_cache_holds_is_called_back_before_query_callback_returns():
    net = internet()

    async def body(resolver):
        heard = Heard()
        before = len(net.sent)
        resolver.query_callback("www.example.com.", "A", "IN", heard)
        return list(heard.calls), len(net.sent) - before

    calls, sent = run_on_loop(net, body)
    assert sent == 0
    assert [(records(answer), error) for answer, error in calls] == [
        ([("www.example.com.", "A", 300, "192.0.2.80")], None)]


def test_the_walk_that_takes_over_without_a_known_cut_still_calls_back():
    net = internet()

    async def body(resolver):
        heard = Heard()
        resolver.query_callback("www.example.com.", "A", "IN", heard)
        await asyncio.wait_for(heard.arrived.wait(), 10)
        return heard.calls

    calls = run_on_loop(net, body, warm=False)  # nothing cached: primed from the root
    assert [(records(answer), error) for answer, error in calls] == [
        ([("www.example.com.", "A", 300, "192.0.2.80")], None)]


def test_the_walk_that_takes_over_after_a_lost_datagram_still_calls_back():
    net = internet()

    async def body(resolver):
        net.host(EXAMPLE1, lose=1)
        net.host(EXAMPLE2, lose=1)
        heard = Heard()
        resolver.query_callback("nx2.example.com.", "A", "IN", heard)
        await asyncio.wait_for(heard.arrived.wait(), 10)
        await asyncio.sleep(0)  # a second call would come with the walk task's callbacks
        return heard.calls

    calls = run_on_loop(net, body)
    assert len(calls) == 1 and calls[0][0].rcode == 3 and calls[0][1] is None


def test_a_failing_walk_reaches_the_callback_and_the_awaiting_caller_alike():
    net = internet()

    async def body(resolver):
        def broken(*args):
            raise RuntimeError("a bug in making the answer")

        resolver._answer = broken
        heard = Heard()
        resolver.query_callback("nx3.example.com.", "A", "IN", heard)
        joined = asyncio.ensure_future(resolver.query_async("nx3.example.com.", "A", trace=False))
        await asyncio.wait_for(heard.arrived.wait(), 10)
        with pytest.raises(RuntimeError):
            await joined
        return heard.calls

    calls = run_on_loop(net, body)
    assert [(answer, str(error)) for answer, error in calls] == [
        (None, "a bug in making the answer")]


def test_a_question_that_cannot_be_asked_raises_and_never_calls_back():
    net = internet()

    async def body(resolver):
        heard = Heard()
        for name, rdtype in (("a..example.com.", "A"), ("example.com.", "IXFR")):
            with pytest.raises((InvalidName, NoMetaqueries)):
                resolver.query_callback(name, rdtype, "IN", heard)
        return heard.calls

    assert run_on_loop(net, body) == []


def test_closing_the_resolver_mid_walk_calls_back_once_with_cancelled_error():
    net = internet()
    held = threading.Event()

    async def body(resolver):
        net.host(EXAMPLE1, hold=held)
        net.host(EXAMPLE2, hold=held)
        heard = Heard()
        resolver.query_callback("nx4.example.com.", "A", "IN", heard)
        joined = asyncio.ensure_future(resolver.query_async("nx4.example.com.", "A", trace=False))
        await asyncio.sleep(0)
        resolver.close()
        await asyncio.wait_for(heard.arrived.wait(), 10)
        with pytest.raises(ResolverClosed):
            await joined
        held.set()
        with pytest.raises(ResolverClosed):
            resolver.query_callback("nx5.example.com.", "A", "IN", heard)
        return heard.calls

    try:
        calls = run_on_loop(net, body)
    finally:
        held.set()
    assert len(calls) == 1
    assert calls[0][0] is None and isinstance(calls[0][1], asyncio.CancelledError)


def test_a_callback_that_raises_is_logged_and_the_others_are_still_called(caplog):
    net = internet()

    async def body(resolver):
        def broken(answer, error):
            raise ValueError("the caller's bug")

        heard = Heard()
        resolver.query_callback("nx6.example.com.", "A", "IN", broken)
        resolver.query_callback("nx6.example.com.", "A", "IN", heard)
        await asyncio.wait_for(heard.arrived.wait(), 10)
        return heard.calls

    with caplog.at_level(logging.ERROR, logger="resolver.api"):
        calls = run_on_loop(net, body)
    assert len(calls) == 1 and calls[0][0].rcode == 3
    assert "query_callback callback failed" in caplog.text


def test_off_the_resolvers_loop_it_declines_and_never_calls_back():
    net = internet()
    with net.resolver(ROOTS) as resolver:
        resolver.query("www.example.com.", "A")  # the resolver's own loop thread runs
        heard = Heard()

        async def elsewhere():
            return resolver.query_callback("www.example.com.", "A", "IN", heard)

        assert asyncio.run(elsewhere()) is False
        assert heard.calls == []
