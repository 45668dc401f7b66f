"""Other targets (SQLite, PostgreSQL, MariaDB) receive exactly the rows DuckDB generates."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from batchcore.datagen.generator import plan_generation, write_duckdb
from batchcore.datagen.loaders import table_name, write_external
from batchcore.errors import ConfigError
from batchcore.workspace import Workspace

from .conftest import write_workspace

DEFECTS = {
    "fact_sales": {"nulls": {"quantity": 7}, "duplicate_keys": 3, "orphan_fks": {"store_key": 2}}
}


def _norm(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, Decimal):
        return round(float(v), 2)
    if isinstance(v, float):
        return round(v, 2)
    if isinstance(v, date):
        return v.isoformat()
    return v


def _rows(rows) -> list[tuple]:
    return sorted((tuple(_norm(v) for v in r) for r in rows), key=repr)


def duckdb_rows(schema_type: str, n: int, seed: int, defects=None) -> dict[str, list[tuple]]:
    con = duckdb.connect()
    cur = con.cursor()
    plan = plan_generation(schema_type, n, seed, defects=defects)
    write_duckdb(cur, plan)
    out = {
        t.name: _rows(cur.execute(f"SELECT * FROM {plan.schema_name}.{t.name}").fetchall())
        for t in plan.tables
    }
    con.close()
    return out


def test_sqlite_target_gets_the_same_rows_and_replaces_atomically(tmp_path):
    ws = Workspace.load(
        write_workspace(tmp_path / "ws", {"lite": {"type": "sqlite", "path": "data/gen.sqlite"}})
    )
    spec = ws.connection("lite")
    plan = plan_generation("Retail", 2000, 4, defects=DEFECTS)
    stats = write_external(spec, plan)
    assert [s.table for s in stats] == [f"retail_{t.name}" for t in plan.tables]
    expected = duckdb_rows("Retail", 2000, 4, DEFECTS)
    con = sqlite3.connect(tmp_path / "ws" / "data" / "gen.sqlite")
    for t in plan.tables:
        assert (
            _rows(con.execute(f'SELECT * FROM "{table_name(plan, t, "sqlite")}"').fetchall())
            == expected[t.name]
        ), t.name
    write_external(spec, plan_generation("Retail", 500, 5))
    assert con.execute("SELECT count(*) FROM retail_fact_sales").fetchall() == [(500,)]
    con.close()


@pytest.mark.postgres
def test_postgres_target_gets_the_same_rows(tmp_path, pg_database):
    ws = Workspace.load(
        write_workspace(tmp_path / "ws", {"pg": {"type": "postgres", "url": pg_database}})
    )
    import psycopg

    plan = plan_generation("Finance", 3000, 8, defects={"fact_balances": {"duplicate_keys": 2}})
    write_external(ws.connection("pg"), plan)
    expected = duckdb_rows("Finance", 3000, 8, {"fact_balances": {"duplicate_keys": 2}})
    with psycopg.connect(pg_database) as con:
        for t in plan.tables:
            assert (
                _rows(con.execute(f"SELECT * FROM finance.{t.name}").fetchall()) == expected[t.name]
            ), t.name
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'finance' AND table_name = 'fact_transactions'"
            ).fetchall()
        )
    assert (
        types["amount"] == "numeric"
        and types["transaction_id"] == "bigint"
        and types["currency"] == "text"
    )
    # a second run replaces the tables in one transaction
    write_external(
        ws.connection("pg"), plan_generation("Finance", 1000, 9, table_name="dim_customer")
    )
    with psycopg.connect(pg_database) as con:
        assert con.execute("SELECT count(*) FROM finance.dim_customer").fetchone()[0] == 100
        assert con.execute("SELECT count(*) FROM finance.fact_transactions").fetchone()[0] == 3000


@pytest.mark.mysql
def test_mysql_target_gets_the_same_rows_and_swaps_tables(tmp_path, mysql_database):
    import pymysql

    from batchcore.connections import _mysql_params

    ws = Workspace.load(
        write_workspace(tmp_path / "ws", {"maria": {"type": "mysql", "url": mysql_database}})
    )
    plan = plan_generation("Healthcare", 2000, 6, defects={"fact_claims": {"nulls": {"payer": 5}}})
    write_external(ws.connection("maria"), plan)
    expected = duckdb_rows("Healthcare", 2000, 6, {"fact_claims": {"nulls": {"payer": 5}}})
    con = pymysql.connect(autocommit=True, **_mysql_params(mysql_database))
    try:
        with con.cursor() as cur:
            for t in plan.tables:
                cur.execute(f"SELECT * FROM healthcare_{t.name}")
                assert _rows(cur.fetchall()) == expected[t.name], t.name
        write_external(ws.connection("maria"), plan_generation("Healthcare", 300, 7))
        with con.cursor() as cur:
            cur.execute("SELECT count(*) FROM healthcare_fact_encounters")
            assert cur.fetchone()[0] == 300
            cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
                "AND (table_name LIKE '%%\\_\\_new' OR table_name LIKE '%%\\_\\_old')"
            )
            assert cur.fetchall() == ()
    finally:
        con.close()


def test_unsupported_target_type_is_a_clear_error(tmp_path):
    ws = Workspace.load(
        write_workspace(tmp_path / "ws", {"sf": {"type": "snowflake", "url": "snowflake://x"}})
    )
    with pytest.raises(
        ConfigError,
        match="connection 'sf' is snowflake: data generation writes to duckdb, sqlite, postgres or mysql",
    ):
        write_external(ws.connection("sf"), plan_generation("Retail", 10, 1))


@pytest.mark.mysql
def test_mysql_without_local_infile_falls_back_to_multi_row_inserts(
    tmp_path, mysql_database, monkeypatch
):
    """A client (or server) that refuses LOAD DATA LOCAL still gets every row, by INSERTs."""
    import pymysql

    from batchcore.connections import _mysql_params
    from batchcore.datagen import loaders

    def no_local_infile(spec):
        return pymysql.connect(
            autocommit=True, local_infile=False, **_mysql_params(spec.resolve().url)
        )

    monkeypatch.setattr(loaders, "_mysql_connect", no_local_infile)
    ws = Workspace.load(
        write_workspace(tmp_path / "ws", {"maria": {"type": "mysql", "url": mysql_database}})
    )
    plan = plan_generation(
        "Retail",
        12_000,
        2,
        table_name="fact_sales",
        defects={"fact_sales": {"nulls": {"quantity": 3}}},
    )
    write_external(ws.connection("maria"), plan)
    expected = duckdb_rows("Retail", 12_000, 2, {"fact_sales": {"nulls": {"quantity": 3}}})
    con = pymysql.connect(autocommit=True, **_mysql_params(mysql_database))
    try:
        with con.cursor() as cur:
            cur.execute("SELECT * FROM retail_fact_sales")
            assert _rows(cur.fetchall()) == expected["fact_sales"]
    finally:
        con.close()
