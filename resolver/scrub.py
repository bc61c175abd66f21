"""Scrub an upstream reply: keep only the records the server had the right to tell us.

Like Unbound's iter_scrub.c, a pipeline of named passes runs before the reply is classified or
anything is cached; each record a pass removes is kept in `dropped` with the reason:

1. class: records of another class than the question's (OTHER_CLASS). OPT is not data: ignored.
2. bailiwick: records whose owner is outside the zone we asked that server about
   (OUT_OF_BAILIWICK): the classic cache-poisoning vector (Kashpureff, 1997).
3. answer chain: from the QNAME, follow CNAMEs and DNAMEs through the answer section (indexed by
   owner once, so a long chain costs linear time), at most `max_chain` links (CHAIN_LIMIT
   beyond). A DNAME (RFC 6672) whose owner is a proper ancestor of the current name is applied:
   the CNAME it implies is synthesised, or the server's CNAME kept when it agrees
   (CNAME_MISMATCH when not). The chain stops at the first name outside the bailiwick. What is not
   on the chain (another type, another name, a second CNAME at one owner) is UNRELATED.
4. authority: at most one SOA, and the deepest NS set, whose owners enclose the chain's end name
   (UNRELATED otherwise, and for any other type).
5. additional: only A/AAAA records of names that a kept NS record names (NOT_GLUE otherwise).
6. DNSSEC (RFC 4035 §3.1): the RRSIGs covering kept answer RRsets go to `signatures`; the
   RRSIGs over kept authority RRsets, and the NSEC/NSEC3 records (with their RRSIGs) and the DS
   RRset a negative answer or a referral needs, go to `proof`. A validator checks them; nothing
   else reads them, so they never reach the cache's answers unvalidated.

Pure: no I/O, the reply is not modified.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple

from dnslib import CLASS, CNAME, QTYPE, RR, DNSRecord

from resolver.wire import WireError, decode_name, name_to_labels

ADDRESS_TYPES = (QTYPE.A, QTYPE.AAAA)
DENIAL_TYPES = (QTYPE.NSEC, QTYPE.NSEC3, QTYPE.DS)  # what a negative answer or referral proves by


class DropReason(enum.StrEnum):
    """Why a record of a reply was not kept."""

    OTHER_CLASS = "other-class"  # not the question's class
    OUT_OF_BAILIWICK = "out-of-bailiwick"  # owner outside the zone the server was asked about
    UNRELATED = "unrelated"  # not on the answer chain, or not about the chain's end name
    SECOND_CNAME = "second-cname"  # a CNAME RRset holds one record (RFC 2181 §10.1)
    CNAME_MISMATCH = "cname-mismatch"  # disagrees with the DNAME it should be synthesised from
    MALFORMED_DNAME = "malformed-dname"  # a DNAME whose target is not one uncompressed name
    CHAIN_LIMIT = "chain-limit"  # beyond max_chain links: not examined
    NOT_GLUE = "not-glue"  # additional data that is not an address of a named NS
    UNUSED = "unused"  # well-formed, but not part of what this kind of reply means
    LAME = "lame"  # the reply came from a lame server: nothing of it is used


class Dropped(NamedTuple):
    """A record removed from a reply, with the reason."""

    rr: RR
    reason: DropReason

    def toZone(self) -> str:  # noqa: N802 - dnslib's name, so zone-text helpers print it as-is
        return f"{self.rr.toZone()} ; {self.reason}"


@dataclass
class Scrubbed:
    answer: list[RR]  # the chain from QNAME in order (DNAME, its CNAME, ...), then the final RRset
    authority: list[RR]  # at most one SOA and one NS set, enclosing the chain's end
    additional: list[RR]  # in-bailiwick addresses of the kept NS names
    dropped: list[Dropped]
    canonical_name: str  # the name the chain ends at (QNAME without a chain)
    answered: bool = False  # the final RRset (QTYPE at canonical_name) is in `answer`
    dname: list[RR] = field(default_factory=list)  # the DNAME records applied
    chain_truncated: bool = False  # the chain went on beyond max_chain links
    chain_loops: bool = False  # the chain came back to a name already on it
    name_too_long: bool = False  # a DNAME substitution would exceed 255 octets (RFC 6672 §2.2)
    signatures: list[RR] = field(default_factory=list)  # RRSIGs over kept answer RRsets
    proof: list[RR] = field(default_factory=list)  # authority NSEC/NSEC3/DS and their RRSIGs


def name_of(rr: RR) -> str:
    """A record's owner name, lower-cased."""
    return str(rr.rname).lower()


