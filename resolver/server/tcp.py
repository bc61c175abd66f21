"""The TCP listener, RFC 7766: 2-octet length framing, pipelined queries answered as they
complete (so out of order), an idle timeout, a cap on open connections.

Partial reads and writes are the stream's job: readexactly waits for a whole frame however it is
split, and the transport buffers what the kernel does not take yet. Per connection at most
MAX_PIPELINED answers may be outstanding; past that we stop reading until one is sent, which
pushes back on the client through TCP flow control instead of growing memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct

from resolver.server.nameserver import Nameserver

log = logging.getLogger("resolver.server")

MAX_PIPELINED = 64  # outstanding answers per connection before we stop reading its queries
ACCEPT_BATCH = 32  # connections accepted per readiness callback
WRITE_HIGH_WATER = 256 * 1024  # stop reading while this much reply data waits for the client


class TcpConnection:
    """One client connection: the channel that late replies are written to."""

    udp = False

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.pending = 0
        self.settled = asyncio.Event()  # set while fewer than MAX_PIPELINED answers are owed
        self.settled.set()
        self.idle = asyncio.Event()  # set while no answer is owed at all
        self.idle.set()

    def deferred(self) -> None:
        self.pending += 1
        self.idle.clear()
        if self.pending >= MAX_PIPELINED:
            self.settled.clear()

    def send(self, reply: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(len(reply).to_bytes(2, "big") + reply)

    def deliver(self, reply: bytes, client: tuple) -> None:
        self.send(reply)
        self.pending -= 1
        if self.pending < MAX_PIPELINED:
            self.settled.set()
        if self.pending == 0:
            self.idle.set()


class TcpListener:
    """Accepts connections on one bound socket and serves each until idle, closed or stopped."""

    def __init__(
        self,
        sock: socket.socket,
        nameserver: Nameserver,
        *,
        idle_timeout: float,
        max_connections: int,
    ) -> None:
        self.sock = sock
        self.nameserver = nameserver
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.connections: dict[asyncio.Task, TcpConnection] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._opening = 0  # accepted, streams being set up
        self._opening_tasks: set[asyncio.Task] = set()
        self._address = sock.getsockname()[:2]

    @property
    def address(self) -> tuple[str, int]:
        return self._address

    async def start(self) -> None:
        # Our own accept loop rather than asyncio.start_server: on Python 3.11 a connection
        # accepted just before Server.close() is silently left open, never served nor closed.
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.sock.fileno(), self._acceptable)

    def stop_accepting(self) -> None:
        """Close the listening socket; connections not yet accepted are reset by the kernel."""
        self._closing = True
        if self._loop is not None and self.sock.fileno() >= 0:
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()

    def _acceptable(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: keep serving the rest
                log.warning("accepting a TCP connection failed: %s", error.strerror)
                return
            if len(self.connections) + self._opening >= self.max_connections:
                self.nameserver.stats.tcp_refused += 1
                # RFC 7766 §6.2.2 lets a busy server refuse connections; RST frees it at once.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                continue
            conn.setblocking(False)
            self._opening += 1
            task = asyncio.ensure_future(self._open(conn))
            self._opening_tasks.add(task)
            task.add_done_callback(self._opening_tasks.discard)

    async def _open(self, conn: socket.socket) -> None:
        try:
            reader, writer = await asyncio.open_connection(sock=conn)
        except OSError:
            conn.close()
            return
        finally:
            self._opening -= 1
        if self._closing:  # accepted just before we stopped: not served
            writer.transport.abort()
            await _closed(writer)
            return
        await self._serve(reader, writer)

    async def close(self, grace: float) -> None:
        """Stop accepting, give owed answers `grace` seconds to go out, then close all."""
        self.stop_accepting()
        if self._opening_tasks:
            await asyncio.wait(set(self._opening_tasks), timeout=grace)
        waits = [conn.idle.wait() for conn in self.connections.values() if not conn.idle.is_set()]
        if waits:
            await asyncio.wait([asyncio.ensure_future(w) for w in waits], timeout=grace)
        writers = [conn.writer for conn in self.connections.values()]
        for task, conn in list(self.connections.items()):
            conn.writer.close()
            task.cancel()
        if self.connections:
            await asyncio.wait(list(self.connections), timeout=grace)
        if writers:  # a transport closes on a later loop turn; wait for it, not the loop's end
            closing = [asyncio.ensure_future(_closed(writer)) for writer in writers]
            await asyncio.wait(closing, timeout=grace)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stats = self.nameserver.stats
        task = asyncio.current_task()
        assert task is not None
        conn = TcpConnection(writer)
        self.connections[task] = conn
        stats.tcp_connections += 1
        stats.tcp_connections_total += 1
        client = writer.get_extra_info("peername") or ("?", 0)
        try:
            await self._read_queries(reader, writer, conn, client)
            # The client finished sending (or went idle); answers still owed are sent first.
            if not conn.idle.is_set():
                async with asyncio.timeout(self.nameserver.timeout + 1):
                    await conn.idle.wait()
            await writer.drain()
        except (ConnectionError, TimeoutError, asyncio.CancelledError):
            pass
        finally:
            del self.connections[task]
            stats.tcp_connections -= 1
            writer.close()

    async def _read_queries(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        conn: TcpConnection,
        client: tuple,
    ) -> None:
        handle = self.nameserver.handle
        transport = writer.transport
        prefix: bytes | None = None  # kept across a timeout so a slow frame stays in step
        while True:
            try:
                async with asyncio.timeout(self.idle_timeout):
                    if prefix is None:
                        prefix = await reader.readexactly(2)
                    data = await reader.readexactly(int.from_bytes(prefix, "big"))
                prefix = None
            except TimeoutError:
                if conn.idle.is_set():
                    return  # idle: nothing owed, nothing received for idle_timeout
                await conn.idle.wait()  # answers owed: wait for them, then restart the timer
                continue
            except asyncio.IncompleteReadError:
                return  # EOF, possibly in the middle of a frame: nothing more to answer
            reply = handle(data, client, conn)
            if reply is not None:
                conn.send(reply)
            if not conn.settled.is_set():
                await conn.settled.wait()
            if transport.get_write_buffer_size() > WRITE_HIGH_WATER:
                await writer.drain()


async def _closed(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()
