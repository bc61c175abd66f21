"""Field codecs for record data: how one field is checked, read from and written to the wire,
shown in and parsed from presentation text.

The rdata classes (rdata.py, svcb.py) are lists of these codecs, so each wire and text rule is
written once: RFC 1035 3.3 for numbers, names and <character-string>s, RFC 4034 for DNSSEC
fields, RFC 5155 for NSEC3's salt and hashed names. Text is rendered exactly as dnspython
renders it, so applications moving from dnspython see the same strings.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import ipaddress
import time
from dataclasses import dataclass
from typing import Any

from resolver.errors import InvalidName, ResolverError
from resolver.records.name import Name
from resolver.records.types import type_text, type_value


class RdataError(ResolverError, ValueError):
    """Bytes or text that cannot be record data of the given type."""


# --- reading wire bytes and presentation tokens ----------------------------------------------


class Reader:
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
class Token:
    text: str  # as written; a quoted token without its quotes, escapes not yet decoded
    quoted: bool
    glued: bool  # no whitespace before it (SVCB's key="value")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
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
        tokens.append(Token(text[start:j], quoted, glued))
        i = j + 1 if quoted else j
        glued = True
    return tokens


class Tokens:
    def __init__(self, text: str) -> None:
        self.items = tokenize(text)
        self.pos = 0

    def more(self) -> bool:
        return self.pos < len(self.items)

    def next(self, what: str) -> Token:
        if not self.more():
            raise RdataError(f"missing {what}")
        token = self.items[self.pos]
        self.pos += 1
        return token

    def word(self, what: str) -> str:
        return self.next(what).text

    def rest(self) -> list[Token]:
        tokens, self.pos = self.items[self.pos :], len(self.items)
        return tokens


def unescape(text: str) -> bytes:
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
        if is_decimal(text[i + 1]):
            digits = text[i + 1 : i + 4]
            if len(digits) != 3 or not is_decimal(digits) or int(digits) > 255:
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


def quote(data: bytes) -> str:
    """A character-string as dnspython shows it: inside quotes, \\" \\\\ and \\DDD escapes."""
    return '"' + escape(data) + '"'


def escape(data: bytes) -> str:
    return "".join([_QUOTED[b] for b in data])


def chunks(text: str, size: int) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def is_decimal(text: str) -> bool:
    """ASCII digits only (str.isdigit() also accepts digits of other scripts)."""
    return text.isascii() and text.isdigit()


def parse_int(token: str, bits: int, what: str) -> int:
    if not is_decimal(token):
        raise RdataError(f"{what} is not a number: {token!r}")
    value = int(token)
    if value >= 1 << bits:
        raise RdataError(f"{what} {value} does not fit in {bits} bits")
    return value


def ipv6_text(packed: bytes) -> str:
    """RFC 5952 text, with dnspython's dotted tail for ::a.b.c.d and ::ffff:a.b.c.d."""
    if packed[:10] == bytes(10):
        tail = ipaddress.IPv4Address(packed[12:])
        if packed[10:12] == b"\xff\xff":
            return f"::ffff:{tail}"
        if packed[10:12] == b"\0\0" and packed[12:14] != b"\0\0":
            return f"::{tail}"
    return ipaddress.IPv6Address(packed).compressed


# --- field codecs ----------------------------------------------------------------------------


class Field:
    """How one rdata field is checked, read, written, shown and parsed."""

    def coerce(self, value: Any) -> Any:
        return value

    def read(self, r: Reader) -> Any:
        raise NotImplementedError

    def write(self, value: Any, out: bytearray) -> None:
        raise NotImplementedError

    def text(self, value: Any) -> str | None:
        return str(value)

    def parse(self, t: Tokens) -> Any:
        raise NotImplementedError


