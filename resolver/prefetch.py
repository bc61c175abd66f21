"""Prefetch: a record asked for in the last tenth of its TTL is refreshed in the background,
so the client after it finds fresh data instead of waiting for a walk (Unbound's `prefetch`
rule). Off by default (`Resolver(prefetch=True)`, `--prefetch`); at most one refresh per
question is in flight, and a refresh never prefetches in turn.
"""

from __future__ import annotations

PREFETCH_FRACTION = 0.1  # Unbound: prefetch when less than 10 % of the original TTL is left
LAST_SECOND = 1  # the smallest remaining TTL the cache reports (it rounds up)


def prefetch_due(remaining: int, original: int) -> bool:
    """Whether a cached RRset with `remaining` of its `original` TTL should be refreshed now.
    Remaining TTLs are rounded up, so a TTL under 10 s would never show a tenth left; like
    Unbound's whole-second rule (prefetch at TTL - TTL/10, integer division), such a record
    is refreshed in its last second."""
    return original > 0 and remaining <= max(LAST_SECOND, original * PREFETCH_FRACTION)
