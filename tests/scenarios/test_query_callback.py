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
from dnslib import DNSRecord

from resolver.errors import InvalidName, NoMetaqueries, ResolverClosed
from resolver.server import ServerConfig
from resolver.server.nameserver import Nameserver
from tests.scripted import (
    EXAMPLE1,
    EXAMPLE2,
    ROOTS,
    ScriptedNetwork,
    client_query,
    ede_options,
    records,
    small_internet,
)


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


def test_a_walk_run_as_a_task_of_its_own_calls_back_when_it_ends():
    """Without a shared cache every question is walked as a task (no shortcut): its callers
    are called back from the task's end, once, and share it with query_async callers."""
    net = internet()
    resolver = net.resolver(ROOTS, use_cache=False)

    async def run():
        assert resolver.bind_to_running_loop()
        heard = Heard()
        resolver.query_callback("www.example.com.", "A", "IN", heard)
        joined = await resolver.query_async("www.example.com.", "A", trace=False)
        await asyncio.wait_for(heard.arrived.wait(), 10)
        await asyncio.sleep(0)  # a second call would come on a later turn
        return heard.calls, joined, resolver.stats()

    try:
        calls, joined, stats = asyncio.run(run())
    finally:
        resolver.close()
    assert [(records(answer), error) for answer, error in calls] == [
        (records(joined), None)] == [([("www.example.com.", "A", 300, "192.0.2.80")], None)]
    assert stats["deduplicated"] == 1


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


# ---- the nameserver on the resolver's loop: its misses are heard through query_callback --------


class Replies:
    """A UDP channel that keeps what the nameserver delivers, by client."""

    udp = True

    def __init__(self) -> None:
        self.got: list[tuple[tuple, DNSRecord]] = []
        self.arrived = asyncio.Event()

    def deferred(self) -> None:
        pass

    def deliver(self, reply: bytes, client: tuple) -> None:
        self.got.append((client, DNSRecord.parse(reply)))
        self.arrived.set()


def serve(net: ScriptedNetwork, body, **config):
    """Run `body(nameserver, resolver, replies)` with a Nameserver whose resolver is bound to
    its loop (as `resolve serve` runs), after a lookup that caches example.com.'s zone cut."""
    resolver = net.resolver(ROOTS)

    async def run():
        nameserver = Nameserver(ServerConfig(**config), resolver)
        assert nameserver.bind_resolver()
        await resolver.query_async("www.example.com.", "A")
        return await body(nameserver, resolver, Replies())

    try:
        return asyncio.run(run())
    finally:
        resolver.close()


def ask(nameserver: Nameserver, replies: Replies, name: str, port: int, *, edns: bool = True):
    query = client_query(name, edns=edns)
    query.header.id = port
    assert nameserver.handle(bytes(query.pack()), ("127.0.0.1", port), replies) is None


async def settled(nameserver: Nameserver, replies: Replies, count: int) -> None:
    while len(replies.got) < count:
        replies.arrived.clear()
        await asyncio.wait_for(replies.arrived.wait(), 10)
    await nameserver.drain(10)  # and nothing else comes


def test_clients_waiting_on_one_miss_share_the_walk_and_each_get_their_reply():
    net = internet()

    async def body(nameserver, resolver, replies):
        before = len(net.sent)
        ask(nameserver, replies, "nx7.example.com.", 1)
        ask(nameserver, replies, "NX7.example.com.", 2)  # the same question, another spelling
        ask(nameserver, replies, "nx7.example.com.", 3, edns=False)  # another reply variant
        await settled(nameserver, replies, 3)
        return replies.got, net.sent[before:], nameserver.snapshot()

    got, sent, snapshot = serve(net, body)
    assert sorted((client[1], reply.header.id, reply.header.rcode, str(reply.q.qname),
                   bool(reply.ar)) for client, reply in got) == [
        (1, 1, 3, "nx7.example.com.", True), (2, 2, 3, "NX7.example.com.", True),
        (3, 3, 3, "nx7.example.com.", False)]
    assert len(sent) == 1  # one walk for all three
    assert snapshot["cache_misses"] == 3 and snapshot["resolution_errors"] == 0


def test_a_resolver_closed_mid_miss_gives_its_clients_one_servfail_each():
    net = internet()
    held = threading.Event()

    async def body(nameserver, resolver, replies):
        net.host(EXAMPLE1, hold=held)
        net.host(EXAMPLE2, hold=held)
        ask(nameserver, replies, "nx8.example.com.", 1)
        ask(nameserver, replies, "nx8.example.com.", 2)
        await asyncio.sleep(0)  # the miss's walk starts on the loop's next turn
        resolver.close()
        await settled(nameserver, replies, 2)
        held.set()
        return replies.got

    try:
        got = serve(net, body)
    finally:
        held.set()
    assert sorted((client[1], reply.header.rcode) for client, reply in got) == [(1, 2), (2, 2)]
    assert {ede.text for _, reply in got for ede in ede_options(reply)} == {"shutting down"}


def test_a_miss_past_the_servers_deadline_is_answered_once_though_its_walk_ends_later():
    net = internet()
    held = threading.Event()

    async def body(nameserver, resolver, replies):
        net.host(EXAMPLE1, hold=held)
        net.host(EXAMPLE2, hold=held)
        ask(nameserver, replies, "nx9.example.com.", 1)
        while not replies.got:  # the server's deadline answers it
            await asyncio.wait_for(replies.arrived.wait(), 10)
        held.set()  # now the walk ends too: its answer must not reach the client again
        late = await resolver.query_async("nx9.example.com.", "A", trace=False)  # joins it
        assert late.rcode == 3
        await nameserver.drain(10)
        return replies.got, nameserver.snapshot()

    try:
        got, snapshot = serve(net, body, resolution_timeout=0.05)
    finally:
        held.set()
    assert [(client[1], reply.header.rcode) for client, reply in got] == [(1, 2)]
    assert snapshot["resolution_timeouts"] == 1


def test_a_walk_that_fails_with_a_bug_is_servfail_and_logged(caplog):
    net = internet()

    async def body(nameserver, resolver, replies):
        def broken(*args):
            raise RuntimeError("a bug in making the answer")

        resolver._answer = broken
        ask(nameserver, replies, "nx10.example.com.", 1)
        await settled(nameserver, replies, 1)
        return replies.got, nameserver.snapshot()

    with caplog.at_level(logging.ERROR, logger="resolver.server"):
        got, snapshot = serve(net, body)
    assert [(client[1], reply.header.rcode) for client, reply in got] == [(1, 2)]
    assert snapshot["resolution_errors"] == 1
    assert "resolving nx10.example.com. A failed" in caplog.text