class UIntField(Field):
    def __init__(self, bits: int) -> None:
        self.bits = bits

    def coerce(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << self.bits:
            raise RdataError(f"{value!r} is not a {self.bits}-bit unsigned integer")
        return int(value)

    def read(self, r: Reader) -> int:
        return int.from_bytes(r.take(self.bits // 8), "big")

    def write(self, value: int, out: bytearray) -> None:
        out += value.to_bytes(self.bits // 8, "big")

    def parse(self, t: Tokens) -> int:
        return parse_int(t.word("number"), self.bits, "field")


class RRTypeField(UIntField):
    """A record type number shown as its mnemonic (RRSIG's type covered)."""

    def __init__(self) -> None:
        super().__init__(16)

    def text(self, value: int) -> str:
        return type_text(value)

    def parse(self, t: Tokens) -> int:
        try:
            return type_value(t.word("record type"))
        except ValueError as exc:
            raise RdataError(str(exc)) from None


class SigTimeField(UIntField):
    """RRSIG times: 32-bit seconds, shown as YYYYMMDDHHmmSS UTC (RFC 4034 section 3.2)."""

    def __init__(self) -> None:
        super().__init__(32)

    def text(self, value: int) -> str:
        return time.strftime("%Y%m%d%H%M%S", time.gmtime(value))

    def parse(self, t: Tokens) -> int:
        word = t.word("signature time")
        if len(word) == 14 and is_decimal(word):
            try:
                stamp = time.strptime(word, "%Y%m%d%H%M%S")
            except ValueError:
                raise RdataError(f"bad signature time {word!r}") from None
            return self.coerce(calendar.timegm(stamp))
        return parse_int(word, 32, "signature time")


class NameField(Field):
    def coerce(self, value: Any) -> Name:
        try:
            return Name.from_text(value) if isinstance(value, str) else typed(value, Name)
        except InvalidName as exc:
            raise RdataError(str(exc)) from None

    def read(self, r: Reader) -> Name:
        return r.name()

    def write(self, value: Name, out: bytearray) -> None:
        out += value.to_wire()

    def text(self, value: Name) -> str:
        return value.to_text()

    def parse(self, t: Tokens) -> Name:
        return self.coerce(t.word("name"))


class IPv4Field(Field):
    def coerce(self, value: Any) -> str:
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError as exc:
            raise RdataError(str(exc)) from None

    def read(self, r: Reader) -> str:
        return str(ipaddress.IPv4Address(r.take(4)))

    def write(self, value: str, out: bytearray) -> None:
        out += ipaddress.IPv4Address(value).packed

    def parse(self, t: Tokens) -> str:
        return self.coerce(t.word("IPv4 address"))


class IPv6Field(Field):
    def coerce(self, value: Any) -> str:
        try:
            return ipv6_text(ipaddress.IPv6Address(value).packed)
        except ValueError as exc:
            raise RdataError(str(exc)) from None

    def read(self, r: Reader) -> str:
        return ipv6_text(r.take(16))

    def write(self, value: str, out: bytearray) -> None:
        out += ipaddress.IPv6Address(value).packed

    def parse(self, t: Tokens) -> str:
        return self.coerce(t.word("IPv6 address"))


def as_bytes(value: Any, limit: int | None = None) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise RdataError(f"expected bytes, not {type(value).__name__}")
    value = bytes(value)
    if limit is not None and len(value) > limit:
        raise RdataError(f"string of {len(value)} octets (max {limit})")
    return value


def octets(value: Any, limit: int | None = None) -> bytes:
    """Binary data (digests, keys, salts): bytes only, text is refused rather than encoded."""
    if isinstance(value, str):
        raise RdataError(f"expected bytes, not text: {value!r}")
    return as_bytes(value, limit)


def typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise RdataError(f"expected {kind.__name__}, not {type(value).__name__}")
    return value


class StringField(Field):
    """One <character-string>: a length octet and up to 255 octets (RFC 1035 3.3)."""

    def coerce(self, value: Any) -> bytes:
        return as_bytes(value, 255)

    def read(self, r: Reader) -> bytes:
        return r.counted()

    def write(self, value: bytes, out: bytearray) -> None:
        out.append(len(value))
        out += value

    def text(self, value: bytes) -> str:
        return quote(value)

    def parse(self, t: Tokens) -> bytes:
        return self.coerce(unescape(t.word("string")))


class StringsField(Field):
    """One or more <character-string>s to the end of the rdata (TXT, SPF)."""

    def coerce(self, value: Any) -> tuple[bytes, ...]:
        if isinstance(value, (str, bytes)):
            value = (value,)
        strings = tuple(as_bytes(s, 255) for s in value)
        if not strings:
            raise RdataError("a TXT record needs at least one string")
        return strings

    def read(self, r: Reader) -> tuple[bytes, ...]:
        strings = []
        while r.remaining():
            strings.append(r.counted())
        return tuple(strings)

    def write(self, value: tuple[bytes, ...], out: bytearray) -> None:
        for s in value:
            out.append(len(s))
            out += s

    def text(self, value: tuple[bytes, ...]) -> str:
        return " ".join(quote(s) for s in value)

    def parse(self, t: Tokens) -> tuple[bytes, ...]:
        return self.coerce([unescape(token.text) for token in t.rest()])


class BlobField(Field):
    """Octets to the end of the rdata, shown as hex or base64 in chunks as dnspython does."""

    def __init__(self, encoding: str, chunk: int) -> None:
        self.encoding = encoding
        self.chunk = chunk

    def coerce(self, value: Any) -> bytes:
        return octets(value)

    def read(self, r: Reader) -> bytes:
        return r.rest()

    def write(self, value: bytes, out: bytearray) -> None:
        out += value

    def text(self, value: bytes) -> str:
        if self.encoding == "hex":
            return chunks(value.hex(), self.chunk)
        return chunks(base64.b64encode(value).decode("ascii"), self.chunk)

    def parse(self, t: Tokens) -> bytes:
        joined = "".join(token.text for token in t.rest())
        try:
            if self.encoding == "hex":
                return bytes.fromhex(joined)
            return base64.b64decode(joined, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise RdataError(f"bad {self.encoding} data: {exc}") from None


class SaltField(StringField):
    """NSEC3 salt: a length octet and octets, shown as hex or "-" when empty (RFC 5155 3.3)."""

    def coerce(self, value: Any) -> bytes:
        return octets(value, 255)

    def text(self, value: bytes) -> str:
        return value.hex() if value else "-"

    def parse(self, t: Tokens) -> bytes:
        word = t.word("salt")
        if word == "-":
            return b""
        try:
            return self.coerce(bytes.fromhex(word))
        except ValueError:
            raise RdataError(f"bad salt {word!r}") from None


class HashedNameField(SaltField):
    """NSEC3 next hashed owner: length-prefixed, shown in unpadded base32hex (RFC 5155 3.3)."""

    def text(self, value: bytes) -> str:
        return base64.b32hexencode(value).decode("ascii").rstrip("=").lower()

    def parse(self, t: Tokens) -> bytes:
        word = t.word("next hashed owner").upper()
        try:
            return self.coerce(base64.b32hexdecode(word + "=" * (-len(word) % 8)))
        except (ValueError, binascii.Error):
            raise RdataError(f"bad base32hex {word!r}") from None


class TypeBitmapField(Field):
    """NSEC/NSEC3 type bitmap as dnspython keeps it: ((window, bitmap octets), ...)."""

    def coerce(self, value: Any) -> tuple[tuple[int, bytes], ...]:
        windows = tuple((int(w), bytes(b)) for w, b in value)
        previous = -1
        for window, bitmap in windows:
            if not previous < window < 256 or not 1 <= len(bitmap) <= 32:
                raise RdataError(f"bad type bitmap window {window} of {len(bitmap)} octets")
            previous = window
        return windows

    def read(self, r: Reader) -> tuple[tuple[int, bytes], ...]:
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

    def parse(self, t: Tokens) -> tuple[tuple[int, bytes], ...]:
        try:
            types = sorted({type_value(token.text) for token in t.rest()})
        except ValueError as exc:
            raise RdataError(str(exc)) from None
        if types and types[0] == 0:
            raise RdataError("type 0 is reserved and cannot be in a type bitmap")
        windows: dict[int, bytearray] = {}
        for rdtype in types:
            bitmap = windows.setdefault(rdtype >> 8, bytearray())
            offset = (rdtype & 0xFF) >> 3
            bitmap.extend(bytes(offset + 1 - len(bitmap)))
            bitmap[offset] |= 0x80 >> (rdtype & 7)
        return tuple((w, bytes(b)) for w, b in sorted(windows.items()))


class CaaTagField(StringField):
    """CAA tag: a counted string shown bare (RFC 8659 section 4.1)."""

    def text(self, value: bytes) -> str:
        return escape(value)


class CaaValueField(Field):
    """CAA value: the octets after the tag, shown quoted (RFC 8659 section 4.1.1)."""

    def coerce(self, value: Any) -> bytes:
        return as_bytes(value)

    def read(self, r: Reader) -> bytes:
        return r.rest()

    def write(self, value: bytes, out: bytearray) -> None:
        out += value

    def text(self, value: bytes) -> str:
        return quote(value)

    def parse(self, t: Tokens) -> bytes:
        return unescape(t.word("CAA value"))
