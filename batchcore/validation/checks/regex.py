"""`regex`: every non-NULL value (as text) matches the pattern in full.

YAML: `{type: regex, table: T, column: c, pattern: 'N[0-9A-Z]{1,5}'}`. The pattern is anchored
at both ends; NULLs are ignored; denominator: every row; `non_null_rows` reported. Matching is
case-sensitive in every dialect (MySQL: `utf8mb4_bin`); write portable regex syntax.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StrictStr, field_validator

from batchcore.connections import DbConnection
from batchcore.validation.checks.base import ColumnCheckSpec, ValueScanCheck


class RegexSpec(ColumnCheckSpec):
    """Keys: table, column, pattern."""

    pattern: Annotated[StrictStr, Field(min_length=1)]

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return v


class RegexCheck(ValueScanCheck):
    def bad(self, conn: DbConnection) -> str:
        c = conn.dialect.quote(self.spec.column)
        expr = conn.dialect.regex_full_match(c, self.spec.pattern)
        return f"{c} IS NOT NULL AND NOT {expr}"

    def observed(self, extra: list[Any]) -> dict[str, Any]:
        return {"pattern": self.spec.pattern}


def plans(spec: RegexSpec) -> list[RegexCheck]:
    return [RegexCheck(spec)]
