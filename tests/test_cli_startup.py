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
    status = main([{flag!r}])
assert status == 0 and out.getvalue(), (status, out.getvalue())
print(" ".join(name for name in {heavy!r} if name in sys.modules))
"""


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_load_no_heavy_module(flag):
    probe = PROBE.format(flag=flag, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.strip() == "", f"resolve {flag} imported {done.stdout.strip()}"
