"""QNAME minimisation (RFC 9156): which name and type to ask a zone's servers, label by label.

Below the closest known zone cut each server is asked for only one label more than what is
already known to exist in its zone, until a referral stops coming; then the full question goes
out. "Relaxed" mode, as Unbound's and Knot's defaults: when a server answers a shortened
question badly the walk falls back to the full name (the caller decides when; `stop()`).

Choices, each as Unbound makes them:
- Shortened questions ask for type A (RFC 9156 §3 recommends A over NS: NS queries hit broken
  servers and middleboxes, and an A query looks like any stub's). Knot Resolver uses NS.
- Long names are not walked one label at a time forever (RFC 9156 §2.3): the first
  MINIMISE_ONE_LAB steps add one label each, later steps spread the remaining labels over what is
  left of MAX_MINIMISE_COUNT, and past that the full name is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dnslib import QTYPE

from resolver.cache import ancestors

MINIMISED_QTYPE = QTYPE.A  # RFC 9156 §3: A, not NS (Unbound too)
MAX_MINIMISE_COUNT = 10  # shortened queries per walk at most (Unbound's MAX_MINIMISE_COUNT)
MINIMISE_ONE_LAB = 4  # the first shortened queries add one label each (Unbound's value)


@dataclass
class Minimiser:
    """The shortened questions of one walk towards `qname`/`qtype`."""

    qname: str
    qtype: int
    known: int = 0  # labels of the deepest name known to exist in or at the current zone
    count: int = 0  # shortened questions asked so far
    stopped: bool = False  # full questions from now on
    _names: list[str] = field(default_factory=list)  # by label count: ".", "com.", ...

    def __post_init__(self) -> None:
        self._names = ancestors(self.qname)[::-1]

    @property
    def labels(self) -> int:
        return len(self._names) - 1

    def at_zone(self, zone: str) -> None:
        """The walk now asks the servers of `zone` (the closest cut, or a referral's)."""
        self.known = max(self.known, len(ancestors(zone)) - 1)

    def question(self) -> tuple[str, int]:
        """The name and type to ask next: shortened, or the full question."""
        remaining = self.labels - self.known
        if self.stopped or remaining <= 1:
            return self.qname, self.qtype
        if self.count < MINIMISE_ONE_LAB:
            step = 1
        elif self.count < MAX_MINIMISE_COUNT:
            step = 1 + (remaining - 1) // (MAX_MINIMISE_COUNT - self.count)
        else:
            self.stopped = True
            return self.qname, self.qtype
        self.count += 1
        return self._names[self.known + step], MINIMISED_QTYPE

    def exists(self, name: str) -> None:
        """The server answered NOERROR for the shortened `name`: it exists, one label more."""
        self.known = max(self.known, len(ancestors(name)) - 1)

    def stop(self) -> None:
        self.stopped = True


def asks_in_full(qname: str, zone: str) -> bool:
    """Whether a minimising walk at `zone`'s servers asks for qname itself straight away: it
    is at most one label below the zone (what Minimiser.question gives first)."""
    if "\\" in qname or "\\" in zone:  # an escaped dot is no label separator: count properly
        return len(ancestors(qname)) - len(ancestors(zone)) <= 1
    return qname.count(".") - (zone.count(".") if zone != "." else 0) <= 1
