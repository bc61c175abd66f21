"""The iterative walk: from the closest known zone cut down to an answer.

One `Walk` is one resolution the caller asked for. It starts at the deepest zone cut in the
cache (the root, from root hints, when the cache is cold), asks a server of that zone, classifies
and scrubs the reply (classify.py), caches what is safe, and follows referrals, CNAMEs and
glueless delegations until it has an answer, a negative answer, or a reason to give up.

The walk never touches a socket: it talks to the network through a `Transport` and reads time
from an injectable clock, so the same code runs over real UDP/TCP, over the in-process lab, or
over a scripted fake network in a unit test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dnslib import QTYPE, RCODE, RR, DNSRecord

from resolver import trace, wire
from resolver.cache import RRsetCache, Trust
from resolver.classify import Classified, Kind, classify, name_of, target_of
from resolver.hints import RootHints
from resolver.infra import InfraCache
from resolver.policy import AddressPolicy
from resolver.transport import QueryTimeout, Transport, TransportError, new_query_id

# Limits. Each bounds work an attacker (or a broken zone) can make us do for one question;
# exceeding any of them ends the resolution with SERVFAIL, quickly.
MAX_UPSTREAM_QUERIES = 64  # per resolution, sub-resolutions included: caps NXNSAttack amplification
MAX_REFERRALS = 24  # zone cuts followed in one walk; real names have well under 10
MAX_CNAME_LINKS = 12  # CNAME/restart hops; longer chains are loops or abuse (Unbound allows 11)
MAX_SUBRESOLUTION_DEPTH = 3  # nesting of glueless NS address lookups (A needs B needs C)
MAX_NS_LOOKUPS_PER_DELEGATION = 4  # NS names resolved for one zone cut: NXNSAttack mitigation
MAX_SUBRESOLUTIONS = 16  # NS address lookups in one resolution, even those the cache answers
DEFAULT_LIFETIME = 10.0  # overall deadline of one resolution, seconds
DEFAULT_QUERY_TIMEOUT = 2.0  # upper bound of one upstream query's timeout (infra RTO below it)
EDNS_PAYLOAD = 1232  # DNS flag day 2020: avoids IP fragmentation on common paths


class WalkAborted(Exception):
    """A limit or the deadline stopped the walk; the resolution answers SERVFAIL."""

    def __init__(self, limit: str, value: float, detail: str) -> None:
        super().__init__(f"{limit} ({value}) reached: {detail}")
        self.limit, self.value, self.detail = limit, value, detail


@dataclass
class Outcome:
    """Where a walk ended: rcode with answer and authority sections."""

    rcode: int
    answer: list[RR] = field(default_factory=list)
    authority: list[RR] = field(default_factory=list)
    canonical_name: str = ""
    target: str = ""  # for a CNAME step: the name to restart at


@dataclass
class Reply:
    """A parsed upstream reply and how it arrived."""

    message: DNSRecord
    rtt: float
    size: int
    protocol: str


@dataclass
class Delegation:
    """A zone cut: the zone, its NS names, and the addresses we know for them."""

    zone: str
    ns_names: list[str]
    addresses: dict[str, str]  # address -> NS name it belongs to

    def unresolved(self) -> list[str]:
        have = set(self.addresses.values())
        return [n for n in self.ns_names if n not in have]


@dataclass
class Walk:
    """State of one resolution: its trace, its budget and its deadline."""

    qname: str
    qtype: int
    clock: Callable[[], float]
    lifetime: float
    started: float = 0.0
    queries_sent: int = 0
    subresolutions: int = 0
    events: list[trace.TraceEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def emit(self, event_type: type[trace.TraceEvent], depth: int, **fields: object) -> None:
        self.events.append(event_type(depth=depth, elapsed=self.elapsed(), **fields))

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float:
        return self.lifetime - self.elapsed()


def type_name(rtype: int) -> str:
    return QTYPE.get(rtype, f"TYPE{rtype}")


def zone_text(records: list[RR]) -> tuple[str, ...]:
    """Records in zone-file form for the trace (tabs folded to single spaces)."""
    return tuple(" ".join(rr.toZone().split()) for rr in records)


def group_rrsets(records: list[RR]) -> list[list[RR]]:
    """Split records into RRsets: same owner (case-insensitive), type and class."""
    groups: dict[tuple[str, int, int], list[RR]] = {}
    for rr in records:
        groups.setdefault((name_of(rr), rr.rtype, rr.rclass), []).append(rr)
    return list(groups.values())


def parent_of(name: str) -> str:
    return "." if name == "." or "." not in name.rstrip(".") else name.split(".", 1)[1]


class Iterator:
    """Runs walks against a cache, an infra cache and a transport."""

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
        query_timeout: float = DEFAULT_QUERY_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache = cache
        self.infra = infra
        self.transport = transport
        self.hints = hints
        self.policy = policy
        self.upstream_port = upstream_port
        self.ipv4_only = ipv4_only
        self.query_timeout = query_timeout
        self.clock = clock
        self.counters = {"upstream_queries": 0, "timeouts": 0, "cache_hits": 0}

    # ---- public -----------------------------------------------------------------------------

    async def run(self, walk: Walk) -> Outcome:
        """Resolve walk.qname/walk.qtype; limits and the deadline turn into SERVFAIL."""
        walk.emit(trace.ResolutionStarted, 0, qname=walk.qname, qtype=type_name(walk.qtype))
        try:
            outcome = await self._resolve(walk.qname, walk.qtype, walk, 0, frozenset())
        except WalkAborted as abort:
            walk.emit(
                trace.LimitReached, 0, limit=abort.limit, value=abort.value, detail=abort.detail
            )
            outcome = Outcome(RCODE.SERVFAIL, canonical_name=walk.qname)
        walk.emit(
            trace.ResolutionFinished,
            0,
            qname=walk.qname,
            qtype=type_name(walk.qtype),
            rcode=RCODE.get(outcome.rcode),
            records=zone_text(outcome.answer),
            upstream_queries=walk.queries_sent,
        )
        return outcome

    # ---- names and CNAME chains ---------------------------------------------------------------

    async def _resolve(
        self, qname: str, qtype: int, walk: Walk, depth: int, stack: frozenset
    ) -> Outcome:
        """Answer qname/qtype from cache or by walking, following CNAMEs across zones."""
        chain: list[RR] = []
        current = qname.lower()
        seen = {current}
        for _ in range(MAX_CNAME_LINKS + 1):
            step = self._from_cache(current, qtype, walk, depth)
            if step is None:
                step = await self._walk_zones(current, qtype, walk, depth, stack)
            if step.rcode != RCODE.NOERROR or not step.target:
                step.answer = chain + step.answer
                step.canonical_name = step.canonical_name or current
                return step
            chain += step.answer
            if step.target in seen:
                raise WalkAborted(
                    "MAX_CNAME_LINKS", MAX_CNAME_LINKS, f"CNAME loop at {step.target}"
                )
            seen.add(step.target)
            walk.emit(trace.CnameRestart, depth, from_name=current, to_name=step.target)
            current = step.target
        raise WalkAborted("MAX_CNAME_LINKS", MAX_CNAME_LINKS, f"CNAME chain from {qname} too long")

    def _from_cache(self, name: str, qtype: int, walk: Walk, depth: int) -> Outcome | None:
        """A cached answer, negative answer or CNAME for name/qtype; glue never answers."""
        hit = self.cache.get(name, qtype, min_trust=Trust.ANSWER_NONAUTH)
        if hit:
            self._cache_hit(walk, depth, name, qtype, "answer", hit.ttl, hit.records)
            return Outcome(RCODE.NOERROR, list(hit.records), canonical_name=name)
        negative = self.cache.get_negative(name, qtype)
        if negative:
            what = (
                "negative answer (NXDOMAIN)"
                if negative.rtype is None
                else "negative answer (NODATA)"
            )
            self._cache_hit(walk, depth, name, qtype, what, negative.ttl, negative.soa)
            return Outcome(negative.rcode, [], list(negative.soa), canonical_name=name)
        if qtype != QTYPE.CNAME:
            cname = self.cache.get(name, QTYPE.CNAME, min_trust=Trust.ANSWER_NONAUTH)
            if cname:
                self._cache_hit(walk, depth, name, QTYPE.CNAME, "CNAME", cname.ttl, cname.records)
                return Outcome(
                    RCODE.NOERROR, list(cname.records), target=target_of(cname.records[0])
                )
        return None

    def _cache_hit(
        self, walk: Walk, depth: int, name: str, qtype: int, what: str, ttl: int, records
    ) -> None:
        self.counters["cache_hits"] += 1
        walk.emit(
            trace.CacheHit,
            depth,
            name=name,
            qtype=type_name(qtype),
            what=what,
            ttl=ttl,
            records=zone_text(list(records)),
        )

    # ---- zone cuts and referrals ---------------------------------------------------------------

    async def _walk_zones(
        self, qname: str, qtype: int, walk: Walk, depth: int, stack: frozenset
    ) -> Outcome:
        """Ask servers from the closest zone cut down, following referrals."""
        delegation = await self._closest_delegation(qname, qtype, walk, depth, stack)
        for _ in range(MAX_REFERRALS):
            result = await self._ask_delegation(delegation, qname, qtype, walk, depth, stack)
            if result is None:
                return Outcome(RCODE.SERVFAIL, canonical_name=qname)
            self._store(result, qtype)
            if result.kind != Kind.REFERRAL:
                return self._outcome(result)
            glue = [f"{name_of(rr)} {rr.rdata}" for rr in result.additional]
            walk.emit(
                trace.Referral,
                depth,
                from_zone=delegation.zone,
                to_zone=result.referral_zone,
                ns_names=tuple(result.ns_names),
                glue=tuple(glue),
            )
            delegation = self._delegation_from_cache(result.referral_zone, result.ns_names)
        raise WalkAborted("MAX_REFERRALS", MAX_REFERRALS, f"too many zone cuts for {qname}")

    def _outcome(self, result: Classified) -> Outcome:
        if result.kind == Kind.CNAME:
            return Outcome(RCODE.NOERROR, result.answer, target=result.canonical_name)
        rcode = RCODE.NXDOMAIN if result.kind == Kind.NXDOMAIN else RCODE.NOERROR
        # Minimal responses, like Unbound's default: authority carries only a negative answer's
        # SOA. The zone's NS set is cached, but repeating it in every reply only adds size.
        authority = [] if result.kind == Kind.ANSWER else result.authority
        return Outcome(rcode, result.answer, authority, canonical_name=result.canonical_name)

    async def _closest_delegation(
        self, qname: str, qtype: int, walk: Walk, depth: int, stack: frozenset
    ) -> Delegation:
        # DS records live in the parent zone (RFC 4035 §3.1.4.1): start above the cut.
        start = parent_of(qname) if qtype == QTYPE.DS else qname
        cut = self.cache.closest_zone_cut(start)
        if cut is None or cut[0] == ".":
            if cut is None:
                await self._prime(walk, depth, stack)
                cut = self.cache.closest_zone_cut(start)
            if cut is None:  # priming failed: walk from the hints themselves
                walk.emit(
                    trace.ZoneCutChosen,
                    depth,
                    zone=".",
                    ns_names=self.hints.ns_names,
                    source="root hints",
                )
                return self._hints_delegation()
        zone, rrset = cut
        ns_names = [target_of(rr) for rr in rrset.records]
        self._cache_hit(walk, depth, zone, QTYPE.NS, "zone cut", rrset.ttl, rrset.records)
        walk.emit(trace.ZoneCutChosen, depth, zone=zone, ns_names=tuple(ns_names), source="cache")
        return self._delegation_from_cache(zone, ns_names)

    def _hints_delegation(self) -> Delegation:
        addresses = {
            addr: name for name, addr in self.hints.all_addresses() if self._usable_family(addr)
        }
        return Delegation(".", list(self.hints.ns_names), addresses)

    async def _prime(self, walk: Walk, depth: int, stack: frozenset) -> None:
        """Ask a root server for the root NS set (RFC 8109) instead of trusting hints alone."""
        walk.emit(
            trace.ZoneCutChosen,
            depth,
            zone=".",
            ns_names=self.hints.ns_names,
            source="root hints (priming the root NS set)",
        )
        result = await self._ask_delegation(
            self._hints_delegation(), ".", QTYPE.NS, walk, depth, stack
        )
        if result is not None and result.kind == Kind.ANSWER:
            self._store(result, QTYPE.NS)

    def _delegation_from_cache(self, zone: str, ns_names: list[str]) -> Delegation:
        addresses: dict[str, str] = {}
        if zone == ".":  # the hints always know how to reach the roots, whatever the cache lost
            addresses.update(self._hints_delegation().addresses)
        for ns in ns_names:
            for rtype in (QTYPE.A, QTYPE.AAAA):
                hit = self.cache.get(ns, rtype)
                for rr in hit.records if hit else ():
                    if self._usable_family(str(rr.rdata)):
                        addresses.setdefault(str(rr.rdata), ns)
        return Delegation(zone, list(ns_names), addresses)

    def _usable_family(self, address: str) -> bool:
        return not (self.ipv4_only and ":" in address)

    # ---- choosing and asking servers ---------------------------------------------------------

    async def _ask_delegation(
        self,
        delegation: Delegation,
        qname: str,
        qtype: int,
        walk: Walk,
        depth: int,
        stack: frozenset,
    ) -> Classified | None:
        """Ask the zone's servers in turn until one gives a usable reply; None if none does."""
        zone = delegation.zone
        tried: set[str] = set()
        lookups = 0
        reason = ""
        pending = delegation.unresolved()
        while True:
            candidates = [a for a in delegation.addresses if a not in tried]
            for address in [a for a in candidates if not self.policy.permits(a)]:
                tried.add(address)
                candidates.remove(address)
                self._server_failed(
                    walk,
                    depth,
                    zone,
                    delegation.addresses[address],
                    address,
                    f"not queried: {self.policy.refusal(address)}",
                )
            if not candidates:
                # Servers with known addresses are exhausted: resolve a glueless NS name.
                if not pending:
                    return None
                if lookups >= MAX_NS_LOOKUPS_PER_DELEGATION:
                    walk.emit(
                        trace.LimitReached,
                        depth,
                        limit="MAX_NS_LOOKUPS_PER_DELEGATION",
                        value=MAX_NS_LOOKUPS_PER_DELEGATION,
                        detail=f"for zone {zone}",
                    )
                    return None
                ns_name = pending.pop(0)
                lookups += 1
                for address in await self._lookup_ns_address(ns_name, zone, walk, depth, stack):
                    delegation.addresses.setdefault(address, ns_name)
                continue
            address = self.infra.order(candidates, zone)[0]
            tried.add(address)
            server_name = delegation.addresses[address]
            reply = await self._exchange(
                address, server_name, zone, qname, qtype, walk, depth, reason
            )
            if reply is None:
                reason = f"previous server {server_name} ({address}) failed"
                continue
            result = classify(reply.message, zone, qname, qtype)
            self._report(result, reply, address, server_name, qname, qtype, walk, depth)
            if result.kind in (Kind.LAME, Kind.ERROR):
                self.infra.mark_lame(address, zone)
                reason = f"{server_name} ({address}) was lame: {result.reason}"
                continue
            return result

    async def _lookup_ns_address(
        self, ns_name: str, zone: str, walk: Walk, depth: int, stack: frozenset
    ) -> list[str]:
        """Resolve a glueless NS name's addresses as a nested resolution."""
        if depth + 1 > MAX_SUBRESOLUTION_DEPTH:
            walk.emit(
                trace.LimitReached,
                depth,
                limit="MAX_SUBRESOLUTION_DEPTH",
                value=MAX_SUBRESOLUTION_DEPTH,
                detail=f"not resolving {ns_name} for {zone}",
            )
            return []
        walk.subresolutions += 1
        if walk.subresolutions > MAX_SUBRESOLUTIONS:
            raise WalkAborted(
                "MAX_SUBRESOLUTIONS", MAX_SUBRESOLUTIONS, f"NS address lookups for {walk.qname}"
            )
        if ns_name in stack:  # we are already resolving this name further up: a cycle
            self._server_failed(
                walk,
                depth,
                zone,
                ns_name,
                "",
                "cyclic dependency: this NS name's address needs this very lookup",
            )
            return []
        inner = stack | {ns_name}
        addresses: list[str] = []
        for rtype in (QTYPE.A,) if self.ipv4_only else (QTYPE.A, QTYPE.AAAA):
            walk.emit(
                trace.ResolutionStarted,
                depth + 1,
                qname=ns_name,
                qtype=type_name(rtype),
                reason=f"address of {ns_name}, a name server for {zone} given without glue",
            )
            outcome = await self._resolve(ns_name, rtype, walk, depth + 1, inner)
            addresses += [
                str(rr.rdata)
                for rr in outcome.answer
                if rr.rtype == rtype and name_of(rr) == outcome.canonical_name
            ]
            if addresses:
                break  # one family is enough to reach the server
        walk.emit(trace.SubResolutionDone, depth + 1, ns_name=ns_name, addresses=tuple(addresses))
        return addresses

    async def _exchange(
        self,
        address: str,
        server_name: str,
        zone: str,
        qname: str,
        qtype: int,
        walk: Walk,
        depth: int,
        reason: str,
    ) -> Reply | None:
        """One server, one question: UDP with EDNS, then TCP on truncation, no-EDNS on FORMERR."""
        edns = self.infra.edns_ok(address)
        tcp = False
        while True:
            if walk.queries_sent >= MAX_UPSTREAM_QUERIES:
                raise WalkAborted(
                    "MAX_UPSTREAM_QUERIES", MAX_UPSTREAM_QUERIES, f"resolving {walk.qname}"
                )
            remaining = walk.remaining()
            if remaining <= 0:
                raise WalkAborted(
                    "LIFETIME", walk.lifetime, f"deadline passed resolving {walk.qname}"
                )
            timeout = min(self.infra.rto(address), self.query_timeout, remaining)
            query = wire.build_query(
                qname, qtype, new_query_id(), edns_payload=EDNS_PAYLOAD if edns else None
            )
            walk.queries_sent += 1
            self.counters["upstream_queries"] += 1
            protocol = "tcp" if tcp else "udp"
            walk.emit(
                trace.QuerySent,
                depth,
                zone=zone,
                server_name=server_name,
                address=address,
                port=self.upstream_port,
                protocol=protocol,
                qname=qname,
                qtype=type_name(qtype),
                edns=edns,
                reason=reason,
            )
            try:
                exchange = await self.transport.query(
                    address, self.upstream_port, query, timeout=timeout, tcp=tcp
                )
            except QueryTimeout:
                self.counters["timeouts"] += 1
                self.infra.record_timeout(address)
                walk.emit(
                    trace.ServerTimeout,
                    depth,
                    zone=zone,
                    server_name=server_name,
                    address=address,
                    protocol=protocol,
                    timeout=timeout,
                )
                if timeout >= remaining:  # the deadline, not the server's RTO, cut this wait
                    raise WalkAborted(
                        "LIFETIME", walk.lifetime, f"deadline passed resolving {walk.qname}"
                    ) from None
                return None
            except TransportError as exc:
                self.infra.record_timeout(address)  # unreachable: back off like a timeout
                self._server_failed(walk, depth, zone, server_name, address, str(exc))
                return None
            self.infra.record_rtt(address, exchange.rtt)
            try:
                reply = DNSRecord.parse(exchange.raw)
            except Exception:  # dnslib raises assorted errors on malformed data
                self._server_failed(walk, depth, zone, server_name, address, "malformed reply")
                return None
            arrived = Reply(reply, exchange.rtt, len(exchange.raw), protocol)
            if reply.header.tc and not tcp:
                self._report_plain(
                    walk,
                    depth,
                    zone,
                    server_name,
                    address,
                    arrived,
                    "truncated",
                    "truncated (TC=1): the answer does not fit in UDP, retrying over TCP",
                )
                tcp, reason = True, "the UDP answer was truncated"
                continue
            no_opt = not any(rr.rtype == QTYPE.OPT for rr in reply.ar)
            if edns and no_opt and reply.header.rcode in (RCODE.FORMERR, RCODE.NOTIMP):
                self.infra.record_no_edns(address)
                self._report_plain(
                    walk,
                    depth,
                    zone,
                    server_name,
                    address,
                    arrived,
                    "error",
                    f"{RCODE.get(reply.header.rcode)} to EDNS: retrying without EDNS",
                )
                edns, reason = False, "the server rejected EDNS"
                continue
            return arrived

    # ---- reporting and caching --------------------------------------------------------------

    def _server_failed(
        self, walk: Walk, depth: int, zone: str, server_name: str, address: str, reason: str
    ) -> None:
        walk.emit(
            trace.ServerFailed,
            depth,
            zone=zone,
            server_name=server_name,
            address=address,
            reason=reason,
        )

    def _report_plain(
        self,
        walk: Walk,
        depth: int,
        zone: str,
        server_name: str,
        address: str,
        reply: Reply,
        kind: str,
        summary: str,
    ) -> None:
        walk.emit(
            trace.ResponseReceived,
            depth,
            zone=zone,
            server_name=server_name,
            address=address,
            protocol=reply.protocol,
            rcode=RCODE.get(reply.message.header.rcode),
            classification=kind,
            summary=summary,
            rtt=reply.rtt,
            size=reply.size,
            aa=bool(reply.message.header.aa),
        )

    def _report(
        self,
        result: Classified,
        reply: Reply,
        address: str,
        server_name: str,
        qname: str,
        qtype: int,
        walk: Walk,
        depth: int,
    ) -> None:
        walk.emit(
            trace.ResponseReceived,
            depth,
            zone=result.zone,
            server_name=server_name,
            address=address,
            protocol=reply.protocol,
            rcode=RCODE.get(result.rcode),
            classification=str(result.kind),
            summary=describe(result, qname, qtype),
            rtt=reply.rtt,
            size=reply.size,
            aa=result.aa,
            records=zone_text(result.answer + result.authority + result.additional),
        )
        if result.dropped:
            walk.emit(
                trace.Scrubbed,
                depth,
                server_name=server_name,
                zone=result.zone,
                records=zone_text(result.dropped),
            )

    def _store(self, result: Classified, qtype: int) -> None:
        """Cache a scrubbed response with the trust its sections deserve (RFC 2181 §5.4.1)."""
        answer_trust = Trust.AUTH_ANSWER if result.aa else Trust.ANSWER_NONAUTH
        authority_trust = Trust.AUTH_AUTHORITY if result.aa else Trust.AUTHORITY
        for rrset in group_rrsets(result.answer):
            self.cache.put(rrset, answer_trust)
        for rrset in group_rrsets([rr for rr in result.authority if rr.rtype == QTYPE.NS]):
            self.cache.put(rrset, authority_trust)
        for rrset in group_rrsets(result.additional):
            self.cache.put(rrset, Trust.ADDITIONAL)
        soa = result.soa
        if soa is not None and result.kind == Kind.NXDOMAIN:
            self.cache.put_negative(result.canonical_name, None, RCODE.NXDOMAIN, soa)
        elif soa is not None and result.kind == Kind.NODATA:
            self.cache.put_negative(result.canonical_name, qtype, RCODE.NOERROR, soa)


