"""`column_aggregates_match`: per column, the same profile in source and target.

YAML: `{type: column_aggregates_match, table: flights, columns: [distance, dep_delay]}`; optional
`source_table`, `tolerance` (absolute, for numeric metrics), `metrics` (subset of count,
null_count, distinct_count, min, max, sum; default all that apply: sum for numbers only, min/max
for every type but boolean), and `where` (both sides). One aggregate query per side.
Comparison follows compare.py (dates and times as row_diff reads them: Dialect.ts_text, min/max
and distinct counts of text normalised row by row; decimals by value, text by code point, float
sums with a relative tolerance of 1e-9 because each database adds rows in its own order).
Units: metrics. `total_rows` = metrics compared (plus the table's row count), `failed_rows` =
metrics that differ. Passes when none differs (not by threshold).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StrictStr

from batchcore.dialects.types import TIME_FAMILIES
from batchcore.jsonutil import to_jsonable
from batchcore.validation.checks.base import ColumnsCheckSpec, CompareCheck, Outcome, RunContext
from batchcore.validation.compare import NUMERIC_FAMILIES, aggregate_equal, common_family, normalize

Metric = Literal["count", "null_count", "distinct_count", "min", "max", "sum"]
FLOAT_SUM_REL_TOL = 1e-9


class ColumnAggregatesMatchSpec(ColumnsCheckSpec):
    """Keys: table, columns | column, source_table, tolerance, metrics."""

    unit: ClassVar[str] = "metrics"
    source_table: Annotated[StrictStr, Field(min_length=1, max_length=256)] | None = None
    tolerance: Annotated[float, Field(ge=0)] | None = None
    metrics: Annotated[list[Metric], Field(min_length=1)] | None = None


class ColumnAggregatesMatchCheck(CompareCheck):
    def __init__(self, spec: ColumnAggregatesMatchSpec):
        super().__init__(
            spec,
            table=spec.table,
            source_table=spec.source_table,
            columns=spec.column_list,
            label=f"column_aggregates_match({spec.table})",
        )

    def _metrics(self, family: str) -> list[str]:
        wanted = self.spec.metrics or ["count", "null_count", "distinct_count", "min", "max", "sum"]
        out = [m for m in wanted if m in ("count", "null_count", "distinct_count")]
        if family != "boolean" and family not in ("binary", "json", "other"):
            out += [m for m in wanted if m in ("min", "max")]
        if family in NUMERIC_FAMILIES:
            out += [m for m in wanted if m == "sum"]
        return out

    def _families(self, ctx: RunContext) -> dict[str, tuple[str, str, str]]:
        """{column: (source family, target family, common family)} as declared."""
        out = {}
        for c in self.columns:
            s = ctx.column("source", self.source_table, c).family
            t = ctx.column("target", self.table, c).family
            out[c] = (s, t, common_family(s, t))
        return out

    def _plan(self, fams: dict[str, tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        return [(c, m, fams[c][2]) for c in self.columns for m in self._metrics(fams[c][2])]

    def _sql(self, ctx: RunContext, side: str, plan: list[tuple[str, str, str]], fams: dict) -> str:
        conn = ctx.conn(side)
        d = conn.dialect
        table = self.table if side == "target" else self.source_table
        exprs = ["count(*)"]
        for c, m, common in plan:
            fam = fams[c][0 if side == "source" else 1]
            q = d.quote(c)
            if fam == "boolean" and common != "boolean":  # beside numbers: 0/1, like row_diff
                q, fam = d.bool_to_int(q), "integer"
            elif fam == "string" and common in NUMERIC_FAMILIES:  # text read as numbers
                q, fam = d.norm(q, fam, common), common
            elif fam == "float" and common == "float":  # SQLite: REALs in an INTEGER column
                q = d.text_to_number(q, "float")
            # dates and times compare as instants / as written (Dialect.ts_text), like row_diff
            ts = (
                (fam if fam in (*TIME_FAMILIES, "string") else "timestamp")
                if common in TIME_FAMILIES
                else None
            )
            if m == "count":
                exprs.append(f"count({q})")
            elif m == "null_count":
                exprs.append(f"count(*) - count({q})")
            elif m == "distinct_count":
                x = d.distinct_ts(q, ts) if ts else d.distinct_expr(q, fam)
                exprs.append(f"count(DISTINCT {x})")
            elif m in ("min", "max") and ts:
                exprs.append(d.extreme_ts_text(m, q, ts))
            elif m in ("min", "max"):
                exprs.append(f"{m}({d.min_max_expr(q, fam)})")
            elif fam == "boolean":
                exprs.append(d.sum_expr(d.bool_to_int(q)))
            else:
                exprs.append(d.sum_expr(q))
        return f"SELECT {', '.join(exprs)} FROM {conn.table_ref(table)}{self.where_sql(conn)}"

    def sql_preview(self, ctx: RunContext) -> str:
        fams = self._families(ctx)
        plan = self._plan(fams)
        return (
            f"-- source\n{self._sql(ctx, 'source', plan, fams)};\n"
            f"-- target\n{self._sql(ctx, 'target', plan, fams)}"
        )

    def run(self, ctx: RunContext) -> Outcome:
        # values as stored (SQLite's affinity: REAL or TEXT in an INTEGER column), like row_diff
        fams = self.stored_families(ctx, self._families(ctx))
        plan = self._plan(fams)
        self.refuse_text_that_is_not_a_number(ctx, fams)
        s_sql, t_sql = self._sql(ctx, "source", plan, fams), self._sql(ctx, "target", plan, fams)
        s_vals = list(ctx.query("source", s_sql)[1][0])
        t_vals = list(ctx.query("target", t_sql)[1][0])
        rows: list[dict[str, Any]] = []
        failed = 0
        for i, (col, metric, fam) in enumerate([(None, "row_count", "integer"), *plan]):
            a, b = _value(s_vals[i], fam, metric), _value(t_vals[i], fam, metric)
            # a sum added in doubles (a float column, or SQLite's NUMERIC holding REALs) gets
            # the relative tolerance: its last digits depend on the order of the additions
            doubles = fam == "float" or isinstance(s_vals[i], float) or isinstance(t_vals[i], float)
            rel = FLOAT_SUM_REL_TOL if metric == "sum" and doubles else 0.0
            tol = self.spec.tolerance if metric in ("min", "max", "sum") else None
            ok = aggregate_equal(a, b, tol, rel=rel)
            failed += 0 if ok else 1
            rows.append({"column": col, "metric": metric, "source": a, "target": b, "match": ok})
        ok = failed == 0
        mismatches = [r for r in rows if not r["match"]]
        sample = None
        if mismatches and ctx.sample_size > 0:
            sample = {
                "columns": ["column", "metric", "source", "target"],
                "rows": to_jsonable(
                    [
                        [r["column"], r["metric"], r["source"], r["target"]]
                        for r in mismatches[: ctx.sample_size]
                    ]
                ),
            }
        return Outcome(
            total_rows=len(rows),
            failed_rows=failed,
            passed=ok,
            uses_threshold=False,
            pass_rate=1.0 - failed / len(rows),
            sql=f"-- source\n{s_sql};\n-- target\n{t_sql}",
            observed={"source_rows": to_jsonable(s_vals[0]), "target_rows": to_jsonable(t_vals[0])},
            details={"metrics": to_jsonable(rows)},
            sample=sample,
        )


def _value(v: Any, family: str, metric: str) -> Any:
    if metric in ("row_count", "count", "null_count", "distinct_count"):
        return None if v is None else int(v)
    if isinstance(v, (bytes, bytearray)) and family == "string":
        v = bytes(v).decode("utf-8", "replace")
    return normalize(v, family)


def plans(spec: ColumnAggregatesMatchSpec) -> list[ColumnAggregatesMatchCheck]:
    return [ColumnAggregatesMatchCheck(spec)]
