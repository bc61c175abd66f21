"""Build reply messages: error replies and negative answers (an SOA alone in the authority
section) straight from bytes, other answers with dnslib (misses).

Every reply keeps the client's ID and question as sent (letter case included), sets QR=1 and
RA=1, copies RD and CD, and carries an OPT record advertising 1232 octets when the query had one
(RFC 6891 §7), with the DO bit copied (RFC 3225 §3). AA and AD stay 0: we are a recursive server
and do not validate DNSSEC.
"""

from __future__ import annotations

import struct

from dnslib import CLASS, QTYPE, RD, RR, SOA, TXT, DNSHeader, DNSLabel, DNSQuestion, DNSRecord
from dnslib.label import DNSBuffer, DNSLabelError

from resolver.answer import Answer
from resolver.ede import ExtendedError
from resolver.server.config import EDNS_UDP_SIZE
from resolver.server.dnssec_reply import (
    AD_FLAG,
    authenticated,
    dnssec_sections,
)
from resolver.server.query import ClientQuery
from resolver.soa_wire import labels_of, wire_of
from resolver.wire import HEADER_SIZE, MAX_LABEL_OCTETS, MAX_POINTER_TARGET

NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
BADVERS = 16  # RFC 6891 §9: extended rcode, carried half in the header, half in OPT

# RFC 8482 §4.2: answer ANY with one synthesized HINFO instead of everything we hold.
RFC8482_TTL = 3600
RFC8482_HINFO = b"\x07RFC8482\x00"  # HINFO rdata: CPU "RFC8482", OS "" (dnslib has no HINFO)
OPT_SIZE = 11  # our OPT record: root owner, fixed fields, no options
MAX_TXT_STRING = 255  # RFC 1035 §3.3: a character-string is one length octet and its data
MAX_NAME_TEXT = 253  # the longest name dnslib packs: its presentation length, 255 on the wire


class CompressingBuffer(DNSBuffer):
    """dnslib's name compression, but a name suffix is remembered only where a pointer can
    reach it: dnslib records every offset and, past 16 KB, writes pointers whose top bits are
    cut off, so a large reply points its names at the wrong octets."""

    def encode_name(self, name: DNSLabel | str | bytes) -> None:
        if not isinstance(name, DNSLabel):
            name = DNSLabel(name)
        if len(name) > MAX_NAME_TEXT:
            raise DNSLabelError(f"Domain label too long: {name!r}")
        labels = list(name.label)
        while labels:
            suffix = tuple(labels)
            pointer = self.names.get(suffix)
            if pointer is not None:
                self.pack("!H", 0xC000 | pointer)
                return
            if self.offset <= MAX_POINTER_TARGET:
                self.names[suffix] = self.offset
            label = labels.pop(0)
            if len(label) > MAX_LABEL_OCTETS:
                raise DNSLabelError(f"Label component too long: {label!r}")
            self.pack("!B", len(label))
            self.append(label)
        self.append(b"\x00")


def pack_message(message: DNSRecord) -> bytes:
    """`message.pack()` made correct for any size up to 65535 octets (CompressingBuffer)."""
    message.set_header_qa()
    buffer = CompressingBuffer()
    message.header.pack(buffer)
    for question in message.questions:
        question.pack(buffer)
    for section in (message.rr, message.auth, message.ar):
        for record in section:
            record.pack(buffer)
    return bytes(buffer.data)


def opt_record(do: bool, extended_rcode: int = 0, options: bytes = b"") -> bytes:
    """Our OPT pseudo-record: root owner, type 41, size 1232, version 0, DO copied, and the
    given options (an Extended DNS Error on SERVFAIL, RFC 8914)."""
    if not options and not extended_rcode:  # nearly every reply: made once
        return _BARE_OPT_DO if do else _BARE_OPT
    return _opt_record(do, extended_rcode, options)


def _opt_record(do: bool, extended_rcode: int, options: bytes) -> bytes:
    return (
        b"\x00\x00\x29"
        + EDNS_UDP_SIZE.to_bytes(2, "big")
        + bytes((extended_rcode, 0, 0x80 if do else 0, 0))
        + len(options).to_bytes(2, "big")
        + options
    )


_BARE_OPT = _opt_record(False, 0, b"")
_BARE_OPT_DO = _opt_record(True, 0, b"")


