"""The chain of trust during a walk (RFC 4035 §5): which keys a zone's data is checked with.

The iterator calls `Validator.check` once per response it is about to use for the caller's
question. The validator finds the trusted DNSKEY RRset of the zone that answered: from a trust
anchor down, each zone's DS from its parent (signed by the parent's trusted keys, or proven
absent: the zone is insecure), then the zone's DNSKEY RRset matched to that DS
(resolver.dnssec.trust_dnskeys). The DS comes from the referral the walk followed (the iterator
hands each referral to `Validator.referral`), else from a DS query; DS and DNSKEY queries go
through the iterator's own nested walks (`Iterator.fetch`). Each zone's outcome is kept for at
most the DNSKEY RRset's TTL.
The response itself is then judged by resolver.dnssec.validate_response.

Every step emits a typed trace event (TrustEstablished, AnswerValidated); nothing here words
anything. Signature validity is checked against the wall clock `now` (time.time, injectable).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dnslib import QTYPE, RR

from resolver import protocol, trace
from resolver.classify import Classified, Kind, in_bailiwick, name_of, target_of
from resolver.dnssec import (
    Reason,
    ResponseData,
    ResponseKind,
    Security,
    TrustAnchor,
    ValidationBudget,
    Verdict,
    anchor_for,
    trust_dnskeys,
    validate_response,
)
from resolver.dnssec.status import bogus, insecure
from resolver.errors import ResolverError
from resolver.lru import ByteLRU
from resolver.records import DS, RRSIG, Name, RRset
from resolver.records.rrset import rrsets_from_dnslib
from resolver.trace import Failure

if TYPE_CHECKING:
    from resolver.iterator import Iterator, Query

# How long a zone's outcome is kept when no DNSKEY TTL bounds it: an insecure zone (its parent's
# proof of no DS) and a bogus one (briefly, like the RFC 9520 failure cache, so a broken zone
# does not cost a full chain walk per question, yet is retried soon).
INSECURE_TTL = 300
BOGUS_TTL = 5
# Referrals stashed for their DS records: at most MAX_REFERRALS, each of at most
# MAX_REFERRAL_RECORDS records (all sections; a larger one's DS is asked for when needed), so
# about 256 x 16 parsed records of ~800 bytes: some 3 MB (README, Memory).
MAX_REFERRALS = 256
MAX_REFERRAL_RECORDS = 16
# What one zone's outcome costs beyond its DNSKEYs' wire length: the ZoneTrust, its Name and
# Verdict, the LRU slot; and each DNSKEY's typed rdata. Measured with tracemalloc by
# tests/test_cache_bytes.py.
ZONE_TRUST_BYTES = 900
DNSKEY_BYTES = 200
DEFAULT_ZONE_TRUST_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ZoneTrust:
    """What a zone's data is validated with: `keys` when `verdict` is secure."""

    zone: Name
    verdict: Verdict
    keys: RRset | None
    expires: float  # on the resolver's clock (the cache's), like every TTL
    parent: str = ""
    anchor: bool = False
    ds: tuple[tuple[int, int, int], ...] = ()
    matched: tuple[tuple[int, int, int], ...] = ()


def _zone_trust_bytes(zone: Name, trust: ZoneTrust) -> int:
    keys = trust.keys if trust.keys is not None else ()
    return ZONE_TRUST_BYTES + sum(DNSKEY_BYTES + len(key.to_wire()) for key in keys)


def _text(name: Name) -> str:
    return name.to_text()


def response_data(result: Classified, qname: str, qtype: int) -> ResponseData:
    """The records of a classified reply that validation reads, RRSIGs and proofs included."""
    return ResponseData.from_records(
        qname, qtype, result.rcode,
        result.answer + result.signatures, result.authority + result.proof,
    )  # fmt: skip


