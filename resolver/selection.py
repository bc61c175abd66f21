"""Server selection: which of a zone's servers to ask next, learning from what each one did.

The iterator reports every exchange with `report(address, zone, Feedback, rtt)` and asks
`choose(candidates, zone)` for the next server. Selection works like Knot Resolver's
(lib/selection.c) and PowerDNS's: mostly the best server, sometimes another, never one that is
backed off, lame or broken.

1. Drop the candidates we should not ask now (`usable()`): servers backed off after
   BACKOFF_AFTER consecutive timeouts, and servers lame (15 min) or broken (30 s) for this zone.
2. Rank the rest by expected RTT: srtt + 4*rttvar (so a jittery server ranks behind a steady
   one of the same mean), doubled per consecutive timeout not yet ended by a reply. A server
   never tried ranks at UNKNOWN_SERVER_NICENESS.
3. Pick the best one (ties broken at random, so on a cold cache the first query goes to a
   random server) -- except with probability EXPLORE_PROBABILITY pick one of the others at
   random, so that their RTT estimates stay fresh and a server that got faster is noticed.

So once a fast server is measured, slower and untried ones get only the exploration share of
the queries. (Unbound, and this resolver before, chose at random among the servers within
400 ms of the best: with two servers at 10 ms and one at 300 ms, the slow one got a third.)

`choose()` returns None when no candidate is usable: the iterator then asks `probe_due()`
whether a backed-off server may be probed, and otherwise fails the query at once instead of
waiting on dead servers.

The records behind this (RTT, timeouts, back-off, marks, EDNS, bounds) live in
resolver/infra.py. Randomness comes from an injectable random.Random (by default one seeded
once from `secrets`); no I/O.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Sequence
from operator import itemgetter

from resolver.cache import canonical_name
from resolver.infra import (
    MAX_DOUBLINGS,
    Clock,
    Feedback,
    ServerRecords,
    ServerStats,
    _Server,
)

__all__ = [
    "EXPLORE_PROBABILITY",
    "UNKNOWN_SERVER_NICENESS",
    "Feedback",
    "InfraCache",
    "ServerStats",
]

# Share of choices that go to a usable server other than the best, at random (about what Knot
# Resolver's lib/selection.c explores): enough to keep the other servers' RTT estimates fresh,
# little enough that the resolver's latency stays that of its best server.
EXPLORE_PROBABILITY = 0.05
# The expected RTT we assume for a server never tried (Unbound's UNKNOWN_SERVER_NICENESS,
# 376 ms): worse than any server measured fast, better than one measured slow or timing out.
UNKNOWN_SERVER_NICENESS = 0.376


class InfraCache(ServerRecords):
    """The infrastructure cache: per-server records (resolver.infra) plus the choice of the
    next server to ask (this module). Bounded by maxsize servers or max_bytes, least recently
    used first."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
        maxsize: int = 10_000,
        initial_rto: float = 0.8,
        min_rto: float = 0.05,
        max_rto: float = 3.0,
        max_bytes: int | None = None,
    ) -> None:
        super().__init__(
            clock=clock, initial_rto=initial_rto, min_rto=min_rto, max_rto=max_rto, maxsize=maxsize,
            max_bytes=max_bytes,
        )
        # Which server gets a query is one more thing an off-path spoofer would have to guess,
        # so the generator is seeded from the OS CSPRNG, once: SystemRandom would make a
        # getrandom system call on every choice. The query ID and the source port, the real
        # anti-spoofing entropy, still come from the CSPRNG per query (transport.py).
        # Tests pass random.Random(seed).
        self._rng = rng if rng is not None else random.Random(secrets.randbits(128))

    def expected_rtt(self, address: str) -> float:
        """What we expect a query to this server to cost, for ranking (seconds): srtt + 4*rttvar
        (not clamped to min_rto, so 10 ms beats 40 ms), initial_rto if it only ever timed out,
        doubled per consecutive timeout; UNKNOWN_SERVER_NICENESS if never tried."""
        server = self._server(address)
        if server is None:
            return UNKNOWN_SERVER_NICENESS
        return _expected_rtt(server, self.initial_rto)

    def _rated(self, candidates: Sequence[str], zone: str) -> list[tuple[float, str]]:
        """(expected RTT, address) for the candidates that may be asked now, in candidate order,
        without duplicates: not backed off, not lame or broken for zone. Each candidate's record
        is read once, and marked used."""
        servers = self._servers
        now = self._clock()
        key = None  # the zone's canonical name, worked out for the first record with marks
        rated = []
        initial_rto = self.initial_rto
        for address in dict.fromkeys(candidates):
            server = servers.get(address)
            if server is not None:
                if now >= server.expires:  # forgotten: as if never asked
                    servers.drop(address)
                    server = None
                else:
                    servers.move_to_end(address)
            if server is None:
                rated.append((UNKNOWN_SERVER_NICENESS, address))
                continue
            if now < server.backoff_until:
                continue
            if server.marks:
                if key is None:
                    key = canonical_name(zone)
                mark = server.marks.get(key)
                if mark is not None and now < mark.until:
                    continue
            # _expected_rtt, inline: this loop runs for every server asked
            timeouts, srtt = server.timeouts, server.srtt
            if timeouts == 0:
                rtt = UNKNOWN_SERVER_NICENESS if srtt is None else srtt + 4 * server.rttvar
            else:
                rtt = _expected_rtt(server, initial_rto)
            rated.append((rtt, address))
        return rated

    def usable(self, candidates: Sequence[str], zone: str) -> list[str]:
        """The candidates choose() may pick, best first: not backed off, not lame or broken
        for zone, by expected RTT (ties in candidate order), without duplicates."""
        rated = self._rated(candidates, zone)
        rated.sort(key=_RTT)  # stable: ties stay in candidate order
        return [address for _, address in rated]

    def choose(self, candidates: Sequence[str], zone: str) -> str | None:
        """The server to ask next for a query in zone, or None if no candidate is usable."""
        rated = self._rated(candidates, zone)
        if len(rated) < 2:
            return rated[0][1] if rated else None
        best = min(rated)[0]
        pick = self._rng.choice([address for rtt, address in rated if rtt == best])
        if self._rng.random() < EXPLORE_PROBABILITY:
            rated.sort(key=_RTT)  # the others in rank order (ties in candidate order)
            pick = self._rng.choice([address for _, address in rated if address != pick])
        return pick


_RTT = itemgetter(0)


def _expected_rtt(server: _Server, initial_rto: float) -> float:
    """InfraCache.expected_rtt of a server with a live record."""
    timeouts = server.timeouts
    if server.srtt is None:
        if timeouts == 0:
            return UNKNOWN_SERVER_NICENESS
        return initial_rto * 2 ** min(timeouts, MAX_DOUBLINGS)
    estimate = server.srtt + 4 * server.rttvar
    return estimate * 2 ** min(timeouts, MAX_DOUBLINGS) if timeouts else estimate
