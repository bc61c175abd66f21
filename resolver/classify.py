"""Classify an upstream reply after scrubbing it, and rank what may be cached.

Scrub, then classify, then rank, like Unbound (iter_scrub.c, iter_resptype.c, then the trust of
get_rrset_trust()). The bailiwick is the zone we asked that server about. No I/O here.

The decision order, first match wins:

1. RCODE: REFUSED is LAME (REFUSED); any other RCODE but NOERROR and NXDOMAIN is ERROR
   (SERVER_ERROR: the rcode says which).
2. Scrub (resolver/scrub.py): records of another class, out of the bailiwick, off the
   CNAME/DNAME chain from QNAME, or not glue for a named NS are dropped, each with its reason.
   Records of another type in the answer are dropped here, so an answer of junk only is empty.
3. A DNAME substitution longer than 255 octets: ERROR with rcode YXDOMAIN (NAME_TOO_LONG,
   RFC 6672 §2.2); the answer keeps the chain up to the DNAME.
4. A chain longer than max_chain links: CNAME with chain_truncated (the caller fails).
5. The QTYPE RRset at the chain's end: ANSWER (authoritative or not).
6. A chain that ends without it: NXDOMAIN or NODATA for the chain's end when that name is in the
   bailiwick, the chain does not loop, and the SOA proves it (or the RCODE is NXDOMAIN);
   otherwise CNAME: restart at the target.
7. No answer, and an SOA in authority, in the bailiwick and enclosing QNAME: NXDOMAIN or NODATA
   by RCODE (RFC 2308).
8. No answer, no SOA: the *position* of the NS set decides, before the AA bit (RFC 1034 §5.3.3,
   RFC 2181 §6.1). Owner strictly below the zone and at or above QNAME: REFERRAL, even with AA=1
   (NOERROR only). Owner at the zone: LAME (SELF_REFERRAL); above it: LAME (UPWARD_REFERRAL);
   beside it: LAME (SIDEWAYS_REFERRAL).
9. Nothing useful at all: with AA=1, NXDOMAIN or NODATA (with no SOA, not cacheable). With AA=0
   and RA=1, a recursive server answering from its cache: LAME (RECURSIVE_LAME). With AA=0 and
   RA=0, NXDOMAIN, or for NOERROR a *provisional* NODATA (RFC 2308 §2.2 type 3): the caller tries
   the other servers and, if none does better, answers NODATA without caching it.

Ranking (RFC 2181 §5.4.1, via cache.trust_of): the QNAME's own RRset of an AA answer (and a
DNAME applied to QNAME, with its CNAME) is AUTH_ANSWER, the rest of the chain ANSWER_NONAUTH. An
NS set ranks as referral data when the reply is a REFERRAL, or when an AA reply carries one for
a cut below the zone asked (NS records at a cut are not the parent's authoritative data).
Without AA, outside a referral, the authority NS set and the additional records are
NONAUTH_EXTRA: they never replace a delegation learned from the parent. Negative answers are
not ranked: the caller caches them from `kind` and `soa`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from dnslib import QTYPE, RCODE, RR, DNSRecord

from resolver.cache import Section, Trust, group_rrsets, trust_of
from resolver.protocol import TYPE_SOA
from resolver.scrub import (
    Dropped,
    DropReason,
    Scrubbed,
    in_bailiwick,
    name_of,
    question_class,
    scrub,
    target_of,
)
from resolver.soa_wire import WireSOA

__all__ = [
    "Classified",
    "Kind",
    "Reason",
    "classify",
    "denial",
    "in_bailiwick",
    "name_of",
    "target_of",
]




class Kind(enum.StrEnum):
    ANSWER = "answer"
    CNAME = "cname"  # the answer is a CNAME chain that leaves this response: restart at target
    REFERRAL = "referral"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    LAME = "lame"  # the server is not (or behaves as if not) authoritative for the zone
    ERROR = "error"  # SERVFAIL, FORMERR, NOTIMP...; YXDOMAIN from a DNAME too long


class Reason(enum.StrEnum):
    """Why a reply is LAME or ERROR. Facts only: render.py puts them in words."""

    REFUSED = "refused"
    UPWARD_REFERRAL = "upward-referral"  # NS set above the zone asked, no answer, no SOA
    SIDEWAYS_REFERRAL = "sideways-referral"  # NS set beside the zone asked (or not above QNAME)
    SELF_REFERRAL = "self-referral"  # the zone's own NS set, with no answer and no SOA
    RECURSIVE_LAME = "recursive-lame"  # AA=0, RA=1, nothing useful: answered from a cache
    SERVER_ERROR = "server-error"  # an error RCODE: `rcode` says which
    NAME_TOO_LONG = "name-too-long"  # a DNAME substitution beyond 255 octets (YXDOMAIN)


@dataclass(slots=True)
class Classified:
    kind: Kind
    zone: str  # the bailiwick we judged the response against
    aa: bool
    rcode: int
    # DNAME, its CNAME, the rest of the chain from QNAME, then the final RRset (Unbound's order).
    answer: list[RR] = field(default_factory=list)
    authority: list[RR] = field(default_factory=list)  # the referral's or the zone's NS set, SOA
    additional: list[RR] = field(default_factory=list)  # in-bailiwick addresses of NS names
    canonical_name: str = ""  # where the CNAME chain in this response ends
    referral_zone: str = ""
    ns_names: list[str] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)  # (record, DropReason) pairs
    reason: Reason | None = None  # for LAME and ERROR
    provisional: bool = False  # a NODATA to use only if no other server does better
    dname: list[RR] = field(default_factory=list)  # the DNAME records applied
    rrsets: list[tuple[list[RR], Trust]] = field(default_factory=list)  # what to cache, ranked
    chain_truncated: bool = False  # the chain was cut at max_chain links
    signatures: list[RR] = field(default_factory=list)  # RRSIGs over the answer's RRsets
    proof: list[RR] = field(default_factory=list)  # NSEC/NSEC3/DS and RRSIGs of the authority

    @property
    def soa(self) -> RR | None:
        for rr in self.authority:  # a loop, not next(genexpr): read on every negative answer
            if (rr.__dict__["_rtype"] if type(rr) is WireSOA else rr.rtype) == TYPE_SOA:
                return rr
        return None



_new_object = object.__new__


def denial(kind: Kind, zone: str, aa: bool, rcode: int, soa: RR, qname: str) -> Classified:
    """Classified(kind=kind, zone=zone, aa=aa, rcode=rcode, authority=[soa],
    canonical_name=qname): an NXDOMAIN or NODATA whose authority is its SOA alone, made without
    the dataclass's keyword and default-factory work (one per cache miss). Every field is set,
    as the dataclass sets it (a test compares the two)."""
    result = _new_object(Classified)
    result.kind, result.zone, result.aa, result.rcode = kind, zone, aa, rcode
    result.answer, result.authority, result.additional = [], [soa], []
    result.canonical_name, result.referral_zone, result.ns_names = qname, "", []
    result.dropped, result.reason, result.provisional, result.dname = [], None, False, []
    result.rrsets, result.chain_truncated, result.signatures, result.proof = [], False, [], []
    return result


def _is_cut(owner: str, zone: str, qname: str) -> bool:
    """A delegation on the way to QNAME: strictly below the zone asked, at or above QNAME."""
    return owner != zone and in_bailiwick(owner, zone) and in_bailiwick(qname, owner)


def _lame_position(owner: str, zone: str) -> Reason:
    """Why an NS set that is no cut on the way to QNAME makes the reply lame."""
    if owner == zone:
        return Reason.SELF_REFERRAL
    if in_bailiwick(zone, owner):
        return Reason.UPWARD_REFERRAL
    return Reason.SIDEWAYS_REFERRAL


def _decide(result: Classified, s: Scrubbed, qname: str, ns_owners: list[str], ra: bool) -> None:
    """Steps 3-9 of the decision order: set kind, reason and provisional."""
    zone, rcode = result.zone, result.rcode
    soa = any(rr.rtype == QTYPE.SOA for rr in s.authority)
    cuts = [owner for owner in ns_owners if _is_cut(owner, zone, qname)]
    beside = [owner for owner in ns_owners if not _is_cut(owner, zone, qname)]
    if s.name_too_long:
        result.kind, result.rcode, result.reason = Kind.ERROR, RCODE.YXDOMAIN, Reason.NAME_TOO_LONG
    elif s.chain_truncated:
        result.kind = Kind.CNAME
    elif s.answered and rcode == RCODE.NOERROR:
        result.kind = Kind.ANSWER
    elif s.answer:
        proved = soa or rcode == RCODE.NXDOMAIN
        if in_bailiwick(s.canonical_name, zone) and not s.chain_loops and proved:
            result.kind = Kind.NXDOMAIN if rcode == RCODE.NXDOMAIN else Kind.NODATA
        else:
            result.kind = Kind.CNAME
    elif soa:
        result.kind = Kind.NXDOMAIN if rcode == RCODE.NXDOMAIN else Kind.NODATA
    elif cuts and rcode == RCODE.NOERROR:
        result.kind = Kind.REFERRAL  # whatever the AA bit says
    elif beside:
        result.kind, result.reason = Kind.LAME, _lame_position(beside[0], zone)
    elif not result.aa and ra:
        result.kind, result.reason = Kind.LAME, Reason.RECURSIVE_LAME
    elif rcode == RCODE.NXDOMAIN:
        result.kind = Kind.NXDOMAIN
    else:
        result.kind = Kind.NODATA
        result.provisional = not result.aa


def _keep(result: Classified, s: Scrubbed) -> None:
    """Fill the sections the kind uses; the rest of what scrub kept is dropped as UNUSED."""
    kind = result.kind
    unused: list[RR] = []
    if kind == Kind.LAME:
        everything = s.answer + s.authority + s.additional
        result.dropped += [Dropped(rr, DropReason.LAME) for rr in everything]
        return
    result.answer = list(s.answer)
    result.dname = list(s.dname)
    result.signatures, result.proof = list(s.signatures), list(s.proof)
    ns = [rr for rr in s.authority if rr.rtype == QTYPE.NS]
    if kind in (Kind.ANSWER, Kind.REFERRAL):
        result.authority, result.additional = ns, list(s.additional)
        unused = [rr for rr in s.authority if rr.rtype != QTYPE.NS]
    elif kind in (Kind.NXDOMAIN, Kind.NODATA):
        result.authority = [rr for rr in s.authority if rr.rtype == QTYPE.SOA]
        unused = ns + s.additional
    else:  # CNAME, ERROR: only the chain is of use
        unused = s.authority + s.additional
    result.dropped += [Dropped(rr, DropReason.UNUSED) for rr in unused]
    if kind == Kind.REFERRAL:
        result.referral_zone = name_of(ns[0])
        result.ns_names = list(dict.fromkeys(target_of(rr) for rr in ns))


def _rank(result: Classified) -> list[tuple[list[RR], Trust]]:
    """Group the kept records into RRsets with the trust each earns (RFC 2181 §5.4.1)."""
    aa, zone = result.aa, result.zone
    position: dict[int, int] = {}  # CNAMEs before a record: its owner's position in the chain
    links = 0
    for rr in result.answer:
        position[id(rr)] = links
        links += rr.rtype == QTYPE.CNAME
    ranked = [
        (rrset, trust_of(Section.ANSWER, aa=aa, chain_index=position[id(rrset[0])]))
        for rrset in group_rrsets(result.answer)
    ]
    referral = result.kind == Kind.REFERRAL
    ns = [rr for rr in result.authority if rr.rtype == QTYPE.NS]
    if ns:
        below = name_of(ns[0]) != zone  # a cut below the zone asked: the parent's view at best
        trust = trust_of(Section.AUTHORITY, aa=aa, referral=referral or (aa and below))
        ranked.append((ns, trust))
    trust = trust_of(Section.ADDITIONAL, aa=aa, referral=referral)
    ranked += [(rrset, trust) for rrset in group_rrsets(result.additional)]
    return ranked


def classify(
    reply: DNSRecord, zone: str, qname: str, qtype: int, *, max_chain: int = 12
) -> Classified:
    """Decide what `reply` (from a server of `zone`, to qname/qtype) means; scrub and rank it."""
    zone, qname = zone.lower(), qname.lower()
    rcode = reply.header.rcode
    aa = bool(reply.header.aa)
    result = Classified(kind=Kind.ERROR, zone=zone, aa=aa, rcode=rcode, canonical_name=qname)

    if rcode not in (RCODE.NOERROR, RCODE.NXDOMAIN):
        result.kind = Kind.LAME if rcode == RCODE.REFUSED else Kind.ERROR
        result.reason = Reason.REFUSED if rcode == RCODE.REFUSED else Reason.SERVER_ERROR
        return result

    s = scrub(reply, zone, qname, qtype, max_chain=max_chain)
    result.dropped = list(s.dropped)
    result.canonical_name = s.canonical_name
    result.chain_truncated = s.chain_truncated
    # The position of every NS set the server offered, dropped or not (the facts of step 8).
    qclass = question_class(reply)
    ns_owners = [name_of(rr) for rr in reply.auth if rr.rtype == QTYPE.NS and rr.rclass == qclass]
    _decide(result, s, qname, ns_owners, ra=bool(reply.header.ra))
    _keep(result, s)
    if result.kind != Kind.LAME:
        result.rrsets = _rank(result)
    return result
