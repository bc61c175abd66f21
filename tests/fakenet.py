"""A fake network for hermetic resolver tests: the lab's hosts answered in-process, with a
fake clock that only moves when a reply takes time or a test says so. No sockets, no sleeping."""

from __future__ import annotations

import asyncio
from pathlib import Path

from resolver import Resolver
from resolver.lab import Lab
from resolver.transport import Exchange, QueryTimeout, UdpDone, reply_matches

LOOPBACK_RTT = 0.001  # what an in-process reply "takes", so RTT-based selection has data


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class InProcessNetwork:
    """A Transport that delivers queries to lab hosts by address, without sockets."""

    def __init__(self, lab: Lab, clock: FakeClock) -> None:
        self.lab = lab
        self.clock = clock
        self.sent: list[tuple[str, str]] = []  # (address, protocol)

    async def query(
        self, address: str, port: int, query: bytes, *, timeout: float, tcp: bool = False
    ) -> Exchange:
        protocol = "tcp" if tcp else "udp"
        self.sent.append((address, protocol))
        reply = self.lab.respond(address, query, protocol)
        if reply is None or reply.data is None or reply.delay >= timeout:
            self.clock.advance(timeout)
            raise QueryTimeout(f"no reply from {address} within {timeout:.2f} s")
        rtt = reply.delay + LOOPBACK_RTT
        self.clock.advance(rtt)
        assert reply_matches(query, reply.data), "the lab answered another question"
        return Exchange(reply.data, rtt, protocol)

    def send_udp(self, address: str, port: int, query: bytes, timeout: float,
                 on_done: UdpDone) -> asyncio.Handle:
        """`query()` over UDP with a callback (the known-cut shortcut's send), its outcome
        delivered in a later loop callback as a datagram would be."""
        self.sent.append((address, "udp"))
        reply = self.lab.respond(address, query, "udp")
        loop = asyncio.get_running_loop()
        if reply is None or reply.data is None or reply.delay >= timeout:
            self.clock.advance(timeout)
            error = QueryTimeout(f"no reply from {address} within {timeout:.2f} s")
            return loop.call_soon(on_done, None, timeout, error)
        rtt = reply.delay + LOOPBACK_RTT
        self.clock.advance(rtt)
        assert reply_matches(query, reply.data), "the lab answered another question"
        return loop.call_soon(on_done, reply.data, rtt, None)


def hermetic_resolver(
    tmp_path: Path, **kwargs
) -> tuple[Resolver, Lab, FakeClock, InProcessNetwork]:
    """A resolver over an unstarted default lab, reached in-process, on a fake clock."""
    lab = Lab()
    hints = tmp_path / "lab.hints"
    hints.write_text(lab.root_hints_text(), encoding="ascii")
    if lab.signed is not None and "trust_anchors" not in kwargs:
        anchor = tmp_path / "lab.key"
        anchor.write_text(lab.signed.trust_anchor_text(), encoding="ascii")
        kwargs["trust_anchors"] = str(anchor)
    clock = FakeClock()
    network = InProcessNetwork(lab, clock)
    resolver = Resolver(
        root_hints=str(hints),
        allowed_networks=[lab.network],
        transport=network,
        clock=clock,
        **kwargs,
    )
    return resolver, lab, clock, network
