"""resolver: an iterative, caching DNS resolver, with dnspython's call shape.

    from resolver import Resolver
    with Resolver() as resolver:
        answer = resolver.resolve("www.example.com", "A")
        for rdata in answer:
            print(rdata.address)

`Resolver.resolve()` returns an `Answer` or raises an exception named for what happened
(`NXDOMAIN`, `NoAnswer`, `NoNameservers`, `LifetimeTimeout`, ...); every one is a
`ResolverError`. Records, RRsets and names are our own typed classes (`resolver.records`) with
dnspython's attribute names. The module-level functions use one shared default resolver.
`override_system_resolver()` makes `socket.getaddrinfo` and friends resolve through us.
The offline lab (a small simulated internet on loopback) is in `resolver.lab`.

The names below are loaded on first use (PEP 562), so that `import resolver.cli` for
`resolve --help` does not pay for dnslib and asyncio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
"""The version of this package."""

# public name -> module that defines it
_EXPORTS = {
    "Answer": "resolver.answer",
    "HostAnswers": "resolver.api",
    "Resolver": "resolver.api",
    "default_resolver": "resolver.api",
    "resolve": "resolver.api",
    "resolve_address": "resolver.api",
    "resolve_async": "resolver.api",
    "resolve_name": "resolver.api",
    "NXDOMAIN": "resolver.errors",
    "YXDOMAIN": "resolver.errors",
    "InvalidCacheSize": "resolver.errors",
    "InvalidName": "resolver.errors",
    "LifetimeTimeout": "resolver.errors",
    "NoAnswer": "resolver.errors",
    "NoMetaqueries": "resolver.errors",
    "NoNameservers": "resolver.errors",
    "ResolutionFailed": "resolver.errors",
    "ResolverClosed": "resolver.errors",
    "ResolverError": "resolver.errors",
    "Timeout": "resolver.errors",
    "HintsError": "resolver.hints",
    "Name": "resolver.records",
    "RRset": "resolver.records",
    "override_system_resolver": "resolver.system",
    "restore_system_resolver": "resolver.system",
}

__all__ = [
    "NXDOMAIN",
    "YXDOMAIN",
    "Answer",
    "HintsError",
    "HostAnswers",
    "InvalidCacheSize",
    "InvalidName",
    "LifetimeTimeout",
    "Name",
    "NoAnswer",
    "NoMetaqueries",
    "NoNameservers",
    "RRset",
    "ResolutionFailed",
    "Resolver",
    "ResolverClosed",
    "ResolverError",
    "Timeout",
    "__version__",
    "default_resolver",
    "override_system_resolver",
    "resolve",
    "resolve_address",
    "resolve_async",
    "resolve_name",
    "restore_system_resolver",
]

if TYPE_CHECKING:
    from resolver.answer import Answer
    from resolver.api import (
        HostAnswers,
        Resolver,
        default_resolver,
        resolve,
        resolve_address,
        resolve_async,
        resolve_name,
    )
    from resolver.errors import (
        NXDOMAIN,
        YXDOMAIN,
        InvalidCacheSize,
        InvalidName,
        LifetimeTimeout,
        NoAnswer,
        NoMetaqueries,
        NoNameservers,
        ResolutionFailed,
        ResolverClosed,
        ResolverError,
        Timeout,
    )
    from resolver.hints import HintsError
    from resolver.records import Name, RRset
    from resolver.system import override_system_resolver, restore_system_resolver


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'resolver' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
