"""The result of a resolution, shaped like dnspython's Answer so applications can switch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from dnslib import QTYPE, RCODE, RR

from resolver.trace import TraceEvent


@dataclass
class Answer:
    """What a resolution produced.

    `answer` is the full answer section (any CNAME chain, then the final RRset); `rrset` is just
    the final records of the asked type at `canonical_name`; iterating an Answer yields those.
    TTLs are the remaining ones at the time of the answer.
    """

    qname: str
    rdtype: int
    rdclass: int
    rcode: int
    canonical_name: str
    answer: list[RR] = field(default_factory=list)
    authority: list[RR] = field(default_factory=list)
    from_cache: bool = False
    upstream_queries: int = 0
    elapsed: float = 0.0
    trace: list[TraceEvent] = field(default_factory=list)
    created: float = field(default_factory=time.time)

    @property
    def rrset(self) -> list[RR]:
        want = self.canonical_name.lower()
        return [
            rr for rr in self.answer if rr.rtype == self.rdtype and str(rr.rname).lower() == want
        ]

    @property
    def ttl(self) -> int:
        """Smallest remaining TTL of the records answered (0 when there are none)."""
        records = self.answer or self.authority
        return min((rr.ttl for rr in records), default=0)

    @property
    def expiration(self) -> float:
        """Wall-clock time at which this answer stops being valid."""
        return self.created + self.ttl

    @property
    def rcode_text(self) -> str:
        return RCODE.get(self.rcode, str(self.rcode))

    @property
    def rdtype_text(self) -> str:
        return QTYPE.get(self.rdtype, f"TYPE{self.rdtype}")

    @property
    def servers_contacted(self) -> list[str]:
        """Addresses queried during the walk, in first-contact order."""
        seen: dict[str, None] = {}
        for event in self.trace:
            address = getattr(event, "address", None)
            if event.kind == "query_sent" and address:
                seen.setdefault(address, None)
        return list(seen)

    def __iter__(self) -> Iterator[RR]:
        return iter(self.rrset)

    def __len__(self) -> int:
        return len(self.rrset)
