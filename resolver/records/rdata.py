"""Typed record data (rdata), with dnspython's class and attribute names.

Each record type is a frozen, slotted dataclass whose fields are dnspython's attribute names
(`MX.preference`, `MX.exchange`, `TXT.strings`...). A class lists one *field codec* per field;
the codecs read and write the wire form (RFC 1035 3.3 and each type's RFC) and the
presentation form, so `from_wire`, `to_wire`, `from_text` and `to_text` are written once. A type
without a class here is kept as `GenericRdata` and shown in RFC 3597 form (`\\# len hex`).
"""

from __future__ import annotations

import base64
import binascii
import calendar
import functools
import ipaddress
import struct
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from resolver.errors import InvalidName, ResolverError
from resolver.records.name import Name
from resolver.records.types import IN, type_text, type_value


class RdataError(ResolverError, ValueError):
    """Bytes or text that cannot be record data of the given type."""


# --- reading wire bytes and presentation tokens ----------------------------------------------


class _Reader:
    """Bounded reads over one record's rdata; running past the end is an RdataError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n > self.remaining():
            raise RdataError(f"rdata ends {n - self.remaining()} octets early")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def rest(self) -> bytes:
        return self.take(self.remaining())

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def counted(self) -> bytes:
        return self.take(self.u8())

    def name(self) -> Name:
        """An uncompressed name (the form RFC 3597 section 4 asks for inside rdata)."""
        labels: list[bytes] = []
        while True:
            length = self.u8()
            if length == 0:
                return Name(labels)
            if length > 63:
                raise RdataError(f"compressed or reserved label type 0x{length:02x} in rdata")
            labels.append(self.take(length))
            if len(labels) > 127:
                raise RdataError("name in rdata is over 255 octets")


@dataclass(frozen=True, slots=True)
class _Token:
    text: str  # as written; a quoted token without its quotes, escapes not yet decoded
    quoted: bool
    glued: bool  # no whitespace before it (SVCB's key="value")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    glued = False
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            glued = False
            continue
        quoted = c == '"'
        j = i + 1 if quoted else i
        start = j
        while j < n:
            d = text[j]
            if d == "\\":
                j += 2
                continue
            if (quoted and d == '"') or (not quoted and (d.isspace() or d == '"')):
                break
            j += 1
        if quoted and j >= n:
            raise RdataError(f"unterminated quoted string in {text!r}")
        tokens.append(_Token(text[start:j], quoted, glued))
        i = j + 1 if quoted else j
        glued = True
    return tokens


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items = _tokenize(text)
        self.pos = 0

    def more(self) -> bool:
        return self.pos < len(self.items)

    def next(self, what: str) -> _Token:
        if not self.more():
            raise RdataError(f"missing {what}")
        token = self.items[self.pos]
        self.pos += 1
        return token

    def word(self, what: str) -> str:
        return self.next(what).text

    def rest(self) -> list[_Token]:
        tokens, self.pos = self.items[self.pos :], len(self.items)
        return tokens


def _unescape(text: str) -> bytes:
    """Presentation escapes (\\X and \\DDD) to octets; other characters as UTF-8."""
    if "\\" not in text:
        return text.encode()
    out = bytearray()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        if i + 1 >= n:
            raise RdataError(f"lone backslash at the end of {text!r}")
        if text[i + 1].isdigit():
            digits = text[i + 1 : i + 4]
            if len(digits) != 3 or not digits.isdigit() or int(digits) > 255:
                raise RdataError(f"bad \\DDD escape in {text!r}")
            out.append(int(digits))
            i += 4
        else:
            out += text[i + 1].encode()
            i += 2
    return bytes(out)


_QUOTED = tuple(
    "\\" + chr(b) if b in b'"\\' else chr(b) if 0x20 <= b < 0x7F else f"\\{b:03d}"
    for b in range(256)
)


def _quote(data: bytes) -> str:
    """A character-string as dnspython shows it: inside quotes, \\" \\\\ and \\DDD escapes."""
    return '"' + _escape(data) + '"'


def _escape(data: bytes) -> str:
    return "".join([_QUOTED[b] for b in data])


def _chunks(text: str, size: int) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def _int(token: str, bits: int, what: str) -> int:
    if not token.isdigit():
        raise RdataError(f"{what} is not a number: {token!r}")
    value = int(token)
    if value >= 1 << bits:
        raise RdataError(f"{what} {value} does not fit in {bits} bits")
    return value


