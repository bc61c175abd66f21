"""Fault modes for lab hosts: the ways real authoritative servers fail a resolver.

Pure functions: given a host's engine, its fault and a query, decide what goes back and when.
The network layer only carries the decision out (sends, waits, or stays silent).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from dnslib import QTYPE, RR, A, DNSRecord

from .authority import AA as AA_BIT
from .authority import REFUSED, Authority

MAX_SLOW_DELAY = 30.0  # seconds; longer only hangs test runs, no resolver waits that long
FORGED_ADDRESS = "127.66.6.6"  # loopback, outside every lab block: where poisoned answers point
FORGED_RECORDS: tuple[RR, ...] = (
    RR("www.bank.com.", QTYPE.A, ttl=86400, rdata=A(FORGED_ADDRESS)),
)
"""What a malicious host slips into the authority and additional sections of every answer:
data for a name in a zone it does not serve (out of bailiwick), so a resolver must drop it."""

RCODE_MASK = 0x000F
_KINDS = (
    "dead", "lame", "slow", "lossy", "truncate", "malicious", "aa_referral", "silent_after",
)
_LAME_MODES = ("refused", "upward", "upward_aa")


@dataclass(frozen=True)
class Fault:
    """How a lab host misbehaves. Build one with the class methods."""

    kind: str
    mode: str = ""  # lame: "refused", "upward" or "upward_aa"
    delay: float = 0.0  # slow: seconds added before each reply
    fraction: float = 0.0  # lossy: share of UDP queries dropped
    seed: int = 0  # lossy: the drop sequence is reproducible
    every: int = 0  # lossy: instead of a share, drop the 1st, (every+1)th, ... UDP query
    answers: int = 0  # silent_after: how many queries it answers before it goes silent

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(_KINDS)}")
        if self.kind == "lame" and self.mode not in _LAME_MODES:
            raise ValueError(f"lame mode must be one of {', '.join(_LAME_MODES)}")
        if not 0.0 <= self.delay <= MAX_SLOW_DELAY:
            raise ValueError(f"slow delay must be between 0 and {MAX_SLOW_DELAY} seconds")
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError("lossy fraction must be between 0 and 1")
        if self.every < 0:
            raise ValueError("lossy period must be positive")
        if self.answers < 0:
            raise ValueError("the number of answers before silence cannot be negative")

    @classmethod
    def dead(cls) -> Fault:
        """Nothing answers: UDP queries vanish, TCP connections get no reply."""
        return cls("dead")

    @classmethod
    def lame(cls, mode: str = "refused") -> Fault:
        """Listed as a server for the zone but not serving it: REFUSED, or ("upward") a
        non-authoritative referral to the root, as some misconfigured servers send, or
        ("upward_aa") the same referral with AA=1: no answer, no SOA, the root NS set."""
        return cls("lame", mode=mode)

    @classmethod
    def aa_referral(cls) -> Fault:
        """Sets AA=1 on its referrals (RFC 1034 §4.3.2 says AA=0), as some servers do."""
        return cls("aa_referral")

    @classmethod
    def slow(cls, delay: float) -> Fault:
        """Every reply leaves `delay` seconds late."""
        return cls("slow", delay=float(delay))

    @classmethod
    def lossy(cls, fraction: float, seed: int = 0) -> Fault:
        """Drops `fraction` of UDP queries (TCP is reliable), in a seeded, repeatable order."""
        return cls("lossy", fraction=float(fraction), seed=seed)

    @classmethod
    def lossy_every(cls, every: int) -> Fault:
        """Drops the 1st, (every+1)th, (2*every+1)th... UDP query it hears (every=2: every
        other one, starting with the first), so a test knows exactly which go unanswered."""
        if every < 1:
            raise ValueError("lossy period must be at least 1")
        return cls("lossy", fraction=1.0 / every, every=int(every))

    @classmethod
    def truncate(cls) -> Fault:
        """Always TC=1 over UDP (header and question only); full answers over TCP."""
        return cls("truncate")

    @classmethod
    def malicious(cls) -> Fault:
        """Adds forged out-of-bailiwick records (FORGED_RECORDS) to every answer."""
        return cls("malicious")

    @classmethod
    def silent_after(cls, answers: int) -> Fault:
        """Answers its first `answers` queries (UDP or TCP), then nothing more, like a server
        switched off after a resolver cached its data: what serve-stale (RFC 8767) is for.
        Counted per host from the lab's start (or set_fault), so a run is repeatable."""
        if answers < 0:
            raise ValueError("the number of answers before silence cannot be negative")
        return cls("silent_after", answers=int(answers))

    def describe(self) -> str:
        if self.kind == "lame":
            return f"lame ({self.mode})"
        if self.kind == "slow":
            return f"slow ({self.delay:g}s)"
        if self.kind == "lossy" and self.every:
            return f"lossy (drops 1 UDP query in {self.every})"
        if self.kind == "lossy":
            return f"lossy ({self.fraction:.0%}, seed {self.seed})"
        if self.kind == "aa_referral":
            return "AA=1 on referrals"
        if self.kind == "silent_after":
            return f"silent after {self.answers} {'answer' if self.answers == 1 else 'answers'}"
        return self.kind


