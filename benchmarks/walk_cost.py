"""CPU per cache miss of the resolver core alone, in-process: a steadier figure than misses.py's.

    python benchmarks/walk_cost.py                 # 20 000 never-seen names, 3 rounds
    python benchmarks/walk_cost.py --names 5000 --rounds 5
    python benchmarks/walk_cost.py --profile out.prof   # also cProfile one round

The walk `resolve serve` makes for a never-seen name (Resolver.query_future with trace=False,
on the running loop), with no server and no sockets: a scripted network (tests/scripted.py)
gives the root, com. and example.com. delegations once, then example.com.'s server answers
every random name under it with NXDOMAIN and its SOA, from bytes, as NSD does. The fake clock
does not move, so nothing expires. Reported: CPU µs per miss (process time), best and median
of the rounds. The figure leaves out what a real miss adds (the server's reading and replying,
the UDP exchange's system calls): it measures only the core's own Python work.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import secrets
import statistics
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resolver import wire  # noqa: E402
from resolver.transport import Exchange, UdpDone  # noqa: E402
from tests.scripted import ScriptedNetwork  # noqa: E402

ZONE = "example.com."
ZONE_SERVER = "127.1.0.3"


def _soa_record() -> bytes:
    """example.com.'s SOA as an authority record, uncompressed (NSD would compress it)."""
    rdata = (wire.encode_name("ns1.example.com.") + wire.encode_name("hostmaster.example.com.")
             + struct.pack("!IIIII", 1, 3600, 600, 86400, 300))
    return (wire.encode_name(ZONE) + struct.pack("!HHIH", 6, 1, 3600, len(rdata)) + rdata)


class MissNetwork(ScriptedNetwork):
    """The scripted network, with example.com.'s server answering NXDOMAIN from bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.soa = _soa_record()
        self.misses = 0

    async def query(self, address: str, port: int, query: bytes, *, timeout: float,
                    tcp: bool = False) -> Exchange:
        if address != ZONE_SERVER:
            return await super().query(address, port, query, timeout=timeout, tcp=tcp)
        self.misses += 1
        return Exchange(self.nxdomain(query), 0.001, "udp")


    def send_udp(self, address: str, port: int, query: bytes, timeout: float,
                 on_done: UdpDone) -> asyncio.Handle:
        """The known-cut shortcut's send: the reply comes in a later loop callback, as a
        datagram from a real server would (no task per query, unlike the scripted one)."""
        if address != ZONE_SERVER:
            return super().send_udp(address, port, query, timeout, on_done)  # type: ignore[return-value]
        self.misses += 1
        return asyncio.get_running_loop().call_soon(on_done, self.nxdomain(query), 0.001, None)

    def nxdomain(self, query: bytes) -> bytes:
        end = wire._skip_questions(query, 1)
        # ID; QR=1 AA=1 rcode NXDOMAIN; 1 question, no answer, the SOA in authority.
        header = query[:2] + b"\x84\x03" + b"\x00\x01\x00\x00\x00\x01\x00\x00"
        return header + query[12:end] + self.soa


def build() -> tuple[MissNetwork, object]:
    net = MissNetwork()
    net.script("127.1.0.1", "com.", "NS", authority=["com. 172800 NS a.gtld.test."],
               additional=["a.gtld.test. 172800 A 127.1.0.2"])
    net.script("127.1.0.1", ".", "NS", answer=[". 518400 NS a.root."],
               additional=["a.root. 518400 A 127.1.0.1"], aa=True)
    net.script("127.1.0.1", "*", "*", authority=["com. 172800 NS a.gtld.test."],
               additional=["a.gtld.test. 172800 A 127.1.0.2"])
    net.script("127.1.0.2", "*", "*",
               authority=["example.com. 172800 NS ns1.example.com."],
               additional=["ns1.example.com. 172800 A " + ZONE_SERVER])
    resolver = net.resolver(roots={"a.root.": "127.1.0.1"})
    return net, resolver


async def rounds(names: int, count: int, profile: str | None) -> list[float]:
    net, resolver = build()
    resolver.bind_to_running_loop()  # type: ignore[attr-defined]
    warm = await resolver.query_future("warm." + ZONE, "A")  # type: ignore[attr-defined]
    assert warm.rcode == 3 and warm.upstream_queries > 1, warm
    figures = []
    for index in range(count):
        batch = [f"m{secrets.token_hex(6)}.{ZONE}" for _ in range(names)]
        profiler = cProfile.Profile() if profile and index == count - 1 else None
        if profiler:
            profiler.enable()
        started = time.process_time()
        for name in batch:
            future = resolver.query_future(name, "A", trace=False)  # type: ignore[attr-defined]
            answer = await future
            assert answer.rcode == 3, answer
        spent = time.process_time() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)  # type: ignore[arg-type]
        figures.append(spent / names * 1e6)
    assert net.misses >= names * count
    resolver.close()  # type: ignore[attr-defined]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="cProfile the last round into this file")
    args = parser.parse_args()
    figures = asyncio.run(rounds(args.names, args.rounds, args.profile))
    print(f"walk CPU per miss: best {min(figures):.1f} µs, median {statistics.median(figures):.1f}"
          f" µs ({args.rounds} rounds of {args.names} names: "
          + ", ".join(f"{f:.1f}" for f in figures) + ")")


if __name__ == "__main__":
    main()
