"""The operator's view with Debian's tools: every local-zone type and the RFC 6303 / RFC 6761
defaults checked with the real `dig` against a real `resolve serve`, and the shipped systemd
unit checked with `systemd-analyze verify`."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.daemon import ROOT, Daemon
from tests.interop.nsd_harness import require_tool

pytestmark = pytest.mark.interop

DIG = shutil.which("dig") or "/usr/bin/dig"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"

CONFIG = """
local-zone = ["st.example. static", "ref.example. refuse", "den.example. deny",
              "red.example. redirect", "nx.example. always_nxdomain", "tr.example. transparent"]
local-data = ["www.st.example. 300 IN A 192.0.2.1", "red.example. 60 IN A 192.0.2.4",
              "www.tr.example. IN A 192.0.2.6"]
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_tool(DIG, "bind9-dnsutils")
    config = tmp_path_factory.mktemp("conf") / "resolver.toml"
    config.write_text(CONFIG)
    with Daemon("--lab", "--config", str(config)) as daemon:
        yield daemon


def dig(daemon: Daemon, *args: str) -> tuple[str, list[str]]:
    """dig's status and its answer section, as an operator reads them."""
    output = subprocess.run(
        [DIG, "@127.0.0.1", "-p", str(daemon.port), "+time=2", "+tries=1", *args],
        capture_output=True, text=True, timeout=30,
    ).stdout
    if "connection timed out" in output or "no servers could be reached" in output:
        return "TIMEOUT", []
    status = output.split("status: ", 1)[1].split(",", 1)[0]
    answer = subprocess.run(
        [DIG, "@127.0.0.1", "-p", str(daemon.port), "+time=2", "+tries=1", "+short", *args],
        capture_output=True, text=True, timeout=30,
    ).stdout.split()
    return status, answer


@pytest.mark.parametrize(
    ("args", "status", "answer"),
    [
        (["www.st.example"], "NOERROR", ["192.0.2.1"]),
        (["other.st.example"], "NXDOMAIN", []),
        (["www.st.example", "AAAA"], "NOERROR", []),
        (["x.ref.example"], "REFUSED", []),
        (["x.den.example"], "TIMEOUT", []),
        (["a.b.red.example"], "NOERROR", ["192.0.2.4"]),
        (["www.nx.example"], "NXDOMAIN", []),
        (["www.tr.example"], "NOERROR", ["192.0.2.6"]),
        (["localhost"], "NOERROR", ["127.0.0.1"]),
        (["localhost", "AAAA"], "NOERROR", ["::1"]),
        (["-x", "192.168.1.1"], "NXDOMAIN", []),
        (["-x", "10.1.2.3"], "NXDOMAIN", []),
        (["-x", "172.20.0.1"], "NXDOMAIN", []),
        (["-x", "fd00::1"], "NXDOMAIN", []),
        (["-x", "::1"], "NOERROR", ["localhost."]),
        (["something.test"], "NXDOMAIN", []),
        (["something.invalid"], "NXDOMAIN", []),
        (["www.example.com"], "NOERROR", ["127.42.20.80"]),  # not local: resolved
    ],
)
def test_dig_sees_local_zones_and_defaults(served, args, status, answer):
    assert dig(served, *args) == (status, answer)


def test_systemd_analyze_verifies_the_shipped_unit(tmp_path):
    require_tool(SYSTEMD_ANALYZE, "systemd")
    unit = (ROOT / "contrib" / "resolver.service").read_text()
    # verify checks that ExecStart exists: point it at this checkout's command.
    command = f"{sys.executable} {ROOT / 'cli.py'} serve --config {ROOT / 'contrib/resolver.toml'}"
    unit = unit.replace("/usr/local/bin/resolve serve --config /etc/resolver/resolver.toml",
                        command)
    path = tmp_path / "resolver.service"
    path.write_text(unit)
    proc = subprocess.run([SYSTEMD_ANALYZE, "verify", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "resolver.service" not in proc.stderr, proc.stderr  # no warning about our unit
