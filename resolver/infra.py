"""Infrastructure cache: what we learned about each upstream server, and which one to ask next.

Per server address: smoothed RTT and its variance (RFC 6298), consecutive timeouts with an
exponential back-off (so a dead server costs one timeout, not one per query), lameness per zone,
and whether it chokes on EDNS. order() turns that into a server selection in the manner of
Unbound's iterator: servers whose expected RTT is within a band of the best are chosen among at
random, untried servers always fall inside that band (so they get explored), and lame or
backed-off servers go last.

Pure: no I/O; time comes from an injectable clock, randomness from an injectable random.Random.
Not thread-safe: one event loop owns it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cachetools import TLRUCache

from resolver.cache import canonical_name

Clock = Callable[[], float]

# RFC 6298 §2 gains for the smoothed RTT and its variance.
RTT_ALPHA = 1 / 8
RTT_BETA = 1 / 4
# Servers whose expected RTT is within this of the best one form the "fast band" chosen among at
# random (Unbound's RTT_BAND, 400 ms): spreads load, and measurements are too noisy to rank finer.
RTT_BAND = 0.4
# The expected RTT we assume for a server never tried (Unbound's UNKNOWN_SERVER_NICENESS, 376 ms):
# below RTT_BAND, so an untried server is always in the fast band and gets explored.
UNKNOWN_SERVER_NICENESS = 0.376
# Back-off after consecutive timeouts: 5 s, 10 s, 20 s, ... capped at 2 minutes, so a dead server
# is skipped by the queries that follow, yet is probed again within minutes in case it recovers.
BACKOFF_BASE = 5.0
BACKOFF_MAX = 120.0
# How long to query a server without OPT after it answered EDNS with FORMERR/NOTIMP, and how long
# a server's statistics live without news (both Unbound's infra-host-ttl, 15 minutes).
NO_EDNS_TTL = 900.0
HOST_TTL = 900.0
# Cap on the doubling exponent, so huge timeout counts cannot overflow a float.
_MAX_DOUBLINGS = 30


@dataclass
class ServerStats:
    """A snapshot of one server's record (a copy: changing it changes nothing in the cache)."""

    srtt: float | None  # None: never answered
    rttvar: float
    timeouts: int  # consecutive, reset by an answer
    backoff_until: float  # clock time; in the past when not backed off
    no_edns: bool
    lame_zones: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Host:
    srtt: float | None = None
    rttvar: float = 0.0
    timeouts: int = 0
    backoff_until: float = -math.inf
    no_edns_until: float = -math.inf
    lame_until: dict[str, float] = field(default_factory=dict)  # zone -> clock time

    def forget_by(self, now: float) -> float:
        """When this record may be dropped: nothing in it matters after that time."""
        deadlines = (self.backoff_until, self.no_edns_until, *self.lame_until.values())
        return max(now + HOST_TTL, *deadlines)


