"""Splitting one check of a pipeline into partitions (`partition_by`), so a huge table is
checked as N independent operations (run in parallel, on a cluster with the Dask backend).

YAML, on any table check:
```yaml
- type: row_diff
  table: flights
  key: id
  partition_by: {column: id, ranges: 8}          # 8 ranges between the column's min and max
  # or: partition_by: {column: carrier, values: [AA, UA, DL]}
  # or: partition_by: {column: day, ranges: [["2024-01-01", "2024-02-01"], ["2024-02-01", "2024-03-01"]]}
```

Semantics (what a partition is, so that N partitions check exactly what one run checks):
- Partitions are predicates on `column`, ANDed to the check's `where` on the target and, for
  comparisons, on the source; together they cover every row exactly once, whatever the data:
  `ranges: N` — boundaries b1..b(N-1) spread evenly between the smallest and largest value of
  the column (over the target and the source, computed by every partition's operation in the
  same way); partition 0 is `column < b1 OR column IS NULL`, partition k `b(k) <= column <
  b(k+1)`, the last `column >= b(N-1)`. `values` / explicit `ranges` — one partition per value
  (`column = v`) or half-open range (`lo <= column < hi`), plus a last partition for every other
  row (other values, outside every range, and NULL), so no row is left unchecked.
- A row_diff pairs rows by key inside a partition: partition by the key (or by a column that
  is equal on both sides for a key, e.g. a date the key includes). A key whose partition
  column differs between source and target lands in two partitions: it is reported as missing
  in one and extra in the other (two failed rows where an unpartitioned run reports one
  changed row). `unique` / `relationships` see one partition at a time: a duplicate key spanning
  two partitions is not found. Row counts, not_null, accepted_values, between, regex and
  row_diff by key are exact.
- Each partition is an operation of its own (`pipeline_<i>_<pipeline>_c<check>_p<k>`): it runs,
  fails, is retried and cancelled like any operation; Job Details rolls them up per check (total
  failed rows, worst partition, one row per partition).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

Scalar = StrictStr | int | float | bool
COMPARISON_TYPES = frozenset({"row_diff", "row_count_match", "column_aggregates_match"})


class PartitionBy(BaseModel):
    """`column` and exactly one of `ranges` (a count 2..256, or a list of [lo, hi) pairs) or
    `values` (a list of values)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    ranges: (
        Annotated[int, Field(ge=2, le=256)]
        | Annotated[list[tuple[Scalar, Scalar]], Field(min_length=1, max_length=256)]
        | None
    ) = None
    values: Annotated[list[Scalar], Field(min_length=1, max_length=256)] | None = None

    @model_validator(mode="after")
    def _one_of(self):
        if (self.ranges is None) == (self.values is None):
            raise ValueError("give exactly one of 'ranges' or 'values'")
        given = list(self.values or [])
        if isinstance(self.ranges, list):
            given += [v for pair in self.ranges for v in pair]
        bad = [v for v in given if isinstance(v, float) and not math.isfinite(v)]
        if bad:
            raise ValueError(f"values and ranges must be finite numbers, got {bad[0]!r}")
        return self

    @property
    def count(self) -> int:
        """How many partitions (operations) this makes."""
        if isinstance(self.ranges, int):
            return self.ranges
        return len(self.ranges or self.values or []) + 1  # + the rest

    def needs_bounds(self) -> bool:
        """True for `ranges: N` (its boundaries come from the data's min and max)."""
        return isinstance(self.ranges, int)

    def predicate(self, k: int, dialect, bounds: tuple[Any, Any] | None = None) -> str:
        """The SQL predicate of partition `k` (0-based) for `dialect`; `bounds` = (min, max) of
        the column for `ranges: N` (None/None for an empty table: partition 0 takes all)."""
        col = dialect.quote(self.column)
        n = self.count
        if not 0 <= k < n:
            raise ValueError(f"partition {k} of {n}")
        if self.values is not None or isinstance(self.ranges, list):
            parts = (
                [f"{col} = {_lit(dialect, v)}" for v in self.values]
                if self.values is not None
                else [
                    f"({col} >= {_lit(dialect, lo)} AND {col} < {_lit(dialect, hi)})"
                    for lo, hi in self.ranges
                ]
            )
            if k < len(parts):
                return parts[k]
            return f"NOT ({' OR '.join(parts)}) OR {col} IS NULL"
        cuts = boundaries(bounds, n)
        if not cuts:  # empty (or one-valued) column: everything in partition 0
            return "1 = 1" if k == 0 else "1 = 0"
        if k == 0:
            return f"({col} < {_lit(dialect, cuts[0])} OR {col} IS NULL)"
        if k == n - 1:
            return f"{col} >= {_lit(dialect, cuts[-1])}"
        if k >= len(cuts):  # fewer cuts than partitions (a narrow int range): empty middle
            return "1 = 0"
        return f"({col} >= {_lit(dialect, cuts[k - 1])} AND {col} < {_lit(dialect, cuts[k])})"


