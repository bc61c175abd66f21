"""Counters an operator needs, and the latency histogram behind the percentiles.

Counting sits on the hot path, so it is plain attribute and dict increments; names and
percentiles are worked out only when someone asks (`snapshot`).
"""

from __future__ import annotations

import time

from dnslib import QTYPE, RCODE

# Latency buckets: exact below 4 µs, then 4 per octave (each about 19% wide), up to ~2^31 µs.
_SUB_BUCKETS = 4
_BUCKETS = 128


def _bucket_upper(index: int) -> int:
    """Upper bound in µs of a bucket, for reporting."""
    if index < 4:
        return index
    bits = index // _SUB_BUCKETS + 2
    return (5 + index % _SUB_BUCKETS) << (bits - 3)


class LatencyHistogram:
    """Log-scale histogram of latencies; percentiles are reported as bucket upper bounds."""

    __slots__ = ("counts", "total", "max_micros", "seconds")

    def __init__(self) -> None:
        self.counts = [0] * _BUCKETS
        self.total = 0
        self.max_micros = 0
        self.seconds = 0.0  # the sum, for Prometheus' histogram _sum

    def record(self, seconds: float) -> None:
        micros = int(seconds * 1_000_000)
        if micros < 4:  # the bucket: inline, as this runs once per query
            index = micros if micros > 0 else 0
        else:
            bits = micros.bit_length()
            index = (bits - 2) * _SUB_BUCKETS + ((micros >> (bits - 3)) & 3)
            if index >= _BUCKETS:
                index = _BUCKETS - 1
        self.counts[index] += 1
        self.total += 1
        self.seconds += seconds
        if micros > self.max_micros:
            self.max_micros = micros

    def percentile(self, fraction: float) -> float:
        """Latency in milliseconds below which `fraction` of the recorded ones fall."""
        if not self.total:
            return 0.0
        wanted = fraction * self.total
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if count and seen >= wanted:
                return min(_bucket_upper(index), self.max_micros) / 1000
        return self.max_micros / 1000

    def buckets(self, bounds: list[float]) -> list[tuple[float, int]]:
        """Cumulative counts at each bound in seconds (Prometheus `le` buckets, +Inf last):
        a log bucket counts toward the first bound at or above its upper edge."""
        cumulative = [0] * len(bounds)
        for index, count in enumerate(self.counts):
            if not count:
                continue
            upper = _bucket_upper(index) / 1_000_000
            for position, bound in enumerate(bounds):
                if upper <= bound:
                    cumulative[position] += count
                    break
        result, running = [], 0
        for bound, count in zip(bounds, cumulative, strict=True):
            running += count
            result.append((bound, running))
        result.append((float("inf"), self.total))
        return result

    def state(self) -> dict:
        """The histogram as plain data (non-empty buckets only), to send to another process."""
        return {"counts": {str(i): c for i, c in enumerate(self.counts) if c},
                "total": self.total, "max_micros": self.max_micros, "seconds": self.seconds}

    @classmethod
    def merged(cls, states: list[dict]) -> LatencyHistogram:
        """One histogram holding every latency of several (`state()` of each): percentiles
        cannot be summed, bucket counts can."""
        histogram = cls()
        for state in states:
            for index, count in state["counts"].items():
                histogram.counts[int(index)] += count
            histogram.total += state["total"]
            histogram.seconds += state["seconds"]
            histogram.max_micros = max(histogram.max_micros, state["max_micros"])
        return histogram

    def summary(self) -> dict[str, float]:
        return {
            "p50": self.percentile(0.50),
            "p90": self.percentile(0.90),
            "p99": self.percentile(0.99),
            "p999": self.percentile(0.999),
            "max": self.max_micros / 1000,
            "count": self.total,
        }


