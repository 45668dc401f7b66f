"""Run the product's comparisons on one generated pair of tables and compare every answer with
the oracle (tests/differential/oracle.py). `Databases` keeps one loader and one read-only
connection per database for the whole session; `check_pair` answers the disagreements.

The comparisons run through the product's own code path: each check's spec model (as a
pipeline file is read), its `plans()`, and `Check.run(RunContext)` on connections opened by
`open_connection(..., read_only=True)`, exactly what `run_pipeline` calls.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from batchcore.connections import DbConnection, open_connection
from batchcore.validation.checks import plans_for
from batchcore.validation.checks.base import RunContext
from batchcore.validation.checks.column_aggregates_match import ColumnAggregatesMatchSpec
from batchcore.validation.checks.row_count_match import RowCountMatchSpec
from batchcore.validation.checks.row_diff import RowDiffSpec
from batchcore.validation.checks.schema_match import SchemaMatchSpec
from batchcore.validation.compare import normalize
from batchcore.workspace import ConnectionSpec
from tests.differential import oracle
from tests.differential.strategies import Example
from tests.differential.tables import create_and_fill, drop, family


@dataclass
class Db:
    name: str
    loader: DbConnection
    reader: DbConnection


class Databases:
    """One loader and one read-only connection per database; table names `harness_<random>_…`."""

    def __init__(self, specs: dict[str, ConnectionSpec]):
        self.prefix = f"harness_{secrets.token_hex(3)}"
        self.dbs: dict[str, Db] = {}
        for name, spec in specs.items():
            loader = open_connection(spec)
            reader = open_connection(spec, read_only=True)
            self.dbs[name] = Db(name, loader, reader)
        self.created: set[tuple[str, str]] = set()
        self.count = 0

    def table(self, role: str) -> str:
        """A new table name per load: PostgreSQL's prepared plans of a same-named table of
        other column types would fail ("cached plan must not change result type")."""
        self.count += 1
        return f"{self.prefix}_{self.count}_{role}"

    def load(self, db: str, role: str, columns: list[tuple[str, str]], rows: list[tuple]) -> str:
        name = self.table(role)
        create_and_fill(self.dbs[db].loader, name, columns, rows)
        self.created.add((db, name))
        return name

    def drop_all(self) -> None:
        """Drop every table loaded so far."""
        for db, name in sorted(self.created):
            try:
                drop(self.dbs[db].loader, name)
            except Exception:
                pass
        self.created.clear()

    def fetch(self, db: str, table: str, cols: list[str]) -> list[tuple]:
        """The rows as the driver reads them (no product normalisation)."""
        conn = self.dbs[db].loader
        q = conn.dialect.quote
        return list(
            conn.query(f"SELECT {', '.join(q(c) for c in cols)} FROM {conn.table_ref(table)}")[1]
        )

    def close(self) -> None:
        self.drop_all()
        for d in self.dbs.values():
            d.reader.close()
            d.loader.close()


def _run(spec_model, fields: dict[str, Any], ctx: RunContext, **forced):
    spec = spec_model.model_validate(fields)
    if forced:  # e.g. segment_rows below the YAML minimum, to force many segments on tiny tables
        spec = spec.model_copy(update=forced)
    (check,) = plans_for(spec)
    return check.run(ctx)


def run_check(dbs: Databases, ex: Example, src: str, tgt: str, fields: dict, **forced):
    """Load `ex` into `src` / `tgt` and run ONE comparison check given by its YAML `fields`
    (plus `forced` spec values); answers its Outcome. The tables are dropped afterwards."""
    from batchcore.validation.checks import CHECK_TYPES

    s_table = dbs.load(src, "s", [(c[0], c[2]) for c in ex.columns], ex.source)
    t_table = dbs.load(tgt, "t", [(c[0], c[3]) for c in ex.columns], ex.target)
    try:
        ctx = RunContext(dbs.dbs[tgt].reader, dbs.dbs[src].reader, sample_size=10)
        model = CHECK_TYPES[fields["type"]][0]
        return _run(model, {"table": t_table, "source_table": s_table, **fields}, ctx, **forced)
    finally:
        dbs.drop_all()


def check_pair(dbs: Databases, ex: Example, src: str, tgt: str) -> list[str]:
    """Load `ex` into source `src` and target `tgt`, run row_diff (full and segmented),
    row_count_match, column_aggregates_match and schema_match, and answer every disagreement
    with the oracle or between the modes (empty: all agree)."""
    names = [c[0] for c in ex.columns]
    s_table = dbs.load(src, "s", [(c[0], c[2]) for c in ex.columns], ex.source)
    t_table = dbs.load(tgt, "t", [(c[0], c[3]) for c in ex.columns], ex.target)
    s_rows = dbs.fetch(src, s_table, names)
    t_rows = dbs.fetch(tgt, t_table, names)
    s_fams = [family(src, c[2]) for c in ex.columns]
    t_fams = [family(tgt, c[3]) for c in ex.columns]
    fams = [oracle.common(a, b) for a, b in zip(s_fams, t_fams, strict=True)]
    # SQLite values by their storage class (docs/checks.md): the families rows compare in
    s_own, t_own, fams = _stored_families(src, tgt, s_rows, t_rows, s_fams, t_fams, fams)
    s_rows = _sqlite_numbers(src, s_rows, s_own, fams)
    t_rows = _sqlite_numbers(tgt, t_rows, t_own, fams)
    ctx = RunContext(dbs.dbs[tgt].reader, dbs.dbs[src].reader, sample_size=10)
    problems: list[str] = []
    base = {"table": t_table, "source_table": s_table}

    # ---- row_diff, full and segmented
    want = oracle.row_diff(s_rows, t_rows, ex.nkeys, fams, names, ex.tolerance)
    rd = {**base, "type": "row_diff", "key": ex.keys, "null_keys": ex.null_keys}
    if ex.tolerance:
        rd["tolerance"] = ex.tolerance
    got = {}
    for mode, forced in (
        ("full", {}),
        ("segmented", {"max_pull_rows": 0, "segment_rows": ex.segment_rows}),
    ):
        try:
            out = _run(RowDiffSpec, rd, ctx, **forced)
        except Exception as exc:
            problems.append(f"row_diff {mode}: error {type(exc).__name__}: {exc}"[:600])
            continue
        got[mode] = out
        o = out.observed
        if out.details.get("mode") != mode and (s_rows or t_rows):
            problems.append(f"row_diff {mode}: ran in mode {out.details.get('mode')}")
        for k, w in (
            ("missing_in_target", want.missing),
            ("extra_in_target", want.extra),
            ("source_rows", want.source_rows),
            ("target_rows", want.target_rows),
            ("null_key_rows", want.null_key_rows),
        ):
            if o[k] != w:
                problems.append(f"row_diff {mode}: {k} = {o[k]!r}, oracle {w!r}")
        if not want.changed_min <= o["changed"] <= want.changed_max:
            rng = (
                want.changed_min
                if want.changed_min == want.changed_max
                else (want.changed_min, want.changed_max)
            )
            problems.append(f"row_diff {mode}: changed = {o['changed']}, oracle {rng}")
        if (
            want.column_differences is not None
            and o["column_differences"] != want.column_differences
        ):
            problems.append(
                f"row_diff {mode}: column_differences = {o['column_differences']}, "
                f"oracle {want.column_differences}"
            )
        nulls = 0 if ex.null_keys == "ignore" else sum(want.null_key_rows.values())
        failed = o["missing_in_target"] + o["extra_in_target"] + o["changed"] + nulls
        if out.failed_rows != failed:
            problems.append(f"row_diff {mode}: failed_rows = {out.failed_rows}, expected {failed}")
        clean = want.missing + want.extra + o["changed"] + nulls == 0  # changed: checked above
        if (out.pass_rate >= 1.0) != clean:
            problems.append(f"row_diff {mode}: pass_rate {out.pass_rate}, oracle clean={clean}")
    if "full" in got and "segmented" in got:
        f, s = got["full"].observed, got["segmented"].observed
        if f != s:
            problems.append(f"row_diff modes disagree: full {f} / segmented {s}")

    # ---- row_count_match
    try:
        out = _run(RowCountMatchSpec, {**base, "type": "row_count_match"}, ctx)
        if (out.observed["source_rows"], out.observed["target_rows"]) != (len(s_rows), len(t_rows)):
            problems.append(
                f"row_count_match: {out.observed}, oracle {len(s_rows)} / {len(t_rows)}"
            )
        if out.passed != (len(s_rows) == len(t_rows)):
            problems.append(f"row_count_match: passed={out.passed}")
    except Exception as exc:
        problems.append(f"row_count_match: error {type(exc).__name__}: {exc}"[:600])

    # ---- column_aggregates_match
    agg = {**base, "type": "column_aggregates_match", "columns": names}
    if ex.tolerance:
        agg["tolerance"] = ex.tolerance
    try:
        out = _run(ColumnAggregatesMatchSpec, agg, ctx)
        problems += _aggregate_problems(out, s_rows, t_rows, names, fams, ex.tolerance)
    except Exception as exc:
        problems.append(f"column_aggregates_match: error {type(exc).__name__}: {exc}"[:600])

    # ---- schema_match
    try:
        out = _run(SchemaMatchSpec, {**base, "type": "schema_match"}, ctx)
        differ = sum(1 for a, b in zip(s_fams, t_fams, strict=True) if a != b)
        if (out.failed_rows, out.passed) != (differ, differ == 0):
            problems.append(
                f"schema_match: failed_rows={out.failed_rows} passed={out.passed}, oracle "
                f"{differ} columns of another family ({list(zip(names, s_fams, t_fams, strict=True))})"
            )
    except Exception as exc:
        problems.append(f"schema_match: error {type(exc).__name__}: {exc}"[:600])
    dbs.drop_all()
    return problems


def _stored_families(src, tgt, s_rows, t_rows, s_fams, t_fams, fams):
    """docs/checks.md, "SQLite values by their storage class", written from the fetched rows:
    in a SQLite column compared as numbers, some text → the side is a text column (read as
    numbers); else some REAL in an integer, decimal or untyped column → a float column; an
    untyped column of integers → integer. Answers (source families, target families, common
    families)."""
    numeric = ("integer", "decimal", "float")
    s_own, t_own, out = list(s_fams), list(t_fams), list(fams)
    for i, common in enumerate(fams):
        if common not in (*numeric, "binary"):
            continue
        new, mixed = [], False
        for db, rows, fam in ((src, s_rows, s_fams[i]), (tgt, t_rows, t_fams[i])):
            vals = [r[i] for r in rows if r[i] is not None]
            if db != "sqlite" or fam not in (*numeric, "binary"):
                new.append(fam)
            elif any(isinstance(v, (str, bytes)) for v in vals):
                new.append("string")
                mixed = mixed or any(isinstance(v, float) for v in vals)
            elif any(isinstance(v, float) for v in vals) and fam != "float":
                new.append("float")
            else:
                new.append("integer" if fam == "binary" else fam)
        if new != [s_fams[i], t_fams[i]]:
            c = oracle.common(*new)
            if c == "string" and common in numeric:
                c = "decimal" if common == "integer" else common
            s_own[i], t_own[i] = new
            out[i] = "float" if mixed and c == "decimal" else c
    return s_own, t_own, out


def _sqlite_numbers(db: str, rows: list[tuple], own: list[str], fams: list[str]) -> list[tuple]:
    """SQLite has no decimal type (docs/checks.md): text read as a number there is a 64-bit
    integer or a double, as `CAST(text AS NUMERIC)` gives."""
    cols = [
        i
        for i, (o, f) in enumerate(zip(own, fams, strict=True))
        if o == "string" and f in oracle.NUMERIC
    ]
    if db != "sqlite" or not cols:
        return rows

    def num(v):
        if not isinstance(v, str):
            return v
        d = Decimal(v)
        return int(d) if d == d.to_integral_value() and abs(d) < 2**63 else float(d)

    return [tuple(num(v) if i in cols else v for i, v in enumerate(r)) for r in rows]


def _aggregate_problems(out, s_rows, t_rows, names, fams, tolerance) -> list[str]:
    problems = []
    seen = {(m["column"], m["metric"]): m for m in out.details["metrics"]}
    all_ok = True
    for i, (name, fam) in enumerate(zip(names, fams, strict=True)):
        sa, ta = oracle.aggregates(s_rows, i, fam), oracle.aggregates(t_rows, i, fam)
        doubles = any(isinstance(r[i], float) for r in [*s_rows, *t_rows])
        for metric in sa:
            m = seen.get((name, metric))
            if m is None:
                problems.append(f"column_aggregates_match: {name}.{metric} not compared")
                continue
            ok = oracle.metric_equal(metric, sa[metric], ta[metric], fam, tolerance, doubles)
            all_ok &= ok
            if m["match"] != ok:
                problems.append(
                    f"column_aggregates_match: {name}.{metric} match={m['match']} "
                    f"(product {m['source']!r} / {m['target']!r}), oracle match={ok} "
                    f"({sa[metric]!r} / {ta[metric]!r})"
                )
                continue
            for side, want, have, rows in (
                ("source", sa[metric], m["source"], s_rows),
                ("target", ta[metric], m["target"], t_rows),
            ):
                if metric == "sum" and (fam == "float" or isinstance(have, float)):
                    # added in doubles in the database's own order: within 1e-12 of the sum of
                    # the absolute values (2^62 + 1 - 2^62 may be 0 there)
                    mag = sum(abs(float(oracle.norm(r[i], fam) or 0)) for r in rows)
                    if want is None or have is None:
                        ok_side = want is None and have is None
                    else:
                        h, w = float(have), float(want)
                        if not (math.isfinite(h) and math.isfinite(w) and math.isfinite(mag)):
                            ok_side = h == w or (math.isnan(h) and math.isnan(w))  # NaN, ±inf
                        else:
                            ok_side = abs(h - w) <= 1e-12 * mag + 1e-9
                    if not ok_side:
                        problems.append(
                            f"column_aggregates_match: {name}.sum {side} = {have!r}, oracle {want!r}"
                        )
                    continue
                if not _same_metric(metric, want, have, fam):
                    problems.append(
                        f"column_aggregates_match: {name}.{metric} {side} = {have!r}, oracle {want!r}"
                    )
    if out.passed != all_ok:
        problems.append(f"column_aggregates_match: passed={out.passed}, oracle {all_ok}")
    return problems


def _same_metric(metric: str, want: Any, have: Any, fam: str) -> bool:
    if want is None or have is None:
        return want is None and have is None
    if metric in ("count", "null_count", "distinct_count"):
        return int(have) == want
    if fam in oracle.NUMERIC and (oracle._isnan(want) or str(have).lower() == "nan"):
        return oracle._isnan(want) and str(have).lower() == "nan"
    if fam in oracle.NUMERIC:
        rel = 1e-9 if fam == "float" or isinstance(have, float) else 0.0
        try:
            return (
                float(have) == float(want)
                or (rel and abs(float(have) - float(want)) <= rel * max(abs(float(want)), 1.0))
                or normalize(want, fam) == have
            )
        except (TypeError, ValueError):
            return False
    return oracle.norm(have, fam) == want if fam in oracle.TIME else have == want
