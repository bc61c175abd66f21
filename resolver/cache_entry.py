"""The compact form of one RRset cache entry: a single `bytes` object, and its size in bytes.

A cached RRset used to be a dataclass holding a tuple of dnslib `RR`s, each with a `DNSLabel`
and an rdata object: some 2 KB and a dozen GC-tracked objects per cached name, which the
garbage collector walked on every full collection. Now an entry is one `bytes` value under one
`str` key, neither tracked by the collector, and the records are rebuilt as dnslib `RR`s when
read (`RRsetCache.get` and friends keep their results unchanged).

Layout of an entry (network byte order):

    HEAD      expires (double, cache clock), serial (u64: store order), ttl (u32: as stored),
              trust, rcode, security code, flags (u8 each), records_at (u16), extra_at (u32)
    name      only if it differs from the key's canonical owner: NAME_WIRE, the owner's exact
              labels as an uncompressed wire name (an RRset's records keep their owner's case);
              NAME_TEXT, u16 length + UTF-8 text (a negative entry's name as given)
    records   positive: per record u16 rdlength + rdata (owner, type, class from the entry);
              negative: the SOA as a whole record (owner, type, class, TTL, rdlength, rdata)
    extra     whole records: the RRSIGs beside positive data, the NSEC/NSEC3 proof beside
              negative data

Names inside rdata are never compressed, so each record stands alone in the entry. TTLs in
the entry are not read back: everything handed out carries the entry's remaining TTL.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable
from typing import Any, NamedTuple

from dnslib import CNAME, NS, PTR, QTYPE, RD, RDMAP, RR, SOA, DNSBuffer, DNSLabel
from dnslib.label import DNSLabelError

from resolver import soa_wire
from resolver.protocol import TYPE_SOA
from resolver.wire import OPT

_HEAD = struct.Struct("!dQIBBBBHI")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH
_SOA_TIMES = struct.Struct("!5I")
HEAD_SIZE = _HEAD.size
NAME_WIRE = 0x01
NAME_TEXT = 0x02

SECURITY_CODES: tuple[str | None, ...] = (None, "secure", "insecure", "bogus", "indeterminate")
_SECURITY = {value: code for code, value in enumerate(SECURITY_CODES)}

# Bytes an entry costs beyond len(key) + len(value): the OrderedDict slot and link node of the
# ByteLRU, the str object of the key and the bytes object of the value, pymalloc's rounding, at
# the dict's least favourable fill (just after it grew). Measured with tracemalloc by
# tests/test_cache_bytes.py (which fails if the real cost per entry exceeds the accounted one).
ENTRY_OVERHEAD = 200
# A resolution failure is a tuple (name, reason, failures, until, expires, ede): its own objects
# (tuple, two floats, the strs' headers) on top of the slot and key. Measured the same way.
FAILURE_OVERHEAD = 400


class Head(NamedTuple):
    """The fixed fields of an entry, readable without rebuilding any record."""

    expires: float
    serial: int
    ttl: int
    trust: int
    rcode: int
    security: int
    flags: int
    records_at: int
    extra_at: int


def head(entry: bytes) -> Head:
    return Head._make(_HEAD.unpack_from(entry))


def expires_of(entry: bytes) -> float:
    """The absolute expiry time of an entry (its first field)."""
    return _HEAD.unpack_from(entry)[0]


_STAMP = struct.Struct("!dQ")  # HEAD's first two fields


def stamp_of(entry: bytes) -> tuple[float, int]:
    """An entry's expiry and serial (HEAD's first two fields), without the rest of its head."""
    return _STAMP.unpack_from(entry)


def stamp_prefix(expires: float, serial: int) -> bytes:
    """The first octets of every entry whose stamp_of is (expires, serial)."""
    return _STAMP.pack(expires, serial)


def same_but_serial(a: bytes, b: bytes) -> bool:
    """Whether two entries differ at most in their serial (HEAD's second field)."""
    return a[:8] == b[:8] and a[16:] == b[16:]  # expires: 8 octets, then serial: 8 octets


def security_code(security: str | None) -> int:
    """The code of a DNSSEC status (resolver.dnssec.Security value); ValueError if unknown."""
    try:
        return _SECURITY[security]
    except KeyError:
        raise ValueError(f"unknown DNSSEC status {security!r}") from None


# dnslib checks every field of an RR and an SOA through a property as it is set (several Python
# calls each). Records rebuilt from the cache or read from the wire here have fields already
# known valid, so their attributes are set as dnslib's own constructors leave them: the same
# objects, equal and alike in every attribute, in a fraction of the time. Should a dnslib
# release name its attributes otherwise, the constructors themselves are used (checked once).
_RR_FIELDS = ("_rname", "_rtype", "_rclass", "_ttl", "rdata")
_SOA_FIELDS = ("_mname", "_rname", "_times")
_new_object = object.__new__


def _attributes_as_expected() -> bool:
    label = DNSLabel("a.")
    soa = SOA(label, label, (1, 2, 3, 4, 5))
    return (tuple(vars(soa)) == _SOA_FIELDS
            and tuple(vars(RR(label, QTYPE.SOA, 1, 1, soa))) == _RR_FIELDS)


_DIRECT = _attributes_as_expected()


def record_fields(rr: RR) -> tuple[DNSLabel, int, int, int, Any]:
    """A record's (rname, rtype, rclass, ttl, rdata), read as stored where dnslib's
    properties would each take a call."""
    if _DIRECT and type(rr) is RR:
        fields = rr.__dict__
        return fields["_rname"], fields["_rtype"], fields["_rclass"], fields["_ttl"], \
            fields["rdata"]
    return rr.rname, rr.rtype, rr.rclass, rr.ttl, rr.rdata


def new_rr(rname: DNSLabel, rtype: int, rclass: int, ttl: int, rdata: RD) -> RR:
    """RR(rname, rtype, rclass, ttl, rdata) for fields known valid: a DNSLabel owner, 16-bit
    type (not OPT) and class, a TTL of 0 to 2**32 - 1, and rdata of that type."""
    if not _DIRECT:
        return RR(rname, rtype, rclass, ttl, rdata)
    rr = _new_object(RR)
    rr.__dict__ = {"_rname": rname, "_rtype": rtype, "_rclass": rclass, "_ttl": ttl,
                   "rdata": rdata}
    return rr


def new_soa(mname: DNSLabel, rname: DNSLabel, times: tuple[int, int, int, int, int]) -> SOA:
    """SOA(mname, rname, times) for DNSLabel names and five unsigned 32-bit numbers."""
    if not _DIRECT:
        return SOA(mname, rname, times)
    soa = _new_object(SOA)
    soa.__dict__ = {"_mname": mname, "_rname": rname, "_times": times}
    return soa


def with_ttl(rr: RR, ttl: int) -> RR:
    """A copy of a record with another TTL (0 to 2**32 - 1); its rdata is shared, not
    copied: cached records are treated as immutable by every caller."""
    if type(rr) is soa_wire.WireSOA:
        return soa_wire.with_ttl(rr, ttl)  # its octets are shared too
    fields = rr.__dict__
    if not _DIRECT or type(rr) is not RR or fields["_rtype"] == OPT:
        return RR(rr.rname, rr.rtype, rr.rclass, ttl, rr.rdata)
    copy = _new_object(RR)
    copy.__dict__ = {"_rname": fields["_rname"], "_rtype": fields["_rtype"],
                     "_rclass": fields["_rclass"], "_ttl": ttl, "rdata": fields["rdata"]}
    return copy


class _PlainBuffer(DNSBuffer):
    """A DNSBuffer that never compresses names, so every record can be read on its own."""

    def encode_name(self, name: DNSLabel | str) -> None:
        self.encode_name_nocompress(name)


def _name_wire(name: DNSLabel) -> bytes:
    """An uncompressed wire name, refused as DNSBuffer.encode_name_nocompress refuses it."""
    try:
        return labels_wire(name.label)
    except TypeError:  # labels that cannot be hashed (bytearray): not remembered
        return labels_wire.__wrapped__(name.label)


# A negative answer's SOA names its zone, its primary server and its mailbox: the same few
# names again and again, encoded once each.
@functools.lru_cache(maxsize=1024)
def labels_wire(labels: tuple[bytes, ...]) -> bytes:
    if len(b".".join(labels)) > 253:
        raise DNSLabelError(f"Domain label too long: {DNSLabel(labels)!r}")
    out = bytearray()
    for label in labels:
        if len(label) > 63:
            raise DNSLabelError(f"Label component too long: {label!r}")
        out.append(len(label))
        out += label
    out.append(0)
    return bytes(out)


def _soa_wire(rr: RR) -> bytes | None:
    """A whole SOA record as RR.pack writes it without compression, without a DNSBuffer
    (a negative answer caches one per cache miss); None unless its names are DNSLabels."""
    owner, rtype, rclass, ttl, soa = record_fields(rr)
    if type(soa) is not SOA:
        return None
    mname, rname = soa.mname, soa.rname
    if type(owner) is not DNSLabel or type(mname) is not DNSLabel \
            or type(rname) is not DNSLabel:
        return None
    rdata = _name_wire(mname) + _name_wire(rname) + _SOA_TIMES.pack(*soa.times)
    return _name_wire(owner) + _RR_FIXED.pack(rtype, rclass, ttl, len(rdata)) + rdata


def _plain_soa(soa: RR) -> bytes | None:
    """An SOA record's octets, uncompressed, when they come without dnslib's packing."""
    wire = soa.__dict__.get("wire") if type(soa) is soa_wire.WireSOA else None
    return soa_wire.record_wire(soa, wire) if wire is not None else _soa_wire(soa)


def pack_negative(expires: float, serial: int, trust: int, rcode: int, security: str | None,
                  soa: RR, name_text: str | None, proof: Iterable[RR]) -> bytes:
    """The entry of a negative answer (TTL field 0): pack()'s, with its arguments by position
    (a cache miss stores one, and keywords cost)."""
    if name_text is None and not proof:
        body = _plain_soa(soa)
        if body is not None:
            return _HEAD.pack(expires, serial, 0, trust, rcode, security_code(security), 0,
                              HEAD_SIZE, HEAD_SIZE + len(body)) + body
    return pack(expires=expires, serial=serial, ttl=0, trust=trust, rcode=rcode,
                security=security, name_text=name_text, records=(soa,), extra=proof)


def pack(
    *, expires: float, serial: int, ttl: int, trust: int, rcode: int, security: str | None,
    name_wire: DNSLabel | None = None, name_text: str | None = None,
    rdatas: Iterable[RR] = (), records: Iterable[RR] = (), extra: Iterable[RR] = (),
) -> bytes:
    """An entry from its fields. `rdatas`: an RRset's records, kept as rdata only; `records`:
    whole records (a negative answer's SOA); `extra`: whole records kept beside them."""
    if name_wire is None and name_text is None and not rdatas and not extra \
            and type(records) is tuple and len(records) == 1:
        # A plain negative answer: the head and its SOA, nothing else.
        body = _plain_soa(records[0])
        if body is not None:
            return _HEAD.pack(expires, serial, ttl, trust, rcode, security_code(security), 0,
                              HEAD_SIZE, HEAD_SIZE + len(body)) + body
    buffer = _PlainBuffer()
    buffer.append(bytes(HEAD_SIZE))  # filled in below
    flags = 0
    if name_wire is not None:
        flags |= NAME_WIRE
        buffer.encode_name_nocompress(name_wire)
    elif name_text is not None:
        flags |= NAME_TEXT
        text = name_text.encode()
        buffer.pack("!H", len(text))
        buffer.append(text)
    records_at = buffer.offset
    for rr in rdatas:
        at = buffer.offset
        buffer.pack("!H", 0)
        rr.rdata.pack(buffer)
        buffer.update(at, "!H", buffer.offset - at - 2)
    for rr in records:
        wire = soa_wire.wire_of(rr)
        if wire is not None:
            buffer.append(soa_wire.record_wire(rr, wire))  # the same octets, not re-encoded
        else:
            rr.pack(buffer)
    extra_at = buffer.offset
    for rr in extra:
        rr.pack(buffer)
    data = buffer.data
    _HEAD.pack_into(data, 0, expires, serial, ttl, trust, rcode, security_code(security), flags,
                    records_at, extra_at)
    return bytes(data)


def owner_of(entry: bytes, fields: Head, owner: str) -> tuple[str, DNSLabel]:
    """The entry's name as text and as the label its records carry; `owner` is the key's."""
    if fields.flags & NAME_WIRE:
        label = _wire_label(entry, HEAD_SIZE)
        return str(label), label
    if fields.flags & NAME_TEXT:
        text = entry[HEAD_SIZE + 2 : fields.records_at].decode()
        return text, DNSLabel(text)
    return owner, DNSLabel(owner)


def _wire_label(entry: bytes, offset: int) -> DNSLabel:
    """The uncompressed wire name at offset. Read here, not by dnslib's decode_name: four
    times faster, and it does not refuse labels that are not UTF-8."""
    labels = []
    while length := entry[offset]:
        labels.append(entry[offset + 1 : offset + 1 + length])
        offset += 1 + length
    return DNSLabel(labels)


# Rdata that is one domain name (the zone cut's NS RRsets, CNAME chains): built directly.
_NAME_RDATA = {QTYPE.NS: NS, QTYPE.CNAME: CNAME, QTYPE.PTR: PTR}


def unpack_rdatas(
    entry: bytes, fields: Head, label: DNSLabel, rtype: int, rclass: int, ttl: int
) -> tuple[RR, ...]:
    """An RRset's records, rebuilt with `label` as owner and `ttl`."""
    offset = fields.records_at
    end = fields.extra_at
    records = []
    name_rdata = _NAME_RDATA.get(rtype)
    if name_rdata is not None:
        while offset < end:
            length = (entry[offset] << 8) | entry[offset + 1]
            rdata = name_rdata(_wire_label(entry, offset + 2))
            records.append(new_rr(label, rtype, rclass, ttl, rdata))
            offset += 2 + length
        return tuple(records)
    buffer = DNSBuffer(entry)
    buffer.offset = offset
    parse = RDMAP.get(QTYPE.get(rtype), RD).parse
    make = RR if rtype == OPT else new_rr  # an OPT record carries EDNS fields of its own
    while offset < end:
        (length,) = buffer.unpack("!H")
        records.append(make(label, rtype, rclass, ttl, parse(buffer, length)))
        offset += 2 + length
        buffer.offset = offset  # whatever the rdata parser read, the next record starts here
    return tuple(records)


def unpack_soa(entry: bytes, start: int, end: int, ttl: int) -> tuple[RR, ...]:
    """A negative entry's records (see unpack_records): its lone SOA as a WireSOA, its octets
    as stored (nothing decoded, so a reply to the client is written from them)."""
    at = start
    while length := entry[at]:
        at += 1 + length
    at += 1
    if at + 10 <= end:
        rtype, rclass, _, rdlength = _RR_FIXED.unpack_from(entry, at)
        if rtype == TYPE_SOA and at + 10 + rdlength == end and rdlength > _SOA_TIMES.size:
            return (soa_wire.new_wire_soa(entry[start:at], rclass, ttl, entry[at + 10 : end]),)
    return unpack_records(entry, start, end, ttl)


def unpack_records(entry: bytes, start: int, end: int, ttl: int) -> tuple[RR, ...]:
    """Whole records between two offsets, each given `ttl`."""
    if start >= end:
        return ()
    buffer = DNSBuffer(entry)
    buffer.offset = start
    records = []
    while buffer.offset < end:
        rr = RR.parse(buffer)
        rr.ttl = ttl
        records.append(rr)
    return tuple(records)


def entry_bytes(key: str, value: bytes | tuple[Any, ...]) -> int:
    """What an RRset cache entry costs: its key and value plus the measured overhead."""
    if isinstance(value, bytes):
        return ENTRY_OVERHEAD + len(key) + len(value)
    return FAILURE_OVERHEAD + len(key) + len(value[0]) + len(value[1])
