"""RRset cache and negative cache: TTL arithmetic and trust ranking on cachetools.

Records are kept per RRset (owner name, type, class), as RFC 2181 §5 asks, with the trust level of
the section they came from (RFC 2181 §5.4.1) so that glue never overwrites an authoritative
answer. Negative answers (NXDOMAIN, NODATA) are kept per RFC 2308 with the zone's SOA.

Pure: no I/O, time comes from an injectable clock (float seconds), so tests use a fake clock.
Not thread-safe: one event loop owns a cache; callers must not share it across threads.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cachetools import TLRUCache
from dnslib import CLASS, QTYPE, RCODE, RR, DNSLabel

Clock = Callable[[], float]

# A remaining lifetime is rounded up to whole seconds, so a live entry is never served with TTL 0;
# this slack absorbs float error in (expires - now) so 299.0000000001 still reads as 299.
_TTL_EPSILON = 1e-6

DEFAULT_MAX_TTL = 86_400  # a day: bounds how long bad data can live (Unbound's cache-max-ttl)
DEFAULT_MAX_NEGATIVE_TTL = 10_800  # 3 hours: RFC 2308 §5 suggests 1-3 hours for negative data


class Trust(enum.IntEnum):
    """RFC 2181 §5.4.1 ranking of where data came from, low to high (Unbound's rrset_trust)."""

    NONAUTH_EXTRA = 0  # authority/additional of a non-AA *answer*: never replaces a delegation
    ADDITIONAL = 1  # glue (additional section of a referral) and additional data of AA replies
    AUTHORITY = 2  # a referral's NS set: the parent's view of the delegation
    ANSWER_NONAUTH = 3  # answer without AA, and the CNAME chain beyond the QNAME's own RRset
    AUTH_AUTHORITY = 4  # authority section of an authoritative reply (apex NS, SOA)
    AUTH_ANSWER = 5  # the QNAME's own RRset in an answer with AA=1


class Section(enum.Enum):
    ANSWER = "answer"
    AUTHORITY = "authority"
    ADDITIONAL = "additional"


def trust_of(section: Section, *, aa: bool, referral: bool = False, chain_index: int = 0) -> Trust:
    """The trust a record earns from where it arrived (RFC 2181 §5.4.1).

    `referral`: the reply delegates (its NS set is the parent's view, even with AA=1, since NS
    records at a cut are not the parent's authoritative data). `chain_index`: the position of the
    RRset's owner in the answer's CNAME chain, 0 for the QNAME itself; only the QNAME's own RRset
    of an AA answer is authoritative, the rest of the chain may belong to other zones.
    """
    if section is Section.ANSWER:
        return Trust.AUTH_ANSWER if aa and chain_index == 0 else Trust.ANSWER_NONAUTH
    if referral:
        return Trust.AUTHORITY if section is Section.AUTHORITY else Trust.ADDITIONAL
    if not aa:
        return Trust.NONAUTH_EXTRA
    return Trust.AUTH_AUTHORITY if section is Section.AUTHORITY else Trust.ADDITIONAL


@dataclass(frozen=True)
class CachedRRset:
    """One RRset as served from the cache; records are fresh copies with the remaining TTL."""

    name: str
    rtype: int
    rclass: int
    trust: Trust
    records: tuple[RR, ...]
    ttl: int


@dataclass(frozen=True)
class NegativeEntry:
    """A cached negative answer; rtype None means NXDOMAIN (the whole name does not exist)."""

    name: str
    rtype: int | None
    rcode: int
    soa: tuple[RR, ...]
    ttl: int


@dataclass(frozen=True, slots=True)
class _Stored:
    """What the cache holds: the records as received plus the absolute expiry time."""

    name: str  # owner as first seen (case preserved for answers)
    rtype: int | None
    rclass: int
    trust: Trust
    rcode: int  # NOERROR for positive data
    records: tuple[RR, ...]
    expires: float


def canonical_name(name: str | DNSLabel) -> str:
    """The cache key form of a domain name: lower-case, absolute (trailing dot)."""
    text = str(name).lower()
    if not text.endswith("."):
        text += "."
    return text


def ancestors(name: str | DNSLabel) -> list[str]:
    """name itself, then each parent up to and including the root, in canonical form."""
    labels = DNSLabel(canonical_name(name)).label
    return [canonical_name(DNSLabel(labels[i:])) for i in range(len(labels) + 1)]


def group_rrsets(records: Iterable[RR]) -> list[list[RR]]:
    """Split a reply section into RRsets (owner case-insensitively, type, class), keeping order."""
    groups: dict[tuple[str, int, int], list[RR]] = {}
    for rr in records:
        groups.setdefault((canonical_name(rr.rname), rr.rtype, rr.rclass), []).append(rr)
    return list(groups.values())


def _remaining(expires: float, now: float) -> int:
    # Rounded up: an entry that is still live always carries TTL >= 1.
    return max(1, math.ceil(expires - now - _TTL_EPSILON))


def _with_ttl(rr: RR, ttl: int) -> RR:
    # rdata is shared, not copied: cached records are treated as immutable by every caller.
    return RR(rr.rname, rr.rtype, rr.rclass, ttl, rr.rdata)


def _dedupe(records: Iterable[RR]) -> tuple[RR, ...]:
    """Drop duplicate records (RFC 2181 §5: an RRset holds each RR once)."""
    # Bucket by a case-folded text form, then compare with dnslib's RD equality, which knows that
    # names compare case-insensitively but TXT strings do not.
    buckets: dict[str, list[RR]] = {}
    unique = []
    for rr in records:
        bucket = buckets.setdefault(str(rr.rdata).lower(), [])
        if not any(rr.rdata == other.rdata for other in bucket):
            bucket.append(rr)
            unique.append(rr)
    return tuple(unique)


class RRsetCache:
    """RRsets and negative answers with per-entry expiry and LRU eviction at maxsize.

    Positive and negative entries share one bound (maxsize counts both). Not thread-safe.
    """

    def __init__(
        self,
        maxsize: int = 100_000,
        *,
        max_ttl: int = DEFAULT_MAX_TTL,
        min_ttl: int = 0,
        max_negative_ttl: int = DEFAULT_MAX_NEGATIVE_TTL,
        clock: Clock = time.monotonic,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        if not 0 <= min_ttl <= max_ttl:
            raise ValueError("need 0 <= min_ttl <= max_ttl")
        if max_negative_ttl < 0:
            raise ValueError("max_negative_ttl must not be negative")
        self.max_ttl = max_ttl
        self.min_ttl = min_ttl
        self.max_negative_ttl = max_negative_ttl
        self._clock = clock
        # Keys: ("+", name, rtype, rclass) for RRsets, ("-", name, rtype|None) for negative data.
        self._entries: TLRUCache = TLRUCache(
            maxsize=maxsize, ttu=lambda _key, value, _now: value.expires, timer=clock
        )

    # -- positive data ------------------------------------------------------------------------

    def put(self, records: Iterable[RR], trust: Trust) -> bool:
        """Store one RRset; False if not stored.

        Not stored: empty input, any record with TTL 0 (the authority said "do not cache"), or a
        live entry of higher trust already present (equal or higher trust replaces). The TTL is
        the minimum over the records (RFC 2181 §5.2), clamped to [min_ttl, max_ttl].
        Raises ValueError if the records are not one RRset (mixed owner, type or class).
        """
        records = tuple(records)
        if not records:
            return False
        first = records[0]
        owner = canonical_name(first.rname)
        for rr in records[1:]:
            if (canonical_name(rr.rname), rr.rtype, rr.rclass) != (
                owner,
                first.rtype,
                first.rclass,
            ):
                raise ValueError(f"records for {owner} {first.rtype} are not one RRset")
        ttl = min(rr.ttl for rr in records)
        if ttl <= 0:
            return False
        ttl = min(max(ttl, self.min_ttl), self.max_ttl)
        if ttl <= 0:  # max_ttl of 0 disables caching
            return False
        key = ("+", owner, first.rtype, first.rclass)
        now = self._clock()
        existing = self._entries.get(key)
        if existing is not None and existing.trust > trust:
            return False
        self._entries[key] = _Stored(
            name=str(first.rname),
            rtype=first.rtype,
            rclass=first.rclass,
            trust=Trust(trust),
            rcode=RCODE.NOERROR,
            records=_dedupe(records),
            expires=now + ttl,
        )
        if trust >= Trust.ANSWER_NONAUTH and first.rclass == CLASS.IN:
            # Answer data proves the name (and this type) exists: drop what says otherwise.
            # Glue and referral data are too weak to overrule a negative answer.
            self._entries.pop(("-", owner, None), None)
            self._entries.pop(("-", owner, first.rtype), None)
        return True

    def get(
        self,
        name: str,
        rtype: int,
        rclass: int = CLASS.IN,
        *,
        min_trust: Trust = Trust.NONAUTH_EXTRA,
    ) -> CachedRRset | None:
        """The live RRset for (name, rtype, rclass) of at least min_trust, TTLs counted down."""
        with self._entries.timer as now:  # one instant for the liveness check and the TTL
            stored = self._entries.get(("+", canonical_name(name), rtype, rclass))
            if stored is None or stored.trust < min_trust:
                return None
            ttl = _remaining(stored.expires, now)
        return CachedRRset(
            name=stored.name,
            rtype=rtype,
            rclass=rclass,
            trust=stored.trust,
            records=tuple(_with_ttl(rr, ttl) for rr in stored.records),
            ttl=ttl,
        )

    def remove(self, name: str, rtype: int, rclass: int = CLASS.IN) -> None:
        """Forget one RRset (e.g. data a server turned out to be lame for)."""
        self._entries.pop(("+", canonical_name(name), rtype, rclass), None)

    def closest_zone_cut(self, name: str) -> tuple[str, CachedRRset] | None:
        """The deepest ancestor-or-self of name with a live cached NS RRset, and that RRset."""
        for zone in ancestors(name):
            ns = self.get(zone, QTYPE.NS)
            if ns is not None:
                return zone, ns
        return None

    # -- negative data (RFC 2308) -------------------------------------------------------------

    def put_negative(self, name: str, rtype: int | None, rcode: int, soa: RR) -> None:
        """Remember that name does not exist (NXDOMAIN) or has no rtype data (NOERROR/NODATA).

        The negative TTL is min(SOA TTL, SOA MINIMUM) (RFC 2308 §5), clamped by max_ttl and
        max_negative_ttl; a result of 0 is not cached. NXDOMAIN covers every type at name, so
        rtype is ignored for it. Raises ValueError for a non-SOA record or NOERROR without rtype.
        """
        if soa.rtype != QTYPE.SOA:
            raise ValueError("negative answers are cached with their zone's SOA record")
        if rcode == RCODE.NXDOMAIN:
            rtype = None
        elif rcode == RCODE.NOERROR:
            if rtype is None:
                raise ValueError("a NODATA answer is cached for one rtype")
        else:
            raise ValueError(f"rcode {rcode} is not a negative answer to cache")
        minimum = soa.rdata.times[4]
        ttl = min(soa.ttl, minimum, self.max_ttl, self.max_negative_ttl)
        if ttl <= 0:
            return
        owner = canonical_name(name)
        now = self._clock()
        self._entries[("-", owner, rtype)] = _Stored(
            name=str(name),
            rtype=rtype,
            rclass=CLASS.IN,
            trust=Trust.AUTH_AUTHORITY,
            rcode=rcode,
            records=(soa,),
            expires=now + ttl,
        )
        if rtype is not None:
            # The newer statement wins: a fresh NODATA overrides an older positive RRset.
            self._entries.pop(("+", owner, rtype, CLASS.IN), None)

    def get_negative(self, name: str, rtype: int) -> NegativeEntry | None:
        """A live NXDOMAIN entry for name (any rtype) or a NODATA entry for (name, rtype)."""
        owner = canonical_name(name)
        with self._entries.timer as now:
            stored = self._entries.get(("-", owner, None))
            if stored is None:
                stored = self._entries.get(("-", owner, rtype))
            if stored is None:
                return None
            ttl = _remaining(stored.expires, now)
        return NegativeEntry(
            name=stored.name,
            rtype=stored.rtype,
            rcode=stored.rcode,
            soa=tuple(_with_ttl(rr, ttl) for rr in stored.records),
            ttl=ttl,
        )

    def remove_negative(self, name: str, rtype: int | None) -> None:
        """Forget a negative entry (rtype None: the NXDOMAIN entry)."""
        self._entries.pop(("-", canonical_name(name), rtype), None)

    # -- housekeeping -------------------------------------------------------------------------

    def __len__(self) -> int:
        """Live entries, RRsets and negative ones together."""
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
