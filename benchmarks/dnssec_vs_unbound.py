"""What DNSSEC validation costs, ours beside Unbound's, over the same NSD-served signed lab.

    python benchmarks/dnssec_vs_unbound.py           # 5 rounds, about 30 s on 2 cores
    python benchmarks/dnssec_vs_unbound.py --quick   # 1 round, about 10 s

The signed lab (`Lab(dnssec=True)`: every RRset with its RRSIGs, NSEC/NSEC3 chains) is moved
into a free 127.N.0.0/16 block and served by NSD on port 53 of the lab addresses, faulty hosts
as in tests/interop/test_dnssec_vs_unbound.py (its helpers). Four servers iterate from the same
root hints: `resolve serve` (the real CLI) with `--trust-anchor` the lab's root DS and with
`--no-dnssec`, Unbound (num-threads 1, benchmarks/run.py's configuration) with
module-config "validator iterator" plus the same trust-anchor-file, and with "iterator".

Cold: each round restarts every server empty (in alternating order) and asks the lab's DNSSEC
scenario names one at a time, as a stub would: median and p90 latency over all rounds; the
rcode of each name must be the same for ours and Unbound (else "rcodes differ" is printed).
Warm: then, in the same round, WARM_QUERIES repeated queries of the non-bogus names (bogus
answers are not cached alike by both), dnsperf with 20 outstanding: answers/s, median of rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dnslib import QTYPE  # noqa: E402

from benchmarks.cold import ask  # noqa: E402
from benchmarks.run import (  # noqa: E402
    UNBOUND,
    LoadResult,
    Server,
    _percentile,
    load,
    start_ours,
    start_unbound,
    write_names,
)
from tests.interop.test_dnssec_vs_unbound import (  # noqa: E402
    DNSSEC_SCENARIOS,
    write_signed_lab,
)
from tests.interop.test_resolver_vs_unbound import (  # noqa: E402
    UPSTREAM_PORT,
    lab_served_by_nsd,
)

WARM_QUERIES = 60_000  # per server and round (--quick: 20 000)
CONFIGS = ("ours validating", "ours no DNSSEC", "unbound validating", "unbound no DNSSEC")


def start(config: str, hints: Path, anchor: Path, workdir: Path) -> Server:
    """One of CONFIGS, started with an empty cache (readiness probed with a CH query)."""
    if config.startswith("ours"):
        flags = ("--trust-anchor", str(anchor)) if "validating" in config else ("--no-dnssec",)
        return start_ours(str(hints), UPSTREAM_PORT, workdir, cold=True, extra_args=flags)
    options = (('module-config: "validator iterator"', f'trust-anchor-file: "{anchor}"')
               if "validating" in config else ())  # the later module-config line wins
    return start_unbound(str(hints), workdir, cold=True, options=options)


def measure(config: str, questions: list[tuple[str, str]], warm_names: Path, warm_queries: int,
            hints: Path, anchor: Path, workdir: Path,
            ) -> tuple[list[float], dict[str, str], LoadResult]:
    """One round of one server: cold latencies (ms), rcode per question, the warm load."""
    server = start(config, hints, anchor, workdir)
    try:
        latencies, rcodes = [], {}
        for index, (name, qtype) in enumerate(questions):
            latency, rcode = ask(server.port, name, qtype, 0x2000 + index)
            rcodes[f"{name} {qtype}"] = rcode
            if latency is not None:
                latencies.append(latency)
        lines = len(warm_names.read_text().splitlines())
        result = load(server.port, warm_names, passes=max(1, warm_queries // lines),
                      outstanding=20, verbose=False)
        return latencies, rcodes, result
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1 round, 20 000 warm queries")
    args = parser.parse_args(argv)
    rounds, warm_queries = (1, 20_000) if args.quick else (args.rounds, WARM_QUERIES)
    if not UNBOUND or not shutil.which("nsd"):
        print("needs unbound and nsd (apt-get install unbound nsd)")
        return 1
    cold: dict[str, list[float]] = {config: [] for config in CONFIGS}
    warm: dict[str, list[float]] = {config: [] for config in CONFIGS}
    differ: set[str] = set()
    failures: list[str] = []
    with lab_served_by_nsd("resolver-dnssec-bench-", write_signed_lab, failures) as served:
        if served is None:
            print("no free 127.N.0.0/16 with port 53 for the NSD hierarchy (needs root): "
                  + "; ".join(failures))
            return 1
        lab, _, workdir, _ = served
        hints, anchor = workdir / "root.hints", workdir / "root.key"
        questions = [(s.qname, QTYPE.get(s.qtype)) for s in map(lab.scenario, DNSSEC_SCENARIOS)]
        warm_names = write_names(workdir / "warm.txt", [
            q for name, q in zip(DNSSEC_SCENARIOS, questions, strict=True)
            if not name.startswith("bogus")])
        print(f"signed lab served by NSD on {lab.network} port 53; {len(questions)} names "
              f"cold, {warm_queries} warm queries per server and round", flush=True)
        for round_ in range(rounds):
            answers = {}
            order = CONFIGS if round_ % 2 == 0 else tuple(reversed(CONFIGS))
            for config in order:
                latencies, answers[config], result = measure(
                    config, questions, warm_names, warm_queries, hints, anchor, workdir)
                cold[config] += latencies
                warm[config].append(result.qps)
                ordered = sorted(latencies)
                rcodes = dict(Counter(answers[config].values()))
                print(f"  round {round_ + 1} {config:19} cold p50 "
                      f"{_percentile(ordered, 0.5):5.1f} ms  p90 "
                      f"{_percentile(ordered, 0.9):5.1f} ms {rcodes}  warm "
                      f"{result.qps:6.0f} answers/s lost {result.lost}", flush=True)
            for on in ("validating", "no DNSSEC"):
                ours, theirs = answers[f"ours {on}"], answers[f"unbound {on}"]
                differ |= {f"{on} {q}: ours {ours[q]}, unbound {theirs[q]}"
                           for q in ours if ours[q] != theirs.get(q)}
    print_report(cold, warm, differ)
    return 0


def print_report(cold: dict[str, list[float]], warm: dict[str, list[float]],
                 differ: set[str]) -> None:
    figures = {}
    for config in CONFIGS:
        ordered = sorted(cold[config])
        figures[config] = (statistics.median(ordered), _percentile(ordered, 0.9),
                           statistics.median(warm[config]))
    print("\n| | cold median | cold p90 | warm answers/s |\n|---|---:|---:|---:|")
    for config, (p50, p90, qps) in figures.items():
        print(f"| {config} | {p50:.1f} ms | {p90:.1f} ms | {qps:,.0f} |")
    print("\n| ratio | cold median | cold p90 | warm answers/s |\n|---|---:|---:|---:|")
    rows = {
        "ours: validating / no DNSSEC": ("ours validating", "ours no DNSSEC"),
        "unbound: validating / no DNSSEC": ("unbound validating", "unbound no DNSSEC"),
        "validating: ours / unbound": ("ours validating", "unbound validating"),
    }
    for label, (a, b) in rows.items():
        print(f"| {label} | " + " | ".join(
            f"{x / y:.2f}" for x, y in zip(figures[a], figures[b], strict=True)) + " |")
    for line in sorted(differ):
        print(f"rcodes differ: {line}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