def describe(result: Classified, qname: str, qtype: int) -> str:
    """The response in plain words, for the trace."""
    kind = result.kind
    if kind == Kind.REFERRAL:
        glue = len(result.additional)
        return (
            f"referral to {result.referral_zone} \N{EM DASH} {len(result.ns_names)} NS, "
            f"{glue} glue address{'es' if glue != 1 else ''}"
        )
    if kind == Kind.ANSWER:
        final = [rr for rr in result.answer if rr.rtype == qtype]
        how = "authoritative answer" if result.aa else "non-authoritative answer"
        via = (
            f" via CNAME to {result.canonical_name}"
            if result.canonical_name != qname.lower()
            else ""
        )
        return f"{how}: {len(final)} {type_name(qtype)} record{'s' if len(final) != 1 else ''}{via}"
    if kind == Kind.CNAME:
        return f"CNAME: {qname} is an alias of {result.canonical_name}"
    if kind == Kind.NXDOMAIN:
        return f"NXDOMAIN from {result.zone}: {result.canonical_name} does not exist"
    if kind == Kind.NODATA:
        return (
            f"NODATA from {result.zone}: {result.canonical_name} has no {type_name(qtype)} records"
        )
    if kind == Kind.LAME:
        return f"lame: {result.reason}"
    return f"error: {result.reason}"
