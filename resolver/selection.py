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

from resolver.cache import canonical_name
from resolver.infra import (
    MAX_DOUBLINGS,
    Clock,
    Feedback,
    ServerRecords,
    ServerStats,
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
        if server is None or (server.srtt is None and server.timeouts == 0):
            return UNKNOWN_SERVER_NICENESS
        estimate = server.rtt_estimate()
        base = self.initial_rto if estimate is None else estimate
        return base * 2 ** min(server.timeouts, MAX_DOUBLINGS)

    def usable(self, candidates: Sequence[str], zone: str) -> list[str]:
        """The candidates choose() may pick, best first: not backed off, not lame or broken
        for zone, by expected RTT (ties in candidate order), without duplicates."""
        key = canonical_name(zone)
        now = self._clock()
        fresh = [a for a in dict.fromkeys(candidates) if not self._avoided(a, key, now)]
        if len(fresh) < 2:
            return fresh  # nothing to rank: no server records read for it
        return sorted(fresh, key=self.expected_rtt)

    def choose(self, candidates: Sequence[str], zone: str) -> str | None:
        """The server to ask next for a query in zone, or None if no candidate is usable."""
        ranked = self.usable(candidates, zone)
        if not ranked:
            return None
        if len(ranked) == 1:
            return ranked[0]
        best = self.expected_rtt(ranked[0])
        pick = self._rng.choice([a for a in ranked if self.expected_rtt(a) == best])
        if self._rng.random() < EXPLORE_PROBABILITY:
            pick = self._rng.choice([a for a in ranked if a != pick])
        return pick