class Validator:
    """The chain of trust from `anchors`, with each zone's outcome cached."""

    def __init__(
        self, anchors: dict[Name, TrustAnchor], *, now: Callable[[], float] = time.time,
        budget: ValidationBudget | None = None, max_bytes: int = DEFAULT_ZONE_TRUST_BYTES,
    ) -> None:
        """`max_bytes` bounds the zones' outcomes kept (their DNSKEYs), least recently used
        dropped first."""
        self.anchors = anchors
        self.now = now
        self.budget = budget or ValidationBudget()  # what each client query may spend (copied)
        self._zones: ByteLRU[Name, ZoneTrust] = ByteLRU(max_bytes, _zone_trust_bytes)
        # Referrals seen by the walk, by child zone: their DS RRset (or proof of none) spares
        # the DS query. Kept for the referral's NS TTL at most, and only a few at a time.
        self._referrals: dict[Name, tuple[Classified, str, int, float]] = {}

    def referral(self, result: Classified, qname: str, qtype: int, now: float) -> None:
        """Remember a referral (the iterator's walk just followed it) for its DS records."""
        if not result.proof:
            return  # no DS and no NSEC/NSEC3: ask for the DS when it is needed
        parts = (result.answer, result.authority, result.additional, result.dropped,
                 result.signatures, result.proof, result.dname)
        if sum(len(part) for part in parts) > MAX_REFERRAL_RECORDS:
            return  # too large to keep: its DS is asked for when needed
        if len(self._referrals) >= MAX_REFERRALS:
            self._referrals.clear()
        ttl = min((rr.ttl for rr in result.authority), default=0)
        self._referrals[Name.from_text(result.referral_zone)] = (result, qname, qtype, now + ttl)

    def clear(self) -> None:
        self._zones.clear()

    async def check(
        self, iterator: Iterator, query: Query, result: Classified, qname: str
    ) -> Verdict:
        """The verdict on `result`, the reply of result.zone's server to qname/query.qtype.
        Records our typed layer cannot read (malformed RDATA) make it bogus, never a crash."""
        try:
            trust = await self._trust(iterator, query, Name.from_text(result.zone),
                                      query.resolution.budget)
            return self._judge(query, result, qname, trust)
        except (ResolverError, ValueError):
            return self._malformed(query, result, qname)

    def known_trust(self, query: Query, zone: str, now: float) -> ZoneTrust | None:
        """The zone's trust as `check` would find it without asking anyone: cached, or an
        insecure ancestor's; None when establishing it takes queries (the walk does that)."""
        name = Name.from_text(zone)
        cached = self._zones.get(name)
        if cached is not None and cached.expires > now:
            self._report(query, cached, cached=True)
            return cached
        return self._insecure_above(name, now)

    def check_known(self, query: Query, result: Classified, qname: str,
                    trust: ZoneTrust) -> Verdict:
        """`check` with result.zone's trust already known (`known_trust`): no coroutine."""
        try:
            return self._judge(query, result, qname, trust)
        except (ResolverError, ValueError):
            return self._malformed(query, result, qname)

    def _malformed(self, query: Query, result: Classified, qname: str) -> Verdict:
        verdict = bogus(Reason.MALFORMED, Name.from_text(qname), query.qtype)
        query.emit(
            trace.AnswerValidated, zone=result.zone, qname=qname,
            qtype=protocol.type_name(query.qtype), response=_kind(result).value,
            security=verdict.security.value, reason=Reason.MALFORMED.value,
        )  # fmt: skip
        return verdict

    def _judge(self, query: Query, result: Classified, qname: str, trust: ZoneTrust) -> Verdict:
        """The verdict on `result` under its zone's trust."""
        budget = query.resolution.budget
        verdict = trust.verdict
        if verdict.secure and trust.keys is not None:
            # A CNAME step is judged as the answer to a CNAME question: its chain ends at the
            # CNAME's target, which the walk asks about next.
            qtype = QTYPE.CNAME if result.kind == Kind.CNAME else query.qtype
            data = response_data(result, qname, qtype)
            checked = validate_response(data, Name.from_text(result.zone), trust.keys,
                                        now=int(self.now()), budget=budget)
            verdict = checked.verdict
            kind = checked.kind
            wildcard = next((v.wildcard for v in checked.rrsets if v.wildcard is not None), None)
        else:
            kind, wildcard = _kind(result), None
        query.emit(
            trace.AnswerValidated, zone=result.zone, qname=qname,
            qtype=protocol.type_name(query.qtype), response=kind.value,
            security=verdict.security.value,
            reason=verdict.reason.value if verdict.reason else "",
            key_tag=verdict.key_tag, algorithm=verdict.algorithm,
            about=_about(verdict),
            wildcard=_text(wildcard) if wildcard is not None else "",
        )  # fmt: skip
        return verdict

    # ---- the DS -> DNSKEY steps ----------------------------------------------------------------

    async def _trust(
        self, iterator: Iterator, query: Query, zone: Name, budget: ValidationBudget
    ) -> ZoneTrust:
        now = iterator.clock()  # for lifetimes; signatures are checked against self.now()
        cached = self._zones.get(zone)
        if cached is not None and cached.expires > now:
            self._report(query, cached, cached=True)
            return cached
        inherited = self._insecure_above(zone, now)
        if inherited is not None:
            return inherited
        anchor = anchor_for(self.anchors, zone)
        if anchor is None:
            verdict = Verdict(Security.INDETERMINATE, Reason.NO_TRUST_ANCHOR, zone, QTYPE.DNSKEY)
            return self._keep(query, ZoneTrust(zone, verdict, None, now + INSECURE_TTL))
        if anchor.zone == zone:
            return await self._dnskeys(iterator, query, zone, anchor.ds, anchor, "", budget)
        stashed = self._referrals.pop(zone, None)
        if stashed is not None and stashed[3] > now:
            return await self._from_referral(iterator, query, zone, stashed, budget)
        reply = await iterator.fetch(query, _text(zone), QTYPE.DS)
        if isinstance(reply, Failure):
            verdict = bogus(Reason.DNSKEY_MISSING, zone, QTYPE.DS)
            return self._keep(query, ZoneTrust(zone, verdict, None, now + BOGUS_TTL))
        parent = Name.from_text(reply.zone)
        if parent == zone:  # the DS came from the zone itself: nothing above vouches for it
            verdict = bogus(Reason.DNSKEY_MISSING, zone, QTYPE.DS)
            return self._keep(query, ZoneTrust(zone, verdict, None, now + BOGUS_TTL))
        above = await self._trust(iterator, query, parent, budget)
        if not above.verdict.secure or above.keys is None:
            # Below an insecure (or bogus) zone, everything is insecure (or bogus) too.
            return self._keep(query, ZoneTrust(
                zone, above.verdict, None, above.expires, parent=reply.zone
            ))  # fmt: skip
        data = response_data(reply, _text(zone), QTYPE.DS)
        checked = validate_response(
            data, parent, above.keys, now=int(self.now()), budget=budget
        )
        ds_rrset = next(
            (r for r in data.answer if r.rdtype == QTYPE.DS and r.name == zone), None
        )
        if checked.verdict.bogus:
            return self._keep(query, ZoneTrust(
                zone, checked.verdict, None, now + BOGUS_TTL, parent=reply.zone
            ))  # fmt: skip
        proven = checked.kind is ResponseKind.ANSWER and checked.verdict.secure
        if not proven or ds_rrset is None:
            reason = checked.verdict.reason or Reason.UNSIGNED_DELEGATION
            if reason not in (Reason.OPT_OUT, Reason.NSEC3_ITERATIONS):
                reason = Reason.UNSIGNED_DELEGATION
            verdict = insecure(reason, zone, QTYPE.DS)
            return self._keep(query, ZoneTrust(
                zone, verdict, None, now + INSECURE_TTL, parent=reply.zone
            ))  # fmt: skip
        ds = [rdata for rdata in ds_rrset if isinstance(rdata, DS)]
        return await self._dnskeys(iterator, query, zone, ds, None, reply.zone, budget)

    async def _from_referral(
        self, iterator: Iterator, query: Query, zone: Name,
        stashed: tuple[Classified, str, int, float], budget: ValidationBudget,
    ) -> ZoneTrust:
        """The DS step from the referral the walk followed: its DS RRset signed by the parent,
        or the parent's NSEC/NSEC3 proof that there is none (RFC 4035 §5.2)."""
        reply, qname, qtype, _ = stashed
        now = iterator.clock()
        parent = Name.from_text(reply.zone)
        above = await self._trust(iterator, query, parent, budget)
        if not above.verdict.secure or above.keys is None:
            return self._keep(query, ZoneTrust(
                zone, above.verdict, None, above.expires, parent=reply.zone
            ))  # fmt: skip
        data = response_data(reply, qname, qtype)
        checked = validate_response(
            data, parent, above.keys, now=int(self.now()), budget=budget
        )
        if checked.verdict.bogus:
            return self._keep(query, ZoneTrust(
                zone, checked.verdict, None, now + BOGUS_TTL, parent=reply.zone
            ))  # fmt: skip
        if checked.ds is None or checked.delegation != zone:
            reason = checked.verdict.reason or Reason.UNSIGNED_DELEGATION
            if reason not in (Reason.OPT_OUT, Reason.NSEC3_ITERATIONS):
                reason = Reason.UNSIGNED_DELEGATION
            return self._keep(query, ZoneTrust(
                zone, insecure(reason, zone, QTYPE.DS), None, now + INSECURE_TTL,
                parent=reply.zone,
            ))  # fmt: skip
        ds = [rdata for rdata in checked.ds if isinstance(rdata, DS)]
        return await self._dnskeys(iterator, query, zone, ds, None, reply.zone, budget)

    async def _dnskeys(
        self, iterator: Iterator, query: Query, zone: Name, ds: list[DS] | tuple[DS, ...],
        anchor: TrustAnchor | None, parent: str, budget: ValidationBudget,
    ) -> ZoneTrust:
        """Fetch the zone's DNSKEY RRset and trust it through `ds` (or the anchor's keys)."""
        now, wall = iterator.clock(), self.now()
        reply = await iterator.fetch(query, _text(zone), QTYPE.DNSKEY)
        keys: RRset | None = None
        sigs: list[RRSIG] = []
        if not isinstance(reply, Failure):
            for rrset in rrsets_from_dnslib(reply.answer + reply.signatures):
                if rrset.name != zone:
                    continue
                if rrset.rdtype == QTYPE.DNSKEY:
                    keys = rrset
                elif rrset.rdtype == QTYPE.RRSIG:
                    sigs += [s for s in rrset if isinstance(s, RRSIG)]
        trusted = trust_dnskeys(
            zone, keys, sigs, ds, anchor_keys=anchor.dnskeys if anchor else (),
            now=int(wall), budget=budget,
        )  # fmt: skip
        verdict = trusted.verdict
        if verdict.secure and keys is not None:
            # At most the RRset's TTL, and never past a signature's expiration (RFC 4035 §5.3.3).
            expires = now + min(keys.ttl, *(s.original_ttl for s in sigs)) if sigs else now
            expires = min(expires, now + iterator.cache.max_ttl,
                          *(now + s.expiration - wall for s in sigs))
        elif verdict.bogus:
            expires = now + BOGUS_TTL
        else:
            expires = now + INSECURE_TTL
        ds_facts = tuple((d.key_tag, d.algorithm, d.digest_type) for d in ds)
        return self._keep(query, ZoneTrust(
            zone, verdict, trusted.keys, expires, parent=parent, anchor=anchor is not None,
            ds=ds_facts, matched=trusted.matched,
        ))  # fmt: skip

    def _insecure_above(self, zone: Name, now: float) -> ZoneTrust | None:
        """A live insecure outcome for an ancestor zone, with no trust anchor in between."""
        anchor = anchor_for(self.anchors, zone)
        for depth in range(1, len(zone.labels)):
            above = Name(zone.labels[depth:])
            if anchor is not None and not above.is_subdomain(anchor.zone):
                return None
            found = self._zones.get(above)
            if found is not None and found.expires > now:
                if found.verdict.security is Security.INSECURE:
                    return found
                return None
        return None

    def _keep(self, query: Query, outcome: ZoneTrust) -> ZoneTrust:
        self._zones.put(outcome.zone, outcome)
        self._report(query, outcome, cached=False)
        return outcome

    def _report(self, query: Query, outcome: ZoneTrust, *, cached: bool) -> None:
        zone = _text(outcome.zone)
        resolution = query.resolution
        if any(isinstance(e, trace.TrustEstablished) and e.zone == zone for e in resolution.events):
            return  # one line per zone cut and resolution
        verdict = outcome.verdict
        query.emit(
            trace.TrustEstablished, zone=zone, security=verdict.security.value,
            reason=verdict.reason.value if verdict.reason else "", parent=outcome.parent,
            anchor=outcome.anchor, ds=outcome.ds, matched=outcome.matched,
            key_tag=verdict.key_tag, algorithm=verdict.algorithm, cached=cached,
        )  # fmt: skip


