"""What DNSSEC changes in a served reply (RFC 4035 §3.2, RFC 6840 §5.7-5.9, RFC 8914).

- AD=1 only for data the resolver validated as secure, and only when the client set AD or DO
  (RFC 6840 §5.7): an old client that set neither never sees it.
- DO=1: the RRSIGs over the answer's RRsets go in the answer section, and a negative answer's
  NSEC/NSEC3 records (with their RRSIGs) and the SOA's RRSIG in the authority section.
- CD=1 (RFC 4035 §3.2.2): the question is resolved with validation off, so bogus data is
  returned as it is (never AD). Such a reply is not kept in the packed-reply cache: it would be
  served to clients that did not set CD. A CD=1 client may get a validated reply from that
  cache, which is data it could have checked itself.
- A bogus answer is SERVFAIL with an Extended DNS Error option (RFC 8914 §4: 6 DNSSEC Bogus,
  7 Signature Expired, 9 DNSKEY Missing, 10 RRSIGs Missing, 12 NSEC Missing...).
"""

from __future__ import annotations

from dnslib import QTYPE, RR

from resolver.answer import Answer
from resolver.dnssec import Security

AD_FLAG = 0x0020
CD_FLAG = 0x0010
EDE_OPTION = 15  # RFC 8914 §2
MAX_EDE_TEXT = 200  # octets of EXTRA-TEXT: a reason, not an essay, in a UDP reply


def checking_disabled(flags: int) -> bool:
    """The client set CD."""
    return bool(flags & CD_FLAG)


def authenticated(flags: int, do: bool, answer: Answer) -> bool:
    """Whether the reply carries AD=1 (RFC 6840 §5.7)."""
    return answer.security is Security.SECURE and (do or bool(flags & AD_FLAG))


def dnssec_sections(
    do: bool, answer: Answer, records: list[RR], authority: list[RR]
) -> tuple[list[RR], list[RR]]:
    """The answer and authority sections, with the RRSIGs and proofs a DO=1 client gets."""
    if not do or not answer.dnssec_records:
        return records, authority
    owners = {(str(rr.rname).lower(), rr.rtype) for rr in records}
    sigs: list[RR] = []
    proof: list[RR] = []
    for rr in answer.dnssec_records:
        covered = rr.rtype == QTYPE.RRSIG and (str(rr.rname).lower(), rr.rdata.covered) in owners
        (sigs if covered else proof).append(rr)
    return records + sigs, authority + proof
