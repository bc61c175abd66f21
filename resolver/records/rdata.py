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
    """The record type's number (1 for A, 15 for MX...), as in dnspython."""
    _fields: ClassVar[tuple[Field, ...]] = ()
    rdclass: int = field(default=IN, kw_only=True)
    """The record class's number: 1 (IN) unless given."""

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
    """The record type's number (this class serves every type without a class of its own)."""
    data: bytes
    """The rdata octets, uninterpreted."""
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
    """The IPv4 address in dotted-quad text."""
    _fields = (IPv4Field(),)


@dataclass(frozen=True, slots=True)
class AAAA(Rdata):
    """An IPv6 address (RFC 3596)."""

    rdtype: ClassVar[int] = 28
    address: str
    """The IPv6 address in its compressed text form (RFC 5952)."""
    _fields = (IPv6Field(),)


@dataclass(frozen=True, slots=True)
class NS(Rdata):
    """An authoritative name server for the owner's zone (RFC 1035 3.3.11)."""

    rdtype: ClassVar[int] = 2
    target: Name
    """The name the record points to (for NS, the name server's name)."""
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
    """The primary name server of the zone."""
    rname: Name
    """The mailbox of the person responsible, with its @ written as a dot."""
    serial: int
    """The zone's version number; secondaries compare it to know when to transfer."""
    refresh: int
    """Seconds between a secondary's checks of the serial."""
    retry: int
    """Seconds before a secondary retries a failed refresh."""
    expire: int
    """Seconds after which a secondary that cannot refresh stops answering."""
    minimum: int
    """The negative-caching TTL: how long NXDOMAIN and NODATA are kept (RFC 2308)."""
    _fields = (NameField(), NameField(), *[UIntField(32)] * 5)


@dataclass(frozen=True, slots=True)
class HINFO(Rdata):
    """Host information: CPU and OS strings (RFC 1035 3.3.2)."""

    rdtype: ClassVar[int] = 13
    cpu: bytes
    """The CPU type, as a character-string."""
    os: bytes
    """The operating system, as a character-string."""
    _fields = (StringField(), StringField())


@dataclass(frozen=True, slots=True)
class MX(Rdata):
    """A mail exchange and its preference, lower first (RFC 1035 3.3.9)."""

    rdtype: ClassVar[int] = 15
    preference: int
    """Lower is tried first."""
    exchange: Name
    """The mail server's name."""
    _fields = (UIntField(16), NameField())


@dataclass(frozen=True, slots=True)
class TXT(Rdata):
    """One or more character-strings (RFC 1035 3.3.14); `strings` is a tuple of bytes."""

    rdtype: ClassVar[int] = 16
    strings: tuple[bytes, ...]
    """The character-strings, each as bytes (at most 255 octets each)."""
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
    """Lower is tried first."""
    weight: int
    """Among equal priorities, the relative share of connections."""
    port: int
    """The service's TCP or UDP port."""
    target: Name
    """The host that runs the service; the root (".") means none does."""
    _fields = (UIntField(16), UIntField(16), UIntField(16), NameField())


@dataclass(frozen=True, slots=True)
class NAPTR(Rdata):
    """A naming authority pointer rule (RFC 3403)."""

    rdtype: ClassVar[int] = 35
    order: int
    """Rules are applied in increasing order."""
    preference: int
    """Among rules of equal order, lower is preferred."""
    flags: bytes
    """Flags controlling the rewrite (RFC 3403 4.1)."""
    service: bytes
    """The services this rule leads to."""
    regexp: bytes
    """A substitution expression applied to the input string."""
    replacement: Name
    """The next name to look up, when there is no regexp."""
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
    """The key tag of the child's DNSKEY this digest is of (RFC 4034 Appendix B)."""
    algorithm: int
    """The DNSSEC algorithm number of that DNSKEY."""
    digest_type: int
    """The digest algorithm: 1 SHA-1, 2 SHA-256, 4 SHA-384."""
    digest: bytes
    """The digest of the child's owner name and DNSKEY rdata."""
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
    """The SSH key algorithm (1 RSA, 2 DSA, 3 ECDSA, 4 Ed25519...)."""
    fp_type: int
    """The fingerprint's hash: 1 SHA-1, 2 SHA-256."""
    fingerprint: bytes
    """The fingerprint of the host key."""
    _fields = (UIntField(8), UIntField(8), BlobField("hex", 128))


