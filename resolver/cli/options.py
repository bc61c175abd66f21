"""Argument types and parsers of `resolve`: each option is declared once, in a parent parser
that every command using it shares. No dnslib, no asyncio: `resolve --help` stays fast."""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Sequence
from typing import Any, NoReturn

from resolver import __version__
from resolver.cli.status import EXIT_CODES_HELP
from resolver.protocol import DEFAULT_SERVER_PORT

PROG = "resolve"
DIG_PORT = 53  # `@server` without a port means what it means to dig


class UsageError(Exception):
    """Bad command line or bad input: one line on stderr, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but errors are one line ("resolve: ...") instead of usage + error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # `--tr` is not `--trace`: no guessing
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# The parts of dig's output its toggles turn on and off (+noall, +answer, ...).
OUTPUT_PARTS = ("cmd", "comments", "question", "answer", "authority", "additional", "stats")


class DigFlag(argparse.Action):
    """An on/off option: --short and --noshort (dig's +short and +noshort arrive so spelled).
    The last one given wins, as in dig."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        names = list(option_strings)
        for option in option_strings:
            names.append(f"--no{option[2:]}")
        kwargs.setdefault("default", None)
        super().__init__(names, dest, nargs=0, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option: str | None = None) -> None:
        setattr(namespace, self.dest, not (option or "").startswith("--no"))


class Sections(argparse.Action):
    """--all / --noall: every part of dig's output at once (`+noall +answer` keeps one)."""

    PARTS = OUTPUT_PARTS  # what --all and --noall switch

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__([*option_strings, "--noall"], dest, nargs=0, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option: str | None = None) -> None:
        on = not (option or "").startswith("--no")
        for part in self.PARTS:
            setattr(namespace, part, on)


# --------------------------------------------------------------------------------------------
# Argument types: each turns text into a value or raises ArgumentTypeError with a clear message.


def _number(text: str, kind: type[int] | type[float], what: str) -> int | float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None


def port(text: str) -> int:
    value = int(_number(text, int, "a port number"))
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range 0-65535")
    return value


def upstream_port(text: str) -> int:
    value = port(text)
    if value == 0:
        raise argparse.ArgumentTypeError("port 0 cannot be queried")
    return value


def seconds(text: str) -> float:
    value = _number(text, float, "a number of seconds")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def non_negative_int(text: str) -> int:
    value = int(_number(text, int, "a whole number"))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP network: {text!r}") from None


def query_class(text: str) -> str:
    if text.upper() != "IN":
        raise argparse.ArgumentTypeError(f"only class IN can be resolved, not {text!r}")
    return "IN"


def parse_host_port(text: str, default_port: int | None) -> tuple[str, int | None]:
    """ "127.0.0.1", "127.0.0.1:53", "::1", "[::1]:53" -> (address, port or default_port).

    A bare IPv6 address never carries a port: "::1:5401" is the address ::1:5401; write
    "[::1]:5401" for ::1 on port 5401."""
    from resolver.server.settings import host_port as read_host_port

    try:
        return read_host_port(text, default_port)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def host_port(text: str) -> tuple[str, int | None]:
    return parse_host_port(text, None)


# --------------------------------------------------------------------------------------------
# Parent parsers: options more than one command shares, declared once.


def _resolution_parent() -> argparse.ArgumentParser:
    """How to resolve in-process: `resolve NAME` and `resolve serve`."""
    parent = argparse.ArgumentParser(add_help=False)
    where = parent.add_argument_group("where to resolve")
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
        "--upstream-port",
        type=upstream_port,
        metavar="N",
        help="port the authoritative servers listen on (default 53)",
    )
    dnssec = parent.add_argument_group("DNSSEC validation (on by default)")
    dnssec.add_argument(
        "--no-dnssec",
        dest="validation",
        action="store_false",
        help="do not validate: no DO bit upstream, no AD, bogus data is answered",
    )
    dnssec.add_argument(
        "--trust-anchor",
        metavar="FILE",
        help="trust anchors (DS or DNSKEY records in zone-file syntax, Unbound's "
        "trust-anchor-file) instead of the IANA root's; --lab uses its own",
    )
    where.add_argument(
        "-4",
        dest="ipv4_only",
        action="store_true",
        help="IPv4 only (upstream servers; with --server, its address)",
    )
    how = parent.add_argument_group("how to resolve")
    how.add_argument(
        "--no-qname-minimisation",
        dest="qname_minimisation",
        action="store_false",
        help="send each server the full name (default: QNAME minimisation, RFC 9156, relaxed)",
    )
    how.add_argument(
        "--serve-stale",
        action="store_true",
        help="when resolving fails, answer with data expired up to a day ago (RFC 8767; TTL 30, "
        "EDE 3)",
    )
    how.add_argument(
        "--prefetch",
        action="store_true",
        help="refresh a cached answer asked for in the last 10%% of its TTL, in the background",
    )
    how.add_argument(
        "--use-0x20",
        dest="use_0x20",
        action="store_true",
        help="randomise the letter case of each question sent upstream; a reply must echo it",
    )
    return parent


