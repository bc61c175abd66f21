"""Bind the listeners, run them on one event loop, reload on SIGHUP, stop cleanly on
SIGINT/SIGTERM; tell systemd (sd_notify) when ready, reloading and stopping."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import signal
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from resolver.server import cache_file, logs
from resolver.server.config import DEFAULT_PORT, ServerConfig, ServerError
from resolver.server.nameserver import Nameserver
from resolver.server.notify import notify
from resolver.server.stats import summary_line
from resolver.server.tcp import TcpListener
from resolver.server.udp import UdpListener

if TYPE_CHECKING:
    from resolver.server.workers import Worker

log = logging.getLogger("resolver.server")

TCP_BACKLOG = 128  # pending accepts the kernel keeps for us
UDP_RECEIVE_BUFFER = 4 * 1024 * 1024  # absorb bursts; the kernel caps it at net.core.rmem_max
BIND_ATTEMPTS = 20  # port 0: retries until the UDP port picked is also free for TCP
# gc.set_threshold for a serving process (CPython's default is 700, 10, 10): see
# settle_garbage_collector and benchmarks/README.md for the measurements.
GC_THRESHOLDS = (50_000, 20, 100)


class Server:
    """A running nameserver: one Nameserver behind UDP and TCP listeners on each address.

    Use from a running event loop: `await start()`, then `await stop()`. `addresses` gives the
    bound (host, port) pairs, so port 0 picks a free port (the same for UDP and TCP).
    `reuse_port`: bind with SO_REUSEPORT, beside the other worker processes on the same port.
    """

    def __init__(
        self,
        config: ServerConfig,
        resolver: object,
        *,
        clock: Callable[[], float] = time.monotonic,
        reuse_port: bool = False,
    ) -> None:
        self.config = config
        self.reuse_port = reuse_port
        self.nameserver = Nameserver(config, resolver, clock=clock)
        self.udp: list[UdpListener] = []
        self.tcp: list[TcpListener] = []
        self._stats_task: asyncio.Task | None = None

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [listener.address for listener in self.udp]

    async def start(self) -> None:
        pairs = []
        try:
            for host, port in self.config.listen:
                try:
                    pairs.append(_bind_pair(host, port, self.reuse_port))
                except ServerError as error:
                    if _optional_ipv6(host, error, others=len(self.config.listen) > 1):
                        log.warning("not listening on %s: %s", host, error.__cause__)
                        continue
                    raise
        except BaseException:
            for udp_sock, tcp_sock in pairs:
                udp_sock.close()
                tcp_sock.close()
            raise
        if not pairs:
            raise ServerError("no address to listen on")
        self.nameserver.bind_resolver()
        for udp_sock, tcp_sock in pairs:
            udp = UdpListener(udp_sock, self.nameserver)
            udp.start()
            self.udp.append(udp)
            tcp = TcpListener(
                tcp_sock,
                self.nameserver,
                idle_timeout=self.config.tcp_idle_timeout,
                max_connections=self.config.max_tcp_connections,
            )
            await tcp.start()
            self.tcp.append(tcp)
        if self.config.stats_interval:
            self._stats_task = asyncio.create_task(self._log_stats(self.config.stats_interval))

    async def stop(self) -> None:
        """Stop taking queries; in-flight resolutions finish within the grace period or are
        answered SERVFAIL; owed TCP answers are written; then every socket closes."""
        grace = self.config.shutdown_grace
        for udp in self.udp:
            udp.stop_reading()
        for tcp in self.tcp:
            tcp.stop_accepting()
        await self.nameserver.drain(grace)
        await asyncio.gather(*(tcp.close(grace) for tcp in self.tcp))
        for udp in self.udp:
            udp.close()
        if self._stats_task is not None:
            self._stats_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stats_task

    async def _log_stats(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            log.info("%s", summary_line(self.nameserver.snapshot()))


def _bind_pair(
    host: str, port: int, reuse_port: bool = False
) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket bound to the same address and port, ready to serve (with
    SO_REUSEPORT when `reuse_port`: the kernel spreads clients over the processes bound)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    where = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
    for _ in range(BIND_ATTEMPTS if port == 0 else 1):
        udp = tcp = None
        try:
            udp = socket.socket(family, socket.SOCK_DGRAM)
            if reuse_port:
                udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            with contextlib.suppress(OSError):
                udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
            udp.bind((host, port))
            udp.setblocking(False)
            bound = udp.getsockname()[1]
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                tcp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                tcp.bind((host, bound))
            except OSError as error:
                if port == 0 and error.errno == errno.EADDRINUSE:
                    udp.close()
                    tcp.close()
                    continue
                raise
            tcp.listen(TCP_BACKLOG)
            tcp.setblocking(False)
            return udp, tcp
        except (OSError, OverflowError) as error:
            for sock in (udp, tcp):
                if sock is not None:
                    sock.close()
            reason = getattr(error, "strerror", None) or str(error)
            hint = ""
            if getattr(error, "errno", None) == errno.EACCES and 0 < port < 1024:
                hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE; try --port 5353)"
            elif getattr(error, "errno", None) == errno.EADDRINUSE and port == DEFAULT_PORT:
                hint = (
                    f" (port {DEFAULT_PORT} is mDNS's: avahi-daemon or mDNSResponder often "
                    "holds it; try --port 5300)"
                )
            raise ServerError(f"cannot listen on {where}: {reason}{hint}") from error
    raise ServerError(f"cannot listen on {where}: no port free for both UDP and TCP")


def _optional_ipv6(host: str, error: ServerError, *, others: bool) -> bool:
    """The default [::1] listener is skipped, with a warning, on a host without IPv6."""
    cause = error.__cause__
    return (
        ":" in host
        and others
        and isinstance(cause, OSError)
        and cause.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)
    )


async def serve(
    config: ServerConfig,
    resolver: object,
    stop: asyncio.Event,
    source: tuple[str | None, dict[str, Any], dict[str, Any]] | None = None,
    worker: Worker | None = None,
    *,
    own_process: bool = False,
) -> None:
    """Run a server until `stop` is set, then shut it down cleanly. `source` (config file,
    flags given, merged settings) lets SIGHUP reload the file. `worker`: this is one of
    several worker processes (resolver/server/workers.py), linked to its supervisor.
    `own_process`: the process serves and nothing else, so the garbage collector is tuned for
    it once started."""
    server = Server(config, resolver, reuse_port=worker is not None)
    await server.start()
    if config.user:
        from resolver.server.privileges import drop_privileges

        try:
            uid, gid = drop_privileges(config.user)
        except ServerError:
            await server.stop()
            raise
        log.info("running as user %s (uid %d, gid %d)", config.user, uid, gid)
    reloader = None
    if source is not None:
        from resolver.server.reload import Reloader

        reloader = Reloader(server.nameserver, resolver, *source)
        loop = asyncio.get_running_loop()

        def hangup() -> None:
            notify("RELOADING=1")
            reloader.reload()
            notify("READY=1")

        loop.add_signal_handler(signal.SIGHUP, hangup)
    control = metrics = None
    try:
        if worker is not None:
            await worker.attach(server, resolver, reloader, stop)
        if config.metrics:
            from resolver.server.metrics import MetricsServer

            metrics = MetricsServer(config.metrics, server.nameserver)
            await metrics.start()
            log.info("serving Prometheus metrics on http://%s:%d/metrics", *metrics.address)
        if config.control_socket:
            from resolver.server.control_channel import ControlChannel

            reload = reloader.reload if reloader is not None else None
            control = ControlChannel(config.control_socket, server.nameserver, reload,
                                     server.addresses)
            await control.start()
        if config.cache_file:
            await cache_file.load(resolver, config.cache_file)
    except BaseException:
        for extra in (control, metrics):
            if extra is not None:
                await extra.stop()
        await server.stop()
        raise
    if own_process:
        settle_garbage_collector()
    where = ", ".join(
        f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in server.addresses
    )
    log.info("serving DNS on %s (udp+tcp); allowed clients: %s", where, ", ".join(config.allow))
    notify("READY=1", f"STATUS=serving DNS on {where}")
    if worker is not None:
        await worker.ready()
    try:
        await stop.wait()
    finally:
        notify("STOPPING=1")
        if reloader is not None:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        log.info(
            "stopping: %d resolution(s) in flight get up to %gs",
            server.nameserver.resolutions_in_flight,
            config.shutdown_grace,
        )
        await server.stop()
        for extra in (control, metrics):
            if extra is not None:
                await extra.stop()
        if config.cache_file and (worker is None or worker.saves_cache):
            await cache_file.save(resolver, config.cache_file)
        if worker is not None:
            worker.close()
        log.info("stopped: %s", summary_line(server.nameserver.snapshot()))


def settle_garbage_collector() -> None:
    """Once startup is done (modules, lab zones, a loaded cache file): move everything alive
    into the collector's permanent generation and collect young objects less often.

    Why: the cached records hold no reference cycles, so collections free almost nothing, yet
    each one walks the objects it tracks, and every thread stops meanwhile. A full collection
    of a large cache took up to 190 ms, which was the mixed load's probe p99 (benchmarks/
    README.md). Frozen objects are never walked again; a larger generation-0 threshold makes
    the young collections, and so the full ones they lead to, rarer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_server(
    config: ServerConfig,
    resolver: object,
    source: tuple[str | None, dict[str, Any], dict[str, Any]] | None = None,
    worker: Worker | None = None,
) -> int:
    """Serve in the foreground until SIGINT or SIGTERM; returns the exit code (0 on a clean
    stop). Raises ServerError with a one-line message when an address cannot be bound.
    `source` (config file, flags, merged settings): SIGHUP reloads the file. `worker`: run
    as one of several worker processes (resolver/server/workers.py)."""
    logs.configure(config.log_level, config.log_json)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(config, resolver, stop, source, worker, own_process=True)

    asyncio.run(main())
    return 0
