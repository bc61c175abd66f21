"""What an operator chooses about the nameserver, and the limits we chose for them."""

from __future__ import annotations

from dataclasses import dataclass, field

from resolver import memory, protocol

DEFAULT_PORT = protocol.DEFAULT_SERVER_PORT
# Loopback only by default: a resolver reachable from anywhere is an amplification weapon.
DEFAULT_ALLOW = ["127.0.0.0/8", "::1/128"]

# RFC 6891 §6.2.5 and DNS flag day 2020: 1232 octets keeps an IPv6 UDP reply inside one
# 1280-octet packet, so no answer depends on IP fragmentation. We advertise it and never send a
# larger UDP reply even when the client advertises more (Unbound's max-udp-size does the same).
EDNS_UDP_SIZE = protocol.EDNS_PAYLOAD
# RFC 1035 §4.2.1: without EDNS a UDP message is at most 512 octets.
CLASSIC_UDP_SIZE = protocol.CLASSIC_UDP_PAYLOAD


class ServerError(Exception):
    """The server cannot start (e.g. it may not bind its address); the message is one line."""


@dataclass
class ServerConfig:
    listen: list[tuple[str, int]] = field(
        default_factory=lambda: [("127.0.0.1", DEFAULT_PORT), ("::1", DEFAULT_PORT)]
    )
    allow: list[str] = field(default_factory=lambda: list(DEFAULT_ALLOW))
    # Distinct resolutions running at once; beyond it a new question is answered SERVFAIL at once,
    # so a flood of unique names costs bounded memory instead of a growing queue.
    max_inflight: int = 1000
    tcp_idle_timeout: float = 10.0  # RFC 7766 §6.2.3: close idle connections, seconds
    max_tcp_connections: int = 256  # each costs a socket and buffers; RFC 7766 §6.2.2
    stats_interval: float | None = None  # log a stats line every S seconds
    log_queries: bool = False
    # Bytes for the cache of packed replies (one per question x EDNS x DO): its share of the
    # cache size (resolver/memory.py); the resolver's own RRset cache sits behind it.
    answer_cache_bytes: int = memory.ServerShares.of(memory.DEFAULT_CACHE_SIZE).replies
    # Upper bound on one resolution as the server sees it; None = the resolver's lifetime + 1 s.
    # Past it the client gets SERVFAIL rather than silence.
    resolution_timeout: float | None = None
    # On SIGINT/SIGTERM, how long in-flight resolutions may finish before they get SERVFAIL.
    shutdown_grace: float = 2.0
    # Access control beyond `allow`: (network, action) with action allow, refuse, deny or
    # allow_snoop; the most specific network wins (resolver/server/access.py).
    access_control: list[tuple[str, str]] = field(default_factory=list)
    # Who may read the live counters (`CH TXT stats.resolver.`): like the control channel, the
    # operator's own machine by default; other clients get REFUSED for that one name.
    stats_from: list[str] = field(default_factory=lambda: list(DEFAULT_ALLOW))
    # Local zones (resolver/server/local_zones.py). The RFC 6303 / 6761 defaults are off for a
    # ServerConfig built in code and on for `resolve serve` (setting default-local-zones).
    default_local_zones: bool = False
    local_zones: list[tuple[str, str]] = field(default_factory=list)
    local_data: list[str] = field(default_factory=list)
    hosts_file: str | None = None
    blocklist_file: str | None = None
    blocklist_address: list[str] = field(default_factory=list)
    # Operation: the control socket, the cache kept across restarts, metrics, logging.
    control_socket: str | None = None
    cache_file: str | None = None
    metrics: tuple[str, int] | None = None
    user: str | None = None
    # Processes serving the same addresses with SO_REUSEPORT (resolver/server/workers.py).
    workers: int = 1
    log_level: str = "info"
    log_json: bool = False
