"""`unique`: no two rows share the key (one column or a composite key compared as a tuple).

YAML: `{type: unique, table: T, columns: [a, b]}` (or `column: a`). Keys with a NULL in any
key column are ignored (DESIGN §7), so (x, NULL) twice passes. `failed_rows` = rows in
duplicated key groups; `duplicate_keys` = number of such keys (p, p, q, q, q → 5 and 2);
`non_null_rows` = rows with a complete key; denominator: every row.

Speed (bench/validation.py, issue 13 §2): ONE hash aggregation per check on every key shape
(sparse, duplicated, composite, text). The shared scan counts the complete-key rows; then one
GROUP BY query over the key keeps the duplicated groups (HAVING count(*) > 1) and answers, with
window totals over those few groups, the exact duplicate keys and failed rows AND the sample
rows at once (`group_sql`). The one shortcut: a DENSE integer key on DuckDB (its packed range
at most 2^28 values and at most 4x the table's rows) adds `bit_count(bitstring_agg(k))` to the
scan (a bitmap pass, several times cheaper than grouping) and skips the GROUP BY when that
proves every key distinct.
"""

from __future__ import annotations

from typing import Any

from batchcore.connections import DbConnection
from batchcore.jsonutil import to_jsonable
from batchcore.validation.checks.base import (
    ColumnsCheckSpec,
    Outcome,
    RunContext,
    ScanCheck,
    as_int,
)

MAX_BITMAP_BITS = 1 << 28
DENSE_FACTOR = 4  # bitmap only when the key's range is at most this many times the rows


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
        self.mode, self.ranges = "group_by", None
        conn = ctx.target
        d = conn.dialect
        if not (d.bitmap_distinct and all(self.families[c] == "integer" for c in self.columns)):
            return
        q = d.quote
        sel = ", ".join(f"min({q(c)}), max({q(c)})" for c in self.columns)
        _, rows = ctx.query("target", f"SELECT count(*), {sel} FROM {conn.table_ref(self.table)}")
        total, vals = int(rows[0][0]), rows[0][1:]
        ranges = [(vals[2 * i], vals[2 * i + 1]) for i in range(len(self.columns))]
        if any(lo is None for lo, _ in ranges):
            return  # no complete key in the table: the GROUP BY finds nothing, cheaply
        bits = 1
        for lo, hi in ranges:
            bits *= int(hi) - int(lo) + 1
        if bits <= min(MAX_BITMAP_BITS, DENSE_FACTOR * total):
            self.mode, self.ranges = "bitmap", [(int(lo), int(hi)) for lo, hi in ranges]

    def _complete(self, conn: DbConnection) -> str:
        return " AND ".join(f"{conn.dialect.quote(c)} IS NOT NULL" for c in self.columns)

    def _bitmap(self, conn: DbConnection) -> str | None:
        d = conn.dialect
        parts, mult = [], 1
        for c, (lo, hi) in reversed(list(zip(self.columns, self.ranges, strict=True))):
            term = f"(CAST({d.quote(c)} AS BIGINT) - {lo})"
            parts.append(f"{term} * {mult}" if mult != 1 else term)
            mult *= hi - lo + 1
        return d.bitmap_distinct_count(" + ".join(parts), mult)

    def aggregates(self, conn: DbConnection) -> list[str]:
        if len(self.columns) == 1:  # count(c) reads the validity mask only: cheaper than a filter
            out = [f"count({conn.dialect.quote(self.columns[0])})"]
        else:
            out = [conn.dialect.count_if(self._complete(conn))]
        if self.mode == "bitmap":
            out.append(self._bitmap(conn))
        return out

    def group_sql(self, conn: DbConnection, limit: int = 1) -> str:
        """THE query of the check (one GROUP BY over the key): up to `limit` (at least 1)
        duplicated keys, most repeated first, each row being the key columns, `row_count`, and
        the totals over every duplicated key: `duplicate_keys`, `failed_rows` (no row: no
        duplicate)."""
        q = conn.dialect.quote
        names = ", ".join(q(c) for c in self.columns)
        grp = ", ".join(self.col(conn, c) for c in self.columns)
        keys = ", ".join(f"{self.col(conn, c)} AS {q(c)}" for c in self.columns)
        return conn.dialect.limit(
            f"SELECT {names}, {q('row_count')}, count(*) OVER () AS {q('duplicate_keys')}, "
            f"sum({q('row_count')}) OVER () AS {q('failed_rows')} FROM "
            f"(SELECT {keys}, count(*) AS {q('row_count')} FROM {conn.table_ref(self.table)}"
            f"{self.where_sql(conn, self._complete(conn))} GROUP BY {grp} HAVING count(*) > 1) g "
            f"ORDER BY {q('row_count')} DESC, {names}",
            max(1, int(limit)),
        )

    def sample_sql(self, conn: DbConnection, limit: int) -> str:
        return self.group_sql(conn, limit)

    def failing_filter(self, conn: DbConnection) -> str | None:
        return None

    def standalone_sql(self, conn: DbConnection) -> str:
        return self.group_sql(conn)

    def evaluate(self, total: int, values: list[Any], ctx: RunContext) -> Outcome:
        complete = as_int(values[0])
        details: dict[str, Any] = {"method": self.mode}
        # nothing to group, or the bitmap counted as many distinct values as complete rows
        if complete == 0 or (self.mode == "bitmap" and as_int(values[1]) == complete):
            return Outcome(
                total_rows=total,
                non_null_rows=complete,
                failed_rows=0,
                duplicate_keys=0,
                details=details,
            )
        sql = self.group_sql(ctx.target, ctx.sample_size)
        cols, rows = ctx.query("target", sql)
        nk = len(self.columns)
        dup_keys, failed = (as_int(rows[0][nk + 1]), as_int(rows[0][nk + 2])) if rows else (0, 0)
        details["group_sql"] = sql
        out = Outcome(
            total_rows=total,
            non_null_rows=complete,
            failed_rows=failed,
            duplicate_keys=dup_keys,
            details=details,
            observed={"surplus_rows": failed - dup_keys},
        )
        if failed and ctx.sample_size > 0:
            out.sample = {
                "columns": list(cols[: nk + 1]),
                "rows": to_jsonable([list(r[: nk + 1]) for r in rows[: ctx.sample_size]]),
            }
        return out


def plans(spec: UniqueSpec) -> list[UniqueCheck]:
    return [UniqueCheck(spec)]
