"""DNS wire format: byte-order helpers, header/question/name codec, compression, strict bounds.

No I/O, and no dnslib on the hot functions (`cache_key`, `patch_id`, `parse_query`,
`Header.parse`, `rr_ttl_offsets`): the server's cache-hit path and the transport's reply check
run these on every packet, so they are plain `struct`/`bytes` work.

Every malformed input raises `WireError` (a `ValueError`) and nothing else: no `IndexError`,
`struct.error`, `UnicodeError` or `RecursionError` escapes, whatever the bytes.

Names as text are RFC 1035 presentation format, absolute, with the trailing dot; the root is ".".
Inside a label a '.' is written "\\.", a backslash "\\\\", and every octet outside printable ASCII
0x21-0x7e (space included) as "\\DDD" (three decimal digits). Letter case is kept as received.

How this compares with dnslib's `DNSLabel` (which the rest of the project uses for records):
- Rendering (`str(DNSLabel)`) is identical except that dnslib leaves '.' and '\\' inside a
  label unescaped, so its text for such labels is ambiguous ("a.b" could be one label or two).
  We escape them; the label bytes are what both sides agree on. `name_from_labels(rr.rname.label)`
  converts a dnslib name exactly, where `str(rr.rname)` would not.
- Parsing text: dnslib understands only "\\DDD" (not "\\." or "\\\\"), turns "\\046" into a label
  separator, and sends non-ASCII characters (including "\\DDD" above 127) through IDNA. We take
  "\\X" as the literal X, "\\DDD" as one octet, and refuse non-ASCII characters (callers convert
  IDNs to their xn-- form first). `dnslib.DNSLabel(list(name_to_labels(name)))` is exact.
- dnslib refuses labels that are not valid UTF-8 when decoding; we take any octets.
- dnslib follows a pointer to anywhere before the pointer itself; we require the target to lie
  before the start of the name (segment) being read and outside the header, which is stricter.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ADDITIONAL",
    "ANSWER",
    "AUTHORITY",
    "HEADER_SIZE",
    "MAX_LABEL_OCTETS",
    "MAX_NAME_OCTETS",
    "MAX_POINTER_HOPS",
    "OPT",
    "Header",
    "ParsedQuery",
    "Question",
    "RRHeader",
    "WireError",
    "build_query",
    "cache_key",
    "decode_labels",
    "decode_name",
    "encode_name",
    "name_from_labels",
    "name_to_labels",
    "names_equal",
    "pack_u16",
    "pack_u32",
    "parse_query",
    "parse_question",
    "parse_rr_headers",
    "patch_id",
    "question_end",
    "rr_ttl_offsets",
    "unpack_u16",
    "unpack_u32",
    "validate_name",
]


class WireError(ValueError):
    """A DNS message or name is malformed. The only exception this module raises."""


# --- limits, each with the reason it exists -------------------------------------------------

HEADER_SIZE = 12  # RFC 1035 4.1.1: fixed-size header; no name can start inside it
MAX_LABEL_OCTETS = 63  # RFC 1035 2.3.4: the top two bits of a length octet are its type
MAX_NAME_OCTETS = 255  # RFC 1035 2.3.4: whole name on the wire, length octets and root included
# Pointer targets must strictly decrease, so loops are impossible; this cap also bounds the work
# for a hostile chain of pointers to pointers. A name has at most 127 labels and a sane
# compressor lands on at least one label per hop.
MAX_POINTER_HOPS = 127
MAX_POINTER_TARGET = 0x3FFF  # 14-bit offset field of a compression pointer

OPT = 41  # RFC 6891 EDNS(0) pseudo-record type; its TTL field is not a TTL
ANSWER, AUTHORITY, ADDITIONAL = 0, 1, 2  # RR section numbers used by RRHeader.section

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_HEADER = struct.Struct("!6H")
_TYPE_CLASS = struct.Struct("!HH")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, ttl, rdlength after the owner name
_OPT_FIXED = struct.Struct("!HHIH")


# --- network byte order ----------------------------------------------------------------------


def pack_u16(value: int) -> bytes:
    """`value` as 2 octets in network byte order (the htons idea)."""
    if not 0 <= value <= 0xFFFF:
        raise WireError(f"u16 out of range: {value!r}")
    return _U16.pack(value)


def unpack_u16(buf: bytes, offset: int) -> int:
    """The 16-bit big-endian integer at `offset` (the ntohs idea)."""
    if offset < 0 or offset + 2 > len(buf):
        raise WireError(f"need 2 octets at offset {offset}, message has {len(buf)}")
    return _U16.unpack_from(buf, offset)[0]


def pack_u32(value: int) -> bytes:
    """`value` as 4 octets in network byte order (the htonl idea)."""
    if not 0 <= value <= 0xFFFFFFFF:
        raise WireError(f"u32 out of range: {value!r}")
    return _U32.pack(value)


def unpack_u32(buf: bytes, offset: int) -> int:
    """The 32-bit big-endian integer at `offset` (the ntohl idea)."""
    if offset < 0 or offset + 4 > len(buf):
        raise WireError(f"need 4 octets at offset {offset}, message has {len(buf)}")
    return _U32.unpack_from(buf, offset)[0]


# --- header ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Header:
    """The 12-octet message header (RFC 1035 4.1.1, AD/CD from RFC 4035). Z is dropped."""

    id: int = 0
    qr: bool = False
    opcode: int = 0
    aa: bool = False
    tc: bool = False
    rd: bool = False
    ra: bool = False
    ad: bool = False
    cd: bool = False
    rcode: int = 0  # low 4 bits only; extended RCODEs live in the OPT record
    qdcount: int = 0
    ancount: int = 0
    nscount: int = 0
    arcount: int = 0

    @classmethod
    def parse(cls, buf: bytes) -> Header:
        if len(buf) < HEADER_SIZE:
            raise WireError(f"message of {len(buf)} octets is shorter than a header")
        qid, flags, qd, an, ns, ar = _HEADER.unpack_from(buf, 0)
        return cls(
            qid,
            bool(flags & 0x8000),
            (flags >> 11) & 0xF,
            bool(flags & 0x0400),
            bool(flags & 0x0200),
            bool(flags & 0x0100),
            bool(flags & 0x0080),
            bool(flags & 0x0020),
            bool(flags & 0x0010),
            flags & 0xF,
            qd,
            an,
            ns,
            ar,
        )

    def pack(self) -> bytes:
        if not 0 <= self.opcode <= 0xF:
            raise WireError(f"opcode {self.opcode!r} does not fit in 4 bits")
        if not 0 <= self.rcode <= 0xF:
            raise WireError(f"rcode {self.rcode!r} does not fit in 4 bits (use the OPT record)")
        flags = (
            (0x8000 if self.qr else 0)
            | (self.opcode << 11)
            | (0x0400 if self.aa else 0)
            | (0x0200 if self.tc else 0)
            | (0x0100 if self.rd else 0)
            | (0x0080 if self.ra else 0)
            | (0x0020 if self.ad else 0)
            | (0x0010 if self.cd else 0)
            | self.rcode
        )
        try:
            return _HEADER.pack(
                self.id, flags, self.qdcount, self.ancount, self.nscount, self.arcount
            )
        except struct.error as exc:
            raise WireError(f"header field out of range in {self!r}: {exc}") from None


# --- names: text <-> labels ------------------------------------------------------------------

# Octets a label may show as themselves: printable ASCII except '.' and '\' (escaped as "\."
# and "\\"); everything else, space included, becomes "\DDD" as dnslib renders it.
_PLAIN = bytes(b for b in range(0x21, 0x7F) if b not in (0x2E, 0x5C))
_RENDER = tuple(
    chr(b) if b in _PLAIN else ("\\" + chr(b) if b in (0x2E, 0x5C) else f"\\{b:03d}")
    for b in range(256)
)
_DIGITS = "0123456789"
# The common name, in full: labels of 1-63 octets that render as themselves (no escape), at
# most 253 octets before an optional final dot (so at most 255 on the wire). Such text is its
# own canonical form (validate_name's fast path); anything else takes the general parser.
_PLAIN_LABEL = "[" + re.escape(_PLAIN.decode("ascii")) + "]{1,63}"
_PLAIN_NAME = re.compile(
    rf"(?=.{{1,253}}\.?\Z)(?:{_PLAIN_LABEL}\.)*{_PLAIN_LABEL}\.?", re.ASCII
).fullmatch


def name_from_labels(labels: Sequence[bytes]) -> str:
    """Presentation text for a sequence of raw labels (e.g. `dnslib.DNSLabel.label`)."""
    # Fast path: no octet needs escaping (the root's empty join gives ".").
    if not b"".join(labels).translate(None, _PLAIN):
        return b".".join(labels).decode("ascii") + "."
    render = _RENDER
    return ".".join(["".join([render[b] for b in label]) for label in labels]) + "."


def _check_labels(labels: list[bytes], name: object) -> list[bytes]:
    wire = 1
    for label in labels:
        size = len(label)
        if not size:
            raise WireError(f"empty label in name {name!r}")
        if size > MAX_LABEL_OCTETS:
            raise WireError(f"label of {size} octets (max {MAX_LABEL_OCTETS}) in name {name!r}")
        wire += size + 1
    if wire > MAX_NAME_OCTETS:
        raise WireError(f"name of {wire} octets on the wire (max {MAX_NAME_OCTETS}): {name!r}")
    return labels


def _labels_from_text(name: str) -> list[bytes]:
    if not isinstance(name, str):
        raise WireError(f"name must be str, not {type(name).__name__}: {name!r}")
    if "\\" not in name:
        if name == ".":
            return []
        if not name:
            raise WireError("empty name (the root is '.')")
        if not name.isascii():
            raise WireError(f"non-ASCII character in name {name!r}; use its IDNA (xn--) form")
        body = name[:-1] if name[-1] == "." else name
        return _check_labels(body.encode("ascii").split(b"."), name)
    labels: list[bytes] = []
    label = bytearray()
    i, n = 0, len(name)
    while i < n:
        c = name[i]
        if c == "\\":
            if i + 1 >= n:
                raise WireError(f"name ends in a lone backslash: {name!r}")
            d = name[i + 1]
            if d in _DIGITS:
                digits = name[i + 1 : i + 4]
                if len(digits) < 3 or any(x not in _DIGITS for x in digits):
                    raise WireError(f"\\DDD escape needs three digits in name {name!r}")
                value = int(digits)
                if value > 255:
                    raise WireError(f"\\{digits} is not an octet in name {name!r}")
                label.append(value)
                i += 4
                continue
            c = d
            i += 1
        elif c == ".":
            if not label:
                raise WireError(f"empty label in name {name!r}")
            labels.append(bytes(label))
            label = bytearray()
            i += 1
            continue
        if ord(c) > 0x7F:
            raise WireError(f"non-ASCII character in name {name!r}; use its IDNA (xn--) form")
        label.append(ord(c))
        i += 1
    if label:
        labels.append(bytes(label))  # a relative name is taken as absolute
    return _check_labels(labels, name)


def name_to_labels(name: str) -> tuple[bytes, ...]:
    """Raw labels of a presentation name; `dnslib.DNSLabel(list(...))` rebuilds it exactly."""
    return tuple(_labels_from_text(name))


def validate_name(name: str) -> str:
    """The canonical absolute text of `name` (case kept); WireError if it cannot be a DNS name."""
    if type(name) is str and _PLAIN_NAME(name) is not None:  # exactly str: returned as is
        return name if name[-1] == "." else name + "."
    return name_from_labels(_labels_from_text(name))


def names_equal(a: str, b: str) -> bool:
    """DNS name equality: ASCII letters compare case-insensitively, other octets exactly.

    Names are assumed valid (see validate_name); a missing trailing dot is taken as absolute.
    """
    if a == b:
        return True
    if "\\" not in a and "\\" not in b and a.isascii() and b.isascii():
        # str.lower() on ASCII text is exactly the DNS (ASCII-only) case fold.
        if a[-1:] != ".":
            a += "."
        if b[-1:] != ".":
            b += "."
        return a.lower() == b.lower()
    return [x.lower() for x in _labels_from_text(a)] == [x.lower() for x in _labels_from_text(b)]


# --- names: wire -----------------------------------------------------------------------------


def decode_labels(buf: bytes, offset: int) -> tuple[list[bytes], int]:
    """(raw labels, offset just after the name where it sits), following compression
    pointers: decode_name without making text."""
    n = len(buf)
    if offset < 0:
        raise WireError(f"negative name offset {offset}")
    labels: list[bytes] = []
    wire = 1
    pos = start = offset  # start: beginning of the segment being read; pointers go below it
    end = -1
    hops = 0
    while True:
        if pos >= n:
            raise WireError(f"name at offset {offset} runs past the end of the message")
        length = buf[pos]
        if length == 0:
            return labels, (pos + 1 if end < 0 else end)
        kind = length & 0xC0
        if kind == 0:
            nxt = pos + 1 + length
            if nxt > n:
                raise WireError(f"label at offset {pos} runs past the end of the message")
            wire += length + 1
            if wire > MAX_NAME_OCTETS:
                raise WireError(f"name at offset {offset} is over {MAX_NAME_OCTETS} octets")
            labels.append(bytes(buf[pos + 1 : nxt]))
            pos = nxt
        elif kind == 0xC0:
            if pos + 2 > n:
                raise WireError(f"compression pointer at offset {pos} is cut off")
            target = ((length & 0x3F) << 8) | buf[pos + 1]
            if end < 0:
                end = pos + 2
            if target >= start:
                raise WireError(
                    f"compression pointer at offset {pos} to {target} does not point before "
                    f"the name it continues (offset {start}): forward pointer or loop"
                )
            if target < HEADER_SIZE:
                raise WireError(f"compression pointer at offset {pos} points into the header")
            hops += 1
            if hops > MAX_POINTER_HOPS:
                raise WireError(f"name at offset {offset} has over {MAX_POINTER_HOPS} pointers")
            pos = start = target
        else:
            raise WireError(f"reserved label type 0x{kind:02x} at offset {pos}")


def decode_name(buf: bytes, offset: int) -> tuple[str, int]:
    """(name, offset just after the name where it sits), following compression pointers."""
    labels, end = decode_labels(buf, offset)
    return name_from_labels(labels), end


def _skip_name(buf: bytes, offset: int) -> int:
    """Offset after the name at `offset`, without decoding it (pointers are checked, not
    followed: their target must lie after the header and before this name)."""
    n = len(buf)
    pos = offset
    while True:
        if pos >= n:
            raise WireError(f"name at offset {offset} runs past the end of the message")
        length = buf[pos]
        if length == 0:
            return pos + 1
        if length <= MAX_LABEL_OCTETS:
            pos += length + 1
            if pos - offset >= MAX_NAME_OCTETS:
                raise WireError(f"name at offset {offset} is over {MAX_NAME_OCTETS} octets")
        elif length & 0xC0 == 0xC0:
            if pos + 2 > n:
                raise WireError(f"compression pointer at offset {pos} is cut off")
            target = ((length & 0x3F) << 8) | buf[pos + 1]
            if not HEADER_SIZE <= target < offset:
                raise WireError(f"compression pointer at offset {pos} to {target} is invalid")
            return pos + 2
        else:
            raise WireError(f"reserved label type 0x{length & 0xC0:02x} at offset {pos}")


def _labels_to_wire(labels: Sequence[bytes]) -> bytes:
    out = bytearray()
    for label in labels:
        out.append(len(label))
        out += label
    out.append(0)
    return bytes(out)


_LENGTH_OCTETS = [bytes((size,)) for size in range(MAX_LABEL_OCTETS + 1)]


def encode_name(name: str, compress: dict[str, int] | None = None, offset: int = 0) -> bytes:
    """Wire form of `name`.

    With `compress` (lower-cased canonical name -> message offset), a suffix already in the
    dict becomes a pointer, and each new suffix is recorded at `offset` (where these bytes will
    sit in the message) plus its position, if a pointer can reach it.
    """
    if compress is None:
        # Text without escapes is its labels split at the dots (what _labels_from_text does),
        # encoded in the same pass as they are checked.
        if type(name) is str and len(name) > 1 and "\\" not in name and name.isascii():
            octets = b""
            for label in (name[:-1] if name[-1] == "." else name).encode("ascii").split(b"."):
                size = len(label)
                if not 0 < size <= MAX_LABEL_OCTETS:
                    break  # the general path says why
                octets += _LENGTH_OCTETS[size] + label
            else:
                if len(octets) < MAX_NAME_OCTETS:
                    return octets + b"\x00"
        return _labels_to_wire(_labels_from_text(name))
    labels = _labels_from_text(name)
    out = bytearray()
    for i in range(len(labels)):
        key = name_from_labels(labels[i:]).lower()  # our text is ASCII: lower() is the DNS fold
        target = compress.get(key)
        if target is not None:
            if not HEADER_SIZE <= target <= MAX_POINTER_TARGET:
                raise WireError(f"compression target {target} for {key!r} is not reachable")
            out += _U16.pack(0xC000 | target)
            return bytes(out)
        here = offset + len(out)
        if HEADER_SIZE <= here <= MAX_POINTER_TARGET:
            compress[key] = here
        out.append(len(labels[i]))
        out += labels[i]
    out.append(0)
    return bytes(out)


# --- question --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    """One question entry. `name` keeps the sender's letter case; compare with names_equal."""

    name: str
    qtype: int
    qclass: int


