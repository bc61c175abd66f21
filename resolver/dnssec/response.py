"""Validate the data of one response from one signed zone (RFC 4035 §5.3-5.4): every RRset of
the zone's answer, its negative proof or its referral, against the zone's trusted DNSKEY RRset.

The caller (the iterator) walks the chain of trust: it trusts the zone's DNSKEY RRset first
(resolver.dnssec.keys.trust_dnskeys), then hands each response of that zone here. RRsets owned
outside the zone (a CNAME chain leaving it) are listed in `outside` for the caller to validate
with that zone's keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from dnslib import RR

from resolver.dnssec import nsec
from resolver.dnssec.budget import MAX_NSEC3_ITERATIONS, BudgetExhausted, ValidationBudget
from resolver.dnssec.nsec3 import Denial, Nsec3Set
from resolver.dnssec.rrsig import verify_rrset
from resolver.dnssec.status import Reason, Security, Verdict, bogus, insecure, secure
from resolver.records import DNSKEY, NSEC, NSEC3, RRSIG, Name, RRset
from resolver.records.rrset import rrsets_from_dnslib

NS, CNAME, SOA, DNAME, DS, RRSIG_TYPE, NSEC_TYPE, NSEC3_TYPE = 2, 5, 6, 39, 43, 46, 47, 50
NOERROR, NXDOMAIN = 0, 3
Nsecs = list[nsec.NsecRecord]


class ResponseKind(Enum):
    ANSWER = "answer"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    REFERRAL = "referral"


@dataclass(frozen=True)
class ResponseData:
    """What validation needs of a response: the question, rcode, answer and authority RRsets
    (RRSIGs included, as RRsets of type RRSIG grouped by the type they cover)."""

    qname: Name
    qtype: int
    rcode: int
    answer: tuple[RRset, ...]
    authority: tuple[RRset, ...] = ()

    @classmethod
    def from_records(
        cls, qname: Name | str, qtype: int, rcode: int,
        answer: Iterable[RR], authority: Iterable[RR] = (),
    ) -> ResponseData:
        """From dnslib RRs (Answer.answer_records / .authority_records)."""
        name = qname if isinstance(qname, Name) else Name.from_text(qname)
        return cls(
            name, qtype, rcode,
            tuple(rrsets_from_dnslib(answer)), tuple(rrsets_from_dnslib(authority)),
        )


@dataclass(frozen=True)
class ResponseVerdict:
    """The status of a response: `verdict` overall, `rrsets` one per RRset checked.

    `final_name` is the end of the CNAME/DNAME chain inside the zone. For a referral,
    `delegation` is the child zone and `ds` its DS RRset when the referral is secure; an
    insecure referral (proven unsigned delegation) has verdict INSECURE and `ds` None.
    """

    verdict: Verdict
    kind: ResponseKind
    final_name: Name
    rrsets: tuple[Verdict, ...] = ()
    delegation: Name | None = None
    ds: RRset | None = None
    outside: tuple[Name, ...] = field(default=())

    @property
    def security(self) -> Security:
        return self.verdict.security


class _Signed:
    """One section's RRsets with the RRSIGs that cover each."""

    def __init__(self, rrsets: Sequence[RRset]) -> None:
        self.data = [r for r in rrsets if r.rdtype != RRSIG_TYPE]
        self.sigs: dict[tuple[Name, int], list[RRSIG]] = {}
        for rrset in rrsets:
            if rrset.rdtype == RRSIG_TYPE:
                for sig in rrset:
                    assert isinstance(sig, RRSIG)
                    self.sigs.setdefault((rrset.name, sig.type_covered), []).append(sig)

    def find(self, name: Name, rdtype: int) -> RRset | None:
        return next((r for r in self.data if r.name == name and r.rdtype == rdtype), None)


def validate_response(
    data: ResponseData,
    zone: Name,
    dnskeys: RRset,
    *,
    now: int,
    budget: ValidationBudget | None = None,
    max_nsec3_iterations: int = MAX_NSEC3_ITERATIONS,
) -> ResponseVerdict:
    """Validate a response from `zone`, whose DNSKEY RRset `dnskeys` is already trusted."""
    budget = budget if budget is not None else ValidationBudget()
    try:
        return _Validation(data, zone, dnskeys, now, budget, max_nsec3_iterations).run()
    except BudgetExhausted:
        return ResponseVerdict(
            bogus(Reason.BUDGET_EXHAUSTED, data.qname, data.qtype), ResponseKind.ANSWER, data.qname
        )


