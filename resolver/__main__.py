"""`python -m resolver ...` is the `resolve` command."""

import sys

from resolver.cli import main

sys.exit(main())
