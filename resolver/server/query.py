"""Read a client's query into what the server needs to decide a reply; sans-IO, on wire.py.

Two readers with one meaning. `parse_query` reads any message strictly and says what is wrong
with it; `fast_key` reads only the common clean case (one question, nothing after it but at most
one OPT record of EDNS version 0) to find a cached reply, and returns None for anything else so
the caller falls back to `parse_query`. Both take the question's key from `wire.cache_key`, and
tests check that they agree.

A cache key is `wire.cache_key`'s bytes (owner name lower-cased per RFC 4343, type, class)
followed by one octet saying whether the query had EDNS and the DO bit, because the reply
differs by those.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from dnslib import QTYPE

from resolver import wire
from resolver.server.config import CLASSIC_UDP_SIZE, EDNS_UDP_SIZE
from resolver.wire import HEADER_SIZE, WireError, cache_key

TYPE_OPT = wire.OPT
TYPE_TKEY = 249
TYPE_TSIG = 250

# The last octet of a cache key: reply variants differ by EDNS presence and the DO bit.
NO_EDNS = b"\x00"
EDNS_NO_DO = b"\x01"
EDNS_DO = b"\x03"

FORMERR, NOTIMP, BADVERS = 1, 4, 16
_ID_FLAGS = struct.Struct("!HH")  # the header's first two fields
_TYPE_CLASS = struct.Struct("!HH")  # a question's last two
_SIZE = struct.Struct("!H")


class Unanswerable(WireError):
    """Not even a header we may answer (too short, or a response): dropped without a reply."""


@dataclass(slots=True)
class ClientQuery:
    """A query's header and question as the client sent them, and its EDNS parameters.

    `question` is None when the message was malformed before the question could be read. When
    the message cannot be resolved as it is, `problem` holds the rcode to answer with (FORMERR,
    NOTIMP, BADVERS) and `reason` says why.
    """

    data: bytes
    id: int
    flags: int
    question: bytes | None = None  # owner name + type + class, in the client's own letter case
    question_key: bytes = b""  # wire.cache_key: the same with the name lower-cased
    labels: tuple[bytes, ...] = ()
    qtype: int = 0
    qclass: int = 0
    edns: bool = False
    udp_size: int = CLASSIC_UDP_SIZE
    do: bool = False
    edns_version: int = 0
    problem: int | None = None
    reason: str = ""

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    @property
    def question_end(self) -> int:
        return HEADER_SIZE + len(self.question or b"")

    @property
    def variant(self) -> bytes:
        if not self.edns:
            return NO_EDNS
        return EDNS_DO if self.do else EDNS_NO_DO

    @property
    def key(self) -> bytes:
        """The answer cache key of this question and EDNS variant."""
        return self.question_key + self.variant

    @property
    def udp_limit(self) -> int:
        return udp_limit(self.udp_size if self.edns else None)

    @property
    def qname(self) -> str:
        """Presentation form with the trailing dot, in the client's case."""
        return wire.name_from_labels(self.labels)

    @property
    def qtype_text(self) -> str:
        return QTYPE.get(self.qtype, f"TYPE{self.qtype}")


def udp_limit(client_size: int | None) -> int:
    """Largest UDP reply we send: the client's EDNS size (at least 512), at most our 1232."""
    if client_size is None:
        return CLASSIC_UDP_SIZE
    return min(max(client_size, CLASSIC_UDP_SIZE), EDNS_UDP_SIZE)


def parse_query(data: bytes) -> ClientQuery:
    """Read a client's message strictly.

    Raises Unanswerable when there is nothing to answer: shorter than a header, or QR=1
    (answering a response invites reflection loops). Otherwise returns a ClientQuery whose
    `problem` is set when the message is malformed (FORMERR), has an opcode other than QUERY
    (NOTIMP) or an EDNS version other than 0 (BADVERS).
    """
    try:
        header = wire.Header.parse(data)
    except WireError as error:
        raise Unanswerable(str(error)) from None
    if header.qr:
        raise Unanswerable("QR=1: a response, not a query")
    flags = int.from_bytes(data[2:4], "big")
    query = ClientQuery(data=data, id=header.id, flags=flags)
    if header.opcode != 0:
        return _problem(query, NOTIMP, f"opcode {header.opcode} is not QUERY")
    if header.qdcount != 1:
        return _problem(query, FORMERR, f"QDCOUNT is {header.qdcount}, not 1")
    try:
        key, question_end = cache_key(data)
        question, _ = wire.parse_question(data, HEADER_SIZE)
        query.question = bytes(data[HEADER_SIZE:question_end])
        query.question_key = key
        query.labels = wire.name_to_labels(question.name)
        query.qtype = question.qtype
        query.qclass = question.qclass
        if header.ancount or header.nscount:
            # As Unbound: a query carries no answer or authority records.
            raise WireError(f"query has ANCOUNT={header.ancount} NSCOUNT={header.nscount}")
        end = question_end
        for record in wire.parse_rr_headers(data):
            end = record.rdata_offset + record.rdlength
            if record.rtype == TYPE_OPT:
                _read_opt(query, data, record)
        if end != len(data):
            raise WireError(f"{len(data) - end} octets after the last record")
    except WireError as error:
        return _problem(query, FORMERR, str(error))
    if query.edns and query.edns_version != 0:
        # RFC 6891 §6.1.3: BADVERS (extended rcode 16), with the version we do speak.
        return _problem(query, BADVERS, f"EDNS version {query.edns_version} is not 0")
    return query


