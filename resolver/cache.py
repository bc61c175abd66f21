"""RRset cache and negative cache: TTL arithmetic and trust ranking, bounded in bytes.

Records are kept per RRset (owner name, type, class), as RFC 2181 §5 asks, with the trust level of
the section they came from (RFC 2181 §5.4.1) so that glue never overwrites an authoritative
answer. Negative answers (NXDOMAIN, NODATA) are kept per RFC 2308 with the zone's SOA, and
resolution failures (no usable answer at all) briefly per RFC 9520.

One TTL rule covers everything handed out: `clamp()` and `clamp_negative()` give records the TTL
the cache itself would give them, so a first answer and the later cached copy agree.

Entries are compact bytes (resolver/cache_entry.py) in a least-recently-used map bounded in
bytes (resolver/lru.py); `stamp()` tells whether an RRset is still the one stored earlier
without rebuilding its records.

Pure: no I/O, time comes from an injectable clock (float seconds), so tests use a fake clock.
Not thread-safe: one event loop owns a cache; callers must not share it across threads.
"""

from __future__ import annotations

import enum
import functools
import itertools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from dnslib import CLASS, QTYPE, RCODE, RR, DNSLabel

from resolver import cache_entry, soa_wire
from resolver.cache_entry import Head
from resolver.lru import ByteLRU
from resolver.memory import DEFAULT_CACHE_SIZE, RESOLVER_SPLIT
from resolver.protocol import NOERROR, NXDOMAIN, TYPE_SOA

Clock = Callable[[], float]

# A remaining lifetime is rounded up to whole seconds, so a live entry is never served with TTL 0;
# this slack absorbs float error in (expires - now) so 299.0000000001 still reads as 299.
_TTL_EPSILON = 1e-6

# dnslib's CLASS and QTYPE look their names up on every use: plain numbers on hot paths.

DEFAULT_MAX_TTL = 86_400  # a day: bounds how long bad data can live (Unbound's cache-max-ttl)
DEFAULT_MAX_NEGATIVE_TTL = 10_800  # 3 hours: RFC 2308 §5 suggests 1-3 hours for negative data
MAX_RFC2181_TTL = 2**31 - 1  # RFC 2181 §8: the largest TTL; no configured maximum may exceed it
# The RRset cache's share of the default cache size (resolver/memory.py).
DEFAULT_MAX_BYTES = int(DEFAULT_CACHE_SIZE * RESOLVER_SPLIT["rrsets"])

# RFC 9520 §3 (resolution failures): cache each failure for at least 1 s, back off for repeated
# failures, never longer than 5 minutes. We start at the 1 s floor and double per consecutive
# failure of the same question, but stop at 5 s, far below the RFC's 5-minute ceiling: a lab or
# real zone that comes back is then answered again within seconds, while a dead zone still costs
# at most one walk per question every 5 s.
FAILURE_TTL_MIN = 1
FAILURE_TTL_MAX = 5
# A new failure within this long after the previous one stopped being served continues its
# streak (and doubles); after a longer quiet spell the back-off starts again at FAILURE_TTL_MIN.
FAILURE_STREAK_WINDOW = FAILURE_TTL_MAX


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
    original_ttl: int = 0  # the TTL it was stored with (prefetch reads the fraction left)
    security: str | None = None  # DNSSEC status (resolver.dnssec.Security value); None: unchecked
    rrsigs: tuple[RR, ...] = ()  # the RRSIGs that covered the records, same TTL


@dataclass(frozen=True)
class NegativeEntry:
    """A cached negative answer; rtype None means NXDOMAIN (the whole name does not exist)."""

    name: str
    rtype: int | None
    rcode: int
    soa: tuple[RR, ...]
    ttl: int
    trust: Trust = Trust.AUTH_AUTHORITY
    security: str | None = None  # DNSSEC status of the denial; None: unchecked
    proof: tuple[RR, ...] = ()  # NSEC/NSEC3 records and RRSIGs that proved it


@dataclass(frozen=True)
class FailureEntry:
    """A remembered resolution failure (RFC 9520): why, and for how many more seconds."""

    name: str
    rtype: int
    reason: str
    ttl: int
    failures: int  # consecutive failures of this question, this one included
    ede: int | None = None  # the Extended DNS Error code the failure carried, if any


