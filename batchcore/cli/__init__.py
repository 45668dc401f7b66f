"""`python -m batchcore <command>`: the command-line interface.

Commands live in the modules of this package; each module exposes `register(subparsers)` that
adds its sub-commands (with `set_defaults(func=...)`). The dispatcher discovers them, so adding a
command never edits this file. Exit codes, one mapping for every command:

| code | meaning |
|---|---|
| 0 | ran, and everything passed / completed |
| 1 | ran, and data failed checks / some operation failed |
| 2 | could not run: bad input, bad file, unreachable server or database, timeout |

A validation or a job that ran maps to 0 / 1 / 2 by its verdict (`exit_code`, rules in
`batchcore.outcome`): passed 0, `checks_failed` 1, `error` 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys

from batchcore.errors import BatchError
from batchcore.models import FailureKind

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2


def exit_code(failure_kind: FailureKind | None) -> int:
    """The exit code of a verdict (`batchcore.outcome`): None 0, checks_failed 1, error 2."""
    if failure_kind is None:
        return EXIT_OK
    return EXIT_FAILED if failure_kind == FailureKind.CHECKS_FAILED else EXIT_ERROR


def pct_text(percent: float) -> str:
    """A percentage (0–100) as `' 99.9%'`: floored to one decimal, so it reads 100.0% only at 100."""
    return f"{int(percent * 10 + 1e-9) / 10:5.1f}%"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every discovered sub-command."""
    parser = argparse.ArgumentParser(
        prog="python -m batchcore", description="Batch Operations command-line interface"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import batchcore.cli as pkg

    for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
        module = importlib.import_module(f"batchcore.cli.{mod}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse `argv`, run the command, map errors to exit code 2 with a one-line message."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(args.func(args) or 0)
    except BatchError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # output piped into `head` and closed early: not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep the interpreter from failing at exit
        except OSError:
            pass
        return EXIT_OK
    except OSError as exc:  # a file or folder that cannot be read or written
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_ERROR
