"""`unique`: no two rows share the key (one column or a composite key compared as a tuple).

YAML: `{type: unique, table: T, columns: [a, b]}` (or `column: a`). Keys with a NULL in any
key column are ignored (DESIGN §7), so (x, NULL) twice passes. `failed_rows` = rows in
duplicated key groups; `duplicate_keys` = number of such keys (p, p, q, q, q → 5 and 2);
`non_null_rows` = rows with a complete key; denominator: every row.

Speed (bench/validation.py): the shared scan answers "any duplicates?" as complete-key rows
minus distinct keys. On DuckDB integer keys the distinct count is `bit_count(bitstring_agg(k))`
over the key's range (one bit per possible value; composite integer keys are packed into one
number when the ranges multiply to at most 2^28 bits), several times faster than
`count(DISTINCT k)`. Only when the scan finds duplicates (or cannot count distinct tuples, as in
SQLite) does a GROUP BY query count the exact failed rows and duplicate keys and fetch the sample.
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

MAX_BITMAP_BITS = 1 << 28


class UniqueSpec(ColumnsCheckSpec):
    """Keys: table, columns | column."""


class UniqueCheck(ScanCheck):
    def __init__(self, spec: UniqueSpec):
        cols = spec.column_list
        super().__init__(
            spec, table=spec.table, columns=cols, label=f"unique({spec.table}({', '.join(cols)}))"
        )
        self.ranges: list[tuple[int, int]] | None = None
        self.mode = "distinct"

    def prepare(self, ctx: RunContext) -> None:
        super().prepare(ctx)
        conn = ctx.target
        d = conn.dialect
        if len(self.columns) > 1 and not d.tuple_distinct:
            self.mode = "group_by"  # no tuple DISTINCT: count duplicates by grouping
        elif d.bitmap_distinct and all(self.families[c] == "integer" for c in self.columns):
            q = d.quote
            sel = ", ".join(f"min({q(c)}), max({q(c)})" for c in self.columns)
            _, rows = ctx.query("target", f"SELECT {sel} FROM {conn.table_ref(self.table)}")
            vals = rows[0]
            ranges = [(vals[2 * i], vals[2 * i + 1]) for i in range(len(self.columns))]
            if any(lo is None for lo, _ in ranges):
                self.mode, self.ranges = "empty", None
                return
            bits = 1
            for lo, hi in ranges:
                bits *= int(hi) - int(lo) + 1
            if bits <= MAX_BITMAP_BITS:
                self.mode, self.ranges = "bitmap", [(int(lo), int(hi)) for lo, hi in ranges]

    def _complete(self, conn: DbConnection) -> str:
        return " AND ".join(f"{conn.dialect.quote(c)} IS NOT NULL" for c in self.columns)

    def _distinct(self, conn: DbConnection) -> str | None:
        d = conn.dialect
        cols = [self.col(conn, c) for c in self.columns]
        if self.mode == "bitmap":
            parts, mult = [], 1
            for c, (lo, hi) in reversed(list(zip(self.columns, self.ranges, strict=True))):
                parts.append(
                    f"(CAST({d.quote(c)} AS BIGINT) - {lo}) * {mult}"
                    if mult != 1
                    else f"(CAST({d.quote(c)} AS BIGINT) - {lo})"
                )
                mult *= hi - lo + 1
            return d.bitmap_distinct_count(" + ".join(parts), mult)
        if self.mode in ("group_by", "empty"):
            return None
        if len(cols) == 1:
            return f"count(DISTINCT {cols[0]})"
        return d.distinct_tuple_count(cols, self._complete(conn))

    def aggregates(self, conn: DbConnection) -> list[str]:
        if len(self.columns) == 1:  # count(c) reads the validity mask only: cheaper than a filter
            out = [f"count({conn.dialect.quote(self.columns[0])})"]
        else:
            out = [conn.dialect.count_if(self._complete(conn))]
        dist = self._distinct(conn)
        if dist is not None:
            out.append(dist)
        return out

    def group_sql(self, conn: DbConnection) -> str:
        """Exact figures: duplicate keys and the rows in them."""
        cols = ", ".join(self.col(conn, c) for c in self.columns)
        return (
            f"SELECT count(*) AS duplicate_keys, coalesce(sum(n), 0) AS failed_rows FROM "
            f"(SELECT count(*) AS n FROM {conn.table_ref(self.table)}{self.where_sql(self._complete(conn))} "
            f"GROUP BY {cols} HAVING count(*) > 1) g"
        )

    def sample_sql(self, conn: DbConnection, limit: int) -> str:
        q = conn.dialect.quote
        cols = ", ".join(q(c) for c in self.columns)
        grp = ", ".join(self.col(conn, c) for c in self.columns)
        return conn.dialect.limit(
            f"SELECT {cols}, count(*) AS {q('row_count')} FROM {conn.table_ref(self.table)}"
            f"{self.where_sql(self._complete(conn))} GROUP BY {grp} HAVING count(*) > 1 "
            "ORDER BY count(*) DESC",
            limit,
        )

    def failing_filter(self, conn: DbConnection) -> str | None:
        return None

    def standalone_sql(self, conn: DbConnection) -> str:
        return self.group_sql(conn)

    def evaluate(self, total: int, values: list[Any], ctx: RunContext) -> Outcome:
        complete = as_int(values[0])
        details: dict[str, Any] = {"method": self.mode}
        # nothing to group, or as many distinct values as complete rows: no duplicate
        if (
            self.mode == "empty"
            or complete == 0
            or (len(values) > 1 and as_int(values[1]) == complete)
        ):
            return Outcome(
                total_rows=total,
                non_null_rows=complete,
                failed_rows=0,
                duplicate_keys=0,
                details=details,
            )
        sql = self.group_sql(ctx.target)
        _, rows = ctx.query("target", sql)
        dup_keys, failed = as_int(rows[0][0]), as_int(rows[0][1])
        details["group_sql"] = sql
        out = Outcome(
            total_rows=total,
            non_null_rows=complete,
            failed_rows=failed,
            duplicate_keys=dup_keys,
            details=details,
            observed={"surplus_rows": failed - dup_keys},
        )
        if failed:
            sample_sql = self.sample_sql(ctx.target, ctx.sample_size)
            out.sample = ctx.sample("target", sample_sql)
            details["sample_sql"] = sample_sql
        return out


def plans(spec: UniqueSpec) -> list[UniqueCheck]:
    return [UniqueCheck(spec)]
