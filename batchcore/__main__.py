"""`python -m batchcore ...`: the command-line interface (see batchcore.cli)."""

import sys

from batchcore.cli import main

if __name__ == "__main__":
    sys.exit(main())
