"""`resolve serve --workers N`: N processes answer on the same addresses, under a supervisor.

Each worker is today's whole single-process server (daemon.serve: its own Resolver, caches,
event loop; with `--lab`, its own copy of the lab) with its sockets bound with SO_REUSEPORT, so
the kernel spreads clients over the workers by their address and port. N=1 runs no supervisor.

The supervisor (the process that was started) forks the workers after the configuration is
read and before any thread or event loop exists, then:
- owns what must be one per server: the control socket and the metrics port, and the
  `--stats-interval` log line; it drops to `--user` after the workers are up, as they do
  after binding;
- talks to each worker over its own socketpair (`Link`: JSON lines, either side may ask):
  `resolve control` commands go to every worker (flush, reload... apply to all; texts are
  joined), `stats` and /metrics are the sums of every worker's counters, with the latency
  percentiles from the workers' merged histograms, never averaged;
- answers a worker's "gather" for the CH TXT `stats.resolver.` query: the worker the kernel
  picked asks the supervisor, which reads every worker's counters at that moment (exact, not
  a periodic copy);
- says READY to systemd only when every worker is serving; relays SIGHUP (reload, READY once
  all reloaded) and SIGTERM/SIGINT (each worker stops gracefully; one still running after
  its grace period plus STOP_MARGIN is killed);
- a worker that dies unexpectedly stops the whole server with exit status 1 (no restart:
  a crash is a bug to see, and systemd's Restart= restarts the whole server cleanly); one
  that stopped cleanly (exit 0: SIGTERM/SIGINT sent to it, as Ctrl-C does to the whole
  process group) stops the server cleanly too.
No orphans: a worker whose link to the supervisor closes (the supervisor died, even by
SIGKILL) stops by itself.

Worker 0 starts first; the others start once it serves, so a configuration that cannot work
(an address taken, a bad hints file) is reported once, by worker 0, and the supervisor exits
with its status. Port 0 is chosen once, before the workers start (reserved by the supervisor
with SO_REUSEPORT sockets it closes once the workers are bound).

The cache file: every worker loads it at start, worker 0 alone saves its cache at stop (the
workers' caches hold much the same popular names; `resolve control dump-cache` gives all).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import json
import logging
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from resolver.server import logs
from resolver.server.config import ServerConfig, ServerError
from resolver.server.control_channel import (
    ControlChannel,
    ControlError,
    check,
    reset_counters,
    status_text,
)
from resolver.server.notify import notify

log = logging.getLogger("resolver.server")

MAX_MESSAGE = 64 * 1024 * 1024  # a load-cache or dump-cache text travels whole
STOP_MARGIN = 10.0  # seconds past a worker's shutdown grace before it is killed
READINGS_TIMEOUT = 5.0  # seconds for every worker to report its counters
BIND_ATTEMPTS = 20  # port 0: retries until the UDP port picked is also free for TCP
GO = b"!"  # the supervisor's word to workers 1..N-1 that worker 0 serves


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, as taskset or a cgroup set it)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


class LinkClosed(ServerError):
    """The process at the other end of a link is gone."""


class Link:
    """One end of a supervisor-worker socketpair. Either side may `ask(op, **args)`; the other
    side's `handler(op, args)` answers. One JSON line per message:
    {"ask": ID, "op": ..., "args": {...}} and {"answer": ID, "ok": true/false, "value": ...}."""

    def __init__(self, sock: socket.socket,
                 handler: Callable[[str, dict[str, Any]], Awaitable[Any]]) -> None:
        self.sock = sock
        self.handler = handler
        self.closed = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._next = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        reader, self._writer = await asyncio.open_unix_connection(sock=self.sock,
                                                                  limit=MAX_MESSAGE)
        task = asyncio.create_task(self._read(reader))
        self._tasks.add(task)

    async def ask(self, op: str, **args: Any) -> Any:
        """The other side's answer; LinkClosed when it is gone, ServerError with its words
        when it could not do it."""
        if self.closed.is_set() or self._writer is None:
            raise LinkClosed("the other process is gone")
        self._next += 1
        future = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        self._send({"ask": self._next, "op": op, "args": args})
        return await future

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        for task in self._tasks:
            task.cancel()
        self._closed()

    def _send(self, message: dict[str, Any]) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(json.dumps(message).encode() + b"\n")

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                message = json.loads(line)
                if "answer" in message:
                    future = self._pending.pop(message["answer"], None)
                    if future is not None and not future.done():
                        if message["ok"]:
                            future.set_result(message["value"])
                        else:
                            future.set_exception(ServerError(message["value"]))
                else:
                    task = asyncio.create_task(self._answer(message))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
        except (ConnectionError, ValueError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            self._closed()

    async def _answer(self, message: dict[str, Any]) -> None:
        try:
            value, ok = await self.handler(message["op"], message.get("args", {})), True
        except Exception as error:  # the asker gets the words; this process goes on
            value, ok = str(error), False
        self._send({"answer": message["ask"], "ok": ok, "value": value})

    def _closed(self) -> None:
        self.closed.set()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(LinkClosed("the other process is gone"))
        self._pending.clear()


# --------------------------------------------------------------------------------------------
# The worker's side


class Worker:
    """A worker process's place: its number and its link to the supervisor (daemon.serve
    calls attach, ready and close)."""

    def __init__(self, index: int, sock: socket.socket) -> None:
        self.index = index
        self.sock = sock
        self.link: Link | None = None
        self.server: Any = None
        self.nameserver: Any = None
        self.control: Any = None
        self._watch: asyncio.Task[Any] | None = None

    @property
    def saves_cache(self) -> bool:
        return self.index == 0

    async def attach(self, server: Any, resolver: object, reloader: Any,
                     stop: asyncio.Event) -> None:
        """Serve the supervisor's requests for this server; stop when the supervisor goes."""
        self.server = server
        self.nameserver = server.nameserver
        reload = reloader.reload if reloader is not None else None
        self.control = ControlChannel("", server.nameserver, reload, server.addresses)
        self.link = Link(self.sock, self._handle)
        await self.link.start()
        self.nameserver.gather_stats = self.gather
        closed = self.link.closed

        async def watch() -> None:
            await closed.wait()
            stop.set()  # no orphan: without a supervisor this worker stops too

        self._watch = asyncio.create_task(watch())

    async def ready(self) -> None:
        assert self.link is not None
        await self.link.ask("ready", pid=os.getpid(), addresses=self.server.addresses)

    async def gather(self) -> dict[str, Any]:
        """Every worker's counters summed, for the CH TXT stats query."""
        assert self.link is not None
        return await self.link.ask("gather")

    def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        if self.link is not None:
            self.link.close()

    async def _handle(self, op: str, args: dict[str, Any]) -> Any:
        if op == "readings":
            return self._readings(bool(args.get("reset")))
        if op == "control":
            return await self.control.run(args["command"], args["args"])
        raise ServerError(f"unknown request {op!r}")

    def _readings(self, reset: bool) -> dict[str, Any]:
        from resolver.server.metrics import readings_of

        readings = readings_of(self.nameserver)
        if reset:
            reset_counters(self.nameserver)
        return {"pid": os.getpid(), "snapshot": readings.snapshot,
                "latency": readings.latency.state(),
                "miss_latency": readings.miss_latency.state(),
                "answer_cache_bytes": readings.answer_cache_bytes}


