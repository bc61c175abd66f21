"""Stand in for the operating system's resolver inside this Python process.

`override_system_resolver()` replaces `socket.getaddrinfo`, `gethostbyname`,
`gethostbyname_ex`, `gethostbyaddr` and `getnameinfo` with versions that ask a `Resolver`, so
that any library that connects by name (`socket.create_connection`, `urllib`, `asyncio`)
resolves through it; `restore_system_resolver()` puts the originals back. dnspython offers the
same pair (`dns.resolver.override_system_resolver`).

Address literals, `localhost` and names under `.localhost` (RFC 6761 §6.3) still go to the
system's functions, as does any call made from the resolver's own thread.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

from resolver.api import Resolver, default_resolver
from resolver.errors import NXDOMAIN, InvalidName, NoAnswer, ResolverError

_original = {
    name: getattr(socket, name)
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
                 "getnameinfo")
}  # fmt: skip
_state = threading.local()  # marks calls made while we are already resolving, in this thread
_resolver: Resolver | None = None
_lock = threading.Lock()

_PROTOCOLS: dict[int, int] = {
    socket.SOCK_STREAM: socket.IPPROTO_TCP,
    socket.SOCK_DGRAM: socket.IPPROTO_UDP,
}
_EAI_NODATA = getattr(socket, "EAI_NODATA", socket.EAI_NONAME)


def override_system_resolver(resolver: Resolver | None = None) -> None:
    """Make the `socket` module's name lookups use `resolver` (default: the default resolver)."""
    global _resolver
    with _lock:
        _resolver = resolver if resolver is not None else default_resolver()
        socket.getaddrinfo = _getaddrinfo
        socket.gethostbyname = _gethostbyname
        socket.gethostbyname_ex = _gethostbyname_ex
        socket.gethostbyaddr = _gethostbyaddr
        socket.getnameinfo = _getnameinfo


def restore_system_resolver() -> None:
    """Put the `socket` module's own name lookups back."""
    global _resolver
    with _lock:
        _resolver = None
        for name, function in _original.items():
            setattr(socket, name, function)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _for_the_system(host: str) -> bool:
    """Hosts the system answers better than DNS: literals and the loopback name."""
    name = host.rstrip(".").lower()
    return _is_address(host) or name == "localhost" or name.endswith(".localhost")


def _active() -> Resolver | None:
    resolver = _resolver
    if resolver is None or getattr(_state, "busy", False) or resolver._on_own_loop():
        return None  # restored meanwhile, or re-entered from inside a resolution
    return resolver


def _lookup(host: str, family: int) -> tuple[str, list[tuple[str, int]]]:
    """(canonical name, [(address, family)]) for a host name; gaierror the way libc says it."""
    resolver = _active()
    assert resolver is not None
    _state.busy = True
    try:
        answers = resolver.resolve_name(host, family)
        pairs = list(answers.addresses_and_families())
        canonical = str(answers.canonical_name()).rstrip(".") or "."
    except NXDOMAIN:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
    except InvalidName:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
    except NoAnswer:
        raise socket.gaierror(_EAI_NODATA, "No address associated with hostname") from None
    except ResolverError:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution") from None
    finally:
        _state.busy = False
    return canonical, pairs


def _port(service: Any, flags: int, socktype: int) -> int:
    if service is None:
        return 0
    if isinstance(service, bytes):
        service = service.decode("ascii", "replace")
    try:
        return int(service)
    except (TypeError, ValueError):
        pass
    if flags & socket.AI_NUMERICSERV:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    protocol = "udp" if socktype == socket.SOCK_DGRAM else "tcp"
    try:
        return socket.getservbyname(str(service), protocol)
    except OSError:
        message = "Servname not supported for ai_socktype"
        raise socket.gaierror(socket.EAI_SERVICE, message) from None


def _getaddrinfo(
    host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
) -> list[tuple[Any, ...]]:
    """`socket.getaddrinfo` answered by the Resolver (see the module docstring)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if (
        host is None
        or flags & socket.AI_NUMERICHOST
        or _for_the_system(str(host))
        or _active() is None
        or family not in (socket.AF_UNSPEC, socket.AF_INET, socket.AF_INET6)
    ):
        return list(_original["getaddrinfo"](host, port, family, type, proto, flags))
    if flags & socket.AI_V4MAPPED:  # not offered; EAI_FAIL as dnspython does (no EAI_SYSTEM)
        raise socket.gaierror(socket.EAI_FAIL, "Non-recoverable failure in name resolution")
    number = _port(port, flags, type)
    canonical, pairs = _lookup(str(host), family)
    socktypes = [type] if type else [socket.SOCK_STREAM, socket.SOCK_DGRAM]
    results: list[tuple[Any, ...]] = []
    for address, address_family in pairs:
        sockaddr: tuple[Any, ...] = (
            (address, number, 0, 0) if address_family == socket.AF_INET6 else (address, number)
        )
        for socktype in socktypes:
            protocol = proto or _PROTOCOLS.get(socktype, 0)
            name = canonical if flags & socket.AI_CANONNAME and not results else ""
            results.append((address_family, socktype, protocol, name, sockaddr))
    if not results:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return results


def _gethostbyname(hostname: str) -> str:
    """`socket.gethostbyname`: the first IPv4 address of the name."""
    return _gethostbyname_ex(hostname)[2][0]


def _gethostbyname_ex(hostname: str) -> tuple[str, list[str], list[str]]:
    """`socket.gethostbyname_ex`: (canonical name, aliases, IPv4 addresses)."""
    if _for_the_system(hostname) or _active() is None:
        system: tuple[str, list[str], list[str]] = _original["gethostbyname_ex"](hostname)
        return system
    canonical, pairs = _lookup(hostname, socket.AF_INET)
    given = hostname.rstrip(".")
    aliases = [given] if given.lower() != canonical.lower() else []
    return canonical, aliases, [address for address, _ in pairs]


def _ptr_name(address: str) -> str | None:
    resolver = _active()
    assert resolver is not None
    _state.busy = True
    try:
        answer = resolver.resolve_address(address)
        return answer[0].to_text().rstrip(".") or "."
    except (NXDOMAIN, NoAnswer):
        return None
    except ResolverError:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution") from None
    finally:
        _state.busy = False


def _gethostbyaddr(ip_address: str) -> tuple[str, list[str], list[str]]:
    """`socket.gethostbyaddr`: (name from PTR, aliases, [the address])."""
    if _active() is None or not _is_address(ip_address):
        system: tuple[str, list[str], list[str]] = _original["gethostbyaddr"](ip_address)
        return system
    name = _ptr_name(ip_address)
    if name is None:
        raise socket.herror(1, "Unknown host")
    return name, [], [ip_address]


def _getnameinfo(sockaddr: tuple[Any, ...], flags: int) -> tuple[str, str]:
    """`socket.getnameinfo`: (host name from PTR, service name) for an address."""
    host, port = sockaddr[0], sockaddr[1]
    if _active() is None or not isinstance(host, str) or not _is_address(host):
        names: tuple[str, str] = _original["getnameinfo"](sockaddr, flags)
        return names
    name = None if flags & socket.NI_NUMERICHOST else _ptr_name(host)
    if name is None:
        if flags & socket.NI_NAMEREQD:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        name = host
    if flags & socket.NI_NUMERICSERV:
        service = str(port)
    else:
        try:
            service = socket.getservbyport(port, "udp" if flags & socket.NI_DGRAM else "tcp")
        except OSError:
            service = str(port)
    return name, service