def parse_question(buf: bytes, offset: int = HEADER_SIZE) -> tuple[Question, int]:
    """The question at `offset` and the offset after it."""
    name, pos = decode_name(buf, offset)
    if pos + 4 > len(buf):
        raise WireError(f"question at offset {offset} is cut off before its type and class")
    qtype, qclass = _TYPE_CLASS.unpack_from(buf, pos)
    return Question(name, qtype, qclass), pos + 4


# --- queries ---------------------------------------------------------------------------------


@dataclass(slots=True)
class ParsedQuery:
    """What a server needs from a query before looking in its cache.

    `edns_payload` is the OPT record's raw UDP size (None without EDNS); RFC 6891 says to treat
    values below 512 as 512, which is the server's business.
    """

    header: Header
    question: Question
    question_end: int
    edns_payload: int | None
    do: bool
    edns_version: int | None = None  # so the server can answer BADVERS to version > 0


def parse_query(buf: bytes) -> ParsedQuery:
    """Header, first question and (if in the additional section) the OPT record of a query."""
    header = Header.parse(buf)
    if header.qdcount == 0:
        raise WireError("message has no question")
    question, question_end = parse_question(buf, HEADER_SIZE)
    payload: int | None = None
    version: int | None = None
    do = False
    if header.arcount:
        n = len(buf)
        pos = question_end
        for _ in range(header.qdcount - 1):
            pos = _skip_name(buf, pos) + 4
            if pos > n:
                raise WireError("question section is cut off")
        for _ in range(header.ancount + header.nscount):
            pos = _skip_rr(buf, pos, n)
        for _ in range(header.arcount):
            owner = pos
            pos = _skip_name(buf, pos)
            if pos + 10 > n:
                raise WireError(f"record at offset {owner} is cut off")
            rtype, rclass, ttl, rdlength = _RR_FIXED.unpack_from(buf, pos)
            if rtype == OPT:
                if payload is not None:
                    raise WireError("more than one OPT record")  # RFC 6891 6.1.1: FORMERR
                if buf[owner] != 0:
                    raise WireError("OPT record owner is not the root")  # RFC 6891 6.1.2
                payload = rclass
                version = (ttl >> 16) & 0xFF
                do = bool(ttl & 0x8000)
            pos += 10 + rdlength
            if pos > n:
                raise WireError(f"record data at offset {owner} runs past the end of the message")
    return ParsedQuery(header, question, question_end, payload, do, version)


