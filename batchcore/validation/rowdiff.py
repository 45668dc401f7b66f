"""The row comparison behind `row_diff`: both sides' rows diffed by key inside DuckDB.

`diff_tables(src, tgt, plan, ...)` takes the rows of each side as Arrow tables (columns c0..cN:
the key columns first, then the compared ones), already normalised by each side's Dialect
(`Dialect.norm`: dates and times as canonical text, booleans as 0/1), loads them into a private
in-memory DuckDB, casts each column to its family's comparison type, and pairs rows by key:

- when the key is unique on both sides (one count of distinct keys per side tells), rows pair
  by a plain join on the key; otherwise identical rows (same key, same normalised values) pair
  first, with their multiplicity (source ('x', 6) once, target twice → one extra row in
  target), and the rest are numbered within their key after sorting by their values and pair
  by that number (so source (1, NULL), (1, 0) against target (1, NULL) is one missing row, not
  one changed and one missing);
- keys join as tuples with `=`: the caller never passes a row whose key has a NULL part (those
  are a finding of their own, never paired);
- a paired row is changed when any compared column differs: NULL equals NULL, NULL differs from
  '', numbers within `tolerance` are equal.

Nothing depends on the source databases' collations: the ordering is DuckDB's byte order on
already-fetched values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from batchcore.jsonutil import to_jsonable


@dataclass(frozen=True)
class ColumnPlan:
    """One compared column: its name and the family both sides are normalised to
    (`scale` = common decimal scale)."""

    name: str
    family: str
    scale: int | None = None


@dataclass
class DiffResult:
    """Counts in rows; `column_diffs` = changed values per compared column."""

    source_rows: int = 0
    target_rows: int = 0
    missing: int = 0
    extra: int = 0
    changed: int = 0
    column_diffs: dict[str, int] = field(default_factory=dict)
    samples: list[list[Any]] = field(default_factory=list)
    key_unique: bool | None = None  # every diffed batch paired by a plain join (no duplicate key)


def _norm(c: str, arrow_type: pa.DataType, plan: ColumnPlan) -> str:
    """SQL normalising column `c` of the given Arrow type to the plan's family."""
    fam = plan.family
    x = f"CAST({c} AS INTEGER)" if pa.types.is_boolean(arrow_type) else c
    if pa.types.is_null(arrow_type):
        x = "NULL"
    if fam in ("date", "timestamp", "timestamptz"):
        return f"CAST({x} AS VARCHAR)"  # canonical text from Dialect.ts_text
    if fam == "float":
        return f"(CAST({x} AS DOUBLE) + 0.0)"
    if fam == "decimal":
        if pa.types.is_floating(arrow_type):
            # through the double's shortest text: DuckDB's DOUBLE → DECIMAL cast is off in the
            # last digits (-98765432109876.5 → -98765432109876.494336)
            x = f"CAST({x} AS VARCHAR)"
        return (
            f"CAST({x} AS DECIMAL(38, {plan.scale or 0}))"
            if (plan.scale or 0) <= 18
            else f"CAST({x} AS DOUBLE)"
        )
    if fam in ("integer", "boolean"):
        return f"CAST({x} AS HUGEINT)"
    if fam == "binary":
        return x
    return f"CAST({x} AS VARCHAR)"


def _equal(a: str, b: str, plan: ColumnPlan, tolerance: float | None) -> str:
    """TRUE or FALSE (never NULL): equal, numbers within `tolerance`. NULL equals only NULL
    (a NULL beside a number is a difference, whatever the tolerance). Integers and decimals
    subtract exactly (as doubles, 2^53 and 2^53 + 1 would be 0 apart)."""
    if tolerance and plan.family in ("float", "decimal", "integer"):
        diff = (
            f"CAST({a} AS DOUBLE) - CAST({b} AS DOUBLE)" if plan.family == "float" else f"{a} - {b}"
        )
        # equal values first: inf − inf is NaN, never within a tolerance
        return (
            f"(({a} IS NOT DISTINCT FROM {b}) OR "
            f"({a} IS NOT NULL AND {b} IS NOT NULL AND abs({diff}) <= {float(tolerance)!r}))"
        )
    return f"({a} IS NOT DISTINCT FROM {b})"


