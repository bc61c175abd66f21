"""The library API as an application uses it: dnspython's call shape and exceptions, names in
every accepted form, and the lifecycle of shared walks (give up, close, stats). Hermetic: the
lab answers in-process on a fake clock."""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import socket
import threading

import pytest

import resolver as package
from resolver import (
    NXDOMAIN,
    InvalidName,
    LifetimeTimeout,
    NoAnswer,
    NoMetaqueries,
    NoNameservers,
    ResolutionFailed,
    ResolverClosed,
    ResolverError,
    Timeout,
)
from resolver.api import normalize_name
from tests.fakenet import InProcessNetwork, hermetic_resolver


class HeldNetwork(InProcessNetwork):
    """Holds every query until the test opens the gate; tells the test when each arrives."""

    def __init__(self, lab, clock) -> None:
        super().__init__(lab, clock)
        self.arrivals: queue.Queue[str] = queue.Queue()
        self.gate: concurrent.futures.Future[None] = concurrent.futures.Future()

    async def query(self, address, port, query, *, timeout, tcp=False):
        self.arrivals.put(address)
        await asyncio.wrap_future(self.gate)
        return await super().query(address, port, query, timeout=timeout, tcp=tcp)


@pytest.fixture
def hermetic(tmp_path):
    resolver, lab, clock, network = hermetic_resolver(tmp_path)
    yield resolver, network
    resolver.close()


@pytest.fixture
def held(tmp_path):
    resolver, lab, clock, _ = hermetic_resolver(tmp_path)
    network = HeldNetwork(lab, clock)
    resolver.iterator.transport = network
    yield resolver, network
    if not network.gate.done():
        network.gate.set_result(None)
    resolver.close()


def addresses(answer) -> list[str]:
    return sorted(rdata.to_text() for rdata in answer)


# ---- lifecycle ----------------------------------------------------------------------------


def test_a_caller_giving_up_does_not_cancel_the_walk_others_wait_for(held):
    resolver, network = held

    async def main():
        impatient = asyncio.ensure_future(resolver.resolve_async("www.example.com"))
        patient = asyncio.ensure_future(resolver.resolve_async("www.example.com"))
        await _arrival(network)
        stats = resolver.stats()
        assert (stats["in_flight"], stats["deduplicated"]) == (1, 1)  # one walk, two callers
        impatient.cancel()  # what asyncio.wait_for does when its timeout expires
        with pytest.raises(asyncio.CancelledError):
            await impatient
        network.gate.set_result(None)
        return await patient

    answer = asyncio.run(main())
    assert addresses(answer) == ["127.42.20.80"]
    assert resolver.stats()["in_flight"] == 0


def test_a_resolver_bound_to_a_running_loop_walks_there_and_hands_out_the_walk(hermetic):
    resolver, _ = hermetic

    async def main():
        assert resolver.bind_to_running_loop()
        assert resolver.bind_to_running_loop()  # the same loop again: still bound
        first = resolver.query_future("www.example.com", "A", trace=False)
        again = resolver.query_future("WWW.example.com", "A", trace=False)
        assert first is again  # identical questions share the walk itself
        # A caller on another thread is handed to this loop while it runs.
        other = asyncio.get_running_loop().run_in_executor(None, resolver.resolve,
                                                           "www.example.com")
        return await first, await other

    untraced, blocking = asyncio.run(main())
    assert addresses(untraced) == addresses(blocking) == ["127.42.20.80"]
    assert untraced.trace == []  # untraced, and nothing failed: no event at all
    assert len(blocking.trace) > 1  # the library's own calls keep the whole trace
    # That loop is gone: the next call runs on a loop of the resolver's own.
    assert addresses(resolver.resolve("www.example.com")) == ["127.42.20.80"]


def test_query_future_is_none_off_the_resolvers_loop(hermetic):
    resolver, _ = hermetic
    resolver.resolve("www.example.com")  # the resolver's own loop thread is running

    async def elsewhere():
        return resolver.query_future("www.example.com"), resolver.bind_to_running_loop()

    assert asyncio.run(elsewhere()) == (None, False)  # already bound to its own loop


async def _arrival(network: HeldNetwork) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, network.arrivals.get, True, 10)


def test_a_caller_with_a_shorter_lifetime_times_out_alone(held):
    resolver, network = held

    async def main():
        patient = asyncio.ensure_future(resolver.resolve_async("www.example.com"))
        await _arrival(network)
        with pytest.raises(LifetimeTimeout):  # its deadline comes before the shared walk's
            await resolver.resolve_async("www.example.com", lifetime=0.001)
        assert resolver.stats()["in_flight"] == 1  # the walk goes on for the patient caller
        network.gate.set_result(None)
        return await patient

    assert addresses(asyncio.run(main())) == ["127.42.20.80"]


