"""The infra cache's table of server records: each record counted at its size, the total under
its bound, a record forgotten HOST_TTL after its last news (when it is next read), and the
same choices, timeouts, EDNS and probe decisions as the TLRUCache-based records before it."""

from __future__ import annotations

import random

from resolver.infra import (
    HOST_TTL,
    MARK_BYTES,
    MAX_ZONE_MARKS_PER_SERVER,
    SERVER_RECORD_BYTES,
    Feedback,
    ServerRecords,
    ServerTable,
    _Mark,
    _Server,
)
from resolver.memory import MIN_CACHE_SIZE, ResolverShares
from resolver.selection import UNKNOWN_SERVER_NICENESS, InfraCache
from tests.fakenet import FakeClock

ZONE = "example."
A, B, C = "192.0.2.1", "192.0.2.2", "192.0.2.3"

# What the TLRUCache-based InfraCache (before the ServerTable) answered to scripted_run():
# server picks (last octet; "-" none usable), timeouts ("t..."), EDNS ("e" with OPT, "E"
# without) and probes ("p" due, "P" not).
BEFORE = (
    "2 2 4 p 2 1 p 1 e 1 1 t3.0000 4 0 1 1 2 t0.8000 1 2 3 p p t1.6000 p p 1 1 t3.0000 "
    "t0.1000 3 p 2 1 4 2 e 1 1 1 1 3 p 3 t4.0150 3 p t1.0202 2 3 e 2 1 0 1 1 3 t3.0000 p "
    "t6.0000 p 4 3 e 3 1 t0.8000 e 3 4 3 3 t0.8000 0 2 t3.0000 p 2 2 4 t0.0500 4 e t3.0000 2 "
    "3 3 t3.0000 p 0 t0.6000 4 4 4 0 t3.0000 3 3 4 4 t3.0000 3 3 e 2 e 2 e p 1 3 t1.8000 e 2 "
    "e 2 3 4 3 2 t6.0000 3 t3.0000 3 4 e 3 4 e p 3 3 e p e 3 4 e e t6.0000 t0.8000 p 3 1 1 3 "
    "1 p 2 3 3 t3.0000 0 e 4 e e t0.0700 3 2 4 1 4 e 0 t3.0000 p t1.6890 t3.0000 3 e p e 3 1 "
    "1 p 1 p 1 1 1 p 3 2 2 4 t0.8000 2 e p 1 t1.6000 t1.6000 2 t1.6000 4 t3.0000 p p 1 p 2 e "
    "1 t0.8000 4 e t3.0000 4 4 P t0.8000 p 1 e e p e 4 e 2 3 2 2 2 t2.2861 1 2 p 2 p t3.0000 "
    "3 3 e E 3 e 3 0 e t6.0000 3 2 p 3 3 3 3 e 0 e e 2 p 3 - p 2 e e 3 0 t6.0000 - 3 e "
    "t6.0000 3 0 3 p 4 4 p 3 p 2 t0.4000 2 t1.6000 3 3 4 e 4 t0.8000 3 0 2 2 3 3 4 3 p 4 4 2 "
    "4 t0.4720 p t3.0000 - t0.4000 4 4 0 p e e t0.1000 1 2 2 4 2 3 P 2 e p 4 2 3 3 t0.6000 p "
    "0 e 4 e 1 4 2 t0.2000 4 4 3 1 e 2 2 3 4 1 t3.0000 t1.6000 1 1 4 t3.2000 t3.0000 t6.0000 "
    "4 1 P 1 e t1.6000 2 e t2.0543 t6.0000 4 p t3.0000 p e 3 4 4 t1.6000 4 1 1 t3.0000 "
    "t0.8000 2 4 3 t1.6000 1 0 1 0 0 4 t0.8000 - 2 2 4 2"
)


