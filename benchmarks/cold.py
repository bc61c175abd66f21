"""Cold resolution over the lab with slow servers: `resolve serve` against Unbound, rerunnable.

    python benchmarks/cold.py                 # 10 rounds, about a minute on 2 cores
    python benchmarks/cold.py --quick         # 2 rounds, under a minute
    python benchmarks/cold.py --json out.json # also write every figure as JSON

What it measures, all on loopback against the offline lab (never the internet):

The lab runs in this process on port 53 (Unbound sends upstream queries to port 53 only), and
every healthy lab host gets a round-trip delay (the lab's `slow` fault): for each zone served
by several hosts, one of them is slow (150-300 ms), every other host answers in 5-20 ms. The
delays are drawn from a seeded RNG (--seed), so reruns use the same internet. Hosts with a
fault of their own (dead, lame, ...) keep it; no name below is served by them.

Each round starts `resolve serve` (the real CLI, root hints = the lab's) and Unbound
(num-threads: 1, the same configuration as benchmarks/run.py) with an empty cache, one after
the other, in alternating order, and asks each the same list of names, one at a time, as a
stub would (RD=1, wait for the reply, next). A restart per round keeps every round cold; the
list also holds fresh wildcard names per round. Readiness is checked with a CH-class query
neither server recurses for, so nothing is cached before the first timed question.

Reported per server: the wall time of a round (median), p50 and p90 latency of one cold
question (over every question of every round), the upstream queries the lab received per
round and how many of them went to the slow hosts (counted at the lab, per host), and the
ratios ours / Unbound.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import (  # noqa: E402
    UNBOUND,
    Server,
    _percentile,
    _query_wire,
    start_lab,
    start_ours,
    start_unbound,
)

SLOW_DELAY = (0.150, 0.300)  # seconds: the one slow server of a zone with several
FAST_DELAY = (0.005, 0.020)  # seconds: every other healthy server
QUERY_TIMEOUT = 12.0  # seconds a stub waits: above our 10 s lifetime, so a reply is never lost
# Names across the lab's healthy zones: a four-level walk, CNAMEs within and across TLDs, a
# glueless delegation, a child zone on its parent's host, reverse, negative answers.
NAMES: list[tuple[str, str]] = [
    ("www.cs.cornell.edu.", "A"),
    ("www.cornell.edu.", "A"),
    ("cornell.edu.", "MX"),
    ("www.example.com.", "A"),
    ("www.example.com.", "AAAA"),
    ("example.com.", "MX"),
    ("alias.example.com.", "A"),
    ("chain.example.com.", "A"),
    ("_sip._tcp.example.com.", "SRV"),
    ("nonexistent.example.com.", "A"),
    ("www.example.net.", "A"),
    ("www.example.org.", "A"),
    ("www.lab.example.org.", "A"),
    ("www.glueless.org.", "A"),
    ("www.bank.com.", "A"),
    ("www.shortglue.net.", "A"),
    ("80.10.42.127.in-addr.arpa.", "PTR"),
    ("physics.cornell.edu.", "A"),
]
WILDCARD_NAMES = 3  # fresh nR-I.wild.example.com. names per round


def names_for_round(round_: int) -> list[tuple[str, str]]:
    fresh = [(f"r{round_}-n{i}.wild.example.com.", "A") for i in range(WILDCARD_NAMES)]
    return NAMES + fresh


# ---- the slow internet ------------------------------------------------------------------------


def assign_delays(lab, seed: int) -> dict[str, float]:
    """A delay per healthy host: one slow host per zone served by several, the rest fast."""
    from resolver.lab import Fault

    rng = random.Random(seed)
    healthy = {name: host for name, host in lab.hosts.items() if host.fault is None}
    by_zone: dict[str, list[str]] = {}
    for name, host in healthy.items():
        for zone in host.zones:
            by_zone.setdefault(zone, []).append(name)
    slow: set[str] = set()
    for zone in sorted(by_zone):
        servers = sorted(by_zone[zone])
        if len(servers) > 1 and not slow & set(servers):
            slow.add(rng.choice(servers))
    delays = {}
    for name in sorted(healthy):
        low, high = SLOW_DELAY if name in slow else FAST_DELAY
        delays[name] = round(rng.uniform(low, high), 3)
        lab.set_fault(name, Fault.slow(delays[name]))
    return delays


# ---- one cold run -----------------------------------------------------------------------------


@dataclass
class Run:
    server: str
    round: int
    wall_s: float
    latencies_ms: list[float] = field(default_factory=list)
    rcodes: dict[str, int] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)  # "name type" -> rcode
    no_reply: int = 0
    upstream: int = 0
    to_slow: int = 0
    per_host: dict[str, int] = field(default_factory=dict)


def ask(port: int, name: str, qtype: str, qid: int) -> tuple[float | None, str]:
    """One stub question; (latency in ms, rcode name), or (None, "no reply")."""
    from dnslib import QTYPE, RCODE

    wire = _query_wire(name, getattr(QTYPE, qtype), qid)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(QUERY_TIMEOUT)
        started = time.perf_counter()
        sock.sendto(wire, ("127.0.0.1", port))
        deadline = started + QUERY_TIMEOUT
        while True:
            try:
                reply = sock.recv(65535)
            except TimeoutError:
                return None, "no reply"
            if reply[:2] == wire[:2]:
                elapsed = (time.perf_counter() - started) * 1000
                return elapsed, RCODE.get(reply[3] & 0xF, str(reply[3] & 0xF))
            sock.settimeout(max(0.001, deadline - time.perf_counter()))


def cold_run(server: Server, lab, round_: int, slow: set[str]) -> Run:
    before = lab.query_count()
    if before:
        print(f"  note: {server.name} sent {before} upstream queries while starting (counted)",
              flush=True)
    names = names_for_round(round_)
    run = Run(server.name, round_, 0.0)
    started = time.perf_counter()
    for index, (name, qtype) in enumerate(names):
        latency, rcode = ask(server.port, name, qtype, 0x1000 + index)
        run.rcodes[rcode] = run.rcodes.get(rcode, 0) + 1
        run.answers[f"{name} {qtype}"] = rcode
        if latency is None:
            run.no_reply += 1
        else:
            run.latencies_ms.append(latency)
    run.wall_s = time.perf_counter() - started
    run.per_host = {name: lab.query_count(name) for name in lab.hosts if lab.query_count(name)}
    run.upstream = sum(run.per_host.values())
    run.to_slow = sum(count for name, count in run.per_host.items() if name in slow)
    return run


def start(kind: str, lab, workdir: Path, unbound_options: tuple[str, ...] = ()) -> Server:
    if kind == "resolve serve":
        return start_ours(lab.hints_path, lab.port, workdir, cold=True)
    return start_unbound(lab.hints_path, workdir, cold=True, options=unbound_options)


# ---- main -------------------------------------------------------------------------------------


def summarize(runs: list[Run]) -> dict:
    latencies = sorted(x for run in runs for x in run.latencies_ms)
    rcodes: dict[str, int] = {}
    for run in runs:
        for rcode, count in run.rcodes.items():
            rcodes[rcode] = rcodes.get(rcode, 0) + count
    return {
        "rounds": len(runs),
        "questions": sum(len(run.latencies_ms) + run.no_reply for run in runs),
        "wall_s": statistics.median(run.wall_s for run in runs),
        "p50_ms": _percentile(latencies, 0.50),
        "p90_ms": _percentile(latencies, 0.90),
        "upstream": statistics.median(run.upstream for run in runs),
        "to_slow": statistics.median(run.to_slow for run in runs),
        "rcodes": rcodes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="cold runs per server")
    parser.add_argument("--seed", type=int, default=53, help="for the per-host delays")
    parser.add_argument("--quick", action="store_true", help="2 rounds: about 15 s")
    parser.add_argument("--no-unbound", action="store_true")
    parser.add_argument("--unbound-option", action="append", default=[], metavar="'NAME: VALUE'",
                        help="an extra line for Unbound's server: section, e.g. "
                        "'qname-minimisation: no' (ours does not minimise); repeatable")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 2

    workdir = Path(tempfile.mkdtemp(prefix="resolver-cold-"))
    lab, on_53 = start_lab()
    kinds = ["resolve serve"]
    if on_53 and UNBOUND and not args.no_unbound:
        kinds.append("unbound")
    elif not UNBOUND:
        print("note: unbound not installed; no comparison")
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                    "seed": args.seed, "names_per_round": len(names_for_round(0)),
                    "unbound_options": args.unbound_option}
    runs: dict[str, list[Run]] = {kind: [] for kind in kinds}
    try:
        delays = assign_delays(lab, args.seed)
        slow = {name for name, delay in delays.items() if delay >= SLOW_DELAY[0]}
        report["delays_ms"] = {name: round(delay * 1000) for name, delay in delays.items()}
        report["slow_hosts"] = sorted(slow)
        print(f"lab on port {lab.port}; slow hosts: "
              + ", ".join(f"{name} {delays[name] * 1000:.0f} ms" for name in sorted(slow))
              + f"; {len(delays) - len(slow)} others at 5-20 ms; "
              f"{len(names_for_round(0))} names per round", flush=True)
        for round_ in range(args.rounds):
            for kind in kinds if round_ % 2 == 0 else list(reversed(kinds)):
                # Reset before the start: upstream queries sent while starting are counted.
                lab.reset_counters()
                server = start(kind, lab, workdir, tuple(args.unbound_option))
                try:
                    run = cold_run(server, lab, round_, slow)
                finally:
                    server.stop()
                runs[kind].append(run)
                latencies = sorted(run.latencies_ms)
                print(f"  round {round_ + 1} {kind:14} wall {run.wall_s:6.2f} s  "
                      f"p50 {_percentile(latencies, 0.5):7.1f} ms  "
                      f"p90 {_percentile(latencies, 0.9):7.1f} ms  upstream {run.upstream:4d}  "
                      f"to slow {run.to_slow:3d}  {run.rcodes}", flush=True)
    finally:
        lab.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    report["runs"] = {kind: [asdict(run) for run in rs] for kind, rs in runs.items()}
    report["summary"] = {kind: summarize(rs) for kind, rs in runs.items()}
    per_host: dict[str, dict[str, float]] = {}
    for kind, rs in runs.items():
        for name in sorted(slow):
            per_host.setdefault(name, {})[kind] = statistics.median(
                run.per_host.get(name, 0) for run in rs)
    report["slow_host_queries"] = per_host
    report["disagreements"] = sorted({
        f"round {a.round + 1} {question}: " + ", ".join(
            f"{r.server} {r.answers.get(question)}" for r in rs)
        for rs in zip(*runs.values(), strict=True) for a in rs[:1]
        for question in a.answers
        if len({r.answers.get(question) for r in rs}) > 1
    }) if len(runs) > 1 else []
    if "unbound" in runs:
        ours, theirs = report["summary"]["resolve serve"], report["summary"]["unbound"]
        report["ratios"] = {key: (ours[key] / theirs[key] if theirs[key] else None)
                            for key in ("wall_s", "p50_ms", "p90_ms", "upstream", "to_slow")}
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def print_report(report: dict) -> None:
    print("\n================ cold resolution report ================")
    print(f"CPUs: {report['machine']['cpus']}; python {report['machine']['python']}; "
          f"{report['names_per_round']} names per round; delays seeded with {report['seed']}"
          + (f"; unbound with {report['unbound_options']}" if report["unbound_options"] else ""))
    print(f"{'server':16} {'wall s':>7} {'p50 ms':>8} {'p90 ms':>8} {'upstream':>9} "
          f"{'to slow':>8}   rcodes (all rounds)")
    for kind, figures in report["summary"].items():
        print(f"{kind:16} {figures['wall_s']:7.2f} {figures['p50_ms']:8.1f} "
              f"{figures['p90_ms']:8.1f} {figures['upstream']:9.0f} {figures['to_slow']:8.0f}   "
              f"{figures['rcodes']}")
    if "ratios" in report:
        ratios = report["ratios"]
        print("ratio ours / unbound: " + ", ".join(
            f"{key} {value:.2f}" if value is not None else f"{key} n/a"
            for key, value in ratios.items()))
    for line in report["disagreements"]:
        print(f"rcodes differ: {line}")
    print("queries per round to each slow host (median):")
    for name, counts in report["slow_host_queries"].items():
        delay = report["delays_ms"][name]
        print(f"  {name:24} {delay:4d} ms  "
              + "  ".join(f"{kind} {count:.0f}" for kind, count in counts.items()))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
