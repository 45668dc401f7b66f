"""`row_count_match`: source and target have the same number of rows, within a tolerance.

YAML: `{type: row_count_match, table: flights, tolerance: 0}`; optional `source_table` (when
the name differs in the source), `tolerance` (rows, default 0) or `tolerance_percent` (of the
source count), and `where`, applied to BOTH sides. `total_rows` = source rows, `failed_rows` =
|source − target|; passes when the difference is within the tolerance (not by threshold).
Two empty tables match (pass rate 1.0).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictStr, model_validator

from batchcore.validation.checks.base import (
    CompareCheck,
    Outcome,
    RunContext,
    TableCheckSpec,
    as_int,
    ratio,
)


class RowCountMatchSpec(TableCheckSpec):
    """Keys: table, source_table, tolerance | tolerance_percent."""

    source_table: Annotated[StrictStr, Field(min_length=1, max_length=256)] | None = None
    tolerance: Annotated[int, Field(ge=0)] | None = None
    tolerance_percent: Annotated[float, Field(ge=0, le=100)] | None = None

    @model_validator(mode="after")
    def _one(self):
        if self.tolerance is not None and self.tolerance_percent is not None:
            raise ValueError("give 'tolerance' (rows) or 'tolerance_percent', not both")
        return self


class RowCountMatchCheck(CompareCheck):
    def __init__(self, spec: RowCountMatchSpec):
        super().__init__(
            spec,
            table=spec.table,
            source_table=spec.source_table,
            columns=[],
            label=f"row_count_match({spec.table})",
        )

    def _sql(self, ctx: RunContext, side: str) -> str:
        table = self.table if side == "target" else self.source_table
        return f"SELECT count(*) FROM {ctx.conn(side).table_ref(table)}{self.where_sql(ctx.conn(side))}"

    def sql_preview(self, ctx: RunContext) -> str:
        return f"-- source\n{self._sql(ctx, 'source')};\n-- target\n{self._sql(ctx, 'target')}"

    def run(self, ctx: RunContext) -> Outcome:
        src = as_int(ctx.query("source", self._sql(ctx, "source"))[1][0][0])
        tgt = as_int(ctx.query("target", self._sql(ctx, "target"))[1][0][0])
        diff = abs(src - tgt)
        if self.spec.tolerance_percent is not None:
            allowed = src * self.spec.tolerance_percent / 100.0
        else:
            allowed = float(self.spec.tolerance or 0)
        ok = diff <= allowed
        return Outcome(
            total_rows=src,
            failed_rows=diff,
            passed=ok,
            uses_threshold=False,
            pass_rate=ratio(diff, max(src, tgt)),
            sql=self.sql_preview(ctx),
            observed={
                "source_rows": src,
                "target_rows": tgt,
                "difference": tgt - src,
                "allowed_difference": allowed,
            },
        )


def plans(spec: RowCountMatchSpec) -> list[RowCountMatchCheck]:
    return [RowCountMatchCheck(spec)]