def reply_flags(query_flags: int, rcode: int, *, truncated: bool = False) -> bytes:
    """Header octets 2-3 of a reply: QR, opcode copied, TC, RD copied, RA, CD copied, rcode."""
    flags = 0x8000 | (query_flags & 0x7800) | (query_flags & 0x0100) | 0x0080
    flags |= query_flags & 0x0010
    if truncated:
        flags |= 0x0200
    return (flags | (rcode & 0xF)).to_bytes(2, "big")


def error_reply(query: ClientQuery, rcode: int, ede: ExtendedError | None = None) -> bytes:
    """A reply with no records: the question echoed when it could be read, OPT when EDNS
    (carrying `ede`, the Extended DNS Error, when given)."""
    question = query.question or b""
    counts = bytes((0, 1 if question else 0, 0, 0, 0, 0, 0, 1 if query.edns else 0))
    options = ede.option() if ede is not None else b""
    opt = opt_record(query.do, rcode >> 4, options) if query.edns else b""
    return query.data[:2] + reply_flags(query.flags, rcode) + counts + question + opt


def answer_reply(query: ClientQuery, answer: Answer) -> bytes:
    """Pack a resolution's outcome: answer section, authority (SOA on NXDOMAIN/NODATA), with
    what DNSSEC adds (server/dnssec_reply.py): RRSIGs and proofs for DO, AD for secure data,
    and the Extended DNS Error of a failure (a bogus answer's DNSSEC code among them)."""
    return answer_reply_and_ttls(query, answer)[0]


def answer_reply_and_ttls(query: ClientQuery, answer: Answer) -> tuple[bytes, list[int] | None]:
    """answer_reply's bytes, and the offsets of its records' TTLs when they are known from
    writing it (a negative answer written from bytes), else None: then only reading the reply
    finds them (wire.rr_ttl_offsets)."""
    # Neither is changed here (dnssec_sections and records_reply make new lists): no copies.
    rr, auth = dnssec_sections(query.do, answer, answer.answer_records, answer.authority_records)
    packed = None
    offsets = None
    ede = answer.ede if query.edns else None  # carried in OPT: none without EDNS
    if not rr and len(auth) == 1:  # NXDOMAIN or NODATA: most misses end here
        written = _negative_reply(query, answer.rcode, auth[0], ede)
        if written is not None:
            packed, ttl_offset = written
            offsets = [ttl_offset]
    if packed is None:
        packed = records_reply(query, answer.rcode, rr, auth, ede)
    if authenticated(query.flags, query.do, answer):
        packed = packed[:3] + bytes((packed[3] | AD_FLAG,)) + packed[4:]
    return packed, offsets


def records_reply(
    query: ClientQuery,
    rcode: int,
    answer: list[RR],
    authority: list[RR],
    ede: ExtendedError | None = None,
) -> bytes:
    """A reply with these answer and authority records (local data, resolutions), and an
    Extended DNS Error option when there is one."""
    records = DNSRecord(
        DNSHeader(id=query.id),
        q=DNSQuestion(DNSLabel(list(query.labels)), query.qtype, query.qclass),
        rr=list(answer),
        auth=list(authority),
    )
    return _finish(query, records, rcode, ede)


TYPE_SOA = QTYPE.SOA  # read once: each QTYPE.X is a lookup in dnslib's Bimap
_RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH
_SOA_TIMES = struct.Struct("!5I")


def negative_reply(
    query: ClientQuery, rcode: int, soa: RR, ede: ExtendedError | None = None
) -> bytes | None:
    """A reply with no answer and `soa` alone in the authority section (a negative answer),
    written straight from bytes; the very octets records_reply() packs through dnslib, name
    compression included. None when the record is anything but a plain SOA that packs (the
    caller then uses records_reply, which fails or succeeds as it always did)."""
    written = _negative_reply(query, rcode, soa, ede)
    return written[0] if written is not None else None


def _negative_reply(
    query: ClientQuery, rcode: int, soa: RR, ede: ExtendedError | None
) -> tuple[bytes, int] | None:
    """negative_reply's bytes and the offset of the SOA's TTL in them."""
    question = query.question
    if question is None:
        return None
    wire = wire_of(soa)
    if wire is not None:
        written = _soa_record_from_wire(query.labels, question, soa, wire)
    else:
        written = _soa_record_from_rr(query.labels, soa)
    if written is None:
        return None
    record, ttl_offset = written
    ttl_offset += HEADER_SIZE + len(question)
    flags = reply_flags(query.flags, rcode)
    if query.edns:
        opt = opt_record(query.do, rcode >> 4, ede.option() if ede is not None else b"")
        return b"".join((query.data[0:2], flags, _COUNTS_EDNS, question, record, opt)), ttl_offset
    return b"".join((query.data[0:2], flags, _COUNTS, question, record)), ttl_offset


