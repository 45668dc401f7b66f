"""Table columns per dialect and the type families that make types comparable across databases.

`describe_table(conn, table)` answers the columns of a table in order; `type_family(dialect,
raw_type)` maps a database type to one family: integer, decimal, float, string, boolean, date,
timestamp, timestamptz, time, binary, interval, json, other. `schema_match` compares families,
`row_diff` normalises values with them. SQLite uses its declared types (affinity rules of
https://www.sqlite.org/datatype3.html §3.1 for names it does not know).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from batchcore.connections import DbConnection
from batchcore.errors import NotFound

FAMILIES = (
    "integer",
    "decimal",
    "float",
    "string",
    "boolean",
    "date",
    "timestamp",
    "timestamptz",
    "time",
    "binary",
    "interval",
    "json",
    "other",
)


@dataclass(frozen=True)
class ColumnInfo:
    """One column: `name`, the database's `type` text, its `family`, and `scale` for decimals."""

    name: str
    type: str
    family: str
    scale: int | None = None


_PATTERNS: list[tuple[str, str]] = [
    (
        r"^(tiny|small|medium|big|hug|u?)?int(eger)?\d*(\(\d+\))?( unsigned)?$|^(u?(tiny|small|big|huge)?int)$|^(int2|int4|int8|serial|bigserial|smallserial|long|short|byte|utinyint|usmallint|uinteger|ubigint|uhugeint)$",
        "integer",
    ),
    (r"^tinyint\(1\)$|^bool(ean)?$|^bit$", "boolean"),
    (r"^(decimal|numeric|number|dec|fixed|money)(\(.*\))?( unsigned)?$", "decimal"),
    (r"^(float\d*|double( precision)?|real|float4|float8)(\(.*\))?( unsigned)?$", "float"),
    (
        r"^(var)?char(acter)?( varying)?(\(\d+\))?$|^(tiny|medium|long)?text$|^string$|^varchar2?$|^n(var)?char(\(\d+\))?$|^clob$|^uuid$|^enum\(.*\)$|^set\(.*\)$|^name$|^citext$|^bpchar(\(\d+\))?$",
        "string",
    ),
    (r"^date$", "date"),
    (
        r"^(timestamp|datetime)(\(\d\))?( without time zone)?$|^timestamp_(s|ms|ns)$|^datetime2$",
        "timestamp",
    ),
    (
        r"^(timestamp(\(\d\))? with time zone|timestamptz|timestamp_tz|datetimeoffset)$",
        "timestamptz",
    ),
    (r"^time(\(\d\))?( with(out)? time zone)?$|^timetz$", "time"),
    (r"^(blob|bytea|binary|varbinary|(tiny|medium|long)blob)(\(\d+\))?$", "binary"),
    (r"^interval.*$", "interval"),
    (r"^jsonb?$", "json"),
]
_COMPILED = [(re.compile(p), fam) for p, fam in _PATTERNS]
_SCALE = re.compile(r"\(\s*\d+\s*,\s*(\d+)\s*\)")


def type_family(dialect: str, raw_type: str) -> str:
    """The family of a database type name, e.g. `BIGINT` → integer, `DECIMAL(12,2)` → decimal.

    MySQL's `tinyint(1)` is boolean. In SQLite an unknown declared type follows affinity:
    contains INT → integer; CHAR/CLOB/TEXT → string; BLOB or empty → binary; REAL/FLOA/DOUB →
    float; otherwise decimal (NUMERIC affinity).
    """
    t = " ".join(str(raw_type or "").strip().lower().split())
    if dialect == "mysql" and t.startswith("tinyint(1)"):
        return "boolean"
    for rx, fam in _COMPILED:
        if rx.match(t):
            return fam
    if dialect == "sqlite":
        if "int" in t:
            return "integer"
        if any(k in t for k in ("char", "clob", "text")):
            return "string"
        if t == "" or "blob" in t:
            return "binary"
        if any(k in t for k in ("real", "floa", "doub")):
            return "float"
        return "decimal"
    return "other"


def decimal_scale(raw_type: str) -> int | None:
    """The scale of `DECIMAL(p, s)` (None when the type has none)."""
    m = _SCALE.search(str(raw_type))
    return int(m.group(1)) if m else None


def table_label(schema: str | None, name: str) -> str:
    """A table as a pipeline writes it, for messages: `nycflights.flights`; a part holding a dot
    (or a double quote) in double quotes, `retail."v1.2"`."""

    def part(p: str) -> str:
        return '"' + p.replace('"', '""') + '"' if "." in p or '"' in p else p

    return f"{part(schema)}.{part(name)}" if schema else part(name)


def describe_table(conn: DbConnection, table: str) -> list[ColumnInfo]:
    """The columns of `table` in ordinal order. Raises NotFound when the table does not exist.

    Uses `information_schema.columns` (DuckDB, PostgreSQL: in the connection's `options.schema`
    or the current schema; MySQL: the URL's database) or `PRAGMA table_info` (SQLite).
    """
    d = conn.dialect
    lit = d.literal
    schema, name = conn.split_table(table)
    if d.name == "sqlite":
        prefix = f"{d.quote(schema)}." if schema else ""
        _, rows = conn.query(f"PRAGMA {prefix}table_info({d.quote(name)})")
        cols = [(r[1], r[2] or "") for r in rows]
    else:
        if d.name == "mysql":
            schema_cond = f"table_schema = {lit(schema)}" if schema else "table_schema = DATABASE()"
            sql = (
                f"SELECT column_name, column_type FROM information_schema.columns "
                f"WHERE {schema_cond} AND table_name = {lit(name)} ORDER BY ordinal_position"
            )
        else:
            schema_cond = (
                f"table_schema = {lit(schema)}" if schema else "table_schema = current_schema()"
            )
            extra = " AND table_catalog = current_database()" if d.name == "duckdb" else ""
            sql = (
                f"SELECT column_name, data_type, numeric_scale FROM information_schema.columns "
                f"WHERE {schema_cond} AND table_name = {lit(name)}{extra} ORDER BY ordinal_position"
            )
        _, rows = conn.query(sql)
        cols = []
        for r in rows:
            raw = str(r[1])
            if d.name == "postgres" and raw == "numeric" and r[2] is not None:
                raw = f"numeric(38,{int(r[2])})"
            cols.append((r[0], raw))
    if not cols:
        raise NotFound(
            f"table {table_label(schema, name)!r} not found in connection {conn.name} ({d.name})",
            field="table",
            value=table,
        )
    out = []
    for name, raw in cols:
        fam = type_family(d.name, raw)
        out.append(
            ColumnInfo(str(name), raw, fam, decimal_scale(raw) if fam == "decimal" else None)
        )
    return out
