"""sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET (a path, or '@' for the
abstract namespace). Outside systemd (no NOTIFY_SOCKET) it does nothing."""

from __future__ import annotations

import contextlib
import os
import socket
import time


def notify(*states: str) -> bool:
    """Send state lines ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=..."); True if sent."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    if path.startswith("@"):
        path = "\0" + path[1:]
    lines = list(states)
    if "RELOADING=1" in lines:
        # systemd 253+ Type=notify-reload wants the time of the reload with it.
        lines.append(f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")
    with (
        contextlib.suppress(OSError),
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock,
    ):
        sock.sendto("\n".join(lines).encode(), path)
        return True
    return False
