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
"""

from __future__ import annotations

import struct

from resolver.cache_entry import labels_wire
from resolver.classify import Classified, Kind
from resolver.protocol import NOERROR, NXDOMAIN, TYPE_SOA
from resolver.scrub import in_bailiwick
from resolver.soa_wire import TIMES_SIZE, new_wire_soa
from resolver.wire import HEADER_SIZE, OPT, WireError, decode_labels

_HEADER = struct.Struct("!6H")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH

# Octets that dnslib and wire.name_from_labels render alike (printable ASCII, not '.' or '\').
_PLAIN = bytes(range(0x21, 0x7F)).translate(None, b".\\")

_FLAGS_QR, _FLAGS_TC, _FLAGS_AA = 0x8000, 0x0200, 0x0400


def classify_negative(raw: bytes, zone: str, qname: str, qtype: int) -> Classified | None:
    """The classification of `raw` (from a server of `zone`, to qname/qtype) when it is an
    NXDOMAIN or NODATA reply with the zone's SOA alone in the authority section; None for any
    other reply (classify it in full)."""
    try:
        return _classify(raw, zone.lower(), qname.lower())
    except (WireError, struct.error, ValueError):
        return None


def _classify(raw: bytes, zone: str, qname: str) -> Classified | None:
    n = len(raw)
    if n < HEADER_SIZE:
        return None
    _, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(raw, 0)
    rcode = flags & 0xF
    if (flags & (_FLAGS_QR | _FLAGS_TC | 0x7800)) != _FLAGS_QR or qdcount != 1 or ancount \
            or nscount != 1 or arcount > 1 or rcode not in (NOERROR, NXDOMAIN):
        return None
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
    kind = Kind.NXDOMAIN if rcode == NXDOMAIN else Kind.NODATA
    return Classified(kind=kind, zone=zone, aa=bool(flags & _FLAGS_AA), rcode=rcode,
                      authority=[soa], canonical_name=qname)


def _bare_opt(raw: bytes, pos: int) -> bool:
    """An OPT record at `pos` with the root owner, version 0, no extended RCODE, no options."""
    if len(raw) < pos + 11 or raw[pos] != 0:
        return False
    rtype, _, ttl, rdlength = _RR_FIXED.unpack_from(raw, pos + 1)
    return rtype == OPT and ttl >> 16 == 0 and rdlength == 0
