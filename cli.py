"""The `resolve` command: argument parsing and output only; everything else is a library call.

    resolve NAME [TYPE] [NAME [TYPE] ...] [options]   resolve names (the default command)
    resolve -x ADDR                                   reverse lookup
    resolve lab | serve | stats ...                   the offline lab, the nameserver, its counters

The installed `resolve` console script and `python cli.py` from a checkout are the same program.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from dnslib import QTYPE

from resolver import Answer, Resolver, __version__, render
from resolver.api import normalize_name, parse_rdtype
from resolver.errors import InvalidName
from resolver.hints import HintsError
from resolver.render import Origin, Style, outcome
from resolver.stub import DEFAULT_STUB_TIMEOUT, StubError, query_server

# Exit statuses (documented in --help; the README repeats them).
EXIT_ANSWER = 0  # every query got an answer
EXIT_NXDOMAIN = 1  # the name does not exist
EXIT_USAGE = 2  # bad command line or bad input (argparse's own code for usage errors)
EXIT_NODATA = 3  # the name exists but has no records of the asked type
EXIT_SERVFAIL = 4  # resolution failed: SERVFAIL, all servers failed, timeout, no reply
EXIT_ERROR = 5  # could not run: cannot bind a socket, cannot start the lab

PROG = "resolve"
SUBCOMMANDS = ("lab", "serve", "stats")
DEFAULT_SERVER_PORT = 5353  # where `resolve serve` listens by default
DEFAULT_LAB_NETWORK = "127.42.0.0/16"

EXIT_CODES_HELP = f"""\
exit status:
  {EXIT_ANSWER}  every query was answered
  {EXIT_NXDOMAIN}  NXDOMAIN: the name does not exist
  {EXIT_USAGE}  usage error or bad input (unknown type, bad name, bad -x address,
     unreadable hints file, bad --listen ...)
  {EXIT_NODATA}  NODATA: the name exists but has no records of that type
  {EXIT_SERVFAIL}  SERVFAIL: resolution failed (every server failed, a limit or the
     deadline was reached, or --server/stats got no reply)
  {EXIT_ERROR}  could not run (e.g. `serve` cannot bind its address)
  With several queries the status is that of the first one that was not answered."""

QUERY_EPILOG = f"""\
queries:
  Each NAME may be followed by its TYPE (default A, or -t TYPE): any type dnslib knows
  (A AAAA MX NS TXT SOA CNAME SRV PTR CAA ...) or TYPEnnn, in any letter case. A word
  without a dot after a NAME is read as a TYPE, so write single-label names with their
  trailing dot ("com."). Several names are resolved one after another by the same
  resolver and cache, like dig's batch mode; so are the lines of -f FILE.

other commands:
  resolve lab [--network CIDR] [--port N]       run the offline lab internet (foreground)
  resolve serve [--listen ADDR[:PORT]] ...      run the caching nameserver (see serve --help)
  resolve stats [--server ADDR[:PORT]] [--json] read a running nameserver's counters

examples:
  resolve --lab www.cs.cornell.edu --trace      watch the walk root -> edu -> cornell.edu -> cs
  resolve --lab www.cs.cornell.edu MX --json    one JSON document, for scripts
  resolve --lab --short www.example.com AAAA    just the data, like dig +short
  resolve --lab www.example.com www.example.com --trace
                                                the second walk is answered from cache
  resolve --lab -x 127.42.0.1                   reverse lookup (PTR)
  resolve --server 127.0.0.1:5353 example.com   ask a running `resolve serve` instead
  resolve www.example.com                       the real internet, from the IANA root hints

{EXIT_CODES_HELP}"""


class UsageError(Exception):
    """Bad command line or bad input: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line ("resolve: ...") instead of usage + error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------------------------
# Argument types: each turns text into a value or raises ArgumentTypeError with a clear message.


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range 0-65535")
    return value


def _upstream_port(text: str) -> int:
    value = _port(text)
    if value == 0:
        raise argparse.ArgumentTypeError("port 0 cannot be queried")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP network: {text!r}") from None


