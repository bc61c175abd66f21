"""override_system_resolver(): the socket module's name lookups go through our Resolver, over
the running lab (real loopback sockets), and restore_system_resolver() puts them back."""

from __future__ import annotations

import socket
import threading

import pytest

from resolver import Resolver, override_system_resolver, restore_system_resolver

WWW_CS_CORNELL = "127.42.10.81"  # www.cs.cornell.edu. in cs.cornell.edu.zone


@pytest.fixture
def overridden(lab):
    with Resolver.for_lab(lab) as resolver:
        override_system_resolver(resolver)
        try:
            yield resolver
        finally:
            restore_system_resolver()


@pytest.fixture
def listener():
    """A TCP server on the lab address of www.cs.cornell.edu that says hello to one client."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind((WWW_CS_CORNELL, 0))
    server.listen(1)
    peers: list[tuple[str, int]] = []

    def serve() -> None:
        connection, peer = server.accept()
        with connection:
            peers.append(peer)
            connection.sendall(b"hello from www.cs.cornell.edu\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], peers
    thread.join(timeout=10)
    server.close()


def test_create_connection_by_name_reaches_the_lab_host(overridden, listener):
    port, _ = listener
    with socket.create_connection(("www.cs.cornell.edu", port), timeout=10) as connection:
        assert connection.getpeername() == (WWW_CS_CORNELL, port)
        assert connection.makefile("rb").readline() == b"hello from www.cs.cornell.edu\n"
    assert overridden.stats()["queries"] >= 1  # it was our resolver that answered


def test_getaddrinfo_shapes_and_errors(overridden):
    infos = socket.getaddrinfo("www.cs.cornell.edu", 80, socket.AF_INET, socket.SOCK_STREAM)
    assert infos == [
        (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (WWW_CS_CORNELL, 80))
    ]
    both = socket.getaddrinfo("www.cs.cornell.edu", "http")
    assert {(info[1], info[4]) for info in both} == {
        (socket.SOCK_STREAM, (WWW_CS_CORNELL, 80)),
        (socket.SOCK_DGRAM, (WWW_CS_CORNELL, 80)),
    }
    canonical = socket.getaddrinfo("chain.example.com", 0, flags=socket.AI_CANONNAME)
    assert canonical[0][3] == "chain.example.org"
    with pytest.raises(socket.gaierror) as nxdomain:
        socket.getaddrinfo("nonexistent.example.com", 80)
    assert nxdomain.value.errno == socket.EAI_NONAME


def test_gethostbyname_and_ex_follow_the_cname_chain(overridden):
    assert socket.gethostbyname("www.cs.cornell.edu") == WWW_CS_CORNELL
    assert socket.gethostbyname_ex("chain.example.com") == (
        "chain.example.org",
        ["chain.example.com"],
        ["127.42.22.81"],
    )
    assert socket.gethostbyname("127.42.10.81") == "127.42.10.81"  # literals stay literal


def test_getnameinfo_and_gethostbyaddr_read_the_ptr_record(overridden):
    assert socket.getnameinfo((WWW_CS_CORNELL, 80), 0) == ("www.cs.cornell.edu", "http")
    assert socket.getnameinfo((WWW_CS_CORNELL, 80), socket.NI_NUMERICHOST) == (
        WWW_CS_CORNELL,
        "http",
    )
    assert socket.gethostbyaddr(WWW_CS_CORNELL) == ("www.cs.cornell.edu", [], [WWW_CS_CORNELL])
    with pytest.raises(socket.gaierror):  # 127.42.99.99 has no PTR record in the lab
        socket.getnameinfo(("127.42.99.99", 80), socket.NI_NAMEREQD)


def test_restore_puts_the_system_functions_back(lab):
    original = socket.getaddrinfo
    with Resolver.for_lab(lab) as resolver:
        override_system_resolver(resolver)
        assert socket.getaddrinfo is not original
        restore_system_resolver()
    assert socket.getaddrinfo is original
    assert socket.getaddrinfo("127.0.0.1", 80)[0][4] == ("127.0.0.1", 80)
