"""Summarise a py-spy `--format raw` (folded stacks) file of `resolve serve`: where the time goes.

    python benchmarks/profile_summary.py misses-gil-folded.txt [--top 25]

Two tables, both as shares of the busy samples (stacks ending in the event loop's epoll wait are
idle and left out):
- by part of the miss path: each sample goes to the OUTERMOST frame of its stack that belongs
  to one of PARTS (so a cache lookup made while finding the zone cut counts as zone cut), or to
  "other";
- the functions with the largest inclusive share (a function counted once per stack).
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

IDLE = ("EpollSelector.select",)
# (part, function names as py-spy shows them); first the outermost callers, then the callees.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("server: read + parse query, dispatch", ("UdpListener._readable", "Nameserver.handle")),
    ("server: build reply (dnslib), pack", ("Nameserver._pack",)),
    ("server: send reply", ("UdpListener.deliver", "UdpListener._flush", "UdpListener.send")),
    ("hand-off server loop <-> resolver thread", (
        "run_coroutine_threadsafe", "Resolver._submit", "BaseEventLoop.call_soon_threadsafe",
        "BaseSelectorEventLoop._write_to_self", "BaseSelectorEventLoop._read_from_self",
        "_chain_future.<locals>._call_set_state", "_chain_future.<locals>._call_check_cancel",
        "_set_concurrent_future_state", "wrap_future", "Future._invoke_callbacks")),
    ("zone cut from the cache (closest cut, addresses)", ("Iterator._closest_cut",
                                                          "Iterator.known_cut")),
    ("upstream exchange (socket, send, recv, check)", (
        "NetworkTransport.query", "NetworkTransport.send_udp", "reply_matches",
        "UdpQuery.cancel", "UdpQuery._close", "_Watcher.flush", "UdpQuery._send")),
    ("upstream query built (ID, name, EDNS, timeout)", ("Iterator.outgoing",)),
    ("api: the question checked, the Answer built", ("Resolver._question", "Resolver._answer")),
    ("dnslib parse of the upstream reply", ("DNSRecord.parse",)),
    ("scrub", ("scrub",)),
    ("classify", ("classify", "classify_negative")),  # negative_wire: from the wire
    ("cache store (RRsets, negative)", ("Iterator.settled", "Iterator._store",
                                        "RRsetCache.put_negative", "RRsetCache.put")),
    ("other cache lookups (answer, DNAME, CNAME)", ("Iterator._from_cache", "RRsetCache.get",
                                                   "Iterator._dname_from_cache",
                                                   "Iterator.cached_step")),
    ("server selection + infra feedback", ("ZoneCut.next_choice", "Iterator._report",
                                           "InfraCache.choose", "InfraCache.usable")),
    ("trace events", ("Query.emit", "Resolution.emit")),
]
_PART_OF = {function: part for part, functions in PARTS for function in functions}
# Callbacks that start whole stages (a reply's whole handling runs inside the watcher's): their
# OWN time goes to a part (the reply's recv), what they call to the parts of the callees.
LEAF_PARTS = {"_Watcher.ready": "upstream exchange (socket, send, recv, check)",
              "UdpQuery._readable": "upstream exchange (socket, send, recv, check)"}
# A sample in no part whose innermost frame is in one of these library files: loop and task
# machinery (Handle._run, create_task, shield, wait_for, futures) rather than our own code.
MACHINERY = ("asyncio/", "concurrent/futures/", "threading.py", "selectors.py")
MACHINERY_PART = "event loop + task machinery (own time, outside the parts above)"
_FRAME = re.compile(r" \((.*):\d+\)$")


def read_folded(path: Path) -> list[tuple[list[str], str, int]]:
    """(function names root first, the innermost frame's file, samples) per line of a py-spy
    raw file."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            frames = stack.split(";")
            where = _FRAME.search(frames[-1])
            stacks.append(([_FRAME.sub("", frame) for frame in frames],
                           where.group(1) if where else "", int(count)))
    return stacks


def summarise(stacks: list[tuple[list[str], str, int]]) -> dict:
    busy = idle = 0
    parts: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    for frames, leaf_file, count in stacks:
        if frames[-1] in IDLE:
            idle += count
            continue
        busy += count
        part = next((_PART_OF[f] for f in frames if f in _PART_OF), LEAF_PARTS.get(frames[-1]))
        if part is None:
            machinery = any(marker in leaf_file for marker in MACHINERY)
            part = MACHINERY_PART if machinery else "other (the walk's own code, records, names)"
        parts[part] += count
        for function in set(frames):
            inclusive[function] += count
    return {"busy": busy, "idle": idle, "parts": parts, "inclusive": inclusive}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folded", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--us-per-miss", type=float,
                        help="CPU µs per miss (from misses.py): also show µs per part")
    args = parser.parse_args(argv)
    figures = summarise(read_folded(args.folded))
    busy = figures["busy"] or 1
    print(f"{args.folded.name}: {figures['busy']} busy samples ({figures['idle']} idle left out)")
    print("by part of the miss path (outermost frame):")
    for part, count in figures["parts"].most_common():
        extra = f"  ~{count / busy * args.us_per_miss:4.0f} µs" if args.us_per_miss else ""
        print(f"  {count / busy * 100:5.1f} %{extra}  {part}")
    print("largest inclusive shares:")
    for function, count in figures["inclusive"].most_common(args.top):
        print(f"  {count / busy * 100:5.1f} %  {function}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
