"""Dialect-specific SQL fragments used by the check compiler and the cross-database comparison.

Each function takes a `Dialect` (from `batchcore.connections`) and returns SQL text. Dialects
covered for real: duckdb, sqlite, postgres, mysql; sqlserver and snowflake get the ANSI spelling.
"""

from __future__ import annotations

from batchcore.connections import Dialect
from batchcore.errors import ConfigError


def count_if(d: Dialect, cond: str) -> str:
    """Rows where `cond` is TRUE (NULL counts as not true). 0 on an empty input, never NULL."""
    if d.name in ("duckdb", "postgres", "sqlite"):
        return f"count(*) FILTER (WHERE {cond})"
    return f"coalesce(sum(CASE WHEN {cond} THEN 1 ELSE 0 END), 0)"


def regex_full_match(d: Dialect, expr: str, pattern: str) -> str:
    """TRUE when the whole text of `expr` matches `pattern`; NULL when `expr` is NULL.

    The pattern is anchored as `^(?:pattern)$`: write portable syntax (character classes,
    `\\d`, `{m,n}`, alternation) since each database uses its own regex engine.
    """
    anchored = d.literal(f"^(?:{pattern})$")
    text = to_text(d, expr)
    if d.name == "duckdb":
        return f"regexp_full_match({text}, {d.literal(pattern)})"
    if d.name == "postgres":
        return f"({text} ~ {anchored})"
    if d.name in ("mysql", "sqlite"):
        return f"({text} REGEXP {anchored})"
    return f"regexp_like({text}, {anchored})"


def to_text(d: Dialect, expr: str) -> str:
    """`expr` cast to the dialect's text type."""
    if d.name == "mysql":
        return f"CAST({expr} AS CHAR)"
    if d.name in ("postgres", "sqlite"):
        return f"CAST({expr} AS TEXT)"
    return f"CAST({expr} AS VARCHAR)"


def now_utc(d: Dialect) -> str:
    """The database's current time (its own clock), as a UTC timestamp."""
    if d.name == "sqlite":
        return "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    if d.name == "mysql":
        return "UTC_TIMESTAMP(6)"
    if d.name in ("postgres", "duckdb"):
        return "(now() AT TIME ZONE 'UTC')"
    return "CURRENT_TIMESTAMP"


def hex_to_int(d: Dialect, hex_expr: str) -> str:
    """An up-to-15-hex-digit text (`0-9a-f`) as a BIGINT, same number in every dialect."""
    if d.name == "duckdb":
        return f"CAST(('0x' || {hex_expr}) AS BIGINT)"
    if d.name == "postgres":
        return f"(('x' || lpad({hex_expr}, 16, '0'))::bit(64)::bigint)"
    if d.name == "mysql":
        return f"CAST(CONV({hex_expr}, 16, 10) AS SIGNED)"
    if d.name == "sqlite":
        return f"hex_to_int({hex_expr})"
    raise ConfigError(
        f"segmented row_diff is not available on {d.name} connections", field="type", value=d.name
    )


def concat(d: Dialect, parts: list[str]) -> str:
    """Text concatenation of `parts` (none of them NULL: wrap with coalesce first)."""
    if len(parts) == 1:
        return parts[0]
    if d.name == "mysql":
        return f"CONCAT({', '.join(parts)})"
    return " || ".join(f"({p})" for p in parts)


def canonical_text(d: Dialect, expr: str, family: str) -> str:
    """A text for `expr` that is identical across dialects when the values are equal.

    Used for segment checksums and hash buckets of `row_diff`. Families (see catalog.py):
    integer and boolean as decimal digits; string as is; date and timestamp as
    `YYYY-MM-DD HH:MM:SS` in UTC (a DATE is its midnight); NULL as `\\N`. Float and decimal columns
    are written as round(value × 10^6) in decimal digits: equal within 10^-6 gives equal text
    (a rounding tie may differ between databases, which only makes a segment be compared row by
    row).
    """
    if family in ("float", "decimal"):
        target = "INTEGER" if d.name == "sqlite" else "DECIMAL(38,0)"
        inner = to_text(d, f"CAST(round({expr} * 1000000) AS {target})")
    elif family in ("integer",):
        inner = to_text(d, f"CAST({expr} AS {'SIGNED' if d.name == 'mysql' else 'BIGINT'})")
    elif family == "boolean":
        inner = f"CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} THEN '1' ELSE '0' END"
    elif family in ("date", "timestamp"):
        inner = _ts_text(d, expr)
    elif family == "timestamptz":
        inner = _ts_text(
            d, expr if d.name in ("mysql", "sqlite") else f"({expr} AT TIME ZONE 'UTC')"
        )
    else:
        inner = to_text(d, expr)
    return f"coalesce({inner}, '\\N')" if d.name != "mysql" else f"coalesce({inner}, '\\\\N')"


def _ts_text(d: Dialect, expr: str) -> str:
    # microseconds: 6 digits everywhere; SQLite keeps milliseconds, padded with 000
    if d.name == "duckdb":
        return f"strftime(CAST({expr} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f')"
    if d.name == "postgres":
        return f"to_char(CAST({expr} AS TIMESTAMP), 'YYYY-MM-DD HH24:MI:SS.US')"
    if d.name == "mysql":
        return f"DATE_FORMAT({expr}, '%Y-%m-%d %H:%i:%s.%f')"
    if d.name == "sqlite":
        return f"(strftime('%Y-%m-%d %H:%M:%S.', {expr}) || substr(strftime('%f', {expr}), 4) || '000')"
    return to_text(d, expr)


def char_length(d: Dialect, expr: str) -> str:
    """Length of a text in characters."""
    return f"CHAR_LENGTH({expr})" if d.name == "mysql" else f"length({expr})"


def row_checksum_text(d: Dialect, parts: list[tuple[str, str]]) -> str:
    """An unambiguous text of several columns: each canonical text prefixed by its length and ':'.

    `parts` is [(quoted column expression, family)]. Length prefixes make ('a|', 'b') and
    ('a', '|b') different, which a plain separator would not.
    """
    pieces = []
    for expr, fam in parts:
        t = canonical_text(d, expr, fam)
        pieces += [to_text(d, char_length(d, t)), "':'", t]
    return concat(d, pieces)


def min_max_expr(d: Dialect, expr: str, family: str) -> str:
    """`expr` prepared for min()/max() so text orders by code point in every dialect."""
    if family != "string":
        return expr
    if d.name == "postgres":
        return f'({expr} COLLATE "C")'
    if d.name == "mysql":
        return f"CAST({expr} AS CHAR) COLLATE utf8mb4_bin"
    return expr


def distinct_expr(d: Dialect, expr: str, family: str) -> str:
    """`expr` prepared for count(DISTINCT ...): byte-exact text in MySQL."""
    return f"BINARY {expr}" if d.name == "mysql" and family == "string" else expr
