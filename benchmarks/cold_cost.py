"""Cold cost: upstream queries for the lab corpus (every name in resolver/lab/scenarios.py,
asked once, in order, from an empty cache), ours with and without QNAME minimisation next to
Unbound's with and without it.

    python benchmarks/cold_cost.py            # needs port 53 on the lab's addresses for Unbound

The lab runs in this process; our resolver runs in-process over real UDP to it (the same
walk `resolve serve` makes), Unbound as a server asked by a stub. Queries are counted at the
lab. Scenarios with dead servers take a few seconds each (timeouts), for both.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.cold import ask  # noqa: E402
from benchmarks.run import UNBOUND, start_lab, start_unbound  # noqa: E402


def corpus(lab) -> list[tuple[str, int]]:
    from resolver.lab.scenarios import SCENARIOS

    return [(lab.scenario(name).qname, lab.scenario(name).qtype) for name in SCENARIOS]


def ours(lab, minimise: bool) -> int:
    from resolver import Resolver

    before = lab.query_count()
    with Resolver.for_lab(lab, qname_minimisation=minimise) as resolver:
        for qname, qtype in corpus(lab):
            resolver.query(qname, qtype)
    return lab.query_count() - before


def unbound(lab, minimise: bool) -> int:
    from dnslib import QTYPE

    with tempfile.TemporaryDirectory() as tmp:
        server = start_unbound(lab.hints_path, Path(tmp), cold=True, qname_minimisation=minimise)
        try:
            before = lab.query_count()
            for index, (qname, qtype) in enumerate(corpus(lab)):
                ask(server.port, qname, QTYPE.get(qtype), 0x2000 + index)
            return lab.query_count() - before
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    lab, on_53 = start_lab()
    try:
        print(f"lab corpus: {len(corpus(lab))} questions, cold cache, upstream queries")
        for minimise in (True, False):
            print(f"  ours,    qname minimisation {'on ' if minimise else 'off'}: "
                  f"{ours(lab, minimise)}", flush=True)
        if on_53 and shutil.which(UNBOUND):
            for minimise in (True, False):
                print(f"  Unbound, qname minimisation {'on ' if minimise else 'off'}: "
                      f"{unbound(lab, minimise)}", flush=True)
    finally:
        lab.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
