"""`--metrics ADDR:PORT`: Prometheus metrics over HTTP (GET /metrics), text format 0.0.4.

The exposition is prometheus_client's (the reference client library: names, escaping, types,
histogram buckets are its job); the HTTP server is a few lines on the server's own event loop,
so a scrape reads the counters between queries, never while one is half counted. Names follow
Prometheus conventions: `resolver_` prefix, base units (seconds, bytes), `_total` counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from resolver.server.config import ServerError

log = logging.getLogger("resolver.server")

# Latency buckets in seconds: a cache hit is well under a millisecond, a cold walk tens to
# hundreds of milliseconds, the deadline seconds.
BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
          1.0, 2.5, 5.0, 10.0]
MAX_REQUEST_HEAD = 8192


@dataclass
class Readings:
    """What a scrape shows: a stats snapshot, the two latency histograms behind its
    percentiles, and the octets the answer cache holds."""

    snapshot: dict[str, Any]
    latency: Any  # stats.LatencyHistogram
    miss_latency: Any
    answer_cache_bytes: int


def readings_of(nameserver: Any) -> Readings:
    """One nameserver's readings now."""
    size = sum(entry.size for entry in list(nameserver.cache.entries.values()))
    return Readings(nameserver.snapshot(), nameserver.stats.latency,
                    nameserver.stats.miss_latency, size)


class NameserverCollector:
    """Reads the counters at scrape time: one nameserver's, or `read()`'s (the sum over
    worker processes)."""

    def __init__(self, nameserver: Any = None, read: Callable[[], Readings] | None = None) -> None:
        self.read = read if read is not None else (lambda: readings_of(nameserver))

    def collect(self) -> Iterator[Metric]:
        readings = self.read()
        snapshot = readings.snapshot
        queries = CounterMetricFamily("resolver_queries", "Queries received, by transport.",
                                      labels=["protocol"])
        queries.add_metric(["udp"], snapshot["udp_queries"])
        queries.add_metric(["tcp"], snapshot["tcp_queries"])
        yield queries
        by_type = CounterMetricFamily("resolver_query_types", "Queries received, by QTYPE.",
                                      labels=["type"])
        for name, count in snapshot["queries_by_type"].items():
            by_type.add_metric([name], count)
        yield by_type
        by_rcode = CounterMetricFamily("resolver_responses", "Responses sent, by RCODE.",
                                       labels=["rcode"])
        for name, count in snapshot["answers_by_rcode"].items():
            by_rcode.add_metric([name], count)
        yield by_rcode
        yield CounterMetricFamily("resolver_cache_hits", "Queries answered from the cache.",
                                  value=snapshot["cache_hits"])
        yield CounterMetricFamily("resolver_cache_misses", "Queries that needed a resolution.",
                                  value=snapshot["cache_misses"])
        entries = GaugeMetricFamily("resolver_cache_entries", "Entries held, by cache.",
                                    labels=["cache"])
        entries.add_metric(["answer"], snapshot["answer_cache_entries"])
        entries.add_metric(["rrset"], snapshot["resolver"].get("cache_entries", 0))
        yield entries
        yield GaugeMetricFamily("resolver_answer_cache_size_bytes",
                                "Octets of packed replies in the answer cache.",
                                value=readings.answer_cache_bytes)
        upstream = CounterMetricFamily("resolver_upstream_queries",
                                       "Queries sent to other servers, by outcome.",
                                       labels=["outcome"])
        sent = snapshot["upstream_queries"]
        timeouts = snapshot["upstream_timeouts"]
        upstream.add_metric(["timeout"], timeouts)
        upstream.add_metric(["reply"], max(sent - timeouts, 0))
        yield upstream
        failures = CounterMetricFamily("resolver_servfail_reasons",
                                       "SERVFAIL answers the server gave itself, by reason.",
                                       labels=["reason"])
        failures.add_metric(["deadline"], snapshot["resolution_timeouts"])
        failures.add_metric(["resolver_error"], snapshot["resolution_errors"])
        failures.add_metric(["overloaded"], snapshot["overloaded"])
        failures.add_metric(["shed"], snapshot["misses_shed"])
        yield failures
        yield GaugeMetricFamily("resolver_resolutions_in_flight", "Resolutions running now.",
                                value=snapshot["resolutions_in_flight"])
        yield GaugeMetricFamily("resolver_queries_waiting",
                                "Client queries waiting on a running resolution.",
                                value=snapshot["queries_waiting"])
        yield _histogram("resolver_response_duration_seconds",
                         "Time from a query's arrival to its answer.", readings.latency)
        yield _histogram("resolver_resolution_duration_seconds",
                         "Time to answer a query that missed the cache.",
                         readings.miss_latency)
        acl = CounterMetricFamily("resolver_acl_actions",
                                  "Queries by the access-control action taken.",
                                  labels=["action"])
        for action, count in snapshot["acl_actions"].items():
            acl.add_metric([action], count)
        yield acl
        local = CounterMetricFamily("resolver_local_answers",
                                    "Queries answered from local data, by zone type.",
                                    labels=["kind"])
        for kind, count in snapshot["local_answers"].items():
            local.add_metric([kind], count)
        yield local
        yield CounterMetricFamily("resolver_dropped_queries", "Queries dropped without reply.",
                                  value=snapshot["dropped"])
        yield CounterMetricFamily("resolver_truncated_responses",
                                  "UDP responses sent with TC=1.", value=snapshot["truncated"])
        yield GaugeMetricFamily("resolver_tcp_connections", "Open client TCP connections.",
                                value=snapshot["tcp_connections"])
        yield GaugeMetricFamily("resolver_uptime_seconds", "Seconds since the server started.",
                                value=snapshot["uptime"])
        if "workers" in snapshot:
            yield GaugeMetricFamily("resolver_workers", "Worker processes serving queries.",
                                    value=snapshot["workers"]["count"])


