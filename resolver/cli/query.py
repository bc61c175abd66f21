"""`resolve NAME [TYPE] ...`: in-process from the root down, or asked of one nameserver
(`--server`/`@ADDR`, with `+norec` an authoritative one), shown as dig shows replies, as `+short`,
as JSON, or as the walk (`--trace`).

Imports of the resolver, dnslib and asyncio happen inside the functions that need them, so that
parsing the command line and printing --help stay cheap.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from resolver.cli import dig_syntax
from resolver.cli.commands import StartError, open_resolver
from resolver.cli.dig_syntax import Question
from resolver.cli.options import (
    DIG_PORT,
    OUTPUT_PARTS,
    PROG,
    UsageError,
    behaviour_options,
    query_parser,
)
from resolver.cli.status import (
    EXIT_ANSWER,
    EXIT_ERROR,
    EXIT_NODATA,
    EXIT_NXDOMAIN,
    EXIT_SERVFAIL,
)
from resolver.protocol import DEFAULT_SERVER_PORT

if TYPE_CHECKING:
    from resolver import Answer
    from resolver.cli.dig_output import Reply

REFERRAL = "referral"  # a +norec reply that points to the servers of a zone below
NO_REPLY = "no_reply"  # --server gave nothing usable: timeout, refused, malformed

# How to read --trace, in the glyphs the trace itself uses (Style falls back to ASCII).
_LEGEND = (
    ("#N zone Z  {send} server (address)", "hop N: a question to a server of zone Z"),
    ("  question: NAME TYPE", "what that server was asked"),
    ("  {recv} what it said  (UDP, 0.4 ms, aa)", "its reply in words; protocol, round"),
    ("", "trip, size; aa = authoritative"),
    ("    answer section:", "the records of that reply that matter,"),
    ("      name TTL IN TYPE data", "under the section they came in: answer,"),
    ("", "authority, additional (glue)"),
    ("referral to Z", "the server does not know; it names the"),
    ("", "servers of zone Z below (NS set) and,"),
    ("", "as glue, their addresses"),
    ("[cache]", "known already: nothing was sent"),
    ("  a cached NXDOMAIN ... (RFC 2308)", "from a remembered negative answer (or"),
    ("", "failure); the RFC says for how long"),
    ("{sub} sub-resolution  {gutter}", "a name server's address is looked up"),
    ("", "first; its hops sit behind the bar"),
    ("{alias} alias (CNAME)", "a new walk starts at the target name"),
    ("{fail} timed out / {fail} lame", "a server failed; the next is tried"),
    ("!! limit", "a safety limit ended the walk (SERVFAIL)"),
)


def trace_legend(style: Any) -> str:
    """The legend of --trace's marks, with the glyphs `style` draws."""
    glyphs = {name: style.glyph(name) for name in ("send", "recv", "sub", "gutter", "alias",
                                                    "fail")}  # fmt: skip
    lines = ["How to read --trace:"]
    for mark, meaning in _LEGEND:
        lines.append(f"  {mark.format(**glyphs):<36} {meaning}".rstrip())
    return "\n".join(lines) + "\n"


def _shown(args: argparse.Namespace) -> dict[str, bool]:
    """dig's toggles after `+noall +answer` and friends; +short turns everything off."""
    default = not args.short
    return {
        part: default if getattr(args, part) is None else getattr(args, part)
        for part in OUTPUT_PARTS
    }


def _server_address(args: argparse.Namespace, at_server: bool) -> tuple[str, int] | None:
    if args.server is None:
        return None
    host, port = args.server
    if port is not None and args.port is not None and port != args.port:
        raise UsageError(f"two ports for the server: {port} in the address and -p {args.port}")
    port = port if port is not None else args.port
    if port is None:
        port = DIG_PORT if at_server else DEFAULT_SERVER_PORT
    if port == 0:
        raise UsageError("port 0 cannot be queried")
    family = ipaddress.ip_address(host).version
    if args.ipv4_only and family != 4:
        raise UsageError(f"-4 asks for IPv4, but the server {host} is IPv6")
    if args.ipv6_only and family != 6:
        raise UsageError(f"-6 asks for IPv6, but the server {host} is IPv4")
    return host, port


