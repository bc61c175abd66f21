"""The words of a resolution: its outcome, its failure cause, and its trace as text and JSON.

Pure functions from data to strings/dicts: no I/O, no resolution. The iterator reports each
response as typed facts; this module words them, and lays the events out as a walk: one block
per upstream query (the server, the question, the reply in words, its records under the section
they came in), sub-resolutions nested under the hop that needed them, a note with the RFC when
a negative or failure cache entry answers, lines wrapped at 80 columns. The dig-style output of
the command is resolver/cli/dig_output.py.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dnslib import CLASS, QTYPE, RCODE, RR

from resolver.answer import Answer
from resolver.prefetch import PREFETCH_FRACTION
from resolver.trace import (
    AnswerValidated,
    CacheHit,
    CacheWhat,
    Cause,
    CnameRestart,
    CutSource,
    Failure,
    LimitReached,
    MinimisationStopped,
    MinimiseFallback,
    PrefetchStarted,
    Problem,
    QuerySent,
    Referral,
    ResolutionFinished,
    ResolutionStarted,
    ResponseReceived,
    Scrubbed,
    Section,
    SendReason,
    ServerFailed,
    ServerTimeout,
    SubResolutionDone,
    TraceEvent,
    TrustEstablished,
    ZoneCutChosen,
    ZoneCutSkipped,
)

# Records listed under one section of a hop before "... N more": a root referral carries 13 NS
# and 26 addresses, which would bury the walk itself.
MAX_RECORDS_PER_HOP = 8
# The trace fits a classic terminal and a projector; longer lines wrap with a hanging indent.
TRACE_WIDTH = 80

# Outcomes of a query, as the command reports them and maps them to exit codes.
ANSWER = "answer"
NXDOMAIN = "nxdomain"
NODATA = "nodata"
SERVFAIL = "servfail"

_ANY = 255


def outcome(answer: Answer) -> str:
    """Classify an Answer: answer, nxdomain, nodata, or servfail (any other failure rcode)."""
    if answer.rcode == RCODE.NXDOMAIN:
        return NXDOMAIN
    if answer.rcode != RCODE.NOERROR:
        return SERVFAIL
    if answer.rrset or (answer.rdtype == _ANY and answer.answer_records):
        return ANSWER
    return NODATA


_LIMIT_WORDS = {
    "max_upstream_queries": "too many upstream queries for one resolution",
    "max_referrals": "too many zone cuts on the way",
    "max_cname_links": "the CNAME/DNAME chain is too long or loops",
    "max_subresolution_depth": "name server address lookups nested too deep",
    "max_ns_lookups_per_delegation": "too many name server addresses to look up for one zone",
    "max_subresolutions": "too many name server address lookups",
    "lifetime": "the resolution's deadline passed",
}


# DNSSEC verdict reasons (resolver.dnssec.Reason values) in words.
DNSSEC_REASON_WORDS = {
    "rrsigs-missing": "no RRSIG covers the data (RRSIGs missing)",
    "signature-expired": "the signature has expired",
    "signature-not-yet-valid": "the signature is not yet valid",
    "dnskey-missing": "no DNSKEY of the zone matches the signature (DNSKEY missing)",
    "signature-invalid": "the signature does not verify (the data or the RRSIG was altered)",
    "no-zone-key": "the key lacks the zone key flag",
    "ds-mismatch": "no DNSKEY matches the DS the parent published",
    "dnskey-unsigned": "no key that matches the DS signs the DNSKEY RRset",
    "denial-missing": "the negative answer has no valid NSEC/NSEC3 proof",
    "wildcard-proof-missing": "the wildcard expansion has no NSEC/NSEC3 proof that the name "
                              "itself does not exist",
    "budget-exhausted": "too much cryptographic work for one query (KeyTrap limit)",
    "malformed": "an RRSIG whose fields cannot apply to the data",
    "unsigned-delegation": "the parent proves there is no DS: an unsigned delegation",
    "opt-out": "an NSEC3 opt-out span covers the delegation: it may be unsigned",
    "unsupported-algorithm": "the DS names an algorithm this validator does not implement",
    "unsupported-digest": "the DS uses a digest type this validator does not implement",
    "nsec3-iterations": "the NSEC3 iterations exceed the cap of RFC 9276",
    "no-trust-anchor": "no trust anchor covers the name",
}


def dnssec_reason_text(reason: str) -> str:
    """A DNSSEC verdict's reason in words."""
    return DNSSEC_REASON_WORDS.get(reason, reason)


