"""Forwarding between two real daemons: the front `resolve serve` forwards everything to a
second one serving the lab, with a dead first upstream to fail over from; stub zones by flag."""

from __future__ import annotations

import socket

from resolver.server import fetch_stats
from tests.daemon import Daemon, run_cli

HINTS = ".\t3600000\tNS\ta.root.\na.root.\t3600000\tA\t127.0.0.250\n"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_forwarding_to_a_second_daemon_with_failover_from_a_dead_one(tmp_path):
    hints = tmp_path / "root.hints"
    hints.write_text(HINTS)  # a root that does not exist: only forwarding can answer
    dead = free_udp_port()
    with Daemon("--lab") as upstream:
        forward = f". 127.0.0.1:{dead} 127.0.0.1:{upstream.port}"
        control = str(tmp_path / "control.sock")
        with Daemon("--root-hints", str(hints), "--forward-zone", forward,
                    "--control-socket", control) as front:
            reply = front.ask("www.example.com")
            assert [str(rr.rdata) for rr in reply.rr] == ["127.42.20.80"]
            assert front.ask("nonexistent.example.com").header.rcode == 3
            sent = fetch_stats("127.0.0.1", front.port)["resolver"]["upstream_queries"]
            again = front.ask("www.example.com")  # from the front's cache
            assert [str(rr.rdata) for rr in again.rr] == ["127.42.20.80"]
            front_stats = fetch_stats("127.0.0.1", front.port)
            assert front_stats["resolver"]["upstream_queries"] == sent  # nothing forwarded
            assert front_stats["resolver"]["upstream_queries"] >= 3  # dead one, then upstream
            lookup = run_cli("control", "--socket", control, "lookup", "www.example.com").stdout
            assert lookup.strip() == (f"www.example.com. is in forward zone .: sent with RD=1 to "
                                      f"127.0.0.1:{dead}, 127.0.0.1:{upstream.port}, in order")


def test_a_stub_zone_flag_points_a_zone_at_its_authoritative_server(tmp_path):
    from resolver.lab import Lab

    hints = tmp_path / "root.hints"
    hints.write_text(HINTS)
    with Lab(port=0) as lab:
        server = _authority_of(lab, "example.com.")
        stub = f"example.com. {server}:{lab.port}"
        # The lab signs its zones; this front knows only a dead root, so no chain of trust.
        with Daemon("--root-hints", str(hints), "--stub-zone", stub, "--no-dnssec") as front:
            reply = front.ask("www.example.com")
            assert [str(rr.rdata) for rr in reply.rr] == ["127.42.20.80"]
            assert front.ask("www.example.org").header.rcode == 2  # no stub: the dead root


def _authority_of(lab, zone: str) -> str:
    """An address of the lab server authoritative for `zone` (from the lab's own resolver)."""
    from resolver import Resolver

    with Resolver.for_lab(lab) as resolver:
        ns = resolver.query(zone, "NS")
        name = str(ns.answer_records[0].rdata.label)
        return str(resolver.query(name, "A").answer_records[0].rdata)


def test_sighup_adds_a_forward_zone_without_a_restart(tmp_path):
    import signal

    hints = tmp_path / "root.hints"
    hints.write_text(HINTS)
    config = tmp_path / "resolver.toml"
    config.write_text(f'root-hints = "{hints}"\n')
    with Daemon("--lab") as upstream, Daemon("--config", str(config)) as front:
        assert front.ask("mail.example.com", timeout=15).header.rcode == 2  # the root is dead
        config.write_text(f'root-hints = "{hints}"\n'
                          f'forward-zone = ["example.com. 127.0.0.1:{upstream.port}"]\n')
        front.signal(signal.SIGHUP)
        line = front.wait_for("reloaded").string
        assert f"forward-zone: [] -> [example.com. 127.0.0.1:{upstream.port}]" in line
        assert [str(rr.rdata) for rr in front.ask("www.example.com").rr] == ["127.42.20.80"]