# --------------------------------------------------------------------------------------------
# Summing what the workers report


def merge_readings(parts: list[dict[str, Any]]) -> Any:
    """The metrics Readings of the whole server from each worker's `readings` answer; the
    snapshot gains "workers": their count and each one's queries."""
    from resolver.server.metrics import Readings
    from resolver.server.stats import LatencyHistogram, merge_snapshots

    latency = LatencyHistogram.merged([part["latency"] for part in parts])
    miss_latency = LatencyHistogram.merged([part["miss_latency"] for part in parts])
    snapshot = merge_snapshots([part["snapshot"] for part in parts], latency, miss_latency)
    snapshot["workers"] = {"count": len(parts),
                           "queries": [part["snapshot"]["queries"] for part in parts]}
    return Readings(snapshot, latency, miss_latency,
                    sum(part["answer_cache_bytes"] for part in parts))


def join_texts(texts: list[str]) -> str:
    """Each worker's answer to a control command: once when they all say the same (a
    one-line answer then says so), else one line, or one block, per worker."""
    if all(text == texts[0] for text in texts):
        if len(texts) > 1 and "\n" not in texts[0]:
            return f"each of {len(texts)} workers: {texts[0]}"
        return texts[0]
    if any("\n" in text for text in texts):  # tables (infra, lookup): one block each
        return "\n".join(f"worker {index}:\n{text}" for index, text in enumerate(texts))
    return "\n".join(f"worker {index}: {text}" for index, text in enumerate(texts))