def failure_text(failure: Failure) -> str:
    """The cause of a failed resolution in words: the API's exceptions and the CLI say this."""
    cause, zone = failure.cause, failure.zone
    if cause in (Cause.LIMIT, Cause.LIFETIME):
        words = _LIMIT_WORDS.get(failure.limit, failure.limit)
        value = f"{failure.value:g}" + (" s" if cause == Cause.LIFETIME else "")
        where = f" resolving {failure.subject}" if failure.subject else ""
        return f"{words}{where} ({failure.limit} = {value})"
    if cause == Cause.NO_REACHABLE_AUTHORITY:
        return f"no server of {zone} answered (timeouts or unreachable)"
    if cause == Cause.NO_SERVER_ADDRESS:
        return f"no address could be found for any name server of {zone}"
    if cause == Cause.SERVERS_FAILED:
        return f"every server of {zone} failed (lame, refused or broken replies)"
    if cause == Cause.BACKED_OFF:
        return f"every server of {zone} is backed off after repeated timeouts"
    if cause == Cause.CACHED_FAILURE:
        return f"{failure.subject} failed moments ago and is not retried yet (RFC 9520)"
    if cause == Cause.DNSSEC_BOGUS:
        ede = f", EDE {failure.ede}" if failure.ede is not None else ""
        return (f"DNSSEC validation failed for {failure.subject} in zone {zone}: "
                f"{dnssec_reason_text(failure.reason)} (bogus{ede})")
    return str(cause)


def answer_failure(answer: Answer) -> Failure | None:
    """The failure the resolution's trace ends with, if it failed."""
    for event in reversed(answer.trace):
        if isinstance(event, ResolutionFinished) and event.depth == 0:
            return event.failure
    return None


def failure_reason(answer: Answer) -> str:
    """Why a resolution ended in SERVFAIL, in words, from its trace ("" if it did not)."""
    if outcome(answer) != SERVFAIL:
        return ""
    failure = answer_failure(answer)
    if failure is None:
        return f"the server answered {answer.rcode_text}" if answer.rcode != RCODE.SERVFAIL else ""
    text = failure_text(failure)
    if failure.cause in (
        Cause.NO_REACHABLE_AUTHORITY, Cause.SERVERS_FAILED, Cause.NO_SERVER_ADDRESS
    ):
        last = _last_server_fate(answer.trace)
        if last:
            text += f"; last: {last}"
    return text


def _last_server_fate(events: Sequence[TraceEvent]) -> str:
    for e in reversed(events):
        if isinstance(e, ServerTimeout):
            return f"{e.server_name or e.address} timed out after {format_ms(e.timeout)}"
        if isinstance(e, ServerFailed):
            return f"{e.server_name or e.address}: {problem_text(e)}"
        if isinstance(e, ResponseReceived):
            return f"{e.server_name or e.address}: {response_summary(e)}"
        if isinstance(e, SubResolutionDone) and not e.addresses:
            return f"no address could be found for {e.ns_name}"
    return ""


_LAME_WORDS = {
    "upward-referral": "upward referral (it is not authoritative for the zone)",
    "sideways-referral": "referral sideways, out of the zone",
    "recursive-lame": "a recursive server's non-authoritative answer without a referral",
    "refused": "REFUSED",
    "self-referral": "its own NS set with no answer and no SOA",
    "server-error": "an error rcode",
    "name-too-long": "a DNAME substitution longer than 255 octets",
}


def response_summary(e: ResponseReceived) -> str:
    """A ResponseReceived event in plain words: "referral to edu. — 1 NS, 1 glue address"."""
    kind = e.classification
    if kind == "referral":
        return (
            f"referral to {e.referral_zone} — {e.ns_names} NS, "
            f"{e.glue} glue address{'es' if e.glue != 1 else ''}"
        )
    if kind == "answer":
        how = "authoritative answer" if e.aa else "non-authoritative answer"
        via = f" via CNAME to {e.canonical_name}" if e.canonical_name != e.qname.lower() else ""
        return f"{how}: {_plural(e.answers, e.qtype + ' record')}{via}"
    if kind == "cname":
        return f"CNAME: {e.qname} is an alias of {e.canonical_name}"
    if kind == "nxdomain":
        return f"NXDOMAIN from {e.zone}: {e.canonical_name} does not exist"
    if kind == "nodata":
        text = f"NODATA from {e.zone}: {e.canonical_name} has no {e.qtype} records"
        if e.provisional:
            text += " (no SOA to prove it: asking the other servers first)"
        return text
    if kind == "lame":
        return f"lame: {_LAME_WORDS.get(e.lame_reason, e.lame_reason)}"
    if kind == "truncated":
        return "truncated (TC=1): the answer does not fit in UDP, retrying over TCP"
    if kind == "edns_rejected":
        return f"{e.rcode} to EDNS: retrying without EDNS"
    return f"error: {e.rcode}"


