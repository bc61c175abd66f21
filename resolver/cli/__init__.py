"""The `resolve` command: argument parsing and output; everything else is a library call.

Modules, one job each (importing this package stays cheap: `resolve --help` loads neither dnslib
nor asyncio nor the resolver):
- status: exit statuses and their help text
- options: argument types and the argparse parsers, each option declared once
- dig_syntax: dig's words (`@server`, `+short`, `+noall` ...) and NAME [TYPE] questions
- dig_output: a reply in dig's framing, `+short`, and the section toggles
- json_output: the versioned JSON document (schema version 1)
- query: `resolve NAME [TYPE] ...` in-process or against a server, in every output form
- commands: `resolve lab`, `resolve serve`, `resolve stats`, and the resolver they share
- main: dispatch, one-line errors, a closed pipe
"""

from resolver.cli.main import main
from resolver.cli.options import UsageError, parse_host_port
from resolver.cli.status import (
    EXIT_ANSWER,
    EXIT_ERROR,
    EXIT_NODATA,
    EXIT_NXDOMAIN,
    EXIT_SERVFAIL,
    EXIT_USAGE,
)

__all__ = [
    "EXIT_ANSWER",
    "EXIT_ERROR",
    "EXIT_NODATA",
    "EXIT_NXDOMAIN",
    "EXIT_SERVFAIL",
    "EXIT_USAGE",
    "UsageError",
    "main",
    "parse_host_port",
]
