"""Shared fixtures. The loopback guard keeps every test off the real internet."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from tests.lab_fixtures import lab, lab_per_test  # noqa: F401  (shared lab fixtures)


class NonLoopbackTraffic(AssertionError):
    """A test tried to send a packet somewhere other than loopback."""


def _check_destination(address: object) -> None:
    if not isinstance(address, tuple) or not address:
        return  # AF_UNIX paths and the like
    host = address[0]
    try:
        ip = ipaddress.ip_address(host.split("%")[0] if isinstance(host, str) else host)
    except ValueError:
        raise NonLoopbackTraffic(f"test traffic to a name, not an address: {host!r}") from None
    if not ip.is_loopback:
        raise NonLoopbackTraffic(f"test traffic to non-loopback address {ip} refused")


@pytest.fixture(autouse=True, scope="session")
def loopback_only_guard():
    """Refuse, loudly, any socket send or connect to an address outside 127/8 and ::1."""
    original = {name: getattr(socket.socket, name) for name in ("sendto", "connect", "connect_ex")}

    def sendto(self, data, *args):
        _check_destination(args[-1])
        return original["sendto"](self, data, *args)

    def connect(self, address):
        _check_destination(address)
        return original["connect"](self, address)

    def connect_ex(self, address):
        _check_destination(address)
        return original["connect_ex"](self, address)

    socket.socket.sendto = sendto
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    try:
        yield
    finally:
        for name, method in original.items():
            setattr(socket.socket, name, method)