def _check_query_options(args: argparse.Namespace) -> None:
    if args.lab and args.root_hints:
        raise UsageError("--lab brings its own root hints; drop --root-hints")
    if args.lab and args.upstream_port is not None:
        raise UsageError("--lab sets the upstream port itself; drop --upstream-port")
    if args.server is not None:
        for flag, given in (
            ("--lab", args.lab),
            ("--trace", args.trace),
            ("--root-hints", args.root_hints),
            ("--upstream-port", args.upstream_port is not None),
            ("--no-cache", args.no_cache),
            ("--no-dnssec", not args.validation),
            ("--trust-anchor", args.trust_anchor is not None),
            ("--lifetime", args.lifetime is not None),
        ):
            if given:
                raise UsageError(
                    f"{flag} is about resolving in-process; it cannot apply to --server/@ADDR"
                )
    else:
        for flag, given, why in (
            ("--tcp/+tcp", args.tcp, "in-process resolution uses UDP and retries over TCP "
             "when a reply is truncated"),
            ("--norec/+norec", args.recurse is False, "it asks one server directly: name it "
             "with @ADDR or --server"),
            ("-p", args.port is not None, "it is the port of @ADDR/--server (the "
             "authoritative servers' port is --upstream-port)"),
            ("-6", args.ipv6_only, "in-process resolution can be limited to IPv4 (-4), "
             "not to IPv6"),
        ):  # fmt: skip
            if given:
                raise UsageError(f"{flag} needs a server: {why}")
    if args.short and args.trace:
        raise UsageError("--short and --trace do not mix (try --trace alone, or --json --trace)")
    if args.short and args.json:
        raise UsageError("--short and --json do not mix: choose one output")


def _questions(args: argparse.Namespace) -> Iterator[Question]:
    """Every question, checked before the first is asked; -f lines as they are read."""
    default_type = dig_syntax.parse_type(args.default_type)
    given = dig_syntax.questions_from_words(args.words, default_type)
    given += [Question(dig_syntax.validate_name(name), default_type) for name in args.names]
    given += [dig_syntax.reverse_question(text) for text in args.reverse]
    lines = _batch_lines(args.batch) if args.batch else None
    if not given and lines is None:
        raise UsageError(f"no name to resolve (see '{PROG} --help')")

    def all_questions() -> Iterator[Question]:
        yield from given
        if lines is not None:
            yield from dig_syntax.batch_lines(lines, default_type)

    return all_questions()


def _batch_lines(path: str) -> Iterator[str]:
    """The lines of a batch file; '-' reads standard input one line at a time."""
    if path == "-":
        return iter(sys.stdin.readline, "")
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - read lazily, closed at the end
    except OSError as exc:
        raise UsageError(f"cannot read batch file {path}: {exc.strerror or exc}") from None

    def read() -> Iterator[str]:
        with handle:
            try:
                yield from handle
            except UnicodeDecodeError as exc:
                raise UsageError(f"cannot read batch file {path}: {exc}") from None

    return read()


def _exit_status(kind: str) -> int:
    from resolver import render

    return {
        render.ANSWER: EXIT_ANSWER,
        REFERRAL: EXIT_ANSWER,
        render.NXDOMAIN: EXIT_NXDOMAIN,
        render.NODATA: EXIT_NODATA,
    }.get(kind, EXIT_SERVFAIL)


def _question_dict(question: Question) -> dict[str, str]:
    from resolver.cli.dig_output import type_text

    return {"name": question.name, "type": type_text(question.rdtype), "class": "IN"}


class Output:
    """Writes each result as it completes (text) or collects them into one JSON document."""

    def __init__(self, args: argparse.Namespace, command_line: str, stream: TextIO) -> None:
        from resolver.render import Style

        self.args = args
        self.stream = stream
        self.style = Style.for_stream(stream, args.color)
        self.shown = _shown(args)
        self.command_line = command_line
        self.queries: list[dict[str, Any]] = []
        self.count = 0

    def result(
        self,
        question: Question,
        reply: Reply,
        kind: str,
        *,
        answer: Answer | None = None,
        json_extra: dict[str, Any],
    ) -> None:
        from resolver import render
        from resolver.cli import dig_output, json_output

        args = self.args
        if args.json:
            trace = None
            if args.trace and answer is not None:
                trace = render.trace_to_list(answer.trace)
            self.queries.append(
                json_output.query_document(
                    _question_dict(question), kind, reply=reply, trace=trace, **json_extra
                )
            )
            return
        if args.short:
            text = dig_output.render_short(reply.message)
        elif args.trace and answer is not None:
            text = ("\n" if self.count else "") + render.render_trace(answer, self.style)
        else:
            text = dig_output.render_dig(reply, self.shown, self.style, self.command_line)
        self.stream.write(text)
        self.stream.flush()
        self.count += 1

    def failure(self, question: Question, message: str, server: dict[str, Any]) -> None:
        from resolver.cli import json_output

        if self.args.json:
            self.queries.append(
                json_output.query_document(
                    _question_dict(question), NO_REPLY, server=server, error=message
                )
            )
        print(f"{PROG}: {message}", file=sys.stderr)

    def finish(self) -> None:
        if self.args.json and self.queries:
            import json

            from resolver.cli.json_output import document

            self.stream.write(json.dumps(document(self.queries), indent=2) + "\n")
            self.stream.flush()


