"""Values written in a check (accepted_values' `values`, between's `min` / `max`) read in the
type of the column they are compared with, the same way in every dialect.

Without this, MariaDB compares an INT column with `'A'` as with 0 (a warning, no error), so
`accepted_values: [A, B]` on an INT column accepted every 0; PostgreSQL and DuckDB raise a cast
error on the same check. Rules (`family` from batchcore.validation.catalog):

- number columns (integer, decimal, float): numbers as written; a string holding a number
  (`'42'`, `'2.5'`) is that number; any other string or a boolean is refused;
- text columns: accepted_values turns a number into its text (`1` → `'1'`); between refuses a
  number bound (text compares character by character: `'10' < '9'`), asking to quote it; a
  boolean is refused (YAML reads unquoted yes/no/on/off/true/false as booleans);
- other columns (dates, timestamps, booleans, ...): values as written.
"""

from __future__ import annotations

import re
from typing import Any

NUMBER_FAMILIES = ("integer", "decimal", "float")
_INT = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class ValueTypeMismatch(ValueError):
    """A value that cannot be compared with its column's type; `field` is the YAML key."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean (YAML reads unquoted yes/no/on/off/true/false as booleans)"
    if isinstance(value, (int, float)):
        return "a number"
    return "text"


def as_column_value(
    value: Any, family: str, *, field: str, column: str, column_type: str, numbers_as_text: bool
) -> Any:
    """`value` in the type of `column` (see the module rules). Raises ValueTypeMismatch naming
    the field, the value, the column and its type."""
    shown = f"{field} {value!r}"
    col = f"column {column!r} ({column_type})"
    if family in NUMBER_FAMILIES:
        if isinstance(value, bool):
            raise ValueTypeMismatch(f"{shown} is {_kind(value)}, but {col} holds numbers", field)
        if isinstance(value, (int, float)):
            return value
        text = str(value).strip()
        if _INT.fullmatch(text):
            return int(text)
        if _NUMBER.fullmatch(text):
            return float(text)
        raise ValueTypeMismatch(
            f"{shown} is text, but {col} holds numbers: write numbers (some databases would "
            "compare the text as 0, others refuse)",
            field,
        )
    if family == "string":
        if isinstance(value, bool):
            raise ValueTypeMismatch(
                f"{shown} is {_kind(value)}, but {col} holds text: quote it", field
            )
        if isinstance(value, (int, float)):
            if not numbers_as_text:
                raise ValueTypeMismatch(
                    f"{shown} is a number, but {col} holds text, which compares character by "
                    f"character ('10' < '9'): quote it ('{value}') to compare as text",
                    field,
                )
            return str(value)
    return value
