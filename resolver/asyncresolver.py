"""The asyncio API in dnspython's shape: `dns.asyncresolver` becomes `resolver.asyncresolver`.

dnspython's asynchronous Resolver names its coroutines as the blocking ones are named
(`await resolver.resolve(...)`); ours has `resolve_async()` beside `resolve()` on one class. This
module gives code written for dnspython's `dns.asyncresolver` the names it expects:

    from resolver import asyncresolver

    answer = await asyncresolver.resolve("www.example.com", "A")
    resolver = asyncresolver.Resolver()
    host = await resolver.resolve_name("www.example.com")

Each call runs on the resolver's own event loop and is awaited from the caller's, so any loop
may await it. Answers and exceptions are those of `resolver.Resolver`.
"""

from __future__ import annotations

import socket
from typing import Any

from resolver.answer import Answer
from resolver.api import HostAnswers, NameLike, default_resolver
from resolver.api import Resolver as BlockingResolver

__all__ = ["Resolver", "resolve", "resolve_address", "resolve_name"]


class Resolver:
    """An iterative resolver whose methods are coroutines, as in dnspython's
    `dns.asyncresolver.Resolver`.

    `Resolver()` takes the keyword arguments of `resolver.Resolver` and makes one;
    `Resolver(resolver=existing)` shares an existing one (its cache and its event loop).
    """

    def __init__(self, resolver: BlockingResolver | None = None, **kwargs: Any) -> None:
        self.resolver = resolver if resolver is not None else BlockingResolver(**kwargs)
        """The `resolver.Resolver` that does the work (and holds the cache)."""

    async def resolve(
        self,
        qname: NameLike,
        rdtype: str | int = "A",
        rdclass: str | int = "IN",
        **kwargs: Any,
    ) -> Answer:
        """`resolver.Resolver.resolve()`, awaited: the Answer, or the exception of what
        happened (NXDOMAIN, NoAnswer, NoNameservers, LifetimeTimeout...)."""
        return await self.resolver.resolve_async(qname, rdtype, rdclass, **kwargs)

    async def resolve_address(self, ipaddr: str, **kwargs: Any) -> Answer:
        """The PTR record of an IPv4 or IPv6 address (a reverse lookup), awaited."""
        return await self.resolver.resolve_address_async(ipaddr, **kwargs)

    async def resolve_name(
        self, name: NameLike, family: int = socket.AF_UNSPEC, **kwargs: Any
    ) -> HostAnswers:
        """The addresses of a host name (AAAA and A for AF_UNSPEC), awaited."""
        return await self.resolver.resolve_name_async(name, family, **kwargs)

    def close(self) -> None:
        """Close the resolver behind: callers still waiting get ResolverClosed."""
        self.resolver.close()

    async def __aenter__(self) -> Resolver:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


async def resolve(
    qname: NameLike, rdtype: str | int = "A", rdclass: str | int = "IN", **kwargs: Any
) -> Answer:
    """`Resolver.resolve()` on the default resolver (the one `resolver.resolve` uses)."""
    return await default_resolver().resolve_async(qname, rdtype, rdclass, **kwargs)


async def resolve_address(ipaddr: str, **kwargs: Any) -> Answer:
    """`Resolver.resolve_address()` (a PTR lookup) on the default resolver."""
    return await default_resolver().resolve_address_async(ipaddr, **kwargs)


async def resolve_name(
    name: NameLike, family: int = socket.AF_UNSPEC, **kwargs: Any
) -> HostAnswers:
    """`Resolver.resolve_name()` (AAAA and A) on the default resolver."""
    return await default_resolver().resolve_name_async(name, family, **kwargs)
