"""The operator's view with Debian's tools: every local-zone type and the RFC 6303 / RFC 6761
defaults checked with the real `dig` against a real `resolve serve`, and the shipped systemd
unit checked with `systemd-analyze verify`."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.daemon import ROOT, Daemon
from tests.interop.nsd_harness import free_port, require_tool

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


UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"


def test_forwarding_to_unbound_with_failover_from_a_dead_upstream(tmp_path):
    """Unbound answers corp.example. from its local data; our daemon forwards that zone to a
    dead port first, then to Unbound, and caches what Unbound said."""
    import socket
    import time

    from dnslib import DNSRecord

    require_tool(UNBOUND, "unbound")
    # Free for UDP and TCP both (Unbound binds both), and two different ports.
    unbound_port = free_port()
    dead_port = free_port()
    while dead_port == unbound_port:
        dead_port = free_port()
    conf = tmp_path / "unbound.conf"
    conf.write_text("\n".join([
        "server:",
        f"  interface: 127.0.0.1@{unbound_port}",
        "  access-control: 127.0.0.0/8 allow",
        "  do-ip6: no",
        '  chroot: ""',
        '  username: ""',
        f'  directory: "{tmp_path}"',
        f'  pidfile: "{tmp_path}/unbound.pid"',
        "  use-syslog: no",
        '  module-config: "iterator"',
        '  local-zone: "corp.example." static',
        '  local-data: "www.corp.example. 300 IN A 192.0.2.7"',
        '  local-data: "corp.example. 300 IN SOA ns.corp.example. admin.corp.example. 1 3600 '
        '600 86400 60"',
        "remote-control:",
        "  control-enable: no",
    ]) + "\n")
    log = tmp_path / "unbound.log"
    with log.open("wb") as stderr:  # Unbound keeps its own copy of the descriptor
        unbound = subprocess.Popen([UNBOUND, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                   stderr=stderr)
    try:
        probe = DNSRecord.question("www.corp.example.", "A").pack()
        deadline = time.monotonic() + 10  # a hang, not slowness: Unbound starts in ms
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(0.2)
                sock.sendto(probe, ("127.0.0.1", unbound_port))
                try:
                    sock.recvfrom(4096)
                    break
                except TimeoutError:
                    assert time.monotonic() < deadline and unbound.poll() is None, (
                        f"no unbound: {log.read_text(errors='replace')[-800:]}"
                    )
        forward = f"corp.example. 127.0.0.1:{dead_port} 127.0.0.1:{unbound_port}"
        with Daemon("--lab", "--forward-zone", forward) as daemon:
            reply = daemon.ask("www.corp.example")
            assert [str(rr.rdata) for rr in reply.rr] == ["192.0.2.7"]
            assert daemon.ask("nope.corp.example").header.rcode == 3
            assert [str(rr.rdata) for rr in daemon.ask("www.example.com").rr] == ["127.42.20.80"]
    finally:
        unbound.terminate()  # our own child, by its PID
        unbound.wait(10)