def test_close_wakes_every_waiting_caller_with_resolver_closed(held):
    resolver, network = held
    outcomes: list[BaseException | None] = []

    def blocking(name: str) -> None:
        try:
            resolver.resolve(name)
            outcomes.append(None)
        except BaseException as error:  # noqa: BLE001 - the test looks at what arrived
            outcomes.append(error)

    def awaiting(name: str) -> None:
        try:
            asyncio.run(resolver.resolve_async(name))
            outcomes.append(None)
        except BaseException as error:  # noqa: BLE001
            outcomes.append(error)

    callers = [
        threading.Thread(target=blocking, args=("www.example.com",)),
        threading.Thread(target=awaiting, args=("www.example.net",)),
    ]
    for caller in callers:
        caller.start()
    network.arrivals.get(timeout=10)
    network.arrivals.get(timeout=10)  # both walks are held at their first query
    resolver.close()
    for caller in callers:
        caller.join(timeout=10)
    assert [type(error) for error in outcomes] == [ResolverClosed, ResolverClosed]
    assert all(isinstance(error, ResolverError) for error in outcomes)
    assert resolver.stats()["in_flight"] == 0


def test_a_closed_resolver_refuses_new_work(hermetic):
    resolver, network = hermetic
    resolver.resolve("www.example.com")
    resolver.close()
    resolver.close()  # twice is harmless
    assert resolver.closed
    sent = len(network.sent)
    with pytest.raises(ResolverClosed):
        resolver.resolve("www.example.com")
    with pytest.raises(ResolverClosed):
        resolver.query("www.example.com")
    with pytest.raises(ResolverClosed):
        asyncio.run(resolver.resolve_async("www.example.com"))
    assert len(network.sent) == sent
    assert resolver.stats()["queries"] == 1  # still readable after close


def test_stats_read_from_another_thread_while_a_walk_is_held(held):
    resolver, network = held
    waiting = threading.Thread(target=lambda: resolver.query("www.example.com"))
    waiting.start()
    network.arrivals.get(timeout=10)
    assert resolver.stats()["in_flight"] == 1
    network.gate.set_result(None)
    waiting.join(timeout=10)
    stats = resolver.stats()
    assert (stats["in_flight"], stats["queries"]) == (0, 1)
    assert stats["upstream_queries"] == len(network.sent)


# ---- names ----------------------------------------------------------------------------------


def test_escaped_dot_inside_a_label_is_one_label_and_fails_as_a_resolver_error(hermetic):
    resolver, _ = hermetic
    with pytest.raises(NXDOMAIN) as caught:
        resolver.resolve("a\\.b.example.com")
    assert [str(n) for n in caught.value.qnames()] == ["a\\.b.example.com."]
    assert str(caught.value.canonical_name) == "a\\.b.example.com."


def test_non_utf8_label_octets_are_asked_as_they_are_and_fail_as_a_resolver_error(hermetic):
    resolver, network = hermetic
    with pytest.raises(ResolverError) as caught:
        resolver.resolve(b"\xff\xfe.example.com")
    assert str(caught.value.answer.qname) == "\\255\\254.example.com."
    assert network.sent  # the question was really asked
    # The servers are not blamed for replies only our own question made unreadable.
    infra = resolver.iterator.infra
    assert all(not infra.stats(a).broken_zones for a, _ in network.sent if infra.stats(a))


def test_names_as_bytes_and_as_objects_with_to_text(hermetic):
    resolver, _ = hermetic

    class DnspythonLikeName:
        def to_text(self) -> str:
            return "www.example.com."

    assert addresses(resolver.resolve(b"www.example.com")) == ["127.42.20.80"]
    assert addresses(resolver.resolve(DnspythonLikeName())) == ["127.42.20.80"]
    with pytest.raises(InvalidName):
        resolver.resolve(12345)  # type: ignore[arg-type]


def test_unicode_names_become_idna_2008_with_uts46_mapping():
    assert normalize_name("Bücher.example") == "xn--bcher-kva.example."
    assert normalize_name("faß.de") == "xn--fa-hia.de."  # IDNA 2008: ß stays, not "fass"
    assert normalize_name("ｗｗｗ。example。com") == "www.example.com."  # full-width forms mapped
    with pytest.raises(InvalidName, match="label") as caught:
        normalize_name("ok.\u0301bad.example")  # a label may not start with a combining mark
    assert "\u0301bad" in str(caught.value)


