"""The library API: `Resolver`, and module-level `resolve` / `resolve_async` and friends.

All resolution runs on one event loop: the Resolver's own, in a daemon thread, or a running loop
lent to it (`bind_to_running_loop()`: a server's, so its misses need no hand-off between
threads). The cache, the infra cache and the table of in-flight questions are touched only from
that loop, so they need no locks; `resolve()` from any thread and `resolve_async()` from any
other event loop hand their question to it. Identical questions in flight share one walk, which
runs as a task of its own: a caller that gives up (a timeout, a cancellation) leaves the others
waiting for it.

The call shape is dnspython's (`dns.resolver.Resolver.resolve`), so an application can switch
with few changes: the same arguments, the same exception names, an `Answer` that iterates
over the records.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import functools
import ipaddress
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from collections.abc import Iterator as TypingIterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import idna
from dnslib import CLASS, QTYPE, RCODE

from resolver import forwarder, memory, protocol, shortcut, wire
from resolver.answer import Answer
from resolver.cache import NegativeEntry, RRsetCache
from resolver.dnssec import TrustAnchor, read_trust_anchor_file, root_trust_anchors
from resolver.ede import NOT_CACHED_TEXT, EdeCode, ExtendedError
from resolver.errors import (
    NXDOMAIN,
    YXDOMAIN,
    InvalidName,
    LifetimeTimeout,
    NoAnswer,
    NoMetaqueries,
    NoNameservers,
    ResolverClosed,
)
from resolver.hints import load_root_hints
from resolver.iterator import Iterator, Outcome, Resolution
from resolver.limits import DEFAULT_LIMITS, Limits
from resolver.nxcut import nxdomain_above
from resolver.policy import AddressPolicy
from resolver.records import Name
from resolver.render import failure_text
from resolver.selection import InfraCache
from resolver.stale import CLIENT_RESPONSE_DEADLINE, MAX_STALE_AGE, STALE_TTL
from resolver.trace import Cause, ResolutionFinished
from resolver.transport import NetworkTransport, Pending, Transport
from resolver.validator import Validator

# Bytes (64M) for every cache of a Resolver together; resolver/memory.py gives the split.
DEFAULT_CACHE_SIZE = memory.DEFAULT_CACHE_SIZE

# Types that are not data a resolver can look up (RFC 6895 §3.1: 128-255 are Q/meta-types;
# OPT is EDNS's pseudo-record). dnspython refuses the same set with NoMetaqueries.
META_TYPES = frozenset({QTYPE.OPT, *range(128, 256)})
META_CLASSES = frozenset({254, 255})  # NONE and ANY (RFC 2136, RFC 1035)
# Class mnemonics; dnslib spells HS "Hesiod", NONE "None" and ANY "*".
_CLASS_NAMES = {"IN": 1, "CS": 2, "CH": 3, "HS": 4, "NONE": 254, "ANY": 255, "*": 255}
# The meta-types that not even `query()` sends: EDNS, transaction keys and signatures, zone
# transfers, mailbox queries (dnslib has no names for the last two).
MAILB, MAILA = 253, 254
UNASKABLE_TYPES = frozenset({41, 249, 250, 251, 252, MAILB, MAILA})
_EXTRA_TYPE_NAMES = {"MAILB": MAILB, "MAILA": MAILA}

T = TypeVar("T")

log = logging.getLogger(__name__)


@runtime_checkable
class SupportsToText(Protocol):
    """Anything with `to_text()` giving a name's presentation text (a dnspython `Name`)."""

    def to_text(self) -> str:
        """The name in presentation form."""
        ...


NameLike = str | bytes | SupportsToText
"""What a name argument may be: text, raw octets, or an object with `to_text()`."""


def parse_rdtype(rdtype: str | int) -> int:
    """ "MX", "mx", 15 or "TYPE15" -> 15; anything else is a ValueError naming the type."""
    if isinstance(rdtype, int):
        if 0 < rdtype < 65536:
            return rdtype
        raise ValueError(f"record type {rdtype} is out of range")
    text = rdtype.strip().upper()
    if text.startswith("TYPE") and text[4:].isdigit():
        return parse_rdtype(int(text[4:]))
    value = QTYPE.reverse.get(text, _EXTRA_TYPE_NAMES.get(text))
    if value is None:
        raise ValueError(f"unknown record type {rdtype!r}")
    return int(value)


def _type_text(rdtype: int) -> str:
    names = {v: k for k, v in _EXTRA_TYPE_NAMES.items()}
    return str(QTYPE.get(rdtype, names.get(rdtype, f"TYPE{rdtype}")))


def parse_rdclass(rdclass: str | int) -> int:
    """ "IN", "ch", 1 or "CLASS1" -> the class number; InvalidName for anything else."""
    if isinstance(rdclass, int):
        if 0 < rdclass < 65536:
            return rdclass
        raise InvalidName(f"record class {rdclass} is out of range")
    text = str(rdclass).strip().upper()
    if text.startswith("CLASS") and text[5:].isdigit():
        return parse_rdclass(int(text[5:]))
    value = _CLASS_NAMES.get(text)
    if value is None:
        raise InvalidName(f"unknown record class {rdclass!r}")
    return int(value)


def _text_of_octets(name: bytes) -> str:
    # Octets are taken as they are (RFC 2181 §11: any octet may be in a label); backslash
    # escapes keep their meaning, every octet outside printable ASCII becomes \DDD.
    return "".join(
        chr(b) if 0x21 <= b <= 0x7E else f"\\{b:03d}" for b in name
    )


def _split_labels(text: str) -> list[str]:
    """Split presentation text at the dots that are not escaped."""
    labels, label, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            label.append(text[i : i + 2])
            i += 2
            continue
        if c == ".":
            labels.append("".join(label))
            label = []
        else:
            label.append(c)
        i += 1
    labels.append("".join(label))
    return labels


