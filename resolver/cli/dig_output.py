"""A reply in dig's framing: header with id, flags and the four counts, the OPT pseudosection,
the sections as tab-separated records, the stats footer; `+short`; the section toggles.

Everything is read from one DNS message (dnslib's DNSRecord): the reply a `--server` sent, or,
for an in-process resolution, the reply `resolve serve` would send for the same Answer. Our own
additions (NODATA explained, why SERVFAIL, a referral spelled out) are `;;` comment lines, which
dig's readers skip.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dnslib import CLASS, QTYPE, RCODE, RR, DNSRecord

from resolver.ede import OPTION_CODE as ede_option_code
from resolver.ede import parse_option
from resolver.render import Style, rdata_text

OPT = 41
FLAG_NAMES = ("qr", "aa", "tc", "rd", "ra", "ad", "cd")  # dig's order

# BIND's master-file style as dig uses it: tab stops every 8 columns; the TTL starts at 24, the
# class at 32, the type at 40, the data at 48. The question line has no TTL.
TAB = 8
TTL_COLUMN, CLASS_COLUMN, TYPE_COLUMN, RDATA_COLUMN = 24, 32, 40, 48


@dataclass(frozen=True)
class Reply:
    """One reply and what is known about how it came."""

    message: DNSRecord
    size: int  # octets of the message
    elapsed: float  # seconds from question to reply
    server: str | None = None  # "127.0.0.1#5353(127.0.0.1)"; None when resolved in-process
    protocol: str | None = None  # "UDP" or "TCP"; None in-process
    recursion_desired: bool = True
    retried_tcp: bool = False
    notes: tuple[str, ...] = ()  # our additions, each shown as one ";; " line
    origin: str = ""  # in-process: where it was resolved, for the SERVER line
    when: float = field(default_factory=time.time)


def flag_names(message: DNSRecord) -> list[str]:
    header = message.header
    return [name for name in FLAG_NAMES if getattr(header, name)]


def opt_record(message: DNSRecord) -> RR | None:
    return next((rr for rr in message.ar if rr.rtype == OPT), None)


def additional_records(message: DNSRecord) -> list[RR]:
    """The additional section without the OPT pseudo-record (dig shows it apart)."""
    return [rr for rr in message.ar if rr.rtype != OPT]


def type_text(rtype: int) -> str:
    return QTYPE.get(rtype, f"TYPE{rtype}")


def class_text(rclass: int) -> str:
    return CLASS.get(rclass, f"CLASS{rclass}")


class _Columns:
    """A line built field by field on BIND's tab stops (its masterdump.c indent())."""

    def __init__(self, first: str, column: int | None = None) -> None:
        self.parts = [first]
        self.column = len(first) if column is None else column

    def at(self, column: int, text: str) -> _Columns:
        to = max(column, self.column + 1)  # past the stop already: one tab or space
        tabs = to // TAB - self.column // TAB
        self.parts.append("\t" * tabs + " " * (to % TAB) if tabs > 0 else " " * (to - self.column))
        self.parts.append(text)
        self.column = to + len(text)
        return self

    def text(self) -> str:
        return "".join(self.parts)


# BIND writes the base64 of a signature or key in words of (60 - 2) rounded down to a multiple
# of 4 = 56 characters, separated by spaces (isc_base64_totext in rdata_totext's width 60).
BASE64_WORD = 56
_BASE64_LAST_FIELD = frozenset({QTYPE.RRSIG, QTYPE.DNSKEY, QTYPE.CDNSKEY})


def record_line(rr: RR) -> str:
    """One record as dig prints it: name, TTL, class, type, data on tab stops."""
    line = _Columns(str(rr.rname)).at(TTL_COLUMN, str(rr.ttl))
    line.at(CLASS_COLUMN, class_text(rr.rclass)).at(TYPE_COLUMN, type_text(rr.rtype))
    data = rdata_text(rr)
    if rr.rtype in _BASE64_LAST_FIELD:
        fields, blob = data.rsplit(" ", 1) if " " in data else ("", data)
        words = [blob[i : i + BASE64_WORD] for i in range(0, len(blob), BASE64_WORD)]
        data = " ".join([fields, *words]) if fields else " ".join(words)
    return line.at(RDATA_COLUMN, data).text()


