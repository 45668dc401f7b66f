"""Which tables data generation may write: the permission rule, and the mark on its own tables.

Rule (docs/datagen.md, "Where generation may write"):
- a connection marked `readonly: true` in connections.yaml is never written;
- the shipped `generated` connection may be written; any other needs `allow_generate: true`;
- a table that already exists on the target and was not written by data generation (it lacks
  the mark) is replaced only when the request says `replace_existing: true`.

The mark is `batchcore:generated <schema type> seed <seed>`, kept with the table: its COMMENT in
DuckDB and PostgreSQL, its table comment in MySQL/MariaDB, a comment inside its CREATE TABLE
text in SQLite (which has no table comments but keeps the statement as written).
"""

from __future__ import annotations

from batchcore.dialects import dialect_for
from batchcore.errors import ConfigError
from batchcore.workspace import ConnectionSpec

MARK = "batchcore:generated"
SHIPPED_TARGET = "generated"


def mark_text(schema_type: str, seed: int) -> str:
    """The comment every generated table carries."""
    return f"{MARK} {schema_type} seed {int(seed)}"


def generation_refusal(conn: ConnectionSpec) -> str | None:
    """Why data generation may not write into `conn`, or None when it may."""
    if conn.readonly:
        return f"connection {conn.name!r} is marked readonly: data generation never writes into it"
    if conn.name != SHIPPED_TARGET and not conn.allow_generate:
        return (
            f"connection {conn.name!r} does not allow data generation: add `allow_generate: true` "
            f"to it in connections.yaml (only the shipped {SHIPPED_TARGET!r} connection allows it "
            "without)"
        )
    return None


def check_may_generate(conn: ConnectionSpec, field: str = "target_connection") -> None:
    """Raise ConfigError (not retried) when the rule above forbids writing into `conn`."""
    why = generation_refusal(conn)
    if why:
        raise ConfigError(why, field=field, value=conn.name)


def marks_sql(dialect: str, schema: str | None) -> tuple[str, tuple]:
    """(SQL, params) answering (table name, its comment or CREATE text) of every table and view
    in `schema` (DuckDB, PostgreSQL) or in the connection's database (MySQL, SQLite): the
    Dialect's `table_comments_sql`. Raises ConfigError for a database generation never writes."""
    found = dialect_for(dialect).table_comments_sql(schema)
    if found is None:
        raise ConfigError(f"data generation does not write to {dialect} connections", field="type")
    return found


def foreign_tables(existing: dict[str, str | None], names: list[str]) -> list[str]:
    """Those of `names` that exist (in `existing`: name → comment or CREATE text) without the
    mark: tables data generation did not write."""
    return [n for n in names if n in existing and MARK not in (existing[n] or "")]
