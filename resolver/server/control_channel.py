"""The control channel: `resolve control CMD` talks to a running server over a UNIX socket.

The socket file is created mode 0600 (owner only): its permissions are the authorisation, as
with unbound-control's local socket; an operator grants a group with chgrp/chmod. One request
per connection, one JSON line each way: {"command": "flush", "args": ["www.example.com."]} ->
{"ok": true, "text": "..."}.

Commands: status, stats [--reset], flush NAME, flush-zone ZONE, flush-negative, flush-infra,
flush-all, dump-cache, load-cache (the client sends the file's text), reload, infra,
lookup NAME.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import stat
import time
from collections.abc import Callable
from typing import Any

from dnslib import QTYPE

from resolver import __version__, cache_admin
from resolver.server.config import ServerError
from resolver.server.stats import ServerStats
from resolver.zonecut import DelegationStore

log = logging.getLogger("resolver.server")

COMMANDS = ("status", "stats", "flush", "flush-zone", "flush-negative", "flush-infra",
            "flush-all", "dump-cache", "load-cache", "reload", "infra", "lookup")
MAX_REQUEST = 64 * 1024 * 1024  # a load-cache request carries a whole dump


class ControlError(ServerError):
    """A control command failed, or the server could not be reached: one line."""


class ControlChannel:
    """Serves control commands for one running server (its nameserver and resolver)."""

    def __init__(self, path: str, nameserver: Any, reload: Callable[[], tuple[bool, str]] | None,
                 addresses: list[tuple[str, int]]) -> None:
        self.path = path
        self.nameserver = nameserver
        self.resolver = nameserver.resolver
        self.reload = reload
        self.addresses = addresses
        self.started = time.monotonic()
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        if os.path.exists(self.path):
            if not stat.S_ISSOCK(os.stat(self.path).st_mode):
                raise ServerError(f"control socket {self.path}: exists and is not a socket")
            if _alive(self.path):
                raise ServerError(f"control socket {self.path}: another server is using it")
            os.unlink(self.path)  # left behind by a server that did not stop cleanly
        old = os.umask(0o077)  # 0600: only the owner (root, or --user) may control us
        try:
            self._server = await asyncio.start_unix_server(self._serve, self.path,
                                                           limit=MAX_REQUEST)
            os.chmod(self.path, 0o600)  # read and write is what connecting needs
        except OSError as error:
            raise ServerError(f"control socket {self.path}: {error.strerror or error}") from None
        finally:
            os.umask(old)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            try:
                request = json.loads(line)
                command, args = request["command"], list(request.get("args", []))
            except (ValueError, KeyError, TypeError):
                reply = {"ok": False, "text": "unreadable request"}
            else:
                try:
                    reply = {"ok": True, "text": await self.run(command, args)}
                except ControlError as error:
                    reply = {"ok": False, "text": str(error)}
                except Exception as error:  # a command must never take the server down
                    log.exception("control command %s failed", command)
                    reply = {"ok": False, "text": f"{command} failed: {error}"}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    async def run(self, command: str, args: list[str]) -> str:
        """The text answer to one command; ControlError when it cannot be done."""
        check(command, args)
        log.info("control: %s %s", command, " ".join(args)[:200])
        if command == "status":
            return self._status()
        if command == "stats":
            return self._stats(reset=bool(args))
        if command == "reload":
            if self.reload is None:
                raise ControlError("started without --config: nothing to reload")
            ok, text = self.reload()
            if not ok:
                raise ControlError(text)
            return text
        return await self._administer(command, args)

    def _status(self) -> str:
        return status_text(self.nameserver.snapshot(), self.addresses, self.started,
                           [f"pid: {os.getpid()}"])

    def _stats(self, reset: bool) -> str:
        snapshot = self.nameserver.snapshot()
        if reset:
            reset_counters(self.nameserver)
        return json.dumps(snapshot, indent=2, sort_keys=True)

    async def _administer(self, command: str, args: list[str]) -> str:
        administer = getattr(self.resolver, "administer", None)
        if administer is None:
            raise ControlError("this resolver has no cache to administer")
        if command in ("flush", "flush-zone", "flush-negative", "flush-all"):
            self.nameserver.cache.clear()  # packed replies built from what is flushed

        def operate(iterator: Any) -> str:
            cache = iterator.cache
            if command == "flush":
                return f"flushed {cache_admin.flush(cache, name=args[0])} entries at {args[0]}"
            if command == "flush-zone":
                return f"flushed {cache_admin.flush(cache, zone=args[0])} entries in {args[0]}"
            if command == "flush-negative":
                return f"flushed {cache_admin.flush(cache, negative=True)} negative entries"
            if command == "flush-all":
                count = len(cache)
                cache.clear()
                iterator.delegations = DelegationStore(iterator.clock)  # referrals' NS and glue
                return f"flushed all {count} entries"
            if command == "flush-infra":
                count = len(iterator.infra)
                iterator.infra.clear()
                return f"forgot {count} servers' RTT, back-off and lameness"
            if command == "dump-cache":
                return cache_admin.dump(cache, iterator.clock())
            if command == "load-cache":
                loaded, skipped = cache_admin.load(cache, args[0])
                return f"loaded {loaded} entries, skipped {skipped} expired"
            if command == "infra":
                return _infra_text(iterator)
            return _lookup_text(iterator, args[0])

        try:
            return await administer(operate)
        except cache_admin.CacheFileError as error:
            raise ControlError(f"load-cache: {error}") from None


def status_text(snapshot: dict[str, Any], addresses: list[tuple[str, int]], started: float,
                processes: list[str]) -> str:
    """`status`: version, the `processes` lines (pid...), uptime, addresses, a few counters."""
    where = ", ".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in addresses)
    return "\n".join([
        f"version: {__version__}",
        *processes,
        f"uptime: {time.monotonic() - started:.0f} s",
        f"listening: {where}",
        f"queries: {snapshot['queries']}",
        f"resolutions in flight: {snapshot['resolutions_in_flight']}",
        f"answer cache entries: {snapshot['answer_cache_entries']}",
        f"rrset cache entries: {snapshot['resolver'].get('cache_entries', 0)}",
    ])


def check(command: str, args: list[str]) -> None:
    """ControlError unless `command` is known and has the arguments it takes."""
    if command not in COMMANDS:
        raise ControlError(f"unknown command {command!r} (one of {', '.join(COMMANDS)})")
    needs = {"flush": 1, "flush-zone": 1, "lookup": 1, "load-cache": 1}.get(command, 0)
    if command == "stats" and args not in ([], ["--reset"]):
        raise ControlError("stats takes only --reset")
    if command != "stats" and len(args) != needs:
        raise ControlError(f"{command} takes {needs} argument(s)")


def reset_counters(nameserver: Any) -> None:
    """`stats --reset`: every counter of the nameserver back to zero."""
    nameserver.stats = ServerStats()
    nameserver.acl_actions.clear()
    nameserver.local.hits.clear()


def _infra_text(iterator: Any) -> str:
    infra, now = iterator.infra, iterator.clock()
    lines = [f"{'server':<40} {'srtt ms':>8} {'timeouts':>8} {'backed off':>10}  lame/broken"]
    for address in sorted(infra.addresses()):
        record = infra.stats(address)
        if record is None:
            continue
        srtt = "-" if record.srtt is None else f"{record.srtt * 1000:.1f}"
        backoff = f"{record.backoff_until - now:.1f}s" if record.backoff_until > now else "no"
        marks = ", ".join([*(f"lame for {z}" for z in sorted(record.lame_zones)),
                           *(f"broken for {z}" for z in sorted(record.broken_zones))])
        edns = " no EDNS" if record.no_edns else ""
        lines.append(f"{address:<40} {srtt:>8} {record.timeouts:>8} {backoff:>10}  "
                     f"{marks or '-'}{edns}")
    return "\n".join(lines) if len(lines) > 1 else "no servers known yet"


def _lookup_text(iterator: Any, name: str) -> str:
    """Which servers a question for `name` would go to now, and why."""
    from resolver import forwarder
    from resolver.cache import canonical_name

    name = canonical_name(name)
    zone = forwarder.closest(iterator.forward_zones, name)
    if zone is not None:
        servers = ", ".join(str(u) for u in iterator.forward_zones[zone])
        return f"{name} is in forward zone {zone}: sent with RD=1 to {servers}, in order"
    found = iterator.cache.closest_zone_cut(name)
    stub = forwarder.closest(iterator.stub_zones, name)
    if stub is not None and (found is None or not found[0].endswith(stub) or found[0] == stub):
        servers = ", ".join(str(u) for u in iterator.stub_zones[stub])
        return f"{name} is in stub zone {stub}: iteration starts at {servers}"
    if found is None:
        hints = ", ".join(f"{n} {a}" for n, a in iterator.hints.all_addresses())
        return f"no zone cut cached above {name}: the walk starts at the root hints ({hints})"
    zone, ns = found
    lines = [f"closest cached zone cut for {name}: {zone} (NS TTL {ns.ttl})"]
    for record in ns.records:
        ns_name = str(record.rdata.label).lower()
        found_addresses = []
        for rtype in (QTYPE.A, QTYPE.AAAA):
            hit = iterator.cache.get(ns_name, rtype)
            if hit is not None:
                found_addresses += [str(rr.rdata) for rr in hit.records]
        if not found_addresses:
            lines.append(f"  {ns_name}: no address cached (would be looked up first)")
        for address in found_addresses:
            record_of = iterator.infra.stats(address)
            if record_of is None or record_of.srtt is None:
                why = "not measured yet"
            else:
                why = f"srtt {record_of.srtt * 1000:.1f} ms, {record_of.timeouts} timeouts"
                if zone in record_of.lame_zones:
                    why += f", lame for {zone}: avoided"
            lines.append(f"  {ns_name} {address}: {why}")
    return "\n".join(lines)


def _alive(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError:
            return False
        return True


def request(path: str, command: str, args: list[str], timeout: float = 30.0) -> str:
    """Send one command to a running server; its text, or ControlError."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
            sock.sendall(json.dumps({"command": command, "args": args}).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
        except PermissionError:
            raise ControlError(f"{path}: permission denied (the socket's owner may control "
                               "the server)") from None
        except FileNotFoundError:
            raise ControlError(f"{path}: no such socket (is the server running with "
                               "--control-socket?)") from None
        except OSError as error:
            raise ControlError(f"{path}: {error.strerror or error}") from None
    try:
        reply = json.loads(data)
    except ValueError:
        raise ControlError(f"{path}: unreadable reply") from None
    if not reply.get("ok"):
        raise ControlError(str(reply.get("text")))
    return str(reply.get("text", ""))
