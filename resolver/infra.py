"""Infrastructure cache records: what we learned about each upstream server.

The iterator tells us what happened each time it asked a server, in a closed vocabulary
(`Feedback`, like Knot Resolver's `kr_selection_error` and PowerDNS's throttle reasons), and we
keep per server address:

- a smoothed RTT and its variance (RFC 6298 §2), from which `timeout()` derives the retransmit
  timeout for the next query;
- consecutive timeouts, and after BACKOFF_AFTER of them a back-off window (5 s doubling to 2 min)
  during which the server is skipped, except for one probe per PROBE_INTERVAL (`probe_due()`);
- per-zone marks: *lame* (REFUSED, or not authoritative for the zone: 15 min) and *broken*
  (SERVFAIL, FORMERR, NOTIMP, a malformed or mismatched reply: 30 s), at most
  MAX_ZONE_MARKS_PER_SERVER of them;
- whether it rejects EDNS (then it is queried without OPT for NO_EDNS_TTL).

Records are bounded: at most `maxsize` servers, or `max_bytes` by each record's measured size
(its lame/broken marks included), least recently used dropped first; and a server without
news for HOST_TTL is forgotten (checked when its record is read, as Unbound's infra cache does:
a forgotten record waits in the table until it is read or is the least recently used, so no
timer or heap is kept). Which server to ask next is decided from these records in
resolver/selection.py, which reads each candidate's record once per choice.

Pure: no I/O; time comes from an injectable clock. Not thread-safe: one event loop owns it.
"""

from __future__ import annotations

import enum
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from resolver.cache import canonical_name

Clock = Callable[[], float]


class Feedback(enum.StrEnum):
    """What happened when we asked a server one question."""

    OK = "ok"  # a usable reply arrived after `rtt` seconds
    TIMEOUT = "timeout"  # no reply within timeout()
    UNREACHABLE = "unreachable"  # the network said no (ICMP unreachable, TCP connect refused)
    REFUSED = "refused"  # rcode REFUSED: it will not answer for this zone
    LAME = "lame"  # it answered, but is not authoritative for the zone it was delegated
    SERVFAIL = "servfail"  # rcode SERVFAIL
    FORMERR = "formerr"  # rcode FORMERR to a query without EDNS
    NOTIMP = "notimp"  # rcode NOTIMP
    EDNS_REJECTED = "edns_rejected"  # FORMERR/NOTIMP without OPT to a query with OPT
    TRUNCATED = "truncated"  # TC=1 over UDP: the answer needs TCP (no fault of the server)
    MALFORMED = "malformed"  # the reply could not be parsed
    MISMATCH = "mismatch"  # the reply's ID or question did not match the query


_OK = Feedback.OK  # a module constant: an enum member's lookup costs more, and this one is hot
_NEVER = -math.inf  # a time that has always passed


# Feedback meaning the server itself replied: it is reachable, so its timeout streak ends, and
# an rtt given with it is a round-trip sample. (MISMATCH is not here: a reply that does not
# match the query may not come from the server at all.)
ANSWERED = frozenset(
    {
        Feedback.OK,
        Feedback.REFUSED,
        Feedback.LAME,
        Feedback.SERVFAIL,
        Feedback.FORMERR,
        Feedback.NOTIMP,
        Feedback.EDNS_REJECTED,
        Feedback.TRUNCATED,
        Feedback.MALFORMED,
    }
)
_TIMED_OUT = frozenset({Feedback.TIMEOUT, Feedback.UNREACHABLE})
_LAME = frozenset({Feedback.REFUSED, Feedback.LAME})
_BROKEN = frozenset(
    {Feedback.SERVFAIL, Feedback.FORMERR, Feedback.NOTIMP, Feedback.MALFORMED, Feedback.MISMATCH}
)

