"""Infrastructure cache records: RTT smoothing, retransmit timeouts, timeouts and back-off,
probes, lame and broken marks, EDNS memory, and the bounds on all of it."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.infra import (
    BACKOFF_AFTER,
    BACKOFF_MAX,
    BROKEN_TTL,
    HOST_TTL,
    LAME_TTL,
    MAX_ZONE_MARKS_PER_SERVER,
    NO_EDNS_TTL,
    PROBE_INTERVAL,
    REINSERT_AFTER,
    Feedback,
    ServerRecords,
    ServerStats,
)
from resolver.selection import InfraCache
from tests.fakenet import FakeClock

A, B = "192.0.2.1", "192.0.2.2"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def infra(clock: FakeClock) -> InfraCache:
    return InfraCache(clock=clock, rng=random.Random(1234))


def train(infra: InfraCache, address: str, rtt: float, samples: int = 30) -> None:
    for _ in range(samples):
        infra.report(address, "example.", Feedback.OK, rtt)


def time_out(infra: InfraCache, address: str, times: int = 1) -> None:
    for _ in range(times):
        infra.report(address, "example.", Feedback.TIMEOUT)


def backed_off(infra: InfraCache, address: str) -> bool:
    return address not in infra.usable([address], "example.")


# -- RTT and the retransmit timeout ---------------------------------------------------------


def test_unknown_server_gets_initial_timeout_and_no_stats(infra: InfraCache) -> None:
    assert infra.timeout(A) == 0.8
    assert infra.stats(A) is None
    assert infra.edns_ok(A) and infra.probe_due(A)
    assert infra.usable([A], "example.") == [A]
    assert len(infra) == 0  # asking about a server does not create a record


def test_first_samples_follow_rfc_6298(infra: InfraCache) -> None:
    infra.report(A, "example.", Feedback.OK, 0.1)
    stats = infra.stats(A)
    assert isinstance(stats, ServerStats)
    assert stats.srtt == pytest.approx(0.1) and stats.rttvar == pytest.approx(0.05)
    assert infra.timeout(A) == pytest.approx(0.1 + 4 * 0.05)
    infra.report(A, "example.", Feedback.OK, 0.2)
    stats = infra.stats(A)
    assert stats is not None
    assert stats.rttvar == pytest.approx(0.75 * 0.05 + 0.25 * 0.1)
    assert stats.srtt == pytest.approx(0.875 * 0.1 + 0.125 * 0.2)


def test_srtt_converges_to_the_measured_rtt(infra: InfraCache) -> None:
    train(infra, A, 0.1, samples=40)
    stats = infra.stats(A)
    assert stats is not None and stats.srtt == pytest.approx(0.1, rel=1e-3)
    assert stats.rttvar < 0.001
    train(infra, A, 0.3, samples=80)  # the path got slower
    stats = infra.stats(A)
    assert stats is not None and stats.srtt == pytest.approx(0.3, rel=0.01)
    assert infra.timeout(A) == pytest.approx(0.3, rel=0.05)


def test_ok_needs_a_valid_rtt(infra: InfraCache) -> None:
    with pytest.raises(ValueError):
        infra.report(A, "example.", Feedback.OK)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            infra.report(A, "example.", Feedback.OK, bad)
    with pytest.raises(ValueError):
        infra.report(A, "example.", "no-such-feedback")  # type: ignore[arg-type]
    assert infra.stats(A) is None


def test_feedback_may_be_given_as_its_string(infra: InfraCache) -> None:
    infra.report(A, "example.", "refused")  # type: ignore[arg-type]
    assert infra.stats(A).lame_zones == {"example."}


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        InfraCache(min_rto=1.0, initial_rto=0.5)
    with pytest.raises(ValueError):
        InfraCache(initial_rto=5.0, max_rto=3.0)
    with pytest.raises(ValueError):
        InfraCache(maxsize=0)


def test_timeout_is_clamped(infra: InfraCache) -> None:
    train(infra, A, 0.001)
    assert infra.timeout(A) == 0.05  # min_rto
    train(infra, B, 10.0)
    assert infra.timeout(B) == 3.0  # max_rto


def test_timeout_doubles_per_attempt_up_to_max(infra: InfraCache) -> None:
    assert [infra.timeout(A, attempt=n) for n in range(5)] == [0.8, 1.6, 3.0, 3.0, 3.0]
    train(infra, B, 0.2)
    base = infra.timeout(B)
    assert infra.timeout(B, attempt=1) == pytest.approx(2 * base)
    assert infra.timeout(B, attempt=2) == pytest.approx(4 * base)
    assert infra.timeout(B, attempt=10_000) == 3.0


def test_tcp_timeout_allows_for_the_handshake(infra: InfraCache) -> None:
    # A server 50 ms away: the UDP timeout is about one RTT, but a TCP exchange needs two
    # (SYN/SYN-ACK, then query/answer). A truncated answer must not time out over TCP.
    train(infra, A, 0.05)
    udp = infra.timeout(A)
    tcp = infra.timeout(A, tcp=True)
    assert udp == pytest.approx(0.05, rel=0.05)
    assert tcp >= 2 * udp and tcp > 2 * 0.05
    # A slow server: still at least twice the UDP timeout, on every attempt.
    train(infra, B, 0.9)
    for attempt in range(3):
        assert infra.timeout(B, tcp=True, attempt=attempt) >= 2 * infra.timeout(B, attempt=attempt)


_EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just(Feedback.OK), st.floats(min_value=0, max_value=100)),
        st.tuples(st.sampled_from([f for f in Feedback if f is not Feedback.OK]), st.none()),
        st.tuples(st.just("wait"), st.floats(min_value=0, max_value=1000)),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(events=_EVENTS, attempt=st.integers(min_value=0, max_value=100))
def test_timeout_always_within_bounds(events: list, attempt: int) -> None:
    clock = FakeClock()
    infra = InfraCache(clock=clock, rng=random.Random(0))
    for kind, value in events:
        if kind == "wait":
            clock.advance(value)
        else:
            infra.report(A, "example.", kind, value)
        assert 0.05 <= infra.timeout(A, attempt=attempt) <= 3.0
        assert 0.8 <= infra.timeout(A, tcp=True, attempt=attempt) <= 6.0
        stats = infra.stats(A)  # None once forgotten
        assert stats is None or len(stats.lame_zones) + len(stats.broken_zones) <= 1


# -- timeouts, back-off and probes ----------------------------------------------------------


def test_one_lost_datagram_is_not_a_dead_server(infra: InfraCache) -> None:
    train(infra, A, 0.02)
    for _ in range(BACKOFF_AFTER - 1):
        time_out(infra, A)
        assert not backed_off(infra, A)
    time_out(infra, A)
    assert backed_off(infra, A)
    assert BACKOFF_AFTER == 3


def test_unreachable_counts_like_a_timeout(infra: InfraCache) -> None:
    infra.report(A, "example.", Feedback.UNREACHABLE)
    infra.report(A, "example.", Feedback.TIMEOUT)
    infra.report(A, "example.", Feedback.UNREACHABLE)
    assert infra.stats(A).timeouts == 3 and backed_off(infra, A)


def test_backoff_grows_with_consecutive_timeouts_and_is_capped(
    infra: InfraCache, clock: FakeClock
) -> None:
    time_out(infra, A, BACKOFF_AFTER - 1)
    windows = []
    for _ in range(8):
        time_out(infra, A)
        stats = infra.stats(A)
        assert stats is not None
        windows.append(stats.backoff_until - clock.now)
        assert backed_off(infra, A)
        clock.advance(windows[-1])  # wait it out, then it times out again
        assert not backed_off(infra, A)
    assert windows == [5, 10, 20, 40, 80, 120, 120, 120]
    assert max(windows) == BACKOFF_MAX
    assert infra.stats(A).timeouts == BACKOFF_AFTER - 1 + 8


@pytest.mark.parametrize(
    "answer", [Feedback.OK, Feedback.SERVFAIL, Feedback.REFUSED, Feedback.TRUNCATED]
)
def test_any_reply_ends_the_timeout_streak(infra: InfraCache, answer: Feedback) -> None:
    time_out(infra, A, BACKOFF_AFTER + 2)
    assert backed_off(infra, A)
    infra.report(A, "other.", answer, 0.03)
    stats = infra.stats(A)
    assert stats is not None and stats.timeouts == 0 and stats.srtt == pytest.approx(0.03)
    assert A in infra.usable([A], "example.")


def test_a_mismatched_reply_does_not_prove_the_server_alive(infra: InfraCache) -> None:
    # It may be a spoofed packet: no RTT sample, the timeout streak goes on.
    time_out(infra, A, BACKOFF_AFTER)
    infra.report(A, "example.", Feedback.MISMATCH, 0.01)
    stats = infra.stats(A)
    assert stats is not None and stats.timeouts == BACKOFF_AFTER and stats.srtt is None
    assert backed_off(infra, A)


def test_probe_due_is_true_for_servers_not_backed_off(infra: InfraCache) -> None:
    time_out(infra, A, BACKOFF_AFTER - 1)
    assert all(infra.probe_due(A) for _ in range(10))
    assert all(infra.probe_due(B) for _ in range(10))


def test_a_backed_off_server_is_probed_once_per_interval(
    infra: InfraCache, clock: FakeClock
) -> None:
    time_out(infra, A, BACKOFF_AFTER + 4)  # backed off for 80 s
    probes = []
    for step in range(480):  # a query every 1/8 s (exact in binary) for 60 s
        if infra.probe_due(A):
            probes.append(step / 8)
        clock.advance(1 / 8)
    assert probes == [PROBE_INTERVAL * n for n in range(1, 12)]


def test_a_dead_zone_costs_one_query_per_interval_and_answers_soon_after_it_returns(
    infra: InfraCache, clock: FakeClock
) -> None:
    """The iterator's loop: choose(); when nothing is usable, probe the backed-off servers
    that are due, else answer SERVFAIL at once."""
    servers = [A, B]
    alive = False
    sent = Counter()
    answered_at = None
    for step in range(900):  # a query every 0.1 s for 90 s; the zone comes back at 60 s
        now = step / 10
        alive = now >= 60
        choice = infra.choose(servers, "example.")
        targets = [choice] if choice else [s for s in servers if infra.probe_due(s)]
        for address in targets:
            sent[address] += 1
            if alive:
                infra.report(address, "example.", Feedback.OK, 0.02)
                answered_at = answered_at if answered_at is not None else now
                break
            infra.report(address, "example.", Feedback.TIMEOUT)
        clock.advance(0.1)
    # Dead for 60 s: a few timeouts to notice, then at most one probe per 5 s per server.
    queries_while_dead = sum(sent.values()) - (900 - 600)
    assert queries_while_dead <= 2 * (BACKOFF_AFTER + 60 / PROBE_INTERVAL + 1)
    assert answered_at is not None and 60 <= answered_at <= 60 + PROBE_INTERVAL


# -- lame and broken marks ------------------------------------------------------------------


@pytest.mark.parametrize("feedback", [Feedback.REFUSED, Feedback.LAME])
def test_lameness_is_per_zone_and_lasts_fifteen_minutes(
    infra: InfraCache, clock: FakeClock, feedback: Feedback
) -> None:
    infra.report(A, "Example.COM.", feedback)
    assert infra.usable([A, B], "example.com") == [B]  # same zone, any case, no trailing dot
    assert infra.usable([A, B], "example.org.") == [A, B]
    assert infra.usable([A, B], "sub.example.com.") == [A, B]
    stats = infra.stats(A)
    assert stats is not None and stats.lame_zones == {"example.com."} and not stats.broken_zones
    clock.advance(LAME_TTL - 0.1)
    assert infra.usable([A], "example.com.") == []
    clock.advance(0.1)
    assert infra.usable([A], "example.com.") == [A]
    assert LAME_TTL == 900


@pytest.mark.parametrize(
    "feedback",
    [Feedback.SERVFAIL, Feedback.FORMERR, Feedback.NOTIMP, Feedback.MALFORMED, Feedback.MISMATCH],
)
def test_a_failing_server_is_avoided_in_that_zone_for_a_short_while(
    infra: InfraCache, clock: FakeClock, feedback: Feedback
) -> None:
    train(infra, A, 0.01)
    train(infra, B, 0.2)
    infra.report(A, "example.com.", feedback)
    stats = infra.stats(A)
    assert stats is not None and stats.broken_zones == {"example.com."} and not stats.lame_zones
    for _ in range(50):  # the next queries go to the other server
        assert infra.choose([A, B], "example.com.") == B
    assert infra.usable([A, B], "example.org.") == [A, B]
    clock.advance(BROKEN_TTL)
    assert infra.usable([A, B], "example.com.") == [A, B]
    assert BROKEN_TTL == 30


def test_a_broken_mark_does_not_shorten_a_lame_one(infra: InfraCache, clock: FakeClock) -> None:
    infra.report(A, "example.", Feedback.LAME)
    infra.report(A, "example.", Feedback.SERVFAIL)
    clock.advance(BROKEN_TTL + 1)
    assert infra.usable([A], "example.") == []
    assert infra.stats(A).lame_zones == {"example."}


def test_truncation_costs_the_server_nothing(infra: InfraCache) -> None:
    train(infra, A, 0.02)
    before = infra.stats(A)
    infra.report(A, "example.", Feedback.TRUNCATED)
    assert infra.stats(A) == before
    assert infra.usable([A], "example.") == [A] and infra.edns_ok(A)


def test_zone_marks_per_server_are_bounded_lapsed_first_then_oldest(
    infra: InfraCache, clock: FakeClock
) -> None:
    infra.report(A, "kept.", Feedback.LAME)  # the oldest mark, in force for 15 minutes
    for i in range(MAX_ZONE_MARKS_PER_SERVER - 1):
        infra.report(A, f"b{i}.", Feedback.SERVFAIL)
    clock.advance(BROKEN_TTL)  # the broken marks lapse
    for i in range(10):
        infra.report(A, f"l{i}.", Feedback.REFUSED)
    stats = infra.stats(A)
    assert stats is not None and "kept." in stats.lame_zones  # lapsed marks went first
    for i in range(10, 3 * MAX_ZONE_MARKS_PER_SERVER):  # a server lame for very many zones
        infra.report(A, f"l{i}.", Feedback.REFUSED)
    stats = infra.stats(A)
    assert stats is not None and len(stats.lame_zones) == MAX_ZONE_MARKS_PER_SERVER
    assert "kept." not in stats.lame_zones  # then the oldest
    assert f"l{3 * MAX_ZONE_MARKS_PER_SERVER - 1}." in stats.lame_zones


# -- EDNS -----------------------------------------------------------------------------------


def test_edns_rejection_is_remembered_for_a_while(infra: InfraCache, clock: FakeClock) -> None:
    infra.report(A, "example.", Feedback.EDNS_REJECTED)
    assert not infra.edns_ok(A) and infra.edns_ok(B)
    assert infra.stats(A).no_edns
    assert infra.usable([A], "example.") == [A]  # asked without OPT, not avoided
    clock.advance(NO_EDNS_TTL / 2)
    infra.report(A, "example.", Feedback.OK, 0.02)  # answering without OPT is not learning EDNS
    assert not infra.edns_ok(A)
    clock.advance(NO_EDNS_TTL / 2)
    assert infra.edns_ok(A)
    assert not infra.stats(A).no_edns


# -- housekeeping ---------------------------------------------------------------------------


def test_stats_are_a_snapshot(infra: InfraCache) -> None:
    infra.report(A, "example.", Feedback.LAME)
    stats = infra.stats(A)
    assert stats is not None
    stats.lame_zones.add("other.")
    stats.timeouts = 99
    fresh = infra.stats(A)
    assert fresh is not None and fresh.lame_zones == {"example."} and fresh.timeouts == 0


def test_servers_without_news_are_forgotten(infra: InfraCache, clock: FakeClock) -> None:
    train(infra, A, 0.05)
    clock.advance(HOST_TTL - 1)
    assert infra.stats(A) is not None
    clock.advance(1)
    assert infra.stats(A) is None
    assert infra.timeout(A) == 0.8


def test_a_record_lives_as_long_as_its_back_off(infra: InfraCache, clock: FakeClock) -> None:
    time_out(infra, A, BACKOFF_AFTER + 20)  # backed off for BACKOFF_MAX
    clock.advance(BACKOFF_MAX - 1)
    assert backed_off(infra, A)


def test_maxsize_bounds_the_number_of_servers(clock: FakeClock) -> None:
    infra = InfraCache(clock=clock, maxsize=4, rng=random.Random(0))
    for i in range(20):
        infra.report(f"192.0.2.{i}", "example.", Feedback.OK, 0.05)
        infra.report("192.0.2.0", "example.", Feedback.LAME)  # recently used: stays
        assert len(infra) <= 4
    assert infra.stats("192.0.2.19") is not None
    assert infra.stats("192.0.2.0") is not None
    assert infra.stats("192.0.2.1") is None  # least recently used: dropped
    infra.clear()
    assert len(infra) == 0


def test_state_per_server_does_not_grow_with_queries(clock: FakeClock) -> None:
    infra = InfraCache(clock=clock, maxsize=50, rng=random.Random(0))
    feedbacks = list(Feedback)
    rng = random.Random(5)
    for i in range(5000):  # many zones, servers and outcomes
        address = f"192.0.2.{rng.randrange(200)}"
        feedback = rng.choice(feedbacks)
        infra.report(address, f"z{i}.example.", feedback, 0.01)
        clock.advance(0.01)
    assert len(infra) <= 50
    for i in range(200):
        stats = infra.stats(f"192.0.2.{i}")
        if stats is not None:
            assert len(stats.lame_zones) + len(stats.broken_zones) <= MAX_ZONE_MARKS_PER_SERVER


def test_a_record_lives_host_ttl_after_the_replies_within_a_second() -> None:
    # Replies are folded in place while the record was re-inserted under REINSERT_AFTER ago:
    # the record is then forgotten HOST_TTL after that re-insertion, at most a second early.
    clock = FakeClock(0.0)
    records = ServerRecords(clock=clock)
    records.report("192.0.2.1", "example.", Feedback.OK, rtt=0.1)
    clock.now = REINSERT_AFTER / 2
    records.report("192.0.2.1", "example.", Feedback.OK, rtt=0.3)
    stats = records.stats("192.0.2.1")
    assert stats is not None and stats.srtt is not None and stats.srtt > 0.1  # folded in
    clock.now = HOST_TTL - 0.01
    assert records.stats("192.0.2.1") is not None
    clock.now = HOST_TTL + REINSERT_AFTER
    assert records.stats("192.0.2.1") is None
    # A reply later than that re-inserts: HOST_TTL from it.
    records.report("192.0.2.1", "example.", Feedback.OK, rtt=0.1)
    clock.now += REINSERT_AFTER + 1
    records.report("192.0.2.1", "example.", Feedback.OK, rtt=0.1)
    clock.now += HOST_TTL - 0.5
    assert records.stats("192.0.2.1") is not None
