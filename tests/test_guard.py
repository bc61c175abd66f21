"""The loopback guard itself must hold, or every other test could leak traffic."""

import socket

import pytest

from tests.conftest import NonLoopbackTraffic


def test_udp_to_public_address_is_refused():
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(NonLoopbackTraffic),
    ):
        sock.sendto(b"x", ("198.41.0.4", 53))


def test_tcp_connect_to_public_address_is_refused():
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(NonLoopbackTraffic),
    ):
        sock.connect(("192.0.2.1", 53))


def test_loopback_is_allowed():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"x", ("127.0.0.1", 9))
