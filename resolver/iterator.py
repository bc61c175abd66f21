"""The iterative walk: from the closest known zone cut down to an answer.

One `Resolution` is what a caller asked for: its budget (upstream queries, sub-resolutions), its
deadline and its trace. Each question the walk asks on the way — the caller's, a CNAME target,
the address of a name server given without glue — is a `Query` (Unbound's iter_qstate, Knot's
kr_query): its name and type, its depth, the chain of questions it serves, and the Resolution.

For each query the iterator finds the closest zone cut (zonecut.py), lets the zone cut say who is
next, asks that server (transport), scrubs and classifies the reply (classify.py), caches what
it may at the trust it deserves (cache.py), reports what happened to server selection
(selection.py), and follows referrals, CNAME/DNAME chains and glueless delegations until it has
an answer, a negative answer, or a reason to give up.

The walk never touches a socket: it talks to a `Transport` and reads an injectable clock, so the
same code runs over real UDP/TCP, over the in-process lab, or over a scripted network in a test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dnslib import QTYPE, RCODE, RR, DNSRecord

from resolver import case0x20, forwarder, protocol, trace, wire
from resolver.cache import NegativeEntry, RRsetCache, Trust, ancestors
from resolver.classify import Classified, Kind, classify, name_of, target_of
from resolver.dnssec import EDE, Security, ValidationBudget, Verdict
from resolver.hints import RootHints
from resolver.limits import DEFAULT_LIMITS, Limits
from resolver.minimise import Minimiser
from resolver.negative_wire import classify_negative
from resolver.nxcut import nxdomain_above
from resolver.policy import AddressPolicy
from resolver.prefetch import prefetch_due
from resolver.protocol import NOERROR, NXDOMAIN, TYPE_DS, TYPE_NS, YXDOMAIN
from resolver.scrub import dname_target
from resolver.selection import Feedback, InfraCache
from resolver.stale import STALE_TTL
from resolver.trace import Cause, Failure, MinimiseFallback, Problem, SendReason
from resolver.transport import QueryTimeout, Transport, TransportError, new_query_id
from resolver.validator import Validator, signatures_for, within_zone
from resolver.zonecut import (
    DelegationStore,
    Exhausted,
    ResolveName,
    RRsetStamp,
    Side,
    ZoneCut,
    ZoneCutMemo,
)

# Sends of one question to one server within a walk: the first try and retransmissions with a
# doubled timeout, so one lost datagram to a one-server zone does not become a SERVFAIL.
MAX_ATTEMPTS_PER_SERVER = 3

# Which server feedback a classified-unusable reply gives to selection.
# Why a shortened question's error reply sends the full question instead (RFC 9156 §3).
_MINIMISE_FALLBACK = {RCODE.REFUSED: MinimiseFallback.REFUSED,
                      RCODE.SERVFAIL: MinimiseFallback.SERVFAIL,
                      RCODE.FORMERR: MinimiseFallback.FORMERR,
                      RCODE.NOTIMP: MinimiseFallback.NOTIMP}

_FEEDBACK = {RCODE.REFUSED: Feedback.REFUSED, RCODE.SERVFAIL: Feedback.SERVFAIL,
             RCODE.FORMERR: Feedback.FORMERR, RCODE.NOTIMP: Feedback.NOTIMP}

# The budget of every resolution of an iterator without a validator: never spent (only the
# validator spends), so one serves them all.
_UNSPENT = ValidationBudget()


class WalkAborted(Exception):
    """A limit or the deadline stopped the walk; the resolution answers SERVFAIL."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"{failure.limit} ({failure.value}) reached for {failure.subject}")
        self.failure = failure


@dataclass(slots=True)
class Outcome:
    """Where a walk ended: rcode with answer and authority sections, or why it failed."""

    rcode: int
    answer: list[RR] = field(default_factory=list)
    authority: list[RR] = field(default_factory=list)
    canonical_name: str = ""
    target: str = ""  # for a CNAME step: the name to restart at
    failure: Failure | None = None
    from_dname: bool = False
    stale: bool = False  # served from expired data (RFC 8767); `failure` says why
    security: Security | None = None  # DNSSEC status; None when not validated
    dnssec: list[RR] = field(default_factory=list)  # RRSIGs of the answer, proof of a denial


@dataclass(slots=True)
class Reply:
    """A parsed upstream reply and how it arrived; a plain negative reply comes classified
    from the wire instead (negative_wire.py), without a dnslib message."""

    message: DNSRecord | None
    rtt: float
    size: int
    protocol: str
    classified: Classified | None = None


class Outgoing(NamedTuple):
    """One send the walk is about to make, as `Iterator.outgoing` prepared and counted it."""

    asked: str  # the qname as sent (0x20: in random letter case)
    message: bytes
    timeout: float
    port: int
    transport: str  # "udp" or "tcp"
    edns: bool
    deadline_bound: bool  # the walk's deadline, not the server's RTO, set the timeout


@dataclass(slots=True)
class Resolution:
    """One question a caller asked: its trace, its budget and its deadline."""

    qname: str
    qtype: int
    clock: Callable[[], float]
    limits: Limits = DEFAULT_LIMITS
    tcp: bool = False  # ask upstream over TCP from the start
    cache_only: bool = False  # answer from the cache or not at all (an RD=0 query)
    refresh: bool = False  # a prefetch: walk for the question even though it is cached
    started: float = 0.0
    queries_sent: int = 0
    subresolutions: int = 0
    events: list[trace.TraceEvent] = field(default_factory=list)
    budget: ValidationBudget = field(default_factory=ValidationBudget)  # KeyTrap limits
    validate: bool = True  # False: checking disabled (CD=1) for this question
    # False: no trace is kept but a failed walk's last event, the top ResolutionFinished, whose
    # failure is what a server or the API reads from a walk nobody traces (SERVFAIL's cause,
    # its EDE); a walk that did not fail keeps none.
    tracing: bool = True

    def __post_init__(self) -> None:
        self.started = self.clock()

    def emit(self, event_type: type[trace.TraceEvent], depth: int, **fields: Any) -> None:
        if self.tracing or (depth == 0 and event_type is trace.ResolutionFinished):
            self.events.append(event_type(depth=depth, elapsed=self.elapsed(), **fields))

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float:
        return self.limits.lifetime - self.elapsed()

    def abort(self, limit: str, subject: str) -> WalkAborted:
        cause = Cause.LIFETIME if limit == "lifetime" else Cause.LIMIT
        value = getattr(self.limits, limit)
        return WalkAborted(Failure(cause, limit=limit, value=value, subject=subject))


@dataclass(slots=True)
class Query:
    """One question the walk asks on the way, and the chain of questions it serves."""

    qname: str
    qtype: int
    depth: int
    stack: frozenset[str]  # NS names whose address lookups this query is nested in
    resolution: Resolution

    def emit(self, event_type: type[trace.TraceEvent], **fields: Any) -> None:
        resolution = self.resolution
        if resolution.tracing or (self.depth == 0 and event_type is trace.ResolutionFinished):
            resolution.events.append(
                event_type(depth=self.depth, elapsed=resolution.elapsed(), **fields)
            )

    def nested(self, qname: str, qtype: int) -> Query:
        return Query(qname, qtype, self.depth + 1, self.stack | {qname}, self.resolution)