@dataclass(frozen=True)
class Reply:
    """What a host does with one query: send `data` (None: stay silent) after `delay` seconds."""

    data: bytes | None
    delay: float = 0.0


@dataclass
class FaultState:
    """A fault plus the state it keeps between queries (the lossy RNG and UDP count, the
    queries a silent_after host has answered)."""

    fault: Fault | None
    rng: random.Random = field(init=False)
    udp_queries: int = field(init=False, default=0)
    answered: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.fault.seed if self.fault else 0)

    def drops(self, protocol: str) -> bool:
        """Whether a lossy host drops this query (TCP is reliable); counts UDP queries."""
        fault = self.fault
        if fault is None or fault.kind != "lossy" or protocol != "udp":
            return False
        self.udp_queries += 1
        if fault.every:
            return (self.udp_queries - 1) % fault.every == 0
        return self.rng.random() < fault.fraction

    def silenced(self) -> bool:
        """Whether a silent_after host has used up its answers; counts this one if not."""
        fault = self.fault
        if fault is None or fault.kind != "silent_after":
            return False
        if self.answered >= fault.answers:
            return True
        self.answered += 1
        return False


def reply_to(
    engine: Authority,
    state: FaultState,
    wire: bytes,
    protocol: str,
    upward_referral: Sequence[RR] = (),
) -> Reply:
    """Answer `wire` as a host with this fault would. `upward_referral` is the root NS set
    and its addresses, which a lame host in "upward" mode hands out."""
    fault = state.fault
    if fault is None:
        return Reply(engine.respond(wire, protocol))
    kind = fault.kind
    if kind == "dead":
        return Reply(None)
    if state.drops(protocol) or state.silenced():
        return Reply(None)
    response = engine.respond(wire, protocol)
    if response is None or kind in ("lossy", "silent_after"):
        return Reply(response)
    if kind == "slow":
        return Reply(response, fault.delay)
    if kind == "truncate":
        return Reply(_truncated(response) if protocol == "udp" else response)
    if kind == "lame":
        return Reply(_lame(response, fault.mode, upward_referral))
    if kind == "aa_referral":
        return Reply(_authoritative_referral(response))
    return Reply(_poisoned(response))


def _rewrite(response: bytes, change) -> bytes:
    """Parse a response we built ourselves, let `change` edit it, and pack it again."""
    try:
        record = DNSRecord.parse(response)
    except Exception:  # we echo names dnslib cannot read (non-UTF-8 labels): leave them be
        return response
    if not record.questions:
        return response  # an error reply without a question: nothing to rewrite
    change(record)
    return record.pack()


def _truncated(response: bytes) -> bytes:
    def change(record: DNSRecord) -> None:
        record.header.tc = 1
        record.rr, record.auth = [], []
        record.ar = [rr for rr in record.ar if rr.rtype == QTYPE.OPT]

    return _rewrite(response, change)


def _lame(response: bytes, mode: str, upward_referral: Sequence[RR]) -> bytes:
    def change(record: DNSRecord) -> None:
        record.header.aa = 1 if mode == "upward_aa" else 0
        record.rr = []
        opt = [rr for rr in record.ar if rr.rtype == QTYPE.OPT]
        if mode == "refused":
            record.header.rcode = REFUSED
            record.auth, record.ar = [], opt
        else:
            record.header.rcode = 0
            record.auth = [rr for rr in upward_referral if rr.rtype == QTYPE.NS]
            record.ar = [rr for rr in upward_referral if rr.rtype != QTYPE.NS] + opt

    return _rewrite(response, change)


def _authoritative_referral(response: bytes) -> bytes:
    """AA=1 on a referral: NOERROR, AA=0, no answer, NS records and no SOA in authority."""
    header = int.from_bytes(response[2:4], "big") if len(response) >= 4 else 0
    if header & AA_BIT or header & RCODE_MASK:
        return response  # an answer, a negative answer or an error: left as it is

    def change(record: DNSRecord) -> None:
        types = {rr.rtype for rr in record.auth}
        if not record.rr and QTYPE.NS in types and QTYPE.SOA not in types:
            record.header.aa = 1

    return _rewrite(response, change)


def _poisoned(response: bytes) -> bytes:
    def change(record: DNSRecord) -> None:
        opt = [rr for rr in record.ar if rr.rtype == QTYPE.OPT]
        plain = [rr for rr in record.ar if rr.rtype != QTYPE.OPT]
        record.auth = list(record.auth) + list(FORGED_RECORDS)
        record.ar = plain + list(FORGED_RECORDS) + opt

    return _rewrite(response, change)