def in_bailiwick(name: str, zone: str) -> bool:
    """True when `name` is `zone` or below it (both absolute, compared case-insensitively)."""
    name, zone = name.lower(), zone.lower()
    return zone == "." or name == zone or name.endswith("." + zone)


def target_of(rr: RR) -> str:
    """The domain name in an NS or CNAME record's data."""
    return str(rr.rdata.label).lower()


def dname_target(rr: RR) -> str:
    """The target of a DNAME record; WireError if its data is not one uncompressed name.

    dnslib has no DNAME type: a parsed DNAME's data is raw octets. RFC 6672 §2.5 forbids
    compressing the target, so a pointer (which could only point into the lost message) is an
    error, as is anything after the name.
    """
    label = getattr(rr.rdata, "label", None)
    if label is not None:  # built in-process with a name as data
        return str(label).lower()
    data = bytes(getattr(rr.rdata, "data", b""))
    name, end = decode_name(data, 0)
    if end != len(data):
        raise WireError(f"{len(data) - end} octets after the DNAME target")
    return name.lower()


def _substitute(name: str, owner: str, target: str) -> str | None:
    """`name` with its suffix `owner` replaced by `target`; None beyond 255 octets."""
    prefix = name[: len(name) - len(owner)] if owner != "." else name
    new = prefix + target if target != "." else prefix
    new = new or "."
    try:
        name_to_labels(new)  # checks the 255-octet limit on the wire
    except WireError:
        return None
    return new


def _proper_ancestors(name: str) -> list[str]:
    """The names strictly above `name`, nearest first, root last."""
    found = []
    while name != ".":
        name = name.split(".", 1)[1] or "."
        found.append(name)
    return found


class _Chain:
    """Pass 3: the CNAME/DNAME chain from QNAME through the answer section."""

    def __init__(self, records: list[RR], zone: str, qname: str, qtype: int, max_chain: int):
        self.zone, self.qtype, self.max_chain = zone, qtype, max_chain
        self.by_owner: dict[str, list[RR]] = {}
        self.dnames: dict[str, RR] = {}
        self.dropped: list[Dropped] = []
        for rr in records:
            self.by_owner.setdefault(name_of(rr), []).append(rr)
        for owner, rrs in self.by_owner.items():
            for rr in rrs:
                if rr.rtype == QTYPE.DNAME and owner not in self.dnames:
                    try:
                        dname_target(rr)
                    except WireError:
                        self.dropped.append(Dropped(rr, DropReason.MALFORMED_DNAME))
                        continue
                    self.dnames[owner] = rr
        self.kept: list[RR] = []
        self.result = Scrubbed([], [], [], [], canonical_name=qname)
        self._walk(qname)

    def _dname_over(self, name: str) -> RR | None:
        if not self.dnames:
            return None
        return next((self.dnames[a] for a in _proper_ancestors(name) if a in self.dnames), None)

    def _walk(self, current: str) -> None:
        result = self.result
        seen = {current}
        links = 0
        while True:
            result.canonical_name = current
            here = self.by_owner.get(current, [])
            dname = self._dname_over(current)
            cnames = [rr for rr in here if rr.rtype == QTYPE.CNAME]
            if dname is None:
                final = [rr for rr in here if rr.rtype == self.qtype or self.qtype == QTYPE.ANY]
                if final or self.qtype == QTYPE.CNAME or not cnames:
                    self.kept += final
                    result.answered = bool(final)
                    return
            if links == self.max_chain:
                result.chain_truncated = True
                return
            if dname is not None:
                owner = name_of(dname)
                target = _substitute(current, owner, dname_target(dname))
                if target is None:
                    if all(rr is not dname for rr in result.dname):
                        result.dname.append(dname)
                        self.kept.append(dname)
                    result.name_too_long = True
                    return
                agreeing = next((rr for rr in cnames if target_of(rr) == target), None)
                for rr in cnames:
                    if rr is not agreeing:
                        self.dropped.append(Dropped(rr, DropReason.CNAME_MISMATCH))
                cname = agreeing or RR(current, QTYPE.CNAME, ttl=dname.ttl, rdata=CNAME(target))
                if all(rr is not dname for rr in result.dname):  # one DNAME may apply twice
                    result.dname.append(dname)
                    self.kept.append(dname)
                self.kept.append(cname)
            else:
                cname = cnames[0]
                self.dropped += [Dropped(rr, DropReason.SECOND_CNAME) for rr in cnames[1:]]
                self.kept.append(cname)
            links += 1
            current = target_of(cname)
            if current in seen:
                result.canonical_name, result.chain_loops = current, True
                return
            if not in_bailiwick(current, self.zone):
                result.canonical_name = current  # a name this server cannot vouch for
                return
            seen.add(current)


