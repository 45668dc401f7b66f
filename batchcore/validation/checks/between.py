"""`between`: every non-NULL value lies in [min, max] (both inclusive, DESIGN §7).

YAML: `{type: between, table: T, column: c, min: 0, max: 200}` (one bound may be omitted).
NULLs are ignored; denominator: every row; `non_null_rows` reported. Dates and timestamps may
be given as ISO strings (`min: '2013-01-01'`).
"""

from __future__ import annotations

from typing import Any

from pydantic import StrictStr, model_validator

from batchcore.connections import DbConnection
from batchcore.validation.checks.base import ColumnCheckSpec, ValueScanCheck


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


class BetweenCheck(ValueScanCheck):
    def bad(self, conn: DbConnection) -> str:
        c = conn.dialect.quote(self.spec.column)
        lit = conn.dialect.literal
        parts = []
        if self.spec.min is not None:
            parts.append(f"{c} < {lit(self.spec.min)}")
        if self.spec.max is not None:
            parts.append(f"{c} > {lit(self.spec.max)}")
        return " OR ".join(parts)

    def extra_aggregates(self, conn: DbConnection) -> list[str]:
        c = conn.dialect.quote(self.spec.column)
        return [f"min({c})", f"max({c})"]

    def observed(self, extra: list[Any]) -> dict[str, Any]:
        from batchcore.jsonutil import to_jsonable

        bounds = [self.spec.min, self.spec.max]
        return to_jsonable({"min": extra[0], "max": extra[1], "bounds": bounds})


def plans(spec: BetweenSpec) -> list[BetweenCheck]:
    return [BetweenCheck(spec)]
