"""Running as a service: sd_notify over NOTIFY_SOCKET (READY, RELOADING, STOPPING), dropping
root with --user (checked as root: the daemon's uid and groups after start), the shipped
example config, JSON log lines and the query log's sizes."""

from __future__ import annotations

import json
import os
import pwd
import signal
import socket
from pathlib import Path

from tests.daemon import ROOT, Daemon, run_cli


def test_sd_notify_ready_reloading_and_stopping(tmp_path):
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(path)
        listener.settimeout(30)
        config = tmp_path / "resolver.toml"
        config.write_text("log-level = \"info\"\n")
        env = {**os.environ, "NOTIFY_SOCKET": path}
        daemon = Daemon("--lab", "--config", str(config), env=env)
        with daemon:
            ready = listener.recv(4096).decode().split("\n")
            assert "READY=1" in ready
            assert any(line.startswith("STATUS=serving DNS on 127.0.0.1:") for line in ready)
            daemon.signal(signal.SIGHUP)
            reloading = listener.recv(4096).decode().split("\n")
            assert reloading[0] == "RELOADING=1"
            assert reloading[1].startswith("MONOTONIC_USEC=")
            assert listener.recv(4096).decode() == "READY=1"
            assert daemon.stop() == 0
        assert listener.recv(4096).decode() == "STOPPING=1"


def test_user_drops_root_and_supplementary_groups_after_binding():
    """CI runs as root, as this test needs."""
    assert os.geteuid() == 0, "run as root: only root can change user"
    nobody = pwd.getpwnam("nobody")
    with Daemon("--lab", "--user", "nobody") as daemon:
        assert any(f"running as user nobody (uid {nobody.pw_uid}" in line for line in daemon.log)
        status = Path(f"/proc/{daemon.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        assert fields["Uid"].split() == [str(nobody.pw_uid)] * 4  # real, effective, saved, fs
        assert fields["Gid"].split() == [str(nobody.pw_gid)] * 4
        assert fields["Groups"].split() == []
        assert daemon.ask("www.example.com").rr  # still serving, as nobody
        assert daemon.stop() == 0


def test_an_unknown_user_stops_the_server_with_one_line():
    proc = run_cli("serve", "--lab", "--listen", "127.0.0.1:0", "--user", "no-such-user-x")
    assert proc.returncode == 5
    last = proc.stderr.strip().splitlines()[-1]
    assert last == "resolve serve: --user no-such-user-x: no such user"


def test_the_shipped_example_config_checks_out():
    proc = run_cli("config", "check", str(ROOT / "contrib" / "resolver.toml"))
    assert proc.returncode == 0, proc.stderr


def test_json_log_lines_and_query_log_sizes_for_hits_and_misses():
    with Daemon("--lab", "--log-json", "--log-queries", "--log-level", "debug") as daemon:
        daemon.ask("www.example.com")
        first = daemon.last_size
        daemon.ask("www.example.com")
        second = daemon.last_size
        miss = daemon.wait_for(r"query 127\.0\.0\.1#\d+ udp www\.example\.com\. .* resolved")
        hit = daemon.wait_for(r"query 127\.0\.0\.1#\d+ udp www\.example\.com\. .* hit")
    for line, size in ((miss.string, first), (hit.string, second)):
        entry = json.loads(line)
        assert entry["level"] == "info" and entry["logger"] == "resolver.server"
        assert f" {size}B " in entry["message"]


def test_a_servfail_query_log_line_names_its_reason():
    with Daemon("--lab", "--log-queries") as daemon:
        assert daemon.ask("www.cycle-a.com").header.rcode == 2
        line = daemon.wait_for(r"query .* www\.cycle-a\.com\. IN A SERVFAIL .*").group(0)
    assert line.endswith("servfail: no address could be found for any name server of "
                         "cycle-a.com.")