def _covers(rr: RR, rrsets: set[tuple[str, int]]) -> bool:
    """An RRSIG over one of `rrsets` (owner, type)."""
    return rr.rtype == QTYPE.RRSIG and (name_of(rr), rr.rdata.covered) in rrsets


def question_class(reply: DNSRecord) -> int:
    """The class asked about (IN when the reply carries no question)."""
    return reply.questions[0].qclass if reply.questions else CLASS.IN


def scrub(reply: DNSRecord, zone: str, qname: str, qtype: int, *, max_chain: int) -> Scrubbed:
    """The records of `reply` (from a server of `zone`, to qname/qtype) that may be used."""
    zone, qname = zone.lower(), qname.lower()
    qclass = question_class(reply)
    dropped: list[Dropped] = []

    def passes(section: list[RR]) -> list[RR]:
        # Passes 1 and 2: class, then bailiwick, for every section.
        kept = []
        for rr in section:
            if rr.rtype == QTYPE.OPT:
                continue
            if rr.rclass != qclass:
                dropped.append(Dropped(rr, DropReason.OTHER_CLASS))
            elif not in_bailiwick(name_of(rr), zone):
                dropped.append(Dropped(rr, DropReason.OUT_OF_BAILIWICK))
            else:
                kept.append(rr)
        return kept

    answer, authority, additional = passes(reply.rr), passes(reply.auth), passes(reply.ar)

    chain = _Chain(answer, zone, qname, qtype, max_chain)
    result = chain.result
    result.answer = chain.kept
    dropped += chain.dropped
    covered = {(name_of(rr), rr.rtype) for rr in chain.kept}
    result.signatures = [rr for rr in answer if _covers(rr, covered)]
    used = {id(rr) for rr in chain.kept + result.signatures} | {id(d.rr) for d in chain.dropped}
    leftover = DropReason.CHAIN_LIMIT if result.chain_truncated else DropReason.UNRELATED
    dropped += [Dropped(rr, leftover) for rr in answer if id(rr) not in used]

    # Pass 4: the SOA and the deepest NS set that enclose the chain's end.
    end = result.canonical_name
    soa = next(
        (rr for rr in authority if rr.rtype == QTYPE.SOA and in_bailiwick(end, name_of(rr))), None
    )
    ns_owners = {
        name_of(rr) for rr in authority if rr.rtype == QTYPE.NS and in_bailiwick(end, name_of(rr))
    }
    cut = max(ns_owners, key=len) if ns_owners else None
    proof = [rr for rr in authority if rr.rtype in DENIAL_TYPES]
    for rr in authority:
        if rr is soa or (rr.rtype == QTYPE.NS and name_of(rr) == cut):
            result.authority.append(rr)
    covered = {(name_of(rr), rr.rtype) for rr in result.authority + proof}
    proof += [rr for rr in authority if _covers(rr, covered)]
    kept = {id(rr) for rr in result.authority + proof}
    result.proof = proof
    dropped += [Dropped(rr, DropReason.UNRELATED) for rr in authority if id(rr) not in kept]

    # Pass 5: glue, only for NS names this reply itself names.
    ns_names = {target_of(rr) for rr in result.authority + result.answer if rr.rtype == QTYPE.NS}
    for rr in additional:
        if rr.rtype in ADDRESS_TYPES and name_of(rr) in ns_names:
            result.additional.append(rr)
        else:
            dropped.append(Dropped(rr, DropReason.NOT_GLUE))
    result.dropped = dropped
    return result
