"""`python cli.py ...` from a checkout: the `resolve` command, which lives in resolver/cli/."""

import sys

from resolver.cli import main

if __name__ == "__main__":
    sys.exit(main())
