"""`resolve control` against a real daemon: every command, the socket's permissions, and the
cache file (dump at shutdown, load at start, answering from it with TTLs that went on counting)."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from resolver.server import fetch_stats
from tests.daemon import Daemon, run_cli


@pytest.fixture
def served(tmp_path):
    socket_path = tmp_path / "control.sock"
    config = tmp_path / "resolver.toml"
    config.write_text('local-data = ["printer.corp.example. IN A 192.0.2.80"]\n')
    with Daemon("--lab", "--config", str(config), "--control-socket", str(socket_path)) as daemon:
        daemon.socket = str(socket_path)
        daemon.config = config
        yield daemon


def control(daemon: Daemon, *args: str, ok: bool = True) -> str:
    proc = run_cli("control", "--socket", daemon.socket, *args)
    assert (proc.returncode == 0) is ok, proc.stderr
    return proc.stdout if ok else proc.stderr


def rdata(reply) -> list[str]:
    return [str(record.rdata) for record in reply.rr]


def upstream(daemon: Daemon) -> int:
    return fetch_stats("127.0.0.1", daemon.port)["upstream_queries"]


def test_the_socket_is_for_its_owner_only(served):
    mode = os.stat(served.socket).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600


def test_status_and_stats_with_reset(served):
    served.ask("www.example.com")
    status = control(served, "status")
    assert f"listening: 127.0.0.1:{served.port}" in status and "queries: 1" in status
    stats = json.loads(control(served, "stats", "--reset"))
    assert stats["queries"] == 1 and stats["acl_actions"] == {"allow": 1}
    assert json.loads(control(served, "stats"))["queries"] == 0


def test_flush_name_zone_negative_and_all(served):
    served.ask("www.example.com")
    served.ask("nonexistent.example.com")
    before = upstream(served)
    served.ask("www.example.com")
    assert upstream(served) == before  # cached
    assert control(served, "flush", "www.example.com").startswith("flushed 1 entries")
    served.ask("www.example.com")
    assert upstream(served) > before  # asked again after the flush
    assert "flushed 1 negative" in control(served, "flush-negative")
    assert "entries in example.com" in control(served, "flush-zone", "example.com")
    assert control(served, "flush-all").startswith("flushed all")
    assert "root-servers" not in control(served, "dump-cache")


def test_infra_flush_infra_and_lookup(served):
    served.ask("www.example.com")
    infra = control(served, "infra")
    assert "127.42.0." in infra and "srtt ms" in infra
    lookup = control(served, "lookup", "www.example.com")
    assert lookup.startswith("closest cached zone cut for www.example.com.: example.com.")
    assert "ns1.example.com." in lookup
    assert control(served, "flush-infra").startswith("forgot")
    assert control(served, "infra").strip() == "no servers known yet"


def test_dump_then_load_cache(served, tmp_path):
    served.ask("www.example.com")
    dump = control(served, "dump-cache")
    assert dump.startswith(";; resolver cache dump")
    assert any(line.split()[:1] == ["www.example.com."] for line in dump.splitlines())
    saved = tmp_path / "dump.txt"
    saved.write_text(dump)
    control(served, "flush-all")
    assert "loaded" in control(served, "load-cache", str(saved))
    before = upstream(served)
    assert rdata(served.ask("www.example.com")) == ["127.42.20.80"]
    assert upstream(served) == before
    saved.write_text("not a dump\n")
    assert "line 1: not a resolver cache dump" in control(served, "load-cache", str(saved),
                                                          ok=False)


def test_reload_through_the_control_channel(served):
    assert rdata(served.ask("printer.corp.example")) == ["192.0.2.80"]
    served.config.write_text('local-data = ["printer.corp.example. IN A 192.0.2.81"]\n')
    assert "local-data" in control(served, "reload")
    assert rdata(served.ask("printer.corp.example")) == ["192.0.2.81"]
    served.config.write_text("port = -1\n")
    assert "reload rejected" in control(served, "reload", ok=False)


def test_unknown_commands_and_no_server(served, tmp_path):
    assert "unknown command 'bogus'" in control(served, "bogus", ok=False)
    assert "takes 1 argument" in control(served, "flush", ok=False)
    proc = run_cli("control", "--socket", str(tmp_path / "absent.sock"), "status")
    assert proc.returncode == 5 and "no such socket" in proc.stderr


def test_cache_file_survives_a_restart_with_ttls_counting_down(tmp_path):
    cache_file = tmp_path / "cache.txt"
    with Daemon("--lab", "--cache-file", str(cache_file)) as first:
        first_ttl = first.ask("www.example.com").rr[0].ttl
        assert first.stop() == 0
    saved = [line.split() for line in cache_file.read_text().splitlines()]
    saved_ttl = next(int(f[1]) for f in saved if f[:1] == ["www.example.com."])
    assert saved_ttl <= first_ttl
    with Daemon("--lab", "--cache-file", str(cache_file)) as second:
        assert any(re.search(r"cache file .*: loaded \d+ entries", line) for line in second.log)
        reply = second.ask("www.example.com")
        assert rdata(reply) == ["127.42.20.80"]
        assert reply.rr[0].ttl <= saved_ttl
        assert upstream(second) == 0  # answered from the loaded cache, nothing asked
