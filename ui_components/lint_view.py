"""Pipeline lint for the Pipelines page: the validation module's problems, placed at their lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MARK = "  # ⚠ "


def lint(path: Path, workspace: Any) -> list[Any] | None:
    """Problems `batchcore.validation.lint_pipeline` finds, or None when that module is missing."""
    try:
        from batchcore.validation import lint_pipeline
    except ImportError:
        return None
    return list(lint_pipeline(path, workspace))


def annotate(text: str, problems: list[Any]) -> str:
    """The YAML with each problem appended as a comment to its line, so line numbers stay those of
    the file (problems without a line are only in the list above the code)."""
    lines = text.splitlines()
    for p in problems:
        line = getattr(p, "line", None)
        field = getattr(p, "field", None)
        note = f"{field}: {p.message}" if field else str(getattr(p, "message", p))
        if isinstance(line, int) and 1 <= line <= len(lines):
            lines[line - 1] += f"{MARK}{note}"
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")