def question_end(buf: bytes) -> int:
    """The offset just after the first question (name, type, class); WireError when there is
    none, or its name is compressed, too long or cut off (exactly when parse_question
    refuses it)."""
    n = len(buf)
    if n < HEADER_SIZE:
        raise WireError(f"message of {n} octets is shorter than a header")
    if buf[4] == 0 and buf[5] == 0:
        raise WireError("message has no question")
    pos = HEADER_SIZE
    while True:
        if pos >= n:
            raise WireError("question name runs past the end of the message")
        length = buf[pos]
        if length == 0:
            break
        if length > MAX_LABEL_OCTETS:
            raise WireError(f"compressed or reserved label type 0x{length:02x} in the question")
        pos += length + 1
        if pos - HEADER_SIZE >= MAX_NAME_OCTETS:
            raise WireError(f"question name is over {MAX_NAME_OCTETS} octets")
    end = pos + 5
    if end > n:
        raise WireError("question is cut off before its type and class")
    return end


def cache_key(buf: bytes) -> tuple[bytes, int]:
    """(lower-cased wire qname + qtype + qclass, question_end) of the first question.

    No text decoding. A question name can never be compressed (a pointer would have to point
    into the header), so the raw bytes are the whole name; this accepts exactly the messages
    whose first question parse_question accepts.
    """
    end = question_end(buf)
    name_end = end - 4  # after the root label
    # Lower only the name: type/class octets in 0x41-0x5a must not be folded.
    if type(buf) is bytes:  # its slices are bytes already
        return buf[HEADER_SIZE:name_end].lower() + buf[name_end:end], end
    question = bytes(buf[HEADER_SIZE:end])  # one copy, whatever buffer `buf` is
    split = name_end - HEADER_SIZE
    return question[:split].lower() + question[split:], end


