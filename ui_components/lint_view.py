"""Pipeline lint for the Pipelines page: `batchcore.validation.lint_pipeline` problems placed at
their lines."""

from __future__ import annotations

from batchcore.validation.lint import LintProblem

MARK = "  # ⚠ "


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
