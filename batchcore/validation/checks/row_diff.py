"""`row_diff`: row-by-row comparison of source and target by key columns.

YAML:
```yaml
- type: row_diff
  table: airlines
  key: [carrier]            # one column or a list (compared as a tuple)
  columns: [name]           # optional: default every non-key column present on both sides
  tolerance: 0.001          # optional: absolute, for numbers
  source_table: carriers    # optional
  null_keys: fail           # optional: fail (default) or ignore rows whose key has a NULL part
  max_pull_rows: 1000000    # optional: above this, compare segment checksums first
  segment_rows: 1000        # optional: rows per segment (at most 4,096 segments)
```
`failed_rows` = missing in target + extra in target + changed (+ rows whose key has a NULL
part, on either side, unless `null_keys: ignore`); `total_rows` = source rows (after `where`,
applied to both sides); `observed` has each count, the differences per column and
`null_key_rows` per side; the sample lists differing rows, then NULL-key rows. Duplicated rows
count with their multiplicity. A row whose key has a NULL part is never paired with another row
(NULL is not a key value): it is counted and sampled as its own finding, in both modes.
Passes when pass_rate ≥ threshold (default 1.0: any difference fails). Empty on both sides:
pass rate 1.0.

Both sides' values are normalised in their own database by the Dialect (`Dialect.norm`: dates
and times as canonical UTC / as-written text, booleans as 0/1). Tables up to `max_pull_rows`
rows are read whole (normalised) and diffed in memory — unless, from 100,000 rows, comparing
checksums is estimated cheaper from the dialects' measured costs (`Dialect.pull_us_per_value`,
`checksum_us_per_value`: e.g. MySQL rows cross PyMySQL as Python tuples) and no decimal column
of more than 18 decimals is compared without a tolerance of at least 10^-18
(`details.chosen_by: cost`). Larger ones are split into hash buckets
of the key (`segment_rows` rows each, default 1,000, at most 4,096 buckets: small buckets make a
few scattered changes pull few rows, and the checksum query costs the same for 10 or 4,096
groups); both databases answer per bucket its row count and two 32-bit sums from ONE md5 of
each row's canonical text of the SAME normalised values (`Dialect.row_checksum_text`), and only
buckets whose figures differ are read and diffed exactly. The two sides' queries run at the same
time when source and target are different connections. Floats enter the checksum exactly
(`Dialect.float_text`: NaN, ±inf, or the double as an exponent and an integer); decimals
exactly, as fixed-point text with the column pair's common scale (`_checksum_scale`: at least
6, at most 18 decimals; `Dialect.decimal_text`), so a decimal column of more than 18 decimals
is the one limit of that mode: a change below 10^-18 there is not seen, and
`details.not_compared` says so. The result's `sql` is what ran: in that mode a leading comment (segments, which
differed), the per-segment checksum query of each side, then the pull queries of the differing
segments.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, field_validator

from batchcore.dialects.base import MAX_CHECKSUM_SCALE, SCALE_DIGITS
from batchcore.jsonutil import to_jsonable
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

PULL_SEGMENTS = 200  # differing segments read per query
COST_MIN_ROWS = 100_000  # below this, rows are always read whole (cheap either way, and exact)


class RowDiffSpec(TableCheckSpec):
    """Keys: table, key, columns, tolerance, source_table, null_keys, max_pull_rows,
    segment_rows."""

    key: ColumnName | Annotated[list[ColumnName], Field(min_length=1)]
    columns: Annotated[list[ColumnName], Field(min_length=1)] | None = None
    source_table: Annotated[StrictStr, Field(min_length=1, max_length=256)] | None = None
    tolerance: Annotated[float, Field(ge=0)] | None = None
    max_pull_rows: Annotated[int, Field(ge=0)] = 1_000_000
    segment_rows: Annotated[int, Field(ge=100)] = 1_000
    null_keys: Literal["fail", "ignore"] = "fail"

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

    def _table(self, side: str) -> str:
        return self.table if side == "target" else self.source_table

    def _normed(self, ctx: RunContext, side: str, cols: list[str], fams: dict) -> list[str]:
        """Each column's normalised expression on `side` (Dialect.norm, own → common family)."""
        d = ctx.conn(side).dialect
        own = 0 if side == "source" else 1
        return [d.norm(d.quote(c), fams[c][own], fams[c][2]) for c in cols]

    def _key_null(self, ctx: RunContext, side: str) -> str:
        q = ctx.conn(side).dialect.quote
        return " OR ".join(f"{q(k)} IS NULL" for k in self.keys)

    def _key_complete(self, ctx: RunContext, side: str) -> str:
        q = ctx.conn(side).dialect.quote
        return " AND ".join(f"{q(k)} IS NOT NULL" for k in self.keys)

    def _select(
        self, ctx: RunContext, side: str, cols: list[str], fams: dict, extra: str | None = None
    ) -> str:
        """The normalised columns of the rows whose key is complete (and `extra` holds)."""
        conn = ctx.conn(side)
        sel = ", ".join(
            f"{e} AS {conn.dialect.quote(c)}"
            for e, c in zip(self._normed(ctx, side, cols, fams), cols, strict=True)
        )
        cond = self._key_complete(ctx, side) + (f" AND {extra}" if extra else "")
        return f"SELECT {sel} FROM {conn.table_ref(self._table(side))}{self.where_sql(conn, cond)}"

    def sql_preview(self, ctx: RunContext) -> str:
        cols = [*self.keys, *self._value_columns(ctx)]
        fams = self._families(ctx, cols)
        return (
            f"-- source\n{self._select(ctx, 'source', cols, fams)};\n"
            f"-- target\n{self._select(ctx, 'target', cols, fams)}"
        )

    # ------------------------------------------------------------ running
    def _plan(self, ctx: RunContext, c: str, fams: dict) -> ColumnPlan:
        scales = [
            ctx.column("source", self.source_table, c).scale,
            ctx.column("target", self.table, c).scale,
        ]
        scale = max((x for x in scales if x is not None), default=None)
        if "string" in fams[c][:2] and fams[c][2] == "decimal":
            scale = max(scale or 0, 6)  # text read as DECIMAL(38,6) (Dialect.text_to_number)
        return ColumnPlan(c, fams[c][2], scale)

    def _checksum_scale(self, ctx: RunContext, c: str, fams: dict) -> int | None:
        """The decimals column `c` enters segment checksums with (Dialect.canonical_text):
        its pair's common scale (`_plan`), at least SCALE_DIGITS and at most
        MAX_CHECKSUM_SCALE; None for a column that is not a decimal."""
        plan = self._plan(ctx, c, fams)
        if plan.family != "decimal":
            return None
        return min(max(plan.scale or 0, SCALE_DIGITS), MAX_CHECKSUM_SCALE)

    def run(self, ctx: RunContext) -> Outcome:
        values = self._value_columns(ctx)
        cols = [*self.keys, *values]
        fams = self.stored_families(ctx, self._families(ctx, cols))
        self.refuse_text_that_is_not_a_number(ctx, fams)
        key_plans = [self._plan(ctx, c, fams) for c in self.keys]
        value_plans = [self._plan(ctx, c, fams) for c in values]
        counts, null_keys = {}, {}
        answers = _both_sides(ctx, lambda side: ctx.query(side, self.count_sql(ctx, side)))
        for side in ("source", "target"):
            row = answers[side][1][0]
            counts[side], null_keys[side] = as_int(row[0]), as_int(row[1])
        biggest = max(counts.values())
        details: dict[str, Any] = {"key": self.keys, "columns": values}
        res = DiffResult()
        opts = dict(tolerance=self.spec.tolerance, sample_size=ctx.sample_size, out=res)
        # decimals enter segment checksums exactly at their common scale, up to
        # MAX_CHECKSUM_SCALE decimals: a column of more is rounded there
        rounded = [
            p.name
            for p in (*key_plans, *value_plans)
            if p.family == "decimal" and (p.scale or 0) > MAX_CHECKSUM_SCALE
        ]
        if (self.spec.tolerance or 0) >= 10**-MAX_CHECKSUM_SCALE:
            rounded = []
        by_cost = (
            biggest <= self.spec.max_pull_rows
            and not rounded
            and self._checksums_cheaper(ctx, counts, cols, fams)
        )
        if biggest <= self.spec.max_pull_rows and not by_cost:
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
                **(
                    {
                        "not_compared": f"differences below 10^-{MAX_CHECKSUM_SCALE} in "
                        f"{', '.join(rounded)} (decimals with more than {MAX_CHECKSUM_SCALE} "
                        f"decimals enter segment checksums rounded to 10^-{MAX_CHECKSUM_SCALE}"
                        "): raise max_pull_rows for an exact comparison"
                    }
                    if rounded
                    else {}
                ),
                segment_sql=seg_sql,
            )
            details["chosen_by"] = "cost" if by_cost else "max_pull_rows"
            sql = (
                _segmented_header(counts, self.spec.max_pull_rows, n, differing, by_cost)
                + (f"-- NOT COMPARED: {details['not_compared']}.\n" if rounded else "")
                + seg_sql
            )
            for chunk in range(0, len(differing), PULL_SEGMENTS):
                src, tgt, pulled = self._pull(
                    ctx, cols, fams, differing[chunk : chunk + PULL_SEGMENTS], n
                )
                diff_tables(src, tgt, key_plans, value_plans, **opts)
                sql += "\n" + pulled
        null_failed = 0 if self.spec.null_keys == "ignore" else sum(null_keys.values())
        failed = res.missing + res.extra + res.changed + null_failed
        observed = {
            "source_rows": counts["source"],
            "target_rows": counts["target"],
            "missing_in_target": res.missing,
            "extra_in_target": res.extra,
            "changed": res.changed,
            "column_differences": {k: v for k, v in res.column_diffs.items() if v},
            "null_key_rows": null_keys,
        }
        details["null_keys"] = self.spec.null_keys
        samples = list(res.samples)
        if any(null_keys.values()) and ctx.sample_size > len(samples):
            samples += self._null_key_samples(ctx, cols, fams, null_keys, values)
        out = Outcome(
            total_rows=counts["source"],
            failed_rows=failed,
            pass_rate=ratio(failed, biggest),
            observed=observed,
            details=details,
            sql=sql,
        )
        if samples and ctx.sample_size > 0:
            out.sample = {"columns": ["diff", "key", "values"], "rows": samples[: ctx.sample_size]}
        return out

    def _checksums_cheaper(
        self, ctx: RunContext, counts: dict[str, int], cols: list[str], fams: dict
    ) -> bool:
        """True when comparing segment checksums is estimated cheaper than reading every row,
        for a table within max_pull_rows: from each dialect's measured costs per value
        (`pull_us_per_value`, `checksum_us_per_value`; the two sides run at once, so the slower
        side counts). Never below COST_MIN_ROWS rows (the caller also never picks checksums
        for a decimal column of more than MAX_CHECKSUM_SCALE decimals without a tolerance of
        10^-MAX_CHECKSUM_SCALE)."""
        if max(counts.values()) < COST_MIN_ROWS:
            return False
        values = {side: counts[side] * len(cols) for side in counts}
        dialect = {side: ctx.conn(side).dialect for side in counts}
        full = max(values[s] * dialect[s].pull_us_per_value for s in counts)
        checksums = max(values[s] * dialect[s].checksum_us_per_value for s in counts)
        return checksums < full

    def _null_key_samples(
        self, ctx: RunContext, cols: list[str], fams: dict, null_keys: dict, values: list[str]
    ) -> list[list[Any]]:
        """Sample rows whose key has a NULL part: ["null_key_in_<side>", key, {column: value}]."""
        out: list[list[Any]] = []
        nk = len(self.keys)
        for side in ("source", "target"):
            if not null_keys[side]:
                continue
            sql = self.null_key_sample_sql(ctx, side, cols, fams, ctx.sample_size)
            for r in ctx.query(side, sql)[1]:
                detail = {v: r[nk + j] for j, v in enumerate(values)}
                out.append(to_jsonable([f"null_key_in_{side}", list(r[:nk]), detail]))
        return out

    def count_sql(self, ctx: RunContext, side: str) -> str:
        """Rows of `side` (after `where`) and those whose key has a NULL part."""
        conn = ctx.conn(side)
        nulls = f"count(*) - {conn.dialect.count_if(self._key_complete(ctx, side))}"
        return f"SELECT count(*), {nulls} FROM {conn.table_ref(self._table(side))}{self.where_sql(conn)}"

    def null_key_sample_sql(
        self, ctx: RunContext, side: str, cols: list[str], fams: dict, limit: int
    ) -> str:
        """Up to `limit` normalised rows of `side` whose key has a NULL part."""
        conn = ctx.conn(side)
        sel = ", ".join(self._normed(ctx, side, cols, fams))
        return conn.dialect.limit(
            f"SELECT {sel} FROM {conn.table_ref(self._table(side))}"
            f"{self.where_sql(conn, self._key_null(ctx, side))}",
            limit,
        )

    def segment_sql(self, ctx: RunContext, side: str, cols: list[str], fams: dict, n: int) -> str:
        """Per segment (hash bucket of the key, 0..n-1) of `side`: row count and two 32-bit
        md5 sums of the rows' checksum text (rows with a complete key only)."""
        conn = ctx.conn(side)
        d = conn.dialect
        # innermost: each column's canonical text once, as t0..tN (no value computed twice for
        # its frame's length); then ONE md5 of the row's framed text and the bucket from the
        # key's texts (the same text _bucket_expr builds); then the sums of two 32-bit parts
        normed = self._normed(ctx, side, cols, fams)
        canon = ", ".join(
            f"{d.canonical_text(e, fams[c][2], self._checksum_scale(ctx, c, fams))} AS t{i}"
            for i, (e, c) in enumerate(zip(normed, cols, strict=True))
        )
        inner = (
            f"SELECT {canon} FROM {conn.table_ref(self._table(side))}"
            f"{self.where_sql(conn, self._key_complete(ctx, side))}"
        )
        texts = [f"t{i}" for i in range(len(cols))]
        nk = len(self.keys)
        key_hash = d.hex_to_int(d.substr(d.md5(d.framed_concat(texts[:nk])), 1, 8))
        middle = (
            f"SELECT ({key_hash} % {n}) AS b, {d.md5(d.framed_concat(texts))} AS m FROM ({inner}) x"
        )
        exprs = [
            "b",
            "count(*)",
            f"sum({d.hex_to_int(d.substr('m', 1, 8))})",
            f"sum({d.hex_to_int(d.substr('m', 9, 8))})",
        ]
        return f"SELECT {', '.join(exprs)} FROM ({middle}) y GROUP BY {d.group_by_position(1, 'b')}"

    def _pull(
        self, ctx: RunContext, cols: list[str], fams: dict, buckets: list[int] | None, n: int = 1
    ):
        """Both sides' normalised rows (of the segments `buckets`, or all) and the SQL that
        read them."""
        sqls, shown = {}, []
        for side in ("source", "target"):
            extra, label = None, side
            if buckets is not None:
                ids = ", ".join(str(b) for b in buckets)
                extra = f"{self._bucket_expr(ctx, side, fams, n)} IN ({ids})"
                label = f"{side}: rows of segments {ids}"
            sqls[side] = self._select(ctx, side, cols, fams, extra)
            shown.append(f"-- {label}\n{sqls[side]};")
        tables = _both_sides(ctx, lambda side: ctx.query_arrow(side, sqls[side]))
        return tables["source"], tables["target"], "\n".join(shown)

    def _row_text(self, ctx: RunContext, side: str, cols: list[str], fams: dict) -> str:
        """The columns' checksum text (Dialect.row_checksum_text of the normalised values)."""
        d = ctx.conn(side).dialect
        normed = self._normed(ctx, side, cols, fams)
        return d.row_checksum_text(
            [
                (e, fams[c][2], self._checksum_scale(ctx, c, fams))
                for e, c in zip(normed, cols, strict=True)
            ]
        )

    def _hash32(self, ctx: RunContext, side: str, cols: list[str], fams: dict, part: int) -> str:
        """32 bits (hex digits 8·part+1 .. 8·part+8) of the md5 of the columns' checksum text."""
        d = ctx.conn(side).dialect
        return d.hex_to_int(d.substr(d.md5(self._row_text(ctx, side, cols, fams)), 8 * part + 1, 8))

    def _bucket_expr(self, ctx: RunContext, side: str, fams: dict, n: int) -> str:
        return f"({self._hash32(ctx, side, self.keys, fams, 0)} % {n})"

    def _segments(
        self, ctx: RunContext, cols: list[str], fams: dict, n: int
    ) -> tuple[list[int], str]:
        figures: dict[str, dict[int, tuple[int, ...]]] = {}
        shown = ""
        sqls = {side: self.segment_sql(ctx, side, cols, fams, n) for side in ("source", "target")}
        answers = _both_sides(ctx, lambda side: ctx.query(side, sqls[side]))
        for side in ("source", "target"):
            shown += f"-- {side}: row count and checksums per segment\n{sqls[side]};\n"
            figures[side] = {int(r[0]): tuple(as_int(v) for v in r[1:]) for r in answers[side][1]}
        differing = [b for b in range(n) if figures["source"].get(b) != figures["target"].get(b)]
        return differing, shown.strip()


def _both_sides(ctx: RunContext, fn: Callable[[str], Any]) -> dict[str, Any]:
    """{side: fn(side)} for "source" and "target": both at once on two threads when they are
    different connections (two databases work in parallel; the drivers release the GIL while
    the server works), one after the other when they are the same connection. An error of
    either side is raised once both have finished."""
    if ctx.conn("source") is ctx.conn("target"):
        return {side: fn(side) for side in ("source", "target")}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="row_diff-source") as pool:
        source = pool.submit(fn, "source")
        try:
            target = fn("target")
        finally:
            wait([source])
        return {"source": source.result(), "target": target}


def _segmented_header(
    counts: dict[str, int], max_pull: int, n: int, differing: list[int], by_cost: bool = False
) -> str:
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
        + (
            "(checksums estimated cheaper than reading every row).\n"
            if by_cost
            else f"exceed max_pull_rows {max_pull:,}.\n"
        )
        + f"-- Rows were split into {n:,} segments by an md5 hash of the key; each side answered per "
        "segment a row count and two md5 checksums (the queries below).\n"
        f"-- {pulled}.\n"
    )


def plans(spec: RowDiffSpec) -> list[RowDiffCheck]:
    return [RowDiffCheck(spec)]