class _Validation:
    def __init__(
        self, data: ResponseData, zone: Name, dnskeys: RRset, now: int,
        budget: ValidationBudget, max_iterations: int,
    ) -> None:
        self.data, self.zone, self.now = data, zone, now
        self.keys = [key for key in dnskeys if isinstance(key, DNSKEY)]
        self.budget, self.max_iterations = budget, max_iterations
        self.answer = _Signed(data.answer)
        self.authority = _Signed(data.authority)
        self.verdicts: list[Verdict] = []
        self.outside: list[Name] = []

    def verify(self, section: _Signed, rrset: RRset) -> Verdict:
        sigs = section.sigs.get((rrset.name, rrset.rdtype), [])
        verdict = verify_rrset(
            rrset, sigs, self.keys, self.zone, now=self.now, budget=self.budget
        )
        self.verdicts.append(verdict)
        return verdict

    def run(self) -> ResponseVerdict:
        data = self.data
        expansions: list[tuple[Name, Name]] = []
        dnames: list[RRset] = []
        for rrset in self.answer.data:
            if not rrset.name.is_subdomain(self.zone):
                self.outside.append(rrset.name)
                continue
            if rrset.rdtype == CNAME and _synthesised(rrset, dnames):
                continue  # RFC 6672 §5.3.1: a CNAME from a validated DNAME needs no RRSIG
            verdict = self.verify(self.answer, rrset)
            if verdict.secure and verdict.wildcard is not None:
                expansions.append((rrset.name, verdict.wildcard))
            if verdict.secure and rrset.rdtype == DNAME:
                dnames.append(rrset)
        follows = data.qtype not in (CNAME, 255)  # a CNAME (or ANY) question ends at qname
        final = _chain_end(data.qname, self.answer.data) if follows else data.qname
        nsecs, nsec3s = self._denial_records()
        kind, delegation, ds = ResponseKind.ANSWER, None, None
        has_answer = any(
            r.name == final and (r.rdtype == data.qtype or data.qtype == 255)
            for r in self.answer.data
        )
        proofs: list[Verdict] = []
        for owner, wildcard in expansions:
            proofs.append(self._expansion(owner, wildcard, nsecs, nsec3s))
        soa = next((r for r in self.authority.data if r.rdtype == SOA), None)
        cut = next(
            (r for r in self.authority.data
             if r.rdtype == NS and r.name != self.zone and r.name.is_subdomain(self.zone)),
            None,
        )  # fmt: skip
        if final.is_subdomain(self.zone) and not has_answer:
            if soa is not None and soa.name == self.zone:
                self.verify(self.authority, soa)
            if data.rcode == NXDOMAIN:
                kind = ResponseKind.NXDOMAIN
                proofs.append(self._nxdomain(final, nsecs, nsec3s))
            elif cut is not None and soa is None:
                kind, delegation = ResponseKind.REFERRAL, cut.name
                ds_rrset = self.authority.find(cut.name, DS)
                if ds_rrset is not None:
                    if self.verify(self.authority, ds_rrset).secure:
                        ds = ds_rrset
                else:
                    proofs.append(self._no_ds(cut.name, nsecs, nsec3s))
            else:
                kind = ResponseKind.NODATA
                proofs.append(self._nodata(final, data.qtype, nsecs, nsec3s))
        overall = _combine([*self.verdicts, *proofs], data.qname, data.qtype)
        return ResponseVerdict(
            overall, kind, final, tuple(self.verdicts + proofs), delegation, ds,
            tuple(self.outside),
        )

    def _denial_records(self) -> tuple[list[nsec.NsecRecord], Nsec3Set]:
        """The NSEC and NSEC3 records of the authority section that verify."""
        nsecs: list[nsec.NsecRecord] = []
        nsec3s: list[tuple[Name, NSEC3]] = []
        for rrset in self.authority.data:
            if rrset.rdtype not in (NSEC_TYPE, NSEC3_TYPE):
                continue
            if not rrset.name.is_subdomain(self.zone):
                continue
            if not self.verify(self.authority, rrset).secure:
                continue
            for rdata in rrset:
                if isinstance(rdata, NSEC):
                    nsecs.append((rrset.name, rdata))
                elif isinstance(rdata, NSEC3):
                    nsec3s.append((rrset.name, rdata))
        return nsecs, Nsec3Set(nsec3s, self.zone, self.budget, self.max_iterations)

    def _nsec3_verdict(self, denial: Denial, name: Name, rtype: int, missing: Reason) -> Verdict:
        if denial is Denial.PROVEN:
            return secure(name, rtype)
        if denial is Denial.OPT_OUT:
            return insecure(Reason.OPT_OUT, name, rtype)
        if denial is Denial.ITERATIONS:
            return insecure(Reason.NSEC3_ITERATIONS, name, rtype)
        return bogus(missing, name, rtype)

    def _nxdomain(self, name: Name, nsecs: Nsecs, nsec3s: Nsec3Set) -> Verdict:
        if nsecs and nsec.proves_nxdomain(nsecs, name):
            return secure(name, self.data.qtype)
        return self._nsec3_verdict(
            nsec3s.nxdomain(name), name, self.data.qtype, Reason.DENIAL_MISSING
        )

    def _nodata(self, name: Name, qtype: int, nsecs: Nsecs, nsec3s: Nsec3Set) -> Verdict:
        if nsecs and (
            nsec.proves_nodata(nsecs, name, qtype)
            or nsec.proves_wildcard_nodata(nsecs, name, qtype)
        ):
            return secure(name, qtype)
        return self._nsec3_verdict(nsec3s.nodata(name, qtype), name, qtype, Reason.DENIAL_MISSING)

    def _no_ds(self, cut: Name, nsecs: Nsecs, nsec3s: Nsec3Set) -> Verdict:
        if nsecs and nsec.proves_no_ds(nsecs, cut):
            return insecure(Reason.UNSIGNED_DELEGATION, cut, DS)
        verdict = self._nsec3_verdict(nsec3s.no_ds(cut), cut, DS, Reason.DENIAL_MISSING)
        if verdict.secure:
            return insecure(Reason.UNSIGNED_DELEGATION, cut, DS)
        return verdict

    def _expansion(self, owner: Name, wildcard: Name, nsecs: Nsecs, nsec3s: Nsec3Set) -> Verdict:
        if nsecs and nsec.proves_expansion(nsecs, owner, wildcard):
            return secure(owner, self.data.qtype)
        return self._nsec3_verdict(
            nsec3s.expansion(owner, wildcard), owner, self.data.qtype,
            Reason.WILDCARD_PROOF_MISSING,
        )


