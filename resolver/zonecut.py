"""Zone cuts: a zone, its name servers, their addresses, and who told us each of them.

Like Unbound's delegation point (iter_delegpt.c) and Knot Resolver's zonecut.c. Two views of a
delegation are kept apart (RFC 2181 §5.4.1): the *parent's* — the referral's NS set and glue,
which is how the DNS tree is actually linked — and the *child's* authoritative data for the same
names. The child's data is preferred, but when every child-side address fails, the parent's glue
is tried as a last resort: a child that publishes a broken address for its own name server must
not take the zone down while the parent's glue works.

`ZoneCut.next_choice()` answers "who next?": an address to send to, an NS name whose address must
be resolved first, or nothing left. `DelegationStore` remembers the parent's view per zone, with
an expiry that a later copy never extends (ghost domains, CVE-2012-1033). `ZoneCutMemo` keeps the
zone cuts built from cached data, so a zone's cut is not rebuilt from its RRsets on every query.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from resolver.cache import canonical_name
from resolver.classify import in_bailiwick
from resolver.lru import ByteLRU

if TYPE_CHECKING:
    from resolver.cache import Stamp


class Side(enum.StrEnum):
    """Who vouched for an address."""

    HINTS = "hints"  # the root hints file
    PARENT = "parent"  # glue in the parent's referral
    CHILD = "child"  # the child zone's own data, or an answer to an address query


class SendTo(NamedTuple):
    """Send to this address (one per cache miss: a named tuple is built in a third of a frozen
    dataclass's time)."""

    address: str
    ns_name: str
    side: Side
    last_resort: bool = False  # parent-side glue tried after the child's addresses failed
    probe: bool = False  # every server is backed off; this one is probed


@dataclass(frozen=True)
class ResolveName:
    ns_name: str


@dataclass(frozen=True)
class Exhausted:
    backed_off: bool  # every server is backed off or lame: nothing was even tried


Choice = SendTo | ResolveName | Exhausted


@dataclass(slots=True)
class ZoneCut:
    """One delegation being used by a resolution: its servers and what was tried.

    A copy shares its servers and addresses (and the facts worked out from them: `primary`,
    `useless`) with the cut it was copied from, until either adds to them (copy on write):
    the memo hands out a copy per cache miss, and most walks never add anything."""

    zone: str
    ns_names: list[str]
    child: dict[str, list[str]] = field(default_factory=dict)  # NS name -> child-side addresses
    parent: dict[str, list[str]] = field(default_factory=dict)  # NS name -> glue addresses
    hints: dict[str, list[str]] = field(default_factory=dict)  # root only
    tried: dict[str, int] = field(default_factory=dict)  # address -> attempts so far
    timed_out: set[str] = field(default_factory=set)  # addresses that may be retransmitted to
    failed: set[str] = field(default_factory=set)  # answered unusably: never again in this walk
    looked_up: set[str] = field(default_factory=set)  # NS names whose address lookup was done
    source: str = "cache"
    ns_cached: bool = False  # built from cache with the zone's NS RRset live in it
    # Worked out from ns_names and the address tables, kept until add() changes them.
    _primary: dict[str, tuple[str, Side]] | None = field(
        default=None, init=False, repr=False, compare=False)
    _useless: bool | None = field(default=None, init=False, repr=False, compare=False)
    # ns_names and the address tables are another cut's too: add() copies them first.
    _shared: bool = field(default=False, init=False, repr=False, compare=False)

    # -- building --------------------------------------------------------------------------

    def add(self, ns_name: str, addresses: Iterable[str], side: Side) -> None:
        if self._shared:
            self._own_tables()
        self._primary = self._useless = None
        table = {Side.CHILD: self.child, Side.PARENT: self.parent, Side.HINTS: self.hints}[side]
        known = table.setdefault(ns_name, [])
        known.extend(a for a in addresses if a not in known)
        if ns_name not in self.ns_names:
            self.ns_names.append(ns_name)

    def _own_tables(self) -> None:
        """Copies of the NS names and address tables shared with another cut, to change."""
        self.ns_names = list(self.ns_names)
        self.child = {name: list(addresses) for name, addresses in self.child.items()}
        self.parent = {name: list(addresses) for name, addresses in self.parent.items()}
        self.hints = {name: list(addresses) for name, addresses in self.hints.items()}
        self._shared = False

    # -- facts -----------------------------------------------------------------------------

    def addresses_of(self, ns_name: str) -> list[str]:
        return [*self.child.get(ns_name, ()), *self.parent.get(ns_name, ()),
                *self.hints.get(ns_name, ())]

    def primary(self) -> dict[str, tuple[str, Side]]:
        """Address -> (NS name, side) for the addresses to try first: per NS name the child's
        addresses when it published any, else the parent's glue; the hints for the root.
        Worked out once while the cut is unchanged, and shared by its copies: read it only."""
        if self._primary is not None:
            return self._primary
        chosen: dict[str, tuple[str, Side]] = {}
        hints, child, parent = self.hints, self.child, self.parent
        for name in self.ns_names:
            if hints:  # the root's cut only
                for address in hints.get(name, ()):
                    chosen.setdefault(address, (name, Side.HINTS))
            addresses = child.get(name)
            side = Side.CHILD
            if not addresses:
                addresses, side = parent.get(name), Side.PARENT
            for address in addresses or ():
                chosen.setdefault(address, (name, side))
        self._primary = chosen
        return chosen

    def last_resort(self) -> dict[str, tuple[str, Side]]:
        """Parent-side glue for NS names whose child-side addresses differ from it."""
        primary = self.primary()
        return {
            address: (name, Side.PARENT)
            for name in self.ns_names
            for address in self.parent.get(name, ())
            if address not in primary
        }

    def unresolved(self) -> list[str]:
        """NS names with no address at all whose lookup has not been done in this walk."""
        return [n for n in self.ns_names if not self.addresses_of(n) and n not in self.looked_up]

    def useless(self) -> bool:
        """No address known and every NS name inside the zone itself: only the parent's fresh
        glue can help (the glue expired before the NS set). Resolving the names here would need
        this very zone. Worked out once while the cut is unchanged, like primary()."""
        if self._useless is None:
            self._useless = not any(self.addresses_of(n) for n in self.ns_names) and all(
                in_bailiwick(n, self.zone) for n in self.ns_names)
        return self._useless

    # -- who next? -------------------------------------------------------------------------

    def next_choice(
        self,
        choose: Callable[[list[str], str], str | None],
        probe_due: Callable[[str], bool],
        max_attempts: int,
    ) -> Choice:
        """The next step: `choose(addresses, zone)` picks one of the untried addresses that may
        be asked now (server selection: not backed off, lame or broken for this zone), or None;
        `probe_due` lets one through when every server is backed off. Order: untried primary
        addresses, then resolving NS names without addresses, then parent-side glue as a last
        resort, then retransmitting to servers that only timed out, then a probe of a
        backed-off server."""
        zone, tried = self.zone, self.tried
        primary = self._primary if self._primary is not None else self.primary()
        pick = choose([a for a in primary if a not in tried] if tried else list(primary), zone)
        if pick is not None:
            name, side = primary[pick]
            return SendTo(pick, name, side)
        pending = self.unresolved()
        if pending:
            return ResolveName(pending[0])
        fallback = self.last_resort()
        pick = choose([a for a in fallback if a not in tried], zone)
        if pick is not None:
            return SendTo(pick, fallback[pick][0], Side.PARENT, last_resort=True)
        everything = {**fallback, **primary}
        retry = [a for a in self.timed_out if tried.get(a, 0) < max_attempts]
        pick = choose(retry, zone) if retry else None
        if pick is not None:
            name, side = everything[pick]
            return SendTo(pick, name, side)
        untouched = [a for a in everything if a not in tried]
        for address in untouched:
            if probe_due(address):
                name, side = everything[address]
                return SendTo(address, name, side, probe=True)
        return Exhausted(backed_off=bool(untouched) and len(untouched) == len(everything))

    def next_question(self) -> None:
        """Another question goes to this zone's servers (QNAME minimisation asks several):
        attempts start over; servers that answered unusably stay out of this walk."""
        self.tried.clear()
        self.timed_out.clear()

    def attempt(self, address: str) -> int:
        """Count a send to address; returns the attempt number (0 for the first)."""
        self.tried[address] = self.tried.get(address, 0) + 1
        return self.tried[address] - 1

    def copy(self) -> ZoneCut:
        """The same servers and addresses, with nothing tried yet in any walk. Both cuts share
        the servers and addresses until one of them adds to them."""
        self._shared = True
        new = object.__new__(ZoneCut)  # no __init__: every field is set here
        new.zone, new.ns_names, new.source, new.ns_cached = (
            self.zone, self.ns_names, self.source, self.ns_cached)
        new.child, new.parent, new.hints = self.child, self.parent, self.hints
        new._primary, new._useless, new._shared = self._primary, self._useless, True
        new.tried, new.timed_out, new.failed, new.looked_up = {}, set(), set(), set()
        return new


@dataclass(frozen=True)
class Delegation:
    """The parent's view of a zone cut, as its referral gave it."""

    zone: str
    ns_names: tuple[str, ...]
    glue: tuple[tuple[str, str], ...]  # (NS name, address)
    expires: float
    serial: int = 0  # which stored copy: a new referral's copy gets a new one
    glue_expires: float = math.inf  # when the first of the live glue addresses lapses


# One sequence for every store: a store made afresh (flush-all) never repeats a serial.
_DELEGATION_SERIALS = itertools.count(1)


GlueExpiry = tuple[tuple[str, str, float], ...]  # (NS name, address, expiry time)

# The delegations kept, in bytes: a fixed bound outside cache-size's split (README, Memory), so
# referrals an attacker's zones hand out cannot grow memory. 4 MiB holds some 4 000 typical
# delegations (two NS names with an address each); the cut memo and the RRset cache hold the
# child's view, which the walk prefers anyway.
DELEGATION_BYTES = 4 * 1024 * 1024
# Measured with tracemalloc (tests/test_cache_bytes.py): about 1 000 bytes for a delegation with
# two NS names and an address each, of which 7 strings; each string costs 49 bytes plus its text.
_DELEGATION_OVERHEAD = 600
_TEXT_OVERHEAD = 49


def _delegation_bytes(zone: str, entry: tuple[Delegation, GlueExpiry]) -> int:
    """What a stored delegation costs: the measured overhead plus every name and address."""
    delegation, glue = entry
    texts = [zone, *delegation.ns_names]
    for name, address, _ in glue:
        texts += (name, address)
    return _DELEGATION_OVERHEAD + sum(_TEXT_OVERHEAD + len(text) for text in texts)


class DelegationStore:
    """Parent-side delegations per zone, bounded (LRU) and expiring.

    A delegation lives as long as the referral's NS TTL (glue with a shorter TTL is dropped from
    it when it lapses). Storing a new copy of a live delegation never extends its expiry, so a
    delegation the parent removed disappears once its original TTL runs out, whatever the
    child's servers keep saying (ghost domains, CVE-2012-1033).
    """

    def __init__(self, clock: Callable[[], float], max_bytes: int = DELEGATION_BYTES) -> None:
        self._clock = clock
        self._entries: ByteLRU[str, tuple[Delegation, GlueExpiry]] = ByteLRU(
            max_bytes, _delegation_bytes
        )

    def _live(self, zone: str) -> tuple[Delegation, GlueExpiry] | None:
        entry = self._entries.get(zone)
        if entry is not None and entry[0].expires <= self._clock():
            self._entries.pop(zone)
            return None
        return entry

    def put(self, zone: str, ns: list[tuple[str, int]], glue: list[tuple[str, str, int]]) -> None:
        """ns: (NS name, TTL); glue: (NS name, address, TTL). TTL-0 data is not kept."""
        now = self._clock()
        ttl = min((t for _, t in ns), default=0)
        if ttl <= 0:
            return
        expires = now + ttl
        old = self._live(zone)
        if old is not None:
            expires = min(expires, old[0].expires)
        glue_expiry = tuple((name, address, now + t) for name, address, t in glue if t > 0)
        self._entries.put(zone, (
            Delegation(zone, tuple(n for n, _ in ns), (), expires, next(_DELEGATION_SERIALS)),
            glue_expiry,
        ))

    def get(self, zone: str) -> Delegation | None:
        entry = self._live(zone)
        if entry is None:
            return None
        delegation, glue = entry
        now = self._clock()
        live = tuple((name, address) for name, address, until in glue if now < until)
        lapses = min((until for _, _, until in glue if now < until), default=math.inf)
        return Delegation(delegation.zone, delegation.ns_names, live, delegation.expires,
                          delegation.serial, lapses)

    def may_hold(self, zone: str) -> bool:
        """Whether a delegation is stored for `zone`, live or not: False means get() and
        stamp() find nothing (one probe, for a name that is most likely no zone cut)."""
        return zone in self._entries.data

    def stamp(self, zone: str, now: float | None = None) -> int | None:
        """The serial of the live delegation stored for `zone` (at `now`, read from the clock
        when not given), None without one."""
        entries = self._entries
        entry = entries.get(zone)  # _live's work, inline: every cache miss asks this
        if entry is None:
            return None
        if entry[0].expires <= (self._clock() if now is None else now):
            entries.pop(zone)
            return None
        return entry[0].serial

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()


RRsetStamp = tuple[str, int, "Stamp | None"]  # (owner, type, the cache's stamp of that RRset)


class StampedCache(Protocol):
    def stamp(self, name: str, rtype: int) -> Stamp | None: ...

    def stamp_checks(self, rrsets: Iterable[RRsetStamp]) -> tuple[Any, ...]:
        """(owner, rtype, stamp) RRsets prepared once for stamps_hold."""
        ...

    def stamps_hold(self, checks: Iterable[Any], now: float | None = None) -> bool:
        """Whether stamp(owner, rtype) == stamp for every RRset of `checks` (stamp_checks),
        at `now` (the cache's clock when not given)."""
        ...


@dataclass(frozen=True, slots=True)
class _Memo:
    cut: ZoneCut  # never handed out: callers get copies (sharing its tables and facts)
    rrsets: tuple[RRsetStamp, ...]  # every cached RRset the cut was built from, or found absent
    checks: tuple[Any, ...]  # the same, as the cache's stamp_checks prepared them
    delegation: int | None  # the stamp of the parent's delegation it used
    expires: float  # the first expiry among all of them (a glue address included)
    size: int  # estimated octets


class ZoneCutMemo:
    """Zone cuts built from cached data, per zone, reused while that data is still cached.

    Like Unbound's delegation points kept in the cache: building a cut (the NS RRset, an A and
    an AAAA RRset per NS name, the parent's delegation) costs more than the rest of a cache
    miss's own work. An entry is used only while every RRset it was built from is the very same
    stored entry (`RRsetCache.stamp`: not replaced, removed, expired or hidden by an NXDOMAIN;
    an RRset that was absent is still absent), the parent's delegation is the same copy, and no
    TTL among them (glue included) has run out. A cache or delegation store replaced whole
    (flush-all, a private cache per question) empties the memo.

    Bounded by `max_entries` zones and by `max_bytes` estimated octets (least recently used
    first out): 512 zones and 512 KiB by default, a small fixed part of a resolver's memory
    beside the RRset cache, enough for the zones a busy resolver walks from.
    """

    MAX_ENTRIES = 512
    MAX_BYTES = 512 * 1024

    def __init__(self, clock: Callable[[], float], max_entries: int = MAX_ENTRIES,
                 max_bytes: int = MAX_BYTES) -> None:
        self._clock = clock
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, _Memo] = OrderedDict()
        self._bytes = 0
        self._sources: tuple[StampedCache, DelegationStore] | None = None  # bound by get()
        self._cache_clock = False  # whether the cache reads this memo's clock

    def get(self, zone: str, cache: StampedCache, delegations: DelegationStore) -> ZoneCut | None:
        """A fresh copy of the cut memoised for `zone`, if what it was built from still holds."""
        if self._sources is None or self._sources[0] is not cache \
                or self._sources[1] is not delegations:
            self.clear()
            self._sources = (cache, delegations)
            # The memo's instant serves the cache's checks too when both read the same clock.
            self._cache_clock = getattr(cache, "clock", None) is self._clock
            return None
        entries = self._entries
        entry = entries.get(zone)
        if entry is None:
            return None
        now = self._clock()  # one instant for every check (the clocks are the resolver's)
        if (now >= entry.expires or delegations.stamp(zone, now) != entry.delegation
                or not cache.stamps_hold(entry.checks, now if self._cache_clock else None)):
            self._forget(zone)
            return None
        entries.move_to_end(zone)
        return entry.cut.copy()

    def put(self, zone: str, cut: ZoneCut, rrsets: Iterable[RRsetStamp],
            delegation: int | None, expires: float) -> None:
        """Remember `cut` (copied) as built from `rrsets` of the cache get() last saw and the
        delegation with that stamp, until `expires`. Nothing is kept before get() has seen a
        cache (it would drop the entry anyway)."""
        if self._sources is None:
            return
        rrsets = tuple((canonical_name(owner), rtype, stamp) for owner, rtype, stamp in rrsets)
        cut.primary()  # worked out once here, for every copy handed out
        cut.useless()
        size = _estimated_size(cut, rrsets)
        self._forget(zone)
        if size > self.max_bytes or expires <= self._clock():
            return
        checks = self._sources[0].stamp_checks(rrsets)
        self._entries[zone] = _Memo(cut.copy(), rrsets, checks, delegation, expires, size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, oldest = self._entries.popitem(last=False)
            self._bytes -= oldest.size

    def _forget(self, zone: str) -> None:
        entry = self._entries.pop(zone, None)
        if entry is not None:
            self._bytes -= entry.size

    @property
    def size(self) -> int:
        """Estimated octets held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0


# CPython sizes, roughly: a str is 49 octets plus its text, a list or dict slot 8 to 100.
_STR_OVERHEAD = 49
_SLOT = 72
_ENTRY_OVERHEAD = 600  # the ZoneCut, its dicts and sets, the memo record and its key
_PRIMARY_ENTRY = _SLOT + 56  # primary()'s slot and (NS name, side) tuple per address


def _estimated_size(cut: ZoneCut, rrsets: tuple[RRsetStamp, ...]) -> int:
    """Octets a memo entry holds, estimated from its strings and slots."""
    texts = [cut.zone, *cut.ns_names, *(owner for owner, _, _ in rrsets)]
    for table in (cut.child, cut.parent, cut.hints):
        for name, addresses in table.items():
            texts.append(name)
            texts += addresses
    return _ENTRY_OVERHEAD + sum(_STR_OVERHEAD + _SLOT + len(t) for t in texts) \
        + _SLOT * len(rrsets) + _PRIMARY_ENTRY * len(cut.primary())
