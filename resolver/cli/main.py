"""Entry point of `resolve`: pick the command, turn usage errors into one line and exit 2,
treat a closed output pipe as the reader's choice (exit 0, no traceback)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Sequence

from resolver.cli.options import PROG, UsageError
from resolver.cli.status import EXIT_ANSWER, EXIT_INTERRUPTED, EXIT_USAGE

SUBCOMMANDS = ("lab", "serve", "config", "control", "stats")


def _command(name: str | None) -> Callable[[Sequence[str]], int]:
    from resolver.cli import commands, query

    return {
        None: query.query_command,
        "lab": commands.lab_command,
        "serve": commands.serve_command,
        "config": commands.config_command,
        "control": commands.control_command,
        "stats": commands.stats_command,
    }[name]


def _silence_stdout() -> None:
    """The reader went away (`| head`): point stdout at /dev/null so the interpreter's final
    flush does not raise again at exit."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `resolve` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Never die on a character the terminal cannot show (e.g. an escaped label).
    if isinstance(sys.stdout, io.TextIOWrapper):  # not when a test captures it
        with contextlib.suppress(ValueError):
            sys.stdout.reconfigure(errors="replace")
    name = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    try:
        return _command(name)(argv[1:] if name else argv)
    except UsageError as exc:
        prefix = f"{PROG} {name}" if name else PROG
        print(f"{prefix}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_ANSWER
