"""Summing worker processes' counters (resolver/server/workers.py, stats.merge_snapshots) and
the supervisor-worker link, without processes."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from resolver.server.config import ServerError
from resolver.server.stats import LatencyHistogram, ServerStats
from resolver.server.workers import (
    Link,
    LinkClosed,
    join_dumps,
    join_texts,
    merge_readings,
    usable_cpus,
)

ONE_LATENCIES = [0.0002, 0.0003, 0.050]
OTHER_LATENCIES = [0.0001, 0.0004, 0.0005, 0.0009, 0.200]


def worker_part(latencies: list[float], hits: int, misses: int, resolver: dict) -> dict:
    """A worker's answer to "readings", as it travels (through JSON)."""
    stats = ServerStats()
    stats.udp_queries = hits + misses
    stats.cache_hits, stats.cache_misses = hits, misses
    stats.by_type = {b"\x00\x01": hits + misses}
    for seconds in latencies:
        stats.latency.record(seconds)
        stats.count_rcode(0)
    stats.miss_latency.record(latencies[-1])
    snapshot = stats.snapshot(resolver, cache_entries=hits)
    snapshot["acl_actions"] = {"allow": hits + misses}
    part = {"snapshot": snapshot, "latency": stats.latency.state(),
            "miss_latency": stats.miss_latency.state(), "answer_cache_bytes": 100 * hits}
    return json.loads(json.dumps(part))


def test_counters_are_summed_and_the_hit_ratio_worked_out_again():
    one = worker_part(ONE_LATENCIES, hits=2, misses=1, resolver={"upstream_queries": 7,
                                                                  "cache_entries": 10})
    other = worker_part(OTHER_LATENCIES, hits=4, misses=1, resolver={"upstream_queries": 3,
                                                                      "cache_entries": 5})
    readings = merge_readings([one, other])
    merged = readings.snapshot
    assert merged["queries"] == 8 and merged["udp_queries"] == 8
    assert merged["cache_hits"] == 6 and merged["cache_misses"] == 2
    assert merged["cache_hit_ratio"] == 0.75
    assert merged["queries_by_type"] == {"A": 8}
    assert merged["answers_by_rcode"] == {"NOERROR": 8}
    assert merged["acl_actions"] == {"allow": 8}
    assert merged["upstream_queries"] == 10
    assert merged["resolver"] == {"upstream_queries": 10, "cache_entries": 15}
    assert merged["answer_cache_entries"] == 6 and readings.answer_cache_bytes == 600
    assert merged["uptime"] == max(one["snapshot"]["uptime"], other["snapshot"]["uptime"])
    assert merged["workers"] == {"count": 2, "queries": [3, 5]}


def test_percentiles_come_from_the_merged_histogram_not_from_averages():
    readings = merge_readings([worker_part(ONE_LATENCIES, 2, 1, {}),
                               worker_part(OTHER_LATENCIES, 4, 1, {})])
    everything = LatencyHistogram()
    for seconds in ONE_LATENCIES + OTHER_LATENCIES:
        everything.record(seconds)
    assert readings.snapshot["latency_ms"] == everything.summary()
    assert readings.latency.counts == everything.counts
    assert readings.latency.seconds == pytest.approx(everything.seconds)
    assert readings.snapshot["latency_ms"]["max"] == 200.0
    assert readings.snapshot["miss_latency_ms"]["count"] == 2


def test_control_texts_once_when_every_worker_says_the_same():
    assert join_texts(["reloaded x: no change"] * 2) == "each of 2 workers: reloaded x: no change"
    assert join_texts(["flushed 1 entries", "flushed 0 entries"]) == (
        "worker 0: flushed 1 entries\nworker 1: flushed 0 entries")
    assert join_texts(["only one"]) == "only one"
    assert join_texts(["a\nb", "c\nd"]) == "worker 0:\na\nb\nworker 1:\nc\nd"


def test_cache_dumps_join_under_one_header():
    one = ";; resolver cache dump\n;; dumped-at 1.000\n;; rrset ANSWER\na. 60 IN A 192.0.2.1\n"
    other = ";; resolver cache dump\n;; dumped-at 2.000\n;; rrset ANSWER\nb. 60 IN A 192.0.2.2\n"
    joined = join_dumps([one, other])
    assert joined == one + ";; rrset ANSWER\nb. 60 IN A 192.0.2.2\n"


def test_auto_is_at_least_one_cpu():
    assert usable_cpus() >= 1


def test_the_link_asks_both_ways_and_reports_errors_and_closing():
    async def scenario() -> None:
        left_sock, right_sock = socket.socketpair()

        async def left_handler(op: str, args: dict) -> object:
            return {"double": args["n"] * 2}

        async def right_handler(op: str, args: dict) -> object:
            if op == "fail":
                raise ServerError("cannot do that")
            # answering may itself ask the other side
            return (await right.ask("double", n=args["n"]))["double"] + 1

        left, right = Link(left_sock, left_handler), Link(right_sock, right_handler)
        await left.start()
        await right.start()
        assert await left.ask("double-plus-one", n=20) == 41
        with pytest.raises(ServerError, match="cannot do that"):
            await left.ask("fail")
        right.close()
        await left.closed.wait()
        with pytest.raises(LinkClosed):
            await left.ask("double", n=1)
        left.close()

    asyncio.run(scenario())


def test_workers_setting_takes_a_number_or_auto_in_toml_and_rejects_the_rest():
    from resolver.server import settings

    assert settings.parse_text("workers = 3", "f")["workers"] == 3
    assert settings.parse_text('workers = "auto"', "f")["workers"] == usable_cpus()
    assert settings.defaults()["workers"] == 1
    for bad, why in (("workers = 0", "at least 1"), ('workers = "two"', "not a whole number"),
                     ("workers = 1.5", "expected an integer")):
        with pytest.raises(settings.ConfigError, match=why):
            settings.parse_text(bad, "f")
