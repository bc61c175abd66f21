"""Typed record data (rdata), with dnspython's class and attribute names.

Each record type is a frozen, slotted dataclass whose fields are dnspython's attribute names
(`MX.preference`, `MX.exchange`, `TXT.strings`...). A class lists one field codec per field
(codecs.py); the codecs read and write the wire form and the presentation form, so
`from_wire`, `to_wire`, `from_text` and `to_text` are written once. A type without a class here
is kept as `GenericRdata` and shown in RFC 3597 form (`\\# len hex`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar

from resolver.records.codecs import (
    BlobField,
    CaaTagField,
    CaaValueField,
    Field,
    HashedNameField,
    IPv4Field,
    IPv6Field,
    NameField,
    RdataError,
    Reader,
    RRTypeField,
    SaltField,
    SigTimeField,
    StringField,
    StringsField,
    Tokens,
    TypeBitmapField,
    UIntField,
    chunks,
    parse_int,
)
from resolver.records.name import Name
from resolver.records.svcb import SvcParams, SvcParamsField
from resolver.records.types import IN, type_text, type_value

# --- the rdata classes -----------------------------------------------------------------------


_LAYOUTS: dict[type[Rdata], tuple[tuple[str, Field], ...]] = {}


def _layout(cls: type[Rdata]) -> tuple[tuple[str, Field], ...]:
    """The class's (attribute name, codec) pairs, in wire order; worked out once per class."""
    layout = _LAYOUTS.get(cls)
    if layout is None:
        names = [f.name for f in fields(cls) if f.name not in ("rdclass", "rdtype")]
        layout = _LAYOUTS[cls] = tuple(zip(names, cls._fields, strict=True))
    return layout


@dataclass(frozen=True, slots=True)
class Rdata:
    """Record data of one type. Compare, hash, `to_text()` and `to_wire()` like dnspython's."""

    rdtype: ClassVar[int]
    _fields: ClassVar[tuple[Field, ...]] = ()
    rdclass: int = field(default=IN, kw_only=True)

    def __post_init__(self) -> None:
        UIntField(16).coerce(self.rdclass)
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
    def _from_reader(cls, r: Reader, rdclass: int) -> Rdata:
        return cls(*(codec.read(r) for _, codec in _layout(cls)), rdclass=rdclass)

    @classmethod
    def _from_tokens(cls, t: Tokens, rdclass: int) -> Rdata:
        return cls(*(codec.parse(t) for _, codec in _layout(cls)), rdclass=rdclass)


