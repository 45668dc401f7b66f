"""Catalog extraction: pick the extractor of a connection's dialect, run it, time it.

Each extractor answers with bulk catalog queries — one query per kind of metadata (relations,
columns, constraints, indexes) for the whole schema — never one round trip per table, so a
schema of 1,000 tables costs the same 4-6 queries as a schema of one.

| dialect | extractor | source of truth |
|---|---|---|
| duckdb | extract_duckdb | duckdb_tables / _views / _columns / _constraints / _indexes() |
| sqlite | extract_sqlite | sqlite_master joined with the pragma table-valued functions |
| postgres | extract_postgres | pg_catalog (pg_class, pg_attribute, pg_constraint, pg_index) |
| mysql | extract_mysql | information_schema (TABLES, COLUMNS, KEY_COLUMN_USAGE, STATISTICS) |
| snowflake | extract_snowflake | INFORMATION_SCHEMA (TABLES, COLUMNS) and SHOW PRIMARY / UNIQUE / IMPORTED KEYS |
| sqlserver | extract_sqlalchemy | SQLAlchemy inspector get_multi_* (untested here) |

The Dialect of the connection names its extractor (`Dialect.catalog_extractor`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from batchcore.connections import DbConnection
from batchcore.errors import ConfigError, NotFound
from batchcore.metadata.model import Catalog


class CatalogAccessDenied(ConfigError):
    """The connection's user may not read the schema's catalog (not retried: fix the grants)."""


class Query:
    """Runs catalog queries on a connection and counts them (the "bulk, not per table" claim)."""

    def __init__(self, conn: DbConnection):
        self.conn = conn
        self.count = 0

    def __call__(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        self.count += 1
        return self.conn.query(sql, params)[1]


def schema_missing(conn: DbConnection, schema: str, known: list[str], hint: str = "") -> NotFound:
    """The NotFound error for a schema that does not exist (lists the ones that do)."""
    return NotFound(
        f"schema {schema!r} not found in connection {conn.name!r} ({conn.type}){hint}; "
        f"schemas: {sorted(known)[:50]}",
        field="schema_name",
        value=schema,
    )


def tables_missing(conn: DbConnection, schema: str, missing: list[str]) -> NotFound:
    """The NotFound error for requested table_names absent from the schema."""
    return NotFound(
        f"table(s) {missing} not found in {conn.name}.{schema}", field="table_names", value=missing
    )


def extract_catalog(
    conn: DbConnection, schema: str | None = None, table_names: list[str] | None = None
) -> Catalog:
    """The catalog of `schema` (None: the connection's default schema — main, public or the
    MySQL database) of an open connection, limited to `table_names` when given.

    Raises NotFound (schema or tables missing), CatalogAccessDenied (no privilege to read it),
    ConfigError (unsupported dialect) or the driver's error.
    """
    extract = conn.dialect.catalog_extractor()
    q = Query(conn)
    cat = extract(conn, q, schema, table_names)
    cat.queries = q.count
    return cat


def now_iso() -> str:
    """Current UTC time, ISO 8601 with offset."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def timed_extract(
    conn: DbConnection, schema: str | None, table_names: list[str] | None
) -> tuple[Catalog, float]:
    """`extract_catalog` and its duration in milliseconds."""
    t0 = time.perf_counter()
    cat = extract_catalog(conn, schema, table_names)
    return cat, (time.perf_counter() - t0) * 1000.0


def list_schemas(conn: DbConnection) -> list[tuple[str, int]]:
    """(schema, tables and views in it) of every user schema of an open connection, by name;
    `[("main", n)]` for SQLite. Raises the driver's error (redacted by the connection)."""
    sql = conn.dialect.schemas_sql()
    if sql is None:
        _, rows = conn.query("SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')")
        return [("main", int(rows[0][0]))]
    _, rows = conn.query(sql)
    return [(str(r[0]), int(r[1])) for r in rows]