type_name = protocol.type_name


def zone_text(records: list[RR]) -> tuple[str, ...]:
    """Records in zone-file form for the trace (tabs folded to single spaces)."""
    return tuple(" ".join(rr.toZone().split()) for rr in records)


def _parses(message: bytes) -> bool:
    """Whether dnslib reads this message: labels it cannot decode (legal, RFC 2181 §11) make a
    reply unreadable however well the server answered, so the server is not blamed for them."""
    try:
        DNSRecord.parse(message)
    except Exception:  # dnslib raises assorted errors
        return False
    return True


def parent_of(name: str) -> str:
    return "." if name == "." or "." not in name.rstrip(".") else name.split(".", 1)[1]


class Iterator:
    """Runs resolutions against a cache, an infra cache and a transport."""

    def __init__(
        self,
        *,
        cache: RRsetCache,
        infra: InfraCache,
        transport: Transport,
        hints: RootHints,
        policy: AddressPolicy,
        upstream_port: int = 53,
        ipv4_only: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        forward_zones: dict[str, list[forwarder.Upstream]] | None = None,
        stub_zones: dict[str, list[forwarder.Upstream]] | None = None,
        qname_minimisation: bool = True,
        serve_stale: bool = False,
        prefetch: bool = False,
        use_0x20: bool = False,
        validator: Validator | None = None,
    ) -> None:
        self.cache = cache
        self.validator = validator  # None: no DNSSEC validation, no DO bit upstream
        self.infra = infra
        self.transport = transport
        self.hints = hints
        self.policy = policy
        self.upstream_port = upstream_port
        self.ipv4_only = ipv4_only
        self.limits = limits
        self.clock = clock
        self.qname_minimisation = qname_minimisation  # RFC 9156, relaxed (minimise.py)
        self.serve_stale = serve_stale  # RFC 8767 (stale.py); the cache must keep expired data
        self.prefetch = prefetch  # refresh answers asked for near their expiry (prefetch.py)
        self._refreshing: set[tuple[str, int]] = set()
        self.use_0x20 = use_0x20  # randomise the question's letter case (case0x20.py)
        self._case_ignorant: set[str] = set()  # servers that answer in another case
        self._refresh_tasks: set[asyncio.Task[None]] = set()
        self.delegations = DelegationStore(clock)
        self.cut_memo = ZoneCutMemo(clock)  # zone cuts built from the cache, while it holds
        self.counters = {"upstream_queries": 0, "timeouts": 0, "cache_hits": 0, "prefetches": 0}
        self.set_zones(forward_zones or {}, stub_zones or {})

    def set_zones(self, forward_zones: dict[str, list[forwarder.Upstream]],
                  stub_zones: dict[str, list[forwarder.Upstream]]) -> None:
        """Configured forward zones (sent to recursive resolvers) and stub zones (configured
        zone cuts), resolver/forwarder.py; replaced whole on a reload."""
        self.forward_zones = forward_zones
        self.stub_zones = stub_zones
        # A stub zone's server may listen on its own port; every other server on upstream_port.
        self.server_ports = {u.address: u.port for ups in stub_zones.values() for u in ups}

    # ---- public -----------------------------------------------------------------------------

    def resolution(
        self, qname: str, qtype: int, *, tcp: bool = False, lifetime: float | None = None,
        cache_only: bool = False,
        validate: bool = True,
        tracing: bool = True,
    ) -> Resolution:
        """A new resolution of qname/qtype; `lifetime` overrides the limits' deadline;
        `cache_only` answers from the cache alone (REFUSED when it holds nothing);
        `validate=False` skips DNSSEC validation for it (a client's CD bit);
        `tracing=False` keeps only the final event of a failed walk's trace."""
        limits = self.limits
        if lifetime is not None and lifetime != limits.lifetime:
            limits = dataclasses.replace(limits, lifetime=lifetime)
        # Without a validator nothing spends a budget: the resolutions share one, unbuilt.
        budget = _UNSPENT if self.validator is None else self.validator.budget.fresh()
        return Resolution(qname, qtype, self.clock, limits, tcp, cache_only, budget=budget,
                          validate=validate, tracing=tracing)

    async def run(self, resolution: Resolution) -> Outcome:
        """Resolve the question; limits, the deadline and failures turn into SERVFAIL."""
        query = self.top_query(resolution)
        try:
            outcome = await self._resolve(query)
        except WalkAborted as abort:
            outcome = self.aborted(query, abort)
        return self.finished(query, outcome)

    def top_query(self, resolution: Resolution) -> Query:
        """The caller's own question, the first Query of a resolution."""
        query = Query(resolution.qname, resolution.qtype, 0, frozenset(), resolution)
        if resolution.tracing:
            query.emit(trace.ResolutionStarted, qname=query.qname, qtype=type_name(query.qtype))
        return query

    def aborted(self, query: Query, abort: WalkAborted) -> Outcome:
        """The SERVFAIL of a walk a limit or the deadline stopped."""
        failure = abort.failure
        query.emit(trace.LimitReached, limit=failure.limit, value=failure.value,
                   subject=failure.subject)
        return Outcome(RCODE.SERVFAIL, canonical_name=query.qname, failure=failure)

    def finished(self, query: Query, outcome: Outcome) -> Outcome:
        """A resolution's end: its failure cached, serve-stale's say, the final trace event."""
        resolution = query.resolution
        if outcome.failure is not None and outcome.failure.cause != Cause.CACHED_FAILURE:
            self.cache.put_failure(query.qname, query.qtype, outcome.failure.cause,
                                   outcome.failure.ede)
        if outcome.failure is not None and self.serve_stale:
            outcome = self._stale(query, outcome)
        if resolution.tracing or outcome.failure is not None:  # untraced: only a failure's
            query.emit(
                trace.ResolutionFinished,
                qname=query.qname,
                qtype=type_name(query.qtype),
                rcode=protocol.rcode_name(outcome.rcode),
                records=zone_text(outcome.answer) if resolution.tracing else (),
                upstream_queries=resolution.queries_sent,
                failure=outcome.failure,
            )
        return outcome

    def _stale(self, query: Query, failed: Outcome) -> Outcome:
        """Serve-stale (stale.py): the expired answer or NXDOMAIN instead of the failure,
        unless a fresh NXDOMAIN at or above the name proves it gone."""
        name, qtype = query.qname.lower(), query.qtype
        if nxdomain_above(self.cache, name, qtype) or self.cache.get_negative(name, qtype):
            return failed
        kept = self.cache.get_stale(name, qtype, STALE_TTL)
        if kept is None:
            return failed
        self._cache_hit(query, name, qtype, trace.CacheWhat.STALE, kept.ttl,
                        kept.soa if isinstance(kept, NegativeEntry) else kept.records)
        if isinstance(kept, NegativeEntry):
            return Outcome(RCODE.NXDOMAIN, [], list(kept.soa), canonical_name=name,
                           failure=failed.failure, stale=True)
        return Outcome(RCODE.NOERROR, list(kept.records), canonical_name=name,
                       failure=failed.failure, stale=True)

    # ---- names and CNAME/DNAME chains ---------------------------------------------------------

    async def _resolve(self, query: Query) -> Outcome:
        """Answer the query from cache or by walking, following CNAMEs across zones."""
        chain: list[RR] = []
        chain_dnssec: list[RR] = []
        securities: list[Security | None] = []
        current = query.qname.lower()
        seen = {current}
        limit = query.resolution.limits.max_cname_links
        for _ in range(limit + 1):
            refreshing = query.resolution.refresh and current == query.qname.lower()
            step = None if refreshing else self.cached_step(query, current)
            if step is None and query.resolution.cache_only:
                # Nothing cached: REFUSED, never a walk; a cached chain part is what we know.
                rcode = RCODE.NOERROR if chain else RCODE.REFUSED
                step = Outcome(rcode, canonical_name=current)
            elif step is None:
                step = await self._walk_zones(query, current)
            securities.append(step.security)
            if step.rcode != RCODE.NOERROR or not step.target:
                step.answer = chain + step.answer
                step.dnssec = chain_dnssec + step.dnssec
                step.canonical_name = step.canonical_name or current
                step.security = _weakest(securities) if self.validating(query) else None
                return step
            chain += step.answer
            chain_dnssec += step.dnssec
            if step.target in seen:
                raise query.resolution.abort("max_cname_links", step.target)
            seen.add(step.target)
            query.emit(trace.CnameRestart, from_name=current, to_name=step.target,
                       dname=step.from_dname)
            current = step.target
        raise query.resolution.abort("max_cname_links", query.qname)

    def validating(self, query: Query) -> bool:
        """Whether this query's answers are DNSSEC-validated: the caller's question and its
        CNAME targets, not the address lookups of NS names nor the validator's own DS/DNSKEY."""
        return self.validator is not None and query.depth == 0 and query.resolution.validate

    def cached_step(self, query: Query, name: str) -> Outcome | None:
        """A cached answer, negative answer, CNAME, DNAME or recent failure; glue never answers.
        A validating query uses only data cached with its DNSSEC status."""
        qtype = query.qtype
        # validating(query), inline; answers from forward zones are not validated
        # (forwarder.py): they are used as cached.
        validating = (self.validator is not None and query.depth == 0
                      and query.resolution.validate
                      and not (self.forward_zones
                               and forwarder.closest(self.forward_zones, name) is not None))
        if not self.cache.may_answer(name, qtype):  # a miss: every probe below finds nothing
            if validating or not self.cache.holds_dname:
                return None  # (_dname_from_cache would probe for no DNAME)
            return self._dname_from_cache(query, name)
        hit = self.cache.get(name, qtype, min_trust=Trust.ANSWER_NONAUTH)
        if hit and (not validating or hit.security is not None):
            self._cache_hit(query, name, qtype, trace.CacheWhat.ANSWER, hit.ttl, hit.records)
            due = self.prefetch and prefetch_due(hit.ttl, hit.original_ttl)
            if due and not query.resolution.refresh and self._start_refresh(name, qtype):
                query.emit(trace.PrefetchStarted, name=name, qtype=type_name(qtype),
                           ttl=hit.ttl, original_ttl=hit.original_ttl)
            self._cached_status(query, name, qtype, "answer", hit.security)
            return Outcome(RCODE.NOERROR, list(hit.records), canonical_name=name,
                           security=_security(hit.security), dnssec=list(hit.rrsigs))
        negative = self.cache.get_negative(name, qtype)
        if negative and (not validating or negative.security is not None):
            what = trace.CacheWhat.NXDOMAIN if negative.rtype is None else trace.CacheWhat.NODATA
            self._cache_hit(query, name, qtype, what, negative.ttl, negative.soa)
            self._cached_status(query, name, qtype, str(what), negative.security)
            return Outcome(negative.rcode, [], list(negative.soa), canonical_name=name,
                           security=_security(negative.security), dnssec=list(negative.proof))
        denied = nxdomain_above(self.cache, name, qtype)
        if denied and (not validating or denied.security is not None):
            # RFC 8020: nothing exists below a name that does not exist.
            self._cache_hit(query, denied.name, qtype, trace.CacheWhat.NXDOMAIN, denied.ttl,
                            denied.soa)
            return Outcome(RCODE.NXDOMAIN, [], list(denied.soa), canonical_name=name,
                           security=_security(denied.security), dnssec=list(denied.proof))
        failed = self.cache.get_failure(name, qtype)
        if failed and failed.reason == Cause.DNSSEC_BOGUS and not validating:
            failed = None  # bogus is a verdict of validation: without it, the data may do
        if failed:
            self._cache_hit(query, name, qtype, trace.CacheWhat.FAILURE, failed.ttl, ())
            failure = Failure(Cause.CACHED_FAILURE, subject=name)
            if failed.reason == Cause.DNSSEC_BOGUS:  # still bogus: say why, with its EDE code
                code = failed.ede if failed.ede is not None else int(EDE.DNSSEC_BOGUS)
                failure = Failure(Cause.CACHED_FAILURE, subject=name, reason=failed.reason,
                                  ede=code)
            return Outcome(RCODE.SERVFAIL, canonical_name=name, failure=failure)
        if qtype != QTYPE.CNAME:
            cname = self.cache.get(name, QTYPE.CNAME, min_trust=Trust.ANSWER_NONAUTH)
            if cname and (not validating or cname.security is not None):
                self._cache_hit(query, name, QTYPE.CNAME, trace.CacheWhat.CNAME, cname.ttl,
                                cname.records)
                self._cached_status(query, name, QTYPE.CNAME, "answer", cname.security)
                return Outcome(
                    RCODE.NOERROR, list(cname.records), target=target_of(cname.records[0]),
                    security=_security(cname.security), dnssec=list(cname.rrsigs),
                )
        if validating:
            return None  # a DNAME's synthesised CNAME is not signed: walk to validate it
        return self._dname_from_cache(query, name)

    def _start_refresh(self, name: str, qtype: int) -> bool:
        """Refresh (name, qtype) in the background (prefetch.py), once at a time; False when
        a refresh of it is already running."""
        if (name, qtype) in self._refreshing:
            return False
        self._refreshing.add((name, qtype))
        self.counters["prefetches"] += 1
        task = asyncio.get_running_loop().create_task(self._refresh(name, qtype))
        self._refresh_tasks.add(task)
        task.add_done_callback(self._refresh_tasks.discard)
        return True

    async def _refresh(self, name: str, qtype: int) -> None:
        try:
            resolution = self.resolution(name, qtype)
            resolution.refresh = True
            await self.run(resolution)
        finally:
            self._refreshing.discard((name, qtype))

    async def refreshes_done(self) -> None:
        """Wait for the background refreshes (prefetches) running now."""
        while self._refresh_tasks:
            await asyncio.wait(set(self._refresh_tasks))

    def _dname_from_cache(self, query: Query, name: str) -> Outcome | None:
        """A cached DNAME at an ancestor of name rewrites it (RFC 6672 §3.2)."""
        if not self.cache.holds_dname:
            return None  # none was ever cached: no probe per ancestor
        for owner in ancestors(name)[1:]:
            hit = self.cache.get(owner, QTYPE.DNAME, min_trust=Trust.ANSWER_NONAUTH)
            if hit is None:
                continue
            try:
                target = dname_target(hit.records[0]).lower()
            except wire.WireError:
                continue
            prefix = name[: len(name) - len(owner)]
            rewritten = prefix + target if target != "." else prefix
            try:
                rewritten = wire.validate_name(rewritten).lower()
            except wire.WireError:
                return Outcome(YXDOMAIN, list(hit.records), canonical_name=name)
            self._cache_hit(query, owner, QTYPE.DNAME, trace.CacheWhat.DNAME, hit.ttl,
                            hit.records)
            cname = RR.fromZone(f"{name} {hit.ttl} IN CNAME {rewritten}")[0]
            return Outcome(RCODE.NOERROR, [*hit.records, cname], target=rewritten,
                           from_dname=True)
        return None

    def _cached_status(
        self, query: Query, name: str, qtype: int, what: str, security: str | None
    ) -> None:
        """The DNSSEC status a cached answer was stored with, for the trace."""
        if security is not None and self.validating(query):
            query.emit(trace.AnswerValidated, zone="", qname=name, qtype=type_name(qtype),
                       response=what, security=security, cached=True)

    def _cache_hit(self, query: Query, name: str, qtype: int, what: trace.CacheWhat, ttl: int,
                   records: Any) -> None:
        self.counters["cache_hits"] += 1
        if query.resolution.tracing:
            query.emit(trace.CacheHit, name=name, qtype=type_name(qtype), what=what, ttl=ttl,
                       records=zone_text(list(records)))

    # ---- zone cuts and referrals ---------------------------------------------------------------

    async def _walk_zones(self, query: Query, name: str) -> Outcome:
        """Ask servers from the closest zone cut down, following referrals (with QNAME
        minimisation, RFC 9156, each server first hears only one label more than its zone);
        validate the reply that ends the walk before caching or using it."""
        forward_zone = forwarder.closest(self.forward_zones, name)
        if forward_zone is not None:
            return await self._forward(query, forward_zone, name)
        result = await self._walk_to_reply(query, name)
        if isinstance(result, Failure):
            return Outcome(RCODE.SERVFAIL, canonical_name=name, failure=result)
        verdict = None
        if self.validating(query) and self.validator is not None:
            result = within_zone(result)
            verdict = await self.validator.check(self, query, result, name)
        return self.settled(result, name, query.qtype, verdict)

    def settled(self, result: Classified, name: str, qtype: int,
                verdict: Verdict | None) -> Outcome:
        """The reply that ended a walk, with validation's verdict on it (None: not validated):
        SERVFAIL if bogus (never cached, never used: RFC 4035 §5.5), else cached, and what the
        walk answers with it."""
        if verdict is not None and verdict.bogus:
            failure = Failure(
                Cause.DNSSEC_BOGUS, zone=result.zone, subject=name,
                reason=verdict.reason.value if verdict.reason else "", ede=verdict.ede,
            )  # fmt: skip
            return Outcome(RCODE.SERVFAIL, canonical_name=name, failure=failure,
                           security=Security.BOGUS)
        security = verdict.security if verdict is not None else None
        soa = self._store(result, qtype, security)
        outcome = self._outcome(result, soa)
        outcome.security = security
        if self.validator is not None:
            proof = result.proof if result.kind in (Kind.NXDOMAIN, Kind.NODATA) else []
            outcome.dnssec = result.signatures + proof
        return outcome

    async def fetch(self, query: Query, name: str, qtype: int) -> Classified | Failure:
        """The reply to name/qtype, walked as a nested query of `query` and not validated: the
        validator asks for DS and DNSKEY RRsets this way and judges them itself."""
        sub = query.nested(name, qtype)
        sub.emit(trace.ResolutionStarted, qname=name, qtype=type_name(qtype))
        result = await self._walk_to_reply(sub, name)
        if not isinstance(result, Failure):
            self._store(result, qtype)
        return result

    async def _walk_to_reply(self, query: Query, name: str) -> Classified | Failure:
        """The first reply that is not a referral, the referrals on the way cached."""
        cut = await self._closest_cut(query, name)
        minimiser = Minimiser(name, query.qtype) if self.qname_minimisation else None
        for _ in range(query.resolution.limits.max_referrals):
            qname, qtype = name, query.qtype
            if minimiser is not None and not minimiser.stopped:
                minimiser.at_zone(cut.zone)
                qname, qtype = minimiser.question()
                if minimiser.stopped:  # MAX_MINIMISE_COUNT reached: the rest in one go
                    self._stop_minimising(query, minimiser, cut.zone, qname,
                                          MinimiseFallback.MAX_STEPS)
            minimised = qname != name
            result = await self._ask(query, cut, qname, qtype, minimised=minimised)
            if isinstance(result, MinimiseFallback):
                self._stop_minimising(query, minimiser, cut.zone, qname, result)
                cut.next_question()
                continue
            if isinstance(result, Failure):
                return result
            if minimised and result.kind != Kind.REFERRAL:
                if result.kind == Kind.NXDOMAIN:
                    # Unsigned, this may be a broken server's empty non-terminal (RFC 9156
                    # §3): the full name confirms it, and the shortened denial is not cached.
                    self._stop_minimising(query, minimiser, cut.zone, qname,
                                          MinimiseFallback.NXDOMAIN)
                    cut.next_question()
                    continue
                self._store(result, qtype)
                if result.kind in (Kind.ANSWER, Kind.NODATA):
                    minimiser.exists(qname)  # type: ignore[union-attr]
                else:  # an alias (CNAME, DNAME) or an error: the full name from here
                    minimiser.stop()  # type: ignore[union-attr]
                cut.next_question()
                continue
            if result.kind != Kind.REFERRAL:
                return result
            cut = self.followed(query, cut.zone, result, name, qtype)
        raise query.resolution.abort("max_referrals", name)

    def followed(self, query: Query, zone: str, result: Classified, name: str,
                 qtype: int) -> ZoneCut:
        """A referral from `zone`'s servers towards name: cached, and the zone cut it gives."""
        self._store(result, qtype)
        if self.validator is not None and self.validating(query):
            self.validator.referral(result, name, query.qtype, self.clock())
        query.emit(
            trace.Referral,
            from_zone=zone,
            to_zone=result.referral_zone,
            ns_names=tuple(result.ns_names),
            glue=tuple(f"{name_of(rr)} {rr.rdata}" for rr in result.additional),
        )
        return self._cut_from_referral(result)

    def _stop_minimising(self, query: Query, minimiser: Minimiser | None, zone: str, qname: str,
                         reason: MinimiseFallback) -> None:
        if minimiser is not None:
            minimiser.stop()
        query.emit(trace.MinimisationStopped, zone=zone, qname=qname, reason=reason)

    def _outcome(self, result: Classified, soa: RR | None) -> Outcome:
        """What the walk answers with `result`; `soa` is `result.soa` (as _store returned it)."""
        kind = result.kind
        if kind == Kind.CNAME:
            return Outcome(NOERROR, result.answer, target=result.canonical_name,
                           from_dname=bool(result.dname))
        if kind == Kind.ERROR:  # e.g. YXDOMAIN from a DNAME substitution
            return Outcome(result.rcode, result.answer, canonical_name=result.canonical_name)
        rcode = NXDOMAIN if kind == Kind.NXDOMAIN else NOERROR
        # Minimal responses, like Unbound's default: authority carries only a negative answer's
        # SOA, with the negative TTL (RFC 2308 §3). Answers carry the TTLs the cache gives.
        authority = []
        if soa is not None and kind != Kind.ANSWER:
            authority = [self.cache.clamp_negative(soa)]
        answer = self.cache.clamp(result.answer) if result.answer else []
        return Outcome(rcode, answer, authority, canonical_name=result.canonical_name)

    def known_cut(self, query: Query, name: str) -> ZoneCut | None:
        """The closest zone cut for name that the cache (or a stub zone) knows; None when only
        priming the root can tell."""
        # DS records live in the parent zone (RFC 4035 §3.1.4.1): start above the cut.
        start = parent_of(name) if query.qtype == TYPE_DS else name
        stub_zones = self.stub_zones
        may_hold, delegated = self.cache.may_hold, self.delegations.may_hold
        for zone in ancestors(start):
            if stub_zones and zone in stub_zones:
                return self._stub_cut(query, zone)
            # Most names asked about are no zone cut: two key probes say so (without either
            # key there is no NS RRset and no delegation, and no memoised cut holds).
            if not may_hold(zone, TYPE_NS) and not delegated(zone):
                continue
            cut = self._cut_from_cache(zone)
            if cut is None:
                continue
            if cut.useless():
                query.emit(trace.ZoneCutSkipped, zone=zone, ns_names=tuple(cut.ns_names))
                continue
            if zone == "." and self.cache.get(".", TYPE_NS) is None:
                return None  # only the hints know the root: prime it first
            return self._chosen(query, cut)
        return None

    async def _closest_cut(self, query: Query, name: str) -> ZoneCut:
        cut = self.known_cut(query, name)
        if cut is not None:
            return cut
        await self._prime(query)
        cut = self._cut_from_cache(".")
        if cut is not None and self.cache.get(".", TYPE_NS) is not None:
            return self._chosen(query, cut)
        # Priming failed: walk from the hints themselves.
        query.emit(trace.ZoneCutChosen, zone=".", ns_names=self.hints.ns_names,
                   source=trace.CutSource.HINTS)
        return self._hints_cut()

    def _stub_cut(self, query: Query, zone: str) -> ZoneCut:
        """A configured stub zone: its servers are the zone cut, named by their addresses."""
        cut = ZoneCut(zone, [], source="stub")
        for upstream in self.stub_zones[zone]:
            if self._usable_family(upstream.address):
                cut.add(upstream.address, [upstream.address], Side.HINTS)
        query.emit(trace.ZoneCutChosen, zone=zone, ns_names=tuple(cut.ns_names),
                   source=trace.CutSource.STUB)
        return cut

    async def _forward(self, query: Query, zone: str, name: str) -> Outcome:
        """A name in a forward zone: its recursive resolvers answer it (resolver/forwarder.py),
        the ones that answered quickly first, dead ones last."""
        resolution = query.resolution
        upstreams = sorted(self.forward_zones[zone],
                           key=lambda upstream: self.infra.timeout(upstream.address))

        def on_send(upstream: forwarder.Upstream, transport: str, why: SendReason) -> None:
            if resolution.queries_sent >= resolution.limits.max_upstream_queries:
                raise resolution.abort("max_upstream_queries", resolution.qname)
            resolution.queries_sent += 1
            self.counters["upstream_queries"] += 1
            query.emit(trace.QuerySent, zone=zone, server_name=str(upstream),
                       address=upstream.address, port=upstream.port, protocol=transport,
                       qname=name, qtype=type_name(query.qtype), edns=True, why=why)

        def report(upstream: forwarder.Upstream, ok: bool, rtt: float | None) -> None:
            if ok:
                self.infra.report(upstream.address, zone, Feedback.OK, rtt=rtt)
                return
            self.counters["timeouts"] += 1
            self.infra.report(upstream.address, zone, Feedback.TIMEOUT)
            query.emit(trace.ServerTimeout, zone=zone, server_name=str(upstream),
                       address=upstream.address, protocol="udp", timeout=timeout)

        timeout = max(min(resolution.limits.query_timeout, resolution.remaining()), 0.001)
        result = await forwarder.forward(upstreams, name, query.qtype, transport=self.transport,
                                         cache=self.cache, timeout=timeout, report=report,
                                         on_send=on_send)
        if result.server is None:
            failure = Failure(Cause.NO_REACHABLE_AUTHORITY, zone=zone, subject=name)
            return Outcome(RCODE.SERVFAIL, canonical_name=name, failure=failure)
        return Outcome(result.rcode, result.answer, result.authority, canonical_name=name)

    def _chosen(self, query: Query, cut: ZoneCut) -> ZoneCut:
        if not query.resolution.tracing:
            # Untraced, only the hit counter reads the cached NS RRset: no records rebuilt,
            # and no probe when the cut was just built or checked against it (ZoneCutMemo).
            if cut.ns_cached or self.cache.stamp(cut.zone, TYPE_NS) is not None:
                self.counters["cache_hits"] += 1
            return cut
        ns = self.cache.get(cut.zone, TYPE_NS)
        if ns is not None:
            self._cache_hit(query, cut.zone, TYPE_NS, trace.CacheWhat.ZONE_CUT, ns.ttl,
                            ns.records)
        query.emit(trace.ZoneCutChosen, zone=cut.zone, ns_names=tuple(cut.ns_names),
                   source=trace.CutSource.CACHE)
        return cut

    def _hints_cut(self) -> ZoneCut:
        cut = ZoneCut(".", [], source="hints")
        for name, address in self.hints.all_addresses():
            if self._usable_family(address):
                cut.add(name, [address], Side.HINTS)
        return cut

    async def _prime(self, query: Query) -> None:
        """Ask a root server for the root NS set (RFC 8109) instead of trusting hints alone."""
        query.emit(trace.ZoneCutChosen, zone=".", ns_names=self.hints.ns_names,
                   source=trace.CutSource.PRIMING)
        priming = Query(".", QTYPE.NS, query.depth, query.stack, query.resolution)
        result = await self._ask(priming, self._hints_cut(), ".", QTYPE.NS)
        if isinstance(result, Classified) and result.kind == Kind.ANSWER:
            self._store(result, QTYPE.NS)

    def _cut_from_cache(self, zone: str) -> ZoneCut | None:
        """The zone cut at `zone` from cached data, or None when no NS set is known there.

        NS names: the child's NS set (if cached at referral trust or better) then the parent's.
        Addresses: cached answers are the child's view; cached glue and the stored referral's
        glue are the parent's (tried last when the child published other addresses).
        Built once per zone while those RRsets stay the same (ZoneCutMemo). `zone` is in
        canonical form."""
        cut = self.cut_memo.get(zone, self.cache, self.delegations)
        if cut is not None:
            return cut
        ns = self.cache.get(zone, TYPE_NS, min_trust=Trust.AUTHORITY)
        delegation = self.delegations.get(zone)
        if ns is None and delegation is None:
            return None
        now = self.clock()
        ns_stamp = self.cache.stamp(zone, QTYPE.NS)
        sources: list[RRsetStamp] = [(zone, QTYPE.NS, ns_stamp)]
        expires = now + ns.ttl if ns else math.inf
        if delegation is not None:
            expires = min(expires, delegation.expires, delegation.glue_expires)
        names = [target_of(rr) for rr in ns.records] if ns else []
        names += [n for n in (delegation.ns_names if delegation else ()) if n not in names]
        cut = ZoneCut(zone, [], ns_cached=ns_stamp is not None)
        for ns_name in names:
            cut.add(ns_name, [], Side.PARENT)
            ttl = self._add_cached_addresses(cut, ns_name, sources)
            if ttl is not None:
                expires = min(expires, now + ttl)
        for ns_name, address in delegation.glue if delegation else ():
            if self._usable_family(address):
                cut.add(ns_name, [address], Side.PARENT)
        if zone == ".":  # the hints always know how to reach the roots, whatever the cache lost
            for name, address in self.hints.all_addresses():
                if self._usable_family(address):
                    cut.add(name, [address], Side.HINTS)
        self.cut_memo.put(zone, cut, sources, delegation.serial if delegation else None, expires)
        return cut

    def _add_cached_addresses(self, cut: ZoneCut, ns_name: str,
                              sources: list[RRsetStamp] | None = None) -> int | None:
        """Add ns_name's cached addresses to the cut; with `sources`, record which RRsets were
        read there. Returns the smallest TTL among them (None without any)."""
        smallest = None
        for rtype in (QTYPE.A, QTYPE.AAAA):
            if sources is not None:
                sources.append((ns_name, rtype, self.cache.stamp(ns_name, rtype)))
            hit = self.cache.get(ns_name, rtype)
            if hit is None:
                continue
            smallest = hit.ttl if smallest is None else min(smallest, hit.ttl)
            side = Side.CHILD if hit.trust >= Trust.ANSWER_NONAUTH else Side.PARENT
            usable = [str(rr.rdata) for rr in hit.records if self._usable_family(str(rr.rdata))]
            cut.add(ns_name, usable, side)
        return smallest

    def _cut_from_referral(self, result: Classified) -> ZoneCut:
        """The zone cut a referral just gave: its NS names and glue (used even with TTL 0,
        for this walk only), plus what the cache knows of those names' addresses."""
        zone = result.referral_zone
        cut = ZoneCut(zone, [], source="referral")
        glue: list[tuple[str, str, int]] = []
        for ns_name in result.ns_names:
            cut.add(ns_name, [], Side.PARENT)
            for rr in result.additional:
                if name_of(rr) == ns_name and self._usable_family(str(rr.rdata)):
                    cut.add(ns_name, [str(rr.rdata)], Side.PARENT)
                    glue.append((ns_name, str(rr.rdata), self.cache.clamp([rr])[0].ttl))
            self._add_cached_addresses(cut, ns_name)
        ns_ttls = [(target_of(rr), self.cache.clamp([rr])[0].ttl) for rr in result.authority
                   if rr.rtype == QTYPE.NS]
        self.delegations.put(zone, ns_ttls, glue)
        return cut

    def _usable_family(self, address: str) -> bool:
        return not (self.ipv4_only and ":" in address)

    # ---- choosing and asking servers ---------------------------------------------------------

    async def _ask(
        self, query: Query, cut: ZoneCut, name: str, qtype: int, *, minimised: bool = False
    ) -> Classified | Failure | MinimiseFallback:
        """Ask the zone's servers, as the zone cut directs, until one gives a usable reply;
        a bad reply to a `minimised` question is not held against the server: the
        MinimiseFallback says why the full question should be asked instead."""
        zone = cut.zone
        limits = query.resolution.limits
        provisional: Classified | None = None
        why = SendReason.FIRST
        while True:
            choice = cut.next_choice(
                choose=self.infra.choose,
                probe_due=self.infra.probe_due,
                max_attempts=MAX_ATTEMPTS_PER_SERVER,
            )
            if isinstance(choice, Exhausted):
                if provisional is not None:  # nobody did better than an empty NOERROR
                    return provisional
                if choice.backed_off:
                    cause = Cause.BACKED_OFF
                elif not cut.tried:
                    cause = Cause.NO_SERVER_ADDRESS
                elif cut.failed:
                    cause = Cause.SERVERS_FAILED
                else:
                    cause = Cause.NO_REACHABLE_AUTHORITY
                return Failure(cause, zone=zone, subject=name)
            if isinstance(choice, ResolveName):
                cut.looked_up.add(choice.ns_name)
                if len(cut.looked_up) > limits.max_ns_lookups_per_delegation:
                    query.emit(trace.LimitReached, limit="max_ns_lookups_per_delegation",
                               value=limits.max_ns_lookups_per_delegation, subject=zone)
                    cut.looked_up.update(cut.ns_names)  # resolve no more names for this cut
                    continue
                addresses = await self._lookup_ns_address(query, choice.ns_name, zone)
                cut.add(choice.ns_name, addresses, Side.CHILD)
                continue
            address, server = choice.address, choice.ns_name
            refusal = self.policy.refusal(address)
            if refusal:
                cut.failed.add(address)
                cut.attempt(address)
                query.emit(trace.ServerFailed, zone=zone, server_name=server, address=address,
                           problem=Problem.FORBIDDEN, detail=refusal)
                continue
            attempt = cut.attempt(address)
            if choice.probe:
                why = SendReason.PROBE
            elif choice.last_resort:
                why = SendReason.LAST_RESORT
            elif attempt > 0:
                why = SendReason.RETRANSMIT
            reply = await self._exchange(query, zone, address, server, name, qtype, attempt, why)
            why = SendReason.NEXT_SERVER
            if isinstance(reply, Problem):
                cut.failed.add(address)
                cut.timed_out.discard(address)
                continue
            if isinstance(reply, QueryTimeout):
                cut.timed_out.add(address)
                continue
            result = self.classified(query, zone, reply, address, server, name, qtype)
            if unusable(result):
                if minimised:
                    return _MINIMISE_FALLBACK.get(result.rcode, MinimiseFallback.LAME)
                self.infra.report(address, zone, lame_feedback(result))
                cut.failed.add(address)
                cut.timed_out.discard(address)
                continue
            if result.chain_truncated:
                raise query.resolution.abort("max_cname_links", name)
            if result.kind == Kind.NODATA and result.provisional:
                provisional = provisional or result
                cut.failed.add(address)
                cut.timed_out.discard(address)
                continue
            return result

    def classified(self, query: Query, zone: str, reply: Reply, address: str, server: str,
                   name: str, qtype: int) -> Classified:
        """What the reply is (classify.py), reported to the trace."""
        result = reply.classified or classify(reply.message, zone, name, qtype,
                                              max_chain=query.resolution.limits.max_cname_links)
        if query.resolution.tracing:  # its records in zone-file text: the dearest event
            self._report(query, result, reply, address, server, name, qtype)
        return result

    async def _lookup_ns_address(self, query: Query, ns_name: str, zone: str) -> list[str]:
        """Resolve a glueless NS name's addresses as a nested resolution."""
        resolution = query.resolution
        limits = resolution.limits
        if query.depth + 1 > limits.max_subresolution_depth:
            query.emit(trace.LimitReached, limit="max_subresolution_depth",
                       value=limits.max_subresolution_depth, subject=ns_name)
            return []
        resolution.subresolutions += 1
        if resolution.subresolutions > limits.max_subresolutions:
            raise resolution.abort("max_subresolutions", resolution.qname)
        if ns_name in query.stack:  # we are already resolving this name further up: a cycle
            query.emit(trace.ServerFailed, zone=zone, server_name=ns_name, address="",
                       problem=Problem.CYCLIC_DEPENDENCY)
            return []
        addresses: list[str] = []
        for rtype in (QTYPE.A,) if self.ipv4_only else (QTYPE.A, QTYPE.AAAA):
            sub = query.nested(ns_name, rtype)
            sub.emit(trace.ResolutionStarted, qname=ns_name, qtype=type_name(rtype),
                     ns_of_zone=zone)
            outcome = await self._resolve(sub)
            addresses += [
                str(rr.rdata)
                for rr in outcome.answer
                if rr.rtype == rtype and name_of(rr) == outcome.canonical_name
            ]
            if addresses:
                break  # one family is enough to reach the server
        query.emit(trace.SubResolutionDone, ns_name=ns_name, addresses=tuple(addresses))
        # Depth is that of the sub-walk, so the renderer closes its block.
        return addresses

    async def _exchange(
        self, query: Query, zone: str, address: str, server: str, qname: str, qtype: int,
        attempt: int, why: SendReason,
    ) -> Reply | QueryTimeout | Problem:
        """One server, one question: UDP with EDNS, TCP on truncation, no EDNS after FORMERR.

        Returns the reply; a QueryTimeout when it did not answer in time (it may be retried);
        the Problem when it failed for good in this walk (unreachable, malformed)."""
        edns = self.infra.edns_ok(address)
        tcp = query.resolution.tcp
        while True:
            sending = self.outgoing(query, zone, address, server, qname, qtype, attempt, why,
                                    edns, tcp)
            try:
                exchange = await self.transport.query(
                    address, sending.port, sending.message, timeout=sending.timeout, tcp=tcp
                )
            except QueryTimeout as timed_out:
                self.timed_out(query, zone, address, server, sending)
                return timed_out
            except TransportError as exc:
                return self.unreachable(query, zone, address, server, exc)
            verdict = self.arrived(query, zone, address, server, qname, qtype, sending,
                                   exchange.raw, exchange.rtt)
            if not isinstance(verdict, SendReason):
                return verdict
            why = verdict  # the same server again, asked differently
            if verdict == SendReason.TRUNCATED:
                tcp = True
            elif verdict == SendReason.EDNS_REJECTED:
                edns = False

    def outgoing(
        self, query: Query, zone: str, address: str, server: str, qname: str, qtype: int,
        attempt: int, why: SendReason, edns: bool, tcp: bool,
    ) -> Outgoing:
        """The next send of qname/qtype to address, counted against the budget; raises
        WalkAborted when the budget or the deadline is spent."""
        resolution = query.resolution
        limits = resolution.limits
        if resolution.queries_sent >= limits.max_upstream_queries:
            raise resolution.abort("max_upstream_queries", resolution.qname)
        # resolution.remaining(), inline: one clock reading, no call per step
        remaining = limits.lifetime - (resolution.clock() - resolution.started)
        if remaining <= 0:
            raise resolution.abort("lifetime", resolution.qname)
        cap = limits.query_timeout * (2 if tcp else 1)  # TCP costs a handshake more
        timeout = min(self.infra.timeout(address, tcp=tcp, attempt=attempt), cap, remaining)
        asked = qname
        if self.use_0x20 and address not in self._case_ignorant:
            asked = case0x20.randomise_case(qname)
        message = wire.build_query(asked, qtype, new_query_id(),
                                   edns_payload=protocol.EDNS_PAYLOAD if edns else None,
                                   do=edns and self.validator is not None)
        resolution.queries_sent += 1
        self.counters["upstream_queries"] += 1
        transport = "tcp" if tcp else "udp"
        port = self.server_ports.get(address, self.upstream_port)
        if resolution.tracing:  # its fields cost something to gather
            query.emit(trace.QuerySent, zone=zone, server_name=server, address=address,
                       port=port, protocol=transport, qname=asked,
                       qtype=type_name(qtype), edns=edns, why=why, attempt=attempt,
                       timeout=timeout)
        return Outgoing(asked, message, timeout, port, transport, edns, timeout >= remaining)

    def timed_out(self, query: Query, zone: str, address: str, server: str,
                  sending: Outgoing) -> None:
        """No reply to `sending` in time: the server's feedback; raises WalkAborted when the
        walk's deadline, not the server's RTO, cut this wait."""
        self.counters["timeouts"] += 1
        self.infra.report(address, zone, Feedback.TIMEOUT)
        query.emit(trace.ServerTimeout, zone=zone, server_name=server, address=address,
                   protocol=sending.transport, timeout=sending.timeout)
        if sending.deadline_bound:
            raise query.resolution.abort("lifetime", query.resolution.qname) from None

    def unreachable(self, query: Query, zone: str, address: str, server: str,
                    exc: TransportError) -> Problem:
        self.infra.report(address, zone, Feedback.UNREACHABLE)
        query.emit(trace.ServerFailed, zone=zone, server_name=server, address=address,
                   problem=Problem.UNREACHABLE, detail=str(exc))
        return Problem.UNREACHABLE

    def arrived(
        self, query: Query, zone: str, address: str, server: str, qname: str, qtype: int,
        sending: Outgoing, raw: bytes, rtt: float,
    ) -> Reply | Problem | SendReason:
        """A reply to `sending` came: the Reply; the Problem that rules this server out for
        this walk (malformed); or why the same server is asked again (a SendReason:
        truncated, so over TCP; EDNS rejected, so without; letter case not echoed, so plain)."""
        self.infra.report(address, zone, Feedback.OK, rtt=rtt)
        if sending.asked != qname:
            restored = self._check_case(query, zone, server, address, raw, sending.asked, qname)
            if restored is None:
                return SendReason.CASE_NOT_ECHOED  # asked again in plain case
            raw = restored
        transport = sending.transport
        negative = classify_negative(raw, zone, qname, qtype)
        if negative is not None:  # NXDOMAIN/NODATA with the SOA alone: no dnslib parse
            return Reply(None, rtt, len(raw), transport, negative)
        try:
            reply = DNSRecord.parse(raw)
        except Exception:  # dnslib raises assorted errors on malformed data
            if _parses(sending.message):  # else our own question (non-UTF-8 octets) is at fault
                self.infra.report(address, zone, Feedback.MALFORMED)
            query.emit(trace.ServerFailed, zone=zone, server_name=server, address=address,
                       problem=Problem.MALFORMED)
            return Problem.MALFORMED
        received = Reply(reply, rtt, len(raw), transport)
        if reply.header.tc and transport == "udp":
            self.infra.report(address, zone, Feedback.TRUNCATED)
            self._report_plain(query, zone, server, address, received, "truncated")
            return SendReason.TRUNCATED
        no_opt = not any(rr.rtype == QTYPE.OPT for rr in reply.ar)
        if sending.edns and no_opt and reply.header.rcode in (RCODE.FORMERR, RCODE.NOTIMP):
            self.infra.report(address, zone, Feedback.EDNS_REJECTED)
            self._report_plain(query, zone, server, address, received, "edns_rejected")
            return SendReason.EDNS_REJECTED
        return received

    def _check_case(self, query: Query, zone: str, server: str, address: str, raw: bytes,
                    asked: str, qname: str) -> bytes | None:
        """0x20 (case0x20.py): the reply in the walk's case if it echoed ours, else None and
        the server is remembered as not preserving case."""
        asked_octets = case0x20.question_octets(asked)
        if case0x20.echoed(raw, asked_octets):
            return case0x20.restore_case(raw, asked_octets, case0x20.question_octets(qname))
        if len(self._case_ignorant) >= case0x20.MAX_CASE_IGNORANT:
            self._case_ignorant.clear()
        self._case_ignorant.add(address)
        query.emit(trace.ServerFailed, zone=zone, server_name=server, address=address,
                   problem=Problem.CASE_NOT_ECHOED)
        return None

    # ---- reporting and caching --------------------------------------------------------------

    def _report_plain(self, query: Query, zone: str, server: str, address: str, reply: Reply,
                      classification: str) -> None:
        if reply.message is None:  # classified from the wire: never truncated nor refused
            return
        query.emit(
            trace.ResponseReceived,
            zone=zone,
            server_name=server,
            address=address,
            protocol=reply.protocol,
            rcode=protocol.rcode_name(reply.message.header.rcode),
            classification=classification,
            rtt=reply.rtt,
            size=reply.size,
            aa=bool(reply.message.header.aa),
        )

    def _report(self, query: Query, result: Classified, reply: Reply, address: str,
                server: str, qname: str, qtype: int) -> None:
        if not query.resolution.tracing:
            return  # its records in zone-file text are the dearest event of a walk
        final = [rr for rr in result.answer
                 if rr.rtype == qtype and name_of(rr) == result.canonical_name]
        query.emit(
            trace.ResponseReceived,
            zone=result.zone,
            server_name=server,
            address=address,
            protocol=reply.protocol,
            rcode=protocol.rcode_name(result.rcode),
            classification=str(result.kind),
            rtt=reply.rtt,
            size=reply.size,
            aa=result.aa,
            records=zone_text(result.answer + result.signatures + result.authority
                              + result.proof + result.additional),
            sections=(*[trace.Section.ANSWER] * (len(result.answer) + len(result.signatures)),
                      *[trace.Section.AUTHORITY] * (len(result.authority) + len(result.proof)),
                      *[trace.Section.ADDITIONAL] * len(result.additional)),
            qname=qname,
            qtype=type_name(qtype),
            answers=len(final),
            canonical_name=result.canonical_name,
            referral_zone=result.referral_zone,
            ns_names=len(result.ns_names),
            glue=len(result.additional) if result.kind == Kind.REFERRAL else 0,
            lame_reason=str(result.reason) if result.kind in (Kind.LAME, Kind.ERROR) else "",
            provisional=result.provisional,
        )
        if result.dropped:
            query.emit(
                trace.Scrubbed,
                server_name=server,
                zone=result.zone,
                records=zone_text([rr for rr, _ in result.dropped]),
                reasons=tuple(str(reason) for _, reason in result.dropped),
            )

    def _store(self, result: Classified, qtype: int,
               security: Security | None = None) -> RR | None:
        """Cache a scrubbed response at the trust each RRset earned (RFC 2181 §5.4.1), the
        answer's RRsets and a denial with their DNSSEC status (None: not validated). Returns
        the response's SOA record (`result.soa`), None without one."""
        status = security.value if security is not None else None
        if result.rrsets:  # a plain negative answer has none
            answer = {id(rr) for rr in result.answer}
            for records, trust in result.rrsets:
                mine = id(records[0]) in answer
                self.cache.put(records, trust, security=status if mine else None,
                               rrsigs=signatures_for(records, result.signatures + result.proof))
        soa = result.soa
        if soa is None or result.provisional:
            return soa
        trust = Trust.AUTH_AUTHORITY if result.aa else Trust.ANSWER_NONAUTH
        kind = result.kind
        if kind == Kind.NXDOMAIN:
            self.cache.put_negative(result.canonical_name, None, NXDOMAIN, soa, trust,
                                    security=status, proof=result.proof)
        elif kind == Kind.NODATA:
            self.cache.put_negative(result.canonical_name, qtype, NOERROR, soa, trust,
                                    security=status, proof=result.proof)
        return soa


def unusable(result: Classified) -> bool:
    """A lame or error reply, which sends the walk to another server (a DNAME's YXDOMAIN is
    an answer)."""
    kind = result.kind
    return kind in (Kind.LAME, Kind.ERROR) and result.rcode != YXDOMAIN


def lame_feedback(result: Classified) -> Feedback:
    """What an unusable reply tells server selection."""
    return _FEEDBACK.get(result.rcode, Feedback.LAME)


_STRENGTH = [Security.BOGUS, Security.INDETERMINATE, Security.INSECURE, Security.SECURE]


def _weakest(statuses: list[Security | None]) -> Security | None:
    """The status of a CNAME chain: its weakest link (None if any link was not validated)."""
    if not statuses or any(s is None for s in statuses):
        return None
    return min(statuses, key=lambda s: _STRENGTH.index(s))  # type: ignore[arg-type]


def _security(value: str | None) -> Security | None:
    return Security(value) if value is not None else None

