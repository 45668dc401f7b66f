"""`relationships`: every non-NULL value of `column` exists in `to`.`field` (a foreign key).

YAML: `{type: relationships, table: flights, column: tailnum, to: planes, field: tailnum}`.
NULLs are ignored (DESIGN §7); denominator: every row; `non_null_rows` reported; `observed`
gives the number of distinct orphan values. Both tables are on the target connection. Runs as
its own query (an anti-join beside the table scan is faster than joining inside it, measured in
bench/validation.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictStr

from batchcore.connections import DbConnection
from batchcore.validation.checks.base import (
    ColumnCheckSpec,
    Outcome,
    QueryCheck,
    RunContext,
    as_int,
)


class RelationshipsSpec(ColumnCheckSpec):
    """Keys: table, column, to (parent table), field (parent column)."""

    to: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    field: Annotated[StrictStr, Field(min_length=1, max_length=256)]


class RelationshipsCheck(QueryCheck):
    def __init__(self, spec: RelationshipsSpec):
        super().__init__(
            spec,
            table=spec.table,
            columns=[spec.column],
            label=f"relationships({spec.table}.{spec.column} -> {spec.to}.{spec.field})",
        )
        self.families: dict[str, str] = {}

    def referenced_columns(self):
        return [("target", self.table, self.spec.column), ("target", self.spec.to, self.spec.field)]

    def _orphan(self, conn: DbConnection) -> str:
        d, fam = conn.dialect, self.families.get("child", "")
        q = d.quote
        child = d.column_for(f"c.{q(self.spec.column)}", fam)
        parent = d.column_for(f"p.{q(self.spec.field)}", fam)
        return (
            f"c.{q(self.spec.column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {conn.table_ref(self.spec.to)} p "
            f"WHERE {parent} = {child})"
        )

    def sql(self, conn: DbConnection) -> str:
        """Rows, non-NULL values, orphan rows and distinct orphan values.

        Where the dialect has ANTI JOIN (DuckDB): two scalar subqueries, the orphans by the
        explicit anti join (measured on 10M rows: ~315 ms against ~450 ms for the correlated
        NOT EXISTS form). Elsewhere: one pass with NOT EXISTS, which every database plans as an
        anti join."""
        d = conn.dialect
        q = d.quote
        fam = self.families.get("child", "")
        child = f"c.{q(self.spec.column)}"
        table = f"{conn.table_ref(self.table)} c"
        anti = d.anti_join(
            table, f"{conn.table_ref(self.spec.to)} p", f"p.{q(self.spec.field)} = {child}"
        )
        if anti is not None:
            where = self.where_sql()
            orphan_where = self.where_sql(f"{child} IS NOT NULL")
            v = d.distinct_expr(child, fam)
            return (
                f"SELECT (SELECT count(*) FROM {table}{where}), (SELECT count({child}) FROM {table}{where}), o.n, o.d "
                f"FROM (SELECT count(*) AS n, count(DISTINCT {v}) AS d FROM {anti}{orphan_where}) o"
            )
        v = d.distinct_expr("v", fam)
        return (
            f"SELECT count(*), count(v), {d.count_if('o = 1')}, count(DISTINCT CASE WHEN o = 1 THEN {v} END) "
            f"FROM (SELECT {child} AS v, CASE WHEN {self._orphan(conn)} THEN 1 ELSE 0 END AS o "
            f"FROM {table}{self.where_sql()}) x"
        )

    def sample_sql(self, conn: DbConnection, limit: int) -> str:
        """Up to `limit` orphan rows."""
        base = f"FROM {conn.table_ref(self.table)} c{self.where_sql(self._orphan(conn))}"
        return conn.dialect.limit(f"SELECT c.* {base}", limit)

    def sql_preview(self, ctx: RunContext) -> str:
        return self.sql(ctx.target)

    def run(self, ctx: RunContext) -> Outcome:
        conn = ctx.target
        self.families["child"] = ctx.column("target", self.table, self.spec.column).family
        ctx.column("target", self.spec.to, self.spec.field)
        sql = self.sql(conn)
        _, rows = ctx.query("target", sql)
        total, non_null, failed, orphans = (as_int(v) for v in rows[0])
        out = Outcome(
            total_rows=total,
            non_null_rows=non_null,
            failed_rows=failed,
            sql=sql,
            observed={"orphan_values": orphans} if failed else {},
        )
        if failed:
            sample_sql = self.sample_sql(conn, ctx.sample_size)
            out.sample = ctx.sample("target", sample_sql)
            out.details["sample_sql"] = sample_sql
        return out


def plans(spec: RelationshipsSpec) -> list[RelationshipsCheck]:
    return [RelationshipsCheck(spec)]