def parse_host_port(text: str, default_port: int | None) -> tuple[str, int | None]:
    """ "127.0.0.1", "127.0.0.1:53", "::1", "[::1]:53" -> (address, port or default_port)."""
    text = text.strip()
    port: int | None = default_port
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise argparse.ArgumentTypeError(f"expected [IPv6]:PORT, got {text!r}")
        if rest:
            port = _port(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _port(port_text)
    else:
        host = text  # IPv4, or a bare IPv6 address (several colons) without a port
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an IP address: {host!r} (use ADDR, ADDR:PORT or [IPv6]:PORT)"
        ) from None
    return str(address), port


def _host_port_arg(text: str) -> tuple[str, int | None]:
    return parse_host_port(text, None)


# --------------------------------------------------------------------------------------------
# resolve NAME [TYPE] ...


@dataclass(frozen=True)
class Question:
    name: str  # validated, absolute
    rdtype: int


def _type_or_none(word: str) -> int | None:
    try:
        return parse_rdtype(word)
    except ValueError:
        return None


def _check_query_type(rdtype: int, word: str) -> int:
    # Meta-types a resolver does not answer through a normal query.
    if QTYPE.get(rdtype, "") in ("OPT", "AXFR", "IXFR", "TSIG", "TKEY", "MAILA", "MAILB"):
        raise UsageError(f"{word.upper()} is not a type a resolver can be asked for")
    return rdtype


def _parse_type(word: str) -> int:
    rdtype = _type_or_none(word)
    if rdtype is None:
        raise UsageError(f"unknown record type {word!r}")
    return _check_query_type(rdtype, word)


def _validate_name(text: str) -> str:
    try:
        return normalize_name(text)
    except InvalidName as exc:
        raise UsageError(str(exc)) from None


def questions_from_words(words: Sequence[str], default_type: int) -> list[Question]:
    """dig-style: NAME [TYPE] [NAME [TYPE]] ...; a TYPE may also come before its NAME."""
    pending: list[tuple[str, int | None]] = []
    type_first: str | None = None
    for word in words:
        if word.upper() == "IN":
            continue  # the only class there is; dig users type it
        follows_untyped_name = bool(pending) and pending[-1][1] is None and type_first is None
        rdtype = _type_or_none(word)
        if rdtype is not None and (follows_untyped_name or "." not in word):
            if follows_untyped_name:
                pending[-1] = (pending[-1][0], _check_query_type(rdtype, word))
            elif type_first is not None:
                raise UsageError(f"two types in a row: {type_first} {word}")
            else:
                type_first = word
            continue
        if follows_untyped_name and "." not in word and word.isalnum():
            raise UsageError(
                f"unknown record type {word!r} (a single-label name needs its trailing dot: "
                f"{word}.)"
            )
        pending.append((word, _parse_type(type_first) if type_first else None))
        type_first = None
    if type_first is not None:
        hint = "" if pending else f" (write a single-label name with its dot: {type_first}.)"
        raise UsageError(f"type {type_first.upper()} is not followed by a name{hint}")
    return [Question(_validate_name(name), t or default_type) for name, t in pending]


def _reverse_question(text: str) -> Question:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise UsageError(f"-x needs an IPv4 or IPv6 address, not {text!r}") from None
    return Question(address.reverse_pointer + ".", QTYPE.PTR)


def _batch_words(path: str) -> list[list[str]]:
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise UsageError(f"cannot read batch file {path}: {reason}") from None
    lines = (line.split("#", 1)[0].split() for line in text.splitlines())
    return [words for words in lines if words]


