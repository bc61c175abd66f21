"""`resolve serve --workers 1` and `--workers 2` beside Unbound with `num-threads` 1 and 2.

    flock /tmp/bench.lock python benchmarks/workers.py          # about 4 minutes on 2 cores
    flock /tmp/bench.lock python benchmarks/workers.py --quick  # about 2 minutes
    python benchmarks/workers.py --json out.json                # also write the figures

What it measures, all on loopback (never the internet), all four servers in the same run:

The lab's zones are served on port 53 by NSD (benchmarks/upstream.py, as misses.py does;
`--upstream lab` for the in-process lab engine). Four servers are started with empty caches:
ours with 1 and 2 workers (the real CLI, run.py's flags) and Unbound (run.py's configuration)
with num-threads 1 and 2. Then, per server:
1. misses: N never-seen names under example.com (misses.py's random_names: one upstream query
   each, NXDOMAIN), sent once by dnsperf at its maximum rate; wall time, q/s, lost, and the
   CPU time of the server's whole process tree per miss;
2. warm-cache hits: run.py's name set (fixed names plus wildcard names) cached, then dnsperf
   for a fixed time, in alternating rounds; median q/s.
dnsperf acts as --clients clients (sockets, so source ports): SO_REUSEPORT spreads queries over
the workers (and Unbound's threads) by source port, so with one client every query would reach
one worker. Reported: q/s and the ratios 2 workers / 1 worker and ours / Unbound for the same
count.

On a 2-core machine dnsperf (the load generator) and NSD (the authoritative side of every miss)
compete with the servers for the same two CPUs: two workers cannot get two whole cores, and the
gain from the second worker or thread is smaller than on a machine with spare cores. The
figures compare servers under the same handicap; they are not the scaling a bigger machine
would show.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.misses import cpu_seconds, random_names  # noqa: E402
from benchmarks.run import (  # noqa: E402
    FIXED_NAMES,
    START_TIMEOUT,
    UNBOUND,
    LoadResult,
    Server,
    load,
    start_ours,
    start_unbound,
    write_names,
)
from benchmarks.upstream import upstream  # noqa: E402
from resolver.server import fetch_stats  # noqa: E402

OURS = "resolve serve"
UNBOUND_NAME = "unbound"


def label(kind: str, count: int) -> str:
    unit = "worker" if kind == OURS else "thread"
    return f"{kind} {count} {unit}{'s' if count > 1 else ''}"


def start(kind: str, count: int, hints: str, port: int, workdir: Path,
          cache_size: int | str) -> Server:
    """A cold server; ours with `count` workers, Unbound with `count` threads."""
    if kind == OURS:
        server = start_ours(hints, port, workdir, cold=True, cache_size=cache_size,
                            extra_args=("--workers", str(count)))
        if count > 1:
            _wait_for_workers(server, count)
    else:
        home = workdir / f"unbound-{count}"
        home.mkdir()
        server = start_unbound(hints, home, cold=True, options=(f"num-threads: {count}",))
    server.name = label(kind, count)
    return server


def _wait_for_workers(server: Server, count: int) -> None:
    """Until the supervisor logs that all `count` workers serve (worker 0 answers first)."""
    deadline = time.monotonic() + START_TIMEOUT
    pattern = re.compile(rf"with {count} workers")
    while time.monotonic() < deadline:
        if pattern.search(server.log.read_text()):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{server.name}: not all {count} workers up within {START_TIMEOUT} s")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (the supervisor and its workers)."""
    total = cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                with contextlib.suppress(OSError, ValueError):
                    total += cpu_seconds(int(child))
    return total


def miss_run(server: Server, names: Path, count: int, outstanding: int, clients: int) -> dict:
    cpu = tree_cpu_seconds(server.pid)
    started = time.monotonic()
    result = load(server.port, names, passes=1, outstanding=outstanding, verbose=False,
                  clients=clients)
    wall = time.monotonic() - started
    cpu = tree_cpu_seconds(server.pid) - cpu
    return {"names": count, "wall_s": wall, "qps": result.qps, "lost": result.lost,
            "rcodes": result.rcodes, "cpu_us_per_miss": cpu / count * 1e6}