def problem_text(e: ServerFailed) -> str:
    """A ServerFailed event's problem in words."""
    if e.problem == Problem.FORBIDDEN:
        return f"not queried: {e.detail}"
    if e.problem == Problem.UNREACHABLE:
        return e.detail or "unreachable"
    if e.problem == Problem.MALFORMED:
        return "malformed reply"
    if e.problem == Problem.CYCLIC_DEPENDENCY:
        return "cyclic dependency: this NS name's address needs this very lookup"
    if e.problem == Problem.CASE_NOT_ECHOED:
        return "the reply changed the question's letter case (0x20): asking again in plain case"
    return str(e.problem)


_SEND_WORDS = {
    SendReason.NEXT_SERVER: "the previous server failed",
    SendReason.TRUNCATED: "the UDP answer was truncated",
    SendReason.EDNS_REJECTED: "the server rejected EDNS",
    SendReason.LAST_RESORT: "last resort: the parent's glue, the child's addresses failed",
    SendReason.PROBE: "probe: every server is backed off",
    SendReason.CASE_NOT_ECHOED: "plain case: the server does not preserve 0x20 case",
}

_MINIMISE_WORDS = {
    MinimiseFallback.REFUSED: "the server refused the shortened name",
    MinimiseFallback.SERVFAIL: "the server answered SERVFAIL to the shortened name",
    MinimiseFallback.FORMERR: "the server answered FORMERR to the shortened name",
    MinimiseFallback.NOTIMP: "the server answered NOTIMP to the shortened name",
    MinimiseFallback.NXDOMAIN: (
        "NXDOMAIN for the shortened name: unsigned, it may be a broken server's empty "
        "non-terminal, so the full name confirms it"
    ),
    MinimiseFallback.LAME: "the reply to the shortened name made no sense",
    MinimiseFallback.MAX_STEPS: "enough shortened questions for one name (MAX_MINIMISE_COUNT)",
}

_SECTION_WORDS = {
    Section.ANSWER: "answer section:",
    Section.AUTHORITY: "authority section:",
    Section.ADDITIONAL: "additional section:",
}

# Where a cached entry's lifetime comes from, said under a [cache] line that answered from it.
_CACHE_NOTES = {
    CacheWhat.NXDOMAIN: "a cached NXDOMAIN: it lives min(SOA TTL, SOA MINIMUM) seconds "
    "(RFC 2308 §5)",
    CacheWhat.NODATA: "a cached NODATA: it lives min(SOA TTL, SOA MINIMUM) seconds (RFC 2308 §5)",
    CacheWhat.FAILURE: "a cached failure: not asked again until it expires (RFC 9520 §3)",
}

_CACHE_WORDS = {
    CacheWhat.ANSWER: "answer",
    CacheWhat.NXDOMAIN: "negative answer (NXDOMAIN)",
    CacheWhat.NODATA: "negative answer (NODATA)",
    CacheWhat.CNAME: "CNAME",
    CacheWhat.DNAME: "DNAME",
    CacheWhat.ZONE_CUT: "zone cut",
    CacheWhat.FAILURE: "recent failure (RFC 9520)",
    CacheWhat.STALE: "stale data (RFC 8767: resolving failed, served with TTL 30)",
}


# --------------------------------------------------------------------------------------------
# Style: colour and glyphs


@dataclass(frozen=True)
class Style:
    """How to decorate text: ANSI colour only for a terminal, Unicode glyphs when encodable."""

    color: bool = False
    unicode: bool = True
    width: int = TRACE_WIDTH  # columns the trace wraps at; 0 never wraps

    @classmethod
    def for_stream(cls, stream: object, color: str = "auto") -> Style:
        """color is "auto" (a TTY and no NO_COLOR variable), "always" or "never"."""
        isatty = getattr(stream, "isatty", None)
        tty = bool(isatty and isatty())
        if color == "always":
            use_color = True
        elif color == "never":
            use_color = False
        else:
            use_color = tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "—→←│✗✓↪↳·…".encode(encoding)
            uni = True
        except (UnicodeEncodeError, LookupError):
            uni = False
        return cls(color=use_color, unicode=uni)

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return self._sgr("1", text)

    def dim(self, text: str) -> str:
        return self._sgr("2", text)

    def red(self, text: str) -> str:
        return self._sgr("31", text)

    def green(self, text: str) -> str:
        return self._sgr("32", text)

    def yellow(self, text: str) -> str:
        return self._sgr("33", text)

    def blue(self, text: str) -> str:
        return self._sgr("34", text)

    def magenta(self, text: str) -> str:
        return self._sgr("35", text)

    def cyan(self, text: str) -> str:
        return self._sgr("36", text)

    def glyph(self, name: str) -> str:
        return (_UNICODE if self.unicode else _ASCII)[name]

    def plain(self, text: str) -> str:
        """Replace the Unicode punctuation the iterator may use when the stream cannot show it."""
        if self.unicode:
            return text
        for uni, ascii_ in _ASCII_FALLBACK.items():
            text = text.replace(uni, ascii_)
        return text


