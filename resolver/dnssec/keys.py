"""The DS -> DNSKEY step of the chain of trust (RFC 4035 §5.2): a zone's DNSKEY RRset is
trusted when a DS the parent vouched for (or a trust anchor) matches a key that signs it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from resolver.dnssec.algorithms import algorithm_supported
from resolver.dnssec.budget import BudgetExhausted, ValidationBudget
from resolver.dnssec.digest import digest_supported, ds_matches
from resolver.dnssec.keytag import key_tag
from resolver.dnssec.rrsig import DNSSEC_PROTOCOL, ZONE_KEY_FLAG, verify_rrset
from resolver.dnssec.status import Reason, Security, Verdict, bogus, insecure
from resolver.records import DNSKEY, DS, RRSIG, Name, RRset

DNSKEY_TYPE = 48


@dataclass(frozen=True)
class TrustedKeys:
    """The outcome of the DS -> DNSKEY step: `keys` is the zone's DNSKEY RRset when `verdict`
    is secure (use it to validate the zone's data), None otherwise. `matched` lists the DS
    (key tag, algorithm, digest type) that a signing key matched."""

    zone: Name
    verdict: Verdict
    keys: RRset | None = None
    matched: tuple[tuple[int, int, int], ...] = ()


def trust_dnskeys(
    zone: Name,
    dnskeys: RRset | None,
    rrsigs: Iterable[RRSIG],
    ds_set: Iterable[DS] = (),
    *,
    anchor_keys: Iterable[DNSKEY] = (),
    now: int,
    budget: ValidationBudget,
) -> TrustedKeys:
    """Trust a zone's DNSKEY RRset through `ds_set` (from the parent, or a DS trust anchor) or
    `anchor_keys` (DNSKEY trust anchors).

    Insecure when no DS uses a digest type and algorithm we implement (RFC 4035 §5.2); bogus
    when the RRset is missing, no key matches a DS, or no matching key signs the RRset.
    """
    ds_list = list(ds_set)
    anchors = list(anchor_keys)
    usable = [
        ds for ds in ds_list
        if digest_supported(ds.digest_type) and algorithm_supported(ds.algorithm)
    ]  # fmt: skip
    usable_anchors = [key for key in anchors if algorithm_supported(key.algorithm)]
    if not ds_list and not anchors:
        no_anchor = Verdict(Security.INDETERMINATE, Reason.NO_TRUST_ANCHOR, zone, DNSKEY_TYPE)
        return TrustedKeys(zone, no_anchor)
    if not usable and not usable_anchors:
        # A DS of an algorithm we know but a digest we do not: the digest is the problem.
        known = any(algorithm_supported(ds.algorithm) for ds in ds_list)
        reason = Reason.UNSUPPORTED_DIGEST if known else Reason.UNSUPPORTED_ALGORITHM
        return TrustedKeys(zone, insecure(reason, zone, DNSKEY_TYPE))
    if dnskeys is None or not len(dnskeys):
        return TrustedKeys(zone, bogus(Reason.DNSKEY_MISSING, zone, DNSKEY_TYPE))
    entry: list[DNSKEY] = []
    matched: list[tuple[int, int, int]] = []
    try:
        for key in dnskeys:
            assert isinstance(key, DNSKEY)
            if key.protocol != DNSSEC_PROTOCOL or not key.flags & ZONE_KEY_FLAG:
                continue
            if key in usable_anchors:
                entry.append(key)
                continue
            tag = key_tag(key)
            for ds in usable:
                if ds.key_tag == tag and ds.algorithm == key.algorithm:
                    budget.spend_key_trial()
                    if ds_matches(ds, zone, key):
                        entry.append(key)
                        matched.append((ds.key_tag, ds.algorithm, ds.digest_type))
                        break
    except BudgetExhausted:
        return TrustedKeys(zone, bogus(Reason.BUDGET_EXHAUSTED, zone, DNSKEY_TYPE))
    if not entry:
        return TrustedKeys(zone, bogus(Reason.DS_MISMATCH, zone, DNSKEY_TYPE))
    verdict = verify_rrset(dnskeys, rrsigs, entry, zone, now=now, budget=budget)
    if verdict.bogus and verdict.reason is Reason.DNSKEY_MISSING:
        verdict = bogus(Reason.DNSKEY_UNSIGNED, zone, DNSKEY_TYPE)
    if not verdict.secure:
        return TrustedKeys(zone, verdict, None, tuple(matched))
    return TrustedKeys(zone, verdict, dnskeys, tuple(matched))