def question_line(message: DNSRecord) -> str | None:
    if not message.questions:
        return None
    q = message.questions[0]
    # BIND writes the ";" before it starts counting columns: tab stops fall as if it were not
    # there (";cs.cornell.edu." gets three tabs, ";www.cs.cornell.edu." two).
    name = str(q.qname)
    line = _Columns(f";{name}", len(name)).at(CLASS_COLUMN, class_text(q.qclass))
    return line.at(TYPE_COLUMN, type_text(q.qtype)).text()


def _edns_lines(opt: RR) -> list[str]:
    version = (opt.ttl >> 16) & 0xFF
    flags = " do" if opt.ttl & 0x8000 else ""
    lines = [f"; EDNS: version: {version}, flags:{flags}; udp: {opt.rclass}"]
    for option in opt.rdata or []:
        code = getattr(option, "code", "?")
        data = getattr(option, "data", b"") or b""
        ede = parse_option(bytes(data)) if code == ede_option_code else None
        if ede is not None:  # as dig prints it, the EXTRA-TEXT in parentheses
            extra = f": ({ede.text})" if ede.text else ""
            lines.append(f"; EDE: {ede.code} ({ede.purpose}){extra}")
            continue
        lines.append(f"; OPT={code}: {bytes(data).hex().upper()}")
    return lines


def render_dig(
    reply: Reply,
    shown: dict[str, bool],
    style: Style | None = None,
    command_line: str | None = None,
) -> str:
    """The reply as dig prints it; `shown` holds dig's toggles (cmd, comments, question, ...)."""
    style = style or Style()
    message = reply.message
    header = message.header
    out: list[str] = []
    comments = shown["comments"]
    if comments and reply.retried_tcp:
        out.append(";; Truncated, retrying in TCP mode.")
    if shown["cmd"] and command_line is not None:
        out += ["", f"; <<>> {command_line}"]
        if reply.server is not None:
            out.append("; (1 server found)")
        out.append(";; global options: +cmd")
    if comments:
        rcode = RCODE.get(header.rcode, f"RESERVED{header.rcode}")
        status = _status(style, rcode, reply)
        flags = "".join(f" {name}" for name in flag_names(message))
        out += [
            ";; Got answer:",
            f";; ->>HEADER<<- opcode: QUERY, status: {status}, id: {header.id}",
            f";; flags:{flags}; QUERY: {header.q}, ANSWER: {header.a}, "
            f"AUTHORITY: {header.auth}, ADDITIONAL: {header.ar}",
        ]
        if reply.recursion_desired and not header.ra:
            out.append(";; WARNING: recursion requested but not available")
        out.append("")
        opt = opt_record(message)
        if opt is not None:
            out += [style.bold(";; OPT PSEUDOSECTION:"), *_edns_lines(opt)]
    question = question_line(message)
    if shown["question"] and question is not None:
        if comments:
            out.append(style.bold(";; QUESTION SECTION:"))
        out.append(question)
        if comments:
            out.append("")
    for part, title, records in (
        ("answer", "ANSWER", message.rr),
        ("authority", "AUTHORITY", message.auth),
        ("additional", "ADDITIONAL", additional_records(message)),
    ):
        if shown[part] and records:
            if comments:
                out.append(style.bold(f";; {title} SECTION:"))
            out += [record_line(rr) for rr in records]
            if comments:
                out.append("")
    if comments and reply.notes:
        out += [f";; {note}" for note in reply.notes]
        out.append("")
    if shown["stats"]:
        out += [
            f";; Query time: {round(reply.elapsed * 1000)} msec",
            f";; SERVER: {_server_text(reply)}",
            f";; WHEN: {time.strftime('%a %b %d %H:%M:%S %Z %Y', time.localtime(reply.when))}",
            f";; MSG SIZE  rcvd: {reply.size}",
            "",
        ]
    return "".join(line + "\n" for line in out)


def _status(style: Style, rcode: str, reply: Reply) -> str:
    if rcode == "NOERROR":
        return style.green(rcode) if reply.message.rr else style.yellow(rcode)
    if rcode == "NXDOMAIN":
        return style.yellow(rcode)
    return style.red(rcode)


def _server_text(reply: Reply) -> str:
    if reply.server is None:
        return f"in-process ({reply.origin})" if reply.origin else "in-process"
    return f"{reply.server} ({reply.protocol})"


def render_short(message: DNSRecord) -> str:
    """dig +short: the data of every answer record, one per line (CNAME targets included)."""
    return "".join(rdata_text(rr) + "\n" for rr in message.rr)
