"""Exit statuses of `resolve` (the README repeats this table) and their --help text."""

from __future__ import annotations

EXIT_ANSWER = 0  # every query got an answer (with +norec: a referral counts as one)
EXIT_NXDOMAIN = 1  # the name does not exist
EXIT_USAGE = 2  # bad command line or bad input (argparse's own code for usage errors)
EXIT_NODATA = 3  # the name exists but has no records of the asked type
EXIT_SERVFAIL = 4  # resolution failed: SERVFAIL, all servers failed, timeout, no reply
EXIT_ERROR = 5  # could not run: cannot bind a socket, cannot start the lab
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT

EXIT_CODES_HELP = f"""\
exit status:
  {EXIT_ANSWER}  every query was answered (with +norec, a referral is an answer)
  {EXIT_NXDOMAIN}  NXDOMAIN: the name does not exist
  {EXIT_USAGE}  usage error or bad input (unknown type or option, bad name, bad -x address,
     unreadable hints file, bad --listen ...)
  {EXIT_NODATA}  NODATA: the name exists but has no records of that type
  {EXIT_SERVFAIL}  SERVFAIL: resolution failed (every server failed, a limit or the
     deadline was reached, or --server/stats got no reply)
  {EXIT_ERROR}  could not run (e.g. `serve` cannot bind its address)
  With several queries the status is that of the first one that was not answered.
  A closed output pipe (`resolve ... | head`) is not a failure."""
