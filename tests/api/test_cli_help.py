"""Every `--option` a command's help text advertises is one the command accepts (a new user
typed `history --pipeline P --runs 20` from `history --help`; the option is `--limit`)."""

from __future__ import annotations

import re

from batchcore.cli import build_parser


def _subparsers(parser):
    for action in parser._actions:
        if action.choices and isinstance(action.choices, dict):
            yield from action.choices.items()


def test_every_option_in_a_commands_help_exists():
    problems = []
    for name, sub in _subparsers(build_parser()):
        accepted = {s for a in sub._actions for s in a.option_strings}
        for line in (sub.description or "").splitlines():
            words = line.split()
            # a usage line of another command (`python -m batchcore report ...`) is not ours
            if "batchcore" in words and words[words.index("batchcore") + 1] != name:
                continue
            for opt in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line):
                if opt not in accepted:
                    problems.append(f"{name}: {opt} in {line.strip()!r}")
    assert problems == []


def test_history_help_shows_limit_not_runs(capsys):
    parser = build_parser()
    history = dict(_subparsers(parser))["history"]
    text = history.format_help()
    assert "--runs" not in text
    assert "--pipeline PIPELINE [--project P] [--limit 20]" in text
    args = parser.parse_args(["history", "--pipeline", "p", "--limit", "5"])
    assert args.limit == 5
