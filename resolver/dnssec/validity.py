"""Signature validity periods with serial number arithmetic (RFC 4034 §3.1.5, RFC 1982)."""

from __future__ import annotations

from resolver.dnssec.status import Reason
from resolver.records import RRSIG

_HALF = 1 << 31
_MOD = 1 << 32


def serial_lt(a: int, b: int) -> bool:
    """a < b in 32-bit serial number arithmetic (RFC 1982 §3.2): wraps in 2106."""
    a, b = a % _MOD, b % _MOD
    return a != b and ((a < b and b - a < _HALF) or (a > b and a - b > _HALF))


def validity_problem(rrsig: RRSIG, now: int) -> Reason | None:
    """None while inception <= now <= expiration (serially), else why the RRSIG is unusable."""
    stamp = int(now) % _MOD
    if serial_lt(stamp, rrsig.inception):
        return Reason.SIGNATURE_NOT_YET_VALID
    if serial_lt(rrsig.expiration, stamp):
        return Reason.SIGNATURE_EXPIRED
    return None