def to_ascii(name: str) -> str:
    """A Unicode name in its ASCII form: IDNA 2008 with UTS 46 mapping (`bücher.de` ->
    `xn--bcher-kva.de`); InvalidName names the label that cannot be converted."""
    if name.isascii():
        return name
    try:
        mapped = idna.uts46_remap(name, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidName(f"invalid domain name {name!r}: {exc}") from None
    labels = []
    for label in _split_labels(mapped):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(idna.alabel(label).decode("ascii"))
        except (idna.IDNAError, UnicodeError) as exc:
            raise InvalidName(
                f"invalid domain name {name!r}: label {label!r} cannot be converted to IDNA: {exc}"
            ) from None
    return ".".join(labels)


def name_text(name: NameLike) -> str:
    """Presentation text (ASCII, escapes kept, not yet validated) of any accepted name form."""
    if type(name) is str and name.isascii():  # the common case, as to_ascii() would return it
        return name
    if isinstance(name, bytes):
        return _text_of_octets(name)
    if isinstance(name, str):
        return to_ascii(name)
    to_text = getattr(name, "to_text", None)
    if callable(to_text):
        text = to_text()
        if isinstance(text, str):
            return to_ascii(text)
    raise InvalidName(f"invalid domain name {name!r}: expected str, bytes or a name object")


def normalize_name(name: NameLike) -> str:
    """Absolute, validated form of a domain name; InvalidName says what is wrong with it."""
    return _validated(name_text(name).strip(), name)


def _validated(text: str, name: NameLike) -> str:
    """normalize_name() of `name` whose presentation text is `text`, already stripped."""
    if not text:
        raise InvalidName(f"invalid domain name {name!r}: it is empty")
    try:
        return wire.validate_name(text)
    except wire.WireError as exc:
        raise InvalidName(f"invalid domain name {name!r}: {exc}") from None


def _is_relative(text: str) -> bool:
    return bool(text) and text != "." and _split_labels(text)[-1] != ""


def reverse_name(address: str) -> str:
    """The PTR name of an IPv4 or IPv6 address (`127.0.0.1` -> `1.0.0.127.in-addr.arpa.`)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else "")
    except ValueError:
        raise InvalidName(f"{address!r} is not an IPv4 or IPv6 address") from None
    return ip.reverse_pointer + "."


def _hints_on_loopback(addresses: Iterable[str]) -> bool:
    return all(ipaddress.ip_address(a).is_loopback for a in addresses)


@dataclasses.dataclass(slots=True)  # not frozen: its __init__ then costs a quarter as much
class _Question:
    """One call's question after validation: names to try, type, class and options."""

    qnames: list[str]
    rdtype: int
    rdclass: int
    tcp: bool
    lifetime: float
    validate: bool = True  # False: DNSSEC checking disabled (a client's CD bit)
    trace: bool = True  # False: the Answer's trace holds a failure's final event only


_InFlightKey = tuple[str, int, int, bool, bool, bool]  # qname, type, class, tcp, validate, trace


OnAnswer = Callable[[Answer | None, BaseException | None], None]
"""What `Resolver.query_callback` calls when the walk is over: (answer, None), or (None, the
exception) when it failed (asyncio.CancelledError: the resolver was closed meanwhile)."""


class _InFlight:
    """A shared walk: the task (or the shortcut's future) that ends with its Answer, its
    deadline on the resolver's clock, and the callers to call back (`query_callback`)."""

    __slots__ = ("task", "deadline", "pending", "callbacks")

    def __init__(self, task: asyncio.Future[Answer], deadline: float) -> None:
        self.task = task
        self.deadline = deadline
        self.pending: Pending | None = None  # the shortcut's query in flight, if it sent one
        # Called once when `task` is done: by whoever settles a shortcut's future (`settle`,
        # `cancel`), or by the walk task's done-callback (`Resolver._walk_done`).
        self.callbacks: list[OnAnswer] | None = None

    def settle(self, answer: Answer | None, error: BaseException | None = None) -> None:
        """End a shortcut's walk (`task` is a plain future): its Answer, or the exception."""
        if error is None:
            self.task.set_result(answer)  # type: ignore[arg-type]
        else:
            self.task.set_exception(error)
            self.task.exception()  # retrieved: each caller re-raises or reports it on its own
        if self.callbacks is not None:
            self.call_back(answer, error)

    def call_back(self, answer: Answer | None, error: BaseException | None) -> None:
        """Call every callback once; one that raises is logged and the others still run."""
        callbacks, self.callbacks = self.callbacks, None
        for callback in callbacks or ():
            try:
                callback(answer, error)
            except Exception:  # the caller's bug: it must not end the walk or reach the others
                log.exception("a query_callback callback failed")

    def cancel(self) -> None:
        """Cancel the walk (a closing resolver), and the shortcut's query with it."""
        task = self.task
        if task.cancel() and not isinstance(task, asyncio.Task) and self.callbacks is not None:
            # A plain future is cancelled at once; a task later, and `_walk_done` calls back.
            self.call_back(None, asyncio.CancelledError())
        if self.pending is not None:
            self.pending.cancel()


class HostAnswers(dict[int, Answer]):
    """The answers of `resolve_name()`: A and/or AAAA `Answer`s, keyed by record type number."""

    def addresses_and_families(
        self, family: int = socket.AF_UNSPEC
    ) -> TypingIterator[tuple[str, int]]:
        """(address, family) pairs, IPv6 first, optionally of one family only."""
        if family in (socket.AF_UNSPEC, socket.AF_INET6):
            for rdata in self.get(QTYPE.AAAA, ()):
                yield rdata.to_text(), socket.AF_INET6
        if family in (socket.AF_UNSPEC, socket.AF_INET):
            for rdata in self.get(QTYPE.A, ()):
                yield rdata.to_text(), socket.AF_INET

    def addresses(self, family: int = socket.AF_UNSPEC) -> TypingIterator[str]:
        """The addresses found, IPv6 first, optionally of one family only."""
        return (address for address, _ in self.addresses_and_families(family))

    def canonical_name(self) -> Name:
        """The name the addresses belong to, at the end of any CNAME chain."""
        answer = self.get(QTYPE.AAAA) or self.get(QTYPE.A)
        if answer is None:
            raise NoAnswer("no address records")
        return answer.canonical_name


class Resolver:
    """An iterative resolver with its own cache. Safe to share between threads and loops.

    It walks the DNS from the root hints down to an answer and caches what it learns. Use it
    as a context manager, or call `close()`, to stop its event loop thread.
    """

    search: list[str]
    """Domains appended to relative names when `resolve(search=True)` (empty by default)."""

    use_search_by_default: bool
    """Whether `resolve(search=None)` uses `search` (dnspython's attribute of the same name)."""

    def __init__(
        self,
        root_hints: str | None = None,
        *,
        cache_size: int | str = DEFAULT_CACHE_SIZE,
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
        rng: random.Random | None = None,
        forward_zones: Mapping[str, Iterable[str]] | None = None,
        stub_zones: Mapping[str, Iterable[str]] | None = None,
        qname_minimisation: bool = True,
        serve_stale: bool = False,
        prefetch: bool = False,
        use_0x20: bool = False,
        stale_answer_deadline: float = CLIENT_RESPONSE_DEADLINE,
        dnssec: bool = True,
        trust_anchors: str | Path | dict[Name, TrustAnchor] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """`forward_zones` {zone: ["addr[:port]", ...]}: names in the zone ("." for all) go to
        those recursive resolvers (port 53 by default). `stub_zones` {zone: [...]}: the zone's
        authoritative servers (port `upstream_port` by default); the walk starts there.
        `cache_size`: bytes for all the caches together (`64M`, `512K`, `1G` or an int of
        bytes; resolver/memory.py gives the split), InvalidCacheSize if it is not one. Before
        the caches were bounded in bytes it counted RRsets."""
        self.cache_size = memory.parse_size(cache_size)
        """What every cache of this resolver may hold together, in bytes."""
        shares = memory.ResolverShares.of(self.cache_size)
        forwards = forwarder.parse_zones(forward_zones, 53, "forward zone")
        stubs = forwarder.parse_zones(stub_zones, upstream_port, "stub zone")
        self.hints = load_root_hints(root_hints)
        """The root hints the walk starts from on a cold cache."""
        # timeout= and lifetime= are the two limits people set most: shorthands for limits=.
        if timeout is not None:
            limits = dataclasses.replace(limits, query_timeout=timeout)
        if lifetime is not None:
            limits = dataclasses.replace(limits, lifetime=lifetime)
        self.limits = limits
        """What one resolution may cost (resolver/limits.py)."""
        self.lifetime = limits.lifetime
        """Default overall deadline of one resolution, in seconds."""
        self.use_cache = use_cache
        """False: every question is walked from the root, with a private cache."""
        self.search = []
        self.use_search_by_default = False
        self._clock = clock
        self._cache_bytes, self._max_ttl, self._min_ttl = shares.rrsets, max_ttl, min_ttl
        self.serve_stale = serve_stale
        """Answer with expired data when resolving fails (RFC 8767); off by default."""
        self.stale_answer_deadline = stale_answer_deadline
        """With serve_stale: seconds after which a caller still waiting gets stale data, if
        any, while the walk goes on and refreshes the cache (RFC 8767 §5, 1.8 s)."""
        self.prefetch = prefetch
        """Refresh an answer asked for in the last 10 % of its TTL in the background."""
        """RFC 8767: answer with expired data (TTL 30, EDE 3) when resolving fails."""
        hint_addresses = [a for _, a in self.hints.all_addresses()]
        configured = [u.address for ups in (*forwards.values(), *stubs.values()) for u in ups]
        policy = AddressPolicy(
            # A configured forward or stub server is always allowed: the operator chose it.
            [*allowed_networks, *configured] if allowed_networks is not None else None,
            # Loopback upstreams are allowed when the hints, or a configured forward or stub
            # zone, live there.
            allow_loopback=_hints_on_loopback(hint_addresses)
            or any(ipaddress.ip_address(a).is_loopback for a in configured),
        )
        self.iterator = Iterator(
            cache=self._new_cache(),
            infra=InfraCache(clock=clock, rng=rng, max_bytes=shares.infra),
            transport=transport or NetworkTransport(policy),
            hints=self.hints,
            policy=policy,
            upstream_port=upstream_port,
            ipv4_only=ipv4_only,
            limits=limits,
            clock=clock,
            forward_zones=forwards,
            stub_zones=stubs,
            qname_minimisation=qname_minimisation,
            serve_stale=serve_stale,
            prefetch=prefetch,
            use_0x20=use_0x20,
            validator=Validator(_anchors(trust_anchors), now=wall_clock,
                                max_bytes=shares.zone_trust) if dnssec else None,
        )
        """The walk engine with its caches; touched only from the resolver's loop."""
        self.dnssec = dnssec
        """Whether answers are DNSSEC-validated (`Answer.security`); bogus data is SERVFAIL."""
        self._inflight: dict[_InFlightKey, _InFlight] = {}
        self._counters = {"queries": 0, "cache_answers": 0, "deduplicated": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._thread_ident: int | None = None  # the ident of _thread, read on every call
        self._adopted = False  # _loop is a running loop lent to us (a server's), not our own
        self._start_lock = threading.Lock()
        self._closed = False

    def set_zones(
        self,
        forward_zones: Mapping[str, Iterable[str]] | None = None,
        stub_zones: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Replace the forward and stub zones (a server's reload); the cache stays."""
        forwards = forwarder.parse_zones(forward_zones, 53, "forward zone")
        stubs = forwarder.parse_zones(stub_zones, self.iterator.upstream_port, "stub zone")
        # As at construction: the configured servers may be queried whatever the policy.
        policy = self.iterator.policy
        added = [u.address for ups in (*forwards.values(), *stubs.values()) for u in ups]
        if policy.allowed is not None:
            policy.allowed = (*policy.allowed, *(ipaddress.ip_network(a) for a in added))
        if any(ipaddress.ip_address(a).is_loopback for a in added):
            policy.allow_loopback = True
        self.iterator.set_zones(forwards, stubs)

    @classmethod
    def for_lab(cls, lab: Any, **kwargs: Any) -> Resolver:
        """A resolver that walks the given offline lab instead of the internet."""
        return cls(**{**lab.resolver_options(), **kwargs})

    def _new_cache(self) -> RRsetCache:
        return RRsetCache(
            max_bytes=self._cache_bytes, max_ttl=self._max_ttl, min_ttl=self._min_ttl,
            clock=self._clock, stale_window=MAX_STALE_AGE if self.serve_stale else 0,
        )  # fmt: skip

    # ---- the resolver's own loop ------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once `close()` was called: every further call raises ResolverClosed."""
        return self._closed

    def bind_to_running_loop(self) -> bool:
        """Run every resolution on the running event loop (a server's) instead of a thread of
        the resolver's own, so a caller on that loop awaits the walk directly: no hand-off
        between threads. Call it from that loop, before the resolver was used; False (and
        nothing changes) when it already runs a loop. Blocking calls from other threads and
        `resolve_async()` from other loops still work: they are handed to that loop. Once
        that loop has stopped, the next call starts the resolver's own loop thread."""
        loop = asyncio.get_running_loop()
        with self._start_lock:
            if self._closed:
                raise ResolverClosed("the resolver is closed")
            if self._loop is not None:
                return self._loop is loop and self._adopted
            self._loop, self._thread, self._adopted = loop, threading.current_thread(), True
            self._thread_ident = threading.get_ident()
            return True

    def _forget_adopted_loop(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            for entry in self._inflight.values():
                loop.call_soon_threadsafe(entry.cancel)
        self._inflight.clear()  # their tasks belong to that loop, never to be joined again
        self._loop, self._thread, self._adopted = None, None, False
        self._thread_ident = None

    def _submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Hand a coroutine to the resolver's loop (started on first use)."""
        with self._start_lock:  # close() takes it too: nothing slips in after the shutdown
            if self._closed:
                coro.close()
                raise ResolverClosed("the resolver is closed")
            if self._adopted and self._loop is not None and not self._loop.is_running():
                self._forget_adopted_loop()  # the lending loop stopped without releasing us
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
                self._thread_ident = self._thread.ident
                self._loop = loop
            return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _on_own_loop(self) -> bool:
        # The thread, not asyncio.get_running_loop(): on Python 3.11 that makes a getpid()
        # system call each time. A thread runs one loop at a time, so in the lent loop's
        # thread while it runs is on it.
        if threading.get_ident() != self._thread_ident:
            return False
        return not self._adopted or (self._loop is not None and self._loop.is_running())

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the resolver's loop and wait for it, from any other thread."""
        if self._on_own_loop():
            coro.close()
            raise RuntimeError(
                "a blocking Resolver call from the resolver's own loop: await the _async form"
            )
        return self._submit(coro).result()

    async def _run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await a coroutine on the resolver's loop, from that loop or any other."""
        if self._on_own_loop():
            if self._closed:
                coro.close()
                raise ResolverClosed("the resolver is closed")
            return await coro
        return await asyncio.wrap_future(self._submit(coro))

    async def administer(self, operation: Callable[[Iterator], T]) -> T:
        """Run `operation(self.iterator)` on the resolver's own loop, from any loop: how a
        server flushes, dumps or loads the cache without racing running resolutions."""

        async def run() -> T:
            return operation(self.iterator)

        return await self._run_async(run())

    def close(self) -> None:
        """Stop the resolver: callers still waiting get ResolverClosed, later calls too."""
        with self._start_lock:
            if self._closed:
                return
            self._closed = True
            loop = self._loop
        if loop is None:
            return
        if self._adopted:  # a lent loop is not ours to stop: only our walks end
            if self._on_own_loop():
                loop.create_task(self._shutdown())
            elif loop.is_running():
                with contextlib.suppress(RuntimeError, TimeoutError):
                    asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            return
        if self._on_own_loop():  # from a callback on our own loop: shut down without waiting
            loop.create_task(self._shutdown()).add_done_callback(lambda _: loop.stop())
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        except TimeoutError:
            pass  # _shutdown cancels whatever outlives its wait; the loop stops regardless
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)
            if not loop.is_running():
                loop.close()

    async def _shutdown(self) -> None:
        """Cancel every walk in flight and let each waiting caller finish with ResolverClosed."""
        current = asyncio.current_task()
        walks = [entry.task for entry in self._inflight.values()]
        for entry in list(self._inflight.values()):
            entry.cancel()
        # On a lent loop the other tasks are its owner's: wait for our walks only.
        everything = walks if self._adopted else asyncio.all_tasks()
        pending = [task for task in everything if task is not current]
        if pending:
            _, stuck = await asyncio.wait(pending, timeout=5)
            for task in stuck:
                task.cancel()

    def __enter__(self) -> Resolver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- answers that never raise for DNS outcomes -------------------------------------------

    async def query_async(
        self, name: NameLike, rdtype: str | int = "A", rdclass: str | int = "IN", *,
        checking_disabled: bool = False,
        trace: bool = True,
    ) -> Answer:
        """Resolve and return the Answer whatever its rcode: NXDOMAIN, SERVFAIL and the rest
        are in `answer.rcode`. Raises InvalidName, NoMetaqueries or ResolverClosed only.
        `checking_disabled` (a client's CD bit) skips DNSSEC validation for this question;
        `trace=False` keeps only a failed walk's last event (what a server reads: the failure);
        an answer that did not fail then has an empty trace."""
        question = self._question(name, rdtype, rdclass, meta_ok=True,
                                  validate=not checking_disabled, trace=trace)
        return await self._run_async(self._shared_walk(question, question.qnames[0]))

    def query(
        self, name: NameLike, rdtype: str | int = "A", rdclass: str | int = "IN", *,
        checking_disabled: bool = False,
    ) -> Answer:
        """Blocking form of query_async, for any thread but the resolver's own."""
        question = self._question(name, rdtype, rdclass, meta_ok=True,
                                  validate=not checking_disabled)
        return self._run(self._shared_walk(question, question.qnames[0]))

    async def query_cached_async(
        self, name: NameLike, rdtype: str | int = "A", rdclass: str | int = "IN"
    ) -> Answer:
        """What the cache alone says, never a walk (a client's RD=0 query, as Unbound's
        allow_snoop): the cached answer, negative answer, failure or CNAME chain so far, and
        REFUSED (with EDE 20 Not Authoritative) when nothing is cached."""
        question = self._question(name, rdtype, rdclass, meta_ok=True)
        return await self._run_async(self._walk(
            question.qnames[0], question.rdtype, question.rdclass, False, question.lifetime,
            cache_only=True,
        ))

    # ---- answers or exceptions, as dnspython does -------------------------------------------

    def resolve(
        self,
        qname: NameLike,
        rdtype: str | int = "A",
        rdclass: str | int = "IN",
        *,
        tcp: bool = False,
        lifetime: float | None = None,
        raise_on_no_answer: bool = True,
        search: bool | None = None,
    ) -> Answer:
        """Resolve qname/rdtype and return the Answer, or raise what happened.

        Arguments mean what they mean in dnspython's `Resolver.resolve`: `tcp` asks upstream
        servers over TCP from the start, `lifetime` bounds the whole call in seconds (default:
        the resolver's), `raise_on_no_answer=False` returns an empty Answer instead of raising
        NoAnswer, `search=True` tries a relative name with each domain of `self.search`.

        Raises NXDOMAIN, NoAnswer, NoNameservers, YXDOMAIN, LifetimeTimeout, InvalidName,
        NoMetaqueries (ANY, AXFR, ...: nothing is sent) or ResolverClosed.
        """
        question = self._question(qname, rdtype, rdclass, tcp=tcp, lifetime=lifetime,
                                  search=search)  # fmt: skip
        return self._run(self._resolve_on_loop(question, raise_on_no_answer))

    async def resolve_async(
        self,
        qname: NameLike,
        rdtype: str | int = "A",
        rdclass: str | int = "IN",
        *,
        tcp: bool = False,
        lifetime: float | None = None,
        raise_on_no_answer: bool = True,
        search: bool | None = None,
    ) -> Answer:
        """The awaitable form of `resolve()`, usable from any event loop."""
        question = self._question(qname, rdtype, rdclass, tcp=tcp, lifetime=lifetime,
                                  search=search)  # fmt: skip
        return await self._run_async(self._resolve_on_loop(question, raise_on_no_answer))

    def resolve_address(self, ipaddr: str, **kwargs: Any) -> Answer:
        """Resolve the PTR record of an IPv4 or IPv6 address (a reverse lookup).

        Other keyword arguments are those of `resolve()`."""
        return self.resolve(reverse_name(ipaddr), "PTR", "IN", **kwargs)

    async def resolve_address_async(self, ipaddr: str, **kwargs: Any) -> Answer:
        """The awaitable form of `resolve_address()`."""
        return await self.resolve_async(reverse_name(ipaddr), "PTR", "IN", **kwargs)

    def resolve_name(
        self, name: NameLike, family: int = socket.AF_UNSPEC, **kwargs: Any
    ) -> HostAnswers:
        """Resolve the addresses of a host name: AAAA and A for AF_UNSPEC, else one of them.

        Returns a HostAnswers: `.addresses()` lists them. Raises NXDOMAIN, or NoAnswer when
        the name has no address of the families asked (unless raise_on_no_answer=False).
        Other keyword arguments are those of `resolve()`."""
        types = _address_types(family)
        return self._run(self._resolve_name_on_loop(name, types, kwargs))

    async def resolve_name_async(
        self, name: NameLike, family: int = socket.AF_UNSPEC, **kwargs: Any
    ) -> HostAnswers:
        """The awaitable form of `resolve_name()`."""
        types = _address_types(family)
        return await self._run_async(self._resolve_name_on_loop(name, types, kwargs))

    # ---- counters -----------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counters since the resolver was made: questions, cache answers, upstream queries.

        Read on the resolver's own loop, so they are consistent with each other."""
        loop = self._loop
        if loop is None or self._closed or self._on_own_loop() or not loop.is_running():
            return self._read_stats()  # no loop thread to race with (or we are on it)

        async def read() -> dict[str, int]:
            return self._read_stats()

        try:
            return asyncio.run_coroutine_threadsafe(read(), loop).result(timeout=10)
        except (RuntimeError, TimeoutError):  # closed meanwhile: what is left holds still
            return self._read_stats()

    def _read_stats(self) -> dict[str, int]:
        counters = self.iterator.counters
        return {
            "queries": self._counters["queries"],
            "answered_from_cache": self._counters["cache_answers"],
            "deduplicated": self._counters["deduplicated"],
            "upstream_queries": counters["upstream_queries"],
            "timeouts": counters["timeouts"],
            "cache_hits": counters["cache_hits"],
            "prefetches": counters["prefetches"],
            "cache_misses": self._counters["queries"] - self._counters["cache_answers"],
            "in_flight": len(self._inflight),
            "cache_entries": len(self.iterator.cache),
            "cache_bytes": self.iterator.cache.used_bytes,
        }

    # ---- internals ----------------------------------------------------------------------------

    def _question(
        self,
        name: NameLike,
        rdtype: str | int,
        rdclass: str | int,
        *,
        meta_ok: bool = False,
        tcp: bool = False,
        lifetime: float | None = None,
        search: bool | None = None,
        validate: bool = True,
        trace: bool = True,
    ) -> _Question:
        """Validate a call's arguments before anything is sent."""
        if self._closed:
            raise ResolverClosed("the resolver is closed")
        if type(rdtype) is int and 0 < rdtype < 65536:  # a server's miss: no call needed
            qtype = rdtype
        else:
            try:
                qtype = parse_rdtype(rdtype)
            except (ValueError, TypeError, AttributeError) as exc:
                raise InvalidName(str(exc)) from None
        qclass = rdclass if type(rdclass) is int and 0 < rdclass < 65536 else (
            parse_rdclass(rdclass))
        if qtype in UNASKABLE_TYPES or (not meta_ok and qtype in META_TYPES):
            raise NoMetaqueries(f"{_type_text(qtype)} is a meta-type: it cannot be resolved")
        if qclass in META_CLASSES:
            name = {254: "NONE", 255: "ANY"}[qclass]
            raise NoMetaqueries(f"{name} is a meta-class: it cannot be asked")
        # A str already in ASCII is its own text (name_text's first case, without the call).
        text = (name if type(name) is str and name.isascii() else name_text(name)).strip()
        qnames = [_validated(text, text)]
        if search is None:
            search = self.use_search_by_default
        if search and self.search and _is_relative(text):
            expanded = [normalize_name(f"{text}.{domain.strip('.')}") for domain in self.search]
            # dnspython's ndots=1: a name with a dot is tried as it is first, else last.
            qnames = qnames + expanded if "." in text else expanded + qnames
        if lifetime is None:
            lifetime = self.lifetime
        return _Question(qnames, qtype, qclass, bool(tcp), float(lifetime), validate, trace)

    async def _resolve_on_loop(self, question: _Question, raise_on_no_answer: bool) -> Answer:
        """Try each name of the question in turn (a search list); raise for the outcome."""
        started = self._clock()
        nxdomains: list[Answer] = []
        answer: Answer | None = None
        for qname in question.qnames:
            remaining = question.lifetime - (self._clock() - started)
            if remaining <= 0:
                raise LifetimeTimeout(
                    f"resolving {qname} timed out after {question.lifetime:g} s", answer
                )
            answer = await self._shared_walk(dataclasses.replace(question, lifetime=remaining),
                                             qname)  # fmt: skip
            if answer.rcode != RCODE.NXDOMAIN:
                break
            nxdomains.append(answer)
        assert answer is not None
        if answer.rcode == RCODE.NXDOMAIN and len(nxdomains) > 1:
            raise NXDOMAIN(
                f"none of {', '.join(str(a.qname) for a in nxdomains)} exists (NXDOMAIN)",
                answer,
                responses={a.qname: a for a in nxdomains},
            )
        if not raise_on_no_answer and answer.rcode == RCODE.NOERROR:
            return answer
        return raise_for_outcome(answer)

    async def _resolve_name_on_loop(
        self, name: NameLike, types: tuple[int, ...], kwargs: dict[str, Any]
    ) -> HostAnswers:
        options = dict(kwargs)
        for fixed in ("rdtype", "rdclass"):
            options.pop(fixed, None)
        raise_on_no_answer = bool(options.pop("raise_on_no_answer", True))
        lifetime = options.pop("lifetime", None)
        lifetime = self.lifetime if lifetime is None else float(lifetime)
        started = self._clock()
        answers = HostAnswers()
        answer: Answer | None = None
        for rdtype in types:
            remaining = lifetime - (self._clock() - started)
            question = self._question(name, rdtype, "IN", lifetime=max(remaining, 0.0),
                                      **options)  # fmt: skip
            answer = await self._resolve_on_loop(question, raise_on_no_answer=False)
            if answer.rrset or not raise_on_no_answer:
                answers[rdtype] = answer
            name = answer.qname  # the name the search list settled on, for the next type
        if not answers:
            assert answer is not None
            family = " or ".join(_type_text(t) for t in types)
            raise NoAnswer(f"{answer.canonical_name} has no {family} records (NODATA)", answer)
        return answers

    def _join_or_start(self, question: _Question, qname: str) -> tuple[_InFlight, bool]:
        """The walk in flight for this question, joined, or a new one started as a task of
        its own (or first as the known-cut shortcut); True when joined."""
        key = (qname.lower(), question.rdtype, question.rdclass, question.tcp, question.validate,
               question.trace)  # fmt: skip
        self._counters["queries"] += 1
        entry = self._inflight.get(key)
        if entry is not None:
            self._counters["deduplicated"] += 1
            return entry, True
        loop = self._loop or asyncio.get_running_loop()  # we run on our loop (see above)
        if question.trace or not self.use_cache or question.rdclass != protocol.CLASS_IN:
            task = loop.create_task(
                self._walk(qname, question.rdtype, question.rdclass, question.tcp,
                           question.lifetime, validate=question.validate, trace=question.trace),
            )  # fmt: skip
            return self._in_flight(key, task, question.lifetime), False
        # The shortcut settles its future itself: no done-callback to watch it.
        # asyncio.Future(loop=...) is loop.create_future() without its Python frame.
        entry = self._inflight[key] = _InFlight(asyncio.Future(loop=loop),
                                                self._clock() + question.lifetime)
        self._start_shortcut(question, qname, key, entry)
        return entry, False

    def _in_flight(self, key: _InFlightKey, task: asyncio.Future[Answer],
                   lifetime: float) -> _InFlight:
        entry = _InFlight(task, self._clock() + lifetime)
        self._inflight[key] = entry
        task.add_done_callback(functools.partial(self._walk_done, key, entry))
        return entry

    def _start_shortcut(self, question: _Question, qname: str, key: _InFlightKey,
                        entry: _InFlight) -> None:
        """An untraced question's walk begins as the known-cut shortcut (shortcut.py), whose
        single exchange runs on callbacks; it settles `entry`'s future itself (no done-callback
        per miss), or hands the question to a walk task."""
        iterator = self.iterator
        future = entry.task
        walk = iterator.resolution(qname, question.rdtype, tcp=question.tcp,
                                   lifetime=question.lifetime, validate=question.validate,
                                   tracing=False)

        def done(outcome: Outcome | None) -> None:
            # The shortcut is over: dropping it breaks the cycle entry -> shortcut -> this
            # closure -> entry, so all of a miss's objects go by reference counting, not by
            # the garbage collector (whose young collections then took up to 100 ms).
            entry.pending = None
            if future.cancelled():
                return
            if outcome is None:  # the walk takes over, in flight under the same entry
                task = asyncio.get_running_loop().create_task(
                    self._walk(qname, question.rdtype, question.rdclass, question.tcp,
                               question.lifetime, resolution=walk))
                task.add_done_callback(functools.partial(self._walk_done, key, entry))
                _chain(task, entry)
                return
            if self._inflight.get(key) is entry:
                del self._inflight[key]
            try:
                answer = self._answer(qname, question.rdclass, walk, outcome)
            except Exception as error:  # a bug: the callers see it, as a task's would be seen
                entry.settle(None, error)
                return
            entry.settle(answer)

        entry.pending = shortcut.start(iterator, walk, done)
        if entry.pending is None:
            done(None)

    def query_future(
        self, name: NameLike, rdtype: str | int = "A", rdclass: str | int = "IN", *,
        checking_disabled: bool = False,
        trace: bool = True,
    ) -> asyncio.Future[Answer] | None:
        """The walk for a question as a future, for a caller on the loop this resolver runs on
        (a server bound with `bind_to_running_loop()`): `query_async()` without a coroutine,
        a task and a copy of the Answer per caller. The future is shared with identical
        questions in flight, so its Answer must not be changed and the future not cancelled.
        None when called from any other loop or with serve-stale on (whose stale-answer
        deadline is per caller): use `query_async()` then. `trace=False` keeps only a failed
        walk's last event (the failure behind a SERVFAIL, its EDE) and no trace otherwise; the
        walk then emits no other event. Raises InvalidName, NoMetaqueries or ResolverClosed."""
        if self.serve_stale or not self._on_own_loop():
            return None
        question = self._question(name, rdtype, rdclass, meta_ok=True,
                                  validate=not checking_disabled, trace=trace)
        return self._join_or_start(question, question.qnames[0])[0].task

    def query_callback(
        self, name: NameLike, rdtype: str | int, rdclass: str | int, on_answer: OnAnswer, *,
        checking_disabled: bool = False,
    ) -> bool:
        """Walk for a question and call `on_answer(answer, None)` when it is over, or
        `on_answer(None, error)` if it failed (asyncio.CancelledError: the resolver was closed
        meanwhile): for a caller on the loop this resolver runs on (a server bound with
        `bind_to_running_loop()`), without a future or a loop turn per question. The walk is
        untraced (as `query_future(trace=False)`) and shared with identical questions in flight
        (`query_async` callers too), so the Answer must not be changed. `on_answer` is called
        exactly once, from the loop, and may be called before this returns (the cache had the
        answer); an exception it raises is logged, not raised. False (and `on_answer` never
        called) when called from any other loop or with serve-stale on: use `query_async()`
        then. Raises InvalidName, NoMetaqueries or ResolverClosed."""
        if self.serve_stale or not self._on_own_loop():
            return False
        question = self._question(name, rdtype, rdclass, meta_ok=True,
                                  validate=not checking_disabled, trace=False)
        entry, _ = self._join_or_start(question, question.qnames[0])
        if entry.callbacks is None:
            entry.callbacks = [on_answer]
        else:
            entry.callbacks.append(on_answer)
        if entry.task.done():  # over already (the cache answered, or it failed at once)
            entry.call_back(*_result_of(entry.task))
        return True

    async def _shared_walk(self, question: _Question, qname: str) -> Answer:
        """Join an identical walk in flight, or start one as a task of its own.

        The walk is shielded from its callers: one giving up does not cancel it for the others.
        Each caller gets its own Answer copy."""
        entry, joined = self._join_or_start(question, qname)
        wait: float | None = None
        if joined and self._clock() + question.lifetime < entry.deadline:  # ours ends first
            wait = question.lifetime
        try:
            deadline = self.stale_answer_deadline if self.serve_stale else None
            if deadline is not None and (wait is None or wait > deadline):
                done, _ = await asyncio.wait({entry.task}, timeout=deadline)
                stale = None if done else self._stale_answer(qname, question)
                if stale is not None:
                    return stale  # the walk goes on, shielded, and refreshes the cache
                wait = None if wait is None else wait - deadline
            answer = await asyncio.wait_for(asyncio.shield(entry.task), wait)
        except asyncio.CancelledError:
            if self._closed and entry.task.cancelled():
                raise ResolverClosed(
                    f"the resolver was closed while resolving {qname}"
                ) from None
            raise
        except TimeoutError:
            raise LifetimeTimeout(
                f"resolving {qname} timed out after {question.lifetime:g} s"
            ) from None
        result = copy.copy(answer)
        result.qname = qname  # the caller's own spelling
        return result

    def _stale_answer(self, qname: str, question: _Question) -> Answer | None:
        """Expired data for a caller who waited past the stale-answer deadline (stale.py),
        never over a fresh NXDOMAIN at or above the name."""
        cache, name = self.iterator.cache, qname.lower()
        if question.rdclass != CLASS.IN or nxdomain_above(cache, name, question.rdtype):
            return None
        if cache.get_negative(name, question.rdtype):
            return None
        kept = cache.get_stale(name, question.rdtype, STALE_TTL)
        if kept is None:
            return None
        nxdomain = isinstance(kept, NegativeEntry)
        answer = Answer(
            qname, question.rdtype, question.rdclass,
            RCODE.NXDOMAIN if nxdomain else RCODE.NOERROR, name,
            answer=() if nxdomain else kept.records,  # type: ignore[union-attr]
            authority=kept.soa if nxdomain else (),  # type: ignore[union-attr]
            from_cache=True,
        )
        code = EdeCode.STALE_NXDOMAIN_ANSWER if nxdomain else EdeCode.STALE_ANSWER
        answer.extended_error = ExtendedError(
            code, f"still resolving after {self.stale_answer_deadline:g} s (RFC 8767 §5)")
        return answer

    def _walk_done(
        self, key: _InFlightKey, entry: _InFlight,
        task: asyncio.Future[Answer],
    ) -> None:
        if self._inflight.get(key) is entry:
            del self._inflight[key]
        answer, error = _result_of(task)  # the error retrieved: each caller re-raises it
        if entry.task is task and entry.callbacks is not None:  # a shortcut's: see _chain
            entry.call_back(answer, error)

    async def _walk(
        self, qname: str, qtype: int, rdclass: int, tcp: bool, lifetime: float,
        *,
        cache_only: bool = False,
        validate: bool = True,
        trace: bool = True,
        resolution: Resolution | None = None,
    ) -> Answer:
        """Walk for the question (or go on with `resolution`, begun by the shortcut)."""
        if rdclass != CLASS.IN:
            return Answer(qname, qtype, rdclass, RCODE.REFUSED, qname)
        iterator = self.iterator
        if not self.use_cache:  # a private cache per question: nothing is answered from memory
            iterator = copy.copy(self.iterator)
            iterator.cache = self._new_cache()
        walk = resolution or iterator.resolution(qname, qtype, tcp=tcp, lifetime=lifetime,
                                                 cache_only=cache_only, validate=validate,
                                                 tracing=trace)
        outcome = await iterator.run(walk)
        return self._answer(qname, rdclass, walk, outcome)

    def _answer(self, qname: str, rdclass: int, walk: Resolution, outcome: Outcome) -> Answer:
        """The Answer a walk ended with."""
        qtype, cache_only = walk.qtype, walk.cache_only
        if walk.queries_sent == 0:
            self._counters["cache_answers"] += 1
        answer = Answer(
            qname=qname,
            rdtype=qtype,
            rdclass=rdclass,
            rcode=outcome.rcode,
            canonical_name=outcome.canonical_name or qname,
            answer=outcome.answer,
            authority=outcome.authority,
            from_cache=walk.queries_sent == 0,
            upstream_queries=walk.queries_sent,
            elapsed=walk.clock() - walk.started,  # walk.elapsed(), inlined: once per miss
            trace=walk.events,
            security=outcome.security,
            dnssec=outcome.dnssec,
        )
        if cache_only and outcome.rcode == RCODE.REFUSED:
            answer.extended_error = ExtendedError(EdeCode.NOT_AUTHORITATIVE, NOT_CACHED_TEXT)
        if outcome.stale and outcome.failure is not None:
            code = (EdeCode.STALE_NXDOMAIN_ANSWER if outcome.rcode == RCODE.NXDOMAIN
                    else EdeCode.STALE_ANSWER)
            why = failure_text(outcome.failure)
            answer.extended_error = ExtendedError(code, f"resolving failed: {why}")
        return answer


def _result_of(walk: asyncio.Future[Answer]) -> tuple[Answer | None, BaseException | None]:
    """A finished walk's (Answer, None), or (None, its exception; CancelledError if
    cancelled), as `OnAnswer` takes them."""
    if walk.cancelled():
        return None, asyncio.CancelledError()
    error = walk.exception()
    return (None, error) if error is not None else (walk.result(), None)


def _chain(task: asyncio.Task[Answer], entry: _InFlight) -> None:
    """The walk `task` settles `entry` (its future and callbacks); cancelling the future
    cancels the walk."""
    future = entry.task

    def settle(done: asyncio.Task[Answer]) -> None:
        if future.done():
            return
        if done.cancelled():
            entry.cancel()
        elif done.exception() is not None:
            entry.settle(None, done.exception())
        else:
            entry.settle(done.result())

    task.add_done_callback(settle)
    future.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)


def _anchors(given: str | Path | dict[Name, TrustAnchor] | None) -> dict[Name, TrustAnchor]:
    """The trust anchors: the IANA root's, a trust-anchor file's (DS or DNSKEY records in zone
    file syntax, Unbound's trust-anchor-file), or the anchors given."""
    if given is None:
        return root_trust_anchors()
    if isinstance(given, dict):
        return given
    return read_trust_anchor_file(given)


def _class_text(rdclass: int) -> str:
    names = {number: name for name, number in _CLASS_NAMES.items() if name != "*"}
    return names.get(rdclass, f"CLASS{rdclass}")


def _address_types(family: int) -> tuple[int, ...]:
    if family == socket.AF_UNSPEC:
        return (QTYPE.AAAA, QTYPE.A)
    if family == socket.AF_INET6:
        return (QTYPE.AAAA,)
    if family == socket.AF_INET:
        return (QTYPE.A,)
    raise InvalidName(f"unknown address family {family!r}: use AF_INET, AF_INET6 or AF_UNSPEC")


def raise_for_outcome(answer: Answer) -> Answer:
    """Turn a non-answer into the exception named for it (the Answer rides along)."""
    name, rtype = answer.qname, answer.rdtype_text
    if answer.rcode == RCODE.NXDOMAIN:
        raise NXDOMAIN(f"{answer.canonical_name} does not exist (NXDOMAIN)", answer)
    if answer.rcode == RCODE.YXDOMAIN:
        raise YXDOMAIN(f"{name} is too long after DNAME substitution (YXDOMAIN)", answer)
    if answer.rcode == RCODE.REFUSED and answer.rdclass != CLASS.IN:
        raise NoNameservers(
            f"cannot resolve {name} {rtype}: class {_class_text(answer.rdclass)} is not "
            "served, this resolver walks class IN only (REFUSED)",
            answer,
        )
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
    """The shared resolver behind the module-level functions: real root hints, defaults.

    A closed default resolver is replaced by a new one on next use."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = Resolver()
        return _default


def resolve(qname: NameLike, rdtype: str | int = "A", rdclass: str | int = "IN",
            **kwargs: Any) -> Answer:  # fmt: skip
    """`Resolver.resolve()` on the default resolver."""
    return default_resolver().resolve(qname, rdtype, rdclass, **kwargs)


async def resolve_async(qname: NameLike, rdtype: str | int = "A", rdclass: str | int = "IN",
                        **kwargs: Any) -> Answer:  # fmt: skip
    """`Resolver.resolve_async()` on the default resolver."""
    return await default_resolver().resolve_async(qname, rdtype, rdclass, **kwargs)


def resolve_address(ipaddr: str, **kwargs: Any) -> Answer:
    """`Resolver.resolve_address()` (a PTR lookup) on the default resolver."""
    return default_resolver().resolve_address(ipaddr, **kwargs)


def resolve_name(name: NameLike, family: int = socket.AF_UNSPEC, **kwargs: Any) -> HostAnswers:
    """`Resolver.resolve_name()` (A and AAAA) on the default resolver."""
    return default_resolver().resolve_name(name, family, **kwargs)
