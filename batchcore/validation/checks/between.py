"""`between`: every non-NULL value lies in [min, max] (both inclusive, DESIGN §7).

YAML: `{type: between, table: T, column: c, min: 0, max: 200}` (one bound may be omitted).
NULLs are ignored; denominator: every row; `non_null_rows` reported. Dates and timestamps may
be given as ISO strings (`min: '2013-01-01'`).
"""

from __future__ import annotations

from typing import Any

from pydantic import StrictStr, model_validator

from batchcore.connections import DbConnection
from batchcore.validation.checks.base import ColumnCheckSpec, Outcome, RunContext, ScanCheck, as_int
from batchcore.validation.sqlgen import count_if


class BetweenSpec(ColumnCheckSpec):
    """Keys: table, column, min and/or max (numbers, or ISO date/time strings)."""

    min: int | float | StrictStr | None = None
    max: int | float | StrictStr | None = None

    @model_validator(mode="after")
    def _bounds(self):
        if self.min is None and self.max is None:
            raise ValueError("give 'min', 'max' or both")
        if (
            isinstance(self.min, (int, float))
            and isinstance(self.max, (int, float))
            and self.min > self.max
        ):
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class BetweenCheck(ScanCheck):
    def __init__(self, spec: BetweenSpec):
        super().__init__(
            spec,
            table=spec.table,
            columns=[spec.column],
            label=f"between({spec.table}.{spec.column})",
        )

    def _bad(self, conn: DbConnection) -> str:
        c = conn.dialect.quote(self.spec.column)
        lit = conn.dialect.literal
        parts = []
        if self.spec.min is not None:
            parts.append(f"{c} < {lit(self.spec.min)}")
        if self.spec.max is not None:
            parts.append(f"{c} > {lit(self.spec.max)}")
        return " OR ".join(parts)

    def aggregates(self, conn: DbConnection) -> list[str]:
        c = conn.dialect.quote(self.spec.column)
        return [f"count({c})", count_if(conn.dialect, self._bad(conn)), f"min({c})", f"max({c})"]

    def failing_filter(self, conn: DbConnection) -> str:
        return self._bad(conn)

    def evaluate(self, total: int, values: list[Any], ctx: RunContext) -> Outcome:
        from batchcore.jsonutil import to_jsonable

        return Outcome(
            total_rows=total,
            non_null_rows=as_int(values[0]),
            failed_rows=as_int(values[1]),
            observed=to_jsonable(
                {"min": values[2], "max": values[3], "bounds": [self.spec.min, self.spec.max]}
            ),
        )


def plans(spec: BetweenSpec) -> list[BetweenCheck]:
    return [BetweenCheck(spec)]
