"""`resolve serve --workers 2` for real, on loopback against the lab: both workers answer, the
counters (`resolve control stats`, the CH TXT stats query, /metrics) add up to what was sent,
flush and reload reach every worker, and stopping leaves no process behind."""

from __future__ import annotations

import json
import os
import pwd
import re
import signal
import socket
from pathlib import Path

import pytest

from resolver.server import fetch_stats
from tests.daemon import Daemon, run_cli
from tests.test_serve_metrics import scrape, value

SENT = 40  # queries, each from its own source port: the kernel spreads them by port


@pytest.fixture
def served(tmp_path):
    config = tmp_path / "resolver.toml"
    config.write_text('workers = 2\nlocal-data = ["printer.corp.example. IN A 192.0.2.80"]\n')
    socket_path = tmp_path / "control.sock"
    daemon = Daemon("--lab", "--config", str(config), "--control-socket", str(socket_path),
                    "--metrics", "127.0.0.1:0")
    with daemon:
        ready = daemon.wait_for(r"serving DNS on 127\.0\.0\.1:\d+ \(udp\+tcp\) with 2 workers "
                                r"\(pids (\d+), (\d+)\)")
        daemon.pids = [int(pid) for pid in ready.groups()]
        found = [re.search(r"metrics on http://127\.0\.0\.1:(\d+)/", line) for line in daemon.log]
        daemon.metrics_port = int(next(match for match in found if match).group(1))
        daemon.socket = str(socket_path)
        daemon.config = config
        yield daemon
    assert daemon.process.returncode == 0, "".join(daemon.log)
    for pid in daemon.pids:  # reaped by the supervisor, which is gone too
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def control(daemon: Daemon, *args: str) -> str:
    proc = run_cli("control", "--socket", daemon.socket, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def ask_many(daemon: Daemon, name: str, count: int = SENT) -> list[list[str]]:
    answers = []
    for _ in range(count):
        reply = daemon.ask(name)  # a new socket, so a new source port, each time
        assert reply is not None
        answers.append([str(record.rdata) for record in reply.rr])
    return answers


def test_two_workers_share_the_queries_and_the_counters_add_up(served):
    answers = ask_many(served, "www.example.com")
    assert all(answer == answers[0] and answer for answer in answers)
    stats = json.loads(control(served, "stats"))
    assert stats["queries"] == SENT and stats["udp_queries"] == SENT
    assert stats["cache_hits"] + stats["cache_misses"] == SENT
    assert stats["answers_by_rcode"] == {"NOERROR": SENT}
    assert stats["latency_ms"]["count"] == SENT
    per_worker = stats["workers"]["queries"]
    assert len(per_worker) == 2 and sum(per_worker) == SENT and min(per_worker) > 0
    # Each worker resolved the name once, in its own cache: two misses, the rest hits.
    assert stats["cache_misses"] == 2 and stats["miss_latency_ms"]["count"] == 2

    # The DNS stats query, answered by whichever worker the kernel picks, sums both.
    counters = fetch_stats("127.0.0.1", served.port)
    stats_queries = counters["queries_by_type"]["TXT"]  # itself, again over TCP if truncated
    assert counters["queries_by_type"]["A"] == SENT
    assert counters["queries"] == SENT + stats_queries
    assert counters["workers"]["count"] == 2

    families = scrape(served)
    udp = value(families, "resolver_queries", "resolver_queries_total", protocol="udp")
    tcp = value(families, "resolver_queries", "resolver_queries_total", protocol="tcp")
    assert udp + tcp == SENT + stats_queries
    assert value(families, "resolver_workers", "resolver_workers") == 2
    assert value(families, "resolver_response_duration_seconds",
                 "resolver_response_duration_seconds_count") == SENT + stats_queries

    status = control(served, "status")
    assert f"workers: 2 (pids {served.pids[0]}, {served.pids[1]})" in status
    assert f"listening: 127.0.0.1:{served.port}" in status


def test_flush_and_reset_reach_every_worker(served):
    ask_many(served, "www.example.com", 20)
    assert json.loads(control(served, "stats"))["answer_cache_entries"] >= 1
    flushed = control(served, "flush", "www.example.com")
    assert flushed.startswith(("each of 2 workers: flushed", "worker 0: flushed"))
    stats = json.loads(control(served, "stats", "--reset"))
    assert stats["answer_cache_entries"] == 0 and stats["queries"] == 20
    assert json.loads(control(served, "stats"))["queries"] == 0


def test_sighup_reloads_every_worker(served):
    served.config.write_text('workers = 2\nlocal-data = ["printer.corp.example. IN A '
                             '192.0.2.81"]\n')
    served.signal(signal.SIGHUP)
    line = served.wait_for(r"resolver\.server INFO: each of 2 workers: reloaded")
    assert "local-data" in line.string
    assert ask_many(served, "printer.corp.example", 20) == [["192.0.2.81"]] * 20


def test_a_worker_that_dies_stops_the_server_with_status_1(tmp_path):
    with Daemon("--lab", "--workers", "2") as daemon:
        pids = [int(p) for p in daemon.wait_for(r"with 2 workers \(pids (\d+), (\d+)\)").groups()]
        os.kill(pids[0], signal.SIGKILL)
        daemon.wait_for(rf"worker 0 \(pid {pids[0]}\) ended unexpectedly \(killed by SIGKILL\)")
        assert daemon.stop() == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pids[1], 0)


