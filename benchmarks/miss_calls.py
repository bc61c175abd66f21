"""Python function calls per cache miss in `resolve serve`: the steadiest measure of the miss
path's work on a shared, noisy machine (CPU time swings by ±10 %; call counts do not).

    python benchmarks/miss_calls.py                  # 10 000 never-seen names
    python benchmarks/miss_calls.py --names 20000 --top 40 --profile out.prof

Starts NSD with the lab's zones (as misses.py does), runs `resolve serve --no-dnssec` under
cProfile, sends it never-seen names under example.com. with dnsperf (all NXDOMAIN), stops it
and reads the profile: calls per miss for the whole process (start-up included, which is a
few calls per miss at 10 000 names), then the modules and functions by their own time.
cProfile's timings overstate small Python functions against C calls: read them as shares.
"""

from __future__ import annotations

import argparse
import collections
import pstats
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.misses import random_names, write_names  # noqa: E402
from benchmarks.run import load, start_ours  # noqa: E402
from benchmarks.upstream import upstream  # noqa: E402


def _where(path: str) -> str:
    """A profile entry's file as a short module name (ours in full, others by package)."""
    if "/resolver/" in path:
        return "resolver/" + path.split("/resolver/", 1)[1]
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    if path == "~":
        return "builtins"
    return Path(path).name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=10000)
    parser.add_argument("--top", type=int, default=25, help="functions listed")
    parser.add_argument("--profile", type=Path, help="keep the cProfile output here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="resolver-miss-calls-"))
    profile = args.profile or workdir / "serve.prof"
    with upstream("nsd") as up:
        server = start_ours(up.hints_path, up.port, workdir, cold=True, cache_size="1G",
                            profile=profile)
        try:
            names = write_names(workdir / "names.txt", random_names(args.names))
            result = load(server.port, names, passes=1, outstanding=100, verbose=False)
        finally:
            server.stop()
    stats = pstats.Stats(str(profile))
    entries = stats.stats  # type: ignore[attr-defined]
    calls = sum(entry[1] for entry in entries.values())
    print(f"{args.names} never-seen names: {result.rcodes}, lost {result.lost}")
    print(f"Python calls per miss (whole process): {calls / args.names:.0f}")
    own: collections.Counter[str] = collections.Counter()
    count: collections.Counter[str] = collections.Counter()
    for (path, _, _), (_, ncalls, tottime, _, _) in entries.items():
        own[_where(path)] += tottime
        count[_where(path)] += ncalls
    total = sum(own.values())
    print("\nby module (own time share, calls per miss):")
    for module, spent in own.most_common(args.top):
        print(f"  {100 * spent / total:5.1f} %  {count[module] / args.names:7.1f}  {module}")
    rows = sorted(entries.items(), key=lambda item: -item[1][2])[: args.top]
    print("\nby function (own time share, calls per miss):")
    for (path, line, name), (_, ncalls, tottime, _, _) in rows:
        print(f"  {100 * tottime / total:5.1f} %  {ncalls / args.names:7.2f}  "
              f"{_where(path)}:{line} {name}")


if __name__ == "__main__":
    main()
