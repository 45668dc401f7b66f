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
from batchcore.validation.checks.base import ColumnCheckSpec, Outcome, RunContext, ScanCheck, as_int
from batchcore.validation.sqlgen import count_if, regex_full_match


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


class RegexCheck(ScanCheck):
    def __init__(self, spec: RegexSpec):
        super().__init__(
            spec,
            table=spec.table,
            columns=[spec.column],
            label=f"regex({spec.table}.{spec.column})",
        )

    def _bad(self, conn: DbConnection) -> str:
        c = conn.dialect.quote(self.spec.column)
        expr = regex_full_match(conn.dialect, c, self.spec.pattern)
        if conn.dialect.name == "mysql":
            lit = conn.dialect.literal(f"^(?:{self.spec.pattern})$")
            expr = f"(CAST({c} AS CHAR) COLLATE utf8mb4_bin REGEXP {lit})"
        return f"{c} IS NOT NULL AND NOT {expr}"

    def aggregates(self, conn: DbConnection) -> list[str]:
        return [
            f"count({conn.dialect.quote(self.spec.column)})",
            count_if(conn.dialect, self._bad(conn)),
        ]

    def failing_filter(self, conn: DbConnection) -> str:
        return self._bad(conn)

    def evaluate(self, total: int, values: list[Any], ctx: RunContext) -> Outcome:
        return Outcome(
            total_rows=total,
            non_null_rows=as_int(values[0]),
            failed_rows=as_int(values[1]),
            observed={"pattern": self.spec.pattern},
        )


def plans(spec: RegexSpec) -> list[RegexCheck]:
    return [RegexCheck(spec)]
