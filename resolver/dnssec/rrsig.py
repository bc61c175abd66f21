"""RRSIG checks and signature verification of one RRset (RFC 4035 §5.3)."""

from __future__ import annotations

from collections.abc import Iterable

from resolver.dnssec.algorithms import algorithm_supported, verify_signature
from resolver.dnssec.budget import MAX_KEY_TRIALS_PER_SIGNATURE, BudgetExhausted, ValidationBudget
from resolver.dnssec.canonical import label_count, signed_owner, signing_input
from resolver.dnssec.keytag import key_tag
from resolver.dnssec.status import Reason, Verdict, bogus, insecure, secure
from resolver.dnssec.validity import validity_problem
from resolver.records import DNSKEY, RRSIG, Name, RRset

ZONE_KEY_FLAG = 0x0100  # RFC 4034 §2.1.1: only zone keys sign zone data
SEP_FLAG = 0x0001  # Secure Entry Point: a KSK by convention (not checked, RFC 4034 §2.1.1)
REVOKE_FLAG = 0x0080  # RFC 5011 §3: a revoked key signs nothing any more
DNSSEC_PROTOCOL = 3

# When an RRset has several failing signatures, the reason reported is the first of these.
_REASON_ORDER = (
    Reason.SIGNATURE_INVALID,
    Reason.SIGNATURE_EXPIRED,
    Reason.SIGNATURE_NOT_YET_VALID,
    Reason.NO_ZONE_KEY,
    Reason.DNSKEY_MISSING,
    Reason.MALFORMED,
)


def covering(rrsigs: Iterable[RRSIG], rdtype: int) -> list[RRSIG]:
    """The RRSIGs that cover `rdtype`."""
    return [sig for sig in rrsigs if sig.type_covered == rdtype]


def candidate_keys(rrsig: RRSIG, dnskeys: Iterable[DNSKEY]) -> list[DNSKEY]:
    """DNSKEYs the RRSIG may be by: same algorithm and key tag, protocol 3, not revoked."""
    return [
        key for key in dnskeys
        if key.algorithm == rrsig.algorithm and key.protocol == DNSSEC_PROTOCOL
        and not key.flags & REVOKE_FLAG and key_tag(key) == rrsig.key_tag
    ]  # fmt: skip


def verify_rrset(
    rrset: RRset,
    rrsigs: Iterable[RRSIG],
    dnskeys: Iterable[DNSKEY],
    zone: Name,
    *,
    now: int,
    budget: ValidationBudget,
) -> Verdict:
    """Is `rrset` signed by one of `dnskeys` (the trusted DNSKEY RRset of `zone`)?

    Secure as soon as one RRSIG verifies (RFC 4035 §5.3.3); insecure if every RRSIG uses an
    algorithm we do not implement; bogus otherwise, with the most telling reason. A secure
    verdict from a wildcard expansion carries the wildcard name (RFC 4035 §5.3.4).
    """
    name, rdtype = rrset.name, rrset.rdtype
    keys = list(dnskeys)
    sigs = covering(rrsigs, rdtype)
    if not sigs:
        return bogus(Reason.RRSIGS_MISSING, name, rdtype)
    problems: list[tuple[Reason, RRSIG]] = []
    unsupported = 0
    try:
        for sig in sigs:
            if sig.signer != zone or not name.is_subdomain(sig.signer):
                problems.append((Reason.MALFORMED, sig))
                continue
            if sig.labels > label_count(name):
                problems.append((Reason.MALFORMED, sig))
                continue
            if not algorithm_supported(sig.algorithm):
                unsupported += 1
                continue
            problem = validity_problem(sig, now)
            if problem is not None:
                problems.append((problem, sig))
                continue
            candidates = candidate_keys(sig, keys)
            usable = [key for key in candidates if key.flags & ZONE_KEY_FLAG]
            if not usable:
                problems.append((Reason.NO_ZONE_KEY if candidates else Reason.DNSKEY_MISSING, sig))
                continue
            data = signing_input(sig, name, rrset.rdclass, rrset)
            for key in usable[:MAX_KEY_TRIALS_PER_SIGNATURE]:
                budget.spend_key_trial()
                budget.spend_validation()
                if verify_signature(sig.algorithm, key.key, sig.signature, data):
                    wildcard = signed_owner(name, sig.labels)
                    return Verdict(
                        secure(name, rdtype).security, None, name, rdtype, sig.key_tag,
                        sig.algorithm, wildcard if wildcard != name else None,
                    )
            problems.append((Reason.SIGNATURE_INVALID, sig))
    except BudgetExhausted:
        return bogus(Reason.BUDGET_EXHAUSTED, name, rdtype)
    if not problems and unsupported:
        return insecure(Reason.UNSUPPORTED_ALGORITHM, name, rdtype)
    reasons = {reason: sig for reason, sig in problems}
    reason = next(r for r in _REASON_ORDER if r in reasons)
    sig = reasons[reason]
    return bogus(reason, name, rdtype, sig.key_tag, sig.algorithm)


def validated_ttl(rrset_ttl: int, rrsig: RRSIG, now: int) -> int:
    """The TTL to cache a validated RRset with (RFC 4035 §5.3.3): at most the original TTL
    and never past the signature's expiration."""
    left = (rrsig.expiration - int(now)) % (1 << 32)
    return max(0, min(rrset_ttl, rrsig.original_ttl, left if left < 1 << 31 else 0))