def build_query(
    name: str,
    qtype: int,
    qid: int,
    *,
    rd: bool = False,
    cd: bool = False,
    edns_payload: int | None = 1232,
    do: bool = False,
    qclass: int = 1,
    ad: bool = False,
) -> bytes:
    """A one-question query; with `edns_payload` an OPT record (version 0) advertising it.
    `ad` sets the AD bit: a client asking whether the data is secure (RFC 6840 §5.7)."""
    if do and edns_payload is None:
        raise WireError("the DO bit needs EDNS (edns_payload is None)")
    flags = (0x0100 if rd else 0) | (0x0010 if cd else 0) | (0x0020 if ad else 0)
    try:
        return (_HEADER.pack(qid, flags, 1, 0, 0, 0 if edns_payload is None else 1)
                + encode_name(name) + _question_tail(qtype, qclass, edns_payload, do))
    except (struct.error, TypeError) as exc:  # TypeError: an unhashable field
        raise WireError(f"query field out of range: {exc}") from None


@functools.lru_cache(maxsize=256, typed=True)  # typed: 1.0 is no type number
def _question_tail(qtype: int, qclass: int, edns_payload: int | None, do: bool) -> bytes:
    """What follows a query's name: its type and class, then its OPT record if any (the same
    few octets for every query of a type: made once)."""
    tail = _TYPE_CLASS.pack(qtype, qclass)
    if edns_payload is not None:
        tail += b"\x00" + _OPT_FIXED.pack(OPT, edns_payload, 0x8000 if do else 0, 0)
    return tail


