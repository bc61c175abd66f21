"""`resolve --help` and `--version` load none of the heavy modules (issue 13: under 50 ms).

The time itself is measured by benchmarks/cli_startup.py; here, without timing, the cause: the
help path must not import dnslib, asyncio or dataclasses (dataclasses pulls in inspect)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("dnslib", "asyncio", "dataclasses", "resolver.server.config", "resolver.api")

PROBE = """
import contextlib, io, sys
from resolver.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        status = main([{flag!r}])
    except SystemExit as exc:  # argparse ends --help and --version so
        status = exc.code
assert status == 0 and "resolve" in out.getvalue(), (status, out.getvalue())
print("loaded:", *(name for name in {heavy!r} if name in sys.modules))
"""


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_load_no_heavy_module(flag):
    probe = PROBE.format(flag=flag, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.strip() == "loaded:", f"resolve {flag} {done.stdout.strip()}"
