"""Cache hits while misses flow: `resolve serve` against Unbound under 90 % hits + 10 % misses.

    python benchmarks/mixed.py                  # 20 s per server, about a minute on 2 cores
    python benchmarks/mixed.py --quick          # 5 s per server, under a minute
    python benchmarks/mixed.py --json out.json  # also write every figure as JSON

What it measures, all on loopback (never the internet):

The lab's zones are served on port 53 by NSD (benchmarks/upstream.py). Each server is started
with an empty cache and warmed with --names wildcard names (wNNN.wild.example.com A, plus
www.example.com A), each asked twice. Then dnsperf loads it at its maximum rate (-q outstanding
in flight) for --duration seconds from a list where every tenth name is a never-seen random
label under example.com (a miss: one upstream query, NXDOMAIN) and the other nine cycle through
the warmed names (hits). The list is long enough that dnsperf does not wrap around at the
rates seen here (a wrap is reported: it would turn misses into hits).

Meanwhile a separate probe in this process asks www.example.com A (cached) every 50 ms and
measures each reply's latency: what a user of a cached name sees during a random-subdomain
flood. Reported per server: client q/s, lost queries, the probe's p50/p99/max and unanswered
probes (1 s timeout); then the ratios ours / Unbound from the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.misses import random_names, start_server  # noqa: E402
from benchmarks.run import UNBOUND, LoadResult, _percentile, _query_wire, load  # noqa: E402
from benchmarks.upstream import upstream  # noqa: E402

PROBE_NAME = "www.example.com."
PROBE_INTERVAL = 0.050  # seconds between probes
PROBE_TIMEOUT = 1.0  # seconds a probe waits before counting as unanswered
LINES_PER_SECOND = 150_000  # load-file lines per second of --duration: above either server's rate


class Probe:
    """Asks PROBE_NAME A every PROBE_INTERVAL from its own socket, in a thread, until stop()."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.latencies_ms: list[float] = []
        self.unanswered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        qid = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            while not self._stop.is_set():
                qid = (qid + 1) & 0xFFFF
                wire = _query_wire(PROBE_NAME, 1, qid)
                started = time.perf_counter()
                sock.sendto(wire, ("127.0.0.1", self.port))
                deadline = started + PROBE_TIMEOUT
                while True:
                    sock.settimeout(max(0.001, deadline - time.perf_counter()))
                    try:
                        reply = sock.recv(4096)
                    except TimeoutError:
                        self.unanswered += 1
                        break
                    if reply[:2] == wire[:2]:
                        self.latencies_ms.append((time.perf_counter() - started) * 1000)
                        break
                self._stop.wait(max(0.0, PROBE_INTERVAL - (time.perf_counter() - started)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class MixedRun:
    server: str
    load: LoadResult
    lines: int
    probes: int
    probe_unanswered: int
    probe_p50_ms: float
    probe_p99_ms: float
    probe_max_ms: float
    probe_latencies_ms: list[float] = field(default_factory=list)


def write_mixed(path: Path, warm: list[tuple[str, str]], lines: int) -> Path:
    """Nine warmed names, then one never-seen name, repeated to `lines` lines."""
    fresh = iter(random_names(lines // 10 + 1))
    with path.open("w") as out:
        for i in range(lines):
            name, qtype = next(fresh) if i % 10 == 9 else warm[i % len(warm)]
            out.write(f"{name} {qtype}\n")
    return path


def mixed_run(server, warm_file: Path, load_file: Path, lines: int, duration: float,
              outstanding: int) -> MixedRun:
    load(server.port, warm_file, passes=2, outstanding=20, verbose=False)
    probe = Probe(server.port)
    try:
        result = load(server.port, load_file, duration=duration, outstanding=outstanding,
                      verbose=False)
    finally:
        probe.stop()
    latencies = sorted(probe.latencies_ms)
    return MixedRun(server.name, result, lines, len(latencies) + probe.unanswered,
                    probe.unanswered, _percentile(latencies, 0.5), _percentile(latencies, 0.99),
                    latencies[-1] if latencies else 0.0, probe.latencies_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per server")
    parser.add_argument("--names", type=int, default=1000, help="warmed (cached) names")
    parser.add_argument("--outstanding", type=int, default=100,
                        help="queries dnsperf keeps in flight (-q)")
    parser.add_argument("--cache-size", default="1G", help="ours: --cache-size, in bytes")
    parser.add_argument("--upstream", choices=("nsd", "lab"), default="nsd")
    parser.add_argument("--quick", action="store_true", help="5 s per server")
    parser.add_argument("--no-unbound", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 5.0

    workdir = Path(tempfile.mkdtemp(prefix="resolver-mixed-"))
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                    "duration_s": args.duration, "warm_names": args.names,
                    "outstanding": args.outstanding, "upstream": args.upstream}
    runs: dict[str, MixedRun] = {}
    try:
        with upstream(args.upstream) as up:
            kinds = ["resolve serve"]
            if up.unbound_ok and UNBOUND and not args.no_unbound:
                kinds.append("unbound")
            warm = [(PROBE_NAME, "A")] + [(f"w{i}.wild.example.com.", "A")
                                          for i in range(args.names)]
            warm_file = workdir / "warm.txt"
            warm_file.write_text("".join(f"{n} {t}\n" for n, t in warm))
            lines = int(args.duration * LINES_PER_SECOND)
            print(f"upstream: {up.kind} in {up.network}; {args.duration:g} s per server of 90 % "
                  f"hits ({len(warm)} names) + 10 % misses, dnsperf -q {args.outstanding}; "
                  f"probe {PROBE_NAME} every {PROBE_INTERVAL * 1000:.0f} ms; "
                  f"{os.cpu_count()} CPUs", flush=True)
            for kind in kinds:
                # A fresh list per server: the misses must be never seen by either.
                load_file = write_mixed(workdir / f"mixed-{len(runs)}.txt", warm, lines)
                server = start_server(kind, up, workdir, args.cache_size)
                try:
                    run = mixed_run(server, warm_file, load_file, lines, args.duration,
                                    args.outstanding)
                finally:
                    server.stop()
                runs[kind] = run
                wrapped = " (WRAPPED: misses repeat)" if run.load.sent > lines else ""
                print(f"  {kind:14} {run.load.qps:9.0f} q/s  lost {run.load.lost:6d}  probe p50 "
                      f"{run.probe_p50_ms:6.2f} ms  p99 {run.probe_p99_ms:7.2f} ms  max "
                      f"{run.probe_max_ms:7.1f} ms  unanswered {run.probe_unanswered}/"
                      f"{run.probes}  {run.load.rcodes}{wrapped}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    report["runs"] = {kind: asdict(run) for kind, run in runs.items()}
    if "unbound" in runs:
        ours, theirs = runs["resolve serve"], runs["unbound"]
        report["ratios"] = {"qps": ours.load.qps / theirs.load.qps,
                            "probe_p99": ours.probe_p99_ms / theirs.probe_p99_ms}
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def print_report(report: dict) -> None:
    print("\n================ mixed-load report ================")
    print(f"{report['duration_s']:g} s per server, 90 % hits + 10 % misses, upstream "
          f"{report['upstream']}, dnsperf -q {report['outstanding']}; CPUs: "
          f"{report['machine']['cpus']}; python {report['machine']['python']}")
    print(f"{'server':16} {'q/s':>9} {'lost':>7} {'probe p50':>10} {'p99 ms':>8} {'max ms':>8} "
          f"{'unanswered':>11}")
    for kind, run in report["runs"].items():
        print(f"{kind:16} {run['load']['qps']:9.0f} {run['load']['lost']:7d} "
              f"{run['probe_p50_ms']:10.2f} {run['probe_p99_ms']:8.2f} {run['probe_max_ms']:8.1f} "
              f"{run['probe_unanswered']:5d}/{run['probes']}")
    if "ratios" in report:
        r = report["ratios"]
        print(f"ratio ours / unbound: q/s {r['qps']:.3f}, probe p99 {r['probe_p99']:.1f}x")
    ours = report["runs"].get("resolve serve")
    if ours:
        verdict = "meets" if ours["probe_p99_ms"] < 20 else "ABOVE"
        print(f"probe p99 of ours: {ours['probe_p99_ms']:.1f} ms ({verdict} the 20 ms target)")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
