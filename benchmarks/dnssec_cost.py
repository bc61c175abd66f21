"""What DNSSEC validation costs our resolver: CPU time of cold resolutions and warm cache
answers, with and without validation, on the signed lab reached in-process (no sockets, no
port 53, a fake clock for the walk; the times are real CPU-bound wall time).

    python benchmarks/dnssec_cost.py [--rounds N]

Cold: a fresh resolver per question (every DS, DNSKEY and signature fetched and checked).
Warm: the same questions answered again and again from the cache.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from resolver.lab import SCENARIOS  # noqa: E402
from tests.fakenet import hermetic_resolver  # noqa: E402

QUESTIONS = [SCENARIOS[name] for name in (
    "dnssec_secure", "nsec_nxdomain", "nsec3_nxdomain", "signed_wildcard", "nsec3_wildcard",
    "insecure_delegation", "cname_chain", "mx", "txt", "aaaa",
)]  # fmt: skip


def cold(dnssec: bool, rounds: int) -> list[float]:
    """Milliseconds per cold resolution."""
    times = []
    for _ in range(rounds):
        for question in QUESTIONS:
            resolver, _, _, _ = hermetic_resolver(Path(tempfile.mkdtemp()), dnssec=dnssec)
            with resolver:
                start = time.perf_counter()
                resolver.query(question.qname, question.qtype)
                times.append((time.perf_counter() - start) * 1000)
    return times


def warm(dnssec: bool, seconds: float) -> float:
    """Answers per second from a warm cache (the library's blocking `query`)."""
    resolver, _, _, _ = hermetic_resolver(Path(tempfile.mkdtemp()), dnssec=dnssec)
    with resolver:
        for question in QUESTIONS:
            resolver.query(question.qname, question.qtype)
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for question in QUESTIONS:
                resolver.query(question.qname, question.qtype)
            count += len(QUESTIONS)
        return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(f"{'':12} {'cold median ms':>15} {'cold p90 ms':>12} {'warm answers/s':>15}")
    for dnssec in (False, True):
        times = cold(dnssec, args.rounds)
        p90 = statistics.quantiles(times, n=10)[-1]
        rate = warm(dnssec, args.seconds)
        label = "validating" if dnssec else "no DNSSEC"
        print(f"{label:12} {statistics.median(times):15.1f} {p90:12.1f} {rate:15.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
