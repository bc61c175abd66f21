"""Server selection: choose() sends most queries to the fastest usable server and explores the
others with a small share; usable() leaves out backed-off, lame and broken servers."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.infra import BACKOFF_AFTER, BROKEN_TTL
from resolver.selection import (
    EXPLORE_PROBABILITY,
    UNKNOWN_SERVER_NICENESS,
    Feedback,
    InfraCache,
)
from tests.fakenet import FakeClock

ZONE = "example."
SERVERS = [f"192.0.2.{i}" for i in range(1, 9)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def infra(clock: FakeClock) -> InfraCache:
    return InfraCache(clock=clock, rng=random.Random(1234))


def train(infra: InfraCache, address: str, rtt: float, samples: int = 30) -> None:
    for _ in range(samples):
        infra.report(address, ZONE, Feedback.OK, rtt)


def choices(infra: InfraCache, candidates: list[str], n: int = 1000) -> Counter:
    return Counter(infra.choose(candidates, ZONE) for _ in range(n))


# -- choose ---------------------------------------------------------------------------------


def test_slow_server_gets_only_the_exploration_share(infra: InfraCache) -> None:
    fast1, fast2, slow = SERVERS[:3]
    train(infra, fast1, 0.010)
    train(infra, fast2, 0.010)
    train(infra, slow, 0.300)
    picked = choices(infra, [slow, fast1, fast2])
    assert 0 < picked[slow] < 100  # explored now and then, well under 10 %
    assert picked[fast1] > 350 and picked[fast2] > 350  # equally fast: they share the load


def test_a_few_milliseconds_count(infra: InfraCache) -> None:
    # Both are below min_rto: their timeouts are equal, but 10 ms is still better than 40 ms.
    near, far = SERVERS[:2]
    train(infra, near, 0.010)
    train(infra, far, 0.040)
    assert infra.timeout(near) == infra.timeout(far)
    assert infra.usable([far, near], ZONE) == [near, far]
    assert choices(infra, [far, near])[near] > 900


def test_the_exploration_share_is_about_five_percent(infra: InfraCache) -> None:
    fast, slow = SERVERS[:2]
    train(infra, fast, 0.02)
    train(infra, slow, 0.9)
    picked = choices(infra, [fast, slow], n=4000)
    assert picked[slow] / 4000 == pytest.approx(EXPLORE_PROBABILITY, abs=0.02)


def test_cold_cache_sends_the_first_query_to_a_random_server() -> None:
    firsts = Counter(
        InfraCache(clock=FakeClock(), rng=random.Random(seed)).choose(SERVERS[:4], ZONE)
        for seed in range(400)
    )
    assert set(firsts) == set(SERVERS[:4])
    assert min(firsts.values()) > 60  # about 100 each


def test_once_a_fast_server_is_measured_untried_ones_are_only_explored(
    infra: InfraCache,
) -> None:
    known, *unknown = SERVERS[:4]
    train(infra, known, 0.02)
    picked = choices(infra, [*unknown, known])
    assert picked[known] > 900
    assert all(picked[u] > 0 for u in unknown)  # each still gets tried


def test_untried_servers_go_before_slow_known_ones(infra: InfraCache) -> None:
    slow, unknown = SERVERS[:2]
    train(infra, slow, 1.0)
    assert infra.expected_rtt(unknown) == UNKNOWN_SERVER_NICENESS
    assert infra.usable([slow, unknown], ZONE) == [unknown, slow]
    assert choices(infra, [slow, unknown])[unknown] > 900


def test_timeouts_push_a_server_down_before_it_is_backed_off(infra: InfraCache) -> None:
    one, two = SERVERS[:2]
    train(infra, one, 0.02)
    train(infra, two, 0.05)
    assert infra.usable([two, one], ZONE) == [one, two]
    infra.report(one, ZONE, Feedback.TIMEOUT)
    infra.report(one, ZONE, Feedback.TIMEOUT)
    assert infra.usable([two, one], ZONE) == [two, one]  # still usable, but ranked lower
    infra.report(one, ZONE, Feedback.OK, 0.02)
    assert infra.usable([two, one], ZONE) == [one, two]


def test_nothing_usable_means_none(infra: InfraCache, clock: FakeClock) -> None:
    assert infra.choose([], ZONE) is None
    dead, lame, broken = SERVERS[:3]
    for _ in range(BACKOFF_AFTER):
        infra.report(dead, ZONE, Feedback.TIMEOUT)
    infra.report(lame, ZONE, Feedback.REFUSED)
    infra.report(broken, ZONE, Feedback.SERVFAIL)
    assert infra.choose([dead, lame, broken], ZONE) is None
    assert infra.usable([dead, lame, broken], ZONE) == []
    assert infra.choose([dead, lame, broken], "other.") == broken  # marks are per zone
    clock.advance(BROKEN_TTL)
    assert infra.choose([dead, lame, broken], ZONE) == broken


def test_a_dead_fast_server_costs_a_few_timeouts_not_one_per_query(
    infra: InfraCache, clock: FakeClock
) -> None:
    dead, alive = SERVERS[:2]
    train(infra, dead, 0.01)  # it was the fastest, then it died
    train(infra, alive, 0.03)
    timeouts = 0
    for _ in range(100):  # 100 queries in 10 s, each trying usable servers until one answers
        tried: set[str] = set()
        while address := infra.choose([s for s in (dead, alive) if s not in tried], ZONE):
            tried.add(address)
            if address == dead:
                timeouts += 1
                infra.report(dead, ZONE, Feedback.TIMEOUT)
            else:
                infra.report(alive, ZONE, Feedback.OK, 0.03)
                break
        clock.advance(0.1)
    assert BACKOFF_AFTER <= timeouts <= BACKOFF_AFTER + 2


def test_seeded_rng_makes_choices_reproducible(clock: FakeClock) -> None:
    runs = []
    for _ in range(2):
        infra = InfraCache(clock=clock, rng=random.Random(7))
        train(infra, SERVERS[0], 0.02)
        runs.append([infra.choose(SERVERS, ZONE) for _ in range(200)])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 1  # and it does explore


def test_default_rng_is_seeded_per_cache_from_the_os(clock: FakeClock) -> None:
    # Without an rng each cache seeds its own generator from `secrets` (no system call per
    # choice, yet no spoofer can replay the sequence): two caches pick differently.
    caches = [InfraCache(clock=clock) for _ in range(2)]
    runs = [[cache.choose(SERVERS, ZONE) for _ in range(100)] for cache in caches]
    assert runs[0] != runs[1]
    assert set(runs[0]) == set(SERVERS)  # untried servers tie: each is picked at random


def test_a_single_usable_server_is_chosen_without_drawing(clock: FakeClock) -> None:
    rng = random.Random(3)
    state = rng.getstate()
    infra = InfraCache(clock=clock, rng=rng)
    assert [infra.choose([SERVERS[0]], ZONE) for _ in range(5)] == [SERVERS[0]] * 5
    assert rng.getstate() == state


# -- usable ---------------------------------------------------------------------------------


def test_usable_is_in_preference_order_without_duplicates(infra: InfraCache) -> None:
    for address, rtt in zip(SERVERS[:5], (2.0, 0.01, 1.5, 0.9, 2.5), strict=True):
        train(infra, address, rtt)
    unknown = SERVERS[5]
    ranked = infra.usable([*SERVERS[:6], SERVERS[1]], ZONE)
    assert ranked == [SERVERS[1], unknown, SERVERS[3], SERVERS[2], SERVERS[0], SERVERS[4]]


_STATES = st.sampled_from(["unknown", "fast", "slow", "timeout", "dead", "lame", "broken"])


@settings(max_examples=300, deadline=None)
@given(
    candidates=st.lists(st.sampled_from(SERVERS + ["2001:db8::1"]), max_size=12),
    states=st.dictionaries(st.sampled_from(SERVERS), _STATES),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_choose_picks_only_usable_servers(
    candidates: list[str], states: dict[str, str], seed: int
) -> None:
    infra = InfraCache(clock=FakeClock(), rng=random.Random(seed))
    for address, state in states.items():
        if state == "fast":
            train(infra, address, 0.01, samples=3)
        elif state == "slow":
            train(infra, address, 2.0, samples=3)
        elif state in ("timeout", "dead"):
            for _ in range(1 if state == "timeout" else BACKOFF_AFTER):
                infra.report(address, ZONE, Feedback.TIMEOUT)
        elif state == "lame":
            infra.report(address, ZONE, Feedback.LAME)
        elif state == "broken":
            infra.report(address, ZONE, Feedback.FORMERR)
    avoided = {a for a, s in states.items() if s in ("dead", "lame", "broken")}
    usable = infra.usable(candidates, ZONE)
    assert set(usable) == set(candidates) - avoided and len(usable) == len(set(usable))
    ranks = [infra.expected_rtt(a) for a in usable]
    assert ranks == sorted(ranks)
    for _ in range(5):
        choice = infra.choose(candidates, ZONE)
        assert choice in usable if usable else choice is None
