"""Fixtures for metadata tests: the same small "shop" schema created in each real database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from batchcore.connections import DbConnection, open_connection
from batchcore.workspace import ResolvedConnection


def shop_ddl(dialect: str, s: str) -> list[str]:
    """DDL of the shop schema; `s` prefixes table names with the schema (may be '')."""
    text = {
        "duckdb": "VARCHAR(200)",
        "sqlite": "VARCHAR(200)",
        "postgres": "VARCHAR(200)",
        "mysql": "VARCHAR(200)",
    }[dialect]
    boolean = "BOOLEAN"
    ts = "TIMESTAMP" if dialect != "mysql" else "DATETIME"
    return [
        f"""CREATE TABLE {s}customers (
              id INTEGER PRIMARY KEY, email VARCHAR(120) NOT NULL UNIQUE, name {text} NOT NULL,
              created_at {ts}, vip {boolean} DEFAULT FALSE)""",
        f"""CREATE TABLE {s}orders (
              id BIGINT NOT NULL PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES {s}customers (id),
              order_date DATE NOT NULL, amount DECIMAL(12,2), status VARCHAR(20) DEFAULT 'new')""",
        f"CREATE INDEX orders_date_idx ON {s}orders (order_date)",
        f"""CREATE TABLE {s}order_lines (
              order_id BIGINT NOT NULL, line_no INTEGER NOT NULL, sku VARCHAR(30) NOT NULL, qty INTEGER NOT NULL,
              PRIMARY KEY (order_id, line_no), FOREIGN KEY (order_id) REFERENCES {s}orders (id))""",
        f"CREATE VIEW {s}v_big_orders AS SELECT id, amount FROM {s}orders WHERE amount > 1000",
        f"INSERT INTO {s}customers (id, email, name) VALUES (1, 'a@example.com', 'Ann'), (2, 'b@example.com', 'Bo')",
        f"INSERT INTO {s}orders (id, customer_id, order_date, amount) VALUES (10, 1, '2024-05-01', 12.50), "
        f"(11, 2, '2024-05-02', 1200.00), (12, 2, '2024-05-03', 99.99)",
    ]


@dataclass
class ShopDb:
    """A database holding the shop schema: how to connect, which schema, how to run SQL."""

    dialect: str
    resolved: ResolvedConnection
    schema: str | None
    prefix: str
    run: Callable[[str], None]

    def connect(self) -> DbConnection:
        return open_connection(self.resolved)


def _duckdb(tmp_path: Path) -> ShopDb:
    path = str(tmp_path / "shopdb.duckdb")
    con = duckdb.connect(path)
    con.execute("CREATE SCHEMA shop")
    for stmt in shop_ddl("duckdb", "shop."):
        con.execute(stmt)
    con.close()

    def run(sql: str) -> None:
        c = open_connection(ResolvedConnection("shop", "duckdb", path, None, {}))
        try:
            c.execute(sql)
        finally:
            c.close()

    return ShopDb(
        "duckdb", ResolvedConnection("shop", "duckdb", path, None, {}), "shop", "shop.", run
    )


def _sqlite(tmp_path: Path) -> ShopDb:
    path = str(tmp_path / "shop.sqlite")
    con = sqlite3.connect(path)
    for stmt in shop_ddl("sqlite", ""):
        con.execute(stmt)
    con.commit()
    con.close()

    def run(sql: str) -> None:
        c = sqlite3.connect(path)
        c.execute(sql)
        c.commit()
        c.close()

    return ShopDb("sqlite", ResolvedConnection("shop", "sqlite", path, None, {}), None, "", run)


@pytest.fixture(
    params=[
        "duckdb",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def shop(request, tmp_path) -> ShopDb:
    """The shop schema in DuckDB, SQLite, PostgreSQL (fresh schema) or MariaDB (fresh database)."""
    if request.param == "duckdb":
        return _duckdb(tmp_path)
    if request.param == "sqlite":
        return _sqlite(tmp_path)
    if request.param == "postgres":
        import psycopg

        url = request.getfixturevalue("pg_url")
        schema = request.getfixturevalue("pg_schema")

        def run_pg(sql: str) -> None:
            with psycopg.connect(url, autocommit=True) as c:
                c.execute(sql)

        for stmt in shop_ddl("postgres", f"{schema}."):
            run_pg(stmt)
        return ShopDb(
            "postgres",
            ResolvedConnection("shop", "postgres", None, url, {}),
            schema,
            f"{schema}.",
            run_pg,
        )
    import pymysql

    from batchcore.connections import _mysql_params

    url = request.getfixturevalue("mysql_database")

    def run_my(sql: str) -> None:
        c = pymysql.connect(autocommit=True, **_mysql_params(url))
        with c.cursor() as cur:
            cur.execute(sql)
        c.close()

    for stmt in shop_ddl("mysql", ""):
        run_my(stmt)
    return ShopDb("mysql", ResolvedConnection("shop", "mysql", None, url, {}), None, "", run_my)
