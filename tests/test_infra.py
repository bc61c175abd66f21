"""Infrastructure cache: RTT smoothing, timeouts and back-off, lameness, EDNS memory, selection."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.infra import (
    BACKOFF_MAX,
    HOST_TTL,
    NO_EDNS_TTL,
    RTT_BAND,
    UNKNOWN_SERVER_NICENESS,
    InfraCache,
    ServerStats,
)


class FakeClock:
    def __init__(self, now: float = 500.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def infra(clock: FakeClock) -> InfraCache:
    return InfraCache(clock=clock, rng=random.Random(1234))


def train(infra: InfraCache, address: str, rtt: float, samples: int = 30) -> None:
    for _ in range(samples):
        infra.record_rtt(address, rtt)


# -- RTT and RTO ----------------------------------------------------------------------------


def test_unknown_server_gets_initial_rto_and_no_stats(infra: InfraCache) -> None:
    assert infra.rto("192.0.2.1") == 0.8
    assert infra.stats("192.0.2.1") is None
    assert infra.edns_ok("192.0.2.1") and not infra.is_backed_off("192.0.2.1")
    assert not infra.is_lame("192.0.2.1", "example.")


def test_first_samples_follow_rfc_6298(infra: InfraCache) -> None:
    infra.record_rtt("192.0.2.1", 0.1)
    stats = infra.stats("192.0.2.1")
    assert isinstance(stats, ServerStats)
    assert stats.srtt == pytest.approx(0.1) and stats.rttvar == pytest.approx(0.05)
    assert infra.rto("192.0.2.1") == pytest.approx(0.1 + 4 * 0.05)
    infra.record_rtt("192.0.2.1", 0.2)
    stats = infra.stats("192.0.2.1")
    assert stats is not None
    assert stats.rttvar == pytest.approx(0.75 * 0.05 + 0.25 * 0.1)
    assert stats.srtt == pytest.approx(0.875 * 0.1 + 0.125 * 0.2)


def test_srtt_converges_to_the_measured_rtt(infra: InfraCache) -> None:
    train(infra, "192.0.2.1", 0.1, samples=40)
    stats = infra.stats("192.0.2.1")
    assert stats is not None and stats.srtt == pytest.approx(0.1, rel=1e-3)
    assert stats.rttvar < 0.001
    train(infra, "192.0.2.1", 0.3, samples=80)  # the path got slower
    stats = infra.stats("192.0.2.1")
    assert stats is not None and stats.srtt == pytest.approx(0.3, rel=0.01)
    assert infra.rto("192.0.2.1") == pytest.approx(0.3, rel=0.05)


def test_rto_is_clamped(infra: InfraCache) -> None:
    train(infra, "192.0.2.1", 0.001)
    assert infra.rto("192.0.2.1") == 0.05  # min_rto
    train(infra, "192.0.2.2", 10.0)
    assert infra.rto("192.0.2.2") == 3.0  # max_rto


def test_rto_doubles_per_consecutive_timeout_up_to_max(infra: InfraCache) -> None:
    address = "192.0.2.1"
    assert [infra.rto(address)] == [0.8]
    seen = []
    for _ in range(4):
        infra.record_timeout(address)
        seen.append(infra.rto(address))
    assert seen == [1.6, 3.0, 3.0, 3.0]
    train(infra, "192.0.2.2", 0.2)
    base = infra.rto("192.0.2.2")
    infra.record_timeout("192.0.2.2")
    assert infra.rto("192.0.2.2") == pytest.approx(2 * base)
    infra.record_rtt("192.0.2.2", 0.2)  # an answer forgives the timeouts
    assert infra.rto("192.0.2.2") == pytest.approx(base, rel=0.1)


def test_bad_rtt_values_are_refused(infra: InfraCache) -> None:
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            infra.record_rtt("192.0.2.1", bad)
    assert infra.stats("192.0.2.1") is None


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        InfraCache(min_rto=1.0, initial_rto=0.5)
    with pytest.raises(ValueError):
        InfraCache(initial_rto=5.0, max_rto=3.0)
    with pytest.raises(ValueError):
        InfraCache(maxsize=0)


_EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("rtt"), st.floats(min_value=0, max_value=100)),
        st.tuples(st.just("timeout"), st.just(0.0)),
        st.tuples(st.just("wait"), st.floats(min_value=0, max_value=1000)),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(events=_EVENTS)
def test_rto_always_within_bounds(events: list[tuple[str, float]]) -> None:
    clock = FakeClock()
    infra = InfraCache(clock=clock, rng=random.Random(0))
    for kind, value in events:
        if kind == "rtt":
            infra.record_rtt("192.0.2.1", value)
        elif kind == "timeout":
            infra.record_timeout("192.0.2.1")
        else:
            clock.advance(value)
        assert 0.05 <= infra.rto("192.0.2.1") <= 3.0
        assert 0.05 <= infra.selection_rtt("192.0.2.1") <= 3.0


# -- timeouts and back-off ------------------------------------------------------------------


def test_backoff_grows_with_consecutive_timeouts_and_is_capped(
    infra: InfraCache, clock: FakeClock
) -> None:
    address = "192.0.2.1"
    windows = []
    for _ in range(8):
        infra.record_timeout(address)
        stats = infra.stats(address)
        assert stats is not None
        windows.append(stats.backoff_until - clock.now)
        assert infra.is_backed_off(address)
        clock.advance(windows[-1])  # wait it out, then it times out again
        assert not infra.is_backed_off(address)
    assert windows == [5, 10, 20, 40, 80, 120, 120, 120]
    assert max(windows) == BACKOFF_MAX
    assert infra.stats(address).timeouts == 8


def test_backed_off_server_is_last_until_the_backoff_passes(
    infra: InfraCache, clock: FakeClock
) -> None:
    fast, slow = "192.0.2.1", "192.0.2.2"
    train(infra, fast, 0.01)
    train(infra, slow, 1.0)
    assert infra.order([slow, fast], "example.") == [fast, slow]
    infra.record_timeout(fast)
    for _ in range(20):
        assert infra.order([fast, slow], "example.") == [slow, fast]
    clock.advance(5)
    # Back-off over: its doubled RTO (0.1 s) still beats the slow server by far.
    assert infra.order([slow, fast], "example.") == [fast, slow]
    infra.record_rtt(fast, 0.01)
    stats = infra.stats(fast)
    assert stats is not None and stats.timeouts == 0 and not infra.is_backed_off(fast)
    assert infra.order([slow, fast], "example.") == [fast, slow]


def test_a_dead_server_costs_one_timeout_not_one_per_query(
    infra: InfraCache, clock: FakeClock
) -> None:
    dead, alive = "192.0.2.1", "192.0.2.2"
    timeouts = 0
    for _ in range(50):  # 50 queries in 5 seconds, each tries servers in order() until one answers
        for address in infra.order([dead, alive], "example."):
            if address == dead:
                timeouts += 1
                infra.record_timeout(dead)
            else:
                infra.record_rtt(alive, 0.03)
                break
        clock.advance(0.099)
    assert timeouts == 1


def test_when_every_server_is_backed_off_all_are_still_returned(
    infra: InfraCache, clock: FakeClock
) -> None:
    servers = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
    infra.record_timeout(servers[0])
    infra.record_timeout(servers[0])  # backed off for 10 s
    clock.advance(1)
    infra.record_timeout(servers[1])  # until now + 5 s: back soonest
    infra.record_timeout(servers[2])
    infra.record_timeout(servers[2])
    infra.record_timeout(servers[2])  # 20 s
    assert all(infra.is_backed_off(s) for s in servers)
    assert infra.order(servers, "example.") == [servers[1], servers[0], servers[2]]


# -- lameness -------------------------------------------------------------------------------


def test_lameness_is_per_zone_and_expires(infra: InfraCache, clock: FakeClock) -> None:
    address = "192.0.2.1"
    infra.mark_lame(address, "Example.COM.", ttl=60)
    assert infra.is_lame(address, "example.com.")
    assert infra.is_lame(address, "example.com")  # same zone, no trailing dot
    assert not infra.is_lame(address, "example.org.")
    assert not infra.is_lame(address, "sub.example.com.")
    assert not infra.is_lame("192.0.2.2", "example.com.")
    stats = infra.stats(address)
    assert stats is not None and stats.lame_zones == {"example.com."}
    clock.advance(59.9)
    assert infra.is_lame(address, "example.com.")
    clock.advance(0.1)
    assert not infra.is_lame(address, "example.com.")
    assert infra.stats(address).lame_zones == set()


def test_default_lame_ttl_is_fifteen_minutes(infra: InfraCache, clock: FakeClock) -> None:
    infra.mark_lame("192.0.2.1", "example.")
    clock.advance(899)
    assert infra.is_lame("192.0.2.1", "example.")
    clock.advance(1)
    assert not infra.is_lame("192.0.2.1", "example.")


def test_lame_server_is_ordered_last_for_that_zone_only(infra: InfraCache) -> None:
    lame, other = "192.0.2.1", "192.0.2.2"
    train(infra, lame, 0.01)
    train(infra, other, 1.0)
    infra.mark_lame(lame, "example.com.")
    assert infra.order([lame, other], "example.com.") == [other, lame]
    assert infra.order([lame, other], "example.org.") == [lame, other]


def test_backed_off_servers_come_before_lame_ones(infra: InfraCache) -> None:
    lame, backed_off, good = "192.0.2.1", "192.0.2.2", "192.0.2.3"
    infra.mark_lame(lame, "example.")
    infra.record_timeout(backed_off)
    assert infra.order([lame, backed_off, good], "example.") == [good, backed_off, lame]


def test_long_lame_mark_outlives_the_host_ttl(infra: InfraCache, clock: FakeClock) -> None:
    infra.mark_lame("192.0.2.1", "example.", ttl=HOST_TTL * 2)
    clock.advance(HOST_TTL + 1)
    assert infra.is_lame("192.0.2.1", "example.")


# -- EDNS -----------------------------------------------------------------------------------


def test_no_edns_is_remembered_for_a_while(infra: InfraCache, clock: FakeClock) -> None:
    address = "192.0.2.1"
    assert infra.edns_ok(address)
    infra.record_no_edns(address)
    assert not infra.edns_ok(address)
    assert infra.edns_ok("192.0.2.2")
    assert infra.stats(address).no_edns
    clock.advance(NO_EDNS_TTL / 2)
    infra.record_rtt(address, 0.02)  # answering (without OPT) does not mean it learned EDNS
    assert not infra.edns_ok(address)
    clock.advance(NO_EDNS_TTL / 2)
    assert infra.edns_ok(address)
    assert not infra.stats(address).no_edns


# -- selection ------------------------------------------------------------------------------


def test_fast_known_server_is_preferred_over_slow_known_one(infra: InfraCache) -> None:
    fast, slow = "192.0.2.1", "192.0.2.2"
    train(infra, fast, 0.02)
    train(infra, slow, 0.9)
    for _ in range(100):
        assert infra.order([slow, fast], "example.") == [fast, slow]


def test_servers_within_the_band_share_the_load(infra: InfraCache) -> None:
    one, two = "192.0.2.1", "192.0.2.2"
    train(infra, one, 0.02)
    train(infra, two, 0.02 + RTT_BAND / 2)
    firsts = Counter(infra.order([one, two], "example.")[0] for _ in range(400))
    assert firsts[one] > 100 and firsts[two] > 100


def test_unknown_servers_are_explored(infra: InfraCache) -> None:
    known, unknown = "192.0.2.1", "192.0.2.2"
    train(infra, known, 0.02)
    firsts = Counter(infra.order([known, unknown], "example.")[0] for _ in range(200))
    assert firsts[unknown] > 0 and firsts[known] > 0


def test_unknown_servers_go_before_slow_known_ones(infra: InfraCache) -> None:
    slow, unknown = "192.0.2.1", "192.0.2.2"
    train(infra, slow, 1.0)
    assert infra.selection_rtt(unknown) == UNKNOWN_SERVER_NICENESS
    for _ in range(50):
        assert infra.order([slow, unknown], "example.") == [unknown, slow]


def test_slow_servers_beyond_the_band_are_sorted(infra: InfraCache) -> None:
    addresses = [f"192.0.2.{i}" for i in range(1, 6)]
    for address, rtt in zip(addresses, (2.0, 0.01, 1.5, 0.9, 2.5), strict=True):
        train(infra, address, rtt)
    ordered = infra.order(addresses, "example.")
    assert ordered == ["192.0.2.2", "192.0.2.4", "192.0.2.3", "192.0.2.1", "192.0.2.5"]


def test_seeded_rng_makes_order_reproducible(clock: FakeClock) -> None:
    servers = [f"192.0.2.{i}" for i in range(10)]
    runs = []
    for _ in range(2):
        infra = InfraCache(clock=clock, rng=random.Random(7))
        runs.append([infra.order(servers, "example.") for _ in range(5)])
    assert runs[0] == runs[1]
    assert len({tuple(o) for o in runs[0]}) > 1  # and it does shuffle


_SERVER_STATES = st.sampled_from(["unknown", "fast", "slow", "timeout", "lame", "no_edns"])


@settings(max_examples=300, deadline=None)
@given(
    addresses=st.lists(st.sampled_from([f"192.0.2.{i}" for i in range(8)] + ["2001:db8::1"]),
                       max_size=12),
    states=st.dictionaries(st.sampled_from([f"192.0.2.{i}" for i in range(8)]), _SERVER_STATES),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_order_is_a_permutation(addresses: list[str], states: dict[str, str], seed: int) -> None:
    infra = InfraCache(clock=FakeClock(), rng=random.Random(seed))
    for address, state in states.items():
        if state == "fast":
            train(infra, address, 0.01, samples=3)
        elif state == "slow":
            train(infra, address, 2.0, samples=3)
        elif state == "timeout":
            infra.record_timeout(address)
        elif state == "lame":
            infra.mark_lame(address, "example.")
        elif state == "no_edns":
            infra.record_no_edns(address)
    ordered = infra.order(addresses, "example.")
    assert Counter(ordered) == Counter(addresses)
    # Demoted servers never come before a usable one.
    demoted = [infra.is_lame(a, "example.") or infra.is_backed_off(a) for a in ordered]
    assert demoted == sorted(demoted)


# -- housekeeping ---------------------------------------------------------------------------


def test_stats_are_a_snapshot(infra: InfraCache) -> None:
    infra.mark_lame("192.0.2.1", "example.")
    stats = infra.stats("192.0.2.1")
    assert stats is not None
    stats.lame_zones.add("other.")
    stats.timeouts = 99
    fresh = infra.stats("192.0.2.1")
    assert fresh is not None and fresh.lame_zones == {"example."} and fresh.timeouts == 0


def test_servers_without_news_are_forgotten(infra: InfraCache, clock: FakeClock) -> None:
    train(infra, "192.0.2.1", 0.05)
    clock.advance(HOST_TTL - 1)
    assert infra.stats("192.0.2.1") is not None
    clock.advance(1)
    assert infra.stats("192.0.2.1") is None
    assert infra.rto("192.0.2.1") == 0.8


def test_maxsize_bounds_the_number_of_servers(clock: FakeClock) -> None:
    infra = InfraCache(clock=clock, maxsize=4, rng=random.Random(0))
    for i in range(20):
        infra.record_rtt(f"192.0.2.{i}", 0.05)
        assert len(infra) <= 4
    assert infra.stats("192.0.2.19") is not None
    assert infra.stats("192.0.2.0") is None
    infra.clear()
    assert len(infra) == 0
