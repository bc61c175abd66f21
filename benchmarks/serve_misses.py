"""The server's own CPU per cache miss, in process: no upstream, no sockets, no load generator.

    python benchmarks/serve_misses.py                 # 20 000 misses, best of 5 rounds
    python benchmarks/serve_misses.py --count 5000 --rounds 3

A Nameserver (the `resolve serve` defaults: RFC 6303/6761 local zones on) in front of a fake
resolver whose walk is already over: `query_callback` calls back on the next loop turn with an
NXDOMAIN answer with the zone's SOA, as the real walk ends for a never-seen name. Queries are
handed to `Nameserver.handle` in batches of 64 (as the UDP listener reads them), at most 500
unanswered at a time (dnsperf keeps a window too), each a
never-seen name with EDNS, and the loop runs until every reply is delivered to a channel that
keeps them. Reported: CPU µs per miss (process time, steadier than wall time on a busy machine)
for handle + start + delivery, i.e. what resolver/server/ adds to a miss beyond the walk.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dnslib import QTYPE, RR, SOA, DNSRecord  # noqa: E402

from resolver.answer import Answer  # noqa: E402
from resolver.server.config import ServerConfig  # noqa: E402
from resolver.server.nameserver import Nameserver  # noqa: E402

BATCH = 64
OUTSTANDING = 500  # queries in flight at most, well under max_inflight
ZONE = "example.com."
SOA_RECORD = RR(ZONE, QTYPE.SOA, ttl=3600,
                rdata=SOA("ns1.example.com.", "hostmaster.example.com.",
                          (2024010101, 7200, 3600, 1209600, 300)))


class AnsweredResolver:
    """A resolver on the server's loop whose every walk has just ended in NXDOMAIN."""

    def __init__(self, names: list[str]) -> None:
        self.loop = asyncio.get_running_loop()
        # Made before the clock starts: the walk makes its Answer, not the server.
        self.answers = {name: Answer(name, QTYPE.A, 1, 3, name, authority=[SOA_RECORD])
                        for name in names}

    def query_callback(self, name: str, qtype: int, qclass: int,
                       on_answer: Callable[[Answer | None, BaseException | None], None], *,
                       checking_disabled: bool = False) -> bool:
        # As Resolver.query_callback when its walk ends on the loop's next turn.
        self.loop.call_soon(on_answer, self.answers[name], None)
        return True


class KeptReplies:
    """A UDP channel that keeps what is delivered instead of sending it."""

    udp = True

    def __init__(self) -> None:
        self.replies: list[bytes] = []

    def deferred(self) -> None:
        pass

    def deliver(self, reply: bytes, client: tuple) -> None:
        self.replies.append(reply)


def names(count: int, round_: int) -> list[str]:
    return [f"m{round_:02d}{i:08x}.{ZONE}" for i in range(count)]


def queries(names: list[str]) -> list[bytes]:
    out = []
    for i, name in enumerate(names):
        message = DNSRecord.question(name, "A")
        message.header.id = i & 0xFFFF
        message.add_ar(_OPT)
        out.append(bytes(message.pack()))
    return out


_OPT = RR(".", QTYPE.OPT, rclass=1232, ttl=0, rdata=[])


async def one_round(count: int, round_: int) -> float:
    """CPU seconds for `count` misses through one fresh Nameserver."""
    config = ServerConfig(default_local_zones=True)
    asked = names(count, round_)
    nameserver = Nameserver(config, AnsweredResolver(asked))
    channel = KeptReplies()
    client = ("127.0.0.1", 5300)
    data = queries(asked)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    handle = nameserver.handle

    def batch(start: int) -> None:
        if start - len(channel.replies) >= OUTSTANDING:  # as a load generator's window
            loop.call_soon(batch, start)
            return
        for query in data[start : start + BATCH]:
            reply = handle(query, client, channel)
            if reply is not None:
                channel.deliver(reply, client)
        if start + BATCH < count:
            loop.call_soon(batch, start + BATCH)
        else:
            loop.call_soon(wait_for_replies)

    def wait_for_replies() -> None:
        if len(channel.replies) >= count:
            done.set()
        else:
            loop.call_soon(wait_for_replies)

    began = time.process_time()
    loop.call_soon(batch, 0)
    await done.wait()
    spent = time.process_time() - began
    rcodes = {reply[3] & 0x0F for reply in channel.replies}
    if len(channel.replies) != count or rcodes != {3}:
        raise SystemExit(f"wrong replies: {len(channel.replies)} of {count}, rcodes {rcodes}")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures = [asyncio.run(one_round(args.count, r)) * 1e6 / args.count
               for r in range(args.rounds)]
    print(f"server CPU per miss: best {min(figures):.1f} µs, "
          f"all {', '.join(f'{f:.1f}' for f in figures)} ({args.count} misses per round)")


if __name__ == "__main__":
    main()
