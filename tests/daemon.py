"""A real `resolve serve` in a subprocess on a free loopback port, for the operator tests.

The daemon's log (stderr) is read line by line in a thread; tests wait for a log line instead of
sleeping (the daemon says where it listens, what a reload changed, that it stopped).
"""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from dnslib import DNSRecord

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = [sys.executable, str(ROOT / "cli.py")]
WAIT = 30.0  # a hang, not slowness


class Daemon:
    """`resolve serve ARGS` on 127.0.0.1 port 0 (unless ARGS say otherwise)."""

    def __init__(self, *args: str, listen: bool = True, env: dict | None = None) -> None:
        extra = ["--listen", "127.0.0.1:0"] if listen else []
        self.process = subprocess.Popen(
            [*CHECKOUT, "serve", *extra, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.port = 0
        self.last_size = 0

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: str) -> re.Match:
        """The first new log line matching `pattern`; AssertionError if the daemon ends first."""
        while True:
            line = self.lines.get(timeout=WAIT)
            if line is None:
                raise AssertionError(f"daemon ended before {pattern!r}; log:\n{''.join(self.log)}")
            self.log.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def __enter__(self) -> Daemon:
        self.port = int(self.wait_for(r"serving DNS on 127\.0\.0\.1:(\d+)").group(1))
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(WAIT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        return self.process.returncode

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def ask(self, name: str, qtype: str = "A", *, source: str = "127.0.0.1",
            timeout: float = 5.0, rd: bool = True) -> DNSRecord | None:
        """The daemon's reply over UDP, or None when none came within `timeout`."""
        query = DNSRecord.question(name, qtype)
        query.header.rd = int(rd)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((source, 0))
            sock.settimeout(timeout)
            sock.sendto(query.pack(), ("127.0.0.1", self.port))
            try:
                data, _ = sock.recvfrom(65535)
            except TimeoutError:
                return None
        self.last_size = len(data)  # octets of the reply as sent, for the query log's size
        return DNSRecord.parse(data)


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CHECKOUT, *args], capture_output=True, text=True, timeout=WAIT,
                          input=stdin)