_UNICODE = {
    "dash": "—",
    "send": "→",
    "recv": "←",
    "gutter": "│",
    "fail": "✗",
    "ok": "✓",
    "alias": "↪",
    "sub": "↳",
    "dot": "·",
}
_ASCII = {
    "dash": "--",
    "send": "->",
    "recv": "<-",
    "gutter": "|",
    "fail": "x",
    "ok": "+",
    "alias": "=>",
    "sub": "\\_",
    "dot": "-",
}
_ASCII_FALLBACK = {"—": "--", "–": "-", "→": "->", "←": "<-", "…": "...", "·": "-"}


# --------------------------------------------------------------------------------------------
# Small formatters


def format_ms(seconds: float) -> str:
    """A duration in milliseconds, with one decimal below 100 ms."""
    ms = seconds * 1000.0
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


_SGR = re.compile(r"\x1b\[[0-9;]*m")
# A line's lead: indentation, the nesting bars and their colour codes. Wrapped lines repeat it.
_LEAD = re.compile(r"^(?:[ │|]|\x1b\[[0-9;]*m)*")
HANG = 4  # extra indentation of a wrapped line's continuation
_NBSP = "\u00a0"  # joins words a wrap must not separate ("[+4.0 ms]"); printed as a space


def _together(text: str) -> str:
    """`text` as one unit for `wrap`: it moves to the next line whole."""
    return text.replace(" ", _NBSP)


def _width(text: str) -> int:
    return len(_SGR.sub("", text))


def wrap(line: str, width: int) -> list[str]:
    """`line` cut at spaces into lines of at most `width` columns (colour codes take none).

    Continuations repeat the line's lead (indentation and nesting bars) and indent by HANG more,
    so a wrapped hop still reads as one hop. A word longer than a whole line (a key, a
    signature) is cut where the line ends. `width` 0 leaves the line whole."""
    if width <= 0 or _width(line) <= width:
        return [line.replace(_NBSP, " ")]
    lead = _LEAD.match(line)
    prefix = lead.group(0) if lead else ""
    room = max(width - _width(prefix), 20)
    continued = max(room - HANG, 20)
    out: list[str] = []
    current, used = "", 0
    for word, space in re.findall(r"([^ ]+)( *)", line[len(prefix):]):
        size = _width(word)
        if current and used + size > room:
            out.append(current.rstrip())
            current, used, room = "", 0, continued
        while not current and size > room and not _SGR.search(word):  # no space inside: cut
            out.append(word[:room])
            word, size, room = word[room:], size - room, continued
        current += word + space
        used += size + len(space)
    if current.strip():
        out.append(current.rstrip())
    lines = [prefix + out[0], *(prefix + " " * HANG + rest for rest in out[1:])]
    return [line.replace(_NBSP, " ") for line in lines]


def _type_text(rtype: int) -> str:
    return QTYPE.get(rtype, f"TYPE{rtype}")


def _class_text(rclass: int) -> str:
    return CLASS.get(rclass, f"CLASS{rclass}")


def rdata_text(rr: RR) -> str:
    """The record data in zone-file presentation (TXT strings space-separated, as dig does)."""
    to_zone = getattr(rr.rdata, "toZone", None)
    return to_zone() if to_zone else str(rr.rdata)


def _record_table(records: Sequence[RR], style: Style) -> list[str]:
    """Zone-file lines with aligned columns, as dig prints a section."""
    rows = [
        (str(rr.rname), str(rr.ttl), _class_text(rr.rclass), _type_text(rr.rtype), rdata_text(rr))
        for rr in records
    ]
    if not rows:
        return []
    name_w = max(24, *(len(r[0]) + 1 for r in rows))
    type_w = max(6, *(len(r[3]) + 1 for r in rows))
    return [
        f"{name:<{name_w}}{ttl:<8}{cls:<4}{style.cyan(f'{rtype:<{type_w}}')}{data}".rstrip()
        for name, ttl, cls, rtype, data in rows
    ]