# RFC 6298 §2 gains for the smoothed RTT and its variance.
RTT_ALPHA = 1 / 8
RTT_BETA = 1 / 4
# A server is backed off only after this many consecutive timeouts: one lost datagram (or two)
# is not a dead server. With 1 % independent loss, three losses in a row happen once in a
# million queries; Knot Resolver waits for 4 (KR_NS_TIMEOUT_ROW_DEAD).
BACKOFF_AFTER = 3
# The back-off window: 5 s, 10 s, 20 s, ... capped at 2 minutes, so a dead server is skipped by
# the queries that follow, yet is tried again within minutes in case it recovers.
BACKOFF_BASE = 5.0
BACKOFF_MAX = 120.0
# While a server is backed off, at most one probe query per this interval (probe_due()): a dead
# zone costs one query per 5 s per server, and a zone that comes back answers within seconds.
PROBE_INTERVAL = 5.0
# A server lame for a zone (REFUSED, or a referral/answer showing it is not authoritative) is
# avoided there for 15 minutes (Unbound's infra-lame-ttl): lameness is a configuration error
# that takes an operator to fix.
LAME_TTL = 900.0
# A server that failed a query for a zone (SERVFAIL, FORMERR, NOTIMP, garbage) is avoided there
# for 30 s, so the next queries prefer its siblings. Short, because these are often transient
# (a SERVFAIL may be a backend hiccup, a mismatch may be one spoofed packet), and a short mark
# cannot make the whole zone unreachable for long if all its servers fail once together.
BROKEN_TTL = 30.0
# How long to query a server without OPT after it rejected EDNS, and how long a server's record
# lives without news (both Unbound's infra-host-ttl, 15 minutes).
NO_EDNS_TTL = 900.0
HOST_TTL = 900.0
# A plain reply moves its record's forget-by time on (working it out walks the record's marks)
# only if that time was set at least this long ago: the record is then forgotten at most this
# much earlier than otherwise.
REINSERT_AFTER = 1.0
# Lame and broken marks kept per server. A hoster's server may be lame for many zones; past this
# the lapsed marks go first, then the oldest, so a record's size stays bounded (a dropped mark
# costs at most one more query to that server for that zone).
MAX_ZONE_MARKS_PER_SERVER = 64
# A TCP exchange costs at least two round trips (the handshake, then the query), so its timeout
# is at least this many times the UDP one.
TCP_ROUND_TRIPS = 2
# Cap on doubling exponents, so huge counts cannot overflow a float.
MAX_DOUBLINGS = 30


@dataclass
class ServerStats:
    """A snapshot of one server's record (a copy: changing it changes nothing in the cache)."""

    srtt: float | None  # None: never measured
    rttvar: float
    timeouts: int  # consecutive, reset by any reply
    backoff_until: float  # clock time; in the past when not backed off
    no_edns: bool
    lame_zones: set[str] = field(default_factory=set)
    broken_zones: set[str] = field(default_factory=set)


class _Mark(NamedTuple):
    until: float  # clock time
    lame: bool  # True: lame (LAME_TTL); False: broken (BROKEN_TTL)


@dataclass(slots=True)
class _Server:
    srtt: float | None = None
    rttvar: float = 0.0
    timeouts: int = 0
    backoff_until: float = -math.inf
    next_probe: float = -math.inf
    no_edns_until: float = -math.inf
    marks: dict[str, _Mark] = field(default_factory=dict)  # zone -> mark, oldest first
    stored: float = -math.inf  # when its forget-by time was last worked out
    expires: float = -math.inf  # its forget-by time: the record is dead from then on
    size: int = 0  # what the table counts for it (bytes, or 1 when bounded by count)

    def forget_by(self, now: float) -> float:
        """When this record may be dropped: nothing in it matters after that time."""
        marks = (mark.until for mark in self.marks.values())
        return max(now + HOST_TTL, self.backoff_until, self.no_edns_until, *marks)

    def sample(self, rtt: float) -> None:
        """RFC 6298 §2.2-2.3: fold one round-trip time into srtt and rttvar."""
        if self.srtt is None:  # first measurement
            self.srtt = rtt
            self.rttvar = rtt / 2
        else:  # rttvar first, with the old srtt
            self.rttvar = (1 - RTT_BETA) * self.rttvar + RTT_BETA * abs(self.srtt - rtt)
            self.srtt = (1 - RTT_ALPHA) * self.srtt + RTT_ALPHA * rtt

    def time_out(self, now: float) -> None:
        """One more consecutive timeout; from the BACKOFF_AFTER-th on, back the server off."""
        self.timeouts += 1
        if self.timeouts >= BACKOFF_AFTER:
            doublings = min(self.timeouts - BACKOFF_AFTER, MAX_DOUBLINGS)
            self.backoff_until = now + min(BACKOFF_BASE * 2**doublings, BACKOFF_MAX)
            self.next_probe = max(self.next_probe, now + PROBE_INTERVAL)

    def mark(self, zone: str, mark: _Mark, now: float) -> None:
        """Mark the server lame or broken for zone, keeping at most MAX_ZONE_MARKS_PER_SERVER."""
        current = self.marks.pop(zone, None)
        if current is not None and current.until > mark.until:
            mark = current  # a 30 s broken mark does not shorten a 15 min lame one
        if len(self.marks) >= MAX_ZONE_MARKS_PER_SERVER:
            self.marks = {z: m for z, m in self.marks.items() if now < m.until}
        while len(self.marks) >= MAX_ZONE_MARKS_PER_SERVER:
            del self.marks[next(iter(self.marks))]  # the oldest
        self.marks[zone] = mark