def behaviour_options(args: argparse.Namespace) -> dict[str, bool]:
    """The Resolver keyword arguments of the "how to resolve" options."""
    return {"qname_minimisation": args.qname_minimisation, "serve_stale": args.serve_stale,
            "prefetch": args.prefetch, "use_0x20": args.use_0x20}


def _server_parent(what: str) -> argparse.ArgumentParser:
    """Which running nameserver to ask, and how long to wait: `resolve NAME` and `stats`."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("a running nameserver")
    group.add_argument(
        "--server",
        metavar="ADDR[:PORT]",
        type=host_port,
        help=f"{what}; PORT defaults to {DEFAULT_SERVER_PORT}, where `resolve "
        f"serve` listens (dig's @ADDR: to {DIG_PORT}); IPv6 as [::1]:PORT",
    )
    group.add_argument(
        "--timeout",
        type=seconds,
        metavar="S",
        help="longest wait for one reply (in-process: from one upstream server)",
    )
    return parent


def _json_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--json",
        action=DigFlag,
        help="one JSON document (schema version 1, see the README); dig: +json",
    )
    return parent


# --------------------------------------------------------------------------------------------
# resolve NAME ...

QUERY_EPILOG = f"""\
queries:
  Each NAME may be followed by its TYPE (default A, or -t TYPE): any type dnslib knows
  (A AAAA MX NS TXT SOA CNAME SRV PTR CAA ...) or TYPEnnn, in any letter case. A word
  without a dot after a NAME is read as a TYPE, so write single-label names with their
  trailing dot ("com."). Several names are resolved one after another by the same
  resolver and cache, like dig's batch mode; so are the lines of -f FILE (-f - reads
  standard input line by line, answering each line as it arrives).

dig's syntax works too, in any order: @ADDR (IPv4, IPv6, [IPv6]:PORT), -p PORT, -t, -c IN,
-x, -q, -4, -6, -f, and +short +tcp +trace +norec +dnssec +cd +json, the section toggles
+noall +cmd +comments +question +answer +authority +additional +stats, +time=S, each with
its +no form. An unknown +option or -option is a usage error; a NAME that begins with
'+' or '@' must be written with its trailing dot.

other commands:
  resolve lab [--network CIDR] [--port N]       run the offline lab internet (foreground)
  resolve lab --scenarios                       the lab's named scenarios, one command each
  resolve serve [--listen ADDR[:PORT]] ...      run the caching nameserver (see serve --help)
  resolve config check FILE | example           validate a serve config / print an example
  resolve control [--socket PATH] CMD [ARG]     control a running nameserver (see control --help)
  resolve stats [--server ADDR[:PORT]] [--json] read a running nameserver's counters

examples:
  resolve --lab www.cs.cornell.edu --trace      watch the walk root -> edu -> cornell.edu -> cs
  resolve --lab www.cs.cornell.edu MX --json    one JSON document, for scripts
  resolve --lab www.example.com AAAA +short     just the data
  resolve --lab www.example.com www.example.com --trace
                                                the second walk is answered from cache
  resolve --lab -x 127.42.0.1                   reverse lookup (PTR)
  resolve @127.0.0.1 -p {DEFAULT_SERVER_PORT} example.com +noall +answer
                                                ask a running `resolve serve` instead
  resolve @127.42.0.1 -p PORT --norec www.example.com
                                                ask one authoritative server: a referral
  resolve www.example.com                       the real internet, from the IANA root hints

{EXIT_CODES_HELP}"""


def query_parser() -> Parser:
    """The parser of `resolve [options] NAME [TYPE] ...` (dig's words already translated)."""
    parser = Parser(
        prog=PROG,
        usage="%(prog)s [options] NAME [TYPE] [NAME [TYPE] ...]\n"
        "       %(prog)s [options] -x ADDR\n"
        "       %(prog)s {lab,serve,stats} ...",
        description="Resolve DNS names iteratively, from the root servers down, and show how.",
        epilog=QUERY_EPILOG,
        parents=[
            _resolution_parent(),
            _server_parent("ask this nameserver instead (dig: @ADDR)"),
            _json_parent(),
        ],
    )
    parser.add_argument("words", nargs="*", metavar="NAME [TYPE]", help="what to resolve")
    what = parser.add_argument_group("what to ask")
    what.add_argument(
        "-x",
        dest="reverse",
        action="append",
        default=[],
        metavar="ADDR",
        help="reverse lookup: the PTR record of an IPv4 or IPv6 address",
    )
    what.add_argument(
        "-t",
        dest="default_type",
        metavar="TYPE",
        default="A",
        help="type for names given without one (default A)",
    )
    what.add_argument(
        "-c",
        dest="qclass",
        metavar="CLASS",
        type=query_class,
        default="IN",
        help="query class: IN, the only one resolved",
    )
    what.add_argument(
        "-q",
        dest="names",
        action="append",
        default=[],
        metavar="NAME",
        help="a name to resolve, even one that looks like a type",
    )
    what.add_argument(
        "-f",
        dest="batch",
        metavar="FILE",
        help="read queries from FILE, one 'NAME [TYPE]' per line ('-' = stdin)",
    )
    what.add_argument(
        "--rec",
        "--recurse",
        dest="recurse",
        action=DigFlag,
        help="with --server: set RD (default); --norec asks an authoritative "
        "server directly and shows its referral",
    )
    what.add_argument("--dnssec", action=DigFlag, help="set the DO bit (EDNS)")
    what.add_argument("--cd", action=DigFlag, help="set the CD (checking disabled) bit")
    what.add_argument("--tcp", action=DigFlag, help="with --server: ask over TCP")
    where = parser.add_argument_group("the server's port and family")
    where.add_argument(
        "-p", dest="port", type=port, metavar="PORT", help="the port of --server/@ADDR"
    )
    where.add_argument(
        "-6", dest="ipv6_only", action="store_true", help="with --server: the address must be IPv6"
    )
    out = parser.add_argument_group("output (dig's +toggles; each has its --no form)")
    out.add_argument("--short", action=DigFlag, help="just the data, one per line")
    out.add_argument(
        "--trace",
        action=DigFlag,
        help="show the walk: every server asked, what it said, what came from cache",
    )
    out.add_argument("--all", action=Sections, help="every part below (--noall: none)")
    for part, text in (
        ("cmd", "the first line naming the command"),
        ("comments", "the header, flags and section titles, and our ';;' notes"),
        ("question", "the question section"),
        ("answer", "the answer section"),
        ("authority", "the authority section"),
        ("additional", "the additional section (OPT shown as the OPT PSEUDOSECTION)"),
        ("stats", "the footer: query time, server, when, message size"),
    ):
        out.add_argument(f"--{part}", action=DigFlag, help=text)
    out.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="ANSI colour: auto (default) = only when stdout is a terminal",
    )
    out.add_argument(
        "--legend",
        action="store_true",
        help="with --trace: explain the trace's marks before the walk",
    )
    tuning = parser.add_argument_group("limits")
    tuning.add_argument(
        "--lifetime",
        type=seconds,
        metavar="S",
        help="overall deadline of one resolution (default 10)",
    )
    tuning.add_argument(
        "--no-cache", action="store_true", help="start every query with an empty cache"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


# --------------------------------------------------------------------------------------------
# resolve lab / serve / stats


def lab_parser(default_network: str) -> Parser:
    parser = Parser(
        prog=f"{PROG} lab",
        description="Run the offline lab internet (root, TLD and zone servers on loopback "
        "addresses) in the foreground until interrupted. It prints the root hints to use.",
        epilog=f"examples:\n  {PROG} lab --port 5300\n  {PROG} lab --scenarios\n\n"
        f"{EXIT_CODES_HELP}",
    )
    parser.add_argument(
        "--network",
        type=network,
        default=default_network,
        help=f"loopback block for the lab hosts (default {default_network})",
    )
    parser.add_argument(
        "--port",
        type=port,
        default=None,
        help="port every lab host listens on (default 53 when it may be bound, "
        "else a free port; 0 = a free port)",
    )
    parser.add_argument(
        "--scenarios",
        action="store_true",
        help="list the named scenarios, each with a command that shows it",
    )
    return parser


def serve_parser() -> Parser:
    parser = Parser(
        prog=f"{PROG} serve",
        description="Run the caching nameserver in the foreground (logs to stderr; stop with "
        "Ctrl-C or SIGTERM; SIGHUP reloads --config). Clients outside --allow get REFUSED: by "
        "default only loopback. Each flag is also a key of the --config file.",
        epilog=f"""\
examples:
  {PROG} serve --lab                       serve the offline lab on 127.0.0.1:{DEFAULT_SERVER_PORT}
  dig @127.0.0.1 -p {DEFAULT_SERVER_PORT} www.cs.cornell.edu
  {PROG} serve --listen 127.0.0.1:5353 --listen [::1]:5353 --stats-interval 60
  {PROG} serve --config /etc/resolver/resolver.toml
  {PROG} stats --server 127.0.0.1:{DEFAULT_SERVER_PORT}

{EXIT_CODES_HELP}""",
        parents=[_resolution_parent()],
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="read settings from this TOML file (`resolve config example` prints one); "
        "flags override it",
    )
    from resolver.server.settings import add_flags

    add_flags(parser)  # every other flag comes from the settings table
    return parser


def config_parser() -> Parser:
    parser = Parser(
        prog=f"{PROG} config",
        description="Check a `resolve serve --config` file, or print a commented example.",
        epilog=f"examples:\n  {PROG} config example > resolver.toml\n"
        f"  {PROG} config check resolver.toml\n\n{EXIT_CODES_HELP}",
    )
    parser.add_argument("action", choices=("check", "example"))
    parser.add_argument("file", nargs="?", metavar="FILE", help="the file to check")
    return parser


DEFAULT_CONTROL_SOCKET = "/run/resolver/control.sock"


def control_parser() -> Parser:
    parser = Parser(
        prog=f"{PROG} control",
        description="Send one command to a running `resolve serve --control-socket PATH`. "
        "Whoever may open the socket may control the server.",
        epilog=f"""\
commands:
  status                 version, uptime, addresses, queries, cache sizes
  stats [--reset]        every counter (JSON); --reset zeroes the server's counters
  flush NAME             forget every cached entry at NAME
  flush-zone ZONE        forget every cached entry at or below ZONE
  flush-negative         forget cached NXDOMAIN/NODATA answers and failures
  flush-infra            forget servers' RTT, back-off and lameness
  flush-all              empty the cache
  dump-cache             the cache as zone-file text with the remaining TTLs
  load-cache FILE        load a dump (TTLs reduced by its age, expired entries skipped)
  reload                 read the config file again (as SIGHUP does)
  infra                  per-server RTT, timeouts, back-off, lameness
  lookup NAME            which servers a question for NAME would go to, and why

examples:
  {PROG} control --socket /run/resolver/control.sock flush www.example.com
  {PROG} control dump-cache > cache.txt

{EXIT_CODES_HELP}""",
    )
    parser.add_argument("--socket", default=DEFAULT_CONTROL_SOCKET, metavar="PATH",
                        help=f"the server's control socket (default {DEFAULT_CONTROL_SOCKET})")
    parser.add_argument("--reset", action="store_true", help="with stats: zero the counters")
    parser.add_argument("command", metavar="COMMAND")
    parser.add_argument("args", nargs="*", metavar="ARG")
    return parser


def stats_parser() -> Parser:
    parser = Parser(
        prog=f"{PROG} stats",
        description="Read the live counters of a running `resolve serve`.",
        epilog=f"example:\n  {PROG} stats --server 127.0.0.1:{DEFAULT_SERVER_PORT}\n\n"
        f"{EXIT_CODES_HELP}",
        parents=[_server_parent("the nameserver (default 127.0.0.1)"), _json_parent()],
    )
    parser.set_defaults(server=("127.0.0.1", None), timeout=2.0)
    return parser