@pytest.mark.parametrize("given", ["0", "x"])
def test_a_bad_number_of_workers_is_one_line(given):
    proc = run_cli("serve", "--lab", "--listen", "127.0.0.1:0", "--workers", given)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--workers" in proc.stderr


def test_a_worker_stopped_with_sigterm_stops_the_server_cleanly():
    with Daemon("--lab", "--workers", "2") as daemon:
        pids = [int(p) for p in daemon.wait_for(r"with 2 workers \(pids (\d+), (\d+)\)").groups()]
        os.kill(pids[1], signal.SIGTERM)  # as Ctrl-C or systemd reach every process
        daemon.wait_for(rf"worker 1 \(pid {pids[1]}\) stopped: stopping the server")
        assert daemon.process.wait(30) == 0


def test_systemd_hears_ready_once_every_worker_serves(tmp_path):
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(path)
        listener.settimeout(30)
        config = tmp_path / "resolver.toml"
        config.write_text("workers = 2\n")
        daemon = Daemon("--lab", "--config", str(config),
                        env={**os.environ, "NOTIFY_SOCKET": path})
        with daemon:
            ready = listener.recv(4096).decode().split("\n")
            assert ready[0] == "READY=1"
            assert ready[1] == f"STATUS=serving DNS on 127.0.0.1:{daemon.port} with 2 workers"
            # before it, both workers had said so in the log; only the supervisor notifies
            daemon.wait_for(r"resolver\.server INFO: serving DNS on .* with 2 workers")
            assert sum("INFO: serving DNS on" in line and "[worker" in line
                       for line in daemon.log) == 2
            daemon.signal(signal.SIGHUP)
            assert listener.recv(4096).decode().split("\n")[0] == "RELOADING=1"
            assert listener.recv(4096).decode() == "READY=1"
            assert daemon.stop() == 0
        assert listener.recv(4096).decode() == "STOPPING=1"


def test_user_is_dropped_in_the_supervisor_and_every_worker():
    """CI runs as root, as this test needs."""
    assert os.geteuid() == 0, "run as root: only root can change user"
    nobody = pwd.getpwnam("nobody")
    with Daemon("--lab", "--workers", "2", "--user", "nobody") as daemon:
        pids = [int(p) for p in daemon.wait_for(r"with 2 workers \(pids (\d+), (\d+)\)").groups()]
        assert any("supervisor running as user nobody" in line for line in daemon.log)
        for pid in [daemon.process.pid, *pids]:
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            assert fields["Uid"].split() == [str(nobody.pw_uid)] * 4
            assert fields["Groups"].split() == []
        assert daemon.ask("www.example.com").rr
        assert daemon.stop() == 0