def boundaries(bounds: tuple[Any, Any] | None, n: int) -> list[Any]:
    """The n-1 cut points spreading [lo, hi] evenly (ints stay ints, dates stay dates), strictly
    increasing; [] when there is nothing to split (no rows, or lo == hi)."""
    if bounds is None or bounds[0] is None or bounds[1] is None or bounds[0] == bounds[1]:
        return []
    lo, hi = _comparable(bounds[0]), _comparable(bounds[1])
    if isinstance(lo, bool):
        return []
    if isinstance(lo, int) and isinstance(hi, int):
        step = max(1, math.ceil((hi - lo + 1) / n))
        cuts = [lo + i * step for i in range(1, n)]
    elif isinstance(lo, (float, Decimal)) or isinstance(hi, (float, Decimal)):
        lo, hi = float(lo), float(hi)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(
                f"partition_by ranges: N needs finite bounds, got min {lo!r} and max {hi!r}"
            )
        if lo > hi:
            lo, hi = hi, lo
        # lo*(1-f) + hi*f never overflows (hi - lo may: -1.7e308 .. 1.7e308)
        cuts = [min(hi, lo * (1 - i / n) + hi * (i / n)) for i in range(1, n)]
        cuts = [c for c in cuts if c > lo]
    elif isinstance(lo, (dt.datetime, dt.date)):
        cuts = [lo + (hi - lo) * i / n for i in range(1, n)]
        if not isinstance(lo, dt.datetime):
            cuts = [c if isinstance(c, dt.date) else lo for c in cuts]
    else:
        raise ValueError(
            f"partition_by ranges: N needs a number or date column, got {type(lo).__name__}; "
            "use values or explicit ranges"
        )
    out: list[Any] = []
    for c in cuts:  # strictly increasing (an int range narrower than n gives fewer cuts)
        if not out or c > out[-1]:
            out.append(c)
    return out


def _comparable(value: Any) -> Any:
    """A column value as a comparable Python value: ISO date/timestamp text (SQLite stores
    dates as TEXT) becomes a date/datetime, so it compares with the other side's DATE."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _merge_bounds(lows: list[Any], highs: list[Any]) -> tuple[Any, Any]:
    """(min of lows, max of highs) over the sides, after making them comparable (ISO text ->
    date/datetime; dates next to datetimes -> datetimes). Raises ValueError naming the types
    when the sides cannot be compared (e.g. text on one side, numbers on the other)."""
    vals = [_comparable(v) for v in lows + highs]
    if any(isinstance(v, dt.datetime) for v in vals):
        vals = [
            dt.datetime.combine(v, dt.time())
            if isinstance(v, dt.date) and not isinstance(v, dt.datetime)
            else v
            for v in vals
        ]
    lows, highs = vals[: len(lows)], vals[len(lows) :]
    try:
        return min(lows), max(highs)
    except TypeError:
        types = sorted({type(v).__name__ for v in vals})
        raise ValueError(
            f"partition_by ranges: N: the column's values cannot be compared across source and "
            f"target ({', '.join(types)}); use values or explicit ranges"
        ) from None


def _is_nonfinite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _lit(dialect, value: Any) -> str:
    if _is_nonfinite(value) or (isinstance(value, Decimal) and not value.is_finite()):
        raise ValueError(f"partition_by: {value!r} is not a finite number")
    if isinstance(value, dt.datetime):
        return dialect.literal(value.isoformat(sep=" "))
    if isinstance(value, dt.date):
        return dialect.literal(value.isoformat())
    if isinstance(value, Decimal):
        return str(value)
    return dialect.literal(value)


def partitioned_checks(pipeline) -> list[int]:
    """Indexes of the pipeline's checks that declare `partition_by`."""
    return [i for i, c in enumerate(pipeline.checks) if getattr(c, "partition_by", None)]


