"""Limits on the work one resolution may cause, in one frozen value the Resolver takes.

Each bounds work an attacker (or a broken zone) can make us do for one question; exceeding any
of them ends the resolution with SERVFAIL, quickly. Tests write `Limits(max_referrals=2)`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    # Per resolution, sub-resolutions included: caps NXNSAttack amplification.
    max_upstream_queries: int = 64
    # Zone cuts followed in one walk; real names have well under 10.
    max_referrals: int = 24
    # CNAME/DNAME hops; longer chains are loops or abuse (Unbound allows 11).
    max_cname_links: int = 12
    # Nesting of glueless NS address lookups (A needs B needs C).
    max_subresolution_depth: int = 3
    # NS names resolved for one zone cut: NXNSAttack mitigation.
    max_ns_lookups_per_delegation: int = 4
    # NS address lookups in one resolution, even those the cache answers.
    max_subresolutions: int = 16
    # Overall deadline of one resolution, seconds.
    lifetime: float = 10.0
    # Upper bound of one upstream query's timeout; the server's measured RTO is usually lower.
    query_timeout: float = 2.0

    def __post_init__(self) -> None:
        # A count of 0 is a real setting (e.g. no glueless lookups at all); times must pass.
        for name, value in vars(self).items():
            if value < 0 or (value == 0 and name in ("lifetime", "query_timeout")):
                raise ValueError(f"limit {name} must be positive, not {value!r}")


DEFAULT_LIMITS = Limits()