def _query_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        usage="%(prog)s [options] NAME [TYPE] [NAME [TYPE] ...]\n"
        "       %(prog)s [options] -x ADDR\n"
        "       %(prog)s {lab,serve,stats} ...",
        description="Resolve DNS names iteratively, from the root servers down, and show how.",
        epilog=QUERY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("words", nargs="*", metavar="NAME [TYPE]", help="what to resolve")
    parser.add_argument(
        "-x", dest="reverse", action="append", default=[], metavar="ADDR",
        help="reverse lookup: the PTR record of an IPv4 or IPv6 address (repeatable)",
    )  # fmt: skip
    parser.add_argument("-t", dest="default_type", metavar="TYPE", default="A",
                        help="type for names given without one (default A)")  # fmt: skip
    parser.add_argument(
        "-f",
        dest="batch",
        metavar="FILE",
        help="read queries from FILE, one 'NAME [TYPE]' per line ('-' = stdin)",
    )
    out = parser.add_argument_group("output")
    fmt = out.add_mutually_exclusive_group()
    fmt.add_argument("--short", action="store_true", help="just the data, one per line")
    fmt.add_argument(
        "--json",
        action="store_true",
        help="one JSON document (an array of them for several queries)",
    )
    out.add_argument(
        "--trace",
        action="store_true",
        help="show the walk: every server asked, what it said, what came from cache",
    )
    out.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="ANSI colour: auto (default) = only when stdout is a terminal",
    )
    where = parser.add_argument_group("where to resolve")
    where.add_argument(
        "--lab",
        action="store_true",
        help="resolve inside the offline lab internet, started in-process",
    )
    where.add_argument(
        "--root-hints",
        metavar="FILE",
        help="root hints file (named.root format) instead of the IANA one",
    )
    where.add_argument(
        "--server",
        metavar="HOST[:PORT]",
        type=_host_port_arg,
        help="ask a running recursive nameserver (e.g. `resolve serve`) instead; "
        f"PORT defaults to {DEFAULT_SERVER_PORT}, where `resolve serve` listens",
    )
    where.add_argument("--tcp", action="store_true", help="with --server: ask over TCP")
    where.add_argument(
        "--upstream-port",
        type=_upstream_port,
        metavar="N",
        help="port the authoritative servers listen on (default 53)",
    )
    where.add_argument(
        "-4", dest="ipv4_only", action="store_true", help="query upstream servers over IPv4 only"
    )
    tuning = parser.add_argument_group("limits")
    tuning.add_argument(
        "--timeout",
        type=_seconds,
        metavar="S",
        help="longest wait for one upstream reply (with --server: for the reply)",
    )
    tuning.add_argument(
        "--lifetime",
        type=_seconds,
        metavar="S",
        help="overall deadline of one resolution (default 10)",
    )
    tuning.add_argument(
        "--no-cache", action="store_true", help="start every query with an empty cache"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


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
            ("--lifetime", args.lifetime is not None),
            ("-4", args.ipv4_only),
        ):
            if given:
                raise UsageError(
                    f"{flag} is about resolving in-process; it cannot apply to --server"
                )
    elif args.tcp:
        raise UsageError(
            "--tcp applies to --server (in-process resolution uses UDP and retries over TCP "
            "when a reply is truncated)"
        )
    if args.short and args.trace:
        raise UsageError("--short and --trace do not mix (try --trace alone, or --json --trace)")


def _collect_questions(args: argparse.Namespace) -> list[Question]:
    default_type = _parse_type(args.default_type)
    questions = questions_from_words(args.words, default_type)
    if args.batch:
        for words in _batch_words(args.batch):
            questions += questions_from_words(words, default_type)
    questions += [_reverse_question(text) for text in args.reverse]
    if not questions:
        raise UsageError(f"no name to resolve (see '{PROG} --help')")
    return questions


def _exit_status(kind: str) -> int:
    return {
        render.ANSWER: EXIT_ANSWER,
        render.NXDOMAIN: EXIT_NXDOMAIN,
        render.NODATA: EXIT_NODATA,
    }.get(kind, EXIT_SERVFAIL)


