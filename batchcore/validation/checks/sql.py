"""`sql`: a custom query that returns the failing rows.

YAML: `{type: sql, name: no_negative_distance, query: "select * from flights where distance < 0"}`,
optionally `table: flights` to give a denominator. `failed_rows` = rows the query returns (counted
as `SELECT count(*) FROM (query)`); the sample is its first `sample_size` rows. With `table`,
`total_rows` = that table's rows (after `where`) and the check passes when pass_rate ≥ threshold;
without it, `total_rows` is null and the check passes only when the query returns no row.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictStr, field_validator

from batchcore.validation.checks.base import (
    CheckSpec,
    Outcome,
    QueryCheck,
    RunContext,
    as_int,
    ratio,
)


class SqlSpec(CheckSpec):
    """Keys: query, optional table."""

    query: Annotated[StrictStr, Field(min_length=1)]
    table: Annotated[StrictStr, Field(min_length=1, max_length=256)] | None = None

    @field_validator("query")
    @classmethod
    def _one_statement(cls, v: str) -> str:
        v = v.strip().rstrip(";").strip()
        if not v:
            raise ValueError("the query is empty")
        if ";" in v:
            raise ValueError("give one SELECT statement (no ';' inside)")
        return v


class SqlCheck(QueryCheck):
    def __init__(self, spec: SqlSpec):
        super().__init__(spec, table=spec.table, columns=[], label=spec.name or "sql")

    def sql_preview(self, ctx: RunContext) -> str:
        return f"SELECT count(*) FROM ({self.spec.query}) q"

    def run(self, ctx: RunContext) -> Outcome:
        sql = self.sql_preview(ctx)
        _, rows = ctx.query("target", sql)
        failed = as_int(rows[0][0])
        total = None
        if self.table:
            _, r = ctx.query(
                "target",
                f"SELECT count(*) FROM {ctx.target.table_ref(self.table)}{self.where_sql()}",
            )
            total = as_int(r[0][0])
        out = Outcome(total_rows=total, failed_rows=failed, sql=sql)
        if total is None:
            out.passed, out.uses_threshold = failed == 0, False
            out.pass_rate = 1.0 if failed == 0 else 0.0
        else:
            out.pass_rate = ratio(failed, total)
        if failed:
            sample_sql = ctx.target.dialect.limit(
                f"SELECT * FROM ({self.spec.query}) q", ctx.sample_size
            )
            out.sample = ctx.sample("target", sample_sql)
            out.details["sample_sql"] = sample_sql
        return out


def plans(spec: SqlSpec) -> list[SqlCheck]:
    return [SqlCheck(spec)]
