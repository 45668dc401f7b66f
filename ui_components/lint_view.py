"""Problems for the Pipelines page: the workspace files that were skipped
(`Workspace.problems`) and `batchcore.validation.lint_pipeline` problems placed at their lines."""

from __future__ import annotations

import re
from pathlib import Path

from batchcore.validation.lint import LintProblem
from ui_components import fmt

MARK = "  # ⚠ "
_LOCATED = re.compile(r"^(?P<file>[^:]+?(?::\d+)?): (?P<message>.+)$", re.DOTALL)


def annotate(text: str, problems: list[LintProblem]) -> str:
    """The YAML with each problem appended as a comment to its line, so line numbers stay those of
    the file (problems without a line are only in the list above the code)."""
    lines = text.splitlines()
    for p in problems:
        line = p.line
        note = f"{p.field}: {p.message}" if p.field else p.message
        if isinstance(line, int) and 1 <= line <= len(lines):
            lines[line - 1] += f"{MARK}{note}"
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def skipped_file(problem: str, root: Path) -> tuple[str, str]:
    """(file, message) of one `Workspace.problems` entry (`<path>[:<line>]: <message>`), the file
    relative to the workspace `root`; ("", problem) when it names no file."""
    prefix = f"{root}/"
    rest = problem.removeprefix(prefix)
    m = _LOCATED.match(rest)
    if m is None:
        return "", problem
    return m["file"], m["message"]


def skipped_files_markdown(problems: list[str], root: Path) -> str | None:
    """A markdown list of the projects and pipeline files the workspace skipped because they
    failed to load, each with its file and error; None when there are none."""
    if not problems:
        return None
    n = len(problems)
    head = (
        f"**{n} project{'' if n == 1 else 's'} or pipeline file{'' if n == 1 else 's'} could not "
        f"be loaded and {'was' if n == 1 else 'were'} skipped.** Fix "
        f"{'it' if n == 1 else 'them'}: the page picks the change up within a second."
    )
    items = []
    for problem in problems:
        file, message = skipped_file(problem, root)
        code = file.replace("`", "'")
        where = f"`{code}`: " if file else ""
        items.append(f"- {where}{fmt.md_escape(message)}")
    return head + "\n\n" + "\n".join(items)


def lint_warning(problems: list[LintProblem] | None) -> str | None:
    """The warning shown next to *Run in a bulk job* when lint found problems; None when clean."""
    if not problems:
        return None
    n = len(problems)
    return (
        f"This pipeline has {n} lint problem{'' if n == 1 else 's'} (listed above): its operation "
        "in a bulk job will fail or mis-behave until "
        f"{'it is' if n == 1 else 'they are'} fixed."
    )