def without_partitioned(pipeline):
    """The pipeline with its partitioned checks removed (they run as partition operations)."""
    keep = [i for i, c in enumerate(pipeline.checks) if not getattr(c, "partition_by", None)]
    lines = pipeline.check_lines
    return pipeline.model_copy(
        update={
            "checks": tuple(pipeline.checks[i] for i in keep),
            "check_lines": tuple(lines[i] for i in keep)
            if len(lines) == len(pipeline.checks)
            else (),
        }
    )


_MAX_FLOAT = 1.7976931348623157e308


def column_bounds(pipeline, check, workspace) -> tuple[Any, Any]:
    """(min, max) of the partition column over the check's target table and, for comparisons,
    its source table (each side's own `where` applied), as Python values."""
    from batchcore.connections import open_connection
    from batchcore.validation.sqlguard import safe_where

    part = check.partition_by
    sides = [(pipeline.target, check.table)]
    if check.type in COMPARISON_TYPES and pipeline.source:
        sides.append((pipeline.source, getattr(check, "source_table", None) or check.table))
    lows, highs = [], []
    for conn_name, table in sides:
        with open_connection(workspace.connection(conn_name), read_only=True) as conn:
            col = conn.dialect.quote(part.column)
            conds = [f"({safe_where(check.where, conn.dialect.name)})"] if check.where else []

            def _minmax(extra: list[str], conn=conn, col=col, conds=conds, table=table):
                w = " AND ".join(conds + extra)
                _cols, rows = conn.query(
                    f"SELECT min({col}), max({col}) FROM {conn.table_ref(table)}"
                    + (f" WHERE {w}" if w else "")
                )
                return rows[0][0], rows[0][1]

            lo, hi = _minmax([])
            if _is_nonfinite(lo) or _is_nonfinite(hi):
                # NaN / +-inf: bounds from the finite values only (NaN sorts above +inf where
                # it is stored; SQLite stores NaN as NULL); such rows still land in the first
                # (-inf) or last (+inf, NaN) partition, whose predicates are open-ended
                big = conn.dialect.literal(_MAX_FLOAT)
                lo, hi = _minmax([f"{col} >= -{big}", f"{col} <= {big}"])
        if lo is not None:
            lows.append(lo)
            highs.append(hi)
    return _merge_bounds(lows, highs) if lows else (None, None)


def partition_pipeline(pipeline, check_index: int, k: int, workspace) -> tuple[Any, str]:
    """The pipeline reduced to check `check_index` restricted to partition `k`, and the
    partition's predicate (as shown in Job Details, in the target's dialect). Raises ConfigError
    naming the check and column when `ranges: N` cannot split the column's values."""
    from batchcore.connections import open_connection
    from batchcore.errors import ConfigError

    check = pipeline.checks[check_index]
    part = check.partition_by
    try:
        bounds = column_bounds(pipeline, check, workspace) if part.needs_bounds() else None
        with open_connection(workspace.connection(pipeline.target), read_only=True) as conn:
            pred = part.predicate(k, conn.dialect, bounds)
    except ValueError as exc:  # bounds that cannot be split: a config error, not a traceback
        name = getattr(check, "name", None) or check.type
        raise ConfigError(f"check {name!r}, partition_by column {part.column!r}: {exc}") from None
    where = f"({check.where}) AND ({pred})" if check.where else pred
    narrowed = check.model_copy(update={"where": where, "partition_by": None})
    lines = pipeline.check_lines
    return (
        pipeline.model_copy(
            update={
                "checks": (narrowed,),
                "check_lines": (lines[check_index],) if len(lines) > check_index else (),
            }
        ),
        pred,
    )
