"""Extended DNS Errors (RFC 8914): why a SERVFAIL (or a stale answer) happened, as a code a
client's software can act on and a text a person can read.

The mapping from our failure causes to EDE codes lives here, as data. The texts come from
render.failure_text, so the API's exception, the CLI and the nameserver's OPT option say the
same thing. Choices (RFC 8914 §4 leaves them to the resolver):

- every server timed out or was unreachable, backed off, or had no address: 22 No Reachable
  Authority (§4.23: "could not reach any of the authoritative name servers");
- servers answered, but lame, refused or broken: 22 as well, the RFC's "(or they potentially
  refused to reply)" — Unbound does the same for "all servers for this domain failed";
- a resolution limit or the deadline: 0 Other, the limit's name in the text (RFC 8914 has no
  code for a resolver's own budget);
- a failure cached moments ago (RFC 9520): 0 Other with the text of that failure;
- a stale answer served (RFC 8767): 3 Stale Answer, 19 Stale NXDOMAIN Answer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from resolver.trace import Cause, Failure

OPTION_CODE = 15  # EDNS option code of Extended DNS Error (RFC 8914 §2)


class EdeCode(enum.IntEnum):
    """The INFO-CODEs we send (RFC 8914 §4, IANA "Extended DNS Error Codes")."""

    OTHER = 0
    UNSUPPORTED_DNSKEY_ALGORITHM = 1
    UNSUPPORTED_DS_DIGEST_TYPE = 2
    STALE_ANSWER = 3
    DNSSEC_INDETERMINATE = 5
    DNSSEC_BOGUS = 6
    SIGNATURE_EXPIRED = 7
    SIGNATURE_NOT_YET_VALID = 8
    DNSKEY_MISSING = 9
    RRSIGS_MISSING = 10
    NO_ZONE_KEY_BIT_SET = 11
    NSEC_MISSING = 12
    STALE_NXDOMAIN_ANSWER = 19
    NOT_AUTHORITATIVE = 20
    NOT_SUPPORTED = 21
    NO_REACHABLE_AUTHORITY = 22
    NETWORK_ERROR = 23
    UNSUPPORTED_NSEC3_ITERATIONS = 27


# The purpose words of each code, as the IANA registry (and dig) writes them.
PURPOSE = {
    EdeCode.OTHER: "Other",
    EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM: "Unsupported DNSKEY Algorithm",
    EdeCode.UNSUPPORTED_DS_DIGEST_TYPE: "Unsupported DS Digest Type",
    EdeCode.STALE_ANSWER: "Stale Answer",
    EdeCode.DNSSEC_INDETERMINATE: "DNSSEC Indeterminate",
    EdeCode.DNSSEC_BOGUS: "DNSSEC Bogus",
    EdeCode.SIGNATURE_EXPIRED: "Signature Expired",
    EdeCode.SIGNATURE_NOT_YET_VALID: "Signature Not Yet Valid",
    EdeCode.DNSKEY_MISSING: "DNSKEY Missing",
    EdeCode.RRSIGS_MISSING: "RRSIGs Missing",
    EdeCode.NO_ZONE_KEY_BIT_SET: "No Zone Key Bit Set",
    EdeCode.NSEC_MISSING: "NSEC Missing",
    EdeCode.STALE_NXDOMAIN_ANSWER: "Stale NXDOMAIN Answer",
    EdeCode.NOT_AUTHORITATIVE: "Not Authoritative",
    EdeCode.NOT_SUPPORTED: "Not Supported",
    EdeCode.NO_REACHABLE_AUTHORITY: "No Reachable Authority",
    EdeCode.NETWORK_ERROR: "Network Error",
    EdeCode.UNSUPPORTED_NSEC3_ITERATIONS: "Unsupported NSEC3 Iterations Value",
}

# A query with RD=0 for something not cached is REFUSED, and says so (RFC 8914 §4.21).
NOT_CACHED_TEXT = "not in the cache, and the query did not ask for recursion (RD=0)"

CODE_OF_CAUSE: dict[Cause, EdeCode] = {
    Cause.NO_REACHABLE_AUTHORITY: EdeCode.NO_REACHABLE_AUTHORITY,
    Cause.NO_SERVER_ADDRESS: EdeCode.NO_REACHABLE_AUTHORITY,
    Cause.BACKED_OFF: EdeCode.NO_REACHABLE_AUTHORITY,
    Cause.SERVERS_FAILED: EdeCode.NO_REACHABLE_AUTHORITY,
    Cause.LIMIT: EdeCode.OTHER,
    Cause.LIFETIME: EdeCode.OTHER,
    Cause.CACHED_FAILURE: EdeCode.OTHER,
    Cause.DNSSEC_BOGUS: EdeCode.DNSSEC_BOGUS,
}


@dataclass(frozen=True)
class ExtendedError:
    """One Extended DNS Error: INFO-CODE and EXTRA-TEXT."""

    code: int
    text: str = ""

    @property
    def purpose(self) -> str:
        try:
            return PURPOSE[EdeCode(self.code)]
        except ValueError:
            return f"code {self.code}"

    def __str__(self) -> str:
        """As dig prints it: `22 (No Reachable Authority): text`."""
        extra = f": {self.text}" if self.text else ""
        return f"{self.code} ({self.purpose}){extra}"

    def option(self) -> bytes:
        """The EDNS option: code 15, length, INFO-CODE, EXTRA-TEXT in UTF-8 (RFC 8914 §2)."""
        data = self.code.to_bytes(2, "big") + self.text.encode("utf-8")
        return OPTION_CODE.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data


def for_failure(failure: Failure) -> ExtendedError:
    """The Extended DNS Error that says why this resolution failed."""
    from resolver.render import failure_text  # render imports the answer types, not us

    # A bogus answer carries the validator's own code (7 Signature Expired, 9 DNSKEY
    # Missing...), also when the failure cache remembers it.
    code = failure.ede if failure.ede is not None else CODE_OF_CAUSE.get(failure.cause,
                                                                          EdeCode.OTHER)
    return ExtendedError(code, failure_text(failure))


def parse_option(data: bytes) -> ExtendedError | None:
    """An EDE option's data (after code and length); None when too short to hold a code."""
    if len(data) < 2:
        return None
    return ExtendedError(int.from_bytes(data[:2], "big"),
                         data[2:].decode("utf-8", errors="replace"))
