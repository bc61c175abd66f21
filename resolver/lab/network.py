"""UDP and TCP listeners for every lab host: one asyncio loop in one background thread.

Sockets are bound in the caller's thread (so a port clash is an ordinary exception there), then
handed to the loop. Each host gets its own loopback address; all share one port number.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import traceback
from collections.abc import Callable, Sequence

from .faults import Reply

Handler = Callable[[bytes, str], Reply]

WELL_KNOWN_PORT = 53
PORT_ATTEMPTS = 20  # free-port search: another process may grab the number between binds
TCP_IDLE_TIMEOUT = 10.0  # seconds before an idle TCP connection is closed (RFC 7766 §6.2.3)
STOP_TIMEOUT = 5.0  # seconds to wait for the loop thread to finish


class LabNetworkError(OSError):
    """The lab's addresses or port could not be bound."""


class _UdpHost(asyncio.DatagramProtocol):
    def __init__(self, network: LabNetwork, handler: Handler) -> None:
        self.network = network
        self.handler = handler
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        reply = self.network.call(self.handler, data, "udp")
        if reply.data is None:
            return
        if reply.delay:
            self.network.loop.call_later(reply.delay, self._send, reply.data, addr)
        else:
            self._send(reply.data, addr)

    def _send(self, data: bytes, addr: tuple) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP errors about clients that went away are not our problem


class LabNetwork:
    """Serves `handlers` (address -> handler) on one shared port until stop()."""

    def __init__(self, handlers: Sequence[tuple[str, Handler]], port: int | None) -> None:
        if not handlers:
            raise ValueError("a lab network needs at least one host")
        self.handlers = list(handlers)
        self.requested_port = port
        self.port: int | None = None
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]  # set by start()
        self.errors: list[str] = []  # tracebacks of handler bugs (a test asserts none)
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._transports: list[asyncio.BaseTransport] = []
        self._connections: set[asyncio.Task] = set()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> int:
        """Bind every address, start the loop thread; returns the port in use."""
        port, sockets = self._bind()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(sockets, ready, failure), name="resolver-lab", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join(STOP_TIMEOUT)
            raise LabNetworkError(f"lab network failed to start: {failure[0]}") from failure[0]
        self.port = port
        return port

    def stop(self) -> None:
        if self._thread is None:
            return
        if not self.loop.is_closed() and self.loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)
            with contextlib.suppress(Exception):
                future.result(STOP_TIMEOUT)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(STOP_TIMEOUT)
        self._thread = None

    def _run(self, sockets, ready: threading.Event, failure: list[BaseException]) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._open(sockets))
        except BaseException as exc:  # report any start failure to the starting thread
            failure.append(exc)
            for udp, tcp, _ in sockets:
                udp.close()
                tcp.close()
            ready.set()
            self.loop.close()
            return
        ready.set()
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    async def _open(self, sockets) -> None:
        for udp, tcp, handler in sockets:
            transport, _ = await self.loop.create_datagram_endpoint(
                lambda handler=handler: _UdpHost(self, handler), sock=udp
            )
            self._transports.append(transport)

            async def serve(reader, writer, handler=handler) -> None:
                await self._serve_tcp(handler, reader, writer)

            self._servers.append(await asyncio.start_server(serve, sock=tcp))

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        for transport in self._transports:
            transport.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections, timeout=STOP_TIMEOUT)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), STOP_TIMEOUT)

    # ------------------------------------------------------------------ serving

    def call(self, handler: Handler, data: bytes, protocol: str) -> Reply:
        """Run a handler; a bug in it costs one reply, never the server."""
        try:
            return handler(data, protocol)
        except Exception:
            self.errors.append(traceback.format_exc())
            return Reply(None)

    async def _serve_tcp(self, handler: Handler, reader, writer) -> None:
        """RFC 1035 §4.2.2 framing, several queries per connection (RFC 7766 §6.2.1)."""
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    prefix = await asyncio.wait_for(reader.readexactly(2), TCP_IDLE_TIMEOUT)
                    size = int.from_bytes(prefix, "big")
                    data = await asyncio.wait_for(reader.readexactly(size), TCP_IDLE_TIMEOUT)
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    return
                reply = self.call(handler, data, "tcp")
                if reply.data is None:
                    continue  # dropped: the client waits, as with a server that never answers
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                writer.write(len(reply.data).to_bytes(2, "big") + reply.data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()

    # ------------------------------------------------------------------ binding

    def _bind(self) -> tuple[int, list]:
        addresses = [address for address, _ in self.handlers]
        port = self.requested_port
        if port is None:
            try:
                return WELL_KNOWN_PORT, self._bind_all(addresses, WELL_KNOWN_PORT)
            except OSError:
                port = 0  # not root, or 53 taken: fall back to one shared high port
        if port != 0:
            try:
                return port, self._bind_all(addresses, port)
            except OSError as exc:
                raise LabNetworkError(f"cannot bind the lab on port {port}: {exc}") from exc
        last: OSError | None = None
        for _ in range(PORT_ATTEMPTS):
            probe = _udp_socket(addresses[0], 0)
            chosen = probe.getsockname()[1]
            try:
                return chosen, self._bind_all(addresses, chosen, first_udp=probe)
            except OSError as exc:
                last = exc
        raise LabNetworkError(f"no free port shared by all lab addresses: {last}")

    def _bind_all(self, addresses: list[str], port: int, first_udp=None) -> list:
        bound: list = []
        pending = [first_udp] if first_udp is not None else []
        try:
            for index, (address, handler) in enumerate(self.handlers):
                udp = first_udp if index == 0 and first_udp is not None else None
                if udp is None:
                    udp = _udp_socket(address, port)
                    pending.append(udp)
                tcp = _tcp_socket(address, port)
                pending.append(tcp)
                bound.append((udp, tcp, handler))
        except OSError as exc:
            for sock in pending:
                sock.close()
            raise OSError(exc.errno, f"{exc.strerror} ({address} port {port})") from exc
        return bound


def _udp_socket(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _tcp_socket(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # Restarting the lab must not wait for TIME_WAIT; two live listeners still clash.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