def join_dumps(dumps: list[str]) -> str:
    """One cache dump holding every worker's entries: the first dump's header, then each
    dump's entries (a name several workers cached is loaded more than once, the last wins)."""
    body = [dump.split("\n", 2)[2] if dump.count("\n") >= 2 else "" for dump in dumps[1:]]
    return dumps[0] + "".join(body)


# --------------------------------------------------------------------------------------------
# The supervisor


@dataclasses.dataclass
class _Child:
    index: int
    pid: int
    link: Link
    status: int | None = None  # os.waitstatus_to_exitcode once reaped
    ready: bool = False


def run_supervisor(config: ServerConfig, start_worker: Callable[[ServerConfig, Worker], int],
                   count: int | None = None) -> int:
    """Fork `count` (default config.workers) workers, each running `start_worker(config,
    worker)` (the whole single-process server), and supervise them until SIGTERM/SIGINT or
    until one dies; returns the exit status. ServerError: the port 0 reservation failed."""
    count = config.workers if count is None else count
    logs.configure(config.log_level, config.log_json)
    reservations, listen = _reserve_ports(config.listen)
    worker_config = dataclasses.replace(config, listen=listen, control_socket=None,
                                        metrics=None, stats_interval=None)
    children: list[tuple[int, socket.socket]] = []
    ends: list[socket.socket] = []
    for index in range(count):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            for sock in [*reservations, *ends, ours]:
                sock.close()
            os._exit(_worker_main(index, theirs, worker_config, start_worker))
        theirs.close()
        ends.append(ours)
        children.append((pid, ours))
    try:
        return asyncio.run(_Supervisor(config, children, reservations).run())
    finally:
        for sock in reservations:
            sock.close()


def _worker_main(index: int, sock: socket.socket, config: ServerConfig,
                 start_worker: Callable[[ServerConfig, Worker], int]) -> int:
    """A forked worker's life; the return is its exit status."""
    try:
        os.environ.pop("NOTIFY_SOCKET", None)  # systemd hears from the supervisor only
        logs.name_process(f"worker {index}")
        if index > 0:
            sock.setblocking(True)
            if sock.recv(1) != GO:  # worker 0 could not start: nothing to add
                return 0
        code = start_worker(config, Worker(index, sock))
    except KeyboardInterrupt:
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    return code


def _reserve_ports(
    listen: list[tuple[str, int]],
) -> tuple[list[socket.socket], list[tuple[str, int]]]:
    """Port 0 becomes one free port for UDP and TCP, the same for every worker: bound here
    with SO_REUSEPORT (TCP not listening) and held until the workers have bound it too."""
    held: list[socket.socket] = []
    chosen = []
    for host, port in listen:
        if port != 0:
            chosen.append((host, port))
            continue
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            pair = _reserve(family, host)
        except OSError as error:
            if family == socket.AF_INET6 and error.errno in (errno.EADDRNOTAVAIL,
                                                             errno.EAFNOSUPPORT):
                chosen.append((host, port))  # the workers skip it, with a warning, as one does
                continue
            for sock in held:
                sock.close()
            raise ServerError(f"cannot listen on {host} port 0: "
                              f"{error.strerror or error}") from None
        held += pair
        chosen.append((host, pair[0].getsockname()[1]))
    return held, chosen


def _reserve(family: int, host: str) -> list[socket.socket]:
    for _ in range(BIND_ATTEMPTS):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        tcp = socket.socket(family, socket.SOCK_STREAM)
        try:
            for sock in (udp, tcp):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            udp.bind((host, 0))
            tcp.bind((host, udp.getsockname()[1]))
            return [udp, tcp]
        except OSError as error:
            udp.close()
            tcp.close()
            if error.errno != errno.EADDRINUSE:
                raise
    raise OSError(errno.EADDRINUSE, "no port free for both UDP and TCP")


