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
from batchcore.validation.sqlgen import count_if, distinct_expr


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
        q = conn.dialect.quote
        child, parent = q(self.spec.column), q(self.spec.field)
        if conn.dialect.name == "mysql" and self.families.get("child") == "string":
            child, parent = f"BINARY c.{child}", f"BINARY p.{parent}"
        else:
            child, parent = f"c.{child}", f"p.{parent}"
        return (
            f"c.{q(self.spec.column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {conn.table_ref(self.spec.to)} p "
            f"WHERE {parent} = {child})"
        )

    def sql(self, conn: DbConnection) -> str:
        """Rows, non-NULL values, orphan rows and distinct orphan values.

        DuckDB: two scalar subqueries, the orphans by an explicit ANTI JOIN (measured on 10M rows:
        ~315 ms against ~450 ms for the correlated NOT EXISTS form). Elsewhere: one pass with
        NOT EXISTS, which every dialect plans as an anti join."""
        d = conn.dialect
        if d.name == "duckdb":
            q = d.quote
            child = f"c.{q(self.spec.column)}"
            table = f"{conn.table_ref(self.table)} c"
            where = self.where_sql(conn)
            orphan_where = self.where_sql(conn, f"{child} IS NOT NULL")
            v = distinct_expr(d, child, self.families.get("child", ""))
            return (
                f"SELECT (SELECT count(*) FROM {table}{where}), (SELECT count({child}) FROM {table}{where}), o.n, o.d "
                f"FROM (SELECT count(*) AS n, count(DISTINCT {v}) AS d FROM {table} "
                f"ANTI JOIN {conn.table_ref(self.spec.to)} p ON p.{q(self.spec.field)} = {child}{orphan_where}) o"
            )
        c = f"c.{d.quote(self.spec.column)}"
        v = distinct_expr(d, "v", self.families.get("child", ""))
        return (
            f"SELECT count(*), count(v), {count_if(d, 'o')}, count(DISTINCT CASE WHEN o THEN {v} END) "
            f"FROM (SELECT {c} AS v, ({self._orphan(conn)}) AS o "
            f"FROM {conn.table_ref(self.table)} c{self.where_sql(conn)}) x"
        )

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
            base = f"FROM {conn.table_ref(self.table)} c{self.where_sql(conn, self._orphan(conn))}"
            sample_sql = f"SELECT c.* {base} LIMIT {int(ctx.sample_size)}"
            out.sample = ctx.sample("target", sample_sql)
            out.details["sample_sql"] = sample_sql
        return out


def plans(spec: RelationshipsSpec) -> list[RelationshipsCheck]:
    return [RelationshipsCheck(spec)]