class _Output:
    """Writes each result as it completes (text) or collects them (JSON)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.style = Style.for_stream(sys.stdout, args.color)
        self.documents: list[dict] = []
        self.count = 0

    def answer(self, answer: Answer, origin: Origin, extra: dict | None = None) -> None:
        args = self.args
        if args.json:
            doc = render.answer_to_dict(answer, include_trace=args.trace)
            doc.update(extra or {})
            self.documents.append(doc)
            return
        if args.short:
            sys.stdout.write(render.render_short(answer))
        else:
            if self.count:
                sys.stdout.write("\n")
            if args.trace:
                sys.stdout.write(render.render_trace(answer, self.style))
            else:
                sys.stdout.write(render.render_answer(answer, origin, self.style))
        sys.stdout.flush()
        self.count += 1

    def failure(self, question: Question, message: str) -> None:
        if self.args.json:
            self.documents.append(
                {
                    "question": {
                        "name": question.name,
                        "type": QTYPE.get(question.rdtype, f"TYPE{question.rdtype}"),
                        "class": "IN",
                    },
                    "status": "servfail",
                    "rcode": None,
                    "error": message,
                }
            )
        print(f"{PROG}: {message}", file=sys.stderr)

    def finish(self) -> None:
        if self.args.json and self.documents:
            doc = self.documents[0] if len(self.documents) == 1 else self.documents
            sys.stdout.write(json.dumps(doc, indent=2) + "\n")
            sys.stdout.flush()


def _resolver_options(args: argparse.Namespace) -> dict:
    opts: dict = {"use_cache": not args.no_cache, "ipv4_only": args.ipv4_only}
    if args.timeout is not None:
        opts["timeout"] = args.timeout
    if args.lifetime is not None:
        opts["lifetime"] = args.lifetime
    if args.upstream_port is not None:
        opts["upstream_port"] = args.upstream_port
    return opts


class StartError(Exception):
    """The resolver cannot start (the lab cannot bind or load its zones); one-line message."""


def _open_resolver(
    args: argparse.Namespace, stack: contextlib.ExitStack, opts: dict
) -> tuple[Resolver, str]:
    """The resolver the options ask for (in-process lab or root hints) and where it resolves.

    Bad hints are a UsageError; a lab that cannot start is a StartError."""
    try:
        if args.lab:
            from resolver.lab import Lab, ZoneError

            try:
                lab = stack.enter_context(Lab(port=0))
            except (OSError, ZoneError) as exc:  # cannot bind loopback, or a broken zone file
                raise StartError(
                    f"cannot start the lab: {getattr(exc, 'strerror', None) or exc}"
                ) from None
            resolver = Resolver.for_lab(lab, **opts)
            where = f"offline lab, port {lab.port}"
        else:
            resolver = Resolver(args.root_hints, **opts)
            where = f"root hints {resolver.hints.path}"
    except HintsError as exc:
        raise UsageError(str(exc)) from None
    stack.callback(resolver.close)
    return resolver, where


def _run_in_process(args: argparse.Namespace, questions: list[Question], out: _Output) -> int:
    with contextlib.ExitStack() as stack:
        try:
            resolver, where = _open_resolver(args, stack, _resolver_options(args))
        except StartError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return EXIT_ERROR
        origin = Origin(f"in-process iterative resolution ({where})")
        status = EXIT_ANSWER
        for question in questions:
            answer = resolver.query(question.name, question.rdtype)
            out.answer(answer, origin)
            code = _exit_status(outcome(answer))
            status = status or code
        return status


def _run_against_server(args: argparse.Namespace, questions: list[Question], out: _Output) -> int:
    host, port = args.server
    port = DEFAULT_SERVER_PORT if port is None else port
    status = EXIT_ANSWER
    for question in questions:
        try:
            reply = query_server(
                host, port, question.name, question.rdtype,
                timeout=args.timeout or DEFAULT_STUB_TIMEOUT, tcp=args.tcp,
            )  # fmt: skip
        except StubError as exc:
            out.failure(question, str(exc))
            status = status or EXIT_SERVFAIL
            continue
        origin = Origin(
            f"SERVER: {reply.server} ({reply.protocol.upper()}), {reply.size} bytes",
            flags=reply.flags,
            remote=True,
        )
        out.answer(reply.answer, origin, {"server": reply.server, "flags": list(reply.flags)})
        status = status or _exit_status(outcome(reply.answer))
    return status


def query_command(argv: Sequence[str]) -> int:
    args = _query_parser().parse_intermixed_args(argv)
    _check_query_options(args)
    questions = _collect_questions(args)
    out = _Output(args)
    try:
        if args.server is not None:
            return _run_against_server(args, questions, out)
        return _run_in_process(args, questions, out)
    finally:
        out.finish()


# --------------------------------------------------------------------------------------------
# resolve lab / serve / stats


def lab_command(argv: Sequence[str]) -> int:
    parser = _Parser(
        prog=f"{PROG} lab",
        description="Run the offline lab internet (root, TLD and zone servers on loopback "
        "addresses) in the foreground until interrupted. It prints the root hints to use.",
        epilog=f"example:\n  {PROG} lab --port 5300\n\n{EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--network",
        type=_network,
        default=DEFAULT_LAB_NETWORK,
        help=f"loopback block for the lab hosts (default {DEFAULT_LAB_NETWORK})",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=None,
        help="port every lab host listens on (default 53 when it may be bound, "
        "else a free port; 0 = a free port)",
    )
    args = parser.parse_args(argv)
    if not ipaddress.ip_network(args.network).is_loopback:
        raise UsageError(f"the lab lives on loopback only; {args.network} is not loopback")
    from resolver.lab import run_lab_forever

    try:
        run_lab_forever(args.network, args.port, out=sys.stdout)
        return EXIT_ANSWER
    except OSError as exc:
        print(f"{PROG} lab: cannot start the lab: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR


def serve_command(argv: Sequence[str]) -> int:
    from resolver.server.config import DEFAULT_PORT

    parser = _Parser(
        prog=f"{PROG} serve",
        description="Run the caching nameserver in the foreground (logs to stderr; stop with "
        "Ctrl-C or SIGTERM). Clients outside --allow get REFUSED: by default only loopback.",
        epilog=f"""\