def within_zone(result: Classified) -> Classified:
    """The reply cut down to the zone that answered, for validation with that zone's keys.

    A server authoritative for a parent and a child zone may follow a CNAME into the child
    and answer both (the NS set of the child cut rides along in authority). The child's RRsets
    are signed by the child's keys, or not at all when the child is unsigned: they are left
    out here, and the reply becomes a CNAME step whose target the walk resolves in the child.
    """
    zone = result.zone
    cuts = {name_of(rr) for rr in result.authority
            if rr.rtype == QTYPE.NS and name_of(rr) != zone and in_bailiwick(name_of(rr), zone)}
    if not cuts or result.kind not in (Kind.ANSWER, Kind.NXDOMAIN, Kind.NODATA, Kind.CNAME):
        return result

    def below(name: str) -> bool:
        return any(in_bailiwick(name, cut) for cut in cuts)

    target = next((target_of(rr) for rr in result.answer
                   if rr.rtype == QTYPE.CNAME and below(target_of(rr))), None)
    if target is None or below(name_of(result.answer[0])):
        return result
    inside = {id(rr) for rr in result.answer if not below(name_of(rr))}
    return dataclasses.replace(
        result, kind=Kind.CNAME, answer=[rr for rr in result.answer if id(rr) in inside],
        authority=[], canonical_name=target,
        signatures=[rr for rr in result.signatures if not below(name_of(rr))], proof=[],
        rrsets=[(rrs, trust) for rrs, trust in result.rrsets  # the child's NS set stays
                if id(rrs[0]) in inside or rrs[0].rtype == QTYPE.NS],
    )  # fmt: skip


def _kind(result: Classified) -> ResponseKind:
    if result.kind == Kind.NXDOMAIN:
        return ResponseKind.NXDOMAIN
    if result.kind == Kind.NODATA:
        return ResponseKind.NODATA
    if result.kind == Kind.REFERRAL:
        return ResponseKind.REFERRAL
    return ResponseKind.ANSWER


def _about(verdict: Verdict) -> str:
    if verdict.name is None:
        return ""
    rtype = protocol.type_name(verdict.rtype) if verdict.rtype is not None else ""
    return f"{_text(verdict.name)} {rtype}".strip()


def signatures_for(records: list[RR], signatures: list[RR]) -> list[RR]:
    """The RRSIGs among `signatures` that cover the RRset `records`."""
    if not records:
        return []
    owner, rtype = str(records[0].rname).lower(), records[0].rtype
    return [
        sig for sig in signatures
        if sig.rtype == QTYPE.RRSIG and str(sig.rname).lower() == owner
        and sig.rdata.covered == rtype
    ]  # fmt: skip