def _resolver_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {"use_cache": not args.no_cache, "ipv4_only": args.ipv4_only,
                            **behaviour_options(args)}
    if args.timeout is not None:
        opts["timeout"] = args.timeout
    if args.lifetime is not None:
        opts["lifetime"] = args.lifetime
    if args.upstream_port is not None:
        opts["upstream_port"] = args.upstream_port
    return opts


def in_process_reply(answer: Answer, *, cd: bool, do: bool, origin: str) -> Reply:
    """The reply `resolve serve` would send for this Answer, to a dig-like query (RD, EDNS)."""
    from dnslib import DNSRecord

    from resolver import render, wire
    from resolver.cli.dig_output import Reply
    from resolver.server.query import parse_query
    from resolver.server.replies import answer_reply

    query = wire.build_query(str(answer.qname), answer.rdtype, 0, rd=True, cd=cd, do=do,
                             ad=True)  # dig sets AD (+adflag)
    raw = answer_reply(parse_query(query), answer)
    notes = _notes(render.outcome(answer), str(answer.qname), answer.rdtype_text,
                   render.failure_reason(answer))  # fmt: skip
    where = [origin, f"{answer.upstream_queries} upstream quer"
             f"{'y' if answer.upstream_queries == 1 else 'ies'}"]  # fmt: skip
    if answer.from_cache:
        where.append("from cache")
    return Reply(
        DNSRecord.parse(raw), len(raw), answer.elapsed, notes=tuple(notes),
        origin=", ".join(where),
    )  # fmt: skip


def _notes(kind: str, qname: str, qtype: str, reason: str) -> list[str]:
    from resolver import render

    if kind == render.NODATA:
        return [f"NODATA: {qname} exists but has no {qtype} records (the SOA says for how "
                "long that may be cached)"]  # fmt: skip
    if kind == render.SERVFAIL and reason:
        return [f"SERVFAIL because: {reason}"]
    return []


def _run_in_process(args: argparse.Namespace, questions: Iterator[Question], out: Output) -> int:
    from resolver import render

    with contextlib.ExitStack() as stack:
        try:
            resolver, where = open_resolver(args, stack, _resolver_options(args))
        except StartError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return EXIT_ERROR
        origin = f"iterative resolution, {where}"
        status = EXIT_ANSWER
        if args.legend and args.trace and not args.json:
            out.stream.write(trace_legend(out.style) + "\n")
        for question in questions:
            answer = resolver.query(question.name, question.rdtype,
                                    checking_disabled=bool(args.cd))  # +cd: no validation
            kind = render.outcome(answer)
            reply = in_process_reply(answer, cd=bool(args.cd), do=bool(args.dnssec),
                                     origin=origin)  # fmt: skip
            network = sum(getattr(e, "rtt", 0.0) for e in answer.trace if e.kind == "response")
            out.result(
                question, reply, kind, answer=answer,
                json_extra={
                    "reason": render.failure_reason(answer) or None,
                    "security": answer.security.value if answer.security else None,
                    "canonical_name": str(answer.canonical_name),
                    "resolution": {
                        "from_cache": answer.from_cache,
                        "upstream_queries": answer.upstream_queries,
                        "servers_contacted": answer.servers_contacted,
                    },
                    "elapsed": answer.elapsed,
                    "network": network if answer.trace else None,
                },
            )  # fmt: skip
            status = status or _exit_status(kind)
        return status


def referral_of(message: Any, qname: str, qtype: int) -> dict[str, Any] | None:
    """A +norec reply that delegates qname to a zone below: the zone, its NS names, glue."""
    from resolver.classify import Kind, classify
    from resolver.cli.json_output import record

    judged = classify(message, ".", qname, qtype)
    if judged.kind != Kind.REFERRAL:
        return None
    return {
        "zone": judged.referral_zone,
        "ns": judged.ns_names,
        "glue": [record(rr) for rr in judged.additional],
    }