def _synthesised(cname: RRset, dnames: list[RRset]) -> bool:
    """True if `cname` is what a validated DNAME in the answer synthesises (RFC 6672 §2.2)."""
    for dname in dnames:
        if cname.name != dname.name and cname.name.is_subdomain(dname.name):
            target = dname[0].target  # type: ignore[attr-defined]
            prefix = cname.name.labels[: len(cname.name) - len(dname.name)]
            expected = Name((*prefix, *target.labels))
            if len(cname) == 1 and cname[0].target == expected:  # type: ignore[attr-defined]
                return True
    return False


def _chain_end(qname: Name, rrsets: Sequence[RRset]) -> Name:
    """Follow CNAMEs (and DNAME-synthesised CNAMEs) in the answer from qname."""
    name, seen = qname, {qname}
    while True:
        cname = next((r for r in rrsets if r.name == name and r.rdtype == CNAME), None)
        if cname is None:
            return name
        name = cname[0].target  # type: ignore[attr-defined]
        if name in seen:
            return name
        seen.add(name)


def _combine(verdicts: Sequence[Verdict], name: Name, rtype: int) -> Verdict:
    """Bogus if anything is bogus, else insecure if anything is, else secure."""
    for wanted in (Security.BOGUS, Security.INSECURE):
        found = next((v for v in verdicts if v.security is wanted), None)
        if found is not None:
            return found
    if not verdicts:
        return bogus(Reason.RRSIGS_MISSING, name, rtype)
    first = verdicts[0]
    return secure(name, rtype, first.key_tag, first.algorithm)
