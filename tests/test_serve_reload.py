"""The real daemon with a config file: access control per netblock, local data, and SIGHUP
reloads (verified by queries), a rejected bad file, the mDNS hint when 5353 is taken."""

from __future__ import annotations

import contextlib
import signal
import socket

import pytest

from resolver.server import fetch_stats
from resolver.server.config import DEFAULT_PORT
from tests.daemon import Daemon, run_cli

NOERROR, NXDOMAIN, REFUSED = 0, 3, 5

FIRST = """
allow = ["127.0.0.1/32"]
local-zone = ["corp.example. static"]
local-data = ["printer.corp.example. 300 IN A 192.0.2.80"]
access-control = ["127.0.0.2/32 refuse", "127.0.0.3/32 deny", "127.0.0.4/32 allow_snoop"]
log-level = "info"
"""
SECOND = """
allow = ["127.0.0.1/32"]
local-zone = ["corp.example. static"]
local-data = ["printer.corp.example. 300 IN A 192.0.2.81", "scanner.corp.example. IN A 192.0.2.82"]
access-control = ["127.0.0.2/32 allow", "127.0.0.3/32 refuse"]
"""


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "resolver.toml"
    path.write_text(FIRST)
    return path


def addresses(reply) -> list[str]:
    return [str(record.rdata) for record in reply.rr]


def test_access_control_actions_then_sighup_reload_changes_them_and_local_data(config_file):
    with Daemon("--lab", "--config", str(config_file)) as daemon:
        assert addresses(daemon.ask("printer.corp.example")) == ["192.0.2.80"]
        assert daemon.ask("nothing.corp.example").header.rcode == NXDOMAIN
        assert daemon.ask("printer.corp.example", source="127.0.0.2").header.rcode == REFUSED
        assert daemon.ask("printer.corp.example", source="127.0.0.3", timeout=0.5) is None
        assert daemon.ask("www.example.com", source="127.0.0.5").header.rcode == REFUSED
        # allow_snoop: RD=1 resolves; RD=0 gets the cache's answer, or REFUSED when not cached
        snoop = daemon.ask("www.example.com", source="127.0.0.4", rd=False)
        assert snoop.header.rcode == REFUSED
        assert addresses(daemon.ask("www.example.com", source="127.0.0.4")) == ["127.42.20.80"]
        cached = daemon.ask("www.example.com", source="127.0.0.4", rd=False)
        assert addresses(cached) == ["127.42.20.80"]

        config_file.write_text(SECOND)
        daemon.signal(signal.SIGHUP)
        line = daemon.wait_for(r"reloaded .*").group(0)
        assert "access-control:" in line and "local-data:" in line
        assert addresses(daemon.ask("printer.corp.example")) == ["192.0.2.81"]
        assert addresses(daemon.ask("scanner.corp.example")) == ["192.0.2.82"]
        assert addresses(daemon.ask("printer.corp.example", source="127.0.0.2")) == ["192.0.2.81"]
        assert daemon.ask("printer.corp.example", source="127.0.0.3").header.rcode == REFUSED
        # the resolver's cache survived the reload: answered without asking upstream again
        before = fetch_stats("127.0.0.1", daemon.port)["upstream_queries"]
        assert addresses(daemon.ask("www.example.com")) == ["127.42.20.80"]
        assert fetch_stats("127.0.0.1", daemon.port)["upstream_queries"] == before > 0

        config_file.write_text(SECOND.replace("static", "wrong"))
        daemon.signal(signal.SIGHUP)
        rejected = daemon.wait_for(r"reload rejected.*").group(0)
        assert f"{config_file}:3: local-zone: unknown type 'wrong'" in rejected
        assert addresses(daemon.ask("scanner.corp.example")) == ["192.0.2.82"]
        assert daemon.stop() == 0


def test_flags_given_at_start_still_override_the_file_after_a_reload(config_file):
    with Daemon("--lab", "--config", str(config_file), "--local-data",
                "printer.corp.example. IN A 198.51.100.1") as daemon:
        assert addresses(daemon.ask("printer.corp.example")) == ["198.51.100.1"]
        config_file.write_text(SECOND)
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(r"reloaded ")
        assert addresses(daemon.ask("printer.corp.example")) == ["198.51.100.1"]
        assert daemon.ask("scanner.corp.example").header.rcode == NXDOMAIN


def test_reload_names_settings_that_need_a_restart(config_file):
    with Daemon("--lab", "--config", str(config_file)) as daemon:
        config_file.write_text(FIRST + 'cache-size = "32M"\n')
        daemon.signal(signal.SIGHUP)
        line = daemon.wait_for(r"reloaded .*").group(0)
        assert "needs a restart, not applied: cache-size: 64M -> 32M" in line


def test_a_taken_default_port_is_blamed_on_mdns():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        with contextlib.suppress(OSError):  # someone (avahi?) holds it already: as good
            taken.bind(("127.0.0.1", DEFAULT_PORT))
        proc = run_cli("serve", "--lab", "--listen", "127.0.0.1")
    assert proc.returncode == 5
    assert f"cannot listen on 127.0.0.1:{DEFAULT_PORT}" in proc.stderr
    assert "mDNS" in proc.stderr and "try --port" in proc.stderr


def test_the_counters_are_refused_outside_stats_from(tmp_path):
    from dnslib import CLASS, QTYPE, DNSRecord

    config = tmp_path / "resolver.toml"
    config.write_text('stats-from = ["127.0.0.1/32"]\n')
    with Daemon("--lab", "--config", str(config)) as daemon:
        assert fetch_stats("127.0.0.1", daemon.port)["queries"] == 1  # itself
        query = DNSRecord.question("stats.resolver.", "TXT", "CH")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.2", 0))
            sock.settimeout(5)
            sock.sendto(query.pack(), ("127.0.0.1", daemon.port))
            reply = DNSRecord.parse(sock.recvfrom(4096)[0])
        assert reply.header.rcode == REFUSED and not reply.rr
        assert (reply.q.qtype, reply.q.qclass) == (QTYPE.TXT, CLASS.CH)
        assert addresses(daemon.ask("www.example.com", source="127.0.0.2")) == ["127.42.20.80"]
