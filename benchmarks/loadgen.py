"""A small closed-loop UDP load generator: the fallback when dnsperf is not installed.

It keeps `outstanding` queries in flight over a few sockets, like dnsperf -q, and reports the
same figures. Being Python on the same machine, it saturates long before a C tool would, so
its numbers are a floor for the server, not a measurement of it; use dnsperf where you can.
"""

from __future__ import annotations

import selectors
import socket
import time

from dnslib import QTYPE, RCODE

SOCKETS = 8  # client sockets the queries are spread over


def run_load(host: str, port: int, questions: list[tuple[str, str]], *,
             duration: float | None = None, passes: int | None = None,
             outstanding: int = 100, timeout: float = 5.0) -> dict:
    """Send `questions` round-robin for `duration` seconds or `passes` passes."""
    from resolver.wire import build_query

    wires = [build_query(name, getattr(QTYPE, qtype), 0, rd=True, edns_payload=None)[2:]
             for name, qtype in questions]
    total = len(wires) * passes if passes else None
    selector = selectors.DefaultSelector()
    socks = []
    for index in range(SOCKETS):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect((host, port))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, index)
        socks.append(sock)
    pending: dict[tuple[int, int], float] = {}
    latencies: list[float] = []
    rcodes: dict[str, int] = {}
    sent = lost = 0
    next_id = [0] * SOCKETS
    start = time.perf_counter()
    stop_sending = start + duration if duration else float("inf")

    def send() -> None:
        nonlocal sent
        index = sent % SOCKETS
        qid = next_id[index] = (next_id[index] + 1) & 0xFFFF
        if (index, qid) in pending:
            return
        try:
            socks[index].send(qid.to_bytes(2, "big") + wires[sent % len(wires)])
        except BlockingIOError:
            return
        pending[(index, qid)] = time.perf_counter()
        sent += 1

    def may_send() -> bool:
        return time.perf_counter() < stop_sending and (total is None or sent < total)

    try:
        while may_send() and len(pending) < outstanding:
            send()
        while pending or may_send():
            for key, _ in selector.select(timeout=0.05):
                sock, index = key.fileobj, key.data
                while True:
                    try:
                        reply = sock.recv(65535)
                    except (BlockingIOError, ConnectionRefusedError):
                        break
                    began = pending.pop((index, int.from_bytes(reply[:2], "big")), None)
                    if began is None:
                        continue
                    latencies.append(time.perf_counter() - began)
                    name = RCODE.get(reply[3] & 0xF, str(reply[3] & 0xF))
                    rcodes[name] = rcodes.get(name, 0) + 1
                    if may_send():
                        send()
            now = time.perf_counter()
            for key, began in list(pending.items()):
                if now - began > timeout:
                    del pending[key]
                    lost += 1
            while may_send() and len(pending) < outstanding:
                send()
    finally:
        for sock in socks:
            selector.unregister(sock)
            sock.close()
    elapsed = time.perf_counter() - start
    latencies.sort()

    def percentile(fraction: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000

    return {
        "sent": sent,
        "completed": len(latencies),
        "lost": lost,
        "qps": len(latencies) / elapsed if elapsed else 0.0,
        "avg_ms": sum(latencies) / len(latencies) * 1000 if latencies else 0.0,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "rcodes": rcodes,
    }