def _histogram(name: str, documentation: str, histogram: Any) -> HistogramMetricFamily:
    buckets = [(_le(bound), count) for bound, count in histogram.buckets(BOUNDS)]
    return HistogramMetricFamily(name, documentation, buckets=buckets,
                                 sum_value=histogram.seconds)


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


class MetricsServer:
    """A minimal HTTP/1.0 server for GET /metrics, on the running event loop.

    It reads `nameserver`'s counters, or, given `gather`, awaits the readings before each
    scrape (the supervisor of worker processes sums theirs)."""

    def __init__(self, address: tuple[str, int], nameserver: Any = None, *,
                 gather: Callable[[], Awaitable[Readings]] | None = None) -> None:
        self.address = address
        self.registry = CollectorRegistry(auto_describe=False)
        self.gather = gather
        self._latest: Readings | None = None
        read = (lambda: self._latest) if gather is not None else None
        self.registry.register(NameserverCollector(nameserver, read))  # type: ignore[arg-type]
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        host, port = self.address
        try:
            self._server = await asyncio.start_server(self._serve, host, port)
        except OSError as error:
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            raise ServerError(f"cannot serve metrics on {where}: "
                              f"{error.strerror or error}") from None
        self.address = self._server.sockets[0].getsockname()[:2]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            request = head.split(b"\r\n", 1)[0].split()
            if len(request) < 2 or request[0] not in (b"GET", b"HEAD"):
                status, kind, body = b"405 Method Not Allowed", b"text/plain", b"GET only\n"
            elif request[1].split(b"?", 1)[0] != b"/metrics":
                status, kind, body = b"404 Not Found", b"text/plain", b"try /metrics\n"
            else:
                status, kind = b"200 OK", CONTENT_TYPE_LATEST.encode()
                if self.gather is not None:
                    self._latest = await self.gather()
                body = generate_latest(self.registry)
            writer.write(b"HTTP/1.0 " + status + b"\r\nContent-Type: " + kind
                         + b"\r\nContent-Length: " + str(len(body)).encode()
                         + b"\r\nConnection: close\r\n\r\n"
                         + (body if request[:1] != [b"HEAD"] else b""))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                ConnectionError):
            pass
        except Exception:  # a scrape must never take the server down
            log.exception("serving /metrics failed")
        finally:
            with contextlib.suppress(Exception):
                writer.close()