def diff_tables(
    src: pa.Table,
    tgt: pa.Table,
    keys: list[ColumnPlan],
    values: list[ColumnPlan],
    *,
    tolerance: float | None = None,
    sample_size: int = 10,
    out: DiffResult | None = None,
) -> DiffResult:
    """Diff two sides' rows (see module doc); accumulates into `out` when given."""
    res = out or DiffResult()
    for v in values:
        res.column_diffs.setdefault(v.name, 0)
    res.source_rows += src.num_rows
    res.target_rows += tgt.num_rows
    if src.num_rows == 0 and tgt.num_rows == 0:
        return res
    plans = [*keys, *values]
    nk = len(keys)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        for name, tbl in (("s", src), ("t", tgt)):
            con.register(f"{name}_raw", tbl)
            sel = ", ".join(
                f"{_norm(f'c{i}', tbl.schema.field(i).type, p)} AS c{i}"
                for i, p in enumerate(plans)
            )
            con.execute(f"CREATE TEMP VIEW {name}_n AS SELECT {sel}, 1 AS _p FROM {name}_raw")
        part = ", ".join(f"c{i}" for i in range(nk))
        key = "c0" if nk == 1 else f"({part})"
        # a key unique on both sides pairs rows by a plain join; only duplicated keys need
        # numbering (an aggregate over the key alone costs far less than the sort by every value)
        unique = con.execute(
            f"SELECT (SELECT count(*) = count(DISTINCT {key}) FROM s_n) "
            f"AND (SELECT count(*) = count(DISTINCT {key}) FROM t_n)"
        ).fetchall()[0][0]
        res.key_unique = bool(unique) if res.key_unique is None else res.key_unique and unique
        if unique:
            con.execute("CREATE TEMP VIEW s AS SELECT * FROM s_n")
            con.execute("CREATE TEMP VIEW t AS SELECT * FROM t_n")
            on = " AND ".join(f"s.c{i} = t.c{i}" for i in range(nk))
        else:
            # identical rows pair first: _en numbers the copies of a row, and a row with an
            # identical copy of the same number on the other side leaves the diff
            allcols = ", ".join(f"c{i}" for i in range(len(plans)))
            for name in ("s", "t"):
                con.execute(
                    f"CREATE TEMP TABLE {name}0 AS SELECT *, row_number() OVER "
                    f"(PARTITION BY {allcols}) AS _en FROM {name}_n"
                )
            same_row = " AND ".join(
                [
                    *(f"a.c{i} IS NOT DISTINCT FROM b.c{i}" for i in range(len(plans))),
                    "a._en = b._en",
                ]
            )
            order = ", ".join(f"c{i} NULLS LAST" for i in range(nk, len(plans))) or "1"
            for name, other in (("s", "t0"), ("t", "s0")):
                # the rest are numbered within their key, sorted by their values
                con.execute(
                    f"CREATE TEMP TABLE {name} AS SELECT *, row_number() OVER (PARTITION BY {part} "
                    f"ORDER BY {order}) AS _rn FROM "
                    f"(SELECT a.* EXCLUDE (_en) FROM {name}0 a ANTI JOIN {other} b ON {same_row})"
                )
            on = " AND ".join([*(f"s.c{i} = t.c{i}" for i in range(nk)), "s._rn = t._rn"])
        eqs = [_equal(f"s.c{i}", f"t.c{i}", plans[i], tolerance) for i in range(nk, len(plans))]
        same = " AND ".join(eqs) if eqs else "TRUE"
        both = "s._p IS NOT NULL AND t._p IS NOT NULL"
        keycols = ", ".join(f"coalesce(s.c{i}, t.c{i}) AS k{i}" for i in range(nk))
        vals_s = ", ".join(f"s.c{i} AS s{i}" for i in range(nk, len(plans)))
        vals_t = ", ".join(f"t.c{i} AS t{i}" for i in range(nk, len(plans)))
        kind = (
            f"CASE WHEN t._p IS NULL THEN 'missing_in_target' WHEN s._p IS NULL THEN 'extra_in_target' "
            f"WHEN NOT ({same}) THEN 'changed' END"
        )
        diffs = ", ".join(f"NOT {e} AS d{j}" for j, e in enumerate(eqs))
        sel = ", ".join(x for x in (f"{kind} AS kind", keycols, vals_s, vals_t, diffs) if x)
        con.execute(
            f"CREATE TEMP TABLE d AS SELECT * FROM (SELECT {sel} FROM s FULL OUTER JOIN t ON {on}) "
            "WHERE kind IS NOT NULL"
        )
        counts = ", ".join(
            [
                "count(*) FILTER (WHERE kind = 'missing_in_target')",
                "count(*) FILTER (WHERE kind = 'extra_in_target')",
                "count(*) FILTER (WHERE kind = 'changed')",
                *(f"count(*) FILTER (WHERE kind = 'changed' AND d{j})" for j in range(len(eqs))),
            ]
        )
        row = con.execute(f"SELECT {counts} FROM d").fetchall()[0]
        res.missing += row[0]
        res.extra += row[1]
        res.changed += row[2]
        for j, v in enumerate(values):
            res.column_diffs[v.name] += row[3 + j]
        room = sample_size - len(res.samples)
        if room > 0 and (row[0] or row[1] or row[2]):
            res.samples += _samples(con, keys, values, room, both)
    finally:
        con.close()
    return res


def _samples(
    con, keys: list[ColumnPlan], values: list[ColumnPlan], limit: int, both: str
) -> list[list[Any]]:
    nk = len(keys)
    cols = ", ".join(
        [
            *(f"k{i}" for i in range(nk)),
            *(f"s{i}" for i in range(nk, nk + len(values))),
            *(f"t{i}" for i in range(nk, nk + len(values))),
            *(f"d{j}" for j in range(len(values))),
        ]
    )
    rows = con.execute(
        f"SELECT kind, {cols} FROM d ORDER BY kind, {', '.join(f'k{i}' for i in range(nk))} "
        f"LIMIT {int(limit)}"
    ).fetchall()
    out = []
    nv = len(values)
    for r in rows:
        kind, key = r[0], list(r[1 : 1 + nk])
        s_vals, t_vals = r[1 + nk : 1 + nk + nv], r[1 + nk + nv : 1 + nk + 2 * nv]
        flags = r[1 + nk + 2 * nv :]
        if kind == "changed":
            detail = {
                v.name: {"source": s_vals[j], "target": t_vals[j]}
                for j, v in enumerate(values)
                if flags[j]
            }
        elif kind == "missing_in_target":
            detail = {v.name: s_vals[j] for j, v in enumerate(values)}
        else:
            detail = {v.name: t_vals[j] for j, v in enumerate(values)}
        out.append(to_jsonable([kind, key, detail]))
    return out
