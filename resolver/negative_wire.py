"""Negative upstream replies read straight from the wire: NXDOMAIN and NODATA (RFC 2308).

Most cache misses end in a negative reply whose only record is the zone's SOA in the
authority section. For that one shape, `classify_negative` reads the header, the question and
the SOA with our wire helpers and returns the very `Classified` that `DNSRecord.parse`, then
scrub and classify, would give (kind, AA, rcode, the SOA record with its TTL, nothing dropped,
nothing to rank), without building dnslib objects for the rest of the message.

Anything else returns None and takes the full path, which also judges what this path refuses:
- a header that is not a plain reply: TC=1, an opcode other than QUERY, an RCODE other than
  NOERROR and NXDOMAIN, not exactly one question, any answer record, not exactly one authority
  record, additional records other than one bare OPT (no options, no extended RCODE);
- an authority record that is not an SOA of the question's class, out of the bailiwick of the
  zone asked, or not enclosing QNAME (scrub would drop it: the reply means something else);
- what dnslib reads differently from us or refuses: labels outside printable ASCII, '.' or '\\'
  inside a label, SOA data whose length is not RDLENGTH, octets after the last record, and any
  name our stricter decoder refuses (wire.WireError).
DNSSEC replies with NSEC/NSEC3 or RRSIGs have more than one authority record, so they take
the full path and keep their proofs.

Names are read in wire form when all their labels are plain and at most 32 octets long (the
usual case): a run of such labels is one regular-expression match, a compressed name is its
runs joined, and the owner's text is its octets with each length octet read as a dot (a length
of 1-32 is never a plain label octet). Any other name, or anything doubtful, makes the reply
take the label-by-label reading (`_classify_labels`), which gives the same result.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Callable
from typing import cast

from resolver.cache_entry import labels_wire
from resolver.classify import Classified, Kind, denial
from resolver.protocol import NOERROR, NXDOMAIN, TYPE_SOA
from resolver.scrub import in_bailiwick
from resolver.soa_wire import TIMES_SIZE, new_wire_soa
from resolver.wire import (
    HEADER_SIZE,
    MAX_NAME_OCTETS,
    MAX_POINTER_HOPS,
    OPT,
    WireError,
    decode_labels,
)

_HEADER = struct.Struct("!6H")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH

# Octets that dnslib and wire.name_from_labels render alike (printable ASCII, not '.' or '\').
_PLAIN = bytes(range(0x21, 0x7F)).translate(None, b".\\")

_FLAGS_QR, _FLAGS_TC, _FLAGS_AA = 0x8000, 0x0200, 0x0400


def classify_negative(raw: bytes, zone: str, qname: str, qtype: int) -> Classified | None:
    """The classification of `raw` (from a server of `zone`, to qname/qtype) when it is an
    NXDOMAIN or NODATA reply with the zone's SOA alone in the authority section; None for any
    other reply (classify it in full)."""
    if len(raw) < HEADER_SIZE:
        return None
    _, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(raw, 0)
    rcode = flags & 0xF
    if (flags & (_FLAGS_QR | _FLAGS_TC | 0x7800)) != _FLAGS_QR or qdcount != 1 or ancount \
            or nscount != 1 or arcount > 1 or rcode not in (NOERROR, NXDOMAIN):
        return None
    zone, qname = zone.lower(), qname.lower()
    if type(raw) is not bytes:
        raw = bytes(raw)  # a bytearray's slices would be bytearrays
    try:
        return _classify_plain(raw, zone, qname, flags, arcount)
    except _Unsure:
        pass
    try:
        return _classify_labels(raw, zone, qname, flags, arcount)
    except (WireError, struct.error, ValueError):
        return None


class _Unsure(Exception):
    """The wire-form reading cannot tell: the label-by-label reading decides."""


_UNSURE = _Unsure()  # raised often enough on odd replies to keep one

# A run of plain labels (printable ASCII but '.' and '\\') of 1 to 32 octets, their length
# octets (0x01-0x20) never plain: the match over the raw message from an offset (never None:
# the run may be empty).
_RUN = cast(Callable[[bytes, int], re.Match[bytes]], re.compile(b"(?:" + b"|".join(
    b"\\x%02x[\\x21-\\x2d\\x2f-\\x5b\\x5d-\\x7e]{%d}" % (size, size) for size in range(1, 33)
) + b")*").match)
# Length octets read as dots: the text of a run of such labels.
_DOTS = bytes.maketrans(bytes(range(1, 33)), b"." * 32)


def _plain_name(raw: bytes, pos: int,
                tails: dict[int, tuple[bytes, int, int]]) -> tuple[bytes, int]:
    """(uncompressed octets, end) of the name at pos, its compression followed as
    wire.decode_labels follows it; _Unsure unless every label is plain and of 1-32 octets.
    `tails` keeps what _tail read at each pointer target of the message (an SOA's three names
    usually end with the same pointer)."""
    stop = pos if raw[pos] >= 0xC0 else _RUN(raw, pos).end()
    length = raw[stop]
    if length == 0:
        if stop - pos >= MAX_NAME_OCTETS:
            raise _UNSURE
        return raw[pos : stop + 1], stop + 1
    if length < 0xC0:
        raise _UNSURE  # a label that is not plain or longer than 32 octets, or a reserved type
    target = ((length & 0x3F) << 8) | raw[stop + 1]
    if not HEADER_SIZE <= target < pos:  # a pointer goes back, not into the header
        raise _UNSURE
    if target in tails:
        tail, size, hops = tails[target]
    else:
        tail, hops = _tail(raw, target)
        size = len(tail)
        tails[target] = tail, size, hops
    if hops >= MAX_POINTER_HOPS or stop - pos + size > MAX_NAME_OCTETS:
        raise _UNSURE
    return raw[pos:stop] + tail, stop + 2


def _tail(raw: bytes, start: int) -> tuple[bytes, int]:
    """(uncompressed octets, pointers followed) of the name a pointer to start reads; _Unsure
    as _plain_name."""
    name = b""
    hops = 0
    while True:
        stop = _RUN(raw, start).end()
        length = raw[stop]
        if length == 0:
            return name + raw[start : stop + 1], hops
        if length < 0xC0:
            raise _UNSURE
        name += raw[start:stop]
        target = ((length & 0x3F) << 8) | raw[stop + 1]
        hops += 1
        if not HEADER_SIZE <= target < start or hops >= MAX_POINTER_HOPS:
            raise _UNSURE
        start = target


# The owner names of negative answers are few (the zones): one copy of each is kept.
_shared = functools.lru_cache(maxsize=1024)(lambda octets: octets)


def _classify_plain(raw: bytes, zone: str, qname: str, flags: int,
                    arcount: int) -> Classified | None:
    """_classify_labels for names of plain labels, read in wire form; see the docstring."""
    n = len(raw)
    try:
        # The question: never compressed (a pointer would go into the header).
        pos = _RUN(raw, HEADER_SIZE).end()
        if raw[pos] or pos - HEADER_SIZE >= MAX_NAME_OCTETS or pos + 5 > n:
            raise _UNSURE
        qclass = (raw[pos + 3] << 8) | raw[pos + 4]
        tails: dict[int, tuple[bytes, int, int]] = {}
        owner, pos = _plain_name(raw, pos + 5, tails)
        rtype, rclass, ttl, rdlength = _RR_FIXED.unpack_from(raw, pos)
        pos += 10
        end = pos + rdlength
        if rtype != TYPE_SOA or rclass != qclass or end > n:
            return None
        mname, pos = _plain_name(raw, pos, tails)
        rname, pos = _plain_name(raw, pos, tails)
    except (IndexError, struct.error):
        raise _UNSURE from None
    if pos + TIMES_SIZE != end:
        return None  # dnslib reads SOA data by its content, not by RDLENGTH
    # The owner's text: its labels are plain, so only length octets become dots.
    text = owner[1:-1].translate(_DOTS).lower().decode("ascii") + "."
    # in_bailiwick(text, zone) and in_bailiwick(qname, text), all lower case already.
    if not (zone == "." or text == zone or text.endswith("." + zone)) \
            or not (text == "." or qname == text or qname.endswith("." + text)):
        return None
    if arcount:  # one bare OPT: the root, OPT, version 0, no extended RCODE, no options
        if end + 11 != n or raw[end] or raw[end + 1 : end + 3] != b"\x00\x29" \
                or raw[end + 5] or raw[end + 6] or raw[end + 9 : end + 11] != b"\x00\x00":
            return None
    elif end != n:
        return None
    soa = new_wire_soa(_shared(owner), rclass, ttl, mname + rname + raw[end - 20 : end])
    rcode = flags & 0xF
    return denial(Kind.NXDOMAIN if rcode == NXDOMAIN else Kind.NODATA, zone,
                  bool(flags & _FLAGS_AA), rcode, soa, qname)


def _classify_labels(raw: bytes, zone: str, qname: str, flags: int,
                     arcount: int) -> Classified | None:
    """The reply read label by label, for any names (the header checked already)."""
    n = len(raw)
    rcode = flags & 0xF
    # The question: only its class matters (the transport checked it answers ours).
    question, pos = decode_labels(raw, HEADER_SIZE)
    if pos + 4 > n:
        return None
    qclass = (raw[pos + 2] << 8) | raw[pos + 3]
    pos += 4
    # The SOA.
    owner_labels, pos = decode_labels(raw, pos)
    if pos + 10 > n:
        return None
    rtype, rclass, ttl, rdlength = _RR_FIXED.unpack_from(raw, pos)
    pos += 10
    end = pos + rdlength
    if rtype != TYPE_SOA or rclass != qclass or end > n:
        return None
    mname, pos = decode_labels(raw, pos)
    rname, pos = decode_labels(raw, pos)
    if pos + TIMES_SIZE != end:
        return None  # dnslib reads SOA data by its content, not by RDLENGTH
    # Octets dnslib reads or renders otherwise than we do, in any of the four names: beyond
    # printable ASCII (dnslib wants UTF-8), '.' or '\' inside a label.
    if b"".join(question + owner_labels + mname + rname).translate(None, _PLAIN):
        return None
    # Plain labels: their text (wire.name_from_labels, dnslib's too) is the labels joined by '.'.
    owner = b".".join(owner_labels).lower().decode("ascii") + "."
    if not in_bailiwick(owner, zone) or not in_bailiwick(qname, owner):
        return None
    pos = end
    if arcount:
        if not _bare_opt(raw, pos):
            return None
        pos += 11
    if pos != n:
        return None
    # The SOA travels as its uncompressed octets (soa_wire.py): its names are not encoded again.
    soa = new_wire_soa(labels_wire(tuple(owner_labels)), rclass, ttl,
                       labels_wire(tuple(mname)) + labels_wire(tuple(rname)) + raw[end - 20 : end])
    return denial(Kind.NXDOMAIN if rcode == NXDOMAIN else Kind.NODATA, zone,
                  bool(flags & _FLAGS_AA), rcode, soa, qname)


def _bare_opt(raw: bytes, pos: int) -> bool:
    """An OPT record at `pos` with the root owner, version 0, no extended RCODE, no options."""
    if len(raw) < pos + 11 or raw[pos] != 0:
        return False
    rtype, _, ttl, rdlength = _RR_FIXED.unpack_from(raw, pos + 1)
    return rtype == OPT and ttl >> 16 == 0 and rdlength == 0
