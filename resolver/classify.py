"""Classify an upstream response and scrub it before anything is cached.

Like Unbound's iter_resptype.c and iter_scrub.c: first decide what the reply *is* (answer,
CNAME, referral, NXDOMAIN, NODATA, lame, error), keeping only records the server had the right
to tell us. The bailiwick is the zone we asked that server about; a record outside it is the
classic cache-poisoning vector (Kashpureff, 1997) and is dropped, as is anything that is not part
of the answer to our question. No I/O here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from dnslib import QTYPE, RCODE, RR, DNSRecord

ADDRESS_TYPES = (QTYPE.A, QTYPE.AAAA)


class Kind(enum.StrEnum):
    ANSWER = "answer"
    CNAME = "cname"  # the answer is a CNAME chain that leaves this response: restart at target
    REFERRAL = "referral"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    LAME = "lame"  # the server is not (or behaves as if not) authoritative for the zone
    ERROR = "error"  # SERVFAIL, REFUSED, FORMERR, NOTIMP...


@dataclass
class Classified:
    kind: Kind
    zone: str  # the bailiwick we judged the response against
    aa: bool
    rcode: int
    answer: list[RR] = field(
        default_factory=list
    )  # the CNAME chain from qname, then the final RRset
    authority: list[RR] = field(default_factory=list)
    additional: list[RR] = field(default_factory=list)  # in-bailiwick addresses of NS names
    canonical_name: str = ""  # where the CNAME chain in this response ends
    referral_zone: str = ""
    ns_names: list[str] = field(default_factory=list)
    dropped: list[RR] = field(default_factory=list)
    reason: str = ""  # for LAME and ERROR, in a few words

    @property
    def soa(self) -> RR | None:
        return next((rr for rr in self.authority if rr.rtype == QTYPE.SOA), None)


def name_of(rr: RR) -> str:
    return str(rr.rname).lower()


def in_bailiwick(name: str, zone: str) -> bool:
    """True when `name` is `zone` or below it (both absolute, compared case-insensitively)."""
    name, zone = name.lower(), zone.lower()
    return zone == "." or name == zone or name.endswith("." + zone)


def target_of(rr: RR) -> str:
    """The domain name in an NS or CNAME record's data."""
    return str(rr.rdata.label).lower()


def _follow_chain(
    records: list[RR], qname: str, qtype: int, zone: str
) -> tuple[list[RR], list[RR], str]:
    """Walk the CNAME chain from qname through the answer section.

    Returns (chain, final RRset, canonical name). The chain is only followed through names
    in the bailiwick: a server may not vouch for records of another zone.
    """
    chain: list[RR] = []
    current = qname
    seen = {qname}
    while True:
        final = [rr for rr in records if name_of(rr) == current and rr.rtype == qtype]
        if final or qtype == QTYPE.CNAME:
            return chain, final, current
        cname = next(
            (rr for rr in records if name_of(rr) == current and rr.rtype == QTYPE.CNAME), None
        )
        if cname is None:
            return chain, [], current
        chain.append(cname)
        current = target_of(cname)
        if current in seen or not in_bailiwick(current, zone):
            return chain, [], current  # a loop, or a target this server cannot vouch for
        seen.add(current)


def classify(reply: DNSRecord, zone: str, qname: str, qtype: int) -> Classified:
    """Decide what `reply` (from a server of `zone`, to qname/qtype) means; scrub it."""
    zone, qname = zone.lower(), qname.lower()
    rcode = reply.header.rcode
    aa = bool(reply.header.aa)
    everything = list(reply.rr) + list(reply.auth) + list(reply.ar)
    result = Classified(kind=Kind.ERROR, zone=zone, aa=aa, rcode=rcode, canonical_name=qname)

    if rcode not in (RCODE.NOERROR, RCODE.NXDOMAIN):
        result.reason = RCODE.get(rcode, f"RCODE{rcode}")
        result.kind = Kind.LAME if rcode == RCODE.REFUSED else Kind.ERROR
        return result

    answers = [rr for rr in reply.rr if in_bailiwick(name_of(rr), zone)]
    chain, final, canonical = _follow_chain(answers, qname, qtype, zone)
    result.answer = chain + final
    result.canonical_name = canonical

    # Authority: an SOA of this zone (or below) that encloses the name, and NS sets.
    soa = [
        rr
        for rr in reply.auth
        if rr.rtype == QTYPE.SOA
        and in_bailiwick(name_of(rr), zone)
        and in_bailiwick(canonical, name_of(rr))
    ]
    ns_records = [rr for rr in reply.auth if rr.rtype == QTYPE.NS]
    ns_owners = {name_of(rr) for rr in ns_records}

    if rcode == RCODE.NXDOMAIN:
        result.kind = Kind.NXDOMAIN
        result.authority = soa[:1]
    elif final:
        result.kind = Kind.ANSWER
        # The zone's own NS set in authority may be kept; glue for it too.
        own_ns = [
            rr
            for rr in ns_records
            if in_bailiwick(name_of(rr), zone) and in_bailiwick(canonical, name_of(rr))
        ]
        result.authority = own_ns
    elif chain:
        loops = canonical in {name_of(rr) for rr in chain}
        if in_bailiwick(canonical, zone) and soa and not loops:
            # The chain ends at a name without the asked type, and the SOA proves it: NODATA.
            # Without the SOA the target may sit below a cut of this zone: restart there.
            result.kind = Kind.NODATA
            result.authority = soa[:1]
        else:
            result.kind = Kind.CNAME
    elif ns_records and not aa:
        child = sorted(ns_owners, key=len, reverse=True)[0]  # deepest cut offered
        if child != zone and in_bailiwick(child, zone) and in_bailiwick(qname, child):
            result.kind = Kind.REFERRAL
            result.referral_zone = child
            result.authority = [rr for rr in ns_records if name_of(rr) == child]
            result.ns_names = list(dict.fromkeys(target_of(rr) for rr in result.authority))
        else:
            result.kind = Kind.LAME
            result.reason = (
                f"{'upward' if in_bailiwick(zone, child) else 'sideways'} referral to {child}"
            )
    elif soa or aa:
        result.kind = Kind.NODATA
        result.authority = soa[:1]
    else:
        result.kind = Kind.LAME
        result.reason = "non-authoritative answer without a referral"

    # Addresses in additional are kept only for NS names this response itself names, and only
    # when they are in bailiwick (glue); they help reach servers and are never answers.
    ns_names = set(result.ns_names) | {
        target_of(rr) for rr in result.authority + result.answer if rr.rtype == QTYPE.NS
    }
    result.additional = [
        rr
        for rr in reply.ar
        if rr.rtype in ADDRESS_TYPES and name_of(rr) in ns_names and in_bailiwick(name_of(rr), zone)
    ]
    kept = {id(rr) for rr in result.answer + result.authority + result.additional}
    result.dropped = [rr for rr in everything if id(rr) not in kept and rr.rtype != QTYPE.OPT]
    if result.kind == Kind.LAME:
        result.answer, result.authority, result.additional = [], [], []
    return result
