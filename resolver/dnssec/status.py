"""The outcome of validating DNSSEC data: a security status (RFC 4035 §4.3) and why.

Typed facts only; resolver/render.py owns the sentences. `Verdict.ede` is the Extended DNS
Error code (RFC 8914 §4) a server attaches to a SERVFAIL for bogus data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from resolver.ede import EdeCode
from resolver.records import Name


class Security(Enum):
    """RFC 4035 §4.3: what a validator can say about data."""

    SECURE = "secure"  # a chain of signed DS and DNSKEY RRsets from a trust anchor covers it
    INSECURE = "insecure"  # proven to be below an unsigned delegation (or unsupported crypto)
    BOGUS = "bogus"  # should validate and does not
    INDETERMINATE = "indeterminate"  # no trust anchor says whether it should be signed


# The Extended DNS Error codes (RFC 8914 §4, RFC 9276 §6) validation produces are ede.py's.
EDE = EdeCode


class Reason(Enum):
    """Why data is bogus or insecure (or indeterminate); each maps to one EDE code."""

    # bogus
    RRSIGS_MISSING = "rrsigs-missing"  # no RRSIG covers an RRset of a signed zone
    SIGNATURE_EXPIRED = "signature-expired"
    SIGNATURE_NOT_YET_VALID = "signature-not-yet-valid"
    DNSKEY_MISSING = "dnskey-missing"  # no DNSKEY with the RRSIG's key tag and algorithm
    SIGNATURE_INVALID = "signature-invalid"  # the mathematics says no
    NO_ZONE_KEY = "no-zone-key"  # the key lacks the Zone Key flag (RFC 4034 §2.1.1)
    DS_MISMATCH = "ds-mismatch"  # no DNSKEY matches any DS the parent vouched for
    DNSKEY_UNSIGNED = "dnskey-unsigned"  # no DS-matching key signs the DNSKEY RRset
    DENIAL_MISSING = "denial-missing"  # a negative answer without a valid NSEC/NSEC3 proof
    WILDCARD_PROOF_MISSING = "wildcard-proof-missing"  # an expansion without its NSEC(3)
    BUDGET_EXHAUSTED = "budget-exhausted"  # KeyTrap limits hit: too much crypto per query
    MALFORMED = "malformed"  # RRSIG fields that cannot apply (labels, signer, type covered)
    # insecure
    UNSIGNED_DELEGATION = "unsigned-delegation"  # the parent proves there is no DS
    OPT_OUT = "opt-out"  # an NSEC3 opt-out span covers the delegation (RFC 5155 §6)
    UNSUPPORTED_ALGORITHM = "unsupported-algorithm"  # RFC 4035 §5.2, RFC 6840 §5.2
    UNSUPPORTED_DIGEST = "unsupported-digest"
    NSEC3_ITERATIONS = "nsec3-iterations"  # over the cap of RFC 9276 §3.2
    # indeterminate
    NO_TRUST_ANCHOR = "no-trust-anchor"


_EDE = {
    Reason.RRSIGS_MISSING: EDE.RRSIGS_MISSING,
    Reason.SIGNATURE_EXPIRED: EDE.SIGNATURE_EXPIRED,
    Reason.SIGNATURE_NOT_YET_VALID: EDE.SIGNATURE_NOT_YET_VALID,
    Reason.DNSKEY_MISSING: EDE.DNSKEY_MISSING,
    Reason.SIGNATURE_INVALID: EDE.DNSSEC_BOGUS,
    Reason.NO_ZONE_KEY: EDE.NO_ZONE_KEY_BIT_SET,
    Reason.DS_MISMATCH: EDE.DNSKEY_MISSING,
    Reason.DNSKEY_UNSIGNED: EDE.DNSSEC_BOGUS,
    Reason.DENIAL_MISSING: EDE.NSEC_MISSING,
    Reason.WILDCARD_PROOF_MISSING: EDE.NSEC_MISSING,
    Reason.BUDGET_EXHAUSTED: EDE.DNSSEC_BOGUS,
    Reason.MALFORMED: EDE.DNSSEC_BOGUS,
    Reason.UNSUPPORTED_ALGORITHM: EDE.UNSUPPORTED_DNSKEY_ALGORITHM,
    Reason.UNSUPPORTED_DIGEST: EDE.UNSUPPORTED_DS_DIGEST_TYPE,
    Reason.NSEC3_ITERATIONS: EDE.UNSUPPORTED_NSEC3_ITERATIONS,
    Reason.NO_TRUST_ANCHOR: EDE.DNSSEC_INDETERMINATE,
}


@dataclass(frozen=True)
class Verdict:
    """The status of one piece of data, with the reason and what it was about.

    `name`/`rtype` name the RRset (or the question) the verdict is about; `key_tag` and
    `algorithm` the key that made it secure or whose signature failed, when there is one.
    """

    security: Security
    reason: Reason | None = None
    name: Name | None = None
    rtype: int | None = None
    key_tag: int | None = None
    algorithm: int | None = None
    wildcard: Name | None = None  # set when a secure RRset was expanded from this wildcard

    @property
    def secure(self) -> bool:
        return self.security is Security.SECURE

    @property
    def bogus(self) -> bool:
        return self.security is Security.BOGUS

    @property
    def ede(self) -> int | None:
        """The EDE info code for this verdict (RFC 8914), None for secure data."""
        if self.reason is None:
            return None
        return int(_EDE.get(self.reason, EDE.DNSSEC_BOGUS))


def secure(
    name: Name | None = None, rtype: int | None = None, key_tag: int | None = None,
    algorithm: int | None = None,
) -> Verdict:
    return Verdict(Security.SECURE, None, name, rtype, key_tag, algorithm)


def insecure(reason: Reason, name: Name | None = None, rtype: int | None = None) -> Verdict:
    return Verdict(Security.INSECURE, reason, name, rtype)


def bogus(
    reason: Reason, name: Name | None = None, rtype: int | None = None,
    key_tag: int | None = None, algorithm: int | None = None,
) -> Verdict:
    return Verdict(Security.BOGUS, reason, name, rtype, key_tag, algorithm)