@dataclass(frozen=True, slots=True)
class GenericRdata(Rdata):
    """Rdata of a type we do not interpret: kept as octets, shown as `\\# len hex` (RFC 3597)."""

    rdtype: int  # type: ignore[misc]
    data: bytes
    _fields: ClassVar[tuple[Field, ...]] = (BlobField("hex", 128),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rdtype", UIntField(16).coerce(self.rdtype))
        Rdata.__post_init__(self)

    def to_text(self) -> str:
        if not self.data:
            return "\\# 0"
        return f"\\# {len(self.data)} {chunks(self.data.hex(), 128)}"


@dataclass(frozen=True, slots=True)
class A(Rdata):
    """An IPv4 address (RFC 1035 3.4.1)."""

    rdtype: ClassVar[int] = 1
    address: str
    _fields = (IPv4Field(),)


@dataclass(frozen=True, slots=True)
class AAAA(Rdata):
    """An IPv6 address (RFC 3596)."""

    rdtype: ClassVar[int] = 28
    address: str
    _fields = (IPv6Field(),)


@dataclass(frozen=True, slots=True)
class NS(Rdata):
    """An authoritative name server for the owner's zone (RFC 1035 3.3.11)."""

    rdtype: ClassVar[int] = 2
    target: Name
    _fields = (NameField(),)


@dataclass(frozen=True, slots=True)
class CNAME(NS):
    """The canonical name the owner is an alias of (RFC 1035 3.3.1)."""

    rdtype: ClassVar[int] = 5


@dataclass(frozen=True, slots=True)
class PTR(NS):
    """A name the owner points to, as in reverse lookups (RFC 1035 3.3.12)."""

    rdtype: ClassVar[int] = 12


@dataclass(frozen=True, slots=True)
class DNAME(NS):
    """Redirection of the whole subtree below the owner (RFC 6672)."""

    rdtype: ClassVar[int] = 39


@dataclass(frozen=True, slots=True)
class SOA(Rdata):
    """Start of a zone of authority; `minimum` is the negative-caching TTL (RFC 2308)."""

    rdtype: ClassVar[int] = 6
    mname: Name
    rname: Name
    serial: int
    refresh: int
    retry: int
    expire: int
    minimum: int
    _fields = (NameField(), NameField(), *[UIntField(32)] * 5)


@dataclass(frozen=True, slots=True)
class HINFO(Rdata):
    """Host information: CPU and OS strings (RFC 1035 3.3.2)."""

    rdtype: ClassVar[int] = 13
    cpu: bytes
    os: bytes
    _fields = (StringField(), StringField())


@dataclass(frozen=True, slots=True)
class MX(Rdata):
    """A mail exchange and its preference, lower first (RFC 1035 3.3.9)."""

    rdtype: ClassVar[int] = 15
    preference: int
    exchange: Name
    _fields = (UIntField(16), NameField())


@dataclass(frozen=True, slots=True)
class TXT(Rdata):
    """One or more character-strings (RFC 1035 3.3.14); `strings` is a tuple of bytes."""

    rdtype: ClassVar[int] = 16
    strings: tuple[bytes, ...]
    _fields = (StringsField(),)


@dataclass(frozen=True, slots=True)
class SPF(TXT):
    """TXT-shaped SPF data (RFC 4408; the type is obsolete, the data still seen)."""

    rdtype: ClassVar[int] = 99


@dataclass(frozen=True, slots=True)
class SRV(Rdata):
    """Where a service runs: priority, weight, port, target (RFC 2782)."""

    rdtype: ClassVar[int] = 33
    priority: int
    weight: int
    port: int
    target: Name
    _fields = (UIntField(16), UIntField(16), UIntField(16), NameField())


@dataclass(frozen=True, slots=True)
class NAPTR(Rdata):
    """A naming authority pointer rule (RFC 3403)."""

    rdtype: ClassVar[int] = 35
    order: int
    preference: int
    flags: bytes
    service: bytes
    regexp: bytes
    replacement: Name
    _fields = (
        UIntField(16),
        UIntField(16),
        StringField(),
        StringField(),
        StringField(),
        NameField(),
    )


@dataclass(frozen=True, slots=True)
class DS(Rdata):
    """A delegation signer: the digest of a child zone's DNSKEY (RFC 4034 5)."""

    rdtype: ClassVar[int] = 43
    key_tag: int
    algorithm: int
    digest_type: int
    digest: bytes
    _fields = (UIntField(16), UIntField(8), UIntField(8), BlobField("hex", 128))


@dataclass(frozen=True, slots=True)
class CDS(DS):
    """A child's copy of the DS it wants in its parent (RFC 7344)."""

    rdtype: ClassVar[int] = 59


@dataclass(frozen=True, slots=True)
class SSHFP(Rdata):
    """An SSH host key fingerprint (RFC 4255)."""

    rdtype: ClassVar[int] = 44
    algorithm: int
    fp_type: int
    fingerprint: bytes
    _fields = (UIntField(8), UIntField(8), BlobField("hex", 128))


@dataclass(frozen=True, slots=True)
class RRSIG(Rdata):
    """A DNSSEC signature over an RRset; times are seconds since 1970 (RFC 4034 3)."""

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
        RRTypeField(),
        UIntField(8),
        UIntField(8),
        UIntField(32),
        SigTimeField(),
        SigTimeField(),
        UIntField(16),
        NameField(),
        BlobField("base64", 32),
    )


@dataclass(frozen=True, slots=True)
class NSEC(Rdata):
    """The next owner name in the zone and the types at this one (RFC 4034 4)."""

    rdtype: ClassVar[int] = 47
    next: Name
    windows: tuple[tuple[int, bytes], ...]
    _fields = (NameField(), TypeBitmapField())


