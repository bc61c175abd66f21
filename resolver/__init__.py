"""resolver: an iterative, caching DNS resolver.

    from resolver import Resolver
    answer = Resolver().resolve("www.example.com", "A")

The offline lab (a small simulated internet on loopback) is in `resolver.lab`.
"""

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

__version__ = "0.1.0"

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
