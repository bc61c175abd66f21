"""The caching nameserver: `resolve serve` answers clients over UDP and TCP from one event loop.

Modules, one job each:
- config: ServerConfig and the limits chosen for it
- query: read a client's query (strict reader, and the hot path's fast reader)
- replies: build reply messages (errors from bytes, answers with dnslib)
- answer_cache: packed replies re-addressed to each client on a cache hit
- nameserver: the refusal policy and the shared, bounded resolutions behind misses
- udp, tcp: the listeners (batching UDP reader; RFC 7766 TCP)
- stats, control: counters, and the live `CH TXT stats.resolver.` query and its client
- daemon: binding, lifecycle, signals
"""

from resolver.server.config import ServerConfig, ServerError
from resolver.server.control import StatsQueryError, fetch_stats
from resolver.server.daemon import Server, run_server, serve

__all__ = [
    "Server",
    "ServerConfig",
    "ServerError",
    "StatsQueryError",
    "fetch_stats",
    "run_server",
    "serve",
]
