"""Limits on the cryptographic work one query may cause (KeyTrap, CVE-2023-50387, and the NSEC3
hashing attack, CVE-2023-50868), and the budget that counts it.

A hostile zone can publish many keys with one key tag and many signatures per RRset, so that a
naive validator tries every key against every signature; or NSEC3 records with many hash
iterations. We count every signature verification and every key tried, per query, and stop.
"""

from __future__ import annotations

from dataclasses import dataclass

# Signature verifications (the costly public-key operation) for one query, every RRset and
# every zone cut of the chain together. A secure answer through four cuts needs about 10 on a
# cold cache, a CNAME chain through three signed zones with negative proofs about 30.
MAX_SIGNATURE_VALIDATIONS = 64
# DNSKEYs tried against one RRSIG: keys sharing the RRSIG's key tag and algorithm. Honest
# zones have one, two during a rollover with a tag collision (Knot Resolver and PowerDNS cap
# this low too).
MAX_KEY_TRIALS_PER_SIGNATURE = 4
# Key trials for one query in all (DS-to-DNSKEY matching included).
MAX_KEY_TRIALS = 128
# NSEC3 iterations above this make a denial insecure, not secure (RFC 9276 §3.2: validators may
# do so; Unbound, BIND and Knot Resolver treat more than 150 this way, or lower).
MAX_NSEC3_ITERATIONS = 150
# NSEC3 hash computations for one query (closest-encloser search over long names).
MAX_NSEC3_HASHES = 128


class BudgetExhausted(Exception):
    """The query's validation budget is spent: its data is bogus (Reason.BUDGET_EXHAUSTED)."""


@dataclass
class ValidationBudget:
    """What one query may still spend; create one per client query and pass it everywhere."""

    signature_validations: int = MAX_SIGNATURE_VALIDATIONS
    key_trials: int = MAX_KEY_TRIALS
    nsec3_hashes: int = MAX_NSEC3_HASHES

    def fresh(self) -> ValidationBudget:
        """A full copy of this budget for a new query (dataclasses.replace costs more)."""
        return ValidationBudget(self.signature_validations, self.key_trials, self.nsec3_hashes)

    def spend_validation(self) -> None:
        if self.signature_validations <= 0:
            raise BudgetExhausted("signature validations")
        self.signature_validations -= 1

    def spend_key_trial(self) -> None:
        if self.key_trials <= 0:
            raise BudgetExhausted("key trials")
        self.key_trials -= 1

    def spend_hash(self) -> None:
        if self.nsec3_hashes <= 0:
            raise BudgetExhausted("NSEC3 hashes")
        self.nsec3_hashes -= 1
