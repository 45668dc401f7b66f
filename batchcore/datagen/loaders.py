"""Write a generation plan into SQLite, PostgreSQL or MySQL/MariaDB, through bulk loading.

The rows are produced by the same SQL in an in-memory DuckDB (so every target receives the
same data for the same seed) and streamed out table by table:
- PostgreSQL: DuckDB writes a CSV file, psycopg streams it into `COPY ... FROM STDIN`.
- MySQL/MariaDB: `LOAD DATA LOCAL INFILE` from that CSV; when the server refuses local files
  (`local_infile=OFF`), multi-row INSERTs of 5,000 rows.
- SQLite: `executemany` over batches of 50,000 rows fetched from DuckDB.

Layout: PostgreSQL gets one schema per type (`retail.fact_sales`), like DuckDB. SQLite has no
schemas and a MySQL schema is a database the connection may not be allowed to create, so
there tables are prefixed instead (`retail_fact_sales`) in the connection's database.

Replacement is atomic: PostgreSQL and SQLite load every table in one transaction (their DDL is
transactional); MySQL loads `<table>__new` tables, swaps them in with one multi-table
`RENAME TABLE` (atomic) and drops the old ones. Declared keys are not created on any target:
generated data may carry requested defects (duplicate keys, orphans) that constraints would
reject. Replacing waits at most LOCK_WAIT_S seconds for readers holding the old tables.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import duckdb

from batchcore.connections import open_connection
from batchcore.datagen.generator import (
    GenerationPlan,
    Hooks,
    NullHooks,
    TableStat,
    compile_select,
    schema_lock,
)
from batchcore.datagen.ownership import mark_text
from batchcore.datagen.spec import Table
from batchcore.dialects import DIALECTS
from batchcore.errors import ConfigError, ConnectionFailed
from batchcore.workspace import ConnectionSpec

# Seconds a replacement waits for readers' locks on the old tables before failing (instead of
# waiting forever behind an idle open transaction).
LOCK_WAIT_S = 120
log = logging.getLogger("batchcore.datagen")


def target_type(duck_type: str, dialect: str) -> str:
    """The column type to declare on `dialect` for a generated DuckDB type (Dialect.column_type)."""
    return DIALECTS[dialect].column_type(duck_type)


def table_name(plan: GenerationPlan, table: Table, dialect: str) -> str:
    """Unqualified table name on a target: `fact_sales` (postgres, in its schema) or
    `retail_fact_sales` (mysql, sqlite: no schema of their own)."""
    if DIALECTS[dialect].schemas_in_database:
        return table.name
    return f"{plan.schema_name}_{table.name}"


def _export_select(table: Table, plan: GenerationPlan, dialect: str) -> str:
    """The table's SELECT with values in forms the target's bulk path reads."""
    sel = compile_select(table, plan.defects.get(table.name), plan.all_tables)
    out = []
    for c in table.columns:
        q = DIALECTS[dialect].generated_value(f'"{c.name}"', c.type)
        out.append(f'{q} AS "{c.name}"')
    return f"SELECT {', '.join(out)} FROM ({sel}) AS _t"


def _ddl(name: str, table: Table, dialect: str, quote, mark: str = "") -> str:
    """CREATE TABLE, carrying the generated-table mark (batchcore.datagen.ownership) where the
    statement can (Dialect.create_table_sql; PostgreSQL: Dialect.table_comment_sql after it)."""
    cols = ", ".join(f"{quote(c.name)} {target_type(c.type, dialect)}" for c in table.columns)
    return DIALECTS[dialect].create_table_sql(name, cols, mark)


def _mark(plan: GenerationPlan) -> str:
    return mark_text(plan.schema.schema_type, plan.seed)


def write_external(
    spec: ConnectionSpec,
    plan: GenerationPlan,
    hooks: Hooks | None = None,
    staging_dir: Path | None = None,
) -> list[TableStat]:
    """Write the plan's tables into a SQLite, PostgreSQL or MySQL connection (see module doc).

    CSV files are staged in a `datagen-*` folder under `staging_dir` (the engine's
    `<jobs dir>/staging`, emptied at every start; None: the system's temp folder), removed when
    this call ends however it ends. Returns one TableStat per table. Raises ConfigError for
    another connection type, ConnectionFailed when the database cannot be reached, and the
    driver's error otherwise (the target keeps its previous tables).
    """
    hooks = hooks or NullHooks()
    writers = {"postgres": _write_postgres, "mysql": _write_mysql, "sqlite": _write_sqlite}
    if spec.type not in writers:
        raise ConfigError(
            f"connection {spec.name!r} is {spec.type}: data generation writes to duckdb, sqlite, "
            "postgres or mysql connections",
            field="target_connection",
            value=spec.name,
        )
    root = Path(staging_dir) if staging_dir is not None else Path(tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    gen = duckdb.connect()
    try:
        with tempfile.TemporaryDirectory(dir=root, prefix="datagen-") as tmp:
            return writers[spec.type](spec, gen, plan, hooks, Path(tmp))
    finally:
        gen.close()


def _csv(gen, select: str, path: Path, hooks: Hooks, nullstr: str = "") -> None:
    with hooks.interruptible(gen.interrupt):
        gen.execute(f"COPY ({select}) TO '{path}' (FORMAT csv, HEADER false, NULLSTR '{nullstr}')")


def _write_postgres(spec, gen, plan, hooks, tmp: Path) -> list[TableStat]:
    conn = open_connection(spec)
    q = conn.dialect.quote
    schema = q(plan.schema_name)
    stats: list[TableStat] = []
    try:
        with schema_lock(f"postgres:{spec.name}", plan.schema_name), conn.con.transaction():
            conn.con.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'")
            conn.con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for k, t in enumerate(plan.tables, 1):
                hooks.check_cancelled()
                hooks.progress(
                    f"writing {plan.schema_name}.{t.name} ({k}/{len(plan.tables)}, {t.rows:,} rows)",
                    force=True,
                )
                t0 = time.perf_counter()
                name = f"{schema}.{q(t.name)}"
                conn.con.execute(f"DROP TABLE IF EXISTS {name}")
                conn.con.execute(_ddl(name, t, "postgres", q))
                conn.con.execute(conn.dialect.table_comment_sql(name, _mark(plan)))
                path = tmp / f"{t.name}.csv"
                _csv(gen, _export_select(t, plan, "postgres"), path, hooks)
                cols = ", ".join(q(c.name) for c in t.columns)
                with (
                    hooks.interruptible(conn.cancel),
                    conn.con.cursor() as cur,
                    cur.copy(f"COPY {name} ({cols}) FROM STDIN (FORMAT csv)") as cp,
                    path.open("rb") as f,
                ):
                    while block := f.read(1 << 20):
                        cp.write(block)
                rows = conn.con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                path.unlink()
                stats.append(
                    TableStat(
                        f"{plan.schema_name}.{t.name}", rows, (time.perf_counter() - t0) * 1000.0
                    )
                )
            hooks.check_cancelled()
    finally:
        conn.close()
    return stats


def _mysql_connect(spec: ConnectionSpec):
    import pymysql

    from batchcore.connections import _mysql_params

    resolved = spec.resolve()
    try:
        return pymysql.connect(
            autocommit=True,
            local_infile=True,
            connect_timeout=10,
            **_mysql_params(resolved.url or ""),
        )
    except pymysql.MySQLError as exc:
        raise ConnectionFailed(
            f"cannot connect to MySQL ({spec.name}): {exc}", field="url"
        ) from None


def _mysql_kill(spec: ConnectionSpec, thread_id: int) -> None:
    try:
        killer = _mysql_connect(spec)
        with killer.cursor() as cur:
            cur.execute(DIALECTS["mysql"].cancel_sql(thread_id))
        killer.close()
    except Exception:
        pass


def _mysql_load(
    con, spec, gen, select: str, name: str, cols: str, path: Path, hooks: Hooks
) -> None:
    import pymysql

    _csv(gen, select, path, hooks, nullstr="\\N")
    tid = con.thread_id()
    try:
        with hooks.interruptible(lambda: _mysql_kill(spec, tid)), con.cursor() as cur:
            cur.execute(
                f"LOAD DATA LOCAL INFILE %s INTO TABLE {name} CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' "
                f"OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n' ({cols})",
                (str(path),),
            )
        return
    except pymysql.err.OperationalError as exc:
        # local infile disabled or refused: MySQL 1148 / 3948 / 3950, client 2068, MariaDB 4166
        if exc.args[0] not in (1148, 2068, 3948, 3950, 4166):
            raise
    finally:
        path.unlink(missing_ok=True)
    n = len(cols.split(","))
    res = gen.execute(select)
    with hooks.interruptible(lambda: _mysql_kill(spec, tid)), con.cursor() as cur:
        while batch := res.fetchmany(5000):
            hooks.check_cancelled()
            cur.executemany(f"INSERT INTO {name} ({cols}) VALUES ({', '.join(['%s'] * n)})", batch)


def _write_mysql(spec, gen, plan, hooks, tmp: Path) -> list[TableStat]:
    import pymysql

    con = _mysql_connect(spec)
    q = lambda n: "`" + n.replace("`", "``") + "`"  # noqa: E731
    stats: list[TableStat] = []
    finals = [table_name(plan, t, "mysql") for t in plan.tables]
    try:
        with schema_lock(f"mysql:{spec.name}", plan.schema_name), con.cursor() as cur:
            cur.execute(f"SET SESSION lock_wait_timeout = {LOCK_WAIT_S}")
            for final in finals:
                cur.execute(f"DROP TABLE IF EXISTS {q(final + '__new')}, {q(final + '__old')}")
            for k, (t, final) in enumerate(zip(plan.tables, finals, strict=True), 1):
                hooks.check_cancelled()
                hooks.progress(
                    f"writing {final} ({k}/{len(plan.tables)}, {t.rows:,} rows)", force=True
                )
                t0 = time.perf_counter()
                new = q(final + "__new")
                cur.execute(_ddl(new, t, "mysql", q, _mark(plan)))
                _mysql_load(
                    con,
                    spec,
                    gen,
                    _export_select(t, plan, "mysql"),
                    new,
                    ", ".join(q(c.name) for c in t.columns),
                    tmp / f"{t.name}.csv",
                    hooks,
                )
                cur.execute(f"SELECT count(*) FROM {new}")
                stats.append(
                    TableStat(final, cur.fetchone()[0], (time.perf_counter() - t0) * 1000.0)
                )
            hooks.check_cancelled()
            cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
            )
            existing = {r[0] for r in cur.fetchall()}
            swaps = [f"{q(f)} TO {q(f + '__old')}" for f in finals if f in existing]
            swaps += [f"{q(f + '__new')} TO {q(f)}" for f in finals]
            cur.execute("RENAME TABLE " + ", ".join(swaps))
            olds = [q(f + "__old") for f in finals if f in existing]
            if olds:
                try:
                    cur.execute(f"DROP TABLE IF EXISTS {', '.join(olds)}")
                except pymysql.MySQLError as exc:  # swapped already; the next run drops them
                    log.warning("could not drop the replaced tables %s yet: %s", olds, exc)
    except BaseException:
        try:
            with con.cursor() as cur:
                cur.execute("DROP TABLE IF EXISTS " + ", ".join(q(f + "__new") for f in finals))
        except Exception:
            pass
        raise
    finally:
        con.close()
    return stats


def _write_sqlite(spec, gen, plan, hooks, tmp: Path) -> list[TableStat]:
    path = spec.resolve().path or ":memory:"
    if path != ":memory:":
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    try:
        con = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise ConnectionFailed(
            f"cannot open SQLite file {path}: {exc}", field="path", value=path
        ) from None
    q = lambda n: '"' + n.replace('"', '""') + '"'  # noqa: E731
    stats: list[TableStat] = []
    try:
        with schema_lock(f"sqlite:{path}", plan.schema_name):
            con.execute("BEGIN IMMEDIATE")
            try:
                for k, t in enumerate(plan.tables, 1):
                    hooks.check_cancelled()
                    final = table_name(plan, t, "sqlite")
                    hooks.progress(
                        f"writing {final} ({k}/{len(plan.tables)}, {t.rows:,} rows)", force=True
                    )
                    t0 = time.perf_counter()
                    con.execute(f"DROP TABLE IF EXISTS {q(final)}")
                    con.execute(_ddl(q(final), t, "sqlite", q, _mark(plan)))
                    insert = f"INSERT INTO {q(final)} VALUES ({', '.join('?' * len(t.columns))})"
                    res = gen.execute(_export_select(t, plan, "sqlite"))
                    with hooks.interruptible(con.interrupt):
                        while batch := res.fetchmany(50_000):
                            hooks.check_cancelled()
                            con.executemany(insert, batch)
                    rows = con.execute(f"SELECT count(*) FROM {q(final)}").fetchone()[0]
                    stats.append(TableStat(final, rows, (time.perf_counter() - t0) * 1000.0))
                hooks.check_cancelled()
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
    finally:
        con.close()
    return stats
