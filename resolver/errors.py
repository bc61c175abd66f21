"""Exceptions named for what happened, with dnspython's names and hierarchy where they matter.

An application that catches dnspython's `dns.resolver.NXDOMAIN`, `NoAnswer`, `NoNameservers`,
`LifetimeTimeout` or `dns.exception.Timeout` catches ours by the same names, and the same
`except` clauses group them the same way: `LifetimeTimeout` is a `Timeout`, not a kind of
`NoNameservers`. Every exception here is a `ResolverError`, so one clause catches them all.

    ResolverError
    ├── InvalidName (also ValueError)
    ├── InvalidCacheSize (also ValueError)
    ├── NoMetaqueries
    ├── ResolverClosed
    ├── Timeout
    │   └── LifetimeTimeout (also ResolutionFailed)
    └── ResolutionFailed
        ├── NXDOMAIN
        ├── YXDOMAIN
        ├── NoAnswer
        └── NoNameservers
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resolver.answer import Answer
    from resolver.ede import ExtendedError
    from resolver.records import Name


class ResolverError(Exception):
    """Base class of every error the resolver raises on purpose."""


class InvalidName(ResolverError, ValueError):
    """The name or type cannot be asked: a label over 63 octets, a name over 255 octets, an
    empty label, a label IDNA cannot convert, or an unknown record type."""


class NoMetaqueries(ResolverError):
    """A meta-type (ANY, AXFR, IXFR, OPT, TSIG, TKEY, MAILA, MAILB) or meta-class (ANY, NONE)
    was asked for; nothing was sent (dnspython: `dns.resolver.NoMetaqueries`)."""


class InvalidCacheSize(ResolverError, ValueError):
    """A cache size is not a byte size (`64M`, `512K`, `1G`, a number of bytes) or too small."""


class ResolverClosed(ResolverError):
    """The Resolver was closed: before the call, or while the call was waiting for its answer."""


class ResolutionFailed(ResolverError):
    """The walk ended without records; `answer` holds what is known (rcode, SOA, trace)."""

    def __init__(self, message: str, answer: Answer | None = None) -> None:
        super().__init__(message)
        self.answer: Answer | None = answer
        """The Answer the walk produced (rcode, authority section, trace), when there is one."""

    @property
    def ede(self) -> ExtendedError | None:
        """Why, as an Extended DNS Error (RFC 8914): e.g. 22 No Reachable Authority."""
        return self.answer.ede if self.answer is not None else None


class NXDOMAIN(ResolutionFailed):
    """The name does not exist (authoritative NXDOMAIN, possibly at the end of a CNAME chain).

    With a search list, every name tried got NXDOMAIN: `qnames()` lists them, `responses()`
    maps each to its Answer."""

    def __init__(
        self,
        message: str,
        answer: Answer | None = None,
        *,
        responses: dict[Name, Answer] | None = None,
    ) -> None:
        super().__init__(message, answer)
        if responses is None:
            responses = {answer.qname: answer} if answer is not None else {}
        self._responses = dict(responses)

    def qnames(self) -> list[Name]:
        """Every name that was tried, in order (more than one when a search list was used)."""
        return list(self._responses)

    def responses(self) -> dict[Name, Answer]:
        """The NXDOMAIN Answer of each name tried."""
        return dict(self._responses)

    def response(self, qname: str | Name) -> Answer:
        """The NXDOMAIN Answer for one of the names tried (a `Name` or its text)."""
        from resolver.records import Name  # here: resolver.records imports this module

        return self._responses[qname if isinstance(qname, Name) else Name.from_text(qname)]

    @property
    def canonical_name(self) -> Name:
        """The name that does not exist: the end of the first CNAME chain among the names
        tried, else the first name asked (as dnspython decides it).

        An NXDOMAIN built by hand without an answer has none: ResolverError, as dnspython
        raises for an exception built without its qnames."""
        for qname, answer in self._responses.items():
            if answer.canonical_name != qname:
                return answer.canonical_name
        if not self._responses:
            raise ResolverError("this NXDOMAIN was built without an answer: no name to give")
        return next(iter(self._responses))


class YXDOMAIN(ResolutionFailed):
    """The name is too long after DNAME substitution (rcode YXDOMAIN)."""


class NoAnswer(ResolutionFailed):
    """The name exists but has no records of the asked type (NODATA)."""


class NoNameservers(ResolutionFailed):
    """Every server failed or a resolution limit was reached: the answer is SERVFAIL (or a
    server's REFUSED, for a class the resolver does not serve)."""


class Timeout(ResolverError):
    """An operation ran out of time (dnspython: `dns.exception.Timeout`)."""


class LifetimeTimeout(Timeout, ResolutionFailed):
    """The overall deadline of the resolution (`lifetime`) passed before an answer came."""