@pytest.mark.parametrize(
    "rdtype", ["ANY", "AXFR", "IXFR", "OPT", "TSIG", "TKEY", "MAILA", "MAILB", 255]
)
def test_meta_types_raise_no_metaqueries_before_anything_is_sent(hermetic, rdtype):
    resolver, network = hermetic
    with pytest.raises(NoMetaqueries):
        resolver.resolve("www.example.com", rdtype)
    assert network.sent == []


def test_meta_class_raises_no_metaqueries(hermetic):
    resolver, network = hermetic
    with pytest.raises(NoMetaqueries):
        resolver.resolve("www.example.com", "A", "ANY")
    assert network.sent == []


# ---- dnspython's call shape and exceptions ------------------------------------------------------


def test_exception_hierarchy_matches_dnspython_where_except_clauses_care():
    assert issubclass(LifetimeTimeout, Timeout)
    assert not issubclass(LifetimeTimeout, NoNameservers)
    for error in (NXDOMAIN, NoAnswer, NoNameservers, LifetimeTimeout, NoMetaqueries,
                  package.YXDOMAIN, InvalidName, ResolverClosed, Timeout):  # fmt: skip
        assert issubclass(error, ResolverError)
    assert issubclass(InvalidName, ValueError)


def test_raise_on_no_answer_false_returns_the_empty_answer(hermetic):
    resolver, _ = hermetic
    answer = resolver.resolve("www.example.com", "MX", raise_on_no_answer=False)
    assert (answer.rcode, len(answer)) == (0, 0)
    with pytest.raises(NoAnswer):
        resolver.resolve("www.example.com", "MX")


def test_lifetime_per_call_raises_lifetime_timeout(hermetic):
    resolver, _ = hermetic
    with pytest.raises(Timeout) as caught:
        resolver.resolve("www.example.com", lifetime=0.0)
    assert isinstance(caught.value, LifetimeTimeout)
    assert isinstance(caught.value, ResolutionFailed)


def test_classes_other_than_in_are_refused_with_the_reason(hermetic):
    resolver, network = hermetic
    with pytest.raises(NoNameservers, match="class CH is not served"):
        resolver.resolve("version.bind", "TXT", "CH")
    assert network.sent == []


def test_tcp_flag_is_accepted_per_call(hermetic):
    resolver, _ = hermetic
    assert addresses(resolver.resolve("www.example.com", "A", "IN", tcp=True)) == ["127.42.20.80"]


def test_search_list_tries_each_domain_and_nxdomain_lists_every_name_tried(hermetic):
    resolver, _ = hermetic
    resolver.search = ["example.com", "example.net"]
    assert str(resolver.resolve("www", search=True).qname) == "www.example.com."
    with pytest.raises(NXDOMAIN) as caught:
        resolver.resolve("nonexistent", search=True)
    assert [str(n) for n in caught.value.qnames()] == [
        "nonexistent.example.com.",
        "nonexistent.example.net.",
        "nonexistent.",
    ]
    assert caught.value.response("nonexistent.example.net.").rcode_text == "NXDOMAIN"
    with pytest.raises(NXDOMAIN):
        resolver.resolve("www")  # search is off by default: "www." is asked


def test_resolve_address_asks_for_the_ptr_record(hermetic):
    resolver, _ = hermetic
    answer = resolver.resolve_address("127.42.10.81")
    assert str(answer.qname) == "81.10.42.127.in-addr.arpa."
    assert [rdata.to_text() for rdata in answer] == ["www.cs.cornell.edu."]
    with pytest.raises(InvalidName):
        resolver.resolve_address("not an address")


def test_resolve_name_gives_both_families(hermetic):
    resolver, _ = hermetic
    host = resolver.resolve_name("www.example.com")
    assert list(host.addresses()) == ["2001:db8::80", "127.42.20.80"]
    assert list(host.addresses(socket.AF_INET)) == ["127.42.20.80"]
    assert str(host.canonical_name()) == "www.example.com."
    only_v4 = resolver.resolve_name("www.cs.cornell.edu", socket.AF_INET)
    assert list(only_v4.addresses()) == ["127.42.10.81"]
    with pytest.raises(NXDOMAIN):
        resolver.resolve_name("nonexistent.example.com")
    with pytest.raises(NoAnswer):
        resolver.resolve_name("_sip._tcp.example.com")
