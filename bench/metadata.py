"""Benchmark: metadata extraction of 1,000 tables x 20 columns with keys, in one run.

For a DuckDB file, an SQLite file and (when reachable) a PostgreSQL schema, each holding the
same 1,000 tables (20 columns, a primary key, a foreign key to the previous table, a unique
constraint and an index each), time:
- ours: `extract_catalog` (bulk catalog queries, one per kind of metadata), best of 3;
- SQLAlchemy's inspector, bulk: get_table_names + get_multi_columns / _pk_constraint /
  _foreign_keys / _unique_constraints / _indexes, best of 3 (fresh inspector each time);
- SQLAlchemy's inspector, table by table: get_columns / get_pk_constraint / get_foreign_keys /
  get_unique_constraints / get_indexes for --sample tables, reported per table and x 1,000.
DuckDB has no working SQLAlchemy dialect here (duckdb-engine fails with SQLAlchemy 2.1 and
returns no primary keys with 2.0), so its inspector columns read "n/a".

    python bench/metadata.py [--tables 1000] [--sample 100] [--pg postgresql://postgres@127.0.0.1:5432/test]

Goal (issue 5): under 0.25 s for 1,000 tables and at least 10x the inspector's bulk calls.
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchutil import machine_line

from batchcore.connections import open_connection
from batchcore.metadata.extract import extract_catalog
from batchcore.workspace import ResolvedConnection

TYPES = (
    "INTEGER",
    "BIGINT",
    "VARCHAR(40)",
    "DECIMAL(12,2)",
    "DATE",
    "TIMESTAMP",
    "BOOLEAN",
    "DOUBLE PRECISION",
    "TEXT",
)


def ddl(n_tables: int, prefix: str = "") -> list[str]:
    """CREATE statements: t0000 .. t<n-1>, 20 columns each (id, parent_id, code, 17 typed columns)."""
    out = []
    for k in range(n_tables):
        cols = [
            "id INTEGER NOT NULL PRIMARY KEY",
            "parent_id INTEGER" + (f" REFERENCES {prefix}t{k - 1:04d} (id)" if k else ""),
            "code VARCHAR(20) NOT NULL UNIQUE",
        ]
        cols += [
            f"c{j:02d} {TYPES[(k + j) % len(TYPES)]}{' NOT NULL' if j % 3 == 0 else ''}"
            for j in range(17)
        ]
        out.append(f"CREATE TABLE {prefix}t{k:04d} ({', '.join(cols)})")
        out.append(f"CREATE INDEX t{k:04d}_c00_idx ON {prefix}t{k:04d} (c00)")
    return out


def best(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def ours(resolved: ResolvedConnection, schema: str | None) -> tuple[float, int, int]:
    conn = open_connection(resolved)
    try:
        t, cat = best(lambda: extract_catalog(conn, schema))
        return t, len(cat.tables), cat.queries
    finally:
        conn.close()


def inspector_bulk(url: str, schema: str | None) -> float:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:

        def run():
            with engine.connect() as con:
                insp = sa.inspect(con)
                insp.get_table_names(schema=schema)
                for call in (
                    insp.get_multi_columns,
                    insp.get_multi_pk_constraint,
                    insp.get_multi_foreign_keys,
                    insp.get_multi_unique_constraints,
                    insp.get_multi_indexes,
                ):
                    call(schema=schema)

        return best(run)[0]
    finally:
        engine.dispose()


def inspector_per_table(url: str, schema: str | None, sample: int) -> float:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            insp = sa.inspect(con)
            names = sorted(insp.get_table_names(schema=schema))[:sample]
            insp = sa.inspect(con)  # fresh cache
            t0 = time.perf_counter()
            for name in names:
                insp.get_columns(name, schema=schema)
                insp.get_pk_constraint(name, schema=schema)
                insp.get_foreign_keys(name, schema=schema)
                insp.get_unique_constraints(name, schema=schema)
                insp.get_indexes(name, schema=schema)
            return (time.perf_counter() - t0) / len(names)
    finally:
        engine.dispose()


def report(
    name: str,
    n: int,
    ours_s: float,
    tables: int,
    queries: int,
    bulk_s: float | None,
    per_table_s: float | None,
) -> None:
    assert tables == n, f"{name}: extracted {tables} tables, expected {n}"
    bulk = f"{bulk_s:8.3f} s {bulk_s / ours_s:7.1f}x" if bulk_s else f"{'n/a':>10} {'':>8}"
    per = (
        f"{per_table_s * 1000:8.2f} ms {per_table_s * n:8.2f} s {per_table_s * n / ours_s:8.0f}x"
        if per_table_s
        else f"{'n/a':>11}"
    )
    print(f"{name:<10} {ours_s:8.3f} s {queries:>3} queries | {bulk} | {per}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument(
        "--sample", type=int, default=100, help="tables timed one by one with the inspector"
    )
    ap.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="PostgreSQL URL ('' to skip)",
    )
    args = ap.parse_args(argv)
    n = args.tables
    print(machine_line())
    print(
        f"{n} tables x 20 columns (PK, FK to the previous table, UNIQUE, one index each); seconds = min of 3 runs\n"
    )
    print(
        f"{'database':<10} {'ours':>10} {'':>11} | {'inspector bulk  ratio':>19} | {'inspector per table, x' + str(n) + ', ratio':>32}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-metadata-") as tmp:
        folder = Path(tmp)
        con = duckdb.connect(str(folder / "bench.duckdb"))
        con.execute("BEGIN")
        for stmt in ddl(n):
            con.execute(stmt)
        con.execute("COMMIT")
        con.close()
        t, tables, queries = ours(
            ResolvedConnection("bench", "duckdb", str(folder / "bench.duckdb"), None, {}), "main"
        )
        report("duckdb", n, t, tables, queries, None, None)

        lite = sqlite3.connect(folder / "bench.sqlite")
        lite.executescript(";\n".join(ddl(n)) + ";")
        lite.close()
        path = str(folder / "bench.sqlite")
        t, tables, queries = ours(ResolvedConnection("bench", "sqlite", path, None, {}), None)
        report(
            "sqlite",
            n,
            t,
            tables,
            queries,
            inspector_bulk(f"sqlite:///{path}", None),
            inspector_per_table(f"sqlite:///{path}", None, args.sample),
        )

        if args.pg:
            import psycopg

            schema = f"bench_{secrets.token_hex(3)}"
            try:
                pg = psycopg.connect(args.pg, autocommit=True, connect_timeout=3)
            except psycopg.OperationalError as exc:
                print(f"postgres   skipped: {exc}".strip())
                return 0
            try:
                pg.execute(f"CREATE SCHEMA {schema}")
                for stmt in ddl(n, f"{schema}."):
                    pg.execute(stmt)
                t, tables, queries = ours(
                    ResolvedConnection("bench", "postgres", None, args.pg, {}), schema
                )
                url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
                report(
                    "postgres",
                    n,
                    t,
                    tables,
                    queries,
                    inspector_bulk(url, schema),
                    inspector_per_table(url, schema, args.sample),
                )
            finally:  # in batches: one DROP SCHEMA ... CASCADE of 1,000 tables exceeds the lock table
                names = [
                    r[0]
                    for r in pg.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = %s "
                        "ORDER BY tablename DESC",
                        (schema,),
                    ).fetchall()
                ]
                for i in range(0, len(names), 50):
                    pg.execute(
                        "DROP TABLE "
                        + ", ".join(f"{schema}.{t}" for t in names[i : i + 50])
                        + " CASCADE"
                    )
                pg.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                pg.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