def _referral_note(referral: dict[str, Any], port: int, question: Question, qtype: str) -> str:
    """Spell a referral out, with the command that takes the next step down by hand."""
    ns, glue = referral["ns"], [record["data"] for record in referral["glue"]]
    head = (
        f"REFERRAL to {referral['zone']} ({len(ns)} NS, {len(glue)} glue): not an answer; "
        "ask one of its servers next"
    )
    if not glue:
        return f"{head}, once you know the address of {ns[0]}"
    port_option = "" if port == DIG_PORT else f" -p {port}"
    type_word = "" if qtype == "A" else f" {qtype}"
    return f"{head}: {PROG} @{glue[0]}{port_option} +norec {question.name}{type_word}"


def _server_reply(stub_reply: Any, recursion: bool, notes: list[str]) -> Reply:
    from dnslib import DNSRecord

    from resolver.cli.dig_output import Reply

    host, _, port = stub_reply.server.rpartition("#")
    return Reply(
        DNSRecord.parse(stub_reply.raw), stub_reply.size, stub_reply.answer.elapsed,
        server=f"{host}#{port}({host})", protocol=stub_reply.protocol.upper(),
        recursion_desired=recursion, retried_tcp=stub_reply.retried_tcp, notes=tuple(notes),
    )  # fmt: skip


def _port_hint(args: argparse.Namespace, host: str) -> str:
    """`::1:5401` is an address; if its last group looks like a port, say how to write one."""
    if ":" not in host or args.server[1] is not None or args.port is not None:
        return ""
    rest, _, last = host.rpartition(":")
    try:
        ipaddress.IPv6Address(rest)
    except ValueError:
        return ""
    if not last.isdigit():
        return ""
    return f" (a bare IPv6 address has no port: for {rest} port {last} write [{rest}]:{last})"


def _run_against_server(
    args: argparse.Namespace, server: tuple[str, int], questions: Iterator[Question], out: Output
) -> int:
    from resolver import render
    from resolver.stub import DEFAULT_STUB_TIMEOUT, StubError, query_server

    host, port = server
    recursion = args.recurse is not False
    status = EXIT_ANSWER
    for question in questions:
        where = {"address": host, "port": port, "protocol": "tcp" if args.tcp else "udp"}
        try:
            stub = query_server(
                host, port, question.name, question.rdtype,
                timeout=args.timeout or DEFAULT_STUB_TIMEOUT, tcp=bool(args.tcp),
                rd=recursion, cd=bool(args.cd), do=bool(args.dnssec),
                ad=True,  # like dig (+adflag): ask whether the data is secure
            )  # fmt: skip
        except StubError as exc:
            out.failure(question, str(exc) + _port_hint(args, host), where)
            status = status or EXIT_SERVFAIL
            continue
        where["protocol"] = stub.protocol
        kind = render.outcome(stub.answer)
        referral = None
        if not recursion and kind == render.NODATA:
            from dnslib import DNSRecord

            referral = referral_of(DNSRecord.parse(stub.raw), question.name, question.rdtype)
        if referral is not None:
            kind = REFERRAL
            notes = [_referral_note(referral, port, question, stub.answer.rdtype_text)]
        else:
            notes = _notes(kind, question.name, stub.answer.rdtype_text, "")
        out.result(
            question, _server_reply(stub, recursion, notes), kind,
            json_extra={
                "server": where,
                "canonical_name": str(stub.answer.canonical_name),
                "referral": referral,
                "elapsed": stub.answer.elapsed,
            },
        )  # fmt: skip
        status = status or _exit_status(kind)
    return status


def query_command(argv: Sequence[str], stream: TextIO | None = None) -> int:
    """`resolve [options] NAME [TYPE] ...`, dig's words included; returns the exit status."""
    from resolver import __version__

    translated = dig_syntax.translate(argv)
    args = query_parser().parse_intermixed_args(translated.argv)
    if args.legend and not args.trace and not (args.words or args.names or args.reverse
                                                 or args.batch):  # fmt: skip
        from resolver.render import Style

        stream = stream or sys.stdout
        stream.write(trace_legend(Style.for_stream(stream, args.color)))
        return EXIT_ANSWER
    _check_query_options(args)
    server = _server_address(args, translated.at_server)
    questions = _questions(args)
    command_line = f"{PROG} {__version__} <<>> {' '.join(argv)}"
    out = Output(args, command_line, stream or sys.stdout)
    try:
        if server is not None:
            return _run_against_server(args, server, questions, out)
        return _run_in_process(args, questions, out)
    finally:
        out.finish()
