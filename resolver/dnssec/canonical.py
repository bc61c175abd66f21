"""Canonical form and order of names, records and RRsets (RFC 4034 §6), and the octets an RRSIG
signs (RFC 4034 §3.1.8.1, RFC 4035 §5.3.2)."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Iterable

from resolver.records import RRSIG, Name, Rdata

# RFC 4034 §6.2 item 3 as amended by RFC 6840 §5.1 (NSEC no longer): the types whose embedded
# names are lower-cased in canonical form.
NAME_LOWERED_TYPES = frozenset({
    2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 17, 18, 21, 24, 26, 30, 33, 35, 36, 38, 39, 46,
})  # fmt: skip


def canonical_name(name: Name) -> bytes:
    """Uncompressed wire form in lower case (RFC 4034 §6.2 items 1-2)."""
    return name.canonicalize().to_wire()


def canonical_sort_key(name: Name) -> tuple[bytes, ...]:
    """A key that sorts names in canonical order (RFC 4034 §6.1): labels compared from the
    root down, each as lower-cased octets, a missing label sorting first."""
    return tuple(label.lower() for label in reversed(name.labels[:-1]))


def canonical_rdata(rdata: Rdata) -> bytes:
    """The rdata octets in canonical form: names lowered for the types RFC 4034 lists."""
    if rdata.rdtype not in NAME_LOWERED_TYPES:
        return rdata.to_wire()
    lowered = {
        f.name: value.canonicalize()
        for f in dataclasses.fields(rdata)
        if isinstance(value := getattr(rdata, f.name), Name)
    }
    if not lowered:
        return rdata.to_wire()
    return dataclasses.replace(rdata, **lowered).to_wire()  # type: ignore[arg-type]


def label_count(name: Name) -> int:
    """The RRSIG Labels value for an owner name: the root and a leading "*" do not count."""
    count = len(name.labels) - 1
    if count and name.labels[0] == b"*":
        count -= 1
    return count


def signed_owner(owner: Name, labels: int) -> Name:
    """The owner name a signature covers: the wildcard "*.<rightmost labels>" when the RRSIG
    labels field is smaller than the owner's label count (RFC 4035 §5.3.2)."""
    count = len(owner.labels) - 1
    if labels >= count:
        return owner
    return Name((b"*", *owner.labels[count - labels :]))


def rrsig_header(rrsig: RRSIG) -> bytes:
    """The RRSIG rdata without its Signature field, signer name in canonical form."""
    return struct.pack(
        "!HBBIIIH", rrsig.type_covered, rrsig.algorithm, rrsig.labels, rrsig.original_ttl,
        rrsig.expiration, rrsig.inception, rrsig.key_tag,
    ) + canonical_name(rrsig.signer)


def rrset_wire(
    owner: Name, rdtype: int, rdclass: int, ttl: int, items: Iterable[Rdata]
) -> bytes:
    """The RRset in canonical form and order (RFC 4034 §6.3): duplicates removed, records
    sorted by their canonical rdata as left-justified unsigned octet sequences."""
    head = canonical_name(owner) + struct.pack("!HHI", rdtype, rdclass, ttl)
    datas = sorted({canonical_rdata(rdata) for rdata in items})
    return b"".join(head + struct.pack("!H", len(data)) + data for data in datas)


def signing_input(rrsig: RRSIG, owner: Name, rdclass: int, items: Iterable[Rdata]) -> bytes:
    """The octets an RRSIG's signature is over (RFC 4034 §3.1.8.1): RRSIG_RDATA | RR(1) | ...,
    with the original TTL and the wildcard owner when the RRset came from a wildcard."""
    name = signed_owner(owner, rrsig.labels)
    return rrsig_header(rrsig) + rrset_wire(
        name, rrsig.type_covered, rdclass, rrsig.original_ttl, items
    )
