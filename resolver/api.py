"""The library API: `Resolver`, and module-level `resolve` / `resolve_async`.

All resolution runs on one event loop that the Resolver owns, in a daemon thread. The cache,
the infra cache and the table of in-flight questions are touched only from that loop, so they
need no locks; `resolve()` from any thread and `resolve_async()` from any other event loop hand
their question to it. Identical questions in flight share one walk.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import ipaddress
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

from dnslib import CLASS, QTYPE, RCODE

from resolver import wire
from resolver.answer import Answer
from resolver.cache import RRsetCache
from resolver.errors import (
    NXDOMAIN,
    InvalidName,
    LifetimeTimeout,
    NoAnswer,
    NoNameservers,
)
from resolver.hints import load_root_hints
from resolver.iterator import Iterator
from resolver.limits import DEFAULT_LIMITS, Limits
from resolver.policy import AddressPolicy
from resolver.render import failure_text
from resolver.selection import InfraCache
from resolver.trace import Cause, ResolutionFinished
from resolver.transport import NetworkTransport, Transport

DEFAULT_CACHE_SIZE = 100_000  # RRsets; about 100 MB at worst (see benchmarks/)


def parse_rdtype(rdtype: str | int) -> int:
    """ "MX", "mx", 15 or "TYPE15" -> 15; anything else is a ValueError naming the type."""
    if isinstance(rdtype, int):
        if 0 < rdtype < 65536:
            return rdtype
        raise ValueError(f"record type {rdtype} is out of range")
    text = rdtype.strip().upper()
    if text.startswith("TYPE") and text[4:].isdigit():
        return parse_rdtype(int(text[4:]))
    value = QTYPE.reverse.get(text)
    if value is None:
        raise ValueError(f"unknown record type {rdtype!r}")
    return value


def normalize_name(name: str) -> str:
    """Absolute, validated form of a domain name; InvalidName says what is wrong with it."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidName(f"invalid domain name {name!r}: it is empty")
    try:
        return wire.validate_name(name.strip())
    except wire.WireError as exc:
        raise InvalidName(f"invalid domain name {name!r}: {exc}") from None


def _hints_on_loopback(addresses: Iterable[str]) -> bool:
    return all(ipaddress.ip_address(a).is_loopback for a in addresses)


