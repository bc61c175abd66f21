"""DNSSEC validation (RFC 4033-4035, 5155, 6840, 8624, 9276): pure functions on typed records.

The chain of trust, as the iterator walks it:

    anchor = anchor_for(root_trust_anchors(), Name.from_text("."))
    keys = trust_dnskeys(zone, dnskey_rrset, dnskey_rrsigs, anchor.ds, now=now, budget=budget)
    result = validate_response(ResponseData.from_records(...), zone, keys.keys, now=now, ...)
    # a secure referral gives result.ds: the child's DS set for its own trust_dnskeys step

Every step returns a `Verdict` (secure / insecure / bogus / indeterminate with a `Reason` and
the EDE code of RFC 8914). Nothing here does I/O or reads the clock: `now` is passed in.
"""

from resolver.dnssec.algorithms import SUPPORTED_ALGORITHMS, algorithm_supported, verify_signature
from resolver.dnssec.anchors import (
    ROOT_ANCHOR_TEXT,
    TrustAnchor,
    TrustAnchorError,
    anchor_for,
    merge_anchors,
    parse_trust_anchors,
    read_trust_anchor_file,
    root_trust_anchors,
)
from resolver.dnssec.budget import (
    MAX_KEY_TRIALS,
    MAX_KEY_TRIALS_PER_SIGNATURE,
    MAX_NSEC3_HASHES,
    MAX_NSEC3_ITERATIONS,
    MAX_SIGNATURE_VALIDATIONS,
    BudgetExhausted,
    ValidationBudget,
)
from resolver.dnssec.canonical import canonical_rdata, canonical_sort_key, signing_input
from resolver.dnssec.digest import DIGESTS, digest_supported, ds_digest, ds_matches, make_ds
from resolver.dnssec.keys import TrustedKeys, trust_dnskeys
from resolver.dnssec.keytag import key_tag
from resolver.dnssec.nsec3 import nsec3_hash
from resolver.dnssec.response import ResponseData, ResponseKind, ResponseVerdict, validate_response
from resolver.dnssec.rrsig import validated_ttl, verify_rrset
from resolver.dnssec.status import EDE, Reason, Security, Verdict
from resolver.dnssec.validity import serial_lt, validity_problem

__all__ = [
    "DIGESTS", "EDE", "MAX_KEY_TRIALS", "MAX_KEY_TRIALS_PER_SIGNATURE", "MAX_NSEC3_HASHES",
    "MAX_NSEC3_ITERATIONS", "MAX_SIGNATURE_VALIDATIONS", "ROOT_ANCHOR_TEXT",
    "SUPPORTED_ALGORITHMS", "BudgetExhausted", "Reason", "ResponseData", "ResponseKind",
    "ResponseVerdict", "Security", "TrustAnchor", "TrustAnchorError", "TrustedKeys",
    "ValidationBudget", "Verdict", "algorithm_supported", "anchor_for", "canonical_rdata",
    "canonical_sort_key", "digest_supported", "ds_digest", "ds_matches", "key_tag",
    "make_ds", "merge_anchors", "nsec3_hash", "parse_trust_anchors", "read_trust_anchor_file",
    "root_trust_anchors", "serial_lt", "signing_input", "trust_dnskeys", "validate_response",
    "validated_ttl", "validity_problem", "verify_rrset", "verify_signature",
]  # fmt: skip
