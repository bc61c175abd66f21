"""SVCB and HTTPS service parameters (RFC 9460 section 7 and 14.3), as dnspython keeps them:
a mapping of SvcParamKey number to a value object (`ALPNParam.ids`, `PortParam.port`...) or
None for a key whose value is empty (no-default-alpn, ohttp).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from resolver.records.codecs import (
    Field,
    IPv4Field,
    IPv6Field,
    RdataError,
    Reader,
    Tokens,
    UIntField,
    as_bytes,
    ipv6_text,
    parse_int,
    quote,
    unescape,
)

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
        return parse_int(text[3:], 16, "SvcParamKey")
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
    """`mandatory` (key 0): the keys a client must understand to use the record."""

    keys: tuple[int, ...]
    """The mandatory SvcParamKeys, as numbers, sorted."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", tuple(sorted(UIntField(16).coerce(k) for k in self.keys)))

    def to_text(self) -> str:
        """The value in presentation form, as in a zone file."""
        return '"' + ",".join(param_key_text(k) for k in self.keys) + '"'

    def to_wire(self) -> bytes:
        """The SvcParamValue octets."""
        return b"".join(k.to_bytes(2, "big") for k in self.keys)


@dataclass(frozen=True, slots=True)
class ALPNParam:
    """`alpn` (key 1): the application protocols the endpoint speaks (b"h2", b"h3"...)."""

    ids: tuple[bytes, ...]
    """The ALPN protocol identifiers, in order of preference."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", tuple(as_bytes(i, 255) for i in self.ids))

    def to_text(self) -> str:
        """The value in presentation form, as in a zone file."""
        escaped = b",".join(i.replace(b"\\", b"\\\\").replace(b",", b"\\,") for i in self.ids)
        return quote(escaped)

    def to_wire(self) -> bytes:
        """The SvcParamValue octets."""
        return b"".join(bytes([len(i)]) + i for i in self.ids)


@dataclass(frozen=True, slots=True)
class DoCPathParam(ALPNParam):
    """`docpath` (key 10, RFC 9461): the path segments of a DNS-over-CoAP endpoint, in `ids`."""


@dataclass(frozen=True, slots=True)
class PortParam:
    """`port` (key 3): the endpoint's port, instead of the protocol's default."""

    port: int
    """The TCP or UDP port."""

    def __post_init__(self) -> None:
        UIntField(16).coerce(self.port)

    def to_text(self) -> str:
        """The value in presentation form, as in a zone file."""
        return f'"{self.port}"'

    def to_wire(self) -> bytes:
        """The SvcParamValue octets."""
        return self.port.to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class IPv4HintParam:
    """`ipv4hint` (key 4): addresses a client may use before it resolves the target's A."""

    addresses: tuple[str, ...]
    """The addresses, as text."""
    _address: ClassVar[Field] = IPv4Field()

    def __post_init__(self) -> None:
        addresses = tuple(self._address.coerce(a) for a in self.addresses)
        object.__setattr__(self, "addresses", addresses)

    def to_text(self) -> str:
        """The value in presentation form, as in a zone file."""
        return '"' + ",".join(self.addresses) + '"'

    def to_wire(self) -> bytes:
        """The SvcParamValue octets."""
        return b"".join(ipaddress.IPv4Address(a).packed for a in self.addresses)


@dataclass(frozen=True, slots=True)
class IPv6HintParam(IPv4HintParam):
    """`ipv6hint` (key 6): addresses a client may use before it resolves the target's AAAA."""

    _address: ClassVar[Field] = IPv6Field()

    def to_wire(self) -> bytes:
        """The SvcParamValue octets."""
        return b"".join(ipaddress.IPv6Address(a).packed for a in self.addresses)


@dataclass(frozen=True, slots=True)
class ECHParam:
    """`ech` (key 5): the Encrypted ClientHello configuration list."""

    ech: bytes
    """The ECHConfigList octets (shown in base64)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ech", as_bytes(self.ech))

    def to_text(self) -> str:
        """The value in presentation form, as in a zone file."""
        return '"' + base64.b64encode(self.ech).decode("ascii") + '"'

    def to_wire(self) -> bytes:
        """The SvcParamValue octets."""
        return self.ech


@dataclass(frozen=True, slots=True)
class GenericParam:
    """A SvcParam of a key without a class here, kept as octets."""

    value: bytes
    """The SvcParamValue octets."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", as_bytes(self.value))

    def to_text(self) -> str:
        """The value in presentation form, as in a zone file."""
        return quote(self.value)

    def to_wire(self) -> bytes:
        """The SvcParamValue octets."""
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


_PARAM_CLASSES = (
    MandatoryParam,
    ALPNParam,
    PortParam,
    IPv4HintParam,
    ECHParam,
    GenericParam,
)  # subclasses included: DoCPathParam, IPv6HintParam


def _param_from_wire(key: int, data: bytes) -> SvcParam:
    """One SvcParamValue; None for the keys whose value is empty (as dnspython keeps them)."""
    r = Reader(data)
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
        return IPv6HintParam(tuple(ipv6_text(r.take(16)) for _ in data[::16]))
    if key == 5:
        if not data:
            raise RdataError("empty ech SvcParam")
        return ECHParam(data)
    return GenericParam(data) if data else None


def _param_from_text(key: int, value: str | None) -> SvcParam:
    if value is None or value == "":
        return _param_from_wire(key, b"")
    if key == 0:
        keys = sorted(_param_key(k) for k in value.split(","))
        return _param_from_wire(0, b"".join(k.to_bytes(2, "big") for k in keys))
    if key in (1, 10):
        ids = _split_list(unescape(value))
        return _param_from_wire(key, b"".join(bytes([len(i)]) + i for i in ids))
    if key == 3:
        return PortParam(parse_int(value, 16, "port"))
    if key == 4:
        return IPv4HintParam(tuple(IPv4Field().coerce(a) for a in value.split(",")))
    if key == 6:
        return IPv6HintParam(tuple(IPv6Field().coerce(a) for a in value.split(",")))
    if key == 5:
        try:
            return ECHParam(base64.b64decode(value, validate=True))
        except (ValueError, binascii.Error):
            raise RdataError(f"bad ech value {value!r}") from None
    return _param_from_wire(key, unescape(value))


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


class SvcParamsField(Field):
    def coerce(self, value: Any) -> SvcParams:
        params = value if isinstance(value, SvcParams) else SvcParams(value)
        for key, param in params.items():
            UIntField(16).coerce(key)
            if param is not None and not isinstance(param, _PARAM_CLASSES):
                raise RdataError(f"SvcParam {param_key_text(key)} has a {type(param).__name__}")
        if 2 in params and 1 not in params:
            raise RdataError("no-default-alpn without alpn")
        mandatory = params.get(0)
        if isinstance(mandatory, MandatoryParam) and any(k not in params for k in mandatory.keys):
            raise RdataError("a key declared mandatory is missing")
        return params

    def read(self, r: Reader) -> SvcParams:
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

    def parse(self, t: Tokens) -> SvcParams:
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