class InfraCache:
    """Per-server RTT, timeouts, lameness and EDNS capability, bounded by maxsize (LRU)."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        initial_rto: float = 0.8,
        min_rto: float = 0.05,
        max_rto: float = 3.0,
        maxsize: int = 10_000,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < min_rto <= initial_rto <= max_rto:
            raise ValueError("need 0 < min_rto <= initial_rto <= max_rto")
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._clock = clock
        self.initial_rto = initial_rto
        self.min_rto = min_rto
        self.max_rto = max_rto
        # SystemRandom by default: which server gets a query is one more thing an off-path
        # spoofer would have to guess. Tests pass random.Random(seed).
        self._rng = rng if rng is not None else random.SystemRandom()
        self._hosts: TLRUCache = TLRUCache(
            maxsize=maxsize, ttu=lambda _key, host, now: host.forget_by(now), timer=clock
        )

    # -- bookkeeping --------------------------------------------------------------------------

    def _host(self, address: str) -> _Host | None:
        return self._hosts.get(address)

    def _update(self, address: str, change: Callable[[_Host, float], None]) -> None:
        now = self._clock()
        host = self._hosts.get(address) or _Host()
        change(host, now)
        self._hosts[address] = host  # re-insert: refreshes LRU order and the forget-by time

    # -- timing -------------------------------------------------------------------------------

    def rto(self, address: str) -> float:
        """Retransmit timeout for this server now: srtt + 4*rttvar (RFC 6298 §2), clamped to
        [min_rto, max_rto]; initial_rto if never measured; doubled per consecutive timeout."""
        host = self._host(address)
        if host is None:
            return self.initial_rto
        if host.srtt is None:
            base = self.initial_rto
        else:
            base = min(max(host.srtt + 4 * host.rttvar, self.min_rto), self.max_rto)
        return min(base * 2 ** min(host.timeouts, _MAX_DOUBLINGS), self.max_rto)

    def record_rtt(self, address: str, rtt: float) -> None:
        """The server answered after rtt seconds: update srtt/rttvar, forgive its timeouts."""
        if not (math.isfinite(rtt) and rtt >= 0):
            raise ValueError(f"not a round-trip time: {rtt!r}")

        def change(host: _Host, _now: float) -> None:
            if host.srtt is None:  # RFC 6298 §2.2: first measurement
                host.srtt = rtt
                host.rttvar = rtt / 2
            else:  # §2.3: rttvar first, with the old srtt
                host.rttvar = (1 - RTT_BETA) * host.rttvar + RTT_BETA * abs(host.srtt - rtt)
                host.srtt = (1 - RTT_ALPHA) * host.srtt + RTT_ALPHA * rtt
            host.timeouts = 0
            host.backoff_until = -math.inf

        self._update(address, change)

    def record_timeout(self, address: str) -> None:
        """The server did not answer in time: count it and back the server off."""

        def change(host: _Host, now: float) -> None:
            host.timeouts += 1
            doublings = min(host.timeouts - 1, _MAX_DOUBLINGS)
            host.backoff_until = now + min(BACKOFF_BASE * 2**doublings, BACKOFF_MAX)

        self._update(address, change)

    def is_backed_off(self, address: str) -> bool:
        host = self._host(address)
        return host is not None and self._clock() < host.backoff_until

    # -- lameness -----------------------------------------------------------------------------

    def mark_lame(self, address: str, zone: str, ttl: float = 900) -> None:
        """The server is not authoritative for zone (lame delegation): avoid it there for ttl s."""
        key = canonical_name(zone)

        def change(host: _Host, now: float) -> None:
            # Drop lapsed marks so a long-lived server's record does not grow without bound.
            host.lame_until = {z: t for z, t in host.lame_until.items() if now < t}
            host.lame_until[key] = now + ttl

        self._update(address, change)

    def is_lame(self, address: str, zone: str) -> bool:
        host = self._host(address)
        if host is None:
            return False
        until = host.lame_until.get(canonical_name(zone))
        return until is not None and self._clock() < until

    # -- EDNS ---------------------------------------------------------------------------------

    def record_no_edns(self, address: str) -> None:
        """The server answered a query with OPT by FORMERR/NOTIMP: query it without OPT a while."""

        def change(host: _Host, now: float) -> None:
            host.no_edns_until = now + NO_EDNS_TTL

        self._update(address, change)

    def edns_ok(self, address: str) -> bool:
        host = self._host(address)
        return host is None or not self._clock() < host.no_edns_until

    # -- selection ----------------------------------------------------------------------------

    def selection_rtt(self, address: str) -> float:
        """What we expect a query to this server to cost, for ranking: its rto() once measured
        or after timeouts, UNKNOWN_SERVER_NICENESS if never tried."""
        host = self._host(address)
        if host is None or (host.srtt is None and host.timeouts == 0):
            return UNKNOWN_SERVER_NICENESS
        return self.rto(address)

    def order(self, addresses: Sequence[str], zone: str) -> list[str]:
        """The addresses in the order to try them for a query in zone (a permutation).

        First the fast band (expected RTT within RTT_BAND of the best; untried servers always
        qualify) in random order, then the slower ones by expected RTT, then the demoted ones:
        backed-off servers (soonest back first), then servers lame for zone. Demoted servers
        stay in the list so a query can still go somewhere when all of them are demoted.
        """
        now = self._clock()
        usable: list[tuple[float, str]] = []
        backed_off: list[tuple[float, str]] = []
        lame: list[tuple[float, str]] = []
        for address in addresses:
            rank = self.selection_rtt(address)
            if self.is_lame(address, zone):
                lame.append((rank, address))
            elif self.is_backed_off(address):
                host = self._host(address)
                backed_off.append((host.backoff_until if host else now, address))
            else:
                usable.append((rank, address))

        ordered: list[str] = []
        if usable:
            best = min(rank for rank, _ in usable)
            band = [address for rank, address in usable if rank <= best + RTT_BAND]
            self._rng.shuffle(band)
            ordered.extend(band)
            slow = [(rank, address) for rank, address in usable if rank > best + RTT_BAND]
            ordered.extend(address for _, address in sorted(slow, key=lambda item: item[0]))
        ordered.extend(address for _, address in sorted(backed_off, key=lambda item: item[0]))
        ordered.extend(address for _, address in sorted(lame, key=lambda item: item[0]))
        return ordered

    def stats(self, address: str) -> ServerStats | None:
        """A snapshot of what we know about the server, or None if nothing."""
        host = self._host(address)
        if host is None:
            return None
        now = self._clock()
        return ServerStats(
            srtt=host.srtt,
            rttvar=host.rttvar,
            timeouts=host.timeouts,
            backoff_until=host.backoff_until,
            no_edns=now < host.no_edns_until,
            lame_zones={zone for zone, until in host.lame_until.items() if now < until},
        )

    def __len__(self) -> int:
        """Servers we hold a record for."""
        return len(self._hosts)

    def clear(self) -> None:
        self._hosts.clear()
