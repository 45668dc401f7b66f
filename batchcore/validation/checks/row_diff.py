"""`row_diff`: row-by-row comparison of source and target by key columns.

YAML:
```yaml
- type: row_diff
  table: airlines
  key: [carrier]            # one column or a list (compared as a tuple)
  columns: [name]           # optional: default every non-key column present on both sides
  tolerance: 0.001          # optional: absolute, for numbers
  source_table: carriers    # optional
  max_pull_rows: 1000000    # optional: above this, compare segment checksums first
```
`failed_rows` = missing in target + extra in target + changed; `total_rows` = source rows (after
`where`, applied to both sides); `observed` has each count and the differences per column;
the sample lists differing rows. Duplicated rows count with their multiplicity. Values are
normalised as compare.py says. Passes when pass_rate ≥ threshold (default 1.0: any difference
fails). Empty on both sides: pass rate 1.0.

Tables up to `max_pull_rows` rows are read whole from both sides and diffed in memory. Larger
ones are split into hash buckets of the key (`segment_rows` rows each, default 100,000); both
databases answer per bucket its row count and two 32-bit md5 sums over a canonical text of each
row (sqlgen.canonical_text), and only buckets whose figures differ are read and diffed exactly.
Limit of that mode: float and decimal values enter the checksum rounded to 10^-6, so a bucket
whose only change is smaller than that is not read; raise `max_pull_rows` for a full comparison.
The result's `sql` is what ran: in that mode a leading comment (segments, which differed), the
per-segment checksum query of each side, then the pull queries of the differing segments.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import Field, StrictStr, field_validator

from batchcore.validation.checks.base import (
    ColumnName,
    CompareCheck,
    Outcome,
    RunContext,
    TableCheckSpec,
    as_int,
    ratio,
)
from batchcore.validation.compare import common_family
from batchcore.validation.rowdiff import ColumnPlan, DiffResult, diff_tables
from batchcore.validation.sqlgen import hex_to_int, row_checksum_text

PULL_SEGMENTS = 200  # differing segments read per query


class RowDiffSpec(TableCheckSpec):
    """Keys: table, key, columns, tolerance, source_table, max_pull_rows, segment_rows."""

    key: ColumnName | Annotated[list[ColumnName], Field(min_length=1)]
    columns: Annotated[list[ColumnName], Field(min_length=1)] | None = None
    source_table: Annotated[StrictStr, Field(min_length=1, max_length=256)] | None = None
    tolerance: Annotated[float, Field(ge=0)] | None = None
    max_pull_rows: Annotated[int, Field(ge=0)] = 1_000_000
    segment_rows: Annotated[int, Field(ge=100)] = 100_000

    @field_validator("key")
    @classmethod
    def _list(cls, v):
        return [v] if isinstance(v, str) else v

    @property
    def key_list(self) -> list[str]:
        return list(self.key)


class RowDiffCheck(CompareCheck):
    def __init__(self, spec: RowDiffSpec):
        super().__init__(
            spec,
            table=spec.table,
            source_table=spec.source_table,
            columns=[*spec.key_list, *(spec.columns or [])],
            label=f"row_diff({spec.table} by {', '.join(spec.key_list)})",
        )
        self.keys = spec.key_list

    # ------------------------------------------------------------ planning
    def _value_columns(self, ctx: RunContext) -> list[str]:
        if self.spec.columns:
            return [c for c in self.spec.columns if c not in self.keys]
        s_names = {c.name for c in ctx.columns("source", self.source_table)}
        return [
            c.name
            for c in ctx.columns("target", self.table)
            if c.name in s_names and c.name not in self.keys
        ]

    def _families(self, ctx: RunContext, cols: list[str]) -> dict[str, tuple[str, str, str]]:
        out = {}
        for c in cols:
            s = ctx.column("source", self.source_table, c).family
            t = ctx.column("target", self.table, c).family
            out[c] = (s, t, common_family(s, t))
        return out

    def _select(
        self, ctx: RunContext, side: str, cols: list[str], extra_where: str | None = None
    ) -> str:
        conn = ctx.conn(side)
        table = self.table if side == "target" else self.source_table
        sel = ", ".join(conn.dialect.quote(c) for c in cols)
        return f"SELECT {sel} FROM {conn.table_ref(table)}{self.where_sql(conn, extra_where)}"

    def sql_preview(self, ctx: RunContext) -> str:
        cols = [*self.keys, *self._value_columns(ctx)]
        return f"-- source\n{self._select(ctx, 'source', cols)};\n-- target\n{self._select(ctx, 'target', cols)}"

    # ------------------------------------------------------------ running
    def _plan(self, ctx: RunContext, c: str, fams: dict) -> ColumnPlan:
        scales = [
            ctx.column("source", self.source_table, c).scale,
            ctx.column("target", self.table, c).scale,
        ]
        scale = max((x for x in scales if x is not None), default=None)
        return ColumnPlan(c, fams[c][2], scale)

    def run(self, ctx: RunContext) -> Outcome:
        values = self._value_columns(ctx)
        cols = [*self.keys, *values]
        fams = self._families(ctx, cols)
        key_plans = [self._plan(ctx, c, fams) for c in self.keys]
        value_plans = [self._plan(ctx, c, fams) for c in values]
        counts = {}
        for side in ("source", "target"):
            table = self.table if side == "target" else self.source_table
            sql = f"SELECT count(*) FROM {ctx.conn(side).table_ref(table)}{self.where_sql(ctx.conn(side))}"
            counts[side] = as_int(ctx.query(side, sql)[1][0][0])
        biggest = max(counts.values())
        details: dict[str, Any] = {"key": self.keys, "columns": values}
        res = DiffResult()
        opts = dict(tolerance=self.spec.tolerance, sample_size=ctx.sample_size, out=res)
        if biggest <= self.spec.max_pull_rows:
            details["mode"] = "full"
            src, tgt, pulled = self._pull(ctx, cols, fams, None)
            diff_tables(src, tgt, key_plans, value_plans, **opts)
            sql = pulled
        else:
            n = max(1, min(4096, math.ceil(biggest / self.spec.segment_rows)))
            differing, seg_sql = self._segments(ctx, cols, fams, n)
            details.update(
                mode="segmented",
                segments=n,
                segments_differing=len(differing),
                segments_pulled=differing,
                segment_sql=seg_sql,
            )
            sql = _segmented_header(counts, self.spec.max_pull_rows, n, differing) + seg_sql
            for chunk in range(0, len(differing), PULL_SEGMENTS):
                src, tgt, pulled = self._pull(
                    ctx, cols, fams, differing[chunk : chunk + PULL_SEGMENTS], n
                )
                diff_tables(src, tgt, key_plans, value_plans, **opts)
                sql += "\n" + pulled
        failed = res.missing + res.extra + res.changed
        observed = {
            "source_rows": counts["source"],
            "target_rows": counts["target"],
            "missing_in_target": res.missing,
            "extra_in_target": res.extra,
            "changed": res.changed,
            "column_differences": {k: v for k, v in res.column_diffs.items() if v},
        }
        out = Outcome(
            total_rows=counts["source"],
            failed_rows=failed,
            pass_rate=ratio(failed, biggest),
            observed=observed,
            details=details,
            sql=sql,
        )
        if res.samples and ctx.sample_size > 0:
            out.sample = {
                "columns": ["diff", "key", "values"],
                "rows": res.samples[: ctx.sample_size],
            }
        return out

    def _pull(
        self, ctx: RunContext, cols: list[str], fams: dict, buckets: list[int] | None, n: int = 1
    ):
        """Both sides' rows (of the segments `buckets`, or all) and the SQL that read them."""
        tables, shown = {}, []
        for side in ("source", "target"):
            extra, label = None, side
            if buckets is not None:
                ids = ", ".join(str(b) for b in buckets)
                extra = f"{self._bucket_expr(ctx, side, fams, n)} IN ({ids})"
                label = f"{side}: rows of segments {ids}"
            sql = self._select(ctx, side, cols, extra)
            tables[side] = ctx.query_arrow(side, sql)
            shown.append(f"-- {label}\n{sql};")
        return tables["source"], tables["target"], "\n".join(shown)

    @staticmethod
    def _fam(fams: dict, side: str, c: str) -> str:
        """The family a side's canonical text uses: the common one, but a side's own timestamptz
        (converted to UTC in SQL)."""
        own = fams[c][0] if side == "source" else fams[c][1]
        return own if own == "timestamptz" else fams[c][2]

    def _bucket_expr(self, ctx: RunContext, side: str, fams: dict, n: int) -> str:
        d = ctx.conn(side).dialect
        key_text = row_checksum_text(d, [(d.quote(k), self._fam(fams, side, k)) for k in self.keys])
        return f"({hex_to_int(d, f'substr(md5({key_text}), 1, 8)')} % {n})"

    def _segments(
        self, ctx: RunContext, cols: list[str], fams: dict, n: int
    ) -> tuple[list[int], str]:
        figures: dict[str, dict[int, tuple[int, ...]]] = {}
        shown = ""
        for side in ("source", "target"):
            conn = ctx.conn(side)
            d = conn.dialect
            table = self.table if side == "target" else self.source_table
            md5 = f"md5({row_checksum_text(d, [(d.quote(c), self._fam(fams, side, c)) for c in cols])})"
            exprs = [
                f"{self._bucket_expr(ctx, side, fams, n)} AS b",
                "count(*)",
                f"sum({hex_to_int(d, f'substr({md5}, 1, 8)')})",
                f"sum({hex_to_int(d, f'substr({md5}, 9, 8)')})",
            ]
            sql = f"SELECT {', '.join(exprs)} FROM {conn.table_ref(table)}{self.where_sql(conn)} GROUP BY 1"
            shown += f"-- {side}: row count and checksums per segment\n{sql};\n"
            figures[side] = {
                int(r[0]): tuple(as_int(v) for v in r[1:]) for r in ctx.query(side, sql)[1]
            }
        differing = [b for b in range(n) if figures["source"].get(b) != figures["target"].get(b)]
        return differing, shown.strip()


def _segmented_header(counts: dict[str, int], max_pull: int, n: int, differing: list[int]) -> str:
    """The leading comment of a segmented row_diff's SQL: how segments were compared and which
    were pulled."""
    pulled = (
        f"{len(differing):,} of them differed ({', '.join(str(b) for b in differing)}): only their "
        "rows were read from both sides and diffed"
        if differing
        else "none differed: no row was read"
    )
    return (
        f"-- segmented row_diff: {counts['source']:,} source / {counts['target']:,} target rows "
        f"exceed max_pull_rows {max_pull:,}.\n"
        f"-- Rows were split into {n:,} segments by an md5 hash of the key; each side answered per "
        "segment a row count and two md5 checksums (the queries below).\n"
        f"-- {pulled}.\n"
    )


def plans(spec: RowDiffSpec) -> list[RowDiffCheck]:
    return [RowDiffCheck(spec)]
