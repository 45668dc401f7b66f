"""SQLite: dynamic types with affinity, Python functions registered on each connection
(REGEXP, md5, hex_to_int, bo_ts_text), no tuple DISTINCT, no time zones (its clock is UTC).

SQLite has no timestamp type: dates and times are text (`2024-03-01 13:00:00`, with or
without `T`, fractions or a UTC offset such as `+01:00`). `bo_ts_text` reads such text with
Python's `datetime.fromisoformat`, so a value with an offset is an instant (written in UTC),
a naive one stays as written, microseconds are kept, and a text that is not a date/time comes
back unchanged (it then equals only the same text).
"""

from __future__ import annotations

import hashlib
import math
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from batchcore.dialects.base import SCALE_DIGITS, Dialect
from batchcore.dialects.types import clean_type, generic_family

_REGEX_CACHE: dict[str, re.Pattern] = {}


def regexp(pattern: str | None, value: Any) -> int | None:
    """`value REGEXP pattern` (SQLite has the operator but no function behind it)."""
    if pattern is None or value is None:
        return None
    rx = _REGEX_CACHE.get(pattern)
    if rx is None:
        rx = _REGEX_CACHE.setdefault(pattern, re.compile(pattern))
    return 1 if rx.search(str(value)) else 0


def md5(value: Any) -> str | None:
    """md5 hex digest of the UTF-8 text of `value` (NULL stays NULL), as the other databases give."""
    if value is None:
        return None
    return hashlib.md5(str(value).encode("utf-8")).hexdigest()


def hex_to_int(h: str | None) -> int | None:
    """A hex text as an integer."""
    return None if h is None else int(h, 16)


def frame(text: Any) -> str:
    """Dialect.frame in one call: `<length>:<text>`, `-` for NULL."""
    if text is None:
        return "-"
    text = str(text)
    return f"{len(text)}:{text}"


def float_text(value: Any) -> str | None:
    """Dialect.float_text of a SQLite value read as a double: `0`, `inf`, `-inf`, `nan` or
    `<e>:<s>` with e = floor(log2 |x|), s = x · 2^(53 − e) (exact, by math.frexp)."""
    if value is None:
        return None
    x = float(value)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    e = math.frexp(x)[1] - 1
    return f"{e}:{int(math.ldexp(x, 53 - e))}"


def decimal_text(value: Any, scale: int) -> str | None:
    """Dialect.decimal_text of a SQLite REAL (or number text): fixed-point text with exactly
    `scale` decimals of the double's shortest text (repr), rounded half away from zero as the
    other databases' DECIMAL casts round; -0 → 0. (printf('%.12f') writes a double's binary
    digits: 99999.9999999999 → 99999.999999999880, not what the other databases hold.)"""
    if value is None:
        return None
    x = float(value)
    if not math.isfinite(x):
        return str(x)  # SQLite's ±9e999: no decimal text (another database errors on it)
    d = Decimal(repr(x)).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    return format(d.copy_abs() if d == 0 else d, "f")


