"""The result of a resolution, shaped like dnspython's Answer so applications can switch.

The walk works on dnslib records; an Answer keeps those as `answer_records` and
`authority_records` for the nameserver and the CLI, and shows applications our own typed
records (resolver/records/): iterating yields rdata, `.rrset` is an RRset, `.response` holds the
reply's sections as RRsets. The conversion happens once, on first use.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import overload

from dnslib import QTYPE, RCODE, RR

from resolver.dnssec.status import Security
from resolver.ede import ExtendedError, for_failure
from resolver.records.name import Name
from resolver.records.rdata import Rdata
from resolver.records.rrset import RRset, rrsets_from_dnslib
from resolver.trace import TraceEvent

# The header a recursive resolver's reply carries: QR (a response), RD copied from a stub's
# query, RA (recursion available). RFC 1035 4.1.1.
QR, AA, TC, RD, RA, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0020, 0x0010
RESOLVER_FLAGS = QR | RD | RA
"""The flags of a recursive resolver's reply: QR, RD and RA."""


class Response:
    """The reply behind an Answer, shaped like dnspython's `dns.message.Message` where it fits:
    `.question`, `.answer`, `.authority`, `.additional` (lists of RRsets), `.flags`, `.rcode()`.
    """

    def __init__(
        self,
        question: RRset,
        rcode: int,
        answer: list[RRset],
        authority: list[RRset],
        flags: int = RESOLVER_FLAGS,
    ) -> None:
        self.id = 0  # the resolver answers in-process: no query ID on the wire
        """The message ID: 0, as the answer never crossed the wire to the application."""
        self.flags = flags
        """The header flags (QR, RD, RA... as bits: `flags & RA`)."""
        self.question = [question]
        """The question section: one RRset without records (name, type, class)."""
        self.answer = answer
        """The answer section: any CNAME chain, then the final RRset."""
        self.authority = authority
        """The authority section: the SOA of a negative answer."""
        self.additional: list[RRset] = []
        """The additional section: always empty here."""
        self._rcode = rcode

    def rcode(self) -> int:
        """The response code (0 NOERROR, 3 NXDOMAIN...), a method as in dnspython."""
        return self._rcode

    def opcode(self) -> int:
        """The opcode: always 0 (QUERY)."""
        return 0

    def find_rrset(self, section: list[RRset], name: Name | str, rdtype: int) -> RRset:
        """The RRset of `name`/`rdtype` in `section`; KeyError if absent (as dnspython)."""
        want = Name.from_text(name) if isinstance(name, str) else name
        for rrset in section:
            if rrset.name == want and rrset.rdtype == rdtype:
                return rrset
        raise KeyError(f"no {name} {rdtype} RRset in the section")


