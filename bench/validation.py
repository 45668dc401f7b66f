"""Benchmark: seven column checks on generated rows in DuckDB, on four shapes of key, in ONE run.

    python bench/validation.py [--rows 10000000] [--repeat 3] [--skip-ge] [--keep DIR] [--shapes ...]
    python bench/validation.py --rows 1000000      # quick: the same shapes scaled down

Data (set-based SQL into one DuckDB file): table `orders` with four keys of realistic shape —
`id` dense 0..N-1 and unique; `sid` sparse 40-bit ids with 1,000 duplicated ids per 10M rows;
(`region`, `seq`) a composite integer key with as many duplicates; `code` a text key
('ORD-000012345') with as many duplicates — and customer_id / status / amount with NULLs,
out-of-range values, unknown statuses and orphan customers; `customers` (100,000 ids).
Per key shape the pipeline is: not_null on customer_id, status, amount; unique(<key>);
between(amount, 0, 1000); accepted_values(status); relationships(customer_id → customers).

Timed per shape, interleaved rounds, --repeat runs (at least 3), min/median seconds:
  (a) our pipeline (YAML → run_pipeline, connection opening and catalog look-ups included);
  (b) the same checks as one SQL query each (how dbt-style tests run);
  (c) the floor: the fastest hand-written SQL found giving the SAME output as ours — the seven
      figures (unique: rows in duplicated groups) and up to 10 sample rows per failing check —
      best of several candidates (GROUP BY; count(DISTINCT) first and GROUP BY only when it finds
      duplicates; a bitmap first for integer keys);
  (d) pandas: load the rows from DuckDB into a DataFrame plus the checks;
  (e) Great Expectations 1.x (pandas engine, load excluded) with the same seven checks — GE has no
      relationships expectation, so it gets `expect_column_values_to_be_in_set` with the 100,000
      parent ids (what a GE user writes).
Prints the load average, seconds, the ratios the goals are stated in (ours ≤ 1.2× floor, one
query each ≥ 2.5× ours, GE ≥ 5× ours), and checks every way found the same failing-row counts.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchutil import Timing, interleaved, machine_line  # noqa: E402

STATUSES = ["new", "paid", "shipped", "cancelled"]
SHAPES = {  # shape → key columns
    "dense": ["id"],
    "sparse": ["sid"],
    "composite": ["region", "seq"],
    "text": ["code"],
}
PIPELINE = """
target: bench
sample_size: 10
checks:
  - {{type: not_null, table: orders, columns: [customer_id, status, amount]}}
  - {{type: unique, table: orders, columns: [{keys}]}}
  - {{type: between, table: orders, column: amount, min: 0, max: 1000}}
  - {{type: accepted_values, table: orders, column: status, values: [new, paid, shipped, cancelled]}}
  - {{type: relationships, table: orders, column: customer_id, to: customers, field: customer_id}}
