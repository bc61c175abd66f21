"""The known-cut shortcut: a cache miss one exchange answers, walked without a coroutine.

Most misses a busy resolver sees (a random-subdomain flood above all) need one question to a
zone whose cut the cache already knows: `x7f3.example.com` when example.com.'s servers are
cached. For those the walk's machinery (a task, nested coroutines, a future per exchange) costs
more than the work itself. The shortcut takes the walk's own steps, in the same order, with
callbacks: the cache has nothing for the name (`cached_step`), the closest cut is known
(`known_cut`), QNAME minimisation would ask the full question anyway, selection picks a
server, the query is built and counted (`outgoing`), sent with `send_udp`, and its reply is
checked (`arrived`), classified (`classified`) and cached (`settled`) as the walk would.

Whenever the walk would do more than that — no cut known (priming), a shortened question, a
name server to resolve first, a timeout, a truncated or malformed reply, a lame server, a
referral, a CNAME to follow — the shortcut hands the resolution over to the walk, with what it
learned already cached (a referral, a CNAME) and the queries it sent counted, so the walk goes
on from there instead of asking again. A validating resolution takes the shortcut when its
zone's chain of trust is already known (`Validator.known_trust`, then `check_known`: the same
verdict `check` gives, with no query to make). Traced, TCP, cache-only and refresh resolutions
always take the walk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from resolver import forwarder
from resolver.classify import Kind
from resolver.iterator import (
    MAX_ATTEMPTS_PER_SERVER,
    Iterator,
    Outcome,
    Outgoing,
    Query,
    Reply,
    Resolution,
    WalkAborted,
    lame_feedback,
    unusable,
)
from resolver.minimise import asks_in_full
from resolver.protocol import NOERROR, TYPE_DS
from resolver.trace import SendReason
from resolver.transport import Pending, QueryTimeout, TransportError
from resolver.validator import ZoneTrust, within_zone
from resolver.zonecut import SendTo, ZoneCut

log = logging.getLogger(__name__)

# What the shortcut calls when it is over: the Outcome, or None to hand over to the walk.
Done = Callable[[Outcome | None], None]


class _Exchange:
    """The one query of a shortcut in flight."""

    __slots__ = ("iterator", "query", "cut", "choice", "sending", "done", "pending", "trust")

    def __init__(self, iterator: Iterator, query: Query, cut: ZoneCut, choice: SendTo,
                 sending: Outgoing, done: Done, trust: ZoneTrust | None) -> None:
        self.iterator, self.query, self.cut, self.choice = iterator, query, cut, choice
        self.sending, self.done, self.trust = sending, done, trust
        self.pending: Pending | None = None

    def on_reply(self, raw: bytes | None, rtt: float, error: TransportError | None) -> None:
        self.pending = None
        try:
            outcome = self._outcome(raw, rtt, error)
            if outcome is not None:
                outcome = self.iterator.finished(self.query, outcome)
        except WalkAborted as abort:
            outcome = self.iterator.finished(self.query, self.iterator.aborted(self.query, abort))
        except Exception:  # a bug: the walk takes the question over (and meets it, and says so)
            log.exception("the known-cut shortcut failed for %s", self.query.qname)
            outcome = None
        self.done(outcome)

    def _outcome(self, raw: bytes | None, rtt: float,
                 error: TransportError | None) -> Outcome | None:
        iterator, query, cut = self.iterator, self.query, self.cut
        zone, address, server = cut.zone, self.choice.address, self.choice.ns_name
        name, qtype = query.qname, query.qtype
        if isinstance(error, QueryTimeout):
            iterator.timed_out(query, zone, address, server, self.sending)
            return None  # the walk retries, or asks another server
        if error is not None:
            iterator.unreachable(query, zone, address, server, error)
            return None
        assert raw is not None
        reply = iterator.arrived(query, zone, address, server, name, qtype, self.sending, raw,
                                 rtt)
        if not isinstance(reply, Reply):
            return None  # malformed, truncated, EDNS or letter case refused: the walk copes
        result = iterator.classified(query, zone, reply, address, server, name, qtype)
        if unusable(result):
            iterator.infra.report(address, zone, lame_feedback(result))
            return None
        if result.chain_truncated:
            raise query.resolution.abort("max_cname_links", name)
        kind = result.kind
        if kind == Kind.NODATA and result.provisional:
            return None  # the walk asks the other servers, as it would
        if kind == Kind.REFERRAL:
            iterator.followed(query, zone, result, name, qtype)  # cached: the walk starts below
            return None
        verdict = None
        if self.trust is not None:  # validating, with the zone's trust known when sent
            result = within_zone(result)
            verdict = iterator.validator.check_known(  # type: ignore[union-attr]
                query, result, name, self.trust)
        outcome = iterator.settled(result, name, qtype, verdict)
        if outcome.rcode == NOERROR and outcome.target:
            return None  # the CNAME is cached: the walk follows it from there
        outcome.canonical_name = outcome.canonical_name or name
        return outcome

    def cancel(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None


def start(iterator: Iterator, resolution: Resolution, done: Done) -> Pending | None:
    """Send the one query that may answer `resolution` and call `done` when it is over (at
    once when the cache answers); None (and `done` never called) when the walk must take it
    from the start. The result's `cancel()` stops waiting for the reply."""
    send = getattr(iterator.transport, "send_udp", None)
    if (send is None or resolution.tracing or resolution.tcp or resolution.cache_only
            or resolution.refresh or resolution.qtype == TYPE_DS):
        return None
    query = iterator.top_query(resolution)
    name, qtype = query.qname, query.qtype
    forward_zones = iterator.forward_zones
    if forward_zones and forwarder.closest(forward_zones, name) is not None:
        return None
    step = iterator.cached_step(query, name)
    if step is not None:
        if step.rcode == NOERROR and step.target:
            return None  # a cached CNAME: the walk follows the chain (and counts this hit again)
        step.canonical_name = step.canonical_name or name
        done(iterator.finished(query, step))
        return _ANSWERED
    cut = iterator.known_cut(query, name)
    if cut is None:
        return None
    zone = cut.zone
    trust = None
    validator = iterator.validator
    if validator is not None and iterator.validating(query):
        trust = validator.known_trust(query, zone, iterator.clock())
        if trust is None:
            return None  # the walk establishes the zone's chain of trust first
    if iterator.qname_minimisation and not asks_in_full(name, zone):
        return None  # a shortened question first
    infra = iterator.infra
    choice = cut.next_choice(infra.choose, infra.probe_due, MAX_ATTEMPTS_PER_SERVER)
    if type(choice) is not SendTo:
        return None  # a name server's address to resolve first, or nobody left: the walk
    address = choice.address
    if iterator.policy.refusal(address):
        return None  # the walk says so, and asks another server
    why = (SendReason.PROBE if choice.probe else
           SendReason.LAST_RESORT if choice.last_resort else SendReason.FIRST)
    try:
        sending = iterator.outgoing(query, zone, address, choice.ns_name, name, qtype,
                                    cut.attempt(address), why, infra.edns_ok(address), False)
    except WalkAborted:
        return None  # the walk meets the same limit and says so
    exchange = _Exchange(iterator, query, cut, choice, sending, done, trust)
    try:
        exchange.pending = send(address, sending.port, sending.message, sending.timeout,
                                exchange.on_reply)
    except TransportError as error:
        iterator.unreachable(query, zone, address, choice.ns_name, error)
        return None
    return exchange


class _Answered:
    """A shortcut that ended before sending anything: the cache answered."""

    def cancel(self) -> None:
        pass


_ANSWERED = _Answered()