examples:
  {PROG} serve --lab                       serve the offline lab on 127.0.0.1:{DEFAULT_PORT}
  dig @127.0.0.1 -p {DEFAULT_PORT} www.cs.cornell.edu
  {PROG} serve --listen 127.0.0.1:5353 --listen [::1]:5353 --stats-interval 60
  {PROG} stats --server 127.0.0.1:{DEFAULT_PORT}

{EXIT_CODES_HELP}""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--listen",
        action="append",
        type=_host_port_arg,
        default=[],
        metavar="ADDR[:PORT]",
        help=f"address to serve on, repeatable; IPv6 as [::1]:{DEFAULT_PORT} "
        f"(default 127.0.0.1 and ::1)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port for --listen addresses given without one (default {DEFAULT_PORT})",
    )
    parser.add_argument("--root-hints", metavar="FILE", help="root hints file (default: IANA's)")
    parser.add_argument(
        "--lab",
        action="store_true",
        help="resolve inside the offline lab internet, started in-process",
    )
    parser.add_argument(
        "--upstream-port",
        type=_upstream_port,
        metavar="N",
        help="port the authoritative servers listen on (default 53)",
    )
    parser.add_argument(
        "-4", dest="ipv4_only", action="store_true", help="query upstream servers over IPv4 only"
    )
    parser.add_argument(
        "--cache-size",
        type=_positive_int,
        metavar="N",
        help="RRsets kept in the cache (default 100000)",
    )
    parser.add_argument(
        "--min-ttl",
        type=_non_negative_int,
        metavar="S",
        help="cache records at least this long (default 0)",
    )
    parser.add_argument(
        "--max-ttl",
        type=_positive_int,
        metavar="S",
        help="cache records at most this long (default 86400)",
    )
    parser.add_argument(
        "--allow",
        action="append",
        type=_network,
        default=[],
        metavar="NET",
        help="client network allowed to query, repeatable (default 127.0.0.0/8 and ::1/128)",
    )
    parser.add_argument(
        "--stats-interval", type=_seconds, metavar="S", help="log the counters every S seconds"
    )
    parser.add_argument("--log-queries", action="store_true", help="log one line per query")
    args = parser.parse_args(argv)
    if args.lab and (args.root_hints or args.upstream_port is not None):
        raise UsageError("--lab brings its own root hints and port: drop those options")
    if args.min_ttl is not None and args.max_ttl is not None and args.min_ttl > args.max_ttl:
        raise UsageError(f"--min-ttl {args.min_ttl} is above --max-ttl {args.max_ttl}")

    from resolver.server import ServerConfig, ServerError, run_server

    config = ServerConfig()
    if args.listen:
        config.listen = [(host, args.port if port is None else port) for host, port in args.listen]
    else:
        config.listen = [(host, args.port) for host, _ in config.listen]
    if args.allow:
        config.allow = list(args.allow)
    config.stats_interval = args.stats_interval
    config.log_queries = args.log_queries
    opts: dict = {"ipv4_only": args.ipv4_only}
    for key in ("cache_size", "min_ttl", "max_ttl", "upstream_port"):
        if getattr(args, key) is not None:
            opts[key] = getattr(args, key)

    with contextlib.ExitStack() as stack:
        try:
            resolver, _ = _open_resolver(args, stack, opts)
        except StartError as exc:
            print(f"{PROG} serve: {exc}", file=sys.stderr)
            return EXIT_ERROR
        try:
            return run_server(config, resolver)
        except ServerError as exc:
            print(f"{PROG} serve: {exc}", file=sys.stderr)
            return EXIT_ERROR