"""


def generate(path: Path, rows: int) -> float:
    """Write the two tables; answers seconds taken. Every `every`-th row repeats the key of the
    row before it (1,000 duplicated keys per 10M rows)."""
    every = 10_000
    t0 = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    con.execute(
        "CREATE TABLE customers AS SELECT i AS customer_id, 'customer ' || i AS name FROM range(100000) r(i)"
    )
    dup = f"CASE WHEN i % {every} = 17 THEN i - 1 ELSE i END"
    con.execute(f"""
        CREATE TABLE orders AS
        SELECT i AS id,
               (hash({dup}) % 1099511627776)::BIGINT AS sid,
               ({dup} % 1000)::INTEGER AS region,
               ({dup} // 1000)::INTEGER AS seq,
               'ORD-' || lpad(CAST({dup} AS VARCHAR), 9, '0') AS code,
               CASE WHEN i % 1000 = 7 THEN NULL WHEN i % 5000 = 11 THEN 100000 + i % 50
                    ELSE (hash(i) % 100000)::BIGINT END AS customer_id,
               CASE WHEN i % 2000 = 3 THEN NULL WHEN i % 10000 = 5 THEN 'unknown'
                    ELSE ['new', 'paid', 'shipped', 'cancelled'][(hash(i * 7) % 4)::INT + 1] END AS status,
               CASE WHEN i % 3000 = 1 THEN NULL WHEN i % 20000 = 9 THEN -5.0
                    ELSE round((hash(i * 13) % 100000) / 100.0, 2) END AS amount,
               TIMESTAMP '2024-01-01' + to_seconds((i % 31536000)::BIGINT) AS created_at
        FROM range({rows}) r(i)""")
    con.close()
    return time.perf_counter() - t0


# ---------------------------------------------------------------- (a) our pipeline
def ours(ws_root: Path, shape: str):
    from batchcore.validation import load_pipeline, run_pipeline
    from batchcore.workspace import Workspace

    ws = Workspace.load(ws_root)
    spec = load_pipeline(ws_root / "projects" / "bench" / "pipelines" / f"{shape}.yaml", ws)
    res = run_pipeline(spec, ws)
    return [c.failed_rows for c in res.checks]


# ---------------------------------------------------------------- (b) one query each
def _complete(keys: list[str]) -> str:
    return " AND ".join(f"{k} IS NOT NULL" for k in keys)


def _group(keys: list[str]) -> str:
    return (
        f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM orders WHERE {_complete(keys)} "
        f"GROUP BY {', '.join(keys)} HAVING count(*) > 1)"
    )


def one_each_queries(keys: list[str]) -> list[str]:
    return [
        "SELECT count(*) FROM orders WHERE customer_id IS NULL",
        "SELECT count(*) FROM orders WHERE status IS NULL",
        "SELECT count(*) FROM orders WHERE amount IS NULL",
        _group(keys),
        "SELECT count(*) FROM orders WHERE amount < 0 OR amount > 1000",
        "SELECT count(*) FROM orders WHERE status IS NOT NULL AND status NOT IN ('new', 'paid', 'shipped', 'cancelled')",
        "SELECT count(*) FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id "
        "WHERE o.customer_id IS NOT NULL AND c.customer_id IS NULL",
    ]


def one_each(con, keys: list[str]):
    return [con.execute(q).fetchall()[0][0] for q in one_each_queries(keys)]


# ---------------------------------------------------------------- (c) floor candidates
SCAN = """count(*) FILTER (WHERE customer_id IS NULL), count(*) FILTER (WHERE status IS NULL),
          count(*) FILTER (WHERE amount IS NULL)"""
REST = """count(*) FILTER (WHERE amount < 0 OR amount > 1000),
          count(*) FILTER (WHERE status NOT IN ('new', 'paid', 'shipped', 'cancelled'))"""
ANTI = "SELECT count(*) FROM orders o ANTI JOIN customers c ON o.customer_id = c.customer_id WHERE o.customer_id IS NOT NULL"


SAMPLES = [  # what our pipeline also returns: up to 10 failing rows per failing check
    "SELECT * FROM orders WHERE customer_id IS NULL LIMIT 10",
    "SELECT * FROM orders WHERE status IS NULL LIMIT 10",
    "SELECT * FROM orders WHERE amount IS NULL LIMIT 10",
    "SELECT * FROM orders WHERE amount < 0 OR amount > 1000 LIMIT 10",
    "SELECT * FROM orders WHERE status NOT IN ('new', 'paid', 'shipped', 'cancelled') LIMIT 10",
    "SELECT o.* FROM orders o ANTI JOIN customers c ON o.customer_id = c.customer_id "
    "WHERE o.customer_id IS NOT NULL LIMIT 10",
]


def _group_sample(keys: list[str]) -> str:
    """Rows in duplicated groups AND the 10 most repeated keys, from one GROUP BY."""
    k = ", ".join(keys)
    return (
        f"SELECT {k}, n, sum(n) OVER () FROM (SELECT {k}, count(*) AS n FROM orders "
        f"WHERE {_complete(keys)} GROUP BY {k} HAVING count(*) > 1) ORDER BY n DESC LIMIT 10"
    )


def floor_candidates(con, keys: list[str]):
    """Hand-written ways to the same output as ours: the seven figures (unique = rows in
    duplicated groups) and up to 10 sample rows per failing check."""

    def unique_with_sample() -> int:
        rows = con.execute(_group_sample(keys)).fetchall()
        return rows[0][-1] if rows else 0

    def samples(figures: list) -> list:
        for q, n in zip(SAMPLES, [*figures[:3], *figures[4:]], strict=True):
            if n:
                con.execute(q).fetchall()
        return figures

    def group():
        a = con.execute(f"SELECT {SCAN}, {REST} FROM orders").fetchall()[0]
        u = unique_with_sample()
        return samples([*a[:3], u, *a[3:], con.execute(ANTI).fetchall()[0][0]])

    def scan_and_anti_in_one():
        a = con.execute(f"SELECT {SCAN}, {REST}, ({ANTI}) FROM orders").fetchall()[0]
        return samples([*a[:3], unique_with_sample(), *a[3:]])

    def first_then_group(distinct_sql: str):
        def run():
            a = con.execute(
                f"SELECT {SCAN}, count(*) FILTER (WHERE {_complete(keys)}) - {distinct_sql}, {REST} FROM orders"
            ).fetchall()[0]
            u = unique_with_sample() if a[3] else 0
            return samples([*a[:3], u, *a[4:], con.execute(ANTI).fetchall()[0][0]])

        return run

    tup = keys[0] if len(keys) == 1 else f"({', '.join(keys)})"
    out = {
        "scan; GROUP BY; anti join": group,
        "scan + anti join in one query; GROUP BY": scan_and_anti_in_one,
        "scan + count(DISTINCT), GROUP BY if dups; anti join": first_then_group(
            f"count(DISTINCT CASE WHEN {_complete(keys)} THEN {tup} END)"
        ),
    }
    if len(keys) == 1 and keys[0] in ("id", "sid"):
        lo, hi = con.execute(f"SELECT min({keys[0]}), max({keys[0]}) FROM orders").fetchall()[0]
        if hi - lo + 1 <= 1 << 28:
            out["scan + bitmap, GROUP BY if dups; anti join"] = first_then_group(
                f"bit_count(bitstring_agg({keys[0]}, {lo}, {hi}))"
            )
    return out


# ---------------------------------------------------------------- (d) pandas, (e) GE
def load_df(db: Path):
    con = duckdb.connect(str(db), read_only=True)
    try:
        df = con.sql(
            "SELECT id, sid, region, seq, code, customer_id, status, amount FROM orders"
        ).df()
        parents = con.sql("SELECT customer_id FROM customers").df()["customer_id"]
    finally:
        con.close()
    return df, parents


def pandas_checks(df, parents, keys: list[str]):
    ok_status = df["status"].isin(STATUSES) | df["status"].isna()
    cid = df["customer_id"]
    complete = df[keys].notna().all(axis=1)
    return [
        int(df["customer_id"].isna().sum()),
        int(df["status"].isna().sum()),
        int(df["amount"].isna().sum()),
        int((df.loc[complete, keys].duplicated(keep=False)).sum()),
        int(((df["amount"] < 0) | (df["amount"] > 1000)).sum()),
        int((~ok_status).sum()),
        int((cid.notna() & ~cid.isin(parents)).sum()),
    ]


def great_expectations(df, parents, keys: list[str], repeat: int):
    """(Timing, unexpected counts) of GE validating the seven checks on the loaded DataFrame."""
    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral")
    batch = (
        ctx.data_sources.add_pandas("bench")
        .add_dataframe_asset("orders")
        .add_batch_definition_whole_dataframe("all")
    )
    suite = gx.ExpectationSuite(name="orders")
    for c in ("customer_id", "status", "amount"):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=c))
    if len(keys) == 1:
        suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column=keys[0]))
    else:
        suite.add_expectation(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=keys))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="amount", min_value=0, max_value=1000)
    )
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES)
    )
    suite.add_expectation(  # relationships: GE has none; the parents as a value set
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="customer_id", value_set=[float(x) for x in parents.tolist()]
        )
    )
    t = Timing()
    res = None
    for _ in range(max(3, repeat)):
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):  # its progress bars
            res = batch.get_batch(batch_parameters={"dataframe": df}).validate(
                suite, result_format="BASIC"
            )
        t.add(time.perf_counter() - t0)
    return t, [r.result.get("unexpected_count") for r in res.results]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (at least 3)")
    ap.add_argument("--skip-ge", action="store_true", help="skip Great Expectations")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated key shapes")
    ap.add_argument(
        "--keep", metavar="DIR", help="build the data here and keep it (reused when present)"
    )
    args = ap.parse_args()
    shapes = [x for x in args.shapes.split(",") if x]
    rep = max(3, args.repeat)
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-validation-"))
    ws = tmp / "ws"
    (ws / "projects" / "bench" / "pipelines").mkdir(parents=True, exist_ok=True)
    db = ws / "bench.duckdb"
    (ws / "connections.yaml").write_text(
        "connections:\n  bench: {type: duckdb, path: bench.duckdb}\n"
    )
    for shape, keys in SHAPES.items():
        (ws / "projects" / "bench" / "pipelines" / f"{shape}.yaml").write_text(
            PIPELINE.format(keys=", ".join(keys))
        )
    n = args.rows
    print(machine_line())
    summary = []
    try:
        if not db.exists():
            print(f"generating {n:,} rows ... {generate(db, n):.1f} s", flush=True)
        from batchcore.connections import duckdb_instance_acquire, duckdb_instance_release

        df = parents = None
        if not args.skip_ge:
            t0 = time.perf_counter()
            df, parents = load_df(db)
            load_s = time.perf_counter() - t0
        print(
            f"\n{n:,} rows, 7 checks (3 not_null, unique, between, accepted_values, relationships); "
            f"seconds min/median of {rep} interleaved runs; ratios of the minimums"
        )
        for shape in shapes:
            keys = SHAPES[shape]
            con = duckdb_instance_acquire(str(db))
            try:
                ways = {"a": lambda s=shape: ours(ws, s), "b": lambda k=keys, c=con: one_each(c, k)}
                ways.update({f"c:{k}": fn for k, fn in floor_candidates(con, keys).items()})
                times, found = interleaved(ways, rep)
            finally:
                con.close()
                duckdb_instance_release(str(db))
            floors = {k[2:]: t for k, t in times.items() if k.startswith("c:")}
            floor_label = min(floors, key=lambda k: floors[k].min)
            t_a, t_b, t_c = times["a"], times["b"], floors[floor_label]
            print(f"\n== key shape {shape!r}: unique({', '.join(keys)})")
            print(f"failing rows per check: ours {found['a']}")
            print(f"                        one query each {found['b']}")
            print(f"                        floor {found['c:' + floor_label]}")
            same = found["a"] == found["b"] == found["c:" + floor_label]
            extra = {}
            if df is not None:
                t_pd, pd_found = Timing(), None
                for _ in range(rep):
                    t0 = time.perf_counter()
                    pd_found = pandas_checks(df, parents, keys)
                    t_pd.add(time.perf_counter() - t0)
                extra[f"pandas checks (+ load {load_s:.2f} s once)"] = t_pd
                print(f"                        pandas {pd_found}")
                same = same and pd_found == found["a"]
                t_ge, ge_counts = great_expectations(df, parents, keys, rep)
                extra["Great Expectations 1.x, pandas (7 checks, load excluded)"] = t_ge
                print(f"                        Great Expectations {ge_counts}")
            print(f"  same figures everywhere: {'yes' if same else 'NO'}")
            print(f"  {'way':<62} {'min/median s':>14} {'rows/s':>12} {'÷ ours':>7}")
            rows = [
                ("our pipeline (YAML → one scan + GROUP BY + anti join)", t_a),
                ("one SQL query per check", t_b),
                (f"floor: {floor_label}", t_c),
                *extra.items(),
            ]
            for label, t in rows:
                print(f"  {label:<62} {t!s:>14} {n / t.min:12,.0f} {t.min / t_a.min:7.2f}")
            for label, t in floors.items():
                print(f"    floor candidate: {label:<50} {t!s:>14}")
            r_floor = t_a.min / t_c.min
            r_each = t_b.min / t_a.min
            line = (
                f"  goals: ours ÷ floor {r_floor:.2f} (≤ 1.2: {'met' if r_floor <= 1.2 else 'NOT met'}); "
                f"one query each ÷ ours {r_each:.2f} (≥ 2.5: {'met' if r_each >= 2.5 else 'NOT met'})"
            )
            if df is not None:
                r_ge = t_ge.min / t_a.min
                line += f"; GE ÷ ours {r_ge:.1f} (≥ 5: {'met' if r_ge >= 5 else 'NOT met'})"
            print(line)
            summary.append(f"{shape:<10} {line.strip()}")
        print("\nsummary:")
        for s_ in summary:
            print(f"  {s_}")
        print(machine_line())
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
