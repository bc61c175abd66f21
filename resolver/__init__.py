"""resolver: an iterative, caching DNS resolver.

    from resolver import Resolver
    answer = Resolver().resolve("www.example.com", "A")

The offline lab (a small simulated internet on loopback) is in `resolver.lab`.

The names below are loaded on first use (PEP 562), so that `import resolver.cli` for
`resolve --help` does not pay for dnslib and asyncio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Answer": "resolver.answer",
    "Resolver": "resolver.api",
    "resolve": "resolver.api",
    "resolve_async": "resolver.api",
    "NXDOMAIN": "resolver.errors",
    "InvalidName": "resolver.errors",
    "LifetimeTimeout": "resolver.errors",
    "NoAnswer": "resolver.errors",
    "NoNameservers": "resolver.errors",
    "ResolutionFailed": "resolver.errors",
    "ResolverError": "resolver.errors",
    "HintsError": "resolver.hints",
}

__all__ = [
    "NXDOMAIN",
    "Answer",
    "HintsError",
    "InvalidName",
    "LifetimeTimeout",
    "NoAnswer",
    "NoNameservers",
    "ResolutionFailed",
    "Resolver",
    "ResolverError",
    "resolve",
    "resolve_async",
]

if TYPE_CHECKING:
    from resolver.answer import Answer
    from resolver.api import Resolver, resolve, resolve_async
    from resolver.errors import (
        NXDOMAIN,
        InvalidName,
        LifetimeTimeout,
        NoAnswer,
        NoNameservers,
        ResolutionFailed,
        ResolverError,
    )
    from resolver.hints import HintsError


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'resolver' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