@dataclass(frozen=True, slots=True)
class DNSKEY(Rdata):
    """A DNSSEC public key (RFC 4034 2)."""

    rdtype: ClassVar[int] = 48
    flags: int
    protocol: int
    algorithm: int
    key: bytes
    _fields = (UIntField(16), UIntField(8), UIntField(8), BlobField("base64", 32))


@dataclass(frozen=True, slots=True)
class CDNSKEY(DNSKEY):
    """A child's copy of the DNSKEY it wants its parent's DS to match (RFC 7344)."""

    rdtype: ClassVar[int] = 60


@dataclass(frozen=True, slots=True)
class NSEC3(Rdata):
    """Hashed authenticated denial of existence (RFC 5155 3)."""

    rdtype: ClassVar[int] = 50
    algorithm: int
    flags: int
    iterations: int
    salt: bytes
    next: bytes
    windows: tuple[tuple[int, bytes], ...]
    _fields = (
        UIntField(8),
        UIntField(8),
        UIntField(16),
        SaltField(),
        HashedNameField(),
        TypeBitmapField(),
    )


@dataclass(frozen=True, slots=True)
class NSEC3PARAM(Rdata):
    """The NSEC3 hash parameters of a zone (RFC 5155 4)."""

    rdtype: ClassVar[int] = 51
    algorithm: int
    flags: int
    iterations: int
    salt: bytes
    _fields = (UIntField(8), UIntField(8), UIntField(16), SaltField())


@dataclass(frozen=True, slots=True)
class TLSA(Rdata):
    """A TLS certificate association for DANE (RFC 6698)."""

    rdtype: ClassVar[int] = 52
    usage: int
    selector: int
    mtype: int
    cert: bytes
    _fields = (UIntField(8), UIntField(8), UIntField(8), BlobField("hex", 128))


@dataclass(frozen=True, slots=True)
class SMIMEA(TLSA):
    """An S/MIME certificate association (RFC 8162)."""

    rdtype: ClassVar[int] = 53


@dataclass(frozen=True, slots=True)
class CAA(Rdata):
    """Which certificate authorities may issue for the name (RFC 8659)."""

    rdtype: ClassVar[int] = 257
    flags: int
    tag: bytes
    value: bytes
    _fields = (UIntField(8), CaaTagField(), CaaValueField())

    def __post_init__(self) -> None:
        Rdata.__post_init__(self)
        if not self.tag or not self.tag.isalnum() or not self.tag.isascii():
            raise RdataError(f"CAA tag must be 1-255 ASCII letters and digits: {self.tag!r}")


# --- SVCB and HTTPS (RFC 9460) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SVCB(Rdata):
    """A service binding: alias (priority 0) or service endpoint with SvcParams (RFC 9460)."""

    rdtype: ClassVar[int] = 64
    priority: int
    target: Name
    params: SvcParams = field(default_factory=SvcParams)
    _fields = (UIntField(16), NameField(), SvcParamsField())

    def __post_init__(self) -> None:
        Rdata.__post_init__(self)
        if self.priority == 0 and self.params:
            raise RdataError("SvcParams in AliasMode (priority 0)")


@dataclass(frozen=True, slots=True)
class HTTPS(SVCB):
    """SVCB for HTTPS origins (RFC 9460 9)."""

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
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise RdataError(f"rdata must be bytes, not {type(data).__name__}")
    cls = RDATA_CLASSES.get(rdtype)
    if cls is None:
        return GenericRdata(rdtype, bytes(data), rdclass=rdclass)
    reader = Reader(bytes(data))
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
    if not isinstance(text, str):
        raise RdataError(f"rdata text must be str, not {type(text).__name__}")
    tokens = Tokens(text)
    if tokens.more() and tokens.items[0].text == "\\#" and not tokens.items[0].quoted:
        tokens.next("\\#")
        length = parse_int(tokens.word("rdata length"), 16, "rdata length")
        data = BlobField("hex", 0).parse(tokens)
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
