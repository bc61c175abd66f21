"""Send one query to one server and get its reply: UDP, or TCP when asked (after truncation).

Each query goes out from a fresh socket, so the kernel picks a random source port, and the
caller puts a random ID in it (see `new_query_id`). A reply counts only if it comes from the
address and port we sent to (a connected UDP socket makes the kernel drop anything else), has
our ID and QR=1, and repeats our question (names compared case-insensitively). Anything else is
ignored and we keep waiting until the timeout: a spoofed or stale datagram must not end the
exchange.
"""

from __future__ import annotations

import _socket
import asyncio
import heapq
import math
import secrets
import select
import socket
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from resolver import wire
from resolver.policy import AddressPolicy

MAX_UDP_PAYLOAD = 65535  # read buffer for one datagram


class TransportError(Exception):
    """The exchange failed: network error, refused connection, forbidden address."""


class QueryTimeout(TransportError):
    """No acceptable reply arrived within the timeout."""


class ForbiddenAddress(TransportError):
    """The address policy does not allow querying this address."""


@dataclass(frozen=True)
class Exchange:
    raw: bytes
    rtt: float
    protocol: str  # "udp" or "tcp"


class Transport(Protocol):
    """What the iterator needs from the network; tests substitute an in-process fake."""

    async def query(
        self, address: str, port: int, query: bytes, *, timeout: float, tcp: bool = False
    ) -> Exchange: ...


# What a UDP query's callback gets when it ends: (reply, rtt, None) or (None, rtt, the error).
UdpDone = Callable[[bytes | None, float, TransportError | None], None]


class Pending(Protocol):
    """A query sent with `send_udp`, its callback still to come."""

    def cancel(self) -> None: ...


class CallbackTransport(Transport, Protocol):
    """A Transport that can also send over UDP with a callback (the known-cut shortcut)."""

    def send_udp(self, address: str, port: int, query: bytes, timeout: float,
                 on_done: UdpDone) -> Pending: ...


def new_query_id() -> int:
    """A 16-bit query ID from the OS CSPRNG: guessing it is half of a spoofing attack.

    Read from the OS 512 IDs at a time (one system call, not one per query)."""
    global _ids, _next_id
    ids, at = _ids, _next_id  # a snapshot: another thread may refill meanwhile
    if at >= _ID_OCTETS:  # every read is _ID_OCTETS long (the first comes at the first call)
        ids, at = secrets.token_bytes(_ID_OCTETS), 0
        _ids = ids
    _next_id = at + 2
    return (ids[at] << 8) | ids[at + 1]


_IDS_PER_READ = 512
_ID_OCTETS = 2 * _IDS_PER_READ
_ids, _next_id = b"", _ID_OCTETS


def reply_matches(query: bytes, reply: bytes) -> bool:
    """True when `reply` answers `query`: same ID, QR=1, same question (case-insensitive)."""
    if len(reply) < wire.HEADER_SIZE or reply[:2] != query[:2]:
        return False
    if not reply[2] & 0x80 or reply[4:6] != b"\x00\x01":  # QR=1, one question
        return False
    try:
        end = wire.question_end(query)
        if reply[wire.HEADER_SIZE:end] == query[wire.HEADER_SIZE:end]:
            return True  # the very octets we sent (the usual echo): the same question
        # Else the question's wire form, name lower-cased (an uncompressed name, the only legal
        # one there): no text decoded. It accepts what parse_question accepts.
        return wire.cache_key(reply)[0] == wire.cache_key(query)[0]
    except wire.WireError:
        return False


_AF_INET, _AF_INET6 = socket.AF_INET, socket.AF_INET6
_UDP_NONBLOCKING = socket.SOCK_DGRAM | socket.SOCK_NONBLOCK


