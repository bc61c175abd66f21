"""Exceptions named for what happened, following dnspython's names where they fit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resolver.answer import Answer


class ResolverError(Exception):
    """Base class of every error the resolver raises on purpose."""


class InvalidName(ResolverError, ValueError):
    """The name cannot be a domain name: a label over 63 octets, over 255 octets, an empty label."""


class ResolutionFailed(ResolverError):
    """The walk ended without records; `answer` holds what is known (rcode, SOA, trace)."""

    def __init__(self, message: str, answer: Answer | None = None) -> None:
        super().__init__(message)
        self.answer = answer


class NXDOMAIN(ResolutionFailed):
    """The name does not exist (authoritative NXDOMAIN, possibly at the end of a CNAME chain)."""


class NoAnswer(ResolutionFailed):
    """The name exists but has no records of the asked type (NODATA)."""


class NoNameservers(ResolutionFailed):
    """Every server failed or a resolution limit was reached: the answer is SERVFAIL."""


class LifetimeTimeout(NoNameservers):
    """The overall deadline for the resolution passed."""
