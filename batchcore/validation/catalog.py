"""The columns of a table, each with its type family (batchcore.dialects.types.FAMILIES).

`describe_table(conn, table)` answers the columns of a table in order, typed by the
connection's Dialect (`describe_columns`, `type_family`). `schema_match` compares families,
`row_diff` normalises values with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchcore.connections import DbConnection
from batchcore.dialects.types import FAMILIES, decimal_scale
from batchcore.errors import NotFound

__all__ = ["FAMILIES", "ColumnInfo", "describe_table", "table_label"]


@dataclass(frozen=True)
class ColumnInfo:
    """One column: `name`, the database's `type` text, its `family`, and `scale` for decimals."""

    name: str
    type: str
    family: str
    scale: int | None = None


def table_label(schema: str | None, name: str) -> str:
    """A table as a pipeline writes it, for messages: `nycflights.flights`; a part holding a dot
    (or a double quote) in double quotes, `retail."v1.2"`."""

    def part(p: str) -> str:
        return '"' + p.replace('"', '""') + '"' if "." in p or '"' in p else p

    return f"{part(schema)}.{part(name)}" if schema else part(name)


def describe_table(conn: DbConnection, table: str) -> list[ColumnInfo]:
    """The columns of `table` in ordinal order (the Dialect's catalog query, in the connection's
    `options.schema` or the current schema). Raises NotFound when the table does not exist."""
    d = conn.dialect
    schema, name = conn.split_table(table)
    cols = d.describe_columns(conn, schema, name)
    if not cols:
        raise NotFound(
            f"table {table_label(schema, name)!r} not found in connection {conn.name} ({d.name})",
            field="table",
            value=table,
        )
    out = []
    for col, raw in cols:
        fam = d.type_family(raw)
        out.append(ColumnInfo(col, raw, fam, decimal_scale(raw) if fam == "decimal" else None))
    return out