class _Watcher:
    """The UDP queries waiting for replies on one loop, watched with one epoll set of our own
    (the loop watches only that set) and one deadline timer: no selector key, handle or timer
    object per query. A closed socket leaves the epoll set by itself. The set stays open while
    its loop lives, between busy spells too (opening and closing it whenever the last reply
    came cost four system calls each time): only the loop holds the watcher (through its
    reader), so closing the loop frees it and closes the set. When no query waits, it drops
    its deadlines and timer, which point back at it, so no cycle keeps it alive.

    The queries of one loop turn are sent together, back to back, once the turn's other work
    is done (`send_soon`): sent each between the Python work of each, the kernel's send path
    ran cold, and a miss cost about a third more CPU (benchmarks/README.md, misses.py)."""

    __slots__ = ("loop", "thread", "epoll", "waiting", "deadlines", "timer", "armed_at", "seq",
                 "outbox", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.thread = threading.get_ident()
        self.epoll = select.epoll()
        self.waiting: dict[int, UdpQuery] = {}
        self.deadlines: list[tuple[float, int, UdpQuery]] = []  # a heap; done ones linger
        self.timer: asyncio.TimerHandle | None = None
        self.armed_at = math.inf
        self.seq = 0
        self.outbox: list[UdpQuery] = []  # to send at the end of this loop turn
        loop.add_reader(self.epoll.fileno(), self.ready)

    def send_soon(self, query: UdpQuery) -> None:
        outbox = self.outbox
        outbox.append(query)
        if len(outbox) == 1:
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        outbox, self.outbox = self.outbox, []
        for query in outbox:
            if query._fd >= 0:  # not cancelled meanwhile
                query._send()

    def watch(self, query: UdpQuery, fd: int, deadline: float) -> None:
        self.epoll.register(fd, select.EPOLLIN)
        self.waiting[fd] = query
        seq = self.seq = self.seq + 1
        deadlines = self.deadlines
        # Mostly answered ones (looked at every 64 queries): drop those.
        if not seq & 63 and len(deadlines) > 2 * len(self.waiting) + 64:
            deadlines[:] = [entry for entry in deadlines if entry[2]._fd >= 0]
            heapq.heapify(deadlines)
        heapq.heappush(deadlines, (deadline, seq, query))
        if deadline < self.armed_at:
            self.arm(deadline)

    def arm(self, deadline: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.armed_at = deadline
        self.timer = self.loop.call_at(deadline, self.expire)

    def ready(self) -> None:
        waiting = self.waiting
        for fd, _ in self.epoll.poll(0):
            query = waiting.get(fd)
            if query is not None:
                query._readable()

    def expire(self) -> None:
        self.timer, self.armed_at = None, math.inf
        now = self.loop.time()
        deadlines = self.deadlines
        while deadlines and deadlines[0][0] <= now:
            query = heapq.heappop(deadlines)[2]
            if query._fd >= 0:
                query._time_out()
        if deadlines and self.waiting:
            self.arm(deadlines[0][0])

    def idle(self) -> None:
        """No query waits: drop the answered ones' deadlines (they point back here)."""
        self.deadlines.clear()
        if self.timer is not None:
            self.timer.cancel()
            self.timer, self.armed_at = None, math.inf


# By thread: a thread runs one loop at a time, so its watcher whose loop is running is the
# running loop's. (asyncio.get_running_loop() makes a getpid() system call on Python 3.11.)
# Weak: the loop alone keeps its watcher (see _Watcher).
_watchers: dict[int, weakref.ref[_Watcher]] = {}


def _running_watcher() -> _Watcher:
    """The running loop's watcher, made on first use (RuntimeError off a loop)."""
    ref = _watchers.get(threading.get_ident())
    watcher = ref() if ref is not None else None
    if watcher is None or not watcher.loop.is_running():
        watcher = _Watcher(asyncio.get_running_loop())
        _watchers[watcher.thread] = weakref.ref(watcher)
    return watcher


class UdpQuery:
    """One query over UDP, its reply handed to a callback: `on_done(reply, rtt, error)` with
    the matching reply, or with QueryTimeout or TransportError (e.g. ICMP port unreachable on
    the connected socket). No coroutine, task or future: a cache miss's exchange costs a few
    calls (see _Watcher). `cancel()` forgets it (on_done is then never called).

    Few system calls per query, each of which also gives the GIL away: the socket is created
    non-blocking, the query is sent with the loop turn's others (a UDP send does not block;
    see _Watcher), and the socket is watched for its reply, not read first in a recv that can
    only fail. A fresh socket per query still gives a fresh random source port (see the
    docstring). A send that fails ends the query with a TransportError, through `on_done`.
    """

    __slots__ = ("_watcher", "_sock", "_fd", "_query", "_on_done", "_started", "_peer")

    def __init__(self, address: str, port: int, query: bytes, timeout: float,
                 on_done: UdpDone) -> None:
        # The C socket type: socket.socket's Python layer costs more than the system calls.
        sock = _socket.socket(_AF_INET6 if ":" in address else _AF_INET, _UDP_NONBLOCKING)
        try:
            sock.connect((address, port))  # binds a random source port; filters other sources
            watcher = _running_watcher()
        except BaseException:
            sock.close()
            raise
        self._sock, self._fd = sock, sock.fileno()
        self._query, self._on_done, self._peer = query, on_done, (address, port, timeout)
        self._watcher = watcher
        self._started = 0.0  # when sent
        watcher.watch(self, self._fd, watcher.loop.time() + timeout)
        watcher.send_soon(self)

    def _send(self) -> None:
        self._started = time.perf_counter()
        try:
            self._sock.send(self._query)
        except OSError as exc:
            self._finish(None, TransportError(f"{self._peer[0]}: {exc.strerror or exc}"))

    def _readable(self) -> None:
        try:
            reply = self._sock.recv(MAX_UDP_PAYLOAD)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._finish(None, TransportError(f"{self._peer[0]}: {exc.strerror or exc}"))
            return
        if reply_matches(self._query, reply):
            self._finish(reply, None)

    def _time_out(self) -> None:
        # On a busy loop the deadline can pass in the same turn as the reply's readiness,
        # before _readable ran: the reply still waits in the socket. Take it rather than
        # report a timeout and blame the server.
        reply = _queued_reply(self._sock, self._query)
        if reply is not None:
            self._finish(reply, None)
            return
        address, port, timeout = self._peer
        self._finish(None, QueryTimeout(f"no reply from {address} port {port} within "
                                        f"{timeout:.2f} s"))

    def _finish(self, reply: bytes | None, error: TransportError | None) -> None:
        rtt = time.perf_counter() - self._started
        on_done = self._on_done
        self._close()
        on_done(reply, rtt, error)

    def cancel(self) -> None:
        """Stop waiting: the socket closes, on_done is not called. Idempotent."""
        if self._fd >= 0:
            self._close()

    def _close(self) -> None:
        fd = self._fd
        waiting = self._watcher.waiting  # before the socket closes (it leaves the epoll set)
        del waiting[fd]
        if not waiting:
            self._watcher.idle()
        self._sock.close()
        self._fd = -1
        self._on_done = _ignored  # its deadline entry may linger: keep nothing alive through it


def _ignored(reply: bytes | None, rtt: float, error: TransportError | None) -> None:
    pass


async def _exchange_udp(address: str, port: int, query: bytes, timeout: float) -> Exchange:
    arrived: asyncio.Future[Exchange] = asyncio.get_running_loop().create_future()

    def done(reply: bytes | None, rtt: float, error: TransportError | None) -> None:
        if arrived.done():
            return
        if error is not None:
            arrived.set_exception(error)
        else:
            arrived.set_result(Exchange(reply, rtt, "udp"))  # type: ignore[arg-type]

    pending = UdpQuery(address, port, query, timeout, done)
    try:
        return await arrived
    finally:
        pending.cancel()  # a caller cancelled: the socket closes all the same


def _queued_reply(sock: _socket.socket, query: bytes) -> bytes | None:
    """A matching reply already waiting in the (non-blocking) socket's queue, if any."""
    while True:
        try:
            reply = sock.recv(MAX_UDP_PAYLOAD)
        except OSError:  # BlockingIOError: the queue is empty
            return None
        if reply_matches(query, reply):
            return reply


async def _exchange_tcp(address: str, port: int, query: bytes, timeout: float) -> Exchange:
    started = time.perf_counter()
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(address, port)
        try:
            writer.write(wire.pack_u16(len(query)) + query)  # RFC 1035 4.2.2 length prefix
            await writer.drain()
            while True:
                length = wire.unpack_u16(await reader.readexactly(2), 0)
                reply = await reader.readexactly(length)
                if reply_matches(query, reply):
                    return Exchange(reply, time.perf_counter() - started, "tcp")
        finally:
            writer.close()


async def exchange(
    address: str, port: int, query: bytes, *, timeout: float, tcp: bool = False
) -> Exchange:
    """One query, one validated reply; raises QueryTimeout or TransportError."""
    try:
        if tcp:
            return await _exchange_tcp(address, port, query, timeout)
        return await _exchange_udp(address, port, query, timeout)
    except TimeoutError:
        raise QueryTimeout(f"no reply from {address} port {port} within {timeout:.2f} s") from None
    except asyncio.IncompleteReadError:
        raise TransportError(f"{address} closed the TCP connection mid-reply") from None
    except OSError as exc:
        raise TransportError(f"{address}: {exc.strerror or exc}") from None


class NetworkTransport:
    """The real network, limited to what the address policy permits."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    async def query(
        self, address: str, port: int, query: bytes, *, timeout: float, tcp: bool = False
    ) -> Exchange:
        self._permit(address)
        return await exchange(address, port, query, timeout=timeout, tcp=tcp)

    def send_udp(self, address: str, port: int, query: bytes, timeout: float,
                 on_done: UdpDone) -> UdpQuery:
        """`query()` over UDP with a callback instead of a coroutine (UdpQuery, CallbackTransport);
        raises ForbiddenAddress, or TransportError when no socket can be opened to the address.
        The query goes out at the end of the loop turn: a failure to send it reaches `on_done`
        as a TransportError."""
        self._permit(address)
        try:
            return UdpQuery(address, port, query, timeout, on_done)
        except OSError as exc:
            raise TransportError(f"{address}: {exc.strerror or exc}") from None

    def _permit(self, address: str) -> None:
        """Raise ForbiddenAddress unless the address policy allows querying address."""
        refusal = self.policy.refusal(address)
        if refusal:
            raise ForbiddenAddress(f"not querying {address}: {refusal}")