# What one server's record costs in the table (its address key, the _Server and its marks dict,
# the OrderedDict's slot and link) and each lame/broken mark on top (zone key, _Mark, dict
# slot), beyond the zone name's length. Measured with tracemalloc by tests/test_cache_bytes.py.
SERVER_RECORD_BYTES = 400
MARK_BYTES = 180


def _record_bytes(server: _Server) -> int:
    return SERVER_RECORD_BYTES + sum(MARK_BYTES + len(zone) for zone in server.marks)


class ServerTable(OrderedDict[str, _Server]):
    """Server records by address, least recently used first, holding at most `limit`: bytes
    (each record's measured size) when `by_bytes`, else records.

    Reads are plain dict reads (`get`, then `move_to_end` to mark a use), so the hot paths pay
    no method call for them; a reader checks `expires` itself and `drop`s a dead record. Only
    `store` and `drop` change what is counted (`currsize`)."""

    def __init__(self, limit: int, *, by_bytes: bool) -> None:
        super().__init__()
        self.limit = limit
        self.by_bytes = by_bytes
        self.currsize = 0

    def store(self, address: str, server: _Server) -> None:
        """Keep `server` at address as the most recently used, counted at its size now (its
        marks may have changed), then drop the least recently used records until the total
        fits. A record larger than the whole limit is not kept."""
        self.drop(address)
        size = _record_bytes(server) if self.by_bytes else 1
        if size > self.limit:
            return  # it alone would not fit: the others stay
        server.size = size
        self[address] = server  # the most recently used end
        self.currsize += size
        while self.currsize > self.limit:
            _, dropped = self.popitem(last=False)
            self.currsize -= dropped.size

    def drop(self, address: str) -> None:
        """Forget the record at address, if any."""
        server = self.pop(address, None)
        if server is not None:
            self.currsize -= server.size

    def clear(self) -> None:
        super().clear()
        self.currsize = 0


