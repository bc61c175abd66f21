"""A negative answer's SOA record carried as bytes, from the upstream reply to the client.

Most cache misses end in NXDOMAIN or NODATA with the zone's SOA (RFC 2308). The SOA read from
the upstream reply (negative_wire.py) is a `WireSOA`: a dnslib `RR` that keeps its owner and
its rdata as uncompressed wire octets. The negative cache stores those octets (cache_entry),
the TTL clamp copies them with another TTL, and the server writes the client's reply from them
(server/replies.py): no name is decoded or encoded again on the way. The dnslib owner label and
SOA rdata are built only on first use (a trace, the library's records, dnslib packing), so a
WireSOA reads, packs and compares as the plain RR that dnslib would have parsed.

The octets never hold the TTL (it is the RR's own field), so setting `ttl` is free; setting the
owner, type, class or rdata builds the dnslib objects and forgets the octets, which then no
longer say the same. Like every cached record, its rdata is not changed in place.
"""

from __future__ import annotations

import struct
from typing import Any

from dnslib import RR, SOA, DNSLabel

from resolver.protocol import TYPE_SOA

TIMES_SIZE = 20  # SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM: five unsigned 32-bit numbers
_TIMES = struct.Struct("!5I")
_new_object = object.__new__


def labels_of(wire: bytes, offset: int = 0) -> tuple[tuple[bytes, ...], int]:
    """The labels of the uncompressed wire name at offset, and the offset after it."""
    labels = []
    while length := wire[offset]:
        labels.append(wire[offset + 1 : offset + 1 + length])
        offset += 1 + length
    return tuple(labels), offset + 1


class WireSOA(RR):
    """An SOA record with its owner (`wire[0]`) and rdata (`wire[1]`: MNAME and RNAME
    uncompressed, then the five numbers) as wire octets; see the module's docstring."""

    wire: tuple[bytes, bytes] | None

    def _get_rname(self) -> DNSLabel:
        fields = self.__dict__
        label = fields.get("_rname")
        if label is None:
            label = fields["_rname"] = DNSLabel(labels_of(fields["wire"][0])[0])
        return label

    def _set_rname(self, rname: Any) -> None:
        self._forget_wire()
        RR.set_rname(self, rname)

    def _get_rdata(self) -> SOA:
        fields = self.__dict__
        rdata = fields.get("_rdata")
        if rdata is None:
            data = fields["wire"][1]
            mname, at = labels_of(data)
            rname, at = labels_of(data, at)
            rdata = fields["_rdata"] = SOA(DNSLabel(mname), DNSLabel(rname),
                                           _TIMES.unpack_from(data, at))
        return rdata

    def _set_rdata(self, rdata: Any) -> None:
        self._forget_wire()
        self.__dict__["_rdata"] = rdata

    def _set_rclass(self, rclass: int) -> None:
        self._forget_wire()
        RR.rclass.fset(self, rclass)

    def _set_rtype(self, rtype: int) -> None:
        self._forget_wire()
        RR.rtype.fset(self, rtype)

    rname = property(_get_rname, _set_rname)
    rdata = property(_get_rdata, _set_rdata)
    rclass = property(RR.rclass.fget, _set_rclass)
    rtype = property(RR.rtype.fget, _set_rtype)

    def _forget_wire(self) -> None:
        if self.__dict__.get("wire") is not None:
            self._get_rname()
            self._get_rdata()
            self.__dict__["wire"] = None

    def __eq__(self, other: object) -> bool:
        # dnslib's RR.__eq__ wants the same type on both sides: a WireSOA equals the plain RR
        # dnslib would have parsed (Python asks the subclass first, whichever side it is on).
        if not isinstance(other, RR) or type(other) not in (RR, WireSOA):
            return False
        return (self.rname == other.rname and self.rclass == other.rclass
                and self.rtype == other.rtype and self.rdata == other.rdata)

    __hash__ = None  # type: ignore[assignment]  # as RR: equal records may differ in TTL


def new_wire_soa(owner: bytes, rclass: int, ttl: int, rdata: bytes) -> WireSOA:
    """An SOA record from its owner's uncompressed wire name and its rdata (names
    uncompressed), both known valid (labels of 1 to 63 octets, names of at most 255)."""
    rr = _new_object(WireSOA)
    rr.__dict__ = {"_rtype": TYPE_SOA, "_rclass": rclass, "_ttl": ttl, "wire": (owner, rdata)}
    return rr


def wire_of(rr: RR) -> tuple[bytes, bytes] | None:
    """A record's (owner, rdata) octets when it carries them (a WireSOA), else None."""
    if type(rr) is WireSOA:
        return rr.__dict__["wire"]
    return None


def with_ttl(rr: WireSOA, ttl: int) -> WireSOA:
    """A copy of a WireSOA with another TTL; what it built already is shared."""
    copy = _new_object(WireSOA)
    fields = dict(rr.__dict__)
    fields["_ttl"] = ttl
    copy.__dict__ = fields
    return copy


def minimum_of(rr: RR) -> int:
    """The SOA MINIMUM field of an SOA record (RFC 2308 §4: the negative caching TTL)."""
    if type(rr) is WireSOA:  # wire_of, inlined: once per cache miss
        wire = rr.__dict__["wire"]
        if wire is not None:
            return int.from_bytes(wire[1][-4:], "big")
    return rr.rdata.times[4]


def record_wire(rr: WireSOA, wire: tuple[bytes, bytes]) -> bytes:
    """The whole record, uncompressed, with its TTL: as RR.pack writes it without compression."""
    fields = rr.__dict__
    owner, rdata = wire
    return owner + _RR_FIXED.pack(TYPE_SOA, fields["_rclass"], fields["_ttl"], len(rdata)) \
        + rdata


_RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH
