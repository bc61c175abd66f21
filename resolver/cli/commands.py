"""`resolve lab`, `resolve serve`, `resolve config`, `resolve stats`, and the in-process
resolver that `resolve NAME` and `serve` share.

Imports of the resolver, dnslib and asyncio happen inside the functions that need them, so that
parsing the command line and printing --help stay cheap.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from resolver.cli.options import (
    PROG,
    UsageError,
    config_parser,
    control_parser,
    lab_parser,
    serve_parser,
    stats_parser,
)
from resolver.cli.status import EXIT_ANSWER, EXIT_ERROR, EXIT_SERVFAIL, EXIT_USAGE
from resolver.protocol import DEFAULT_SERVER_PORT

if TYPE_CHECKING:
    from resolver import Resolver


class StartError(Exception):
    """The resolver cannot start (the lab cannot bind or load its zones); one-line message."""


def open_resolver(
    args: argparse.Namespace, stack: contextlib.ExitStack, opts: dict[str, Any]
) -> tuple[Resolver, str]:
    """The resolver the options ask for (in-process lab or root hints) and where it resolves.

    Bad hints are a UsageError; a lab that cannot start is a StartError."""
    from resolver import Resolver
    from resolver.dnssec import TrustAnchorError
    from resolver.hints import HintsError

    if not getattr(args, "validation", True):
        opts = {**opts, "dnssec": False}
    if getattr(args, "trust_anchor", None):
        opts = {**opts, "trust_anchors": args.trust_anchor}
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
    except (HintsError, TrustAnchorError) as exc:
        raise UsageError(str(exc)) from None
    stack.callback(resolver.close)
    return resolver, where


# --------------------------------------------------------------------------------------------
# resolve lab / serve / stats


def lab_command(argv: Sequence[str]) -> int:
    from resolver.lab.topology import DEFAULT_NETWORK

    args = lab_parser(DEFAULT_NETWORK).parse_args(argv)
    if args.scenarios:
        return _list_scenarios()
    if not ipaddress.ip_network(args.network).is_loopback:
        raise UsageError(f"the lab lives on loopback only; {args.network} is not loopback")
    from resolver.lab import run_lab_forever

    try:
        run_lab_forever(args.network, args.port, out=sys.stdout)
        return EXIT_ANSWER
    except OSError as exc:
        print(f"{PROG} lab: cannot start the lab: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR


def _list_scenarios() -> int:
    from resolver.cli.dig_output import type_text
    from resolver.lab import SCENARIOS

    print("Named scenarios of the offline lab (resolver.lab.SCENARIOS), each with a command:")
    for name, scenario in SCENARIOS.items():
        qtype = "" if scenario.qtype == 1 else f" {type_text(scenario.qtype)}"
        print(f"\n  {name}: {scenario.description}")
        print(f"    {scenario.demo or f'{PROG} --lab --trace {scenario.qname}{qtype}'}")
    return EXIT_ANSWER


def serve_command(argv: Sequence[str]) -> int:
    from resolver.server import settings

    args = serve_parser().parse_args(argv)
    flags = settings.given_flags(args)
    try:
        values = settings.merge(settings.read_file(args.config) if args.config else {}, flags)
    except settings.ConfigError as exc:
        raise UsageError(str(exc)) from None
    for key in ("lab", "root-hints", "upstream-port", "ipv4-only", "validation", "trust-anchor"):
        # open_resolver reads these from args
        setattr(args, key.replace("-", "_"), values[key])

    from resolver.server import ServerError, run_server

    config = settings.server_config(values)
    opts = settings.resolver_options(values)

    def serve_one(config: Any, worker: Any = None) -> int:
        """The whole single-process server (or one worker of several)."""
        with contextlib.ExitStack() as stack:
            try:
                resolver, _ = open_resolver(args, stack, opts)
            except StartError as exc:
                print(f"{PROG} serve: {exc}", file=sys.stderr)
                return EXIT_ERROR
            except UsageError as exc:  # a worker has no main() to print it
                print(f"{PROG} serve: {exc}", file=sys.stderr)
                return EXIT_USAGE
            try:
                return run_server(config, resolver, source=(args.config, flags, values),
                                  worker=worker)
            except ServerError as exc:
                print(f"{PROG} serve: {exc}", file=sys.stderr)
                return EXIT_ERROR

    if config.workers == 1:
        return serve_one(config)
    from resolver.server.workers import run_supervisor

    try:
        return run_supervisor(config, serve_one)
    except ServerError as exc:
        print(f"{PROG} serve: {exc}", file=sys.stderr)
        return EXIT_ERROR


def config_command(argv: Sequence[str]) -> int:
    """`resolve config check FILE` and `resolve config example`."""
    from resolver.server import settings

    args = config_parser().parse_args(argv)
    if args.action == "example":
        sys.stdout.write(settings.example_config())
        return EXIT_ANSWER
    if args.file is None:
        raise UsageError("check needs a FILE")
    try:
        values = settings.merge(settings.read_file(args.file), {})
        from resolver.server.local_zones import LocalDataError, build

        try:
            build(settings.server_config(values))
        except LocalDataError as exc:
            raise settings.ConfigError(str(exc)) from None
    except settings.ConfigError as exc:
        print(f"{PROG} config: {exc}", file=sys.stderr)
        return EXIT_USAGE
    given = settings.read_file(args.file)
    print(f"{args.file}: valid, {len(given)} setting(s): {', '.join(given) or 'none'}")
    return EXIT_ANSWER


def control_command(argv: Sequence[str]) -> int:
    """`resolve control [--socket PATH] CMD [ARG]`: one command to a running server."""
    args = control_parser().parse_args(argv)
    from resolver.server.control_channel import COMMANDS, ControlError, request

    if args.command not in COMMANDS:
        raise UsageError(f"unknown command {args.command!r} (one of {', '.join(COMMANDS)})")
    extra = list(args.args)
    if args.reset:
        if args.command != "stats":
            raise UsageError("--reset goes with stats")
        extra.append("--reset")
    if args.command == "load-cache":
        if len(extra) != 1:
            raise UsageError("load-cache needs a FILE")
        try:
            with open(extra[0], encoding="utf-8") as handle:
                extra = [handle.read()]  # the client reads it: the server may not be allowed to
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{PROG} control: {extra[0]}: {getattr(exc, 'strerror', None) or exc}",
                  file=sys.stderr)
            return EXIT_ERROR
    try:
        text = request(args.socket, args.command, extra)
    except ControlError as exc:
        print(f"{PROG} control: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if text:
        print(text.rstrip("\n"))
    return EXIT_ANSWER


def stats_command(argv: Sequence[str]) -> int:
    args = stats_parser().parse_args(argv)
    host, port = args.server
    port = DEFAULT_SERVER_PORT if port is None else port

    from resolver.server import StatsQueryError, fetch_stats

    try:
        stats = fetch_stats(host, port, timeout=args.timeout)
    except StatsQueryError as exc:
        print(f"{PROG} stats: no counters from {host}#{port}: {exc}", file=sys.stderr)
        return EXIT_SERVFAIL
    if args.json:
        import json

        print(json.dumps(stats, indent=2, sort_keys=True))
    else:
        print(f";; counters of {host}#{port}")
        _print_stats(stats)
    return EXIT_ANSWER


def _print_stats(stats: dict[str, Any], indent: int = 0) -> None:
    width = max((len(str(key)) for key in stats), default=0)
    for key, value in stats.items():
        if isinstance(value, dict):
            print(f"{' ' * indent}{key}:")
            _print_stats(value, indent + 2)
        else:
            print(f"{' ' * indent}{str(key) + ':':<{width + 1}} {value}")