def canonical_ts_text(value: Any) -> str | None:
    """`YYYY-MM-DD HH:MM:SS.ffffff` of a date/time text (an offset converted to UTC); a value
    that is not a date/time as its text."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    text = str(value).strip()
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return text
    if isinstance(ts, datetime) and ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    elif not isinstance(ts, datetime) and isinstance(ts, date):
        ts = datetime(ts.year, ts.month, ts.day)
    return ts.isoformat(sep=" ", timespec="microseconds")


class ExactSum:
    """SQLite aggregate `bo_sum`: integers added exactly (SQLite's sum() raises "integer
    overflow" past 2^63; the total comes back as text when it does not fit a 64-bit integer),
    anything else as SQLite's sum() adds it (doubles; inf + -inf is the text 'NaN', as SQLite
    stores no NaN)."""

    def __init__(self) -> None:
        self.ints = 0
        self.floats: list[float] = []
        self.seen = False

    def step(self, value: Any) -> None:
        if value is None:
            return
        self.seen = True
        if isinstance(value, int):
            self.ints += value
        else:
            self.floats.append(float(value))

    def finalize(self) -> int | float | str | None:
        if not self.seen:
            return None
        if self.floats:
            total = float(self.ints) + sum(self.floats)
            return "NaN" if math.isnan(total) else total  # SQLite turns a NaN into NULL
        return self.ints if -(2**63) <= self.ints < 2**63 else str(self.ints)


class SQLiteDialect(Dialect):
    name = "sqlite"

    pull_us_per_value = 1.0
    checksum_us_per_value = 4.0
    file_based = True
    sqlglot_name = "sqlite"
    # extensions and files (the CLI's readfile/writefile, should a build register them)
    denied_functions = frozenset(
        {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
    )
    native_timestamps = False

    def schemas_sql(self) -> None:
        """SQLite has one schema, `main`: nothing to list."""
        return None

    def literal(self, value: Any) -> str:
        if isinstance(value, bool):
            return "1" if value else "0"
        return super().literal(value)

    def to_text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def count_if(self, cond: str) -> str:
        return f"count(*) FILTER (WHERE {cond})"

    def regex_full_match(self, expr: str, pattern: str) -> str:
        return f"({self.to_text(expr)} REGEXP {self.literal(f'^(?:{pattern})$')})"

    def bool_to_int(self, expr: str) -> str:
        return f"CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} <> 0 THEN 1 ELSE 0 END"

    def sum_expr(self, expr: str) -> str:
        return f"bo_sum({expr})"

    def hex_to_int(self, hex_expr: str) -> str:
        return f"hex_to_int({hex_expr})"

    def decimal_text(self, expr: str, scale: int = SCALE_DIGITS) -> str:
        # integers exactly (a REAL has 53 bits); reals by their shortest text (bo_decimal_text)
        zeros = "." + "0" * scale if scale else ""
        return (
            f"CASE WHEN typeof({expr}) = 'integer' THEN CAST({expr} AS TEXT) || '{zeros}' "
            f"WHEN {expr} IS NOT NULL THEN bo_decimal_text(CAST({expr} AS REAL), {scale}) END"
        )

    def float_text(self, expr: str) -> str:
        return f"bo_float_text(CAST({expr} AS REAL))"

    def float_special_text(self, expr: str) -> str | None:
        # SQLite stores no NaN (it becomes NULL), but ±Inf are REALs (9e999)
        return f"WHEN {expr} = 9e999 THEN 'inf' WHEN {expr} = -9e999 THEN '-inf'"

    def stored_kinds(self, expr: str) -> str | None:
        # type affinity: an INTEGER, NUMERIC or untyped column may hold REAL 4.5 or TEXT '4.5'
        return f"max(typeof({expr}) = 'real') + 2 * max(typeof({expr}) IN ('text', 'blob'))"

    def not_number_text(self, expr: str) -> str:
        # integers and reals are numbers whatever their text (a REAL's text may be 1.0e+20)
        return (
            f"(typeof({expr}) IN ('text', 'blob') AND NOT "
            f"{self.regex_full_match(expr, self.NUMBER_TEXT)})"
        )

    def text_to_number(self, expr: str, family: str) -> str:
        return f"CAST({expr} AS {'REAL' if family == 'float' else 'NUMERIC'})"

    def ts_text(self, expr: str, family: str) -> str:
        # the two commonest shapes are written out in SQL (a Python call costs ~4 µs a row);
        # anything else (offsets, fractions, other spellings) goes through bo_ts_text
        e = expr
        text = f"typeof({e}) = 'text' AND substr({e}, 5, 1) = '-' AND substr({e}, 8, 1) = '-'"
        return (
            f"CASE WHEN {text} AND length({e}) = 19 AND substr({e}, 11, 1) IN (' ', 'T') "
            f"AND substr({e}, 14, 1) = ':' AND substr({e}, 17, 1) = ':' "
            f"THEN substr({e}, 1, 10) || ' ' || substr({e}, 12) || '.000000' "
            f"WHEN {text} AND length({e}) = 10 THEN {e} || ' 00:00:00.000000' "
            f"ELSE bo_ts_text({e}) END"
        )

    def frame(self, text: str) -> str:
        return f"bo_frame({text})"

    def framed_concat(self, texts) -> str:
        # the texts are column references: framing them in SQL costs less than a Python call
        # each (bench/rowdiff.py); bo_frame stays for expressions (computed once in the call)
        return self.concat([f"coalesce(length({t}) || ':' || {t}, '-')" for t in texts])

    def now_local_text(self) -> str:
        return "bo_ts_text(strftime('%Y-%m-%d %H:%M:%f', 'now'))"

    local_clock_is_utc = True

    def now_utc_text(self) -> str:
        return self.now_local_text()

    def type_family(self, raw_type: str) -> str:
        """Declared types by the common rules, else SQLite's affinity rules
        (https://www.sqlite.org/datatype3.html §3.1): INT → integer; CHAR/CLOB/TEXT → string;
        BLOB or none → binary; REAL/FLOA/DOUB → float; otherwise decimal (NUMERIC)."""
        t = clean_type(raw_type)
        fam = generic_family(t)
        if fam:
            return fam
        if "int" in t:
            return "integer"
        if any(k in t for k in ("char", "clob", "text")):
            return "string"
        if t == "" or "blob" in t:
            return "binary"
        if any(k in t for k in ("real", "floa", "doub")):
            return "float"
        return "decimal"

    def describe_columns(self, conn, schema: str | None, table: str) -> list[tuple[str, str]]:
        prefix = f"{self.quote(schema)}." if schema else ""
        _, rows = conn.query(f"PRAGMA {prefix}table_info({self.quote(table)})")
        return [(str(r[1]), r[2] or "") for r in rows]

    def catalog_extractor(self) -> Callable:
        from batchcore.metadata.extract_sqlite import extract

        return extract

    schemas_in_database = False  # only attached databases

    def column_type(self, duck_type: str) -> str:
        return "TEXT" if duck_type == "VARCHAR" else duck_type

    def generated_value(self, duck_expr: str, duck_type: str) -> str:
        if duck_type == "BOOLEAN":
            return f"CAST({duck_expr} AS INTEGER)"
        if duck_type.startswith("DECIMAL"):
            return (
                f"CAST({duck_expr} AS DOUBLE)"  # SQLite stores REAL; DuckDB's Decimal is not bound
            )
        if duck_type == "DATE":
            return f"CAST({duck_expr} AS VARCHAR)"
        return duck_expr

    def read_only_sql(self) -> list[str]:
        return ["PRAGMA query_only = ON"]

    def create_table_sql(self, table: str, columns: str, comment: str = "") -> str:
        # no table comments in SQLite, but sqlite_master.sql keeps the statement as written
        inner = f"/* {comment.replace('*/', '')} */ " if comment else ""
        return f"CREATE TABLE {table} ({inner}{columns})"

    def table_comment_sql(self, table: str, comment: str) -> str | None:
        return None  # part of CREATE TABLE

    def table_comments_sql(self, schema: str | None) -> tuple[str, tuple] | None:
        return "SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'view')", ()

    def register_functions(self, con: sqlite3.Connection) -> None:
        """Register the Python functions this dialect's SQL calls on a new connection."""
        con.create_function("regexp", 2, regexp, deterministic=True)
        con.create_function("md5", 1, md5, deterministic=True)
        con.create_function("hex_to_int", 1, hex_to_int, deterministic=True)
        con.create_function("bo_ts_text", 1, canonical_ts_text, deterministic=True)
        con.create_function("bo_frame", 1, frame, deterministic=True)
        con.create_function("bo_float_text", 1, float_text, deterministic=True)
        con.create_function("bo_decimal_text", 2, decimal_text, deterministic=True)
        con.create_aggregate("bo_sum", 1, ExactSum)
