"""Authenticated denial with hashed names, NSEC3 (RFC 5155 §8; RFC 9276 iteration limits).

Records are (owner, NSEC3) pairs already verified. Proofs answer with a `Denial`: proven,
proven insecurely (opt-out, or iterations over our cap), or not proven.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from enum import Enum

from resolver.dnssec.budget import MAX_NSEC3_ITERATIONS, ValidationBudget
from resolver.dnssec.canonical import canonical_name
from resolver.dnssec.nsec import CNAME, DNAME, DS, NS, SOA, has_type, wildcard_of
from resolver.records import NSEC3, Name

SHA1 = 1  # the only NSEC3 hash algorithm (RFC 5155 §11)
OPT_OUT = 0x01

Nsec3Record = tuple[Name, NSEC3]
"""An NSEC3 record: its owner name (hash label + zone) and rdata."""


class Denial(Enum):
    PROVEN = "proven"
    OPT_OUT = "opt-out"  # proven only that an unsigned delegation may be there: insecure
    ITERATIONS = "iterations"  # more iterations than we compute: insecure (RFC 9276 §3.2)
    NOT_PROVEN = "not-proven"


def nsec3_hash(name: Name, salt: bytes, iterations: int) -> bytes:
    """IH(salt, name, iterations), RFC 5155 §5: SHA-1 of the canonical name, iterated."""
    digest = hashlib.sha1(canonical_name(name) + salt).digest()
    for _ in range(iterations):
        digest = hashlib.sha1(digest + salt).digest()
    return digest


def b32hex(digest: bytes) -> str:
    """A hash as it appears in an owner label: base32hex, lower case, no padding."""
    return base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


def owner_hash(owner: Name) -> bytes | None:
    """The hash in an NSEC3 owner's first label, None if it is not base32hex."""
    label = owner.labels[0].upper()
    try:
        return base64.b32hexdecode(label + b"=" * (-len(label) % 8))
    except (binascii.Error, ValueError):
        return None


class Nsec3Set:
    """The NSEC3 records of one zone from a response, with a hash cache and budget."""

    def __init__(
        self, records: Sequence[Nsec3Record], zone: Name, budget: ValidationBudget,
        max_iterations: int = MAX_NSEC3_ITERATIONS,
    ) -> None:
        self.zone = zone
        self.budget = budget
        self.entries: list[tuple[bytes, NSEC3]] = []
        self.over_cap = False
        for owner, nsec3 in records:
            if owner.parent() != zone or nsec3.algorithm != SHA1 or nsec3.flags & ~OPT_OUT:
                continue  # RFC 5155 §8.1-8.2: ignore unknown algorithms and flags, other zones
            digest = owner_hash(owner)
            if digest is None or len(digest) != len(nsec3.next):
                continue
            if nsec3.iterations > max_iterations:
                self.over_cap = True
                continue
            self.entries.append((digest, nsec3))
        self._hashes: dict[tuple[Name, bytes, int], bytes] = {}

    def _hash(self, name: Name, nsec3: NSEC3) -> bytes:
        key = (name, nsec3.salt, nsec3.iterations)
        if key not in self._hashes:
            self.budget.spend_hash()
            self._hashes[key] = nsec3_hash(name, nsec3.salt, nsec3.iterations)
        return self._hashes[key]

    def matching(self, name: Name) -> NSEC3 | None:
        for digest, nsec3 in self.entries:
            if self._hash(name, nsec3) == digest:
                return nsec3
        return None

    def covering(self, name: Name) -> NSEC3 | None:
        for digest, nsec3 in self.entries:
            hashed = self._hash(name, nsec3)
            low, high = digest, nsec3.next
            if (low < hashed < high) if low < high else (hashed > low or hashed < high):
                return nsec3
        return None

    def closest_encloser(self, qname: Name) -> tuple[Name, Name, NSEC3] | None:
        """RFC 5155 §8.3: the closest encloser (a matching NSEC3), the next closer name and
        the NSEC3 that covers it; None if there is no such proof."""
        if not qname.is_subdomain(self.zone):
            return None
        candidate = qname
        while True:
            found = self.matching(candidate)
            if found is not None and candidate != qname:
                if _delegation(found) and candidate != self.zone or has_type(found.windows, DNAME):
                    return None  # a cut or DNAME at the encloser: no proof below it
                next_closer = Name(qname.labels[len(qname) - len(candidate) - 1 :])
                cover = self.covering(next_closer)
                return None if cover is None else (candidate, next_closer, cover)
            if candidate == self.zone:
                return None
            candidate = candidate.parent()

    def _result(self, proven: bool, opt_out: bool = False) -> Denial:
        if proven:
            return Denial.OPT_OUT if opt_out else Denial.PROVEN
        return Denial.ITERATIONS if self.over_cap else Denial.NOT_PROVEN

    def nxdomain(self, qname: Name) -> Denial:
        """RFC 5155 §8.4: closest-encloser proof and a covered wildcard at the encloser. When
        the span covering the next closer name is opt-out, an unsigned delegation may hide
        there, so the proof is only insecure (RFC 5155 §9.2; BIND and Knot do the same)."""
        proof = self.closest_encloser(qname)
        if proof is None:
            return self._result(False)
        encloser, _, cover = proof
        return self._result(
            self.covering(wildcard_of(encloser)) is not None, bool(cover.flags & OPT_OUT)
        )

    def nodata(self, qname: Name, qtype: int) -> Denial:
        """RFC 5155 §8.5-8.7: a matching NSEC3 without qtype and CNAME; for DS also an opt-out
        span covering the next closer name; else wildcard NODATA."""
        found = self.matching(qname)
        if found is not None:
            if has_type(found.windows, qtype) or has_type(found.windows, CNAME):
                return self._result(False)
            if qtype == DS and has_type(found.windows, SOA):
                return self._result(False)  # the child's apex says nothing about DS
            return self._result(True)
        proof = self.closest_encloser(qname)
        if proof is None:
            return self._result(False)
        encloser, _, cover = proof
        if qtype == DS:
            return self._result(bool(cover.flags & OPT_OUT), True)
        wildcard = self.matching(wildcard_of(encloser))
        if wildcard is None:
            return self._result(False)
        return self._result(
            not (has_type(wildcard.windows, qtype) or has_type(wildcard.windows, CNAME))
        )

    def no_ds(self, delegation: Name) -> Denial:
        """An unsigned delegation (RFC 5155 §8.9): the NSEC3 at the cut has NS, no DS, no SOA,
        or an opt-out span covers the cut's next closer name (insecure, RFC 5155 §6)."""
        found = self.matching(delegation)
        if found is not None:
            proven = (
                has_type(found.windows, NS)
                and not has_type(found.windows, DS)
                and not has_type(found.windows, SOA)
            )
            return self._result(proven)
        proof = self.closest_encloser(delegation)
        return self._result(proof is not None and bool(proof[2].flags & OPT_OUT), True)

    def expansion(self, qname: Name, wildcard: Name) -> Denial:
        """RFC 5155 §8.8: a wildcard answer needs an NSEC3 covering the next closer name (its
        opt-out flag does not matter: the wildcard's own RRSIG proves the data)."""
        encloser = wildcard.parent()
        if not qname.is_subdomain(encloser) or qname == encloser:
            return self._result(False)
        next_closer = Name(qname.labels[len(qname) - len(encloser) - 1 :])
        return self._result(self.covering(next_closer) is not None)


def _delegation(nsec3: NSEC3) -> bool:
    return has_type(nsec3.windows, NS) and not has_type(nsec3.windows, SOA)