def _soa_record_from_wire(
    labels: tuple[bytes, ...], question: bytes, soa: RR, wire: tuple[bytes, bytes]
) -> tuple[bytes, int] | None:
    """The SOA record written after the question, from the octets a WireSOA carries: the
    same record as _soa_record_from_rr writes, found by its octets instead of its fields."""
    owner, rdata = wire
    fields = soa.__dict__
    rclass, ttl = fields["_rclass"], fields["_ttl"]
    count = len(labels)
    # As below: a record with a name ending in the whole question name is written for this
    # name only. The question's name in the SOA's octets (a name's suffix is a suffix of its
    # octets) is a superset of that, which only costs a record written here again.
    if count and (question[:-4] in owner or question[:-4] in rdata):
        return _soa_record_of_octets(labels, owner, rclass, ttl, rdata)
    key = (labels[1:], len(labels[0]) if count else -1, owner, rclass, ttl, rdata)
    written = _SOA_WRITTEN.get(key)
    if written is None:
        written = _soa_record_of_octets(labels, owner, rclass, ttl, rdata)
        if written is not None:
            _remember(key, written)
    return written


def _soa_record_of_octets(
    labels: tuple[bytes, ...], owner: bytes, rclass: int, ttl: int, rdata: bytes
) -> tuple[bytes, int] | None:
    mname, at = labels_of(rdata)
    rname, at = labels_of(rdata, at)
    return _soa_record(labels, labels_of(owner)[0], rclass, ttl, mname, rname,
                       _SOA_TIMES.unpack_from(rdata, at))


def _remember(key: tuple[object, ...], written: tuple[bytes, int]) -> None:
    if len(_SOA_WRITTEN) >= MAX_SOA_WRITTEN:
        _SOA_WRITTEN.clear()
    _SOA_WRITTEN[key] = written


def _soa_record_from_rr(labels: tuple[bytes, ...], soa: RR) -> tuple[bytes, int] | None:
    """The SOA record written after the question, from a dnslib SOA record's fields."""
    rdata = soa.rdata
    if soa.rtype != TYPE_SOA or type(rdata) is not SOA:
        return None
    owner, mname, rname = soa.rname.label, rdata.mname.label, rdata.rname.label
    # The record's octets depend on the SOA and on where the question's name suffixes are
    # (compression), which its first label changes only by its length, unless a name of the
    # SOA ends with the whole question name: then the record is written for this name only.
    count = len(labels)
    if count and (owner[-count:] == labels or mname[-count:] == labels
                  or rname[-count:] == labels):
        written = _soa_record(labels, owner, soa.rclass, soa.ttl, mname, rname, rdata.times)
    else:
        key = (labels[1:], len(labels[0]) if count else -1, owner, soa.rclass, soa.ttl, mname,
               rname, rdata.times)
        written = _SOA_WRITTEN.get(key)
        if written is None:
            written = _soa_record(labels, owner, soa.rclass, soa.ttl, mname, rname, rdata.times)
            if written is not None:
                _remember(key, written)
    return written


# Negative answers' SOA records as written after a question (_negative_reply's key): a miss of
# a never-seen name in a known zone finds its record here instead of writing it again.
_SOA_WRITTEN: dict[tuple[object, ...], tuple[bytes, int]] = {}
MAX_SOA_WRITTEN = 1024  # cleared when full: a few hundred octets each
_COUNTS = bytes((0, 1, 0, 0, 0, 1, 0, 0))  # one question, one authority record
_COUNTS_EDNS = bytes((0, 1, 0, 0, 0, 1, 0, 1))  # and OPT