def patch_id(packet: bytes, qid: int) -> bytes:
    """`packet` with its message ID replaced by `qid`."""
    if len(packet) < HEADER_SIZE:
        raise WireError(f"message of {len(packet)} octets is shorter than a header")
    if not 0 <= qid <= 0xFFFF:
        raise WireError(f"message ID out of range: {qid!r}")
    return _U16.pack(qid) + bytes(packet[2:])


# --- resource records ------------------------------------------------------------------------


def _skip_rr(buf: bytes, pos: int, n: int) -> int:
    owner = pos
    pos = _skip_name(buf, pos)
    if pos + 10 > n:
        raise WireError(f"record at offset {owner} is cut off")
    pos += 10 + _U16.unpack_from(buf, pos + 8)[0]
    if pos > n:
        raise WireError(f"record data at offset {owner} runs past the end of the message")
    return pos


def _skip_questions(buf: bytes, qdcount: int) -> int:
    n = len(buf)
    pos = HEADER_SIZE
    for _ in range(qdcount):
        pos = _skip_name(buf, pos) + 4
        if pos > n:
            raise WireError("question section is cut off")
    return pos


def rr_ttl_offsets(buf: bytes) -> list[int]:
    """Offsets of the 32-bit TTL of every record in answer/authority/additional, OPT excluded."""
    header = Header.parse(buf)
    n = len(buf)
    pos = _skip_questions(buf, header.qdcount)
    offsets: list[int] = []
    for _ in range(header.ancount + header.nscount + header.arcount):
        owner = pos
        pos = _skip_name(buf, pos)
        if pos + 10 > n:
            raise WireError(f"record at offset {owner} is cut off")
        if _U16.unpack_from(buf, pos)[0] != OPT:
            offsets.append(pos + 4)
        pos += 10 + _U16.unpack_from(buf, pos + 8)[0]
        if pos > n:
            raise WireError(f"record data at offset {owner} runs past the end of the message")
    return offsets