def scripted_run(steps: int = 600) -> str:
    """A seeded mix of feedback (two nearly dead servers, every kind of failure), choices,
    timeouts, EDNS and probe questions, with the clock moving from nothing to 5 minutes."""
    clock = FakeClock(0.0)
    infra = InfraCache(clock=clock, rng=random.Random(7))
    servers = [f"192.0.2.{i}" for i in range(5)]
    zones = ["example.", "Example.", "other.example.", "net."]
    script = random.Random(2024)
    out = []
    for _ in range(steps):
        op = script.random()
        address = script.choice(servers)
        zone = script.choice(zones)
        if op < 0.35:
            if address in servers[:2] and script.random() < 0.9:  # two nearly dead servers
                feedback = Feedback.TIMEOUT
            elif script.random() < 0.5:
                feedback = script.choice([*Feedback, Feedback.EDNS_REJECTED,
                                          Feedback.EDNS_REJECTED])
            else:
                feedback = Feedback.OK
            rtt = (None if feedback is not Feedback.OK and script.random() < 0.5
                   else script.choice([0.002, 0.01, 0.05, 0.3, 1.2]))
            infra.report(address, zone, feedback, rtt)
        elif op < 0.75:
            pick = infra.choose(script.sample(servers, script.randint(1, 4)), zone)
            out.append("-" if pick is None else pick.rsplit(".", 1)[1])
        elif op < 0.85:
            timeout = infra.timeout(address, tcp=script.random() < 0.2,
                                    attempt=script.randint(0, 3))
            out.append(f"t{timeout:.4f}")
        elif op < 0.92:
            out.append("e" if infra.edns_ok(address) else "E")
        else:
            out.append("p" if infra.probe_due(script.choice(servers[:2])) else "P")
        clock.advance(script.choice([0.0, 0.0, 0.0, 0.5, 1.0, 3.0, 20.0, 300.0]))
    return " ".join(out)


def test_a_scripted_sequence_gets_the_same_decisions_as_before() -> None:
    assert scripted_run() == "".join(BEFORE)


def test_every_record_is_counted_at_its_size_and_the_total_stays_under_the_bound() -> None:
    clock = FakeClock()
    records = ServerRecords(clock=clock, max_bytes=32 * 1024)
    table = records._servers
    rng = random.Random(3)
    for i in range(3000):
        address = f"2001:db8::{rng.randrange(300):x}"
        feedback = rng.choice(list(Feedback))
        records.report(address, f"z{rng.randrange(40)}.example.", feedback, rtt=0.01)
        if i % 7 == 0:
            clock.advance(rng.choice([1.0, 60.0, HOST_TTL]))
        assert table.currsize <= 32 * 1024
    assert table.currsize == sum(record.size for record in table.values())
    for address, record in table.items():  # its size now: its marks and their zone names
        assert record.size == SERVER_RECORD_BYTES + sum(
            MARK_BYTES + len(zone) for zone in record.marks), address
    assert len(table) > 20


def test_a_record_larger_than_the_whole_share_is_dropped_not_raised() -> None:
    # The smallest cache size's infra share, and one server lame for many long zone names:
    # its record alone would outgrow the share (cachetools raised ValueError here).
    share = ResolverShares.of(MIN_CACHE_SIZE).infra
    records = ServerRecords(clock=FakeClock(), max_bytes=share)
    label = "a" * 63
    for j in range(MAX_ZONE_MARKS_PER_SERVER):
        records.report(A, f"z{j}.{label}.{label}.{label}.", Feedback.REFUSED)
        assert records._servers.currsize <= share
    records.report(B, ZONE, Feedback.OK, rtt=0.02)
    assert records.stats(B) is not None


def test_a_record_too_large_for_the_table_leaves_the_others_in_place() -> None:
    table = ServerTable(SERVER_RECORD_BYTES * 3, by_bytes=True)
    table.store(A, _Server())
    table.store(B, _Server())
    huge = _Server(marks={f"z{j}.example.": _Mark(1e9, lame=True) for j in range(20)})
    table.store(C, huge)
    assert list(table) == [A, B] and table.currsize == 2 * SERVER_RECORD_BYTES


def test_a_forgotten_record_leaves_the_table_when_it_is_read() -> None:
    clock = FakeClock()
    infra = InfraCache(clock=clock, rng=random.Random(1), max_bytes=64 * 1024)
    infra.report(A, ZONE, Feedback.REFUSED)  # lame for 15 minutes
    infra.report(B, ZONE, Feedback.OK, rtt=0.02)
    assert infra.choose([A, B], ZONE) == B
    clock.advance(HOST_TTL)
    assert infra._servers.currsize > 0  # nobody read them since
    assert infra.usable([A], ZONE) == [A]  # no longer lame: never heard of
    assert infra.expected_rtt(B) == UNKNOWN_SERVER_NICENESS
    assert infra._servers.currsize == 0 and len(infra) == 0 and infra.addresses() == []


def test_a_server_choose_still_avoids_outlives_one_nobody_asks_about() -> None:
    clock = FakeClock()
    infra = InfraCache(clock=clock, rng=random.Random(1), maxsize=2)
    infra.report(A, ZONE, Feedback.REFUSED)  # lame: choose() skips it, and reads it doing so
    infra.report(B, ZONE, Feedback.OK, rtt=0.02)
    assert infra.choose([A, C], ZONE) == C
    infra.report(C, ZONE, Feedback.OK, rtt=0.02)  # one record too many: B goes, not A
    assert infra.stats(B) is None
    stats = infra.stats(A)
    assert stats is not None and stats.lame_zones == {ZONE}
