"""`RRset`: the records of one owner name, type and class, with one TTL (RFC 2181 5)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import overload

from dnslib import RR, DNSBuffer, DNSLabel

from resolver.records.codecs import RdataError
from resolver.records.name import Name
from resolver.records.rdata import RRSIG, GenericRdata, Rdata, from_text, from_wire
from resolver.records.types import CLASS_VALUES, IN, class_text, type_text, type_value

RRSIG_TYPE = 46


class RRset:
    """An immutable RRset shaped like dnspython's: `.name`, `.ttl`, `.rdtype`, `.rdclass`,
    `.covers`, iteration, `len()`, indexing and `to_text()` as zone-file lines.

    Two RRsets are equal when name, type, class and covers match and they hold the same rdata
    in any order; the TTL does not count (as in dnspython).
    """

    __slots__ = ("name", "ttl", "rdtype", "rdclass", "covers", "_items")

    name: Name
    """The owner name."""
    ttl: int
    """The TTL in seconds (the smallest of the records', RFC 2181 5.2)."""
    rdtype: int
    """The record type's number."""
    rdclass: int
    """The record class's number (1 for IN)."""
    covers: int
    """For an RRSIG RRset, the type its signatures cover; else 0."""
    _items: tuple[Rdata, ...]

    def __init__(
        self,
        name: Name | str,
        ttl: int,
        rdtype: int,
        items: Iterable[Rdata] = (),
        *,
        rdclass: int = IN,
        covers: int = 0,
    ) -> None:
        records = tuple(dict.fromkeys(items))  # a set in arrival order: no duplicate rdata
        for rdata in records:
            if rdata.rdtype != rdtype or rdata.rdclass != rdclass:
                raise RdataError(f"{rdata!r} does not belong in a {type_text(rdtype)} RRset")
        for attr, value in (
            ("name", Name.from_text(name) if isinstance(name, str) else name),
            ("ttl", ttl),
            ("rdtype", rdtype),
            ("rdclass", rdclass),
            ("covers", covers),
            ("_items", records),
        ):
            object.__setattr__(self, attr, value)

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("RRset is immutable")

    def __reduce__(self) -> tuple[Callable[..., RRset], tuple[object, ...]]:
        return _rebuild, (self.name, self.ttl, self.rdtype, self._items, self.rdclass, self.covers)

    def __iter__(self) -> Iterator[Rdata]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Rdata: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Rdata, ...]: ...
    def __getitem__(self, index: int | slice) -> Rdata | tuple[Rdata, ...]:
        return self._items[index]

    def __contains__(self, rdata: object) -> bool:
        return rdata in self._items

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RRset):
            return NotImplemented
        return (self.name, self.rdtype, self.rdclass, self.covers) == (
            other.name,
            other.rdtype,
            other.rdclass,
            other.covers,
        ) and set(self._items) == set(other._items)

    def __hash__(self) -> int:
        return hash((self.name, self.rdtype, self.rdclass, self.covers, frozenset(self._items)))

    def to_text(self) -> str:
        """One zone-file line per record, "name ttl class type rdata", joined by newlines."""
        head = f"{self.name} "
        kind = f"{class_text(self.rdclass)} {type_text(self.rdtype)}"
        if not self._items:
            return f"{head}{kind}"
        return "\n".join(f"{head}{self.ttl} {kind} {rdata.to_text()}" for rdata in self._items)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        listed = ", ".join(f"<{rdata.to_text()}>" for rdata in self._items)
        kind = f"{class_text(self.rdclass)} {type_text(self.rdtype)}"
        return f"<DNS {self.name} {kind} RRset: [{listed}]>"


def _rebuild(
    name: Name, ttl: int, rdtype: int, items: tuple[Rdata, ...], rdclass: int, covers: int
) -> RRset:
    return RRset(name, ttl, rdtype, items, rdclass=rdclass, covers=covers)


def rrset_from_text(
    name: str, ttl: int, rdclass: str | int, rdtype: str | int, *texts: str
) -> RRset:
    """dnspython's `dns.rrset.from_text`: an RRset from presentation rdata strings."""
    try:
        rtype = rdtype if isinstance(rdtype, int) else type_value(rdtype)
        klass = rdclass if isinstance(rdclass, int) else CLASS_VALUES[rdclass.upper()]
    except (KeyError, ValueError):
        raise RdataError(f"unknown record type or class: {rdtype!r} {rdclass!r}") from None
    items = [from_text(rtype, text, klass) for text in texts]
    return RRset(name, ttl, rtype, items, rdclass=klass, covers=_covers(items))


def _covers(items: list[Rdata]) -> int:
    return items[0].type_covered if items and isinstance(items[0], RRSIG) else 0


# --- from dnslib's records (the engine inside) to ours, at the API boundary -----------------


class _UncompressedBuffer(DNSBuffer):
    """dnslib packs names in rdata compressed; ours are read whole (RFC 3597 section 4)."""

    def encode_name(self, name: DNSLabel | str) -> None:
        self.encode_name_nocompress(name)


def rdata_from_dnslib(rr: RR) -> Rdata:
    """Our rdata for one dnslib RR: its octets re-read by our own codecs.

    Rdata our codecs reject (dnslib is more lenient on some types) is kept in RFC 3597 generic
    form rather than lost.
    """
    buffer = _UncompressedBuffer()
    rr.rdata.pack(buffer)
    data = bytes(buffer.data)
    try:
        return from_wire(rr.rtype, data, rr.rclass)
    except RdataError:
        return GenericRdata(rr.rtype, data, rdclass=rr.rclass)


def rrsets_from_dnslib(records: Iterable[RR]) -> list[RRset]:
    """Group dnslib RRs into our RRsets, in order of first appearance; an RRset's TTL is the
    smallest of its records' (RFC 2181 5.2). RRSIGs group by the type they cover."""
    groups: dict[tuple[Name, int, int, int], tuple[Name, list[int], list[Rdata]]] = {}
    for rr in records:
        rdata = rdata_from_dnslib(rr)
        name = Name(rr.rname.label)
        covers = rdata.type_covered if isinstance(rdata, RRSIG) else 0
        key = (name, rr.rtype, rr.rclass, covers)
        group = groups.setdefault(key, (name, [], []))
        group[1].append(rr.ttl)
        group[2].append(rdata)
    return [
        RRset(name, min(ttls), rtype, items, rdclass=rclass, covers=covers)
        for (_, rtype, rclass, covers), (name, ttls, items) in groups.items()
    ]
