"""`between`: every non-NULL value lies in [min, max] (both inclusive, DESIGN §7).

YAML: `{type: between, table: T, column: c, min: 0, max: 200}` (one bound may be omitted).
NULLs are ignored; denominator: every row; `non_null_rows` reported. Dates and timestamps may
be given as ISO strings (`min: '2013-01-01'`). Bounds are read in the column's type
(checks/coerce.py): `'5'` is 5 on a number column; text on a number column, or a number on a
text column, is refused (databases disagree on how to compare them).
"""

from __future__ import annotations

from typing import Any

from pydantic import StrictStr, model_validator

from batchcore.connections import DbConnection
from batchcore.validation.checks.base import ColumnCheckSpec, RunContext, ValueScanCheck
from batchcore.validation.checks.coerce import as_column_value


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
    def __init__(self, spec: BetweenSpec):
        super().__init__(spec)
        self.bounds: dict[str, Any] = {"min": spec.min, "max": spec.max}

    def prepare(self, ctx: RunContext) -> None:
        """Look the column up and read the bounds in its type (raises ValueTypeMismatch)."""
        super().prepare(ctx)
        info = ctx.column("target", self.table, self.spec.column)
        self.bounds = {
            k: None
            if v is None
            else as_column_value(
                v,
                info.family,
                field=k,
                column=info.name,
                column_type=info.type,
                numbers_as_text=False,
            )
            for k, v in (("min", self.spec.min), ("max", self.spec.max))
        }

    def bad(self, conn: DbConnection) -> str:
        c = conn.dialect.quote(self.spec.column)
        lit = conn.dialect.literal
        parts = []
        if self.bounds["min"] is not None:
            parts.append(f"{c} < {lit(self.bounds['min'])}")
        if self.bounds["max"] is not None:
            parts.append(f"{c} > {lit(self.bounds['max'])}")
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
