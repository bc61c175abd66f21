"""Cache misses at full speed: `resolve serve` against Unbound, each from an empty cache.

    python benchmarks/misses.py                  # 100 000 names, about 2.5 minutes on 2 cores
    python benchmarks/misses.py --quick          # 10 000 names, under a minute
    python benchmarks/misses.py --json out.json  # also write every figure as JSON
    python benchmarks/misses.py --profile DIR    # also py-spy our server (speedscope + top)

What it measures, all on loopback (never the internet):

The lab's zones are served on port 53 by NSD (benchmarks/upstream.py; `--upstream lab` for the
in-process lab engine, which caps the rate at about 10 000 upstream answers/s). Per round each
server is started with an empty cache (readiness by a CH-class query neither recurses for):
`resolve serve` (the real CLI, as benchmarks/run.py starts it) and Unbound (num-threads 1,
run.py's configuration), in alternating order. Each gets the same N never-seen names, random
labels right under example.com (one upstream query each, all NXDOMAIN once the example.com
delegation is cached), sent once by dnsperf at its maximum rate (-q outstanding in flight).

Reported per server: wall time for the N names, q/s, lost queries (dnsperf's 5 s timeout),
rcodes, and RSS before, after and sampled every --sample seconds during the run; then the
ratios ours / Unbound (wall time, q/s) from the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import (  # noqa: E402
    UNBOUND,
    LoadResult,
    Server,
    fetch_stats,
    load,
    start_ours,
    start_unbound,
    write_names,
)
from benchmarks.upstream import MISS_ZONE, Upstream, upstream  # noqa: E402


def random_names(count: int, zone: str = MISS_ZONE, qtype: str = "A") -> list[tuple[str, str]]:
    """`count` distinct never-seen names: 12 random hex digits under `zone`."""
    names = {f"m{secrets.token_hex(6)}.{zone}" for _ in range(count)}
    while len(names) < count:
        names.add(f"m{secrets.token_hex(6)}.{zone}")
    return [(name, qtype) for name in names]


class RssSampler:
    """The resident memory of one process every `interval` seconds, in a thread, until stop()."""

    def __init__(self, server: Server, interval: float) -> None:
        self.server = server
        self.interval = interval
        self.samples: list[tuple[float, int]] = []  # (seconds since start, KiB)
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, RuntimeError):
                self.samples.append((round(time.monotonic() - self._started, 2),
                                     self.server.rss_kib()))
            self._stop.wait(self.interval)

    def stop(self) -> list[tuple[float, int]]:
        self._stop.set()
        self._thread.join()
        return self.samples


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(kind: str, up: Upstream, workdir: Path, cache_size: str) -> Server:
    if kind == "resolve serve":
        return start_ours(up.hints_path, up.port, workdir, cold=True, cache_size=cache_size)
    return start_unbound(up.hints_path, workdir, cold=True)


@dataclass
class MissRun:
    server: str
    round: int
    names: int
    wall_s: float
    load: LoadResult
    rss_before_kib: int
    rss_after_kib: int
    cpu_s: float  # the server's CPU time during the run
    rss_samples: list[tuple[float, int]] = field(default_factory=list)
    cache: dict = field(default_factory=dict)  # ours: what its caches hold at the end


def miss_run(server: Server, names: Path, count: int, round_: int, outstanding: int,
             sample: float) -> MissRun:
    before = server.rss_kib()
    sampler = RssSampler(server, sample)
    cpu = cpu_seconds(server.pid)
    started = time.monotonic()
    result = load(server.port, names, passes=1, outstanding=outstanding, verbose=False)
    wall = time.monotonic() - started
    cpu = cpu_seconds(server.pid) - cpu
    samples = sampler.stop()
    cache = {}
    if server.name == "resolve serve":
        stats = fetch_stats("127.0.0.1", server.port)
        cache = {"answer_entries": stats["answer_cache_entries"],
                 "rrset_entries": stats["resolver"].get("cache_entries"),
                 "rrset_bytes": stats["resolver"].get("cache_bytes")}
    return MissRun(server.name, round_, count, wall, result, before, server.rss_kib(), cpu,
                   samples, cache)


def profile_ours(up: Upstream, workdir: Path, count: int, outstanding: int, out: Path,
                 cache_size: str) -> dict:
    """py-spy on our server while dnsperf sends `count` misses: a speedscope file and a
    flat top-functions table (own and total samples), both written to `out`."""
    pyspy = shutil.which("py-spy")
    if pyspy is None:
        raise RuntimeError("py-spy not installed (pip install py-spy)")
    out.mkdir(parents=True, exist_ok=True)
    names = write_names(workdir / "profile-names.txt", random_names(count))
    figures = {}
    # All threads (a thread waiting for the GIL counts where it waits), then only the thread
    # holding the GIL (--gil: where the CPU goes), then a speedscope file to browse.
    variants = (("raw", [], "folded.txt"), ("raw", ["--gil"], "gil-folded.txt"),
                ("speedscope", [], "speedscope.json"))
    for fmt, extra, suffix in variants:
        server = start_server("resolve serve", up, workdir, cache_size)
        try:
            target = out / f"misses-{suffix}"
            spy = subprocess.Popen([pyspy, "record", "--pid", str(server.pid), "--rate", "250",
                                    "--format", fmt, "--output", str(target), "--nonblocking",
                                    *extra], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # py-spy attaches
            result = load(server.port, names, passes=1, outstanding=outstanding, verbose=False)
            spy.send_signal(2)  # SIGINT: py-spy writes its file and exits
            spy.wait(30)
            figures[suffix] = {"file": str(target), "qps": result.qps, "lost": result.lost}
        finally:
            server.stop()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--names", type=int, default=100_000, help="never-seen names per run")
    parser.add_argument("--rounds", type=int, default=1, help="runs per server")
    parser.add_argument("--outstanding", type=int, default=100,
                        help="queries dnsperf keeps in flight (-q)")
    parser.add_argument("--cache-size", default="1G",
                        help="ours: --cache-size in bytes (64M, 512K, 1G; default 1G, so that "
                             "100 000 names are not evicted); smaller shows RSS at the bound")
    parser.add_argument("--sample", type=float, default=1.0, help="seconds between RSS samples")
    parser.add_argument("--upstream", choices=("nsd", "lab"), default="nsd")
    parser.add_argument("--quick", action="store_true", help="10 000 names: under a minute")
    parser.add_argument("--no-unbound", action="store_true")
    parser.add_argument("--profile", metavar="DIR", type=Path,
                        help="also record our server with py-spy into DIR (another cold run)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.names, args.rounds, args.sample = 10_000, 1, 0.5

    workdir = Path(tempfile.mkdtemp(prefix="resolver-misses-"))
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                    "names": args.names, "outstanding": args.outstanding,
                    "upstream": args.upstream}
    runs: dict[str, list[MissRun]] = {}
    try:
        with upstream(args.upstream) as up:
            kinds = ["resolve serve"]
            if up.unbound_ok and UNBOUND and not args.no_unbound:
                kinds.append("unbound")
            print(f"upstream: {up.kind} in {up.network} port {up.port}; {args.names} "
                  f"never-seen names under {MISS_ZONE} per run; dnsperf -q {args.outstanding}; "
                  f"{os.cpu_count()} CPUs", flush=True)
            runs = {kind: [] for kind in kinds}
            for round_ in range(args.rounds):
                names = write_names(workdir / f"misses-{round_}.txt", random_names(args.names))
                for kind in kinds if round_ % 2 == 0 else list(reversed(kinds)):
                    server = start_server(kind, up, workdir, args.cache_size)
                    try:
                        run = miss_run(server, names, args.names, round_, args.outstanding,
                                       args.sample)
                    finally:
                        server.stop()
                    runs[kind].append(run)
                    print(f"  round {round_ + 1} {kind:14} wall {run.wall_s:7.2f} s  "
                          f"{run.load.qps:8.0f} q/s  lost {run.load.lost:6d}  "
                          f"CPU {run.cpu_s / run.names * 1e6:6.0f} µs/miss  "
                          f"RSS {run.rss_before_kib / 1024:.1f} -> "
                          f"{run.rss_after_kib / 1024:.1f} MiB  {run.load.rcodes}", flush=True)
            if args.profile:
                print(f"profiling our server under {args.names} misses with py-spy ...",
                      flush=True)
                report["profile"] = profile_ours(up, workdir, args.names, args.outstanding,
                                                 args.profile, args.cache_size)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    report["runs"] = {kind: [asdict(run) for run in rs] for kind, rs in runs.items()}
    report["summary"] = {
        kind: {"wall_s": statistics.median(r.wall_s for r in rs),
               "qps": statistics.median(r.load.qps for r in rs),
               "lost": sum(r.load.lost for r in rs),
               "cpu_us_per_miss": statistics.median(r.cpu_s / r.names * 1e6 for r in rs),
               "cpu_share": statistics.median(r.cpu_s / r.wall_s for r in rs),
               "rss_after_mib": statistics.median(r.rss_after_kib for r in rs) / 1024,
               "rss_growth_bytes_per_name": statistics.median(
                   (r.rss_after_kib - r.rss_before_kib) * 1024 / r.names for r in rs)}
        for kind, rs in runs.items()}
    if "unbound" in runs:
        ours, theirs = report["summary"]["resolve serve"], report["summary"]["unbound"]
        report["ratios"] = {"qps": ours["qps"] / theirs["qps"],
                            "wall_s": ours["wall_s"] / theirs["wall_s"]}
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def print_report(report: dict) -> None:
    print("\n================ cache-miss report ================")
    print(f"{report['names']} never-seen names per run, upstream {report['upstream']}, "
          f"dnsperf -q {report['outstanding']}; CPUs: {report['machine']['cpus']}; "
          f"python {report['machine']['python']}")
    print(f"{'server':16} {'wall s':>8} {'q/s':>9} {'lost':>7} {'CPU µs/miss':>12} "
          f"{'CPU/wall':>9} {'RSS MiB':>8} {'B/name':>7}")
    for kind, s in report["summary"].items():
        print(f"{kind:16} {s['wall_s']:8.2f} {s['qps']:9.0f} {s['lost']:7d} "
              f"{s['cpu_us_per_miss']:12.0f} {s['cpu_share']:9.2f} "
              f"{s['rss_after_mib']:8.1f} {s['rss_growth_bytes_per_name']:7.0f}")
    for kind, rs in report["runs"].items():
        wrong = [run["load"]["rcodes"] for run in rs
                 if set(run["load"]["rcodes"]) != {"NXDOMAIN"}]
        if wrong:  # every name is NXDOMAIN by construction: anything else is a broken run
            print(f"WRONG ANSWERS from {kind}: {wrong} (expected NXDOMAIN only)")
    if "ratios" in report:
        r = report["ratios"]
        verdict = "meets" if r["qps"] >= 0.25 else "BELOW"
        print(f"ratio ours / unbound: q/s {r['qps']:.3f} ({verdict} the 0.25 target), "
              f"wall {r['wall_s']:.1f}x")
    for kind, rs in report["runs"].items():
        for run in rs:
            samples = run["rss_samples"]
            step = max(1, len(samples) // 12)
            print(f"RSS over time, {kind} round {run['round'] + 1} (s: MiB): " + ", ".join(
                f"{t:g}: {kib / 1024:.1f}" for t, kib in samples[::step]))
            if run["cache"]:
                print(f"  caches at the end: {run['cache']}")
    for fmt, figures in report.get("profile", {}).items():
        print(f"py-spy {fmt}: {figures['file']} ({figures['qps']:.0f} q/s while recorded)")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