class ServerStats:
    """Everything counted since the server started."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.udp_queries = 0
        self.tcp_queries = 0
        self.by_type: dict[bytes | int, int] = {}  # 2-octet wire type on the hot path
        self.by_rcode: dict[int, int] = {}
        self.cache_hits = 0
        self.cache_misses = 0
        self.dropped = 0  # unparsable header or a response: no reply sent
        self.refused_acl = 0
        self.truncated = 0
        self.overloaded = 0  # SERVFAIL because max_inflight resolutions were running
        self.misses_shed = 0  # SERVFAIL because the miss waited too long to start (overload)
        self.resolution_timeouts = 0  # SERVFAIL because the server's deadline passed
        self.resolution_errors = 0  # SERVFAIL because the resolver raised
        self.udp_send_dropped = 0
        self.tcp_connections = 0
        self.tcp_connections_total = 0
        self.tcp_refused = 0
        self.inflight = 0
        self.waiting = 0
        self.latency = LatencyHistogram()
        self.miss_latency = LatencyHistogram()

    def count_rcode(self, rcode: int) -> None:
        self.by_rcode[rcode] = self.by_rcode.get(rcode, 0) + 1

    def snapshot(self, resolver_stats: dict | None = None, cache_entries: int = 0) -> dict:
        by_type: dict[str, int] = {}
        for rtype, count in self.by_type.items():
            number = int.from_bytes(rtype, "big") if isinstance(rtype, bytes) else rtype
            name = QTYPE.get(number, f"TYPE{number}")
            by_type[name] = by_type.get(name, 0) + count
        lookups = self.cache_hits + self.cache_misses
        resolver_stats = resolver_stats or {}
        return {
            "uptime": round(time.monotonic() - self.started, 3),
            "queries": self.udp_queries + self.tcp_queries,
            "udp_queries": self.udp_queries,
            "tcp_queries": self.tcp_queries,
            "queries_by_type": dict(sorted(by_type.items())),
            "answers_by_rcode": {
                _rcode_name(rcode): count for rcode, count in sorted(self.by_rcode.items())
            },
            "cache_hits": self.cache_hits,
            "cache_misses": self.cache_misses,
            "cache_hit_ratio": round(self.cache_hits / lookups, 4) if lookups else 0.0,
            "answer_cache_entries": cache_entries,
            "upstream_queries": resolver_stats.get("upstream_queries", 0),
            "upstream_timeouts": resolver_stats.get("timeouts", 0),
            "resolutions_in_flight": self.inflight,
            "queries_waiting": self.waiting,
            "resolution_timeouts": self.resolution_timeouts,
            "resolution_errors": self.resolution_errors,
            "overloaded": self.overloaded,
            "misses_shed": self.misses_shed,
            "dropped": self.dropped,
            "refused_acl": self.refused_acl,
            "truncated": self.truncated,
            "udp_send_dropped": self.udp_send_dropped,
            "tcp_connections": self.tcp_connections,
            "tcp_connections_total": self.tcp_connections_total,
            "tcp_refused": self.tcp_refused,
            "latency_ms": self.latency.summary(),
            "miss_latency_ms": self.miss_latency.summary(),
            "resolver": resolver_stats,
        }


def _rcode_name(rcode: int) -> str:
    return "BADVERS" if rcode == 16 else RCODE.get(rcode, str(rcode))


def summary_line(snapshot: dict) -> str:
    """One log line for --stats-interval."""
    latency = snapshot["latency_ms"]
    rcodes = " ".join(f"{k}={v}" for k, v in snapshot["answers_by_rcode"].items()) or "-"
    return (
        f"stats: queries={snapshot['queries']} hits={snapshot['cache_hits']} "
        f"misses={snapshot['cache_misses']} upstream={snapshot['upstream_queries']} "
        f"timeouts={snapshot['upstream_timeouts']} in_flight={snapshot['resolutions_in_flight']} "
        f"rcodes[{rcodes}] latency_ms p50={latency['p50']} p90={latency['p90']} "
        f"p99={latency['p99']} max={latency['max']}"
    )


def merge_snapshots(
    snapshots: list[dict], latency: LatencyHistogram, miss_latency: LatencyHistogram
) -> dict:
    """One snapshot for several worker processes: counters and gauges (nested ones too) are
    summed, uptime is the longest, the hit ratio is worked out again from the sums, and the
    latency percentiles come from the merged histograms (`LatencyHistogram.merged`)."""
    merged = _sum_tree(snapshots)
    merged["uptime"] = max((s.get("uptime", 0.0) for s in snapshots), default=0.0)
    lookups = merged.get("cache_hits", 0) + merged.get("cache_misses", 0)
    merged["cache_hit_ratio"] = round(merged["cache_hits"] / lookups, 4) if lookups else 0.0
    merged["latency_ms"] = latency.summary()
    merged["miss_latency_ms"] = miss_latency.summary()
    return merged


def _sum_tree(trees: list[dict]) -> dict:
    result: dict = {}
    for tree in trees:
        for key, value in tree.items():
            if isinstance(value, dict):
                if key not in result:
                    result[key] = _sum_tree([t[key] for t in trees
                                             if isinstance(t.get(key), dict)])
            elif isinstance(value, bool) or not isinstance(value, int | float):
                result.setdefault(key, value)  # text: the first worker's
            else:
                result[key] = result.get(key, 0) + value
    return result
