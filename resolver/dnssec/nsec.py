"""Authenticated denial with NSEC (RFC 4035 §5.4, RFC 6840 §4.1): what a set of NSEC records,
already verified, proves about a name. Pure set logic on names; no signatures here."""

from __future__ import annotations

from collections.abc import Sequence

from resolver.dnssec.canonical import canonical_sort_key
from resolver.records import NSEC, Name

NS, SOA, CNAME, DS, DNAME = 2, 6, 5, 43, 39

NsecRecord = tuple[Name, NSEC]
"""An NSEC record: its owner name and rdata."""


def has_type(windows: Sequence[tuple[int, bytes]], rdtype: int) -> bool:
    """True if the type bitmap (RFC 4034 §4.1.2) lists `rdtype`."""
    window, low = divmod(rdtype, 256)
    for number, bitmap in windows:
        if number == window:
            index = low // 8
            return index < len(bitmap) and bool(bitmap[index] & (0x80 >> (low % 8)))
    return False


def common_ancestor(a: Name, b: Name) -> Name:
    """The longest name that both `a` and `b` are at or below."""
    shared: list[bytes] = []
    for left, right in zip(reversed(a.labels[:-1]), reversed(b.labels[:-1]), strict=False):
        if left.lower() != right.lower():
            break
        shared.append(left)
    return Name(reversed(shared))


def covers(owner: Name, nsec: NSEC, name: Name) -> bool:
    """True if `name` falls strictly between the NSEC's owner and its next name in canonical
    order; the last NSEC of a zone (next = the apex) covers everything after its owner."""
    low, high, key = (canonical_sort_key(n) for n in (owner, nsec.next, name))
    if low < high:
        return low < key < high
    return key > low or key < high  # wraps around the end of the zone


def _delegation(nsec: NSEC) -> bool:
    """The parent side of a zone cut: NS without SOA (RFC 6840 §4.1)."""
    return has_type(nsec.windows, NS) and not has_type(nsec.windows, SOA)


def _may_deny_below(owner: Name, nsec: NSEC, name: Name) -> bool:
    """An NSEC at a zone cut or DNAME says nothing about names below its owner."""
    if name != owner and name.is_subdomain(owner):
        return not (_delegation(nsec) or has_type(nsec.windows, DNAME))
    return True


def matching(records: Sequence[NsecRecord], name: Name) -> NSEC | None:
    return next((nsec for owner, nsec in records if owner == name), None)


def covering(records: Sequence[NsecRecord], name: Name) -> NsecRecord | None:
    for owner, nsec in records:
        if covers(owner, nsec, name) and _may_deny_below(owner, nsec, name):
            return owner, nsec
    return None


def closest_encloser(qname: Name, owner: Name, nsec: NSEC) -> Name:
    """The closest encloser that a covering NSEC implies (RFC 4035 §5.4, RFC 4592): the longer
    of the names qname shares with the NSEC's owner and with its next name."""
    one, two = common_ancestor(qname, owner), common_ancestor(qname, nsec.next)
    return one if len(one) >= len(two) else two


def wildcard_of(encloser: Name) -> Name:
    return Name((b"*", *encloser.labels))


def proves_name_absent(records: Sequence[NsecRecord], name: Name) -> Name | None:
    """If `name` provably does not exist, its closest encloser; else None."""
    found = covering(records, name)
    return None if found is None else closest_encloser(name, *found)


def proves_nxdomain(records: Sequence[NsecRecord], qname: Name) -> bool:
    """NXDOMAIN: qname is covered, and so is the wildcard at its closest encloser."""
    encloser = proves_name_absent(records, qname)
    if encloser is None:
        return False
    wildcard = wildcard_of(encloser)
    return covering(records, wildcard) is not None


def proves_nodata(records: Sequence[NsecRecord], qname: Name, qtype: int) -> bool:
    """NODATA: the NSEC at qname lists neither qtype nor CNAME (RFC 4035 §3.1.3.1); for DS the
    NSEC must come from the parent side. An empty non-terminal is proven by an NSEC that
    covers qname with a next name below it (RFC 4035 §3.1.3.2)."""
    nsec = matching(records, qname)
    if nsec is not None:
        if has_type(nsec.windows, qtype) or has_type(nsec.windows, CNAME):
            return False
        if qtype == DS:
            return not has_type(nsec.windows, SOA)  # the child's apex NSEC says nothing of DS
        return not _delegation(nsec) or qtype in (NS,)
    found = covering(records, qname)
    return found is not None and found[1].next.is_subdomain(qname) and found[1].next != qname


def proves_wildcard_nodata(records: Sequence[NsecRecord], qname: Name, qtype: int) -> bool:
    """Wildcard NODATA (RFC 4035 §3.1.3.4): qname is covered, and the wildcard at its closest
    encloser exists without qtype."""
    encloser = proves_name_absent(records, qname)
    if encloser is None:
        return False
    nsec = matching(records, wildcard_of(encloser))
    return nsec is not None and not (
        has_type(nsec.windows, qtype) or has_type(nsec.windows, CNAME)
    )


def proves_expansion(records: Sequence[NsecRecord], qname: Name, wildcard: Name) -> bool:
    """A wildcard answer (RFC 4035 §5.3.4): qname itself must not exist, and its closest
    encloser must be the wildcard's parent."""
    encloser = proves_name_absent(records, qname)
    return encloser is not None and wildcard_of(encloser) == wildcard


def proves_no_ds(records: Sequence[NsecRecord], delegation: Name) -> bool:
    """An unsigned delegation: the NSEC at the cut has NS, lacks DS and SOA."""
    nsec = matching(records, delegation)
    return (
        nsec is not None
        and has_type(nsec.windows, NS)
        and not has_type(nsec.windows, DS)
        and not has_type(nsec.windows, SOA)
    )
