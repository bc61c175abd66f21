"""The RRset cache in-process: bytes per cached RRset and what a full garbage collection costs.

    python benchmarks/cache_memory.py                 # 100 000 small RRsets
    python benchmarks/cache_memory.py --rrsets 20000

Fills an RRsetCache with N one-record A RRsets (run.py's `nNNN.wild.example.com.` shape) and
reports: tracemalloc's bytes per entry against the bytes the cache counts it at, the objects the
garbage collector tracks after a collection, and how long one full collection takes then (a
pause every thread of the server shares). No sockets, no lab.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dnslib import QTYPE, RR, A, DNSLabel  # noqa: E402

from resolver.cache import RRsetCache, Trust  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rrsets", type=int, default=100_000)
    args = parser.parse_args(argv)
    records = [[RR(DNSLabel(f"n{i}.wild.example.com."), QTYPE.A, ttl=3600,
                   rdata=A("127.42.20.99"))] for i in range(args.rrsets)]
    cache = RRsetCache(1 << 40, clock=lambda: 1000.0)
    gc.collect()
    tracemalloc.start()
    for rrset in records:
        cache.put(rrset, Trust.AUTH_ANSWER)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del records
    gc.collect()
    tracked = len(gc.get_objects())
    started = time.perf_counter()
    gc.collect()
    pause = time.perf_counter() - started
    print(f"{args.rrsets} RRsets: {used / args.rrsets:.0f} bytes each (tracemalloc), counted at "
          f"{cache.used_bytes / args.rrsets:.0f}; {tracked} objects tracked by the collector; "
          f"a full collection {pause * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
