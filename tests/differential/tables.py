"""Physical tables for the differential harness: column types per database, and values written
as each database stores them.

A generated column has a *logical kind* (what its values are) and, per side, a *type key*
(what the column is declared as in that side's database): `int`, `dec` (6 decimals), `dec10` /
`dec12` (DECIMAL(38,10) / NUMERIC(30,12)), `float`, `text`,
`date`, `ts` (naive timestamp), `tstz` (an instant: TIMESTAMPTZ, MySQL TIMESTAMP, and in SQLite,
which has no timestamp type, TEXT holding a UTC offset), `tstext` (TEXT holding a UTC offset in
every database) and `bool`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

DBS = ("duckdb", "sqlite", "postgres", "mysql")

# type key -> declared SQL type, per database
TYPES: dict[str, dict[str, str]] = {
    "duckdb": {
        "intaff": "BIGINT",
        "numaff": "DECIMAL(38,6)",
        "untyped": "DOUBLE",
        "int": "BIGINT",
        "dec": "DECIMAL(38,6)",
        "dec10": "DECIMAL(38,10)",
        "dec12": "DECIMAL(30,12)",
        "float": "DOUBLE",
        "text": "VARCHAR",
        "date": "DATE",
        "ts": "TIMESTAMP",
        "tstz": "TIMESTAMPTZ",
        "tstext": "VARCHAR",
        "bool": "BOOLEAN",
    },
    "sqlite": {
        "intaff": "INTEGER",  # type affinity: may hold REAL 4.5 and TEXT 'abc'
        "numaff": "NUMERIC",
        "untyped": "",  # no declared type: values stay as written (TEXT ' 3' too)
        "int": "INTEGER",
        "dec": "NUMERIC(38,6)",
        "dec10": "NUMERIC(38,10)",
        "dec12": "NUMERIC(30,12)",
        "float": "REAL",
        "text": "TEXT",
        "date": "DATE",
        "ts": "TIMESTAMP",
        "tstz": "TEXT",
        "tstext": "TEXT",
        "bool": "BOOLEAN",
    },
    "postgres": {
        "intaff": "BIGINT",
        "numaff": "NUMERIC(38,6)",
        "untyped": "DOUBLE PRECISION",
        "int": "BIGINT",
        "dec": "NUMERIC(38,6)",
        "dec10": "NUMERIC(38,10)",
        "dec12": "NUMERIC(30,12)",
        "float": "DOUBLE PRECISION",
        "text": "TEXT",
        "date": "DATE",
        "ts": "TIMESTAMP",
        "tstz": "TIMESTAMPTZ",
        "tstext": "TEXT",
        "bool": "BOOLEAN",
    },
    "mysql": {
        "intaff": "BIGINT",
        "numaff": "DECIMAL(38,6)",
        "untyped": "DOUBLE",
        "int": "BIGINT",
        "dec": "DECIMAL(38,6)",
        "dec10": "DECIMAL(38,10)",
        "dec12": "DECIMAL(30,12)",
        "float": "DOUBLE",
        "text": "VARCHAR(200)",
        "date": "DATE",
        "ts": "DATETIME(6)",
        "tstz": "TIMESTAMP(6) NULL",
        "tstext": "VARCHAR(200)",
        "bool": "BOOLEAN",
    },
}

# type key -> the family docs/checks.md gives that declared type (the oracle's own table, not
# the product's type_family)
FAMILY = {
    "intaff": "integer",
    "numaff": "decimal",
    "untyped": "float",  # DOUBLE outside SQLite
    "int": "integer",
    "dec": "decimal",
    "dec10": "decimal",
    "dec12": "decimal",
    "float": "float",
    "text": "string",
    "date": "date",
    "ts": "timestamp",
    "tstz": "timestamptz",
    "tstext": "string",
    "bool": "boolean",
}


def family(db: str, type_key: str) -> str:
    """The documented family of a type key in database `db` (SQLite's tstz is TEXT)."""
    if db == "sqlite" and type_key == "tstz":
        return "string"
    if db == "sqlite" and type_key == "untyped":
        return "binary"  # SQLite's affinity rules: no declared type is BLOB affinity
    return FAMILY[type_key]


@dataclass(frozen=True)
class NumText:
    """A number written as `text` in a text column and as `value` in a number column."""

    value: Decimal
    text: str

    def __repr__(self) -> str:
        return f"NumText({self.text!r})"


@dataclass(frozen=True)
class TzText:
    """An instant written as `text` (with its UTC offset) in a text column, as the instant in
    a TIMESTAMPTZ, and as its UTC wall time in a naive or MySQL TIMESTAMP column."""

    value: dt.datetime  # aware
    text: str

    def __repr__(self) -> str:
        return f"TzText({self.text!r})"


def _utc_text(v: dt.datetime) -> str:
    return v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")


def literal(db: str, dialect, type_key: str, v: Any) -> str:
    """SQL literal writing logical value `v` into a column of `type_key` in `db`."""
    if v is None:
        return "NULL"
    if isinstance(v, NumText):
        if type_key in ("text", "tstext") or (
            db == "sqlite" and type_key in ("intaff", "numaff", "untyped")
        ):
            return dialect.literal(v.text)
        v = v.value if type_key != "int" else int(v.value)
    if isinstance(v, TzText):
        if type_key in ("text", "tstext") or (type_key == "tstz" and db == "sqlite"):
            return dialect.literal(v.text)
        if type_key == "tstz" and db in ("postgres", "duckdb"):
            return f"CAST({dialect.literal(v.text)} AS {TYPES[db]['tstz']})"
        return dialect.literal(_utc_text(v.value))  # naive column, MySQL TIMESTAMP (+00:00)
    if isinstance(v, bool):
        if type_key == "bool" and db in ("postgres", "duckdb"):
            return "TRUE" if v else "FALSE"
        return "1" if v else "0"
    if isinstance(v, dt.datetime):
        return dialect.literal(v.isoformat(sep=" "))
    if isinstance(v, dt.date):
        if type_key in ("ts",):
            return dialect.literal(f"{v.isoformat()} 00:00:00")
        return dialect.literal(v.isoformat())
    if isinstance(v, float) and not math.isfinite(v):
        if db == "mysql" or (db == "sqlite" and math.isnan(v)):
            return "NULL"  # MySQL stores no NaN/Inf, SQLite no NaN (the oracle reads what is)
        if db == "sqlite":
            return "9e999" if v > 0 else "-9e999"
        return f"CAST({dialect.literal(repr(v))} AS {_float_type(db)})"
    if isinstance(v, float):
        if type_key in ("float", "dec"):
            return f"CAST({dialect.literal(repr(v))} AS {_float_type(db)})"
        return repr(v)
    if isinstance(v, Decimal):
        if type_key == "float":
            return f"CAST({dialect.literal(repr(float(v)))} AS {_float_type(db)})"
        return str(v)
    if isinstance(v, int):
        return str(v)
    return dialect.literal(str(v))


def _float_type(db: str) -> str:
    return {"sqlite": "REAL", "postgres": "DOUBLE PRECISION"}.get(db, "DOUBLE")


def create_and_fill(conn, table: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
    """(Re)create `table` = [(name, type key)] on `conn` and insert `rows` (logical values)."""
    d = conn.dialect
    db = d.name
    ref = conn.table_ref(table)
    conn.execute(f"DROP TABLE IF EXISTS {ref}")
    cols = ", ".join(f"{d.quote(c)} {TYPES[db][t]}" for c, t in columns)
    tail = " CHARACTER SET utf8mb4" if db == "mysql" else ""
    conn.execute(f"CREATE TABLE {ref} ({cols}){tail}")
    if rows:
        values = ", ".join(
            "("
            + ", ".join(literal(db, d, t, v) for (_, t), v in zip(columns, r, strict=True))
            + ")"
            for r in rows
        )
        conn.execute(f"INSERT INTO {ref} VALUES {values}")


def drop(conn, table: str) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {conn.table_ref(table)}")