@dataclass(frozen=True, slots=True)
class RRSIG(Rdata):
    """A DNSSEC signature over an RRset; times are seconds since 1970 (RFC 4034 3)."""

    rdtype: ClassVar[int] = 46
    type_covered: int
    """The type of the RRset this signature covers."""
    algorithm: int
    """The DNSSEC algorithm number."""
    labels: int
    """The owner name's label count, without a wildcard's `*` label."""
    original_ttl: int
    """The RRset's TTL as it is in the zone."""
    expiration: int
    """The end of the validity period, in seconds since 1970."""
    inception: int
    """The start of the validity period, in seconds since 1970."""
    key_tag: int
    """The key tag of the DNSKEY that made the signature."""
    signer: Name
    """The zone that signed (the DNSKEY's owner)."""
    signature: bytes
    """The signature octets."""
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
    """The next owner name in the zone's canonical order."""
    windows: tuple[tuple[int, bytes], ...]
    """The types at the owner, as RFC 4034 4.1.2 bitmap windows: (window, bitmap)."""
    _fields = (NameField(), TypeBitmapField())


@dataclass(frozen=True, slots=True)
class DNSKEY(Rdata):
    """A DNSSEC public key (RFC 4034 2)."""

    rdtype: ClassVar[int] = 48
    flags: int
    """256 for a zone key, 257 with the secure entry point bit (a KSK)."""
    protocol: int
    """Always 3 (RFC 4034 2.1.2)."""
    algorithm: int
    """The DNSSEC algorithm number."""
    key: bytes
    """The public key octets."""
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
    """The hash algorithm: 1 is SHA-1."""
    flags: int
    """Bit 0 is opt-out: unsigned delegations may be skipped."""
    iterations: int
    """Extra hash iterations."""
    salt: bytes
    """The salt appended to the name before hashing (empty for none)."""
    next: bytes
    """The next hashed owner name in hash order (raw octets)."""
    windows: tuple[tuple[int, bytes], ...]
    """The types at the original owner, as bitmap windows (window, bitmap)."""
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
    """The hash algorithm: 1 is SHA-1."""
    flags: int
    """Zero in NSEC3PARAM (RFC 5155 4.1.2)."""
    iterations: int
    """Extra hash iterations."""
    salt: bytes
    """The salt appended to the name before hashing (empty for none)."""
    _fields = (UIntField(8), UIntField(8), UIntField(16), SaltField())


@dataclass(frozen=True, slots=True)
class TLSA(Rdata):
    """A TLS certificate association for DANE (RFC 6698)."""

    rdtype: ClassVar[int] = 52
    usage: int
    """How the association is used: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE."""
    selector: int
    """What is matched: 0 the full certificate, 1 its SubjectPublicKeyInfo."""
    mtype: int
    """How it is matched: 0 exactly, 1 SHA-256, 2 SHA-512."""
    cert: bytes
    """The certificate association data."""
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
    """Bit 128 is issuer-critical: a CA that does not know the tag must not issue."""
    tag: bytes
    """The property: b"issue", b"issuewild", b"iodef"..."""
    value: bytes
    """The property's value."""
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
    """0 for AliasMode; otherwise ServiceMode, lower tried first."""
    target: Name
    """The alias target or the service endpoint's name ("." means the owner)."""
    params: SvcParams = field(default_factory=SvcParams)
    """The SvcParams (ALPN, port, address hints...); empty in AliasMode."""
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
"""The rdata class of each record type number; other types become `GenericRdata`."""


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
