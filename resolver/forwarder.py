"""Forward zones and stub zones: names the walk does not start from the root for.

A *forward zone* sends every name in it (`.` for all) to recursive resolvers, RD=1, instead of
iterating: the upstreams are tried in order, a dead or failing one is passed over for the next
(its timeouts feed the infra cache, so a dead one is avoided on later questions), a truncated
UDP reply is asked again over TCP, and the answer is cached as usual (as non-authoritative
answer data; its negative answers by their SOA, RFC 2308). Like Unbound's forward-zone.

A *stub zone* names the authoritative servers of a zone (RD=0): the walk starts at that zone
cut instead of the root and continues below it as usual, referrals included. Like Unbound's
stub-zone. The iterator asks `zone_for` / `stub_cut`; nothing else here knows the walk.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dnslib import QTYPE, RCODE, RR, DNSRecord

from resolver import protocol, wire
from resolver.cache import RRsetCache, Trust, group_rrsets
from resolver.errors import ResolverError
from resolver.trace import Problem, SendReason
from resolver.transport import QueryTimeout, Transport, TransportError, new_query_id

ZoneServers = Mapping[str, Iterable[str]]


class ZoneConfigError(ResolverError, ValueError):
    """A forward or stub zone is badly written (zone name or server address)."""


@dataclass(frozen=True)
class Upstream:
    """One server of a forward or stub zone."""

    address: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def parse_server(text: str, default_port: int) -> Upstream:
    """ "192.0.2.1", "192.0.2.1:5300", "2001:db8::1", "[2001:db8::1]:5300" -> Upstream."""
    text = text.strip()
    port = default_port
    host = text
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port_text = rest.removeprefix(":")
            if not port_text.isdigit():
                raise ZoneConfigError(f"bad server {text!r}: expected [IPv6]:PORT")
            port = int(port_text)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if not port_text.isdigit():
            raise ZoneConfigError(f"bad server {text!r}: expected ADDR:PORT")
        port = int(port_text)
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        raise ZoneConfigError(f"bad server {text!r}: not an IP address") from None
    if not 0 < port <= 65535:
        raise ZoneConfigError(f"bad server {text!r}: port out of range")
    return Upstream(address, port)


def parse_zones(zones: ZoneServers | None, default_port: int, what: str
                ) -> dict[str, list[Upstream]]:
    """{zone: ["addr[:port]", ...]} -> {canonical zone: [Upstream]}; ZoneConfigError if bad."""
    table: dict[str, list[Upstream]] = {}
    for zone, servers in (zones or {}).items():
        try:
            name = "." if zone.strip() in (".", "") else wire.validate_name(zone).lower()
        except wire.WireError as error:
            raise ZoneConfigError(f"{what} {zone!r}: {error}") from None
        if isinstance(servers, str):
            servers = [servers]
        upstreams = [parse_server(server, default_port) for server in servers]
        if not upstreams:
            raise ZoneConfigError(f"{what} {zone!r} has no servers")
        table[name] = upstreams
    return table


def closest(table: Mapping[str, list[Upstream]], name: str) -> str | None:
    """The deepest zone of `table` that holds `name` (itself or an ancestor), or None."""
    if not table:
        return None
    current = name.lower()
    while True:
        if current in table:
            return current
        if current == ".":
            return None
        current = current.split(".", 1)[1] or "."


@dataclass
class Forwarded:
    """The outcome of forwarding one question: rcode, answer, authority, and who answered."""

    rcode: int
    answer: list[RR]
    authority: list[RR]
    server: Upstream | None
    failures: list[tuple[Upstream, Problem | str]]


async def forward(
    upstreams: list[Upstream],
    qname: str,
    qtype: int,
    *,
    transport: Transport,
    cache: RRsetCache,
    timeout: float,
    report: object = None,
    on_send: object = None,
) -> Forwarded:
    """Ask the upstreams in turn (RD=1, EDNS, TCP on truncation) until one gives an answer
    (NOERROR or NXDOMAIN); cache it. SERVFAIL when none does. `report(upstream, ok, rtt)`
    and `on_send(upstream, protocol, why)` let the caller keep score and trace."""
    failures: list[tuple[Upstream, Problem | str]] = []
    why = SendReason.FIRST
    for upstream in upstreams:
        tcp = False
        while True:
            message = wire.build_query(qname, qtype, new_query_id(),
                                       edns_payload=protocol.EDNS_PAYLOAD)
            message = message[:2] + bytes((message[2] | 0x01, message[3])) + message[4:]  # RD=1
            if callable(on_send):
                on_send(upstream, "tcp" if tcp else "udp", why)
            try:
                exchange = await transport.query(upstream.address, upstream.port, message,
                                                 timeout=timeout * (2 if tcp else 1), tcp=tcp)
            except QueryTimeout:
                failures.append((upstream, "timeout"))
                if callable(report):
                    report(upstream, False, None)
                break
            except TransportError:
                failures.append((upstream, Problem.UNREACHABLE))
                if callable(report):
                    report(upstream, False, None)
                break
            try:
                reply = DNSRecord.parse(exchange.raw)
            except Exception:  # dnslib raises assorted errors on malformed data
                failures.append((upstream, Problem.MALFORMED))
                break
            if reply.header.tc and not tcp:
                tcp, why = True, SendReason.TRUNCATED
                continue
            if callable(report):
                report(upstream, True, exchange.rtt)
            if reply.header.rcode in (RCODE.NOERROR, RCODE.NXDOMAIN):
                _store(cache, reply, qname, qtype)
                authority = [rr for rr in reply.auth if rr.rtype == QTYPE.SOA]
                return Forwarded(reply.header.rcode, cache.clamp(reply.rr),
                                 [cache.clamp_negative(rr) for rr in authority], upstream,
                                 failures)
            failures.append((upstream, f"rcode {RCODE.get(reply.header.rcode)}"))
            break
        why = SendReason.NEXT_SERVER
    return Forwarded(RCODE.SERVFAIL, [], [], None, failures)


def _store(cache: RRsetCache, reply: DNSRecord, qname: str, qtype: int) -> None:
    """Cache a recursive server's answer: its RRsets as non-authoritative answer data (we did
    not check where they came from, so they never outrank what the walk learns itself)."""
    for rrset in group_rrsets(reply.rr):
        cache.put(rrset, Trust.ANSWER_NONAUTH)
    soa = next((rr for rr in reply.auth if rr.rtype == QTYPE.SOA), None)
    if soa is None:
        return
    if reply.header.rcode == RCODE.NXDOMAIN:
        target = _chain_end(reply, qname)
        cache.put_negative(target, None, RCODE.NXDOMAIN, soa, Trust.ANSWER_NONAUTH)
    elif not any(rr.rtype == qtype for rr in reply.rr):
        target = _chain_end(reply, qname)
        if not any(rr.rtype == QTYPE.CNAME and str(rr.rname).lower() == target for rr in reply.rr):
            cache.put_negative(target, qtype, RCODE.NOERROR, soa, Trust.ANSWER_NONAUTH)


def _chain_end(reply: DNSRecord, qname: str) -> str:
    """The name at the end of the answer's CNAME chain (where a negative answer applies)."""
    name = qname.lower()
    for _ in range(len(reply.rr) + 1):
        step = next((rr for rr in reply.rr
                     if rr.rtype == QTYPE.CNAME and str(rr.rname).lower() == name), None)
        if step is None:
            return name
        name = str(step.rdata.label).lower()
    return name