def stats_command(argv: Sequence[str]) -> int:
    parser = _Parser(
        prog=f"{PROG} stats",
        description="Read the live counters of a running `resolve serve`.",
        epilog=f"example:\n  {PROG} stats --server 127.0.0.1:{DEFAULT_SERVER_PORT}\n\n"
        f"{EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--server",
        type=_host_port_arg,
        default=("127.0.0.1", None),
        metavar="ADDR[:PORT]",
        help=f"the nameserver (default 127.0.0.1:{DEFAULT_SERVER_PORT})",
    )
    parser.add_argument("--json", action="store_true", help="print the counters as JSON")
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=2.0,
        metavar="S",
        help="how long to wait for the reply (default 2)",
    )
    args = parser.parse_args(argv)
    host, port = args.server
    port = DEFAULT_SERVER_PORT if port is None else port

    from resolver.server import StatsQueryError, fetch_stats

    try:
        stats = fetch_stats(host, port, timeout=args.timeout)
    except StatsQueryError as exc:
        print(f"{PROG} stats: no counters from {host}#{port}: {exc}", file=sys.stderr)
        return EXIT_SERVFAIL
    if args.json:
        print(json.dumps(stats, indent=2, sort_keys=True))
    else:
        print(f";; counters of {host}#{port}")
        _print_stats(stats)
    return EXIT_ANSWER


def _print_stats(stats: dict, indent: int = 0) -> None:
    width = max((len(str(key)) for key in stats), default=0)
    for key, value in stats.items():
        if isinstance(value, dict):
            print(f"{' ' * indent}{key}:")
            _print_stats(value, indent + 2)
        else:
            print(f"{' ' * indent}{str(key) + ':':<{width + 1}} {value}")


# --------------------------------------------------------------------------------------------


_COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "lab": lab_command,
    "serve": serve_command,
    "stats": stats_command,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `resolve` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Never die on a character the terminal cannot show (e.g. an escaped label).
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="replace")
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    try:
        if command is not None:
            return _COMMANDS[command](argv[1:])
        return query_command(argv)
    except UsageError as exc:
        prefix = f"{PROG} {command}" if command else PROG
        print(f"{prefix}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, without a traceback at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
