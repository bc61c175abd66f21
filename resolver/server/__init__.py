"""The caching nameserver: `resolve serve` answers clients over UDP and TCP from one event loop
(per worker process, with --workers).

Modules, one job each:
- config: ServerConfig and the limits chosen for it
- query: read a client's query (strict reader, and the hot path's fast reader)
- replies: build reply messages (errors from bytes, answers with dnslib)
- answer_cache: packed replies re-addressed to each client on a cache hit
- nameserver: the refusal policy and the shared, bounded resolutions behind misses
- udp, tcp: the listeners (batching UDP reader; RFC 7766 TCP)
- stats, control: counters, and the live `CH TXT stats.resolver.` query and its client
- daemon: binding, lifecycle, signals (SIGHUP: reload), sd_notify (notify)
- settings: the table behind serve's flags, the TOML config and the README reference
- reload: applying a changed config file to a running server
- access: access-control actions per netblock; local_zones: data answered locally
- control_channel: `resolve control` over a UNIX socket; cache_file: the cache across restarts
- metrics: Prometheus /metrics; logs: levels and JSON lines; privileges: --user
- workers: --workers N, the supervisor of N processes on one address (SO_REUSEPORT) and the
  link that relays commands and sums their counters

The names below load on first use (PEP 562): `resolve --help` reads config.DEFAULT_PORT
without paying for asyncio and dnslib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from resolver.server.config import ServerConfig, ServerError

_EXPORTS = {
    "StatsQueryError": "resolver.server.control",
    "fetch_stats": "resolver.server.control",
    "Server": "resolver.server.daemon",
    "run_server": "resolver.server.daemon",
    "serve": "resolver.server.daemon",
}

__all__ = [
    "Server",
    "ServerConfig",
    "ServerError",
    "StatsQueryError",
    "fetch_stats",
    "run_server",
    "serve",
]

if TYPE_CHECKING:
    from resolver.server.control import StatsQueryError, fetch_stats
    from resolver.server.daemon import Server, run_server, serve


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'resolver.server' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