def _soa_record(
    labels: tuple[bytes, ...], owner: tuple[bytes, ...], rclass: int, ttl: int,
    mname: tuple[bytes, ...], rname: tuple[bytes, ...], times: tuple[int, ...],
) -> tuple[bytes, int] | None:
    """The SOA record written after a question whose name is `labels` (pointers into it
    where dnslib puts them), and the offset of its TTL in it; None if it cannot be packed."""
    if len(b".".join(labels)) > MAX_NAME_TEXT:
        return None
    # The question as the client sent it (its name is never compressed): only the offsets of
    # its name's suffixes are needed, for the pointers the SOA's names may use.
    names: dict[tuple[bytes, ...], int] = {}
    position = HEADER_SIZE
    for i, label in enumerate(labels):
        names[labels[i:]] = position
        position += len(label) + 1
    question_end = position + 5  # the root label, type and class
    out = bytearray(question_end)  # placeholders: the offsets of what follows are real
    try:
        _write_name(out, owner, names)
        out += _RR_FIXED.pack(TYPE_SOA, rclass, ttl, 0)
        start = len(out)
        _write_name(out, mname, names)
        _write_name(out, rname, names)
        out += _SOA_TIMES.pack(*times)
    except (struct.error, ValueError, TypeError, AttributeError):
        return None
    out[start - 2 : start] = (len(out) - start).to_bytes(2, "big")
    return bytes(out[question_end:]), start - 6 - question_end  # TTL and RDLENGTH: 6 octets


def _write_name(out: bytearray, labels: tuple[bytes, ...],
                names: dict[tuple[bytes, ...], int]) -> None:
    """CompressingBuffer.encode_name over a bytearray: the same pointers, the same limits
    (ValueError where it raises)."""
    if len(b".".join(labels)) > MAX_NAME_TEXT:
        raise ValueError("name too long")
    for i in range(len(labels)):
        suffix = labels[i:]
        pointer = names.get(suffix)
        if pointer is not None:
            out += (0xC000 | pointer).to_bytes(2, "big")
            return
        if len(out) <= MAX_POINTER_TARGET:
            names[suffix] = len(out)
        label = labels[i]
        if len(label) > MAX_LABEL_OCTETS:
            raise ValueError("label too long")
        out.append(len(label))
        out += label
    out.append(0)


def any_reply(query: ClientQuery) -> bytes:
    """RFC 8482 minimal answer to a QTYPE=ANY query: one HINFO "RFC8482" "" at the name."""
    records = DNSRecord(
        DNSHeader(id=query.id),
        q=DNSQuestion(DNSLabel(list(query.labels)), query.qtype, query.qclass),
    )
    records.add_answer(
        RR(
            DNSLabel(list(query.labels)),
            QTYPE.HINFO,
            CLASS.IN,
            RFC8482_TTL,
            RD(RFC8482_HINFO),
        )
    )
    return _finish(query, records, NOERROR)


def txt_reply(query: ClientQuery, lines: list[str], ttl: int = 0) -> bytes:
    """One TXT record per line at the question's name and class; long lines are split into
    255-octet character-strings that a reader joins back together."""
    records = DNSRecord(
        DNSHeader(id=query.id),
        q=DNSQuestion(DNSLabel(list(query.labels)), query.qtype, query.qclass),
    )
    for line in lines:
        data = line.encode()
        chunks = [data[i : i + MAX_TXT_STRING] for i in range(0, len(data), MAX_TXT_STRING)]
        records.add_answer(
            RR(DNSLabel(list(query.labels)), QTYPE.TXT, query.qclass, ttl, TXT(chunks or [b""]))
        )
    return _finish(query, records, NOERROR)


def _finish(
    query: ClientQuery, records: DNSRecord, rcode: int, ede: ExtendedError | None = None
) -> bytes:
    packed = bytearray(pack_message(records))
    # Header and question exactly as the client sent them (dnslib packs labels as given, but
    # the bytes are the contract, so they are written from the query itself).
    packed[0:2] = query.data[0:2]
    packed[2:4] = reply_flags(query.flags, rcode)
    question = query.question or b""
    packed[HEADER_SIZE : HEADER_SIZE + len(question)] = question
    if query.edns:
        packed[10:12] = (int.from_bytes(packed[10:12], "big") + 1).to_bytes(2, "big")
        packed += opt_record(query.do, rcode >> 4, ede.option() if ede is not None else b"")
    return bytes(packed)


def truncate(reply: bytes, question_end: int, edns: bool) -> bytes:
    """The same reply with TC=1 and only the question (RFC 2181 §9 lets us drop every record,
    and a client then retries over TCP); our OPT record, always last, is kept."""
    counts = b"\x00\x01\x00\x00\x00\x00\x00" + (b"\x01" if edns else b"\x00")
    opt = reply[-OPT_SIZE:] if edns else b""
    return reply[:2] + bytes((reply[2] | 0x02, reply[3])) + counts + reply[12:question_end] + opt