def _ipv6_text(packed: bytes) -> str:
    """RFC 5952 text, with dnspython's dotted tail for ::a.b.c.d and ::ffff:a.b.c.d."""
    if packed[:10] == bytes(10):
        tail = ipaddress.IPv4Address(packed[12:])
        if packed[10:12] == b"\xff\xff":
            return f"::ffff:{tail}"
        if packed[10:12] == b"\0\0" and packed[12:14] != b"\0\0":
            return f"::{tail}"
    return ipaddress.IPv6Address(packed).compressed


# --- field codecs ----------------------------------------------------------------------------


class _Field:
    """How one rdata field is checked, read, written, shown and parsed."""

    def coerce(self, value: Any) -> Any:
        return value

    def read(self, r: _Reader) -> Any:
        raise NotImplementedError

    def write(self, value: Any, out: bytearray) -> None:
        raise NotImplementedError

    def text(self, value: Any) -> str | None:
        return str(value)

    def parse(self, t: _Tokens) -> Any:
        raise NotImplementedError


class _UInt(_Field):
    def __init__(self, bits: int) -> None:
        self.bits = bits

    def coerce(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << self.bits:
            raise RdataError(f"{value!r} is not a {self.bits}-bit unsigned integer")
        return int(value)

    def read(self, r: _Reader) -> int:
        return int.from_bytes(r.take(self.bits // 8), "big")

    def write(self, value: int, out: bytearray) -> None:
        out += value.to_bytes(self.bits // 8, "big")

    def parse(self, t: _Tokens) -> int:
        return _int(t.word("number"), self.bits, "field")


class _RRType(_UInt):
    """A record type number shown as its mnemonic (RRSIG's type covered)."""

    def __init__(self) -> None:
        super().__init__(16)

    def text(self, value: int) -> str:
        return type_text(value)

    def parse(self, t: _Tokens) -> int:
        try:
            return type_value(t.word("record type"))
        except ValueError as exc:
            raise RdataError(str(exc)) from None


class _SigTime(_UInt):
    """RRSIG times: 32-bit seconds, shown as YYYYMMDDHHmmSS UTC (RFC 4034 section 3.2)."""

    def __init__(self) -> None:
        super().__init__(32)

    def text(self, value: int) -> str:
        return time.strftime("%Y%m%d%H%M%S", time.gmtime(value))

    def parse(self, t: _Tokens) -> int:
        word = t.word("signature time")
        if len(word) == 14 and word.isdigit():
            try:
                stamp = time.strptime(word, "%Y%m%d%H%M%S")
            except ValueError:
                raise RdataError(f"bad signature time {word!r}") from None
            return self.coerce(calendar.timegm(stamp))
        return _int(word, 32, "signature time")


class _NameField(_Field):
    def coerce(self, value: Any) -> Name:
        try:
            return Name.from_text(value) if isinstance(value, str) else _typed(value, Name)
        except InvalidName as exc:
            raise RdataError(str(exc)) from None

    def read(self, r: _Reader) -> Name:
        return r.name()

    def write(self, value: Name, out: bytearray) -> None:
        out += value.to_wire()

    def text(self, value: Name) -> str:
        return value.to_text()

    def parse(self, t: _Tokens) -> Name:
        return self.coerce(t.word("name"))


class _IPv4(_Field):
    def coerce(self, value: Any) -> str:
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError as exc:
            raise RdataError(str(exc)) from None

    def read(self, r: _Reader) -> str:
        return str(ipaddress.IPv4Address(r.take(4)))

    def write(self, value: str, out: bytearray) -> None:
        out += ipaddress.IPv4Address(value).packed

    def parse(self, t: _Tokens) -> str:
        return self.coerce(t.word("IPv4 address"))


class _IPv6(_Field):
    def coerce(self, value: Any) -> str:
        try:
            return _ipv6_text(ipaddress.IPv6Address(value).packed)
        except ValueError as exc:
            raise RdataError(str(exc)) from None

    def read(self, r: _Reader) -> str:
        return _ipv6_text(r.take(16))

    def write(self, value: str, out: bytearray) -> None:
        out += ipaddress.IPv6Address(value).packed

    def parse(self, t: _Tokens) -> str:
        return self.coerce(t.word("IPv6 address"))


def _as_bytes(value: Any, limit: int | None = None) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise RdataError(f"expected bytes, not {type(value).__name__}")
    value = bytes(value)
    if limit is not None and len(value) > limit:
        raise RdataError(f"string of {len(value)} octets (max {limit})")
    return value


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise RdataError(f"expected {kind.__name__}, not {type(value).__name__}")
    return value


class _String(_Field):
    """One <character-string>: a length octet and up to 255 octets (RFC 1035 3.3)."""

    def coerce(self, value: Any) -> bytes:
        return _as_bytes(value, 255)

    def read(self, r: _Reader) -> bytes:
        return r.counted()

    def write(self, value: bytes, out: bytearray) -> None:
        out.append(len(value))
        out += value

    def text(self, value: bytes) -> str:
        return _quote(value)

    def parse(self, t: _Tokens) -> bytes:
        return self.coerce(_unescape(t.word("string")))


class _Strings(_Field):
    """One or more <character-string>s to the end of the rdata (TXT, SPF)."""

    def coerce(self, value: Any) -> tuple[bytes, ...]:
        if isinstance(value, (str, bytes)):
            value = (value,)
        strings = tuple(_as_bytes(s, 255) for s in value)
        if not strings:
            raise RdataError("a TXT record needs at least one string")
        return strings

    def read(self, r: _Reader) -> tuple[bytes, ...]:
        strings = []
        while r.remaining():
            strings.append(r.counted())
        return tuple(strings)

    def write(self, value: tuple[bytes, ...], out: bytearray) -> None:
        for s in value:
            out.append(len(s))
            out += s

    def text(self, value: tuple[bytes, ...]) -> str:
        return " ".join(_quote(s) for s in value)

    def parse(self, t: _Tokens) -> tuple[bytes, ...]:
        return self.coerce([_unescape(token.text) for token in t.rest()])


class _Blob(_Field):
    """Octets to the end of the rdata, shown as hex or base64 in chunks as dnspython does."""

    def __init__(self, encoding: str, chunk: int) -> None:
        self.encoding = encoding
        self.chunk = chunk

    def coerce(self, value: Any) -> bytes:
        return _as_bytes(value) if not isinstance(value, str) else _typed(value, bytes)

    def read(self, r: _Reader) -> bytes:
        return r.rest()

    def write(self, value: bytes, out: bytearray) -> None:
        out += value

    def text(self, value: bytes) -> str:
        if self.encoding == "hex":
            return _chunks(value.hex(), self.chunk)
        return _chunks(base64.b64encode(value).decode("ascii"), self.chunk)

    def parse(self, t: _Tokens) -> bytes:
        joined = "".join(token.text for token in t.rest())
        try:
            if self.encoding == "hex":
                return bytes.fromhex(joined)
            return base64.b64decode(joined, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise RdataError(f"bad {self.encoding} data: {exc}") from None


class _Salt(_Field):
    """NSEC3 salt: a length octet and octets, shown as hex or "-" when empty (RFC 5155 3.3)."""

    def coerce(self, value: Any) -> bytes:
        return _as_bytes(value, 255) if not isinstance(value, str) else _typed(value, bytes)

    def read(self, r: _Reader) -> bytes:
        return r.counted()

    def write(self, value: bytes, out: bytearray) -> None:
        out.append(len(value))
        out += value

    def text(self, value: bytes) -> str:
        return value.hex() if value else "-"

    def parse(self, t: _Tokens) -> bytes:
        word = t.word("salt")
        if word == "-":
            return b""
        try:
            return self.coerce(bytes.fromhex(word))
        except ValueError:
            raise RdataError(f"bad salt {word!r}") from None


_B32_HEX = "0123456789abcdefghijklmnopqrstuv"


class _HashedName(_Salt):
    """NSEC3 next hashed owner: length-prefixed, shown in unpadded base32hex (RFC 5155 3.3)."""

    def text(self, value: bytes) -> str:
        return base64.b32hexencode(value).decode("ascii").rstrip("=").lower()

    def parse(self, t: _Tokens) -> bytes:
        word = t.word("next hashed owner").upper()
        try:
            return self.coerce(base64.b32hexdecode(word + "=" * (-len(word) % 8)))
        except (ValueError, binascii.Error):
            raise RdataError(f"bad base32hex {word!r}") from None


class _TypeBitmap(_Field):
    """NSEC/NSEC3 type bitmap as dnspython keeps it: ((window, bitmap octets), ...)."""

    def coerce(self, value: Any) -> tuple[tuple[int, bytes], ...]:
        windows = tuple((int(w), bytes(b)) for w, b in value)
        previous = -1
        for window, bitmap in windows:
            if not previous < window < 256 or not 1 <= len(bitmap) <= 32:
                raise RdataError(f"bad type bitmap window {window} of {len(bitmap)} octets")
            previous = window
        return windows

    def read(self, r: _Reader) -> tuple[tuple[int, bytes], ...]:
        windows = []
        while r.remaining():
            window = r.u8()
            windows.append((window, r.counted()))
        return self.coerce(windows)

    def write(self, value: tuple[tuple[int, bytes], ...], out: bytearray) -> None:
        for window, bitmap in value:
            out.append(window)
            out.append(len(bitmap))
            out += bitmap

    def text(self, value: tuple[tuple[int, bytes], ...]) -> str | None:
        types = [
            type_text(window * 256 + i * 8 + j)
            for window, bitmap in value
            for i, octet in enumerate(bitmap)
            for j in range(8)
            if octet & (0x80 >> j)
        ]
        return " ".join(types) if types else None

    def parse(self, t: _Tokens) -> tuple[tuple[int, bytes], ...]:
        try:
            types = sorted({type_value(token.text) for token in t.rest()})
        except ValueError as exc:
            raise RdataError(str(exc)) from None
        windows: dict[int, bytearray] = {}
        for rdtype in types:
            bitmap = windows.setdefault(rdtype >> 8, bytearray())
            offset = (rdtype & 0xFF) >> 3
            bitmap.extend(bytes(offset + 1 - len(bitmap)))
            bitmap[offset] |= 0x80 >> (rdtype & 7)
        return tuple((w, bytes(b)) for w, b in sorted(windows.items()))


class _CaaTag(_String):
    """CAA tag: a counted string shown bare (RFC 8659 section 4.1)."""

    def text(self, value: bytes) -> str:
        return _escape(value)


class _CaaValue(_Blob):
    """CAA value: the octets after the tag, shown quoted."""

    def __init__(self) -> None:
        super().__init__("quoted", 0)

    def text(self, value: bytes) -> str:
        return _quote(value)

    def parse(self, t: _Tokens) -> bytes:
        return _unescape(t.word("CAA value"))


# --- the rdata classes -----------------------------------------------------------------------


@functools.cache
def _layout(cls: type) -> tuple[tuple[str, _Field], ...]:
    names = [f.name for f in fields(cls) if f.name not in ("rdclass", "rdtype")]
    return tuple(zip(names, cls._fields, strict=True))


@dataclass(frozen=True, slots=True)
class Rdata:
    """Record data of one type. Compare, hash, `to_text()` and `to_wire()` like dnspython's."""

    rdtype: ClassVar[int]
    _fields: ClassVar[tuple[_Field, ...]] = ()
    rdclass: int = field(default=IN, kw_only=True)

    def __post_init__(self) -> None:
        _UInt(16).coerce(self.rdclass)
        for name, codec in _layout(type(self)):
            object.__setattr__(self, name, codec.coerce(getattr(self, name)))

    def to_wire(self) -> bytes:
        """The rdata octets (names uncompressed, letter case kept)."""
        out = bytearray()
        for name, codec in _layout(type(self)):
            codec.write(getattr(self, name), out)
        return bytes(out)

    def to_text(self) -> str:
        """Presentation form, as dnspython's `to_text()` shows it (names absolute)."""
        parts = (codec.text(getattr(self, name)) for name, codec in _layout(type(self)))
        return " ".join(part for part in parts if part is not None)

    def __str__(self) -> str:
        return self.to_text()

    @classmethod
    def _from_reader(cls, r: _Reader, rdclass: int) -> Rdata:
        return cls(*(codec.read(r) for _, codec in _layout(cls)), rdclass=rdclass)

    @classmethod
    def _from_tokens(cls, t: _Tokens, rdclass: int) -> Rdata:
        return cls(*(codec.parse(t) for _, codec in _layout(cls)), rdclass=rdclass)


@dataclass(frozen=True, slots=True)
class GenericRdata(Rdata):
    """Rdata of a type we do not interpret: kept as octets, shown as `\\# len hex` (RFC 3597)."""

    rdtype: int  # type: ignore[misc]
    data: bytes
    _fields: ClassVar[tuple[_Field, ...]] = (_Blob("hex", 128),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rdtype", _UInt(16).coerce(self.rdtype))
        Rdata.__post_init__(self)

    def to_text(self) -> str:
        if not self.data:
            return "\\# 0"
        return f"\\# {len(self.data)} {_chunks(self.data.hex(), 128)}"


@dataclass(frozen=True, slots=True)
class A(Rdata):
    rdtype: ClassVar[int] = 1
    address: str
    _fields = (_IPv4(),)


@dataclass(frozen=True, slots=True)
class AAAA(Rdata):
    rdtype: ClassVar[int] = 28
    address: str
    _fields = (_IPv6(),)


@dataclass(frozen=True, slots=True)
class NS(Rdata):
    rdtype: ClassVar[int] = 2
    target: Name
    _fields = (_NameField(),)


@dataclass(frozen=True, slots=True)
class CNAME(NS):
    rdtype: ClassVar[int] = 5


@dataclass(frozen=True, slots=True)
class PTR(NS):
    rdtype: ClassVar[int] = 12


@dataclass(frozen=True, slots=True)
class DNAME(NS):
    rdtype: ClassVar[int] = 39


@dataclass(frozen=True, slots=True)
class SOA(Rdata):
    rdtype: ClassVar[int] = 6
    mname: Name
    rname: Name
    serial: int
    refresh: int
    retry: int
    expire: int
    minimum: int
    _fields = (_NameField(), _NameField(), *[_UInt(32)] * 5)


@dataclass(frozen=True, slots=True)
class HINFO(Rdata):
    rdtype: ClassVar[int] = 13
    cpu: bytes
    os: bytes
    _fields = (_String(), _String())


@dataclass(frozen=True, slots=True)
class MX(Rdata):
    rdtype: ClassVar[int] = 15
    preference: int
    exchange: Name
    _fields = (_UInt(16), _NameField())


@dataclass(frozen=True, slots=True)
class TXT(Rdata):
    rdtype: ClassVar[int] = 16
    strings: tuple[bytes, ...]
    _fields = (_Strings(),)


@dataclass(frozen=True, slots=True)
class SPF(TXT):
    rdtype: ClassVar[int] = 99


@dataclass(frozen=True, slots=True)
class SRV(Rdata):
    rdtype: ClassVar[int] = 33
    priority: int
    weight: int
    port: int
    target: Name
    _fields = (_UInt(16), _UInt(16), _UInt(16), _NameField())


@dataclass(frozen=True, slots=True)
class NAPTR(Rdata):
    rdtype: ClassVar[int] = 35
    order: int
    preference: int
    flags: bytes
    service: bytes
    regexp: bytes
    replacement: Name
    _fields = (_UInt(16), _UInt(16), _String(), _String(), _String(), _NameField())


@dataclass(frozen=True, slots=True)
class DS(Rdata):
    rdtype: ClassVar[int] = 43
    key_tag: int
    algorithm: int
    digest_type: int
    digest: bytes
    _fields = (_UInt(16), _UInt(8), _UInt(8), _Blob("hex", 128))


@dataclass(frozen=True, slots=True)
class CDS(DS):
    rdtype: ClassVar[int] = 59


@dataclass(frozen=True, slots=True)
class SSHFP(Rdata):
    rdtype: ClassVar[int] = 44
    algorithm: int
    fp_type: int
    fingerprint: bytes
    _fields = (_UInt(8), _UInt(8), _Blob("hex", 128))


@dataclass(frozen=True, slots=True)
class RRSIG(Rdata):
    rdtype: ClassVar[int] = 46
    type_covered: int
    algorithm: int
    labels: int
    original_ttl: int
    expiration: int
    inception: int
    key_tag: int
    signer: Name
    signature: bytes
    _fields = (
        _RRType(),
        _UInt(8),
        _UInt(8),
        _UInt(32),
        _SigTime(),
        _SigTime(),
        _UInt(16),
        _NameField(),
        _Blob("base64", 32),
    )


@dataclass(frozen=True, slots=True)
class NSEC(Rdata):
    rdtype: ClassVar[int] = 47
    next: Name
    windows: tuple[tuple[int, bytes], ...]
    _fields = (_NameField(), _TypeBitmap())


@dataclass(frozen=True, slots=True)
class DNSKEY(Rdata):
    rdtype: ClassVar[int] = 48
    flags: int
    protocol: int
    algorithm: int
    key: bytes
    _fields = (_UInt(16), _UInt(8), _UInt(8), _Blob("base64", 32))


@dataclass(frozen=True, slots=True)
class CDNSKEY(DNSKEY):
    rdtype: ClassVar[int] = 60


@dataclass(frozen=True, slots=True)
class NSEC3(Rdata):
    rdtype: ClassVar[int] = 50
    algorithm: int
    flags: int
    iterations: int
    salt: bytes
    next: bytes
    windows: tuple[tuple[int, bytes], ...]
    _fields = (_UInt(8), _UInt(8), _UInt(16), _Salt(), _HashedName(), _TypeBitmap())


@dataclass(frozen=True, slots=True)
class NSEC3PARAM(Rdata):
    rdtype: ClassVar[int] = 51
    algorithm: int
    flags: int
    iterations: int
    salt: bytes
    _fields = (_UInt(8), _UInt(8), _UInt(16), _Salt())


@dataclass(frozen=True, slots=True)
class TLSA(Rdata):
    rdtype: ClassVar[int] = 52
    usage: int
    selector: int
    mtype: int
    cert: bytes
    _fields = (_UInt(8), _UInt(8), _UInt(8), _Blob("hex", 128))


@dataclass(frozen=True, slots=True)
class SMIMEA(TLSA):
    rdtype: ClassVar[int] = 53


@dataclass(frozen=True, slots=True)
class CAA(Rdata):
    rdtype: ClassVar[int] = 257
    flags: int
    tag: bytes
    value: bytes
    _fields = (_UInt(8), _CaaTag(), _CaaValue())

    def __post_init__(self) -> None:
        Rdata.__post_init__(self)
        if not self.tag or not self.tag.isalnum() or not self.tag.isascii():
            raise RdataError(f"CAA tag must be 1-255 ASCII letters and digits: {self.tag!r}")


# --- SVCB and HTTPS (RFC 9460) ---------------------------------------------------------------

PARAM_KEYS: dict[int, str] = {
    0: "mandatory",
    1: "alpn",
    2: "no-default-alpn",
    3: "port",
    4: "ipv4hint",
    5: "ech",
    6: "ipv6hint",
    7: "dohpath",
    8: "ohttp",
    10: "docpath",
}
_PARAM_VALUES = {text: key for key, text in PARAM_KEYS.items()}


def param_key_text(key: int) -> str:
    return PARAM_KEYS.get(key) or f"key{key}"


def _param_key(text: str) -> int:
    if text in _PARAM_VALUES:
        return _PARAM_VALUES[text]
    if text.startswith("key") and text[3:].isdigit() and (text == "key0" or text[3] != "0"):
        return _int(text[3:], 16, "SvcParamKey")
    raise RdataError(f"unknown SvcParamKey {text!r}")


def _split_list(value: bytes) -> list[bytes]:
    """Split a comma-separated value list where "\\," and "\\\\" escape (RFC 9460 A.1)."""
    items, item, i = [], bytearray(), 0
    while i < len(value):
        c = value[i]
        if c == 0x5C and i + 1 < len(value):
            item.append(value[i + 1])
            i += 2
            continue
        if c == 0x2C:
            items.append(bytes(item))
            item = bytearray()
        else:
            item.append(c)
        i += 1
    items.append(bytes(item))
    return items


@dataclass(frozen=True, slots=True)
class MandatoryParam:
    keys: tuple[int, ...]

    def to_text(self) -> str:
        return '"' + ",".join(param_key_text(k) for k in self.keys) + '"'

    def to_wire(self) -> bytes:
        return b"".join(k.to_bytes(2, "big") for k in self.keys)


@dataclass(frozen=True, slots=True)
class ALPNParam:
    ids: tuple[bytes, ...]

    def to_text(self) -> str:
        escaped = b",".join(i.replace(b"\\", b"\\\\").replace(b",", b"\\,") for i in self.ids)
        return _quote(escaped)

    def to_wire(self) -> bytes:
        return b"".join(bytes([len(i)]) + i for i in self.ids)


@dataclass(frozen=True, slots=True)
class DoCPathParam(ALPNParam):
    pass


@dataclass(frozen=True, slots=True)
class PortParam:
    port: int

    def to_text(self) -> str:
        return f'"{self.port}"'

    def to_wire(self) -> bytes:
        return self.port.to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class IPv4HintParam:
    addresses: tuple[str, ...]

    def to_text(self) -> str:
        return '"' + ",".join(self.addresses) + '"'

    def to_wire(self) -> bytes:
        return b"".join(ipaddress.IPv4Address(a).packed for a in self.addresses)


@dataclass(frozen=True, slots=True)
class IPv6HintParam(IPv4HintParam):
    def to_wire(self) -> bytes:
        return b"".join(ipaddress.IPv6Address(a).packed for a in self.addresses)


@dataclass(frozen=True, slots=True)
class ECHParam:
    ech: bytes

    def to_text(self) -> str:
        return '"' + base64.b64encode(self.ech).decode("ascii") + '"'

    def to_wire(self) -> bytes:
        return self.ech


@dataclass(frozen=True, slots=True)
class GenericParam:
    value: bytes

    def to_text(self) -> str:
        return _quote(self.value)

    def to_wire(self) -> bytes:
        return self.value


SvcParam = (
    MandatoryParam
    | ALPNParam
    | PortParam
    | IPv4HintParam
    | IPv6HintParam
    | ECHParam
    | GenericParam
    | None
)


def _param_from_wire(key: int, data: bytes) -> SvcParam:
    """One SvcParamValue; None for the keys whose value is empty (as dnspython keeps them)."""
    r = _Reader(data)
    if key == 0:
        keys = tuple(r.u16() for _ in range(len(data) // 2))
        if len(data) % 2 or not keys or list(keys) != sorted(set(keys)) or 0 in keys:
            raise RdataError("bad mandatory SvcParam")
        return MandatoryParam(keys)
    if key in (1, 10):
        ids = []
        while r.remaining():
            ids.append(r.counted())
        if not ids:
            if key == 1:
                raise RdataError("empty alpn SvcParam")
            return None
        return ALPNParam(tuple(ids)) if key == 1 else DoCPathParam(tuple(ids))
    if key in (2, 8):
        if data:
            raise RdataError(f"{param_key_text(key)} SvcParam must be empty")
        return None
    if key == 3:
        port = r.u16()
        if r.remaining():
            raise RdataError("port SvcParam is not 2 octets")
        return PortParam(port)
    if key in (4, 6):
        size = 4 if key == 4 else 16
        if not data or len(data) % size:
            raise RdataError(f"{param_key_text(key)} SvcParam of {len(data)} octets")
        if key == 4:
            return IPv4HintParam(tuple(str(ipaddress.IPv4Address(r.take(4))) for _ in data[::4]))
        return IPv6HintParam(tuple(_ipv6_text(r.take(16)) for _ in data[::16]))
    if key == 5:
        if not data:
            raise RdataError("empty ech SvcParam")
        return ECHParam(data)
    return GenericParam(data) if data else None


def _param_from_text(key: int, value: str | None) -> SvcParam:
    if value is None or value == "":
        return _param_from_wire(key, b"")
    if key == 0:
        return _param_from_wire(
            0,
            b"".join(
                _param_key(k).to_bytes(2, "big") for k in sorted(value.split(","), key=_param_key)
            ),
        )
    if key in (1, 10):
        ids = _split_list(_unescape(value))
        return _param_from_wire(key, b"".join(bytes([len(i)]) + i for i in ids))
    if key == 3:
        return PortParam(_int(value, 16, "port"))
    if key == 4:
        return IPv4HintParam(tuple(_IPv4().coerce(a) for a in value.split(",")))
    if key == 6:
        return IPv6HintParam(tuple(_IPv6().coerce(a) for a in value.split(",")))
    if key == 5:
        try:
            return ECHParam(base64.b64decode(value, validate=True))
        except (ValueError, binascii.Error):
            raise RdataError(f"bad ech value {value!r}") from None
    return _param_from_wire(key, _unescape(value))


class SvcParams(Mapping[int, SvcParam]):
    """The SvcParams of an SVCB/HTTPS record: key number -> value, in key order; immutable."""

    __slots__ = ("_items",)

    def __init__(self, params: Mapping[int, SvcParam] | None = None) -> None:
        self._items = tuple(sorted((params or {}).items()))

    def __getitem__(self, key: int) -> SvcParam:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[int]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SvcParams):
            return self._items == other._items
        return Mapping.__eq__(self, other)

    def __repr__(self) -> str:
        return f"SvcParams({dict(self._items)!r})"


class _SvcParamsField(_Field):
    def coerce(self, value: Any) -> SvcParams:
        params = value if isinstance(value, SvcParams) else SvcParams(value)
        for key in params:
            _UInt(16).coerce(key)
        if 2 in params and 1 not in params:
            raise RdataError("no-default-alpn without alpn")
        mandatory = params.get(0)
        if isinstance(mandatory, MandatoryParam) and any(k not in params for k in mandatory.keys):
            raise RdataError("a key declared mandatory is missing")
        return params

    def read(self, r: _Reader) -> SvcParams:
        params: dict[int, SvcParam] = {}
        previous = -1
        while r.remaining():
            key = r.u16()
            if key <= previous:
                raise RdataError("SvcParamKeys not in strictly increasing order")
            previous = key
            params[key] = _param_from_wire(key, r.take(r.u16()))
        return self.coerce(params)

    def write(self, value: SvcParams, out: bytearray) -> None:
        for key, param in value.items():
            data = b"" if param is None else param.to_wire()
            out += struct.pack("!HH", key, len(data))
            out += data

    def text(self, value: SvcParams) -> str | None:
        parts = [
            param_key_text(k) if v is None else f"{param_key_text(k)}={v.to_text()}"
            for k, v in value.items()
        ]
        return " ".join(parts) if parts else None

    def parse(self, t: _Tokens) -> SvcParams:
        tokens = t.rest()
        params: dict[int, SvcParam] = {}
        i = 0
        while i < len(tokens):
            token = tokens[i]
            key_text, equals, value = token.text.partition("=")
            if token.quoted or not key_text:
                raise RdataError(f"bad SvcParam {token.text!r}")
            if equals and not value and i + 1 < len(tokens) and tokens[i + 1].glued:
                i += 1
                value = tokens[i].text  # key="quoted value"
            key = _param_key(key_text)
            if key in params:
                raise RdataError(f"duplicate SvcParamKey {key_text}")
            params[key] = _param_from_text(key, value if equals else None)
            i += 1
        return self.coerce(params)


@dataclass(frozen=True, slots=True)
class SVCB(Rdata):
    rdtype: ClassVar[int] = 64
    priority: int
    target: Name
    params: SvcParams = field(default_factory=SvcParams)
    _fields = (_UInt(16), _NameField(), _SvcParamsField())

    def __post_init__(self) -> None:
        Rdata.__post_init__(self)
        if self.priority == 0 and self.params:
            raise RdataError("SvcParams in AliasMode (priority 0)")


@dataclass(frozen=True, slots=True)
class HTTPS(SVCB):
    rdtype: ClassVar[int] = 65


# --- building rdata --------------------------------------------------------------------------

RDATA_CLASSES: dict[int, type[Rdata]] = {
    cls.rdtype: cls
    for cls in (
        A, AAAA, NS, CNAME, PTR, DNAME, SOA, HINFO, MX, TXT, SPF, SRV, NAPTR, DS, CDS, SSHFP,
        RRSIG, NSEC, DNSKEY, CDNSKEY, NSEC3, NSEC3PARAM, TLSA, SMIMEA, CAA, SVCB, HTTPS,
    )
}  # fmt: skip


def from_wire(rdtype: int, data: bytes, rdclass: int = IN) -> Rdata:
    """Rdata of `rdtype` from its octets (names uncompressed); RdataError if they do not fit."""
    cls = RDATA_CLASSES.get(rdtype)
    if cls is None:
        return GenericRdata(rdtype, bytes(data), rdclass=rdclass)
    reader = _Reader(bytes(data))
    try:
        rdata = cls._from_reader(reader, rdclass)
    except (ValueError, TypeError) as exc:
        raise RdataError(f"{type_text(rdtype)} rdata: {exc}") from None
    if reader.remaining():
        raise RdataError(f"{type_text(rdtype)} rdata has {reader.remaining()} octets left over")
    return rdata


def from_text(rdtype: int | str, text: str, rdclass: int = IN) -> Rdata:
    """Rdata from its presentation form; `\\# len hex` (RFC 3597) is accepted for every type."""
    if isinstance(rdtype, str):
        try:
            rdtype = type_value(rdtype)
        except ValueError as exc:
            raise RdataError(str(exc)) from None
    tokens = _Tokens(text)
    if tokens.more() and tokens.items[0].text == "\\#" and not tokens.items[0].quoted:
        tokens.next("\\#")
        length = _int(tokens.word("rdata length"), 16, "rdata length")
        data = _Blob("hex", 0).parse(tokens)
        if len(data) != length:
            raise RdataError(f"\\# says {length} octets but {len(data)} follow")
        return from_wire(rdtype, data, rdclass)
    cls = RDATA_CLASSES.get(rdtype)
    if cls is None:
        raise RdataError(f"{type_text(rdtype)} has no presentation form here: use \\# len hex")
    try:
        rdata = cls._from_tokens(tokens, rdclass)
    except (ValueError, TypeError) as exc:
        raise RdataError(f"{type_text(rdtype)} rdata {text!r}: {exc}") from None
    if tokens.more():
        raise RdataError(f"{type_text(rdtype)} rdata {text!r} has text left over")
    return rdata
