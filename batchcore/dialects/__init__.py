"""One Dialect per database: every piece of SQL whose spelling differs between databases.

`DIALECTS[type]` is the shared instance for a connection type; `dialect_for(type)` raises
ConfigError naming the known types. Modules: base (the Dialect class and the canonical forms
for comparison), types (type families), and one module per database.
"""

from __future__ import annotations

from batchcore.dialects.base import Dialect
from batchcore.dialects.duckdb import DuckDBDialect
from batchcore.dialects.mysql import MySQLDialect
from batchcore.dialects.postgres import PostgresDialect
from batchcore.dialects.snowflake import SnowflakeDialect
from batchcore.dialects.sqlite import SQLiteDialect
from batchcore.dialects.sqlserver import SQLServerDialect
from batchcore.errors import ConfigError

DIALECTS: dict[str, Dialect] = {
    d.name: d
    for d in (
        DuckDBDialect(),
        SQLiteDialect(),
        PostgresDialect(),
        MySQLDialect(),
        SQLServerDialect(),
        SnowflakeDialect(),
    )
}


def dialect_for(conn_type: str) -> Dialect:
    """The Dialect of a connection type. Raises ConfigError naming the known types."""
    try:
        return DIALECTS[conn_type]
    except KeyError:
        raise ConfigError(
            f"unknown connection type {conn_type!r} (known: {', '.join(sorted(DIALECTS))})",
            field="type",
            value=conn_type,
        ) from None


__all__ = ["DIALECTS", "Dialect", "dialect_for"]
