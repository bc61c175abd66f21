"""Decide the reply to each client query: the hot cache-hit path, the refusal policy, and the
shared, bounded resolutions behind cache misses.

Sans-socket: listeners hand in (bytes, client address, channel) and send what comes back. A
reply known at once (cache hit, refusal, error) is returned; a miss returns None and the reply
is later given to `channel.deliver`. Everything runs on one event loop, the resolver's walks too
when it is bound to it; a miss is only queued, and queued misses start a few per loop turn, so
hits are not queued behind miss work (MISS_TURN_TARGET below).

Policy, in order (each documented in the README's server section):
- shorter than a header, or QR=1 (a response): dropped, no reply;
- client outside the allowed networks: REFUSED; access-control `deny`: dropped; `refuse`:
  REFUSED; `allow_snoop` is accepted (Unbound's configs use it) and is the same as `allow`,
  since every allowed client's RD=0 query is answered from the cache only (below);
- malformed (bad name, counts, OPT, trailing octets): FORMERR; QDCOUNT != 1: FORMERR;
  opcode other than QUERY: NOTIMP; EDNS version other than 0: BADVERS;
- CH TXT stats.resolver.: the live counters, to `stats_from` clients only (else REFUSED);
  any other class than IN: REFUSED;
- AXFR/IXFR: REFUSED (we hold no zones to transfer); MAILA/MAILB: NOTIMP; the meta-types
  0, OPT, TKEY, TSIG as a question: FORMERR; ANY: RFC 8482 minimal answer (one HINFO "RFC8482");
- a name in a local zone (resolver/server/local_zones.py) is answered from local data;
- RD=0 (recursion not desired): answered from the cache only, as Unbound's `allow_snoop`: the
  cached answer, negative answer or CNAME chain, else REFUSED with EDE 20 (Not Authoritative),
  never a resolution (a resolver without `query_cached_async` refuses every RD=0 miss);
- everything else is resolved; failure or the server's deadline gives SERVFAIL, as does a new
  question while max_inflight resolutions are running, or one that waited MISS_QUEUE_WAIT for
  its walk to start (shed under overload).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from dnslib import CLASS, QTYPE

from resolver import wire
from resolver.answer import Answer
from resolver.dnssec import Security
from resolver.ede import NOT_CACHED_TEXT, EdeCode, ExtendedError
from resolver.errors import ResolverError
from resolver.prefetch import PREFETCH_FRACTION
from resolver.server import local_zones
from resolver.server.access import ALLOW, ALLOW_SNOOP, DENY, AccessControl
from resolver.server.answer_cache import AnswerCache, PackedReply
from resolver.server.config import ServerConfig, ServerError
from resolver.server.control import is_stats_query, stats_lines
from resolver.server.dnssec_reply import CD_FLAG, checking_disabled
from resolver.server.query import (
    TYPE_OPT,
    TYPE_TKEY,
    TYPE_TSIG,
    ClientQuery,
    Unanswerable,
    clean_query,
    fast_key,
    parse_query,
)
from resolver.server.replies import (
    FORMERR,
    NOTIMP,
    NXDOMAIN,
    OPT_SIZE,
    REFUSED,
    SERVFAIL,
    answer_reply_and_ttls,
    any_reply,
    error_reply,
    records_reply,
    truncate,
    txt_reply,
)
from resolver.server.stats import ServerStats
from resolver.soa_wire import minimum_of

log = logging.getLogger("resolver.server")

MAX_TCP_MESSAGE = 65_535  # RFC 7766 §8: the 2-octet length prefix bounds a TCP message
# Clients waiting on one question; a flood of one name beyond this gets SERVFAIL, so memory stays
# bounded even though waiting on a shared resolution costs no upstream traffic.
MAX_WAITERS_PER_QUESTION = 1024
# Clients waiting on all questions together; beyond it a new waiter gets SERVFAIL (Unbound's
# num-queries-per-thread bounds the same thing).
MAX_WAITING = 10_000
# Access-control actions remembered per client address; cleared when full (a scan of many
# source addresses must not grow memory): at most about 3 MB (README, Memory).
ACL_MEMORY = 16_384
# Query bytes (all but the ID) -> fast_key's reading, remembered for queries that hit: clients
# repeat the very same bytes, so a repeat skips reading the name. Cleared when full; only
# queries up to MAX_SHAPE_OCTETS are remembered, so it stays under about 7 MB (README, Memory).
MAX_SHAPES = 20_000
MAX_SHAPE_OCTETS = 128
# Hits first. A hit is answered inside the datagram callback; a miss's walk costs 50 times a
# hit's CPU, and every callback that is ready runs before the loop reads its sockets again. So
# queued misses start a few per loop turn: the number halves after a turn that took longer
# than MISS_TURN_TARGET and grows by one after a shorter one, at least one per turn (misses
# never starve either). A miss still queued after MISS_QUEUE_WAIT is shed: SERVFAIL
# at once, counted in `misses_shed`, so under overload the queue stays short and hits stay fast.
MISS_TURN_TARGET = 0.002  # seconds (measured: 4 ms gave a probe p99 of 11 ms, 2 ms 6.5 ms)
FIRST_STARTS_PER_TURN = 8
MAX_STARTS_PER_TURN = 64
MISS_QUEUE_WAIT = 0.5  # seconds
RD_FLAG = 0x0100  # recursion desired, in the header's flags
REFUSED_QTYPES = frozenset({QTYPE.AXFR, QTYPE.IXFR})
# Read once: every `QTYPE.X` is a lookup in dnslib's Bimap (about 0.5 µs each on a miss).
TYPE_ANY, TYPE_SOA, CLASS_IN = QTYPE.ANY, QTYPE.SOA, CLASS.IN
NOTIMP_QTYPES = frozenset({253, 254})  # MAILA, MAILB (RFC 1035; obsolete)
FORMERR_QTYPES = frozenset({0, TYPE_OPT, TYPE_TKEY, TYPE_TSIG})
# Types answered without a resolution (ANY by RFC 8482): one set test keeps them off a miss.
SPECIAL_QTYPES = REFUSED_QTYPES | NOTIMP_QTYPES | FORMERR_QTYPES | {TYPE_ANY}


class _Miss:
    """A question being resolved for the clients waiting on it."""

    __slots__ = ("key", "query", "name", "waiters", "cache_only", "arrived", "deadline",
                 "started", "task", "done")

    def __init__(self, key: bytes, query: ClientQuery, name: str, waiters: list[tuple],
                 cache_only: bool, arrived: float, deadline: float) -> None:  # fmt: skip
        self.key, self.query, self.waiters, self.cache_only = key, query, waiters, cache_only
        self.name = name  # the question's name in lower case, as the resolver is asked
        self.arrived = arrived  # on the nameserver's clock
        self.deadline = deadline  # the server's, on the loop's clock
        self.started = False  # its walk started (counted in stats.inflight)
        self.task: asyncio.Task[Answer] | None = None  # a walk through query_async: ours
        self.done = False  # answered: its clients got their reply


class Channel(Protocol):
    """Where a query came from and where its late reply goes (a UDP socket or a TCP stream)."""

    udp: bool

    def deferred(self) -> None:
        """A reply to a query on this channel will come later through `deliver`."""

    def deliver(self, reply: bytes, client: tuple) -> None:
        """Send a reply that was deferred."""


class Nameserver:
    """The answering logic of one server; owned by one event loop."""

    def __init__(
        self, config: ServerConfig, resolver: object, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`clock` (monotonic seconds) ages cached replies and times answers; tests inject one."""
        self.config = config
        self.clock = clock
        self.resolver = resolver
        self.stats = ServerStats()
        self.cache = AnswerCache(config.answer_cache_bytes)
        self._entries = self.cache.entries  # the hot path reads the dict directly
        self.access, self.stats_readers, self.local = self.policy_of(config)
        self._acl: dict[str, str] = {}
        self.acl_actions: dict[str, int] = {}
        self._shapes: dict[bytes, tuple[bytes, int, int]] = {}
        # Misses by question, in arrival order (the deadline sweep relies on it); those whose
        # walk has not started yet wait in _queue.
        self._inflight: dict[bytes, _Miss] = {}
        self._queue: deque[_Miss] = deque()
        self._starter: asyncio.Handle | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self._turn_started = 0.0
        self.starts_per_turn = FIRST_STARTS_PER_TURN  # adapted while misses are queued
        self._idle: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None  # see _running_loop
        # A Resolver bound to this loop calls back when its walk is over (api.query_callback):
        # no task, future or loop turn per miss. Such a Resolver is asked for untraced walks
        # (no trace text the server never reads).
        self._query_callback = getattr(resolver, "query_callback", None)
        self._walk_options = {"trace": False} if self._query_callback is not None else {}
        # Prefetch: the resolver refreshes its data when asked late in its TTL (prefetch.py);
        # hits served here never reach it, so a late hit asks it once, in the background.
        self._prefetch = bool(getattr(resolver, "prefetch", False))
        self._prefetching: set[bytes] = set()
        # Worker processes (workers.py): the stats query is answered with every worker's
        # counters, which this coroutine function gathers; None: this server's own.
        self.gather_stats: Callable[[], Awaitable[dict]] | None = None
        lifetime = getattr(resolver, "lifetime", 10.0)
        self.timeout = config.resolution_timeout or float(lifetime) + 1.0
        self.closing = False

    def bind_resolver(self) -> bool:
        """Have the resolver run its walks on this (running) loop, when it can: a miss then
        awaits no other thread (api.Resolver.bind_to_running_loop). True when bound."""
        bind = getattr(self.resolver, "bind_to_running_loop", None)
        return bool(bind()) if bind is not None else False

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        """The loop this server runs on, kept: asyncio.get_running_loop() makes a getpid()
        system call on Python 3.11, and a miss needs the loop once or twice."""
        loop = self._loop
        if loop is None or not loop.is_running():  # first use, or a loop run after another
            loop = self._loop = asyncio.get_running_loop()
        return loop

    @staticmethod
    def policy_of(
        config: ServerConfig,
    ) -> tuple[AccessControl, AccessControl, local_zones.LocalZones]:
        """The access control, who may read the counters, and the local zones a configuration
        asks for; ServerError if bad."""
        try:
            access = AccessControl(config.allow, config.access_control)
            stats_readers = AccessControl(config.stats_from)
        except ValueError as error:
            raise ServerError(f"bad access control: {error}") from None
        return access, stats_readers, local_zones.build(config)

    def apply(self, config: ServerConfig) -> None:
        """Take a reloaded configuration: access control, local data, logging of queries.
        The reply cache is emptied only when local data changed (answers it may contradict);
        the resolver's cache and running resolutions are untouched."""
        access, stats_readers, local = self.policy_of(config)
        local_changed = _local_settings(config) != _local_settings(self.config)
        self.config, self.access, self.local = config, access, local
        self.stats_readers = stats_readers
        self._acl.clear()
        if local_changed:
            self.cache.clear()  # empties the same dict the hot path reads
            self._shapes.clear()

    # ---- the hot path -------------------------------------------------------------------

    def handle(self, data: bytes, client: tuple, channel: Channel) -> bytes | None:
        """The reply to send now, or None (dropped, or deferred to `channel.deliver`)."""
        start = self.clock()
        action = self._acl.get(client[0])
        if action is None:
            action = self._admit(client[0])
        if action is ALLOW or action is ALLOW_SNOOP:
            # A query whose bytes after the ID were seen before on a hit needs no reading.
            shape = data[2:]
            found = self._shapes.get(shape)
            if found is None:
                found = fast_key(data)
                if found is not None and found[0] in self._entries and (
                    len(shape) <= MAX_SHAPE_OCTETS
                ):
                    if len(self._shapes) >= MAX_SHAPES:
                        self._shapes.clear()
                    self._shapes[shape] = found
            if found is not None:
                key, question_end, limit = found
                entry = self._entries.get(key)
                if entry is not None and entry.expires > start:
                    udp = channel.udp
                    if not udp:
                        limit = MAX_TCP_MESSAGE
                    reply = entry.render(data, question_end, limit, start)
                    stats = self.stats
                    if udp:
                        stats.udp_queries += 1
                    else:
                        stats.tcp_queries += 1
                    stats.cache_hits += 1
                    rtype = key[-5:-3]
                    by_type = stats.by_type
                    by_type[rtype] = by_type.get(rtype, 0) + 1
                    rcode = entry.rcode
                    by_rcode = stats.by_rcode
                    by_rcode[rcode] = by_rcode.get(rcode, 0) + 1
                    if len(reply) < entry.size:
                        stats.truncated += 1
                    stats.latency.record(self.clock() - start)
                    if self.config.log_queries:
                        query = parse_query(data)
                        self._log_query(query, client, channel, rcode, "hit", start, len(reply))
                    if self._prefetch and entry.expires - start <= (
                        (entry.expires - entry.stored) * PREFETCH_FRACTION
                    ):
                        self._prefetch_later(key, data)
                    return reply
            return self._handle_slowly(data, client, channel, start, action, found)
        return self._handle_slowly(data, client, channel, start, action, None)

    def _prefetch_later(self, key: bytes, data: bytes) -> None:
        """Ask the resolver, in the background, for a question answered here late in its TTL:
        its cache hit starts the refresh (one at a time per question)."""
        if key in self._prefetching or self.closing:
            return
        try:
            query = parse_query(data)
        except Unanswerable:
            return
        if query.question is None:
            return
        self._prefetching.add(key)
        name = wire.name_from_labels([label.lower() for label in query.labels])

        async def ask() -> None:
            try:
                await self.resolver.query_async(name, query.qtype, query.qclass,
                                                **self._walk_options)
            except Exception:  # a failed refresh costs nothing: the entry expires as it would
                log.debug("prefetching %s failed", name, exc_info=True)
            finally:
                self._prefetching.discard(key)

        task = asyncio.get_running_loop().create_task(ask())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _admit(self, host: str) -> str:
        action = self.access.action(host)
        if len(self._acl) >= ACL_MEMORY:
            self._acl.clear()
        self._acl[host] = action
        return action

    # ---- everything but a clean cache hit -----------------------------------------------

    def _handle_slowly(
        self, data: bytes, client: tuple, channel: Channel, start: float, action: str,
        found: tuple[bytes, int, int] | None,
    ) -> bytes | None:
        """`found`: fast_key's reading of `data` when it is a clean query (else None)."""
        actions = self.acl_actions
        actions[action] = actions.get(action, 0) + 1
        if action is DENY:
            self.stats.dropped += 1
            return None
        try:
            query = clean_query(data, found) if found is not None else parse_query(data)
        except Unanswerable as error:
            self.stats.dropped += 1
            log.debug("dropped %d octets from %s: %s", len(data), _client_text(client), error)
            return None
        stats = self.stats
        if channel.udp:
            stats.udp_queries += 1
        else:
            stats.tcp_queries += 1
        if query.question is not None:
            rtype = query.question[-4:-2]
            stats.by_type[rtype] = stats.by_type.get(rtype, 0) + 1
        if action is not ALLOW and action is not ALLOW_SNOOP:
            stats.refused_acl += 1
            return self._reply_now(query, client, channel, start, REFUSED, "refused (acl)")
        if query.problem is not None:
            return self._reply_now(query, client, channel, start, query.problem, query.reason)
        if query.qclass != CLASS_IN:
            if is_stats_query(query.labels, query.qtype, query.qclass):
                return self._stats_reply(query, client, channel, start)
            return self._reply_now(query, client, channel, start, REFUSED, "class not IN")
        qtype = query.qtype
        if qtype in SPECIAL_QTYPES:
            return self._special_qtype(query, client, channel, start)
        # The resolver is asked in lower case; each client still gets its own case back.
        qname = wire.name_from_labels(query.labels).lower()
        local = self.local.lookup(qname, qtype)
        if local is not None:
            if local.drop:
                stats.dropped += 1
                return None
            reply = records_reply(query, local.rcode, local.answer, local.authority)
            note = f"local {local.kind}"
            return self._reply_now(query, client, channel, start, local.rcode, note, reply)
        # `handle` found no live entry under fast_key's key: only an expired one is left to drop.
        entry = None
        if found is None or found[0] in self._entries:
            entry = self.cache.get(query.key, start)
        if entry is not None:
            stats.cache_hits += 1
            question_end = query.question_end
            reply = entry.render(data, question_end, _limit(query, channel), start)
            return self._finish(query, client, channel, start, entry.rcode, "hit", reply)
        stats.cache_misses += 1
        return self._resolve_later(query, qname, client, channel, start)

    def _stats_reply(
        self, query: ClientQuery, client: tuple, channel: Channel, start: float
    ) -> bytes | None:
        """CH TXT stats.resolver.: the counters, to `stats_from` clients only."""
        if self.stats_readers.action(client[0]) is not ALLOW:
            return self._reply_now(query, client, channel, start, REFUSED, "stats refused")
        if self.gather_stats is not None:
            self._gathered_stats_later(query, client, channel, start)
            return None
        reply = txt_reply(query, stats_lines(self.snapshot()))
        return self._reply_now(query, client, channel, start, 0, "stats", reply)

    def _special_qtype(
        self, query: ClientQuery, client: tuple, channel: Channel, start: float
    ) -> bytes:
        """The reply to a question of a type never resolved (SPECIAL_QTYPES)."""
        qtype = query.qtype
        if qtype in REFUSED_QTYPES:
            return self._reply_now(query, client, channel, start, REFUSED, "zone transfer")
        if qtype in NOTIMP_QTYPES:
            return self._reply_now(query, client, channel, start, NOTIMP, "obsolete qtype")
        if qtype in FORMERR_QTYPES:
            return self._reply_now(query, client, channel, start, FORMERR, "meta-type question")
        return self._reply_now(query, client, channel, start, 0, "rfc8482", any_reply(query))

    def _reply_now(
        self,
        query: ClientQuery,
        client: tuple,
        channel: Channel,
        start: float,
        rcode: int,
        note: str,
        reply: bytes | None = None,
    ) -> bytes:
        if reply is None:
            # Every SERVFAIL says why (RFC 8914): here the server's own reason, as 0 Other.
            ede = ExtendedError(EdeCode.OTHER, note) if rcode == SERVFAIL else None
            reply = error_reply(query, rcode, ede)
        elif channel.udp and query.question is not None and len(reply) > query.udp_limit:
            reply = truncate(reply, query.question_end, query.edns)
        return self._finish(query, client, channel, start, rcode, note, reply)

    def _finish(
        self,
        query: ClientQuery,
        client: tuple,
        channel: Channel,
        start: float,
        rcode: int,
        note: str,
        reply: bytes,
        miss: bool = False,
    ) -> bytes:
        stats = self.stats
        stats.count_rcode(rcode)
        if reply[2] & 0x02:
            stats.truncated += 1
        elapsed = self.clock() - start
        stats.latency.record(elapsed)
        if miss:
            stats.miss_latency.record(elapsed)
        if self.config.log_queries:
            self._log_query(query, client, channel, rcode, note, start, len(reply))
        return reply

    def _gathered_stats_later(
        self, query: ClientQuery, client: tuple, channel: Channel, start: float
    ) -> None:
        async def answer() -> None:
            try:
                snapshot = await self.gather_stats()  # type: ignore[misc]
                note = "stats"
            except Exception as error:  # the supervisor is gone: this worker's own counters
                snapshot, note = self.snapshot(), f"stats of this worker only: {error}"
            reply = txt_reply(query, stats_lines(snapshot))
            channel.deliver(self._reply_now(query, client, channel, start, 0, note, reply), client)

        channel.deferred()
        task = asyncio.get_running_loop().create_task(answer())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- misses: shared, bounded resolutions ----------------------------------------------

    def _resolve_later(
        self, query: ClientQuery, name: str, client: tuple, channel: Channel, start: float
    ) -> bytes | None:
        """Defer the reply to a miss of `name` (lower case): join its resolution, or queue a
        new one, unless the server is closing or full."""
        waiter = (query, client, channel, start)
        flags = query.flags
        cache_only = not flags & RD_FLAG
        key = query.question_key
        if flags & (RD_FLAG | CD_FLAG) != RD_FLAG:  # not the plain RD=1 CD=0 question
            key += (b"/cache-only" if cache_only else b"") + (b"cd" if flags & CD_FLAG else b"")
        if self.closing:
            return self._reply_now(query, client, channel, start, SERVFAIL, "shutting down")
        if self.stats.waiting >= MAX_WAITING:
            self.stats.overloaded += 1
            return self._reply_now(query, client, channel, start, SERVFAIL, "overloaded")
        miss = self._inflight.get(key)
        if miss is not None:
            if len(miss.waiters) >= MAX_WAITERS_PER_QUESTION:
                self.stats.overloaded += 1
                return self._reply_now(query, client, channel, start, SERVFAIL, "overloaded")
            miss.waiters.append(waiter)
        else:
            if len(self._inflight) >= self.config.max_inflight:
                self.stats.overloaded += 1
                return self._reply_now(query, client, channel, start, SERVFAIL, "overloaded")
            loop = self._running_loop()
            miss = _Miss(key, query, name, [waiter], cache_only, start,
                         loop.time() + self.timeout)
            self._inflight[key] = miss
            self._queue.append(miss)
            if self._starter is None:
                self._turn_started = start
                self._starter = loop.call_soon(self._start_queued)
            if self._sweeper is None:
                self._sweeper = loop.call_at(miss.deadline, self._sweep_deadlines)
        self.stats.waiting += 1
        channel.deferred()
        return None

    def _start_queued(self) -> None:
        """Start the walks of queued misses, a few per loop turn (see MISS_TURN_TARGET), and
        shed those that waited too long for their turn."""
        self._starter = None
        now = self.clock()
        if now - self._turn_started > MISS_TURN_TARGET:  # the last turn was long: start fewer
            self.starts_per_turn = max(1, self.starts_per_turn // 2)
        elif self.starts_per_turn < MAX_STARTS_PER_TURN:
            self.starts_per_turn += 1
        self._turn_started = now
        queue = self._queue
        while queue and (queue[0].done or now - queue[0].arrived > MISS_QUEUE_WAIT):
            miss = queue.popleft()
            if not miss.done:
                self.stats.misses_shed += 1
                self._give_up(miss, "shed: the server is busy")
        for _ in range(self.starts_per_turn):
            if not queue:
                break
            miss = queue.popleft()
            if not miss.done:
                self._start(miss)
        if queue:
            self._starter = self._running_loop().call_soon(self._start_queued)

    def _start(self, miss: _Miss) -> None:
        """Start a miss's resolution: the resolver's walk itself when it runs on this loop (no
        task, no copy: it calls `_resolved` back), else a task awaiting `query_async`."""
        miss.started = True
        self.stats.inflight += 1
        query_callback = self._query_callback
        if query_callback is not None and not miss.cache_only:
            query = miss.query
            try:
                if query_callback(miss.name, query.qtype, query.qclass,
                                  functools.partial(self._resolved, miss),
                                  checking_disabled=query.flags & CD_FLAG != 0):
                    return
            except Exception as error:  # a question it refuses (ResolverError), or a bug
                self._resolved(miss, None, error)
                return
        task = asyncio.get_running_loop().create_task(self._resolve(miss.name, miss))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        miss.task = task
        task.add_done_callback(functools.partial(self._task_resolved, miss))

    async def _resolve(self, name: str, miss: _Miss) -> Answer:
        """A miss through the resolver's coroutines (any resolver object, a cache-only query,
        or a resolver on another loop)."""
        query = miss.query
        if miss.cache_only:
            return await self._from_cache_only(name, query)
        options = dict(self._walk_options)
        if checking_disabled(query.flags):  # CD=1: resolve without validating
            options["checking_disabled"] = True
        return await self.resolver.query_async(name, query.qtype, query.qclass, **options)

    def _task_resolved(self, miss: _Miss, task: asyncio.Task[Answer]) -> None:
        if task.cancelled():
            self._resolved(miss, None, asyncio.CancelledError())
        else:
            error = task.exception()  # read even when the miss was answered already
            self._resolved(miss, None if error is not None else task.result(), error)

    def _resolved(self, miss: _Miss, answer: Answer | None, error: BaseException | None) -> None:
        """A miss's resolution ended (`error` set if it failed; CancelledError: shut down):
        answer everyone waiting on it, unless they were answered already."""
        if miss.done:
            return  # already answered (server deadline, shutdown)
        note = "resolved"
        if error is not None:
            answer = None
            if isinstance(error, asyncio.CancelledError):
                note = "shutting down"
            elif isinstance(error, ResolverError):
                self.stats.resolution_errors += 1
                note = f"resolver refused the question: {error}"
            else:
                self.stats.resolution_errors += 1
                note = "resolver error"
                log.error("resolving %s %s failed", miss.query.qname, miss.query.qtype_text,
                          exc_info=error)
        self._done(miss)
        # A cache-only answer may be a CNAME chain cut short: never kept for RD=1 clients.
        self._deliver(miss.waiters, answer, note, keep=not miss.cache_only)

    def _done(self, miss: _Miss) -> None:
        miss.done = True
        if self._inflight.get(miss.key) is miss:
            del self._inflight[miss.key]
        if miss.started:
            self.stats.inflight -= 1
        if not self._inflight and self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

    def _give_up(self, miss: _Miss, note: str) -> None:
        """Answer a miss's clients SERVFAIL now; its walk, if any, ends unheard (a walk of
        ours is cancelled; the resolver's own may be shared, so it runs to its deadline)."""
        self._done(miss)
        if miss.task is not None:
            miss.task.cancel()
        self._deliver(miss.waiters, None, note)

    def _sweep_deadlines(self) -> None:
        """SERVFAIL for misses past the server's deadline (oldest first: the table keeps
        arrival order, and every miss gets the same deadline), then wait for the next one."""
        loop = self._running_loop()
        now = loop.time()
        self._sweeper = None
        expired = []
        for miss in self._inflight.values():
            if miss.deadline > now:
                self._sweeper = loop.call_at(miss.deadline, self._sweep_deadlines)
                break
            expired.append(miss)
        for miss in expired:
            self.stats.resolution_timeouts += 1
            self._give_up(miss, f"server deadline {self.timeout:g}s passed")

    async def _from_cache_only(self, name: str, query: ClientQuery) -> Answer:
        lookup = getattr(self.resolver, "query_cached_async", None)
        if lookup is None:
            answer = Answer(name, query.qtype, query.qclass, REFUSED, name)
            answer.extended_error = ExtendedError(EdeCode.NOT_AUTHORITATIVE, NOT_CACHED_TEXT)
            return answer
        return await lookup(name, query.qtype, query.qclass)

    def _deliver(
        self, waiters: list[tuple], answer: Answer | None, note: str, keep: bool = True
    ) -> None:
        now = self.clock()
        if answer is not None and answer.rcode == SERVFAIL:
            note = _servfail_reason(answer)
        stats = self.stats
        built: dict[tuple[bool, bool], PackedReply | None] = {}  # packed once per EDNS variant
        for query, client, channel, start in waiters:
            variant = (query.edns, query.do)
            if variant in built:
                entry = built[variant]
            else:
                entry = built[variant] = self._pack(query, answer, now, keep)
            if entry is None:
                ede = ExtendedError(EdeCode.OTHER, note)
                rcode, reply = SERVFAIL, error_reply(query, SERVFAIL, ede)
            else:
                rcode = entry.rcode
                reply = entry.render(query.data, query.question_end, _limit(query, channel), now)
            stats.waiting -= 1
            reply = self._finish(query, client, channel, start, rcode, note, reply, miss=True)
            channel.deliver(reply, client)

    def _pack(
        self, query: ClientQuery, answer: Answer | None, now: float, keep: bool = True
    ) -> PackedReply | None:
        """Pack a resolution's reply once per EDNS variant; keep it if it may be cached."""
        if answer is None:
            return None
        try:
            reply, ttl_offsets = answer_reply_and_ttls(query, answer)
            ede = answer.ede if query.edns else None  # only an OPT record carries it
            entry = PackedReply(
                reply,
                query.question_end,
                now,
                edns=query.edns,
                lifetime=_negative_lifetime(answer),
                opt_size=OPT_SIZE + (len(ede.option()) if ede is not None else 0),
                secure=answer.security is Security.SECURE,
                do=query.do,
                ttl_offsets=ttl_offsets,
            )
        except Exception:  # a record dnslib cannot pack must cost one SERVFAIL, not the server
            log.exception("cannot pack the answer to %s %s", query.qname, query.qtype_text)
            return None
        unchecked = query.flags & CD_FLAG and answer.security is None
        cacheable = (answer.rcode in (0, NXDOMAIN) and answer.extended_error is None
                     and not unchecked)
        if keep and cacheable and entry.expires > now:
            self.cache.put(query.key, entry)
        return entry

    # ---- lifecycle and observability -------------------------------------------------------

    async def drain(self, grace: float) -> None:
        """Stop taking misses; let running resolutions finish within `grace` seconds, then
        cancel the rest, whose clients get SERVFAIL."""
        self.closing = True
        if self._inflight:
            self._idle = asyncio.get_running_loop().create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._idle), grace)
            for miss in list(self._inflight.values()):
                self._give_up(miss, "shutting down")
        if self._tasks:  # prefetches, and walks of ours given up above
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    @property
    def resolutions_in_flight(self) -> int:
        return len(self._inflight)

    def snapshot(self) -> dict:
        resolver_stats: dict = {}
        reader = getattr(self.resolver, "stats", None)
        if callable(reader):
            try:
                resolver_stats = dict(reader())
            except Exception:  # counters must never take the server down
                log.exception("reading the resolver's stats failed")
        snapshot = self.stats.snapshot(resolver_stats, len(self.cache))
        snapshot["acl_actions"] = dict(sorted(self.acl_actions.items()))
        snapshot["local_answers"] = dict(sorted(self.local.hits.items()))
        return snapshot

    def _log_query(
        self,
        query: ClientQuery,
        client: tuple,
        channel: Channel,
        rcode: int,
        note: str,
        start: float,
        size: int = 0,
    ) -> None:
        from dnslib import RCODE

        name = query.qname if query.question is not None else "-"
        log.info(
            "query %s %s %s %s %s %s %.2fms %dB %s",
            _client_text(client),
            "udp" if channel.udp else "tcp",
            name,
            CLASS.get(query.qclass, query.qclass) if query.question is not None else "-",
            query.qtype_text if query.question is not None else "-",
            RCODE.get(rcode, rcode) if rcode != 16 else "BADVERS",
            (self.clock() - start) * 1000,
            size,
            note,
        )


def _servfail_reason(answer: Answer) -> str:
    """A SERVFAIL's cause in words, for the query log (from the resolution's last failure)."""
    from resolver.render import failure_text

    for event in reversed(getattr(answer, "trace", None) or []):
        failure = getattr(event, "failure", None)
        if failure is not None:
            return f"servfail: {failure_text(failure)}"
    return "servfail"


def _local_settings(config: ServerConfig) -> tuple:
    return (
        config.default_local_zones,
        config.local_zones,
        config.local_data,
        config.hosts_file,
        config.blocklist_file,
        config.blocklist_address,
    )


def _limit(query: ClientQuery, channel: Channel) -> int:
    return query.udp_limit if channel.udp else MAX_TCP_MESSAGE


def _negative_lifetime(answer: Answer) -> int | None:
    """RFC 2308 §5: a negative answer lives min(SOA TTL, SOA MINIMUM)."""
    if answer.answer_records and answer.rcode != NXDOMAIN:
        return None
    for record in answer.authority_records:
        if record.rtype == TYPE_SOA:
            return min(record.ttl, minimum_of(record))  # read from a WireSOA's octets
    return None


def _client_text(client: tuple) -> str:
    return f"{client[0]}#{client[1]}" if len(client) > 1 else str(client[0])
