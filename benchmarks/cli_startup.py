"""How long `resolve --help` and `resolve --version` take to start, against `dig -v`.

    python benchmarks/cli_startup.py            # 30 runs of each, medians
    python benchmarks/cli_startup.py --runs 100 --json out.json

No network at all. Each command runs as a fresh process, alternating, so load on a shared
machine hits all of them alike; the figure is the median wall time from spawn to exit. Our
modules are byte-compiled once first (into a private cache, PYTHONPYCACHEPREFIX), as an
installed wheel's are. Reported: each command, the bare interpreter (`python -c pass`, the floor
no Python program can go under), our own cost above that floor, and the ratio to `dig -v` in
the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _time_once(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)  # fmt: skip
    return time.perf_counter() - started


def measure(runs: int) -> dict[str, float]:
    """Median seconds of each command over `runs` alternating rounds."""
    cache = tempfile.mkdtemp(prefix="resolve-pyc-")
    env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "resolve --help": [sys.executable, "-m", "resolver", "--help"],
        "resolve --version": [sys.executable, "-m", "resolver", "--version"],
    }
    dig = shutil.which("dig")
    if dig:
        commands["dig -v"] = [dig, "-v"]
    try:
        for command in commands.values():  # warm up: byte-compile, fill the page cache
            _time_once(command, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                samples[name].append(_time_once(command, env))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {name: statistics.median(times) for name, times in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="rounds (default 30)")
    parser.add_argument("--json", metavar="FILE", help="also write the medians as JSON")
    args = parser.parse_args()
    medians = measure(args.runs)
    floor = medians["python -c pass"]
    print(f"median wall time of {args.runs} runs each (Python {sys.version.split()[0]})")
    for name, seconds in medians.items():
        extra = ""
        if name.startswith("resolve"):
            extra = f"   ours above the interpreter: {(seconds - floor) * 1000:6.1f} ms"
            if "dig -v" in medians:
                extra += f"   ratio to dig -v: {seconds / medians['dig -v']:.1f}"
        print(f"  {name:<18} {seconds * 1000:7.1f} ms{extra}")
    if args.json:
        Path(args.json).write_text(json.dumps({k: v * 1000 for k, v in medians.items()},
                                              indent=2) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
