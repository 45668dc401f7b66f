"""`row_count`: the number of rows (after `where`) lies within [min, max].

YAML: `{type: row_count, table: T, min: 1000, max: 5000000}` (either bound may be omitted;
no bound = always passes, reporting the count). Passes by its bounds, not by `threshold`;
`failed_rows` is how far outside the bounds the count is (0 inside); pass rate = 1 − failed ÷
the larger of the count and `min` (3,322 rows with max 3,300: 1 − 22 ÷ 3,322; 100 rows with min
300: 1 − 200 ÷ 300). Answered by the table scan.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from batchcore.validation.checks.base import Outcome, RunContext, ScanCheck, TableCheckSpec, ratio


class RowCountSpec(TableCheckSpec):
    """Keys: table, min, max (whole numbers ≥ 0)."""

    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _bounds(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class RowCountCheck(ScanCheck):
    def __init__(self, spec: RowCountSpec):
        super().__init__(spec, table=spec.table, columns=[], label=f"row_count({spec.table})")

    def evaluate(self, total: int, values: list[Any], ctx: RunContext) -> Outcome:
        lo, hi = self.spec.min, self.spec.max
        off = (
            (lo - total)
            if lo is not None and total < lo
            else (total - hi)
            if hi is not None and total > hi
            else 0
        )
        return Outcome(
            total_rows=total,
            failed_rows=off,
            passed=off == 0,
            uses_threshold=False,
            pass_rate=ratio(off, max(total, lo or 0)),
            observed={"row_count": total, "min": lo, "max": hi},
            details={"reason": _reason(total, lo, hi)},
        )


def _reason(total: int, lo: int | None, hi: int | None) -> str:
    """`3,322 rows: 22 above the max 3,300`, `100 rows: 200 below the min 300`, or the count
    within its bounds."""
    if lo is not None and total < lo:
        return f"{total:,} rows: {lo - total:,} below the min {lo:,}"
    if hi is not None and total > hi:
        return f"{total:,} rows: {total - hi:,} above the max {hi:,}"
    bounds = " and ".join(
        t for t in (lo is not None and f"min {lo:,}", hi is not None and f"max {hi:,}") if t
    )
    return f"{total:,} rows" + (f" (within {bounds})" if bounds else "")


def plans(spec: RowCountSpec) -> list[RowCountCheck]:
    return [RowCountCheck(spec)]
