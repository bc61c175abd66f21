"""Memory bounds: one cache size in bytes, and its split over every cache that grows with traffic.

`resolve serve --cache-size 64M` and `Resolver(cache_size="64M")` take a byte size: a whole
number of bytes, or one with the suffix K, M or G (binary: 1K = 1024 bytes, as Unbound reads
`rrset-cache-size: 4m`; an optional trailing B or iB is accepted). Each cache counts an entry by
its real size: the wire length of what it holds plus a per-entry overhead measured with
tracemalloc (tests/test_cache_bytes.py checks the measure), and drops entries when its share is
full. So the caches together stay under the cache size, plus the small fixed bounds listed in
the README's "Memory" section (tables whose entries are small and few).

The split of the server's `cache-size` (SERVER_SPLIT):

    packed replies (the server's answer cache)                      30 %
    the Resolver (its `cache_size`), itself split (RESOLVER_SPLIT):  70 %
        RRset cache: positive, negative and failure entries          86 %  (60.2 % of all)
        infra: server records (RTT, back-off, lame marks)             7 %  (4.9 %)
        DNSSEC zone trust: validated DNSKEY RRsets per zone           7 %  (4.9 %)

A library `Resolver(cache_size=...)` has no packed replies: its cache_size is all its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from resolver.errors import InvalidCacheSize

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# 64 MiB. Unbound's defaults are 4 MB of RRsets + 4 MB of messages; an entry of ours costs
# about 1.5 times Unbound's (see benchmarks/README.md), and 64M keeps some 40 000 names with
# their packed replies, about a busy small network's working set, at a fraction of a modern
# machine's memory.
DEFAULT_CACHE_SIZE = 64 * MIB
# Below this, the shares hold too few entries to be a cache (one large RRset may be 64 KB).
MIN_CACHE_SIZE = 256 * KIB
MAX_CACHE_SIZE = 1024 * GIB  # a typo guard ("64T" is not a cache size for one process)

_UNITS = {"": 1, "k": KIB, "m": MIB, "g": GIB}
_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?)(?:i?b)?\s*", re.IGNORECASE)

SERVER_SPLIT = {"replies": 0.30, "resolver": 0.70}
RESOLVER_SPLIT = {"rrsets": 0.86, "infra": 0.07, "zone_trust": 0.07}


def parse_size(value: int | str) -> int:
    """A byte size from `64M`, `512K`, `1G`, `65536` or an int of bytes; InvalidCacheSize (one
    line, naming the value) when it is not one or is outside MIN_CACHE_SIZE..MAX_CACHE_SIZE."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidCacheSize(f"not a byte size: {value!r} (use e.g. 64M, 512K, 1G or bytes)")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.fullmatch(value)
        if match is None:
            raise InvalidCacheSize(
                f"not a byte size: {value!r} (use e.g. 64M, 512K, 1G or bytes)"
            )
        size = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if not MIN_CACHE_SIZE <= size <= MAX_CACHE_SIZE:
        raise InvalidCacheSize(
            f"cache size {format_size(size)} is out of range {format_size(MIN_CACHE_SIZE)}-"
            f"{format_size(MAX_CACHE_SIZE)}"
        )
    return size


def format_size(size: int) -> str:
    """`67108864` -> `64M`: the largest unit that divides the size, else bytes."""
    for suffix, unit in (("G", GIB), ("M", MIB), ("K", KIB)):
        if size and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


@dataclass(frozen=True)
class ResolverShares:
    """What each of a Resolver's caches may hold, in bytes."""

    rrsets: int
    infra: int
    zone_trust: int

    @classmethod
    def of(cls, cache_size: int) -> ResolverShares:
        return cls(*(int(cache_size * RESOLVER_SPLIT[part]) for part in
                     ("rrsets", "infra", "zone_trust")))


@dataclass(frozen=True)
class ServerShares:
    """The server's packed replies and the Resolver it runs, in bytes."""

    replies: int
    resolver: int

    @classmethod
    def of(cls, cache_size: int) -> ServerShares:
        replies = int(cache_size * SERVER_SPLIT["replies"])
        return cls(replies=replies, resolver=cache_size - replies)