def _problem(query: ClientQuery, rcode: int, reason: str) -> ClientQuery:
    query.problem = rcode
    query.reason = reason
    return query


def _read_opt(query: ClientQuery, data: bytes, record: wire.RRHeader) -> None:
    if query.edns:
        raise WireError("more than one OPT record")  # RFC 6891 §6.1.1
    if record.name != ".":
        raise WireError("OPT record owner is not the root")
    _check_options(data, record.rdata_offset, record.rdata_offset + record.rdlength)
    query.edns = True
    query.udp_size = max(record.rclass, CLASSIC_UDP_SIZE)  # RFC 6891 §6.2.5
    query.edns_version = (record.ttl >> 16) & 0xFF
    query.do = bool(record.ttl & 0x8000)


def _check_options(data: bytes, offset: int, end: int) -> None:
    """The OPT rdata must be a whole list of options (RFC 6891 §6.1.2); we act on none."""
    while offset < end:
        if offset + 4 > end:
            raise WireError("EDNS option header runs past the OPT record")
        offset += 4 + int.from_bytes(data[offset + 2 : offset + 4], "big")
        if offset > end:
            raise WireError("EDNS option runs past the OPT record")


def clean_query(data: bytes, found: tuple[bytes, int, int]) -> ClientQuery:
    """The ClientQuery `parse_query(data)` returns, for a query `fast_key` accepted (`found` is
    its reading): such a query is clean, so only its question's labels and its OPT's fields
    remain to be read, without a second pass through the whole message."""
    key, question_end, _ = found
    labels = []
    pos = HEADER_SIZE
    length = data[pos]
    while length:  # fast_key accepted the name: plain labels, no pointer
        end = pos + 1 + length
        labels.append(data[pos + 1 : end])
        pos = end
        length = data[pos]
    ident, flags = _ID_FLAGS.unpack_from(data)
    qtype, qclass = _TYPE_CLASS.unpack_from(data, question_end - 4)
    question = data[HEADER_SIZE:question_end]
    # Positional, in the fields' order (data, id, flags, question, question_key, labels, qtype,
    # qclass, edns, udp_size, do): keywords cost twice as much, on every miss.
    variant = key[-1:]
    if variant == NO_EDNS:
        return ClientQuery(data, ident, flags, question, key[:-1], tuple(labels), qtype, qclass)
    size = _SIZE.unpack_from(data, question_end + 3)[0]  # the OPT's class: its UDP size
    return ClientQuery(data, ident, flags, question, key[:-1], tuple(labels), qtype, qclass,
                       True, max(size, CLASSIC_UDP_SIZE), variant == EDNS_DO)  # RFC 6891 §6.2.5


def fast_key(data: bytes) -> tuple[bytes, int, int] | None:
    """The hot path's reader: (cache key, end of question, UDP reply size limit) or None.

    Accepts only a clean query: QR=0, opcode QUERY, QDCOUNT=1, no answer or authority records,
    and either nothing after the question or exactly one OPT record of version 0 owned by the
    root, with well-formed options. Anything else returns None: take `parse_query`'s path.
    """
    if len(data) < 17 or data[2] & 0xF8 or data[4:10] != b"\x00\x01\x00\x00\x00\x00":
        return None
    try:
        key, question_end = cache_key(data)
    except WireError:
        return None
    size = len(data)
    arcount = data[10:12]
    if arcount == b"\x00\x00":
        if question_end != size:
            return None
        return key + NO_EDNS, question_end, CLASSIC_UDP_SIZE
    if arcount != b"\x00\x01":
        return None
    opt = data[question_end : question_end + 11]
    # owner root, type OPT; then class = UDP size, ext-rcode, version, flags, rdlength
    if opt[0:3] != b"\x00\x00\x29" or len(opt) < 11 or opt[6]:
        return None
    rdlength = int.from_bytes(opt[9:11], "big")
    if question_end + 11 + rdlength != size:
        return None
    if rdlength:
        try:
            _check_options(data, question_end + 11, size)
        except WireError:
            return None
    variant = EDNS_DO if opt[7] & 0x80 else EDNS_NO_DO
    return key + variant, question_end, udp_limit(int.from_bytes(opt[3:5], "big"))
