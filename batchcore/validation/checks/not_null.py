"""`not_null`: one result per column; failing rows are the NULLs of that column.

YAML: `{type: not_null, table: T, columns: [a, b]}` (or `column: a`). Denominator: every row
(after `where`); `failed_rows` = NULLs; `non_null_rows` = the rest; empty table → pass rate 1.0.
"""

from __future__ import annotations

from typing import Any

from batchcore.connections import DbConnection
from batchcore.validation.checks.base import (
    ColumnsCheckSpec,
    Outcome,
    RunContext,
    ScanCheck,
    as_int,
)


class NotNullSpec(ColumnsCheckSpec):
    """Keys: table, columns | column (+ name, severity, threshold, where)."""


class NotNullCheck(ScanCheck):
    def __init__(self, spec: NotNullSpec, column: str):
        super().__init__(
            spec, table=spec.table, columns=[column], label=f"not_null({spec.table}.{column})"
        )
        self.column = column
        if spec.name and len(spec.column_list) > 1:  # one result per column: keep names distinct
            self.name = f"{spec.name}.{column}"

    def aggregates(self, conn: DbConnection) -> list[str]:
        return [conn.dialect.count_if(f"{conn.dialect.quote(self.column)} IS NULL")]

    def failing_filter(self, conn: DbConnection) -> str:
        return f"{conn.dialect.quote(self.column)} IS NULL"

    def evaluate(self, total: int, values: list[Any], ctx: RunContext) -> Outcome:
        failed = as_int(values[0])
        return Outcome(total_rows=total, failed_rows=failed, non_null_rows=total - failed)


def plans(spec: NotNullSpec) -> list[NotNullCheck]:
    return [NotNullCheck(spec, c) for c in spec.column_list]