class Answer:
    """What a resolution produced.

    Iterating yields the rdata of `rrset`: the final records of the asked type at
    `canonical_name` (the end of any CNAME chain). `response.answer` holds the whole answer
    section (the chain, then the final RRset) as RRsets; `response.authority` the SOA of a
    negative answer. TTLs are the remaining ones at the time of the answer.
    """

    def __init__(
        self,
        qname: Name | str,
        rdtype: int,
        rdclass: int,
        rcode: int,
        canonical_name: Name | str,
        answer: Iterable[RR] = (),
        authority: Iterable[RR] = (),
        from_cache: bool = False,
        upstream_queries: int = 0,
        elapsed: float = 0.0,
        trace: list[TraceEvent] | None = None,
        created: float | None = None,
        security: Security | None = None,
        dnssec: Iterable[RR] = (),
    ) -> None:
        self._qname_given: Name | str = qname
        self._qname: Name | None = qname if isinstance(qname, Name) else None
        self.rdtype = rdtype
        """The asked record type's number (1 for A...); `rdtype_text` gives its mnemonic."""
        self.rdclass = rdclass
        """The asked class's number (1 for IN)."""
        self.rcode = rcode
        """The response code: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN...; `rcode_text` names it."""
        # Text is parsed into a Name when first read (a server's miss never reads it); the same
        # text for both is parsed once.
        same = type(canonical_name) is str and type(qname) is str and canonical_name == qname
        self._canonical_given: Name | str | None = None if same else canonical_name
        self._canonical_name: Name | None = (
            canonical_name if isinstance(canonical_name, Name) else None)
        self.answer_records: list[RR] = list(answer)
        """The answer section as dnslib records, for the nameserver and the command; applications
        read `response.answer` (our typed RRsets) instead."""
        self.authority_records: list[RR] = list(authority)
        """The authority section (the SOA of a negative answer) as dnslib records; see
        `response.authority` for typed RRsets."""
        self.from_cache = from_cache
        """True when the whole answer came from the cache, with no upstream query."""
        self.upstream_queries = upstream_queries
        """How many queries the resolution sent to authoritative servers."""
        self.elapsed = elapsed
        """Seconds the resolution took."""
        self.trace: list[TraceEvent] = trace if trace is not None else []
        """The typed events of the walk (`resolver.trace`), in order; empty for a cache hit
        without tracing."""
        self.created = time.time() if created is None else created
        """When the answer was made, on the `time.time()` scale; `expiration` counts from it."""
        self._sections: tuple[list[RRset], list[RRset]] | None = None
        # An Extended DNS Error that is not a failure's: a stale answer (RFC 8767), a refusal
        # to walk for a cache-only (RD=0) question. Set by whoever made the answer.
        self.extended_error: ExtendedError | None = None
        """An Extended DNS Error (RFC 8914) set by whoever made this answer (a stale answer,
        a cache-only refusal); `ede` also derives one from a failure."""
        self.security = security
        """The DNSSEC status (RFC 4035 §4.3): Security.SECURE, INSECURE, BOGUS or
        INDETERMINATE; None when the resolver does not validate (`dnssec=False`)."""
        self.dnssec_records: list[RR] = list(dnssec)
        """The RRSIGs over the answer (and the NSEC/NSEC3 proof of a negative answer), as
        dnslib records: what a server returns to a client that set DO."""

    # qname and canonical_name are Names, as in dnspython; text is accepted when set.
    @property
    def qname(self) -> Name:
        """The name asked (after any search-list suffix), as a `Name`."""
        if self._qname is None:
            self._qname = Name.from_text(self._qname_given)
        return self._qname

    @qname.setter
    def qname(self, value: Name | str) -> None:
        if self._canonical_given is None:  # canonical_name stays the text it was given
            self._canonical_given = self._qname_given
        self._qname_given = value
        self._qname = value if isinstance(value, Name) else None

    @property
    def canonical_name(self) -> Name:
        """The name the records belong to: the end of any CNAME/DNAME chain from `qname`."""
        if self._canonical_name is None:
            given = self._canonical_given
            self._canonical_name = self.qname if given is None else Name.from_text(given)
        return self._canonical_name

    @canonical_name.setter
    def canonical_name(self, value: Name | str) -> None:
        self._canonical_given = value
        self._canonical_name = value if isinstance(value, Name) else None
        self._sections = None

    def _converted(self) -> tuple[list[RRset], list[RRset]]:
        if self._sections is None:
            self._sections = (
                rrsets_from_dnslib(self.answer_records),
                rrsets_from_dnslib(self.authority_records),
            )
        return self._sections

    @property
    def response(self) -> Response:
        """The reply as dnspython's Message shows it: question, answer and authority
        sections as RRsets, flags and rcode."""
        answer, authority = self._converted()
        question = RRset(self.qname, 0, self.rdtype, rdclass=self.rdclass)
        return Response(question, self.rcode, list(answer), list(authority))

    @property
    def rrset(self) -> RRset | None:
        """The final RRset (asked type, at canonical_name), or None for a negative answer."""
        for rrset in self._converted()[0]:
            if (
                rrset.rdtype == self.rdtype
                and rrset.rdclass == self.rdclass
                and rrset.name == self.canonical_name
            ):
                return rrset
        return None

    @property
    def ttl(self) -> int:
        """Smallest remaining TTL of the records answered (0 when there are none)."""
        records = self.answer_records or self.authority_records
        return min((rr.ttl for rr in records), default=0)

    @property
    def expiration(self) -> float:
        """Wall-clock time (`time.time()` scale) at which this answer stops being valid."""
        return self.created + self.ttl

    @property
    def ede(self) -> ExtendedError | None:
        """The Extended DNS Error (RFC 8914) that explains this answer: why it is a SERVFAIL,
        or that it is stale; None for an ordinary answer."""
        if self.extended_error is not None:
            return self.extended_error
        for event in reversed(self.trace):
            failure = getattr(event, "failure", None)
            if event.kind == "resolution_finished" and event.depth == 0:
                return for_failure(failure) if failure is not None else None
        return None

    @property
    def rcode_text(self) -> str:
        """The rcode's mnemonic: "NOERROR", "NXDOMAIN", "SERVFAIL"..."""
        return RCODE.get(self.rcode, str(self.rcode))

    @property
    def rdtype_text(self) -> str:
        """The asked type's mnemonic ("A", "MX"...), or RFC 3597's "TYPE65280"."""
        return QTYPE.get(self.rdtype, f"TYPE{self.rdtype}")

    @property
    def servers_contacted(self) -> list[str]:
        """Addresses queried during the walk, in first-contact order."""
        seen: dict[str, None] = {}
        for event in self.trace:
            address = getattr(event, "address", None)
            if event.kind == "query_sent" and address:
                seen.setdefault(address, None)
        return list(seen)

    def __iter__(self) -> Iterator[Rdata]:
        rrset = self.rrset
        return iter(rrset) if rrset is not None else iter(())

    def __len__(self) -> int:
        rrset = self.rrset
        return len(rrset) if rrset is not None else 0

    @overload
    def __getitem__(self, index: int) -> Rdata: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Rdata, ...]: ...
    def __getitem__(self, index: int | slice) -> Rdata | tuple[Rdata, ...]:
        rrset = self.rrset
        if rrset is None:
            raise IndexError("a negative answer has no records")
        return rrset[index]

    def __repr__(self) -> str:
        return (
            f"<Answer {self.qname} {self.rdtype_text} {self.rcode_text}: {len(self)} record(s)"
            f"{', from cache' if self.from_cache else ''}>"
        )