class Resolver:
    """An iterative resolver with its own cache. Safe to share between threads and loops."""

    def __init__(
        self,
        root_hints: str | None = None,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        timeout: float | None = None,
        lifetime: float | None = None,
        limits: Limits = DEFAULT_LIMITS,
        upstream_port: int = 53,
        allowed_networks: Iterable[str] | None = None,
        ipv4_only: bool = False,
        max_ttl: int = 86_400,
        min_ttl: int = 0,
        use_cache: bool = True,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hints = load_root_hints(root_hints)
        # timeout= and lifetime= are the two limits people set most: shorthands for limits=.
        if timeout is not None:
            limits = dataclasses.replace(limits, query_timeout=timeout)
        if lifetime is not None:
            limits = dataclasses.replace(limits, lifetime=lifetime)
        self.limits = limits
        self.lifetime = limits.lifetime
        self.use_cache = use_cache
        self._clock = clock
        self._cache_args = {
            "maxsize": cache_size,
            "max_ttl": max_ttl,
            "min_ttl": min_ttl,
            "clock": clock,
        }
        hint_addresses = [a for _, a in self.hints.all_addresses()]
        policy = AddressPolicy(
            list(allowed_networks) if allowed_networks is not None else None,
            allow_loopback=_hints_on_loopback(hint_addresses),
        )
        self.iterator = Iterator(
            cache=RRsetCache(**self._cache_args),
            infra=InfraCache(clock=clock),
            transport=transport or NetworkTransport(policy),
            hints=self.hints,
            policy=policy,
            upstream_port=upstream_port,
            ipv4_only=ipv4_only,
            limits=limits,
            clock=clock,
        )
        self._inflight: dict[tuple[str, int, int], asyncio.Future[Answer]] = {}
        self._counters = {"queries": 0, "cache_answers": 0, "deduplicated": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @classmethod
    def for_lab(cls, lab: Any, **kwargs: Any) -> Resolver:
        """A resolver that walks the given offline lab instead of the internet."""
        return cls(**{**lab.resolver_options(), **kwargs})

    # ---- the resolver's own loop ------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="resolver-loop", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def close(self) -> None:
        """Stop the resolver's loop thread; the object is unusable afterwards."""
        with self._start_lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)
            loop.close()

    def __enter__(self) -> Resolver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- answers that never raise for DNS outcomes -------------------------------------------

    async def query_async(
        self, name: str, rdtype: str | int = "A", rdclass: int = CLASS.IN
    ) -> Answer:
        """Resolve and return the Answer whatever its rcode; raises InvalidName only."""
        qname, qtype = self._question(name, rdtype)
        loop = self._ensure_loop()
        if asyncio.get_running_loop() is loop:
            return await self._shared_walk(qname, qtype, rdclass)
        future = asyncio.run_coroutine_threadsafe(self._shared_walk(qname, qtype, rdclass), loop)
        return await asyncio.wrap_future(future)

    def query(self, name: str, rdtype: str | int = "A", rdclass: int = CLASS.IN) -> Answer:
        """Blocking form of query_async, for any thread but the resolver's own."""
        qname, qtype = self._question(name, rdtype)
        loop = self._ensure_loop()
        if threading.current_thread() is self._thread:
            raise RuntimeError(
                "Resolver.query() called from the resolver's own loop: await query_async()"
            )
        future: Future[Answer] = asyncio.run_coroutine_threadsafe(
            self._shared_walk(qname, qtype, rdclass), loop
        )
        return future.result()

    # ---- answers or exceptions, as dnspython does -------------------------------------------

    def resolve(self, name: str, rdtype: str | int = "A") -> Answer:
        """Resolve name/rdtype; raise NXDOMAIN, NoAnswer, NoNameservers or LifetimeTimeout."""
        return raise_for_outcome(self.query(name, rdtype))

    async def resolve_async(self, name: str, rdtype: str | int = "A") -> Answer:
        return raise_for_outcome(await self.query_async(name, rdtype))

    # ---- internals ----------------------------------------------------------------------------

    @staticmethod
    def _question(name: str, rdtype: str | int) -> tuple[str, int]:
        qname = normalize_name(name)
        try:
            qtype = parse_rdtype(rdtype)
        except ValueError as exc:
            raise InvalidName(str(exc)) from None
        return qname, qtype

    async def _shared_walk(self, qname: str, qtype: int, rdclass: int) -> Answer:
        """Join an identical walk in flight, or start one; each caller gets its own Answer copy."""
        key = (qname.lower(), qtype, rdclass)
        self._counters["queries"] += 1
        shared = self._inflight.get(key)
        if shared is not None:
            self._counters["deduplicated"] += 1
            answer = await asyncio.shield(shared)
        else:
            shared = asyncio.get_running_loop().create_future()
            self._inflight[key] = shared
            try:
                answer = await self._walk(qname, qtype, rdclass)
                shared.set_result(answer)
            except BaseException as exc:
                shared.set_exception(exc)
                shared.exception()  # mark retrieved: joiners re-raise it themselves
                raise
            finally:
                del self._inflight[key]
        result = copy.copy(answer)
        result.qname = qname  # the caller's own spelling
        return result

    async def _walk(self, qname: str, qtype: int, rdclass: int) -> Answer:
        if rdclass != CLASS.IN:
            return Answer(qname, qtype, rdclass, RCODE.REFUSED, qname)
        iterator = self.iterator
        if not self.use_cache:  # a private cache per question: nothing is answered from memory
            iterator = copy.copy(self.iterator)
            iterator.cache = RRsetCache(**self._cache_args)
        walk = iterator.resolution(qname, qtype)
        outcome = await iterator.run(walk)
        if walk.queries_sent == 0:
            self._counters["cache_answers"] += 1
        return Answer(
            qname=qname,
            rdtype=qtype,
            rdclass=rdclass,
            rcode=outcome.rcode,
            canonical_name=outcome.canonical_name or qname,
            answer=outcome.answer,
            authority=outcome.authority,
            from_cache=walk.queries_sent == 0,
            upstream_queries=walk.queries_sent,
            elapsed=walk.elapsed(),
            trace=walk.events,
        )

    def stats(self) -> dict[str, int]:
        counters = self.iterator.counters
        return {
            "queries": self._counters["queries"],
            "answered_from_cache": self._counters["cache_answers"],
            "deduplicated": self._counters["deduplicated"],
            "upstream_queries": counters["upstream_queries"],
            "timeouts": counters["timeouts"],
            "cache_hits": counters["cache_hits"],
            "cache_misses": self._counters["queries"] - self._counters["cache_answers"],
            "in_flight": len(self._inflight),
            "cache_entries": len(self.iterator.cache),
        }


def raise_for_outcome(answer: Answer) -> Answer:
    """Turn a non-answer into the exception named for it (the Answer rides along)."""
    name, rtype = answer.qname, answer.rdtype_text
    if answer.rcode == RCODE.NXDOMAIN:
        raise NXDOMAIN(f"{answer.canonical_name} does not exist (NXDOMAIN)", answer)
    if answer.rcode != RCODE.NOERROR:
        finished = next(
            (e for e in reversed(answer.trace)
             if isinstance(e, ResolutionFinished) and e.depth == 0), None
        )
        failure = finished.failure if finished is not None else None
        if failure is not None and failure.cause == Cause.LIFETIME:
            raise LifetimeTimeout(f"resolving {name} {rtype} timed out", answer)
        why = f": {failure_text(failure)}" if failure is not None else ""
        raise NoNameservers(f"cannot resolve {name} {rtype} (SERVFAIL){why}", answer)
    if not answer.rrset:
        raise NoAnswer(f"{answer.canonical_name} has no {rtype} records (NODATA)", answer)
    return answer


_default: Resolver | None = None
_default_lock = threading.Lock()


def default_resolver() -> Resolver:
    """The shared resolver behind module-level resolve(): real root hints, default settings."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Resolver()
        return _default


def resolve(name: str, rdtype: str | int = "A") -> Answer:
    return default_resolver().resolve(name, rdtype)


async def resolve_async(name: str, rdtype: str | int = "A") -> Answer:
    return await default_resolver().resolve_async(name, rdtype)
