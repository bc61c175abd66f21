"""The live stats query: `dig @server -p PORT CH TXT stats.resolver.`, and its client.

Class CHAOS keeps it apart from real names (like BIND's `version.bind`). The reply holds one TXT
record per counter, `name=<JSON value>`, split into 255-octet strings when long, so `dig`
shows it readably and `fetch_stats` reads it back exactly. Only allowed clients get it: the
server's ACL applies before anything else.
"""

from __future__ import annotations

import asyncio
import json

from dnslib import CLASS, QTYPE, DNSRecord

from resolver import wire
from resolver.server.config import ServerError
from resolver.transport import TransportError, exchange, new_query_id

STATS_LABELS = (b"stats", b"resolver")
STATS_NAME = "stats.resolver."


class StatsQueryError(ServerError):
    """The server did not give a usable stats reply (timeout, refusal, garbage)."""


def is_stats_query(labels: tuple[bytes, ...], qtype: int, qclass: int) -> bool:
    return (
        qclass == CLASS.CH
        and qtype == QTYPE.TXT
        and tuple(label.lower() for label in labels) == STATS_LABELS
    )


def stats_lines(snapshot: dict) -> list[str]:
    return [f"{key}={json.dumps(value, separators=(',', ':'))}" for key, value in snapshot.items()]


def read_stats_reply(reply: DNSRecord) -> dict:
    """Turn the TXT records of a stats reply back into the snapshot dict."""
    if reply.header.rcode != 0:
        raise StatsQueryError(f"server answered {reply.header.rcode} to the stats query")
    result = {}
    for record in reply.rr:
        if record.rtype != QTYPE.TXT:
            continue
        text = b"".join(record.rdata.data).decode(errors="replace")
        key, _, value = text.partition("=")
        try:
            result[key] = json.loads(value)
        except ValueError:
            result[key] = value
    if not result:
        raise StatsQueryError("the stats reply held no counters")
    return result


def fetch_stats(host: str, port: int, timeout: float = 2.0) -> dict:
    """Ask a running server for its counters (UDP with EDNS, TCP when truncated)."""
    query = wire.build_query(STATS_NAME, QTYPE.TXT, new_query_id(), qclass=CLASS.CH)

    async def ask() -> bytes:
        reply = await exchange(host, port, query, timeout=timeout)
        if wire.Header.parse(reply.raw).tc:
            reply = await exchange(host, port, query, timeout=timeout, tcp=True)
        return reply.raw

    try:
        raw = asyncio.run(ask())
        reply = DNSRecord.parse(raw)
    except TransportError as error:  # timeouts say "no reply from HOST port N within S s"
        raise StatsQueryError(str(error)) from None
    except Exception as error:  # dnslib raises assorted errors on garbage
        raise StatsQueryError(f"unreadable reply from {host} port {port}: {error}") from None
    return read_stats_reply(reply)
