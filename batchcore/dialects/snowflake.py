"""Snowflake: COUNT_IF, REGEXP_LIKE, TO_CHAR with FF6, CONVERT_TIMEZONE, session TIMEZONE,
NUMBER(p, 0) as the integer type. Tested against fakesnow (Snowflake's connector over an
embedded DuckDB); identifiers are case-sensitive as written (unquoted Snowflake names are
stored upper-case: write `ORDERS`, not `orders`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from batchcore.dialects.base import OFFSET_REGEX, Dialect
from batchcore.dialects.types import clean_type, decimal_scale, generic_family

_FMT = "'YYYY-MM-DD HH24:MI:SS.FF6'"


class SnowflakeDialect(Dialect):
    name = "snowflake"
    system_schemas = ("INFORMATION_SCHEMA",)
    sqlglot_name = "snowflake"
    denied_functions = frozenset({"system$"})  # SYSTEM$... functions act on the account

    def count_if(self, cond: str) -> str:
        return f"count_if({cond})"

    def regex_full_match(self, expr: str, pattern: str) -> str:
        # REGEXP_LIKE matches the whole subject already; the anchors are harmless
        return f"regexp_like({self.to_text(expr)}, {self.literal(f'^(?:{pattern})$')})"

    def min_max_expr(self, expr: str, family: str) -> str:
        return f"COLLATE({expr}, '')" if family == "string" else expr

    def text_to_number(self, expr: str, family: str) -> str:
        return f"CAST({expr} AS {'DOUBLE' if family == 'float' else 'NUMBER(38,6)'})"

    def ts_text(self, expr: str, family: str) -> str:
        if family == "timestamptz":
            return f"TO_CHAR(CAST(CONVERT_TIMEZONE('UTC', {expr}) AS TIMESTAMP_NTZ), {_FMT})"
        if family == "string":
            return (
                f"CASE WHEN REGEXP_LIKE({expr}, {self.literal('.*' + OFFSET_REGEX)}) THEN TO_CHAR("
                f"CAST(CONVERT_TIMEZONE('UTC', TO_TIMESTAMP_TZ({expr})) AS TIMESTAMP_NTZ), {_FMT}) "
                f"ELSE TO_CHAR(TO_TIMESTAMP_NTZ({expr}), {_FMT}) END"
            )
        return f"TO_CHAR(CAST({expr} AS TIMESTAMP_NTZ), {_FMT})"

    def now_local_text(self) -> str:
        return f"TO_CHAR(CAST(CURRENT_TIMESTAMP() AS TIMESTAMP_NTZ), {_FMT})"

    def now_utc_text(self) -> str:
        return f"TO_CHAR(SYSDATE(), {_FMT})"

    def type_family(self, raw_type: str) -> str:
        t = clean_type(raw_type)
        if t.startswith("number") and decimal_scale(t) in (None, 0):
            return "integer"
        if t in ("text", "variant", "object", "array"):
            return "string" if t == "text" else "json"
        if t in ("timestamp_ntz", "timestamp_ltz"):
            return "timestamp" if t == "timestamp_ntz" else "timestamptz"
        return generic_family(t) or "other"

    def type_text(self, data_type: str, precision: Any, scale: Any) -> str:
        if data_type.upper() == "NUMBER" and precision is not None:
            return f"NUMBER({int(precision)},{int(scale or 0)})"
        return data_type

    def catalog_extractor(self) -> Callable:
        from batchcore.metadata.extract_snowflake import extract

        return extract

    def session_sql(self, options: dict[str, Any]) -> list[str]:
        tz = options.get("time_zone")
        return [f"ALTER SESSION SET TIMEZONE = {self.literal(str(tz))}"] if tz else []

    def cancel_sql(self, session_id: Any) -> str | None:
        return f"SELECT SYSTEM$CANCEL_ALL_QUERIES({int(session_id)})"
