"""Running Debian's NSD from tests: one foreground instance on chosen addresses and a port.

The same job as the `Nsd` class in test_lab_vs_nsd.py, generalised: that one always listens on
127.0.0.1 at a free port and reads the lab's own zone files; an NSD hierarchy for a recursive
resolver needs instances on given addresses (each lab host's), on port 53 (Unbound sends its
upstream queries to port 53 only), and zone files remapped into another loopback block.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import pytest
from dnslib import DNSRecord

NSD = shutil.which("nsd") or "/usr/sbin/nsd"
NSD_START_TIMEOUT = 10.0  # seconds for NSD to read its zones and answer
REPLY_TIMEOUT = 2.0  # seconds per query; NSD answers loopback queries in well under 1 ms
READY_POLL = 0.2  # seconds each readiness probe waits for a reply before asking again


def unavailable(message: str) -> NoReturn:
    """A peer or port this comparison needs is missing: skip here, but fail in CI
    (RESOLVER_REQUIRE_INTEROP=1), which must run every comparison."""
    if os.environ.get("RESOLVER_REQUIRE_INTEROP") == "1":
        pytest.fail(message)
    pytest.skip(message)


def require_tool(path: str, package: str) -> None:
    """Skip the test when a Debian tool is missing, or fail when CI says it must be there."""
    if not Path(path).exists():
        unavailable(f"{path} not installed; apt-get install {package}")


def can_bind(address: str, port: int) -> bool:
    """True if both UDP and TCP `address:port` are free right now."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((address, port))
            except OSError:
                return False
    return True


def free_port(address: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on `address` right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((address, 0))
            port = udp.getsockname()[1]
        if can_bind(address, port):
            return port
    raise RuntimeError(f"no free port on {address}")


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("connection closed mid-message")
        data += chunk
    return data


def exchange(
    wire: bytes, address: str, port: int, protocol: str = "udp", timeout: float = REPLY_TIMEOUT
) -> bytes | None:
    """Send one DNS message and return the reply's bytes, or None if nothing came back."""
    if protocol == "udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.sendto(wire, (address, port))
            try:
                return sock.recv(65535)
            except (TimeoutError, ConnectionRefusedError):
                return None
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.sendall(struct.pack("!H", len(wire)) + wire)
            prefix = recv_exactly(sock, 2)
            return recv_exactly(sock, struct.unpack("!H", prefix)[0])
    except (TimeoutError, ConnectionError, EOFError):
        return None


class Nsd:
    """NSD in the foreground (-d) on `addresses`@`port`, in its own temporary directory.

    `zones` maps each origin to its zone file; with no zones at all NSD still answers, with
    REFUSED to everything, which is what a lame server does.
    """

    def __init__(
        self, zones: Mapping[str, Path], addresses: Sequence[str] = ("127.0.0.1",),
        port: int | None = None,
    ) -> None:
        self.zones = dict(zones)
        self.addresses = tuple(addresses)
        self.port = port if port is not None else free_port(self.addresses[0])
        self.dir = tempfile.mkdtemp(prefix="interop-nsd-")
        self.process: subprocess.Popen | None = None

    def launch(self) -> None:
        """Start the process; `wait_ready` waits until it answers."""
        d = self.dir
        lines = ["server:"]
        lines += [f"  ip-address: {address}@{self.port}" for address in self.addresses]
        lines += [
            f'  zonesdir: "{d}"',
            f'  pidfile: "{d}/nsd.pid"',
            '  username: ""',
            '  database: ""',
            f'  zonelistfile: "{d}/zone.list"',
            f'  xfrdfile: "{d}/xfrd.state"',
            f'  xfrdir: "{d}"',
            '  chroot: ""',
            "  server-count: 1",
            "  verbosity: 1",
            f'  logfile: "{d}/nsd.log"',
            "remote-control:",
            "  control-enable: no",
        ]
        for origin, path in self.zones.items():
            lines += ["zone:", f'  name: "{origin}"', f'  zonefile: "{path}"']
        conf = Path(d) / "nsd.conf"
        conf.write_text("\n".join(lines) + "\n")
        self.process = subprocess.Popen(
            [NSD, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def wait_ready(self, deadline: float | None = None) -> None:
        """Block until every address answers a query (any reply), or raise with NSD's log."""
        assert self.process is not None, "launch() first"
        if deadline is None:
            deadline = time.monotonic() + NSD_START_TIMEOUT
        origin = next(iter(self.zones), ".")
        probe = DNSRecord.question(origin, "SOA").pack()
        pending = list(self.addresses)
        while pending and time.monotonic() < deadline and self.process.poll() is None:
            if exchange(probe, pending[0], self.port, timeout=READY_POLL) is not None:
                pending.pop(0)
        if pending:
            log = self.log()
            self.stop()
            raise RuntimeError(
                f"nsd on {', '.join(self.addresses)}@{self.port} with {sorted(self.zones)} "
                f"did not start: {log[-2000:]}"
            )

    def start(self) -> Nsd:
        self.launch()
        self.wait_ready()
        return self

    def log(self) -> str:
        path = Path(self.dir, "nsd.log")
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # our own child, by its PID; NSD stops its children
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def query(
        self, wire: bytes, protocol: str = "udp", timeout: float = REPLY_TIMEOUT,
        address: str | None = None,
    ) -> bytes | None:
        return exchange(wire, address or self.addresses[0], self.port, protocol, timeout)


def start_all(instances: Iterable[Nsd]) -> list[Nsd]:
    """Launch every instance first, then wait for each: startup overlaps instead of adding up.
    On any failure the ones already running are stopped before the error propagates."""
    started: list[Nsd] = []
    try:
        for nsd in instances:
            started.append(nsd)
            nsd.launch()
        deadline = time.monotonic() + NSD_START_TIMEOUT
        for nsd in started:
            nsd.wait_ready(deadline)
    except BaseException:
        for nsd in started:
            nsd.stop()
        raise
    return started
