"""A stub client: ask one nameserver (such as `resolve serve`) one question, RD=1 by default.

This is what `resolve --server HOST[:PORT]` (`@server`) uses instead of resolving in-process.
UDP first, TCP when the reply is truncated (TC=1) or when asked; the reply is returned as an
Answer, and as the bytes received, so the command can show every section as dig does. With
rd=False it asks an authoritative server directly (`+norec`): the reply may be a referral.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from dnslib import QTYPE, RR, DNSError, DNSRecord

from resolver import wire
from resolver.answer import Answer
from resolver.transport import Exchange, QueryTimeout, TransportError, exchange, new_query_id

# How long to wait for the nameserver when the caller does not say: a recursive server may
# itself need several upstream round trips (our server's default lifetime is 10 s).
DEFAULT_STUB_TIMEOUT = 10.0

_FLAG_NAMES = ("qr", "aa", "tc", "rd", "ra", "ad", "cd")


class StubError(TransportError):
    """The nameserver did not answer usably: timeout, network error or a malformed reply."""


@dataclass(frozen=True)
class StubReply:
    """The nameserver's reply as an Answer, plus what dig shows about the exchange."""

    answer: Answer
    flags: tuple[str, ...]
    server: str  # "127.0.0.1#5353"
    protocol: str  # "udp" or "tcp"
    size: int
    raw: bytes = b""  # the reply as received
    retried_tcp: bool = False  # the UDP reply was truncated and the question asked again


def _canonical_name(qname: str, records: list[RR]) -> str:
    """Follow the CNAME chain in an answer section from qname."""
    name = qname
    for _ in range(len(records)):
        target = next(
            (
                str(rr.rdata.label)
                for rr in records
                if rr.rtype == QTYPE.CNAME and wire.names_equal(str(rr.rname), name)
            ),
            None,
        )
        if target is None:
            break
        name = target
    return name


async def query_server_async(
    host: str,
    port: int,
    qname: str,
    qtype: int,
    *,
    timeout: float = DEFAULT_STUB_TIMEOUT,
    tcp: bool = False,
    rd: bool = True,
    cd: bool = False,
    do: bool = False,
    ad: bool = False,
) -> StubReply:
    """Send qname/qtype to host:port; retry over TCP if the UDP reply is truncated.

    rd, cd, ad and do set the RD, CD and AD header bits and the EDNS DO bit of the query.
    Errors name the server as host#port and the protocol."""
    query = wire.build_query(qname, qtype, new_query_id(), rd=rd, cd=cd, do=do, ad=ad)
    started = time.perf_counter()
    retried = False
    protocol = "tcp" if tcp else "udp"
    try:
        reply: Exchange = await exchange(host, port, query, timeout=timeout, tcp=tcp)
        if not tcp and wire.Header.parse(reply.raw).tc:
            retried, protocol = True, "tcp"
            reply = await exchange(host, port, query, timeout=timeout, tcp=True)
    except QueryTimeout:
        raise StubError(
            f"no reply from {host}#{port} ({protocol.upper()}) within {timeout:g} s"
        ) from None
    except TransportError as exc:
        reason = str(exc).removeprefix(f"{host}: ")
        raise StubError(f"{host}#{port} ({protocol.upper()}): {reason}") from None
    elapsed = time.perf_counter() - started
    try:
        record = DNSRecord.parse(reply.raw)
    except (DNSError, ValueError, IndexError) as exc:
        raise StubError(f"malformed reply from {host}#{port}: {exc}") from None
    header = record.header
    flags = tuple(name for name in _FLAG_NAMES if getattr(header, name))
    answer = Answer(
        qname=qname,
        rdtype=qtype,
        rdclass=1,
        rcode=header.rcode,
        canonical_name=_canonical_name(qname, list(record.rr)),
        answer=list(record.rr),
        authority=list(record.auth),
        elapsed=elapsed,
    )
    return StubReply(
        answer, flags, f"{host}#{port}", reply.protocol, len(reply.raw), reply.raw, retried
    )


def query_server(
    host: str,
    port: int,
    qname: str,
    qtype: int,
    *,
    timeout: float = DEFAULT_STUB_TIMEOUT,
    tcp: bool = False,
    rd: bool = True,
    cd: bool = False,
    do: bool = False,
    ad: bool = False,
) -> StubReply:
    """Blocking form of query_server_async (runs its own short-lived event loop)."""
    return asyncio.run(
        query_server_async(host, port, qname, qtype, timeout=timeout, tcp=tcp, rd=rd, cd=cd,
                           do=do, ad=ad)
    )
