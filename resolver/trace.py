"""Typed events of a resolution walk. The iterator emits them; the CLI and server render them.

Every event carries `depth` (0 for the main walk, 1 for a sub-resolution of an NS name's address,
and so on) and `elapsed` (seconds since the resolution started), so a renderer can nest and time
each hop. `to_dict()` gives the JSON form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class TraceEvent:
    depth: int
    elapsed: float

    @property
    def kind(self) -> str:
        return _KINDS[type(self)]

    def to_dict(self) -> dict:
        return {"event": self.kind, **asdict(self)}


@dataclass(frozen=True)
class ResolutionStarted(TraceEvent):
    """A walk (or a sub-walk, depth > 0) begins for qname/qtype; `reason` says why a sub-walk."""

    qname: str
    qtype: str
    reason: str = ""


@dataclass(frozen=True)
class ZoneCutChosen(TraceEvent):
    """Where the walk starts: the closest enclosing zone whose servers we know."""

    zone: str
    ns_names: tuple[str, ...]
    source: str  # "root hints", "cache", "priming"


@dataclass(frozen=True)
class QuerySent(TraceEvent):
    zone: str
    server_name: str
    address: str
    port: int
    protocol: str  # "udp" or "tcp"
    qname: str
    qtype: str
    edns: bool
    reason: str = (
        ""  # why this server / protocol: "", "retry after timeout of ...", "truncated over UDP"
    )


@dataclass(frozen=True)
class ResponseReceived(TraceEvent):
    zone: str
    server_name: str
    address: str
    protocol: str
    rcode: str
    classification: str  # answer, cname, referral, nxdomain, nodata, lame, error, truncated
    summary: str  # one line in plain words: "referral to edu. - 6 NS, 6 glue addresses"
    rtt: float
    size: int
    aa: bool
    records: tuple[str, ...] = ()  # the records that matter, in zone-file text


@dataclass(frozen=True)
class ServerTimeout(TraceEvent):
    zone: str
    server_name: str
    address: str
    protocol: str
    timeout: float


@dataclass(frozen=True)
class ServerFailed(TraceEvent):
    """A server was skipped: network error, lame, refused, malformed reply, forbidden address."""

    zone: str
    server_name: str
    address: str
    reason: str


@dataclass(frozen=True)
class Referral(TraceEvent):
    from_zone: str
    to_zone: str
    ns_names: tuple[str, ...]
    glue: tuple[str, ...]  # "ns1.example.com. 192.0.2.1" for each in-bailiwick glue address used


@dataclass(frozen=True)
class Scrubbed(TraceEvent):
    """Records dropped from a response before caching (out of bailiwick or unrelated)."""

    server_name: str
    zone: str
    records: tuple[str, ...]


@dataclass(frozen=True)
class CacheHit(TraceEvent):
    name: str
    qtype: str
    what: str  # "answer", "negative answer", "CNAME", "zone cut", "server address"
    ttl: int
    records: tuple[str, ...] = ()


@dataclass(frozen=True)
class CnameRestart(TraceEvent):
    """A CNAME sends the walk to a new name, from the closest zone cut known for it."""

    from_name: str
    to_name: str


@dataclass(frozen=True)
class SubResolutionDone(TraceEvent):
    """The address lookup of an NS name (started with ResolutionStarted at depth+1) ended."""

    ns_name: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class LimitReached(TraceEvent):
    limit: str  # the named constant, e.g. "MAX_CNAME_LINKS"
    value: int | float
    detail: str = ""


@dataclass(frozen=True)
class ResolutionFinished(TraceEvent):
    qname: str
    qtype: str
    rcode: str
    records: tuple[str, ...] = field(default_factory=tuple)
    upstream_queries: int = 0


_KINDS: dict[type, str] = {
    ResolutionStarted: "resolution_started",
    ZoneCutChosen: "zone_cut",
    QuerySent: "query_sent",
    ResponseReceived: "response",
    ServerTimeout: "timeout",
    ServerFailed: "server_failed",
    Referral: "referral",
    Scrubbed: "scrubbed",
    CacheHit: "cache_hit",
    CnameRestart: "cname_restart",
    SubResolutionDone: "subresolution_done",
    LimitReached: "limit_reached",
    ResolutionFinished: "resolution_finished",
}
