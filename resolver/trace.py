"""Typed events of a resolution walk: facts, never sentences. The iterator emits them;
`render.py` words them for people and `to_dict()` gives their JSON form.

Every event carries `depth` (0 for the main walk, 1 for a sub-resolution of an NS name's address,
and so on) and `elapsed` (seconds since the resolution started), so a renderer can nest and time
each hop. Reasons are enums (their values are stable JSON strings), so the API, the CLI and the
JSON trace report the same cause.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class CutSource(enum.StrEnum):
    """Where the walk found the zone cut it starts from."""

    HINTS = "hints"  # the root hints file (priming failed)
    PRIMING = "priming"  # the root hints, about to ask a root server for the root NS set
    CACHE = "cache"
    STUB = "stub"  # a configured stub zone (resolver/forwarder.py)


class SendReason(enum.StrEnum):
    """Why this query went out (to this server, over this protocol)."""

    FIRST = "first"  # the first query to this zone cut
    NEXT_SERVER = "next_server"  # the previous server failed or timed out
    RETRANSMIT = "retransmit"  # the same server again, with a longer timeout
    TRUNCATED = "truncated"  # the UDP reply had TC=1: again over TCP
    EDNS_REJECTED = "edns_rejected"  # FORMERR/NOTIMP to EDNS: again without it
    LAST_RESORT = "last_resort"  # parent-side glue after the child's addresses failed
    PROBE = "probe"  # every server is backed off: one is probed
    CASE_NOT_ECHOED = "case_not_echoed"  # 0x20: the server changed the question's case


class Problem(enum.StrEnum):
    """Why a server gave no usable reply (beyond what its response says)."""

    FORBIDDEN = "forbidden"  # the address policy does not let us query that address
    UNREACHABLE = "unreachable"  # network error, refused connection
    MALFORMED = "malformed"  # the reply could not be parsed
    CYCLIC_DEPENDENCY = "cyclic_dependency"  # the NS name's address needs this very lookup
    CASE_NOT_ECHOED = "case_not_echoed"  # 0x20: the reply's question had another letter case


class Section(enum.StrEnum):
    """The section of a reply a record came from (RFC 1035 4.1)."""

    ANSWER = "answer"
    AUTHORITY = "authority"
    ADDITIONAL = "additional"


class CacheWhat(enum.StrEnum):
    ANSWER = "answer"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    CNAME = "cname"
    DNAME = "dname"
    ZONE_CUT = "zone_cut"
    FAILURE = "failure"  # a recent failure of the same question (RFC 9520)
    STALE = "stale"  # expired data served because resolving failed (RFC 8767)


class MinimiseFallback(enum.StrEnum):
    """Why QNAME minimisation (RFC 9156) stopped and the full name was asked instead."""

    REFUSED = "refused"  # the server refused the shortened name
    SERVFAIL = "servfail"
    FORMERR = "formerr"
    NOTIMP = "notimp"
    NXDOMAIN = "nxdomain"  # unsigned NXDOMAIN may be a broken server's empty non-terminal
    LAME = "lame"  # a reply that made no sense for the shortened name
    MAX_STEPS = "max_steps"  # MAX_MINIMISE_COUNT shortened queries were sent


class Cause(enum.StrEnum):
    """Why a resolution ended in SERVFAIL."""

    NO_REACHABLE_AUTHORITY = "no_reachable_authority"  # every server timed out or was unreachable
    NO_SERVER_ADDRESS = "no_server_address"  # no address could be found for any NS name
    SERVERS_FAILED = "servers_failed"  # servers answered, but lame, refused or broken
    BACKED_OFF = "backed_off"  # every server of the zone is backed off after timeouts
    LIMIT = "limit"  # a resolution limit was reached
    LIFETIME = "lifetime"  # the resolution's deadline passed
    CACHED_FAILURE = "cached_failure"  # the same question failed moments ago (RFC 9520)
    DNSSEC_BOGUS = "dnssec_bogus"  # the answer failed DNSSEC validation (RFC 4035 §5.5)


@dataclass(frozen=True)
class Failure:
    """The one agreed cause of a failed resolution, for the API, the CLI and the server."""

    cause: Cause
    zone: str = ""  # the zone whose servers failed
    limit: str = ""  # for LIMIT and LIFETIME: the limit's name, e.g. "max_referrals"
    value: float = 0
    subject: str = ""  # the name the limit or failure concerned
    reason: str = ""  # for DNSSEC_BOGUS: the resolver.dnssec Reason value
    ede: int | None = None  # for DNSSEC_BOGUS: the Extended DNS Error code (RFC 8914)


@dataclass(frozen=True)
class TraceEvent:
    depth: int
    elapsed: float

    @property
    def kind(self) -> str:
        return _KINDS[type(self)]

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **asdict(self)}


@dataclass(frozen=True)
class ResolutionStarted(TraceEvent):
    """A walk (or a sub-walk, depth > 0) begins for qname/qtype."""

    qname: str
    qtype: str
    ns_of_zone: str = ""  # a sub-walk: qname is a name server of this zone, given without glue


@dataclass(frozen=True)
class ZoneCutChosen(TraceEvent):
    """Where the walk starts: the closest enclosing zone whose servers we know."""

    zone: str
    ns_names: tuple[str, ...]
    source: CutSource


@dataclass(frozen=True)
class ZoneCutSkipped(TraceEvent):
    """A cached zone cut no server address is known for, whose NS names all lie inside it
    (the glue expired before the NS set): the walk goes to the parent for fresh glue."""

    zone: str
    ns_names: tuple[str, ...]


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
    why: SendReason = SendReason.FIRST
    attempt: int = 0  # retransmissions of this question to this server before this one
    timeout: float = 0.0


@dataclass(frozen=True)
class ResponseReceived(TraceEvent):
    zone: str
    server_name: str
    address: str
    protocol: str
    rcode: str
    classification: str  # classify.Kind, or "truncated" / "edns_rejected"
    rtt: float
    size: int
    aa: bool
    records: tuple[str, ...] = ()  # the records that matter, in zone-file text
    sections: tuple[Section, ...] = ()  # the section each of `records` came from
    qname: str = ""
    qtype: str = ""
    answers: int = 0  # records of the asked type at the end of the chain
    canonical_name: str = ""
    referral_zone: str = ""
    ns_names: int = 0
    glue: int = 0
    lame_reason: str = ""  # classify's LameReason, for lame replies
    provisional: bool = False  # an empty NOERROR without SOA: other servers are tried first


@dataclass(frozen=True)
class ServerTimeout(TraceEvent):
    zone: str
    server_name: str
    address: str
    protocol: str
    timeout: float


@dataclass(frozen=True)
class ServerFailed(TraceEvent):
    """A server was skipped without a usable reply: see `problem`."""

    zone: str
    server_name: str
    address: str
    problem: Problem
    detail: str = ""  # the operating system's words for a network error


@dataclass(frozen=True)
class Referral(TraceEvent):
    from_zone: str
    to_zone: str
    ns_names: tuple[str, ...]
    glue: tuple[str, ...]  # "ns1.example.com. 192.0.2.1" for each in-bailiwick glue address used


@dataclass(frozen=True)
class Scrubbed(TraceEvent):
    """Records dropped from a response before caching, each with its scrub reason."""

    server_name: str
    zone: str
    records: tuple[str, ...]
    reasons: tuple[str, ...] = ()  # scrub.DropReason per record


@dataclass(frozen=True)
class CacheHit(TraceEvent):
    name: str
    qtype: str
    what: CacheWhat
    ttl: int
    records: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrefetchStarted(TraceEvent):
    """A cached answer was handed out in the last tenth of its TTL (prefetch.py): a walk for
    it now runs in the background, so the next client finds fresh data."""

    name: str
    qtype: str
    ttl: int  # what was left of it
    original_ttl: int  # what it was stored with


@dataclass(frozen=True)
class CnameRestart(TraceEvent):
    """A CNAME (or a DNAME's synthesised CNAME) sends the walk to a new name."""

    from_name: str
    to_name: str
    dname: bool = False


@dataclass(frozen=True)
class SubResolutionDone(TraceEvent):
    """The address lookup of an NS name (started with ResolutionStarted at depth+1) ended."""

    ns_name: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class MinimisationStopped(TraceEvent):
    """QNAME minimisation gave up for this walk: the full name goes to the zone's servers."""

    zone: str
    qname: str  # the shortened name that was asked
    reason: MinimiseFallback


@dataclass(frozen=True)
class LimitReached(TraceEvent):
    limit: str  # the Limits field, e.g. "max_cname_links"
    value: int | float
    subject: str = ""  # the name or zone it concerned


@dataclass(frozen=True)
class ResolutionFinished(TraceEvent):
    qname: str
    qtype: str
    rcode: str
    records: tuple[str, ...] = field(default_factory=tuple)
    upstream_queries: int = 0
    failure: Failure | None = None


@dataclass(frozen=True)
class TrustEstablished(TraceEvent):
    """The DS -> DNSKEY step at one zone cut (RFC 4035 §5.2): how trust entered `zone`.

    `ds` lists the DS records (key tag, algorithm, digest type) the parent vouched for (or the
    trust anchor held); `matched` those a DNSKEY matched. `security` and `reason` are the
    resolver.dnssec Security and Reason values; `cached` marks a result reused from the cache.
    """

    zone: str
    security: str
    reason: str = ""
    parent: str = ""  # the zone whose signed DS (or proof of no DS) decided; "" for an anchor
    anchor: bool = False  # the DS came from a trust anchor
    ds: tuple[tuple[int, int, int], ...] = ()
    matched: tuple[tuple[int, int, int], ...] = ()
    key_tag: int | None = None  # the key whose RRSIG over the DNSKEY RRset verified (or failed)
    algorithm: int | None = None
    cached: bool = False


@dataclass(frozen=True)
class AnswerValidated(TraceEvent):
    """The verdict on one response of `zone` with its trusted keys (RFC 4035 §5.3-5.4)."""

    zone: str
    qname: str
    qtype: str
    response: str  # answer / nxdomain / nodata / referral (resolver.dnssec.ResponseKind values)
    security: str
    reason: str = ""
    key_tag: int | None = None  # the key whose RRSIG covered the data (or failed)
    algorithm: int | None = None
    about: str = ""  # the RRset the verdict is about ("owner TYPE")
    wildcard: str = ""  # the wildcard a secure answer was expanded from
    cached: bool = False


_KINDS: dict[type, str] = {
    ResolutionStarted: "resolution_started",
    ZoneCutChosen: "zone_cut",
    ZoneCutSkipped: "zone_cut_skipped",
    QuerySent: "query_sent",
    ResponseReceived: "response",
    ServerTimeout: "timeout",
    ServerFailed: "server_failed",
    Referral: "referral",
    Scrubbed: "scrubbed",
    CacheHit: "cache_hit",
    PrefetchStarted: "prefetch_started",
    CnameRestart: "cname_restart",
    SubResolutionDone: "subresolution_done",
    LimitReached: "limit_reached",
    MinimisationStopped: "minimisation_stopped",
    ResolutionFinished: "resolution_finished",
    TrustEstablished: "trust",
    AnswerValidated: "validated",
}