@dataclass(frozen=True, slots=True)
class RRHeader:
    """The fixed part of one resource record; its data is buf[rdata_offset:][:rdlength]."""

    section: int  # ANSWER, AUTHORITY or ADDITIONAL
    name: str
    rtype: int
    rclass: int
    ttl: int
    ttl_offset: int
    rdata_offset: int
    rdlength: int


def parse_rr_headers(buf: bytes) -> list[RRHeader]:
    """Every record's owner (decoded), type, class, TTL and data location, in message order."""
    header = Header.parse(buf)
    n = len(buf)
    pos = HEADER_SIZE
    for _ in range(header.qdcount):
        _, pos = parse_question(buf, pos)
    records: list[RRHeader] = []
    counts = ((ANSWER, header.ancount), (AUTHORITY, header.nscount), (ADDITIONAL, header.arcount))
    for section, count in counts:
        for _ in range(count):
            owner = pos
            name, pos = decode_name(buf, pos)
            if pos + 10 > n:
                raise WireError(f"record at offset {owner} is cut off")
            rtype, rclass, ttl, rdlength = _RR_FIXED.unpack_from(buf, pos)
            rdata = pos + 10
            if rdata + rdlength > n:
                raise WireError(f"record data at offset {owner} runs past the end of the message")
            records.append(RRHeader(section, name, rtype, rclass, ttl, pos + 4, rdata, rdlength))
            pos = rdata + rdlength
    return records
