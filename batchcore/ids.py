"""Identifier rules shared by workspace ids, connection names and operation ids.

Rule (DESIGN §6): `^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$` — letters, digits, `_`, `.`, `-`, at
most 128 characters, not starting with `.` or `-`. No path separators, so an id always resolves
strictly inside the workspace.
"""

from __future__ import annotations

import re

ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
_ID_RE = re.compile(ID_PATTERN)
ID_RULE = (
    "1-128 characters from letters, digits, '_', '.', '-', not starting with '.' or '-' "
    "(no spaces or path separators)"
)


def is_valid_id(value: object) -> bool:
    """True when `value` is a str that matches ID_PATTERN."""
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def check_id(value: str, what: str = "id") -> str:
    """Return `value` unchanged, or raise ValueError naming `what`, the value and the rule."""
    if not is_valid_id(value):
        raise ValueError(f"{what} {value!r} is not valid: use {ID_RULE}")
    return value


def slug(value: str, max_len: int = 60) -> str:
    """A readable id fragment: runs of other characters become '_' (for operation ids)."""
    s = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(value)).strip("_") or "x"
    return s[:max_len]