# --------------------------------------------------------------------------------------------
# JSON


def trace_to_list(events: Sequence[TraceEvent]) -> list[dict[str, Any]]:
    """The trace as JSON-ready dicts, one per event (`"event"` names its kind)."""
    return [event.to_dict() for event in events]


# --------------------------------------------------------------------------------------------
# --trace


def render_trace(answer: Answer, style: Style | None = None) -> str:
    """The walk as it happened, then a summary: the answer, time, queries, servers."""
    style = style or Style()
    lines = _TraceLayout(answer.trace, style, (str(answer.qname), answer.rdtype_text)).lines()
    lines += ["", *_trace_summary(answer, style)]
    return "".join(part + "\n" for line in lines for part in wrap(line, style.width))


def _trace_summary(answer: Answer, style: Style) -> list[str]:
    kind = outcome(answer)
    lines: list[str] = []
    if kind == ANSWER:
        lines.append(style.bold("Answer:"))
        lines += ["  " + line for line in _record_table(answer.answer_records, style)]
    elif kind == NXDOMAIN:
        missing = f"NXDOMAIN — {answer.canonical_name} does not exist"
        lines.append(style.bold("Answer: ") + style.yellow(missing))
    elif kind == NODATA:
        lines.append(
            style.bold("Answer: ")
            + style.yellow(f"NODATA — {answer.canonical_name} has no {answer.rdtype_text} records")
        )
    else:
        why = failure_reason(answer) or "no answer"
        lines.append(style.bold("Answer: ") + style.red(f"{answer.rcode_text} — {why}"))
    if kind in (NXDOMAIN, NODATA) and answer.authority_records:
        lines += ["  " + line for line in _record_table(answer.authority_records, style)]
    extended = answer.extended_error
    if extended is not None and kind in (ANSWER, NXDOMAIN, NODATA):  # a stale answer's EDE
        lines.append(style.yellow(f"Extended DNS Error {extended} (RFC 8914)"))
    servers = answer.servers_contacted
    status = "NOERROR (NODATA)" if kind == NODATA else answer.rcode_text
    lines.append(
        f"{status} in {format_ms(answer.elapsed)} total, "
        f"{answer.upstream_queries} upstream "
        f"{'query' if answer.upstream_queries == 1 else 'queries'}, "
        f"{_plural(len(servers), 'server')} contacted"
        + (f": {', '.join(servers)}" if servers else "")
        + (" (from cache)" if answer.from_cache else "")
    )
    return [style.plain(line) for line in lines]


_CLASS_COLOURS = {
    "answer": "green",
    "cname": "green",
    "referral": "cyan",
    "nxdomain": "yellow",
    "nodata": "yellow",
    "lame": "red",
    "error": "red",
    "truncated": "magenta",
}