class ServerRecords:
    """Per-server RTT, timeouts and back-off, lame/broken marks and EDNS capability, bounded by
    maxsize (LRU). Fed by report(); resolver.selection.InfraCache adds the choice of server."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        initial_rto: float = 0.8,
        min_rto: float = 0.05,
        max_rto: float = 3.0,
        maxsize: int = 10_000,
        max_bytes: int | None = None,
    ) -> None:
        """`max_bytes`, when given, bounds the records by their size instead of `maxsize`."""
        if not 0 < min_rto <= initial_rto <= max_rto:
            raise ValueError("need 0 < min_rto <= initial_rto <= max_rto")
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._clock = clock
        self.initial_rto = initial_rto
        self.min_rto = min_rto
        self.max_rto = max_rto
        if max_bytes is not None and max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self._servers = ServerTable(maxsize if max_bytes is None else max_bytes,
                                    by_bytes=max_bytes is not None)

    def _server(self, address: str, now: float | None = None) -> _Server | None:
        """The live record of a server, now the most recently used; None without one."""
        server = self._servers.get(address)
        if server is None:
            return None
        if (self._clock() if now is None else now) >= server.expires:
            self._servers.drop(address)
            return None
        self._servers.move_to_end(address)
        return server

    # -- feedback -----------------------------------------------------------------------------

    def report(self, address: str, zone: str, feedback: Feedback, rtt: float | None = None) -> None:
        """Record what happened when we asked `address` a question in `zone`.

        OK needs `rtt` (seconds): it updates srtt/rttvar. Any feedback meaning the server replied
        (ANSWERED) ends its timeout streak and back-off, and takes `rtt` as a sample if given.
        TIMEOUT and UNREACHABLE count consecutive timeouts (back-off from the BACKOFF_AFTER-th).
        REFUSED and LAME mark it lame for zone (LAME_TTL); SERVFAIL, FORMERR, NOTIMP, MALFORMED
        and MISMATCH mark it broken for zone (BROKEN_TTL). EDNS_REJECTED: query it without OPT
        for NO_EDNS_TTL. TRUNCATED costs the server nothing. Give a reply's rtt once, so that
        one reply is one RTT sample.
        """
        if type(feedback) is not Feedback:
            feedback = Feedback(feedback)
        if rtt is None:
            if feedback is _OK:
                raise ValueError("Feedback.OK needs the round-trip time")
        elif not 0 <= rtt < math.inf:  # also refuses NaN
            raise ValueError(f"not a round-trip time: {rtt!r}")
        now = self._clock()
        servers = self._servers
        server = servers.get(address)  # the one read of the record: inline, it is hot
        if server is not None:
            if now >= server.expires:
                servers.drop(address)
                server = None
            else:
                servers.move_to_end(address)  # the most recently used
        if server is not None and feedback is _OK:  # most reports: a reply from a known server
            server.sample(rtt)  # type: ignore[arg-type]
            server.timeouts = 0
            server.backoff_until = _NEVER
            if now - server.stored >= REINSERT_AFTER:  # else its forget-by time barely moves
                server.stored = now
                server.expires = server.forget_by(now)
            return
        key = canonical_name(zone)
        server = server or _Server()
        if feedback in ANSWERED:
            if rtt is not None:
                server.sample(rtt)
            server.timeouts = 0
            server.backoff_until = -math.inf
        if feedback in _TIMED_OUT:
            server.time_out(now)
        elif feedback in _LAME:
            server.mark(key, _Mark(now + LAME_TTL, lame=True), now)
        elif feedback in _BROKEN:
            server.mark(key, _Mark(now + BROKEN_TTL, lame=False), now)
        elif feedback is Feedback.EDNS_REJECTED:
            server.no_edns_until = now + NO_EDNS_TTL
        server.stored = now
        server.expires = server.forget_by(now)
        servers.store(address, server)  # recounts its size (its marks) and keeps the bound

    # -- timing -------------------------------------------------------------------------------

    def timeout(self, address: str, *, tcp: bool = False, attempt: int = 0) -> float:
        """How long to wait for this server's reply: its RTO, doubled per `attempt` (the number
        of earlier tries of this query to this server) up to max_rto; over TCP, twice that, and
        at least initial_rto.

        TCP is used after a truncated UDP answer, so the server is known to be alive and a
        too-short timeout wastes the exchange, while a longer one costs little: hence the floor.
        """
        server = self._servers.get(address)  # read inline (no use marked): it is hot
        if server is None or server.srtt is None or self._clock() >= server.expires:
            rto = self.initial_rto
        else:  # RFC 6298 §2: srtt + 4*rttvar, clamped to [min_rto, max_rto]
            rto = server.srtt + 4 * server.rttvar
            if rto < self.min_rto:
                rto = self.min_rto
            elif rto > self.max_rto:
                rto = self.max_rto
        udp = rto if attempt <= 0 else min(rto * 2 ** min(attempt, MAX_DOUBLINGS), self.max_rto)
        return max(TCP_ROUND_TRIPS * udp, self.initial_rto) if tcp else udp

    # -- availability -------------------------------------------------------------------------

    def probe_due(self, address: str) -> bool:
        """May a query go to this server now? True if it is not backed off; if it is, True at
        most once per PROBE_INTERVAL (this call records the probe), else False."""
        now = self._clock()
        server = self._server(address, now)
        if server is None or now >= server.backoff_until:
            return True
        if now < server.next_probe:
            return False
        server.next_probe = now + PROBE_INTERVAL
        return True

    def edns_ok(self, address: str) -> bool:
        """May the query to this server carry OPT (it has not rejected EDNS lately)?"""
        # Read inline, without a liveness check: a record outlives its no-EDNS time (forget_by),
        # so a dead record's no_edns_until has passed too.
        server = self._servers.get(address)
        return (server is None or server.no_edns_until == _NEVER
                or self._clock() >= server.no_edns_until)

    # -- housekeeping -------------------------------------------------------------------------

    def stats(self, address: str) -> ServerStats | None:
        """A snapshot of what we know about the server, or None if nothing."""
        server = self._server(address)
        if server is None:
            return None
        now = self._clock()
        return ServerStats(
            srtt=server.srtt,
            rttvar=server.rttvar,
            timeouts=server.timeouts,
            backoff_until=server.backoff_until,
            no_edns=now < server.no_edns_until,
            lame_zones={z for z, m in server.marks.items() if m.lame and now < m.until},
            broken_zones={z for z, m in server.marks.items() if not m.lame and now < m.until},
        )

    def addresses(self) -> list[str]:
        """The servers we hold a record for (for `resolve control infra`)."""
        now = self._clock()
        for address, server in list(self._servers.items()):
            if now >= server.expires:  # forgotten: let it go now
                self._servers.drop(address)
        return list(self._servers)

    def __len__(self) -> int:
        """Servers we hold a record for."""
        return len(self.addresses())

    def clear(self) -> None:
        self._servers.clear()
