"""The live stats query: `dig @server -p PORT CH TXT stats.resolver.`, and its client.

Class CHAOS keeps it apart from real names (like BIND's `version.bind`). The reply holds one TXT
record per counter, `name=<JSON value>`, split into 255-octet strings when long, so `dig`
shows it readably and `fetch_stats` reads it back exactly. Only allowed clients get it: the
server's ACL applies before anything else.
"""

from __future__ import annotations

import json
import secrets
import socket

from dnslib import CLASS, EDNS0, QTYPE, DNSRecord

from resolver.server.config import ServerError

STATS_LABELS = (b"stats", b"resolver")
STATS_NAME = "stats.resolver."
MAX_TCP_MESSAGE = 65_535


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
    query = DNSRecord.question(STATS_NAME, "TXT", "CH")
    query.header.id = secrets.randbelow(65536)
    query.add_ar(EDNS0(udp_len=1232))
    wire = query.pack()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.connect((host, port))
            sock.send(wire)
            while True:
                raw = sock.recv(MAX_TCP_MESSAGE)
                if raw[:2] == wire[:2]:
                    break
        reply = DNSRecord.parse(raw)
        if reply.header.tc:
            reply = DNSRecord.parse(_exchange_tcp(family, host, port, wire, timeout))
    except StatsQueryError:
        raise
    except TimeoutError:
        raise StatsQueryError(f"no reply from {host} port {port} within {timeout} s") from None
    except OSError as error:
        raise StatsQueryError(f"cannot query {host} port {port}: {error.strerror}") from None
    except Exception as error:  # dnslib raises assorted errors on garbage
        raise StatsQueryError(f"unreadable reply from {host} port {port}: {error}") from None
    return read_stats_reply(reply)


def _exchange_tcp(family: int, host: str, port: int, wire: bytes, timeout: float) -> bytes:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect((host, port))
        sock.sendall(len(wire).to_bytes(2, "big") + wire)
        length = int.from_bytes(_recv_exactly(sock, 2), "big")
        return _recv_exactly(sock, length)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise StatsQueryError("connection closed in the middle of the reply")
        data += chunk
    return data