@dataclass(frozen=True)
class _Stored:
    """One entry as `RRsetCache.items()` shows it (rebuilt from its compact form)."""

    name: str  # owner as first seen (case preserved for answers)
    rtype: int | None
    rclass: int
    trust: Trust
    rcode: int  # NOERROR for positive data
    records: tuple[RR, ...]
    expires: float
    serial: int  # store order: an NXDOMAIN hides only positive data stored before it
    ttl: int = 0  # the TTL given when stored
    security: str | None = None
    extra: tuple[RR, ...] = ()  # RRSIGs beside positive data; the proof beside negative data


@dataclass(frozen=True)
class _Failure:
    """A resolution failure: served until `until`, its streak remembered until `expires`."""

    name: str
    reason: str
    failures: int
    until: float
    expires: float
    ede: int | None = None


@dataclass(frozen=True)
class Stamp:
    """Which stored RRset a lookup would return, without its records: `serial` changes
    whenever the RRset is stored again (or replaced), `expires` is when it stops being served
    (on the cache's clock)."""

    serial: int
    expires: float


# What stamps_hold checks of one RRset, prepared by stamp_checks: its key, the NXDOMAIN key of
# its owner, the first octets its entry still has (None: it was absent), owner, type, stamp.
StampCheck = tuple[str, str, bytes | None, str, int, Stamp | None]


# Keys of the compact store (strings, since canonical names never contain a space):
# "owner rtype rclass" for an RRset, "owner -rtype" for NODATA, "owner -" for NXDOMAIN,
# "owner !rtype" for a resolution failure. items() and discard() show the tuple form;
# may_answer() writes the forms out itself.
def _positive_key(owner: str, rtype: int, rclass: int) -> str:
    return f"{owner} {rtype} {rclass}"


def _negative_key(owner: str, rtype: int | None) -> str:
    return f"{owner} -" if rtype is None else f"{owner} -{rtype}"


def _failure_key(owner: str, rtype: int) -> str:
    return f"{owner} !{rtype}"


def _key_tuple(key: str) -> tuple:
    owner, _, rest = key.partition(" ")
    if rest[0] == "-":
        return ("-", owner, int(rest[1:]) if len(rest) > 1 else None)
    if rest[0] == "!":
        return ("!", owner, int(rest[1:]))
    rtype, rclass = rest.split()
    return ("+", owner, int(rtype), int(rclass))


def _key_text(key: tuple) -> str:
    if key[0] == "+":
        return _positive_key(key[1], key[2], key[3])
    if key[0] == "-":
        return _negative_key(key[1], key[2])
    return _failure_key(key[1], key[2])


def canonical_name(name: str | DNSLabel) -> str:
    """The cache key form of a domain name: lower-case, absolute (trailing dot)."""
    text = (name if type(name) is str else str(name)).lower()
    return text if text[-1:] == "." else text + "."


# A name in plain text: labels of 1 to 63 printable ASCII octets, no backslash escape, no space,
# each ending in a dot. Its ancestors are its own suffixes: no DNSLabel needed (a cache miss asks
# for a name's ancestors several times, and DNSLabel's parse and print cost ~30 µs a name).


@functools.lru_cache(maxsize=256)  # a walk step asks for its name's ancestors several times
def _plain_ancestors(text: str) -> tuple[str, ...] | None:
    """The ancestors of a canonical name in plain text, None for any other name."""
    # Checked with str methods and the label loop below, not a regular expression (a third
    # of the work on a never-seen name): octets 0x21-0x7E but the dot and the backslash.
    if (not text.isascii() or not text.isprintable() or " " in text or "\\" in text
            or text[-1:] != "." or text[:1] == "." or ".." in text):
        return None
    found = [text]
    start, end = 0, len(text)
    dot = text.find(".")
    while True:
        if dot - start > 63:  # a label longer than 63 octets
            return None
        start = dot + 1
        if start == end:
            break
        found.append(text[start:])
        dot = text.find(".", start)
    found.append(".")
    return tuple(found)