class _TraceLayout:
    """Turns the event list into indented lines. One pass with a little lookahead."""

    def __init__(
        self, events: Sequence[TraceEvent], style: Style, question: tuple[str, str]
    ) -> None:
        self.events = list(events)
        self.s = style
        self.out: list[str] = []
        self.hop = 0
        self.question = question
        # depth -> (qname, qtype) being resolved there: hops asking something else say so
        self.walk_name: dict[int, tuple[str, str]] = {}

    def lines(self) -> list[str]:
        qname, qtype = self.question
        first = self.events[0] if self.events else None
        if first is None or first.kind != "resolution_started" or first.depth != 0:
            # The walk itself starts without an event: title it from the question.
            self.walk_name[0] = (qname.lower(), qtype)
            self.out.append(self.s.bold(f"Resolving {qname} {qtype}"))
        for i, event in enumerate(self.events):
            handler = getattr(self, "_" + event.kind, None)
            if handler is None:
                self._emit(event.depth, self.s.dim(f"{event.kind}: {event.to_dict()}"))
            else:
                handler(event, i)
        return self.out

    # helpers ----------------------------------------------------------------------------------
    def _emit(self, depth: int, text: str, extra_indent: int = 0) -> None:
        # Each nesting level sits under the "sub-resolution" line of its parent, behind a bar.
        gutter = ("    " + self.s.dim(self.s.glyph("gutter"))) * depth
        self.out.append(self.s.plain(gutter + "  " * extra_indent + text).rstrip())

    def _records(self, depth: int, records: Sequence[str], indent: int = 3) -> None:
        shown = list(records[:MAX_RECORDS_PER_HOP])
        for rec in shown:
            # Squeeze the column padding but keep the data as is (TXT strings may hold spaces).
            self._emit(depth, self.s.dim(" ".join(rec.split(None, 4))), indent)
        if len(records) > len(shown):
            self._emit(depth, self.s.dim(f"… {len(records) - len(shown)} more"), indent)

    def _sections(self, e: ResponseReceived) -> None:
        """A reply's records under the name of the section each came from."""
        if len(e.sections) != len(e.records):  # an event without sections: one plain list
            self._records(e.depth, e.records)
            return
        for section in Section:
            records = [r for r, where in zip(e.records, e.sections, strict=True)
                       if where == section]  # fmt: skip
            if not records:
                continue
            label = _SECTION_WORDS[section]
            if section == Section.ADDITIONAL and e.classification == "referral":
                label = "additional section (glue: the addresses of the NS names):"
            self._emit(e.depth, self.s.dim(label), 3)
            self._records(e.depth, records, 4)

    def _next_same_depth(self, i: int, depth: int) -> TraceEvent | None:
        for event in self.events[i + 1 :]:
            if event.depth == depth:
                return event
            if event.depth < depth:
                return None
        return None

    def _previous(self, i: int) -> TraceEvent | None:
        return self.events[i - 1] if i > 0 else None

    def _server(self, name: str, address: str) -> str:
        if name and address and name.rstrip(".") != address:
            return f"{self.s.bold(name)} ({address})"
        return self.s.bold(name or address)

    # events -----------------------------------------------------------------------------------
    def _resolution_started(self, e: ResolutionStarted, i: int) -> None:
        self.walk_name[e.depth] = (e.qname.lower(), e.qtype)
        if e.depth == 0:
            title = f"Resolving {e.qname} {e.qtype}"
            if self.out:
                self.out.append("")
            self.out.append(self.s.bold(title))
            return
        why = ""
        if e.ns_of_zone:
            why = f" {self.s.glyph('dash')} a name server of {e.ns_of_zone} without glue"
        elif e.qtype == "DS":  # the validator's questions (resolver/validator.py)
            why = f" {self.s.glyph('dash')} DNSSEC: does the parent vouch for this zone's key?"
        elif e.qtype == "DNSKEY":
            why = f" {self.s.glyph('dash')} DNSSEC: the zone's keys"
        # A sub-walk is announced in its parent's column, then its hops are indented below.
        self._emit(
            e.depth - 1,
            self.s.magenta(f"{self.s.glyph('sub')} sub-resolution: {e.qname} {e.qtype}") + why,
            2,
        )

    def _zone_cut(self, e: ZoneCutChosen, i: int) -> None:
        names = list(e.ns_names)
        listed = ", ".join(names[:4]) + (f", … {len(names) - 4} more" if len(names) > 4 else "")
        if e.source == CutSource.CACHE:
            prev = self._previous(i)
            ttl = ""
            if isinstance(prev, CacheHit) and prev.what == CacheWhat.ZONE_CUT:
                ttl = f", TTL {prev.ttl}"
            text = self.s.yellow("[cache] ") + f"closest zone cut {self.s.bold(e.zone)} "
            text += f"{self.s.glyph('dash')} {_plural(len(names), 'server')}{ttl}"
        else:
            source = "root hints (priming the root NS set)"
            if e.source == CutSource.HINTS:
                source = "root hints"
            elif e.source == CutSource.STUB:
                source = "a configured stub zone"
            text = f"start at zone {self.s.bold(e.zone)} {self.s.glyph('dash')} "
            text += f"{_plural(len(names), 'server')} from {source}"
        self._emit(e.depth, text + (f": {listed}" if names else ""), 1)

    def _zone_cut_skipped(self, e: ZoneCutSkipped, i: int) -> None:
        text = self.s.yellow("[cache] ") + (
            f"zone cut {self.s.bold(e.zone)} has no usable address (its glue expired before its "
            f"NS set, and every NS name is inside it): asking its parent for fresh glue"
        )
        self._emit(e.depth, text, 1)

    def _query_sent(self, e: QuerySent, i: int) -> None:
        self.hop += 1
        head = self.s.bold(f"#{self.hop}")
        text = (
            f"{head} zone {self.s.bold(e.zone)}  {self.s.glyph('send')} "
            f"{self._server(e.server_name, e.address)} over {e.protocol.upper()}"
        )
        why = _SEND_WORDS.get(e.why, "")
        if e.why == SendReason.RETRANSMIT:
            why = f"retransmission {e.attempt}, waiting up to {format_ms(e.timeout)}"
        if why:  # kept whole: a wrap moves it to the next line rather than splitting it
            text += " " + _together(f"{self.s.glyph('dash')} {why}")
        text += "  " + self.s.dim(_together(f"[+{format_ms(e.elapsed)}]"))
        self._emit(e.depth, text, 1)
        self._emit(e.depth, f"question: {e.qname} {e.qtype}", 2)

    def _response(self, e: ResponseReceived, i: int) -> None:
        colour = getattr(self.s, _CLASS_COLOURS.get(e.classification, "blue"))
        detail = f"{e.protocol.upper()}, {format_ms(e.rtt)}, {e.size} bytes"
        if e.aa:
            detail += ", aa"
        self._emit(
            e.depth,
            f"{self.s.glyph('recv')} {colour(response_summary(e))}  "
            + self.s.dim(_together(f"({detail})")),
            2,
        )
        self._sections(e)

    def _timeout(self, e: ServerTimeout, i: int) -> None:
        text = f"{self.s.glyph('fail')} timed out after {format_ms(e.timeout)}"
        nxt = self._next_same_depth(i, e.depth)
        if isinstance(nxt, QuerySent):
            text += f", trying {nxt.server_name or nxt.address}"
        self._emit(e.depth, self.s.red(text), 2)

    def _server_failed(self, e: ServerFailed, i: int) -> None:
        prev = self._previous(i)
        reason = problem_text(e)
        text = f"{self.s.glyph('fail')} {reason}"
        follows_its_query = (
            isinstance(prev, QuerySent | ResponseReceived)
            and bool(e.address)
            and prev.address == e.address
        )
        if not follows_its_query:
            text = f"{self.s.glyph('fail')} skipping {self._server(e.server_name, e.address)}: "
            text += reason
        nxt = self._next_same_depth(i, e.depth)
        if isinstance(nxt, QuerySent):
            text += f", trying {nxt.server_name or nxt.address}"
        self._emit(e.depth, self.s.red(text), 2)

    def _referral(self, e: Referral, i: int) -> None:
        prev = next(
            (p for p in reversed(self.events[:i]) if p.depth == e.depth and p.kind != "scrubbed"),
            None,
        )
        if isinstance(prev, ResponseReceived) and prev.classification == "referral":
            return  # the response line already says "referral to X — n NS, m glue"
        glue = len(e.glue)
        names = len(e.ns_names)
        text = f"{self.s.glyph('send')} descend from {e.from_zone} to {self.s.bold(e.to_zone)}: "
        text += f"{_plural(names, 'server')}, "
        text += f"{glue} with glue" if glue else "no glue (their addresses must be looked up)"
        self._emit(e.depth, self.s.cyan(text), 2)

    def _scrubbed(self, e: Scrubbed, i: int) -> None:
        why = ", ".join(sorted({r.replace("_", " ") for r in e.reasons})) or "scrubbed"
        text = f"! dropped {_plural(len(e.records), 'record')} from {e.server_name}'s reply ({why})"
        self._emit(e.depth, self.s.magenta(text), 2)
        self._records(e.depth, e.records)

    def _cache_hit(self, e: CacheHit, i: int) -> None:
        nxt = self.events[i + 1] if i + 1 < len(self.events) else None
        if e.what == CacheWhat.ZONE_CUT and nxt is not None and nxt.kind == "zone_cut":
            return  # the zone-cut line that follows says it, marked as cached
        what = _CACHE_WORDS.get(e.what, str(e.what))
        text = self.s.yellow("[cache] ") + f"{what} for {e.name} {e.qtype} (TTL {e.ttl})"
        self._emit(e.depth, text, 1)
        note = _CACHE_NOTES.get(e.what)
        if note:
            self._emit(e.depth, self.s.dim(note), 2)
        self._records(e.depth, e.records, 2)

    def _prefetch_started(self, e: PrefetchStarted, i: int) -> None:
        tenth = e.ttl <= e.original_ttl * PREFETCH_FRACTION
        when = "the last tenth" if tenth else "its last second"
        text = (f"prefetch: {e.name} {e.qtype} has {e.ttl} s of its {e.original_ttl} s TTL left "
                f"({when}): refreshing it in the background, so the next client gets fresh data "
                f"without waiting")
        self._emit(e.depth, self.s.yellow(text), 2)

    def _cname_restart(self, e: CnameRestart, i: int) -> None:
        qtype = self.walk_name.get(e.depth, ("", ""))[1]
        self.walk_name[e.depth] = (e.to_name.lower(), qtype)
        self.out.append("")
        self._emit(
            e.depth,
            self.s.bold(
                f"{self.s.glyph('alias')} {e.from_name} is an alias "
                f"({'DNAME-synthesised CNAME' if e.dname else 'CNAME'}) for {e.to_name}: "
                f"new walk for {e.to_name}" + (f" {qtype}" if qtype else "")
            ),
        )

    def _minimisation_stopped(self, e: MinimisationStopped, i: int) -> None:
        why = _MINIMISE_WORDS.get(e.reason, str(e.reason))
        text = f"QNAME minimisation stopped at {e.qname} ({why}): asking the full name"
        self._emit(e.depth, self.s.yellow(text), 2)

    def _subresolution_done(self, e: SubResolutionDone, i: int) -> None:
        if e.addresses:
            text = self.s.green(f"{self.s.glyph('ok')} {e.ns_name} has address ")
            text += self.s.green(", ".join(e.addresses))
        else:
            text = self.s.red(f"{self.s.glyph('fail')} no address found for {e.ns_name}")
        self._emit(e.depth, text, 1)  # closes the sub-resolution block (emitted at its depth)

    def _trust(self, e: TrustEstablished, i: int) -> None:
        cached = self.s.yellow("[cache] ") if e.cached else ""
        head = f"{cached}DNSSEC trust in zone {self.s.bold(e.zone)}: "
        if e.security == "secure":
            source = "the trust anchor" if e.anchor else f"the parent {e.parent}"
            ds = ", ".join(f"key tag {t} alg {a} digest {d}" for t, a, d in e.ds)
            matched = ", ".join(f"key tag {t} (algorithm {a})" for t, a, _ in e.matched)
            text = self.s.green(head + "secure") + f" {self.s.glyph('dash')} DS from {source}"
            text += f" ({ds}); matched DNSKEY {matched or 'from the anchor'}"
            if e.key_tag is not None:
                text += f", whose RRSIG signs the DNSKEY RRset (key tag {e.key_tag})"
        elif e.security == "insecure":
            where = f" (parent {e.parent})" if e.parent else ""
            text = self.s.yellow(head + "insecure") + f"{where}: {dnssec_reason_text(e.reason)}"
        else:
            text = self.s.red(head + e.security) + f": {dnssec_reason_text(e.reason)}"
            if e.key_tag is not None:
                text += f" (key tag {e.key_tag}, algorithm {e.algorithm})"
        self._emit(e.depth, text, 1)

    def _validated(self, e: AnswerValidated, i: int) -> None:
        if e.cached:  # the status the answer was cached with: not checked again
            text = self.s.yellow("[cache] ") + f"DNSSEC {e.security}: {e.response} for "
            self._emit(e.depth, text + f"{e.qname} {e.qtype}, as validated when cached", 1)
            return
        what = f"{e.response} for {e.qname} {e.qtype} from zone {e.zone}"
        if e.security == "secure":
            text = self.s.green(f"{self.s.glyph('ok')} DNSSEC secure: ") + what
            if e.key_tag is not None:
                text += f", RRSIG by key tag {e.key_tag} (algorithm {e.algorithm})"
            if e.wildcard:
                text += f", expanded from {e.wildcard}"
        elif e.security == "insecure":
            text = self.s.yellow("DNSSEC insecure: ") + what
            text += f" {self.s.glyph('dash')} {dnssec_reason_text(e.reason)}"
        else:
            text = self.s.red(f"{self.s.glyph('fail')} DNSSEC {e.security}: ") + what
            text += f" {self.s.glyph('dash')} {dnssec_reason_text(e.reason)}"
            if e.about:
                text += f" ({e.about}"
                text += f", key tag {e.key_tag})" if e.key_tag is not None else ")"
        self._emit(e.depth, text, 1)

    def _limit_reached(self, e: LimitReached, i: int) -> None:
        text = f"!! limit {e.limit} ({e.value:g}) reached: {_LIMIT_WORDS.get(e.limit, e.limit)}"
        if e.subject:
            text += f" ({e.subject})"
        self._emit(e.depth, self.s.red(text), 1)

    def _resolution_finished(self, e: ResolutionFinished, i: int) -> None:
        if e.depth == 0:
            return  # the summary after the trace says it, with the Answer's totals
        nxt = self._next_same_depth(i, e.depth - 1)
        announced = nxt is not None and nxt.kind == "subresolution_done"
        if e.rcode == "NOERROR" and e.records and announced:
            return  # the parent's "has address" line follows
        text = f"sub-resolution of {e.qname} {e.qtype} ended: {e.rcode}"
        if e.records:
            found = "; ".join(" ".join(r.split(None, 4)) for r in e.records)
            text += f" {self.s.glyph('dash')} {found}"
        self._emit(e.depth, self.s.dim(text), 1)
