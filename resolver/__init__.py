"""resolver: an iterative, caching DNS resolver, with dnspython's call shape.

    from resolver import Resolver
    with Resolver() as resolver:
        answer = resolver.resolve("www.example.com", "A")
        for record in answer:
            print(record.rdata)

`Resolver.resolve()` returns an `Answer` or raises an exception named for what happened
(`NXDOMAIN`, `NoAnswer`, `NoNameservers`, `LifetimeTimeout`, ...); every one is a
`ResolverError`. The module-level functions use one shared default resolver.
`override_system_resolver()` makes `socket.getaddrinfo` and friends resolve through us.
The offline lab (a small simulated internet on loopback) is in `resolver.lab`.
"""

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
from resolver.system import override_system_resolver, restore_system_resolver

__version__ = "0.1.0"
"""The version of this package."""

__all__ = [
    "NXDOMAIN",
    "YXDOMAIN",
    "Answer",
    "HintsError",
    "HostAnswers",
    "InvalidName",
    "LifetimeTimeout",
    "NoAnswer",
    "NoMetaqueries",
    "NoNameservers",
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