class _Supervisor:
    """The parent's event loop: the workers' links, signals, control socket, metrics."""

    def __init__(self, config: ServerConfig, children: list[tuple[int, socket.socket]],
                 reservations: list[socket.socket]) -> None:
        self.config = config
        self.reservations = reservations
        self.children: list[_Child] = []
        self._pending_children = children
        self.stop = asyncio.Event()
        self.changed = asyncio.Event()  # a worker became ready or ended, or stop was asked
        self.stopping = False
        self.started = time.monotonic()
        self.addresses: list[tuple[str, int]] = []  # as worker 0 bound them

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for pid, sock in self._pending_children:
            index = len(self.children)
            child = _Child(index, pid, Link(sock, self._handler(index)))
            self.children.append(child)
            await child.link.start()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._stop)
        loop.add_signal_handler(signal.SIGCHLD, self._reap)
        self._reap()  # one may have ended before the handler was there
        extras: list[Any] = []
        try:
            failed = await self._start_workers()
            if failed is not None:
                return failed
            for sock in self.reservations:
                sock.close()  # the workers hold the port now
            extras = await self._start_extras()
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
            where = ", ".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}"
                              for h, p in self.addresses)
            pids = ", ".join(str(child.pid) for child in self.children)
            log.info("serving DNS on %s (udp+tcp) with %d workers (pids %s)", where,
                     len(self.children), pids)
            notify("READY=1", f"STATUS=serving DNS on {where} with {len(self.children)} workers")
            stats_task = None
            if self.config.stats_interval:
                stats_task = asyncio.create_task(self._log_stats(self.config.stats_interval))
            await self._wait(lambda: self.stop.is_set() or self._dead() is not None)
            if stats_task is not None:
                stats_task.cancel()
            dead = self._dead()
            if dead is not None and not self.stop.is_set():
                if dead.status == 0:  # it was told to stop (a signal to the process group)
                    log.info("worker %d (pid %d) stopped: stopping the server", dead.index,
                             dead.pid)
                    return await self._shutdown(extras, failed=False)
                log.error("worker %d (pid %d) ended unexpectedly (%s): stopping the server",
                          dead.index, dead.pid, _status_text(dead.status))
                return await self._shutdown(extras, failed=True)
            return await self._shutdown(extras, failed=False)
        except BaseException:
            await self._shutdown(extras, failed=True)
            raise

    async def _start_workers(self) -> int | None:
        """Worker 0 first, then the rest; None when all serve, else the exit status."""
        first = self.children[0]
        await self._wait(lambda: first.ready or first.status is not None or self.stop.is_set())
        if not first.ready:
            return await self._shutdown([], failed=first.status is not None,
                                        code=_exit_code(first.status))
        for child in self.children[1:]:
            with contextlib.suppress(OSError):
                child.link.sock.send(GO)  # the socket is the link's: one byte before any line
        await self._wait(lambda: all(c.ready for c in self.children) or self.stop.is_set()
                         or self._dead() is not None)
        if not all(c.ready for c in self.children):
            dead = self._dead()
            if dead is not None:
                log.error("worker %d (pid %d) could not start (%s)", dead.index, dead.pid,
                          _status_text(dead.status))
            return await self._shutdown([], failed=dead is not None)
        return None

    async def _start_extras(self) -> list[Any]:
        """As a single server does after binding: drop privileges, then metrics and control."""
        extras: list[Any] = []
        if self.config.user:
            from resolver.server.privileges import drop_privileges

            uid, gid = drop_privileges(self.config.user)
            log.info("supervisor running as user %s (uid %d, gid %d)", self.config.user, uid,
                     gid)
        if self.config.metrics:
            from resolver.server.metrics import MetricsServer

            metrics = MetricsServer(self.config.metrics, gather=self.readings)
            await metrics.start()
            extras.append(metrics)
            log.info("serving Prometheus metrics on http://%s:%d/metrics", *metrics.address)
        if self.config.control_socket:
            control = WorkersControl(self.config.control_socket, self)
            await control.start()
            extras.append(control)
        return extras

    async def _shutdown(self, extras: list[Any], failed: bool, code: int = 1) -> int:
        """Stop the extras, every worker (SIGTERM, then SIGKILL past the grace), reap all."""
        if not self.stopping:
            self.stopping = True
            notify("STOPPING=1")
            for extra in extras:
                await extra.stop()
            for child in self.children:
                if child.status is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child.pid, signal.SIGTERM)
                child.link.close()
            deadline = self.config.shutdown_grace + STOP_MARGIN
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(deadline):
                    await self._wait(lambda: all(c.status is not None for c in self.children))
            for child in self.children:
                if child.status is None:
                    log.error("worker %d (pid %d) still running after %gs: killed", child.index,
                              child.pid, deadline)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child.pid, signal.SIGKILL)
                    _, status = os.waitpid(child.pid, 0)
                    child.status = os.waitstatus_to_exitcode(status)
        if failed:
            return code or 1
        # A worker may still have been starting, before its handlers: SIGTERM's default ends it.
        bad = [c for c in self.children if c.status not in (0, -signal.SIGTERM)]
        if bad:
            return 1
        log.info("stopped: %d workers", len(self.children))
        return 0

    def _reap(self) -> None:
        for child in self.children:
            if child.status is not None:
                continue
            try:
                pid, status = os.waitpid(child.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = child.pid, 0
            if pid == child.pid:
                child.status = os.waitstatus_to_exitcode(status)
                self.changed.set()

    def _stop(self) -> None:
        self.stop.set()
        self.changed.set()

    def _dead(self) -> _Child | None:
        return next((c for c in self.children if c.status is not None), None)

    async def _wait(self, done: Callable[[], bool]) -> None:
        """Until `done()`, looked at again whenever a worker or a signal changes something."""
        while not done():
            self.changed.clear()
            await self.changed.wait()

    def _handler(self, index: int) -> Callable[[str, dict[str, Any]], Awaitable[Any]]:
        async def handle(op: str, args: dict[str, Any]) -> Any:
            if op == "ready":
                self.children[index].ready = True
                if index == 0:
                    self.addresses = [tuple(pair) for pair in args["addresses"]]
                self.changed.set()
                return True
            if op == "gather":
                return (await self.readings()).snapshot
            raise ServerError(f"unknown request {op!r}")

        return handle

    async def readings(self, reset: bool = False) -> Any:
        """The whole server's metrics Readings: every worker asked now, then summed."""
        try:
            async with asyncio.timeout(READINGS_TIMEOUT):
                parts = await asyncio.gather(*(child.link.ask("readings", reset=reset)
                                               for child in self.children))
        except TimeoutError:
            raise ServerError(f"not every worker reported within {READINGS_TIMEOUT:g} s") from None
        return merge_readings(list(parts))

    async def everywhere(self, command: str, args: list[str]) -> list[str]:
        """Run a control command in every worker; their texts, in worker order. The first
        refusal (a bad reload, an unknown name) is the error."""
        results = await asyncio.gather(*(child.link.ask("control", command=command, args=args)
                                         for child in self.children), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise ControlError(str(result))
        return [str(result) for result in results]

    async def reload(self) -> None:
        """SIGHUP: every worker reads the config file again; READY once all have."""
        notify("RELOADING=1")
        try:
            texts = await self.everywhere("reload", [])
            log.info("%s", join_texts(texts))
        except ServerError as error:
            log.error("%s", error)
        notify("READY=1")

    async def _log_stats(self, interval: float) -> None:
        from resolver.server.stats import summary_line

        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(ServerError):
                log.info("%s", summary_line((await self.readings()).snapshot))


def _exit_code(status: int | None) -> int:
    if status is None:
        return 1
    return status if status > 0 else 1


def _status_text(status: int | None) -> str:
    if status is None:
        return "still running"
    if status < 0:
        return f"killed by {signal.Signals(-status).name}"
    return f"exit status {status}"


class WorkersControl(ControlChannel):
    """`resolve control` for the whole server: the supervisor relays each command to every
    worker; status and stats are the sums."""

    def __init__(self, path: str, supervisor: _Supervisor) -> None:
        self.path = path
        self.supervisor = supervisor
        self.started = time.monotonic()
        self._server = None

    async def run(self, command: str, args: list[str]) -> str:
        check(command, args)
        log.info("control: %s %s", command, " ".join(args)[:200])
        supervisor = self.supervisor
        if command == "stats":
            readings = await supervisor.readings(reset=bool(args))
            return json.dumps(readings.snapshot, indent=2, sort_keys=True)
        if command == "status":
            return await self._status_all()
        texts = await supervisor.everywhere(command, args)
        if command == "dump-cache":
            return join_dumps(texts)
        return join_texts(texts)

    async def _status_all(self) -> str:
        supervisor = self.supervisor
        snapshot = (await supervisor.readings()).snapshot
        pids = ", ".join(str(child.pid) for child in supervisor.children)
        return status_text(snapshot, supervisor.addresses, self.started,
                           [f"pid: {os.getpid()} (supervisor)",
                            f"workers: {len(supervisor.children)} (pids {pids})"])