def ancestors(name: str | DNSLabel) -> list[str]:
    """name itself, then each parent up to and including the root, in canonical form."""
    text = canonical_name(name)
    plain = _plain_ancestors(text)
    if plain is not None:
        return list(plain)
    # Escapes, spaces, non-ASCII (IDNA), bad labels: dnslib decides, and may raise.
    labels = DNSLabel(text).label
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
    return cache_entry.with_ttl(rr, ttl)


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
    """RRsets, negative answers and resolution failures with per-entry expiry, bounded in bytes.

    Positive, negative and failure entries share one bound, `max_bytes`: each entry counts by
    its real size (resolver/cache_entry.py: the wire length of its records plus a measured
    overhead), and the least recently used entries leave first when a new one does not fit.
    Entries are compact bytes (no dnslib objects, nothing for the garbage collector to walk);
    records are rebuilt on the way out. Not thread-safe.
    """

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        max_ttl: int = DEFAULT_MAX_TTL,
        min_ttl: int = 0,
        max_negative_ttl: int = DEFAULT_MAX_NEGATIVE_TTL,
        clock: Clock = time.monotonic,
        stale_window: int = 0,
    ) -> None:
        """`stale_window` (seconds, serve-stale RFC 8767): expired RRsets and negative answers
        are kept that much longer, for get_stale() only; every other read sees fresh data."""
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        if not 0 <= min_ttl <= max_ttl:
            raise ValueError("need 0 <= min_ttl <= max_ttl")
        if max_negative_ttl < 0:
            raise ValueError("max_negative_ttl must not be negative")
        # No TTL handed out may exceed RFC 2181 §8's 2**31 - 1, whatever was configured.
        self.max_ttl = min(max_ttl, MAX_RFC2181_TTL)
        self.min_ttl = min(min_ttl, MAX_RFC2181_TTL)
        self.max_negative_ttl = max_negative_ttl
        self._clock = clock
        self._serials = itertools.count()
        self.stale_window = stale_window
        # Keys: see _positive_key and friends. Values: compact entries (bytes) for data,
        # (name, reason, failures, until, expires, ede) tuples for failures.
        self._entries: ByteLRU[str, bytes | tuple] = ByteLRU(max_bytes, cache_entry.entry_bytes)
        # Whether a DNAME RRset was ever stored: until then no walk probes for one (sticky).
        self.holds_dname = False

    @property
    def clock(self) -> Clock:
        """The clock the cache's expiry times are read from."""
        return self._clock

    @property
    def max_bytes(self) -> int:
        """The bound on `used_bytes`."""
        return self._entries.max_bytes

    @property
    def used_bytes(self) -> int:
        """The accounted size of every entry held (live, stale or expired but not yet read)."""
        return self._entries.used

    def _lookup(self, key: str, now: float) -> bytes | None:
        """The data entry at key, unless past its expiry plus the stale window (then gone)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        data = cast(bytes, entry)  # data keys ("+", "-") hold bytes; failures ("!") tuples
        if cache_entry.expires_of(data) + self.stale_window <= now:
            self._entries.pop(key)
            return None
        return data

    def _fresh(self, key: str, now: float) -> Head | None:
        """The head of the entry at key if its TTL has not run out (a kept stale one has)."""
        entry = self._lookup(key, now)
        if entry is None:
            return None
        fields = cache_entry.head(entry)
        return fields if fields.expires > now else None

    def _failure(self, key: str, now: float) -> tuple[Any, ...] | None:
        found = self._entries.get(key)
        if found is None:
            return None
        failure = cast(tuple[Any, ...], found)
        if failure[4] <= now:  # its streak is over
            self._entries.pop(key)
            return None
        return failure

    # -- the TTL rule -------------------------------------------------------------------------

    def _clamp_ttl(self, ttl: int) -> int:
        """The TTL the cache gives a record that arrived with `ttl` (0: not cached).

        The wire field is an unsigned 32-bit number. RFC 8767 §4 updates RFC 2181 §8: a value
        with the high-order bit set is read as the large positive number it is (not as 0, as
        RFC 2181 had it), and so is capped at the configured maximum like any other TTL that is
        too long. TTL 0 stays 0: the data may be used for the transaction at hand only
        (RFC 1035 §3.2.1), so min_ttl does not apply to it.
        """
        if ttl <= 0:
            return 0
        return min(max(ttl, self.min_ttl), self.max_ttl)

    def clamp(self, records: Iterable[RR]) -> list[RR]:
        """Copies of records with the TTL the cache gives them, in the order given.

        Per RRset (RFC 2181 §5.2: one TTL per RRset, the minimum of its records), clamped to
        [min_ttl, max_ttl] with the RFC 8767 §4 reading of TTLs over 2**31 - 1. Records of
        several RRsets may be passed together. An RRset with a TTL-0 record comes back with
        TTL 0: usable for this answer, not cached. Hand these to clients, not the originals.
        """
        records = list(records)
        ttls: dict[tuple[str, int, int], int] = {}
        for rr in records:
            key = (canonical_name(rr.rname), rr.rtype, rr.rclass)
            ttls[key] = min(ttls.get(key, rr.ttl), rr.ttl)
        return [
            _with_ttl(rr, self._clamp_ttl(ttls[(canonical_name(rr.rname), rr.rtype, rr.rclass)]))
            for rr in records
        ]

    def negative_ttl(self, soa: RR) -> int:
        """How long a negative answer carrying `soa` is cached, in seconds (0: not cached).

        RFC 2308 §5: min(SOA TTL, SOA MINIMUM), here also bounded by max_negative_ttl and
        max_ttl. Both SOA fields are unsigned 32-bit values; one with the high bit set is large
        and so loses to the caps (RFC 8767 §4). Raises ValueError for a non-SOA record.
        """
        if type(soa) is soa_wire.WireSOA:
            fields = soa.__dict__
            wire = fields["wire"]
            if wire is not None:  # read from the wire: MINIMUM is its last four octets
                minimum = int.from_bytes(wire[1][-4:], "big")
                return max(0, min(fields["_ttl"], minimum, self.max_negative_ttl, self.max_ttl))
        _, rtype, _, ttl, rdata = cache_entry.record_fields(soa)
        if rtype != TYPE_SOA:
            raise ValueError("negative answers are cached with their zone's SOA record")
        return max(0, min(ttl, rdata.times[4], self.max_negative_ttl, self.max_ttl))

    def clamp_negative(self, soa: RR) -> RR:
        """A copy of `soa` with the negative TTL, as the authority section of a negative answer
        carries it (RFC 2308 §3) and as the cache would serve it."""
        if type(soa) is soa_wire.WireSOA:
            return soa_wire.with_ttl(soa, self.negative_ttl(soa))  # its octets are shared
        return _with_ttl(soa, self.negative_ttl(soa))

    # -- positive data ------------------------------------------------------------------------

    def put(
        self, records: Iterable[RR], trust: Trust, *, security: str | None = None,
        rrsigs: Iterable[RR] = (),
    ) -> bool:
        """Store one RRset; False if not stored.

        Not stored: empty input, any record with TTL 0 (the authority said "do not cache"), a
        live entry of higher trust already present (equal or higher trust replaces), or an
        RRset larger than the whole cache. The TTL is the one clamp() gives. Replacing a live NS
        RRset (at any trust), or a live A/AAAA RRset with data weaker than an answer (glue,
        referral, non-AA extra data), never moves its expiry later: the ghost-domain defence
        (CVE-2012-1033), so a delegation the parent has removed dies when its original TTL runs
        out even while the child keeps re-sending it. The very same RRset again (records,
        trust, status, signatures) whose expiry would not move stays as stored, with its stamp.
        Clears a failure entry for (owner, type), even when the RRset itself is not stored.
        Raises ValueError if the records are not one RRset (mixed owner, type or class).
        `security` is the RRset's DNSSEC status, `rrsigs` the signatures kept beside it.
        """
        records = tuple(records)
        if not records:
            return False
        first = records[0]
        text = str(first.rname)
        owner = canonical_name(text)
        for rr in records[1:]:
            if (canonical_name(rr.rname), rr.rtype, rr.rclass) != (
                owner,
                first.rtype,
                first.rclass,
            ):
                raise ValueError(f"records for {owner} {first.rtype} are not one RRset")
        # Data arrived for the question, whether or not it is kept: it no longer fails.
        self._entries.pop(_failure_key(owner, first.rtype))
        ttl = self._clamp_ttl(min(rr.ttl for rr in records))
        if ttl <= 0:  # a TTL-0 record, or max_ttl 0 (caching disabled)
            return False
        key = _positive_key(owner, first.rtype, first.rclass)
        now = self._clock()
        expires = now + ttl
        existing = self._fresh(key, now)
        if existing is not None:
            if existing.trust > trust:
                return False
            if _keeps_expiry(first.rtype, trust):
                expires = min(expires, existing.expires)
        # The owner's exact labels are kept only when the key's text does not give them back.
        exact = text == owner and "\\" not in text
        entry = cache_entry.pack(
            expires=expires, serial=next(self._serials), ttl=ttl, trust=int(trust),
            rcode=RCODE.NOERROR, security=security,
            name_wire=None if exact else first.rname, rdatas=_dedupe(records), extra=rrsigs,
        )  # fmt: skip
        kept = (existing is not None and expires == existing.expires
                and self._same_entry(key, entry, owner))
        if not kept and not self._entries.put(key, entry):
            return False
        if first.rtype == QTYPE.DNAME:
            self.holds_dname = True
        if trust >= Trust.ANSWER_NONAUTH and first.rclass == CLASS.IN:
            # Answer data proves the name (and this type) exists: drop what says otherwise.
            # Glue and referral data are too weak to overrule a negative answer.
            self._entries.pop(_negative_key(owner, None))
            self._entries.pop(_negative_key(owner, first.rtype))
        return True

    def _same_entry(self, key: str, entry: bytes, owner: str) -> bool:
        """Whether the live entry at key is `entry` but for its serial (same expiry, TTL, trust,
        status, records, signatures), with no NXDOMAIN at owner that a new serial would outrank:
        then it stays as it is, and so does its stamp. An NS RRset re-sent with every answer
        (its expiry held by the ghost-domain ceiling) thus keeps the zone-cut memo valid."""
        stored = self._entries.peek(key)
        return (type(stored) is bytes and cache_entry.same_but_serial(stored, entry)
                and self._entries.peek(_negative_key(owner, None)) is None)

    def _positive(
        self, owner: str, rtype: int, rclass: int, min_trust: Trust, now: float
    ) -> tuple[bytes, Head] | None:
        """The live RRset entry and its head, unless hidden by a newer NXDOMAIN (then gone)."""
        key = _positive_key(owner, rtype, rclass)
        # _lookup's work, with the head read once (the hot path of every cache probe).
        found = self._entries.get(key)
        if found is None:
            return None
        entry = cast(bytes, found)
        fields = cache_entry.head(entry)
        if fields.expires + self.stale_window <= now:
            self._entries.pop(key)
            return None
        if fields.expires <= now or fields.trust < min_trust:
            return None
        nxdomain_key = _negative_key(owner, None)
        if rclass == CLASS.IN and nxdomain_key in self._entries:
            nxdomain = self._fresh(nxdomain_key, now)
            if (
                nxdomain is not None
                and nxdomain.serial > fields.serial
                and nxdomain.trust >= fields.trust
            ):
                self._entries.pop(key)
                return None
        return entry, fields

    def get(
        self,
        name: str,
        rtype: int,
        rclass: int = CLASS.IN,
        *,
        min_trust: Trust = Trust.NONAUTH_EXTRA,
    ) -> CachedRRset | None:
        """The live RRset for (name, rtype, rclass) of at least min_trust, TTLs counted down.

        An RRset stored before a live NXDOMAIN for its name, and of no higher trust than that
        NXDOMAIN, is gone: the name was since found not to exist.
        """
        owner = canonical_name(name)
        now = self._clock()  # one instant for the liveness check and the TTL
        found = self._positive(owner, rtype, rclass, min_trust, now)
        if found is None:
            return None
        entry, fields = found
        ttl = _remaining(fields.expires, now)
        text, label = cache_entry.owner_of(entry, fields, owner)
        return CachedRRset(
            name=text,
            rtype=rtype,
            rclass=rclass,
            trust=_TRUST[fields.trust],
            records=cache_entry.unpack_rdatas(entry, fields, label, rtype, rclass, ttl),
            ttl=ttl,
            original_ttl=fields.ttl,
            security=cache_entry.SECURITY_CODES[fields.security],
            rrsigs=cache_entry.unpack_records(entry, fields.extra_at, len(entry), ttl),
        )

    def stamp(
        self, name: str, rtype: int, rclass: int = CLASS.IN, *,
        min_trust: Trust = Trust.NONAUTH_EXTRA,
    ) -> Stamp | None:
        """Which RRset get() would return now, without rebuilding its records: None when get()
        would return None, else its store serial and expiry. Equal stamps: the same RRset."""
        found = self._positive(canonical_name(name), rtype, rclass, min_trust, self._clock())
        if found is None:
            return None
        return Stamp(found[1].serial, found[1].expires)

    def may_answer(self, name: str, qtype: int) -> bool:
        """Whether anything is stored that could answer or deny name/qtype from the cache: its
        RRset, a CNAME at name, an NXDOMAIN at name or at a proper ancestor but the root
        (RFC 8020), a NODATA for qtype, a resolution failure (RFC 9520). Keys only, neither
        liveness nor trust: False means get, get_negative, nxdomain_above and get_failure
        would all find nothing, so a cache miss costs a few dict probes instead of them."""
        owner = canonical_name(name)
        data = self._entries.data
        # The keys of _positive_key, _negative_key and _failure_key, written out: a miss
        # costs these five probes and one per ancestor.
        if (f"{owner} {qtype} 1" in data or f"{owner} -" in data or f"{owner} -{qtype}" in data
                or f"{owner} !{qtype}" in data or f"{owner} 5 1" in data):
            return True
        plain = _plain_ancestors(owner)
        if plain is None:
            return True  # its ancestors come from dnslib: let the probes find them
        for parent in plain[1:-1]:  # noqa: SIM110 (any() over a generator costs a third more)
            if f"{parent} -" in data:
                return True
        return False

    def may_hold(self, owner: str, rtype: int) -> bool:
        """Whether an RRset is stored at (owner, rtype, IN), owner in canonical form: the key
        only, neither liveness nor trust. False means get() and stamp() find nothing, for the
        price of one probe (a never-seen name has no NS RRset: is it a zone cut?)."""
        return f"{owner} {rtype} 1" in self._entries.data  # _positive_key(owner, rtype, IN)

    def stamp_checks(self, rrsets: Iterable[tuple[str, int, Stamp | None]]
                     ) -> tuple[StampCheck, ...]:
        """What stamps_hold() asks about (owner, rtype, stamp) RRsets, owners in canonical form,
        worked out once: the zone-cut memo prepares them when it stores a cut and checks them
        on every use."""
        return tuple(
            (f"{owner} {rtype} 1", f"{owner} -",  # _positive_key(owner, rtype, IN), NXDOMAIN's
             None if stamp is None else cache_entry.stamp_prefix(stamp.expires, stamp.serial),
             owner, rtype, stamp)
            for owner, rtype, stamp in rrsets)

    def stamps_hold(self, checks: Iterable[StampCheck], now: float | None = None) -> bool:
        """Whether stamp(owner, rtype) is still `stamp` for each RRset of `checks`
        (stamp_checks()): what the zone-cut memo asks on every use. The common case (the same
        live entry, no NXDOMAIN at its owner; or still nothing stored) is read from the
        entry's first octets without building a Stamp; anything else asks stamp() itself.
        `now`: the caller's reading of this cache's clock (read here when not given)."""
        entries = self._entries
        data = entries.data
        if now is None:
            now = self._clock()
        held = []
        for key, nxdomain_key, prefix, owner, rtype, stamp in checks:
            entry = data.get(key)
            if entry is None:  # stamp() finds nothing either
                if stamp is None:
                    continue
                return False
            if (prefix is not None and now < stamp.expires  # type: ignore[union-attr]
                    and entry.startswith(prefix)  # type: ignore[union-attr]
                    and nxdomain_key not in data):  # no NXDOMAIN that could hide it
                held.append(key)
                continue
            if self.stamp(owner, rtype) != stamp:
                return False
        entries.use(held)  # a use each, as stamp() makes it: the zone's RRsets stay recent
        return True

    def remove(self, name: str, rtype: int, rclass: int = CLASS.IN) -> None:
        """Forget one RRset (e.g. data a server turned out to be lame for)."""
        self._entries.pop(_positive_key(canonical_name(name), rtype, rclass))

    def closest_zone_cut(self, name: str) -> tuple[str, CachedRRset] | None:
        """The deepest ancestor-or-self of name with a live cached NS RRset, and that RRset."""
        for zone in ancestors(name):
            ns = self.get(zone, QTYPE.NS)
            if ns is not None:
                return zone, ns
        return None

    # -- negative data (RFC 2308) -------------------------------------------------------------

    def put_negative(
        self,
        name: str,
        rtype: int | None,
        rcode: int,
        soa: RR,
        trust: Trust = Trust.AUTH_AUTHORITY,
        *,
        security: str | None = None,
        proof: Iterable[RR] = (),
    ) -> None:
        """Remember that name does not exist (NXDOMAIN) or has no rtype data (NOERROR/NODATA).

        The TTL is negative_ttl(soa); 0 is not cached. NXDOMAIN covers every type at name, so
        rtype is ignored for it. A live negative entry of higher trust is kept. Negative data
        never removes positive data of higher trust: NODATA drops the (name, rtype) RRset only
        if that RRset's trust is <= `trust`, and NXDOMAIN hides (see get()) only older RRsets at
        the name of trust <= `trust` (a parent's server denying a delegated child's name must
        not delete the child's authoritative data). Clears a failure entry for the question
        (name, rtype), even when the answer itself is not cached.
        Raises ValueError for a non-SOA record or NOERROR without rtype.
        """
        ttl = self.negative_ttl(soa)  # ValueError for a record that is no SOA
        question_type = rtype
        if rcode == NXDOMAIN:
            rtype = None
        elif rcode == NOERROR:
            if rtype is None:
                raise ValueError("a NODATA answer is cached for one rtype")
        else:
            raise ValueError(f"rcode {rcode} is not a negative answer to cache")
        owner = canonical_name(name)
        entries = self._entries
        data = entries.data  # most keys probed here are absent (a never-seen name's): no pop
        if question_type is not None:
            failure_key = _failure_key(owner, question_type)
            if failure_key in data:
                entries.pop(failure_key)
        if ttl <= 0:
            return
        key = _negative_key(owner, rtype)
        now = self._clock()
        existing = self._fresh(key, now) if key in data else None
        if existing is not None and existing.trust > trust:
            return
        text = name if type(name) is str else str(name)
        entry = cache_entry.pack_negative(now + ttl, next(self._serials), int(trust), rcode,
                                          security, soa, None if text == owner else text, proof)
        if not entries.put(key, entry):
            return
        if rtype is not None:
            # The newer statement wins over positive data no more trusted than itself.
            positive_key = _positive_key(owner, rtype, CLASS.IN)
            positive = self._lookup(positive_key, now)
            if positive is not None and cache_entry.head(positive).trust <= trust:
                self._entries.pop(positive_key)

    def get_negative(self, name: str, rtype: int) -> NegativeEntry | None:
        """A live NXDOMAIN entry for name (any rtype) or a NODATA entry for (name, rtype)."""
        owner = canonical_name(name)
        now = self._clock()
        key = _negative_key(owner, None)
        fields = self._fresh(key, now)
        if fields is None:
            key = _negative_key(owner, rtype)
            fields = self._fresh(key, now)
        if fields is None:
            return None
        return self._negative_entry(key, fields, owner, _remaining(fields.expires, now))

    def get_nxdomain(self, name: str) -> NegativeEntry | None:
        """A live NXDOMAIN entry for name: get_negative() without the NODATA probe."""
        owner = canonical_name(name)
        now = self._clock()
        key = _negative_key(owner, None)
        fields = self._fresh(key, now)
        if fields is None:
            return None
        return self._negative_entry(key, fields, owner, _remaining(fields.expires, now))

    def _negative_entry(self, key: str, fields: Head, owner: str, ttl: int) -> NegativeEntry:
        entry = cast(bytes, self._entries.peek(key))
        return NegativeEntry(
            name=cache_entry.owner_of(entry, fields, owner)[0],
            rtype=_key_tuple(key)[2],
            rcode=fields.rcode,
            soa=cache_entry.unpack_soa(entry, fields.records_at, fields.extra_at, ttl),
            ttl=ttl,
            trust=_TRUST[fields.trust],
            security=cache_entry.SECURITY_CODES[fields.security],
            proof=cache_entry.unpack_records(entry, fields.extra_at, len(entry), ttl),
        )

    # -- serve-stale (RFC 8767) ----------------------------------------------------------------

    def get_stale(self, name: str, rtype: int, ttl: int) -> CachedRRset | NegativeEntry | None:
        """Expired data for (name, rtype) still within the stale window, its TTL set to `ttl`:
        the RRset, else an NXDOMAIN for the name; None when fresh data exists (get() serves it),
        when nothing was kept, or when a fresh NXDOMAIN is newer than the RRset."""
        owner = canonical_name(name)
        now = self._clock()
        positive_key = _positive_key(owner, rtype, CLASS.IN)
        positive = self._lookup(positive_key, now)
        denial_key = _negative_key(owner, None)
        denial = self._lookup(denial_key, now)
        positive_head = cache_entry.head(positive) if positive is not None else None
        if denial is not None:
            denial_head = cache_entry.head(denial)
            if positive_head is None or denial_head.serial > positive_head.serial:
                if denial_head.expires > now:
                    return None
                stale = self._negative_entry(denial_key, denial_head, owner, ttl)
                return NegativeEntry(name=stale.name, rtype=None, rcode=stale.rcode,
                                     soa=stale.soa, ttl=ttl, trust=stale.trust)
        if positive is None or positive_head is None or positive_head.expires > now:
            return None
        text, label = cache_entry.owner_of(positive, positive_head, owner)
        return CachedRRset(
            name=text, rtype=rtype, rclass=CLASS.IN, trust=_TRUST[positive_head.trust],
            records=cache_entry.unpack_rdatas(positive, positive_head, label, rtype, CLASS.IN,
                                              ttl),
            ttl=ttl,
        )  # fmt: skip

    def remove_negative(self, name: str, rtype: int | None) -> None:
        """Forget a negative entry (rtype None: the NXDOMAIN entry)."""
        self._entries.pop(_negative_key(canonical_name(name), rtype))

    # -- resolution failures (RFC 9520) -------------------------------------------------------

    def put_failure(self, name: str, rtype: int, reason: str, ede: int | None = None) -> int:
        """Remember that resolving (name, rtype) failed (no server gave a usable answer, or
        the data was bogus: `ede` keeps its Extended DNS Error code); returns how many seconds
        get_failure() will report it.

        FAILURE_TTL_MIN for a first failure, doubled for each consecutive failure of the same
        question up to FAILURE_TTL_MAX (RFC 9520 §3; see the constants for the choice). A
        failure within FAILURE_STREAK_WINDOW of the previous one's end continues the streak.
        """
        key = _failure_key(canonical_name(name), rtype)
        now = self._clock()
        previous = self._failure(key, now)
        failures = 1 if previous is None else previous[2] + 1
        # The exponent is capped so a long streak cannot build a huge integer.
        ttl = min(FAILURE_TTL_MIN * 2 ** min(failures - 1, 16), FAILURE_TTL_MAX)
        until = now + ttl
        # A tuple of str, int and float: not tracked by the garbage collector.
        self._entries.put(key, (str(name), reason, failures, until, until + FAILURE_STREAK_WINDOW,
                                ede))
        return ttl

    def get_failure(self, name: str, rtype: int) -> FailureEntry | None:
        """The live failure entry for (name, rtype): its reason and remaining seconds."""
        now = self._clock()
        failure = self._failure(_failure_key(canonical_name(name), rtype), now)
        if failure is None or now >= failure[3]:
            return None
        name, reason, failures, until, _, ede = failure
        return FailureEntry(name=name, rtype=rtype, reason=reason, ttl=_remaining(until, now),
                            failures=failures, ede=ede)

    # -- housekeeping -------------------------------------------------------------------------

    def __len__(self) -> int:
        """Live entries: RRsets, negative answers and failures together (a scan: for stats)."""
        now = self._clock()
        live = 0
        for value in self._entries.values():
            if type(value) is bytes:
                live += cache_entry.expires_of(value) + self.stale_window > now
            else:
                live += value[4] > now
        return live

    def clear(self) -> None:
        self._entries.clear()

    def items(self) -> list[tuple[tuple, Any]]:
        """Live entries as (key, stored) for administration (resolver/cache_admin.py): keys are
        ("+", owner, rtype, rclass), ("-", owner, rtype or None), ("!", owner, rtype); stored
        entries show their records rebuilt (with the TTL they were stored with)."""
        now = self._clock()
        shown: list[tuple[tuple[Any, ...], _Stored | _Failure]] = []
        for key, value in self._entries.items():
            key_tuple = _key_tuple(key)
            if type(value) is not bytes:
                if value[4] > now:
                    shown.append((key_tuple, _Failure(*value)))
                continue
            fields = cache_entry.head(value)
            if fields.expires + self.stale_window <= now:
                continue
            shown.append((key_tuple, _stored(key_tuple, value, fields)))
        return shown

    def discard(self, key: tuple) -> None:
        """Forget one entry by its key (from `items`)."""
        self._entries.pop(_key_text(key))


def _stored(key: tuple, entry: bytes, fields: Head) -> _Stored:
    """An entry with its records rebuilt, as items() shows it."""
    ttl = fields.ttl
    name, label = cache_entry.owner_of(entry, fields, key[1])
    if key[0] == "+":
        rtype, rclass = key[2], key[3]
        records = cache_entry.unpack_rdatas(entry, fields, label, rtype, rclass, ttl)
    else:
        rtype, rclass = key[2], CLASS.IN
        records = cache_entry.unpack_records(entry, fields.records_at, fields.extra_at, ttl)
    return _Stored(
        name=name, rtype=rtype, rclass=rclass, trust=_TRUST[fields.trust], rcode=fields.rcode,
        records=records, expires=fields.expires, serial=fields.serial, ttl=ttl,
        security=cache_entry.SECURITY_CODES[fields.security],
        extra=cache_entry.unpack_records(entry, fields.extra_at, len(entry), ttl),
    )  # fmt: skip


_TRUST = tuple(Trust)  # by value: Trust members are 0..5 in order


def _keeps_expiry(rtype: int, trust: Trust) -> bool:
    """Whether replacing a live (rtype) RRset with data of `trust` keeps the old expiry as a
    ceiling: always for NS, and for addresses below answer trust (CVE-2012-1033)."""
    if rtype == QTYPE.NS:
        return True
    return rtype in (QTYPE.A, QTYPE.AAAA) and trust < Trust.ANSWER_NONAUTH