def warm(servers: list[Server], names: Path, duration: float, rounds: int, outstanding: int,
         clients: int) -> dict[str, list[LoadResult]]:
    for server in servers:  # every name twice, so every answer is in every worker's cache
        for _ in range(2):
            load(server.port, names, passes=1, outstanding=20, verbose=False, clients=clients)
    results: dict[str, list[LoadResult]] = {server.name: [] for server in servers}
    for round_ in range(rounds):
        for server in servers if round_ % 2 == 0 else list(reversed(servers)):
            result = load(server.port, names, duration=duration, outstanding=outstanding,
                          clients=clients, verbose=False)
            results[server.name].append(result)
            print(f"  round {round_ + 1} {server.name:26} {result.qps:9.0f} q/s  "
                  f"lost {result.lost}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", type=int, default=20_000, help="never-seen names per server")
    parser.add_argument("--names", type=int, default=1000, help="wildcard names in the warm set")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per warm run")
    parser.add_argument("--rounds", type=int, default=3, help="warm runs per server")
    parser.add_argument("--outstanding", type=int, default=100, help="dnsperf -q")
    parser.add_argument("--clients", type=int, default=16, help="dnsperf -c (source ports)")
    parser.add_argument("--upstream", choices=("nsd", "lab"), default="nsd")
    parser.add_argument("--quick", action="store_true", help="10 000 misses, 2 x 4 s warm")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.misses, args.duration, args.rounds = 10_000, 4.0, 2

    workdir = Path(tempfile.mkdtemp(prefix="resolver-workers-"))
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                    "misses": args.misses, "outstanding": args.outstanding,
                    "clients": args.clients, "upstream": args.upstream}
    servers: list[Server] = []
    try:
        with upstream(args.upstream) as up:
            kinds = [(OURS, 1), (OURS, 2)]
            if up.unbound_ok and UNBOUND:
                kinds += [(UNBOUND_NAME, 1), (UNBOUND_NAME, 2)]
            print(f"upstream: {up.kind} in {up.network} port {up.port}; {os.cpu_count()} CPUs; "
                  f"dnsperf -q {args.outstanding} -c {args.clients} (it and NSD share the CPUs "
                  "with the servers)", flush=True)
            print(f"\n== misses: {args.misses} never-seen names per server, each from an empty "
                  "cache", flush=True)
            report["miss"] = {}
            for kind, count in kinds:
                server = start(kind, count, up.hints_path, up.port, workdir, "1G")
                servers.append(server)
                names = write_names(workdir / f"misses-{len(servers)}.txt",
                                    random_names(args.misses))
                run = miss_run(server, names, args.misses, args.outstanding, args.clients)
                report["miss"][server.name] = run
                print(f"  {server.name:26} wall {run['wall_s']:6.2f} s {run['qps']:8.0f} q/s  "
                      f"lost {run['lost']:5d}  CPU {run['cpu_us_per_miss']:5.0f} µs/miss  "
                      f"{run['rcodes']}", flush=True)
            print(f"\n== warm-cache hits: {args.rounds} x {args.duration:g} s per server",
                  flush=True)
            names = write_names(workdir / "warm.txt", FIXED_NAMES + [
                (f"w{i}.wild.example.com.", "A") for i in range(args.names)])
            runs = warm(servers, names, args.duration, args.rounds, args.outstanding,
                        args.clients)
            report["warm"] = {name: [asdict(r) for r in rs] for name, rs in runs.items()}
            report["warm_qps"] = {name: statistics.median(r.qps for r in rs)
                                  for name, rs in runs.items()}
            report["queries_per_worker"] = {  # how SO_REUSEPORT spread the clients
                server.name: fetch_stats("127.0.0.1", server.port)["workers"]["queries"]
                for server in servers if server.name == label(OURS, 2)}
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report["ratios"] = ratios(report)
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def ratios(report: dict) -> dict:
    """2 / 1 for each server, and ours / Unbound at each count, for both workloads."""
    figures = {"warm": report["warm_qps"],
               "miss": {name: run["qps"] for name, run in report["miss"].items()}}
    result: dict = {}
    for workload, qps in figures.items():
        for kind in (OURS, UNBOUND_NAME):
            one, two = qps.get(label(kind, 1)), qps.get(label(kind, 2))
            if one and two:
                result[f"{workload}: {kind} 2 / 1"] = two / one
        for count in (1, 2):
            ours, theirs = qps.get(label(OURS, count)), qps.get(label(UNBOUND_NAME, count))
            if ours and theirs:
                result[f"{workload}: ours / unbound, {count} each"] = ours / theirs
    return result


def print_report(report: dict) -> None:
    print("\n================ workers report ================")
    print(f"CPUs: {report['machine']['cpus']}; python {report['machine']['python']}; upstream "
          f"{report['upstream']}; dnsperf -q {report['outstanding']} -c {report['clients']}")
    print("(on 2 cores dnsperf and NSD compete with the servers for CPU: the second worker or "
          "thread cannot have a core of its own)")
    print(f"{'server':26} {'warm q/s':>9} {'miss q/s':>9} {'miss lost':>9} {'CPU µs/miss':>11}")
    for name, run in report["miss"].items():
        print(f"{name:26} {report['warm_qps'].get(name, 0):9.0f} {run['qps']:9.0f} "
              f"{run['lost']:9d} {run['cpu_us_per_miss']:11.0f}")
    for name, run in report["miss"].items():
        if set(run["rcodes"]) != {"NXDOMAIN"}:
            print(f"WRONG ANSWERS from {name}: {run['rcodes']} (expected NXDOMAIN only)")
    for name, split in report.get("queries_per_worker", {}).items():
        print(f"{name}: queries answered by each worker {split} (the CH TXT stats query's sum)")
    for what, ratio in report["ratios"].items():
        print(f"ratio {what}: {ratio:.2f}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
