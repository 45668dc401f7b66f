"""DuckDB: FILTER aggregates, regexp_full_match, ANTI JOIN, bitmap distinct counts, ICU time zones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from batchcore.dialects.base import OFFSET_REGEX, SCALE_DIGITS, Dialect

_FMT = "'%Y-%m-%d %H:%M:%S.%f'"


class DuckDBDialect(Dialect):
    name = "duckdb"
    system_schemas = ("information_schema", "pg_catalog")
    pull_us_per_value = 0.1
    checksum_us_per_value = 0.75
    file_based = True
    sqlglot_name = "duckdb"
    file_named_tables = True  # FROM 'x.csv' and FROM "x.csv" read the file
    # files (every reader, glob, scans of other databases), SQL given as text, settings
    # (DuckDB files are also opened without external access: connections.DUCKDB_CONFIG)
    denied_functions = frozenset(
        {
            "read_",
            "parquet_",
            "csv_scan",
            "sniff_csv",
            "glob",
            "query",
            "query_table",
            "getenv",
            "sqlite_scan",
            "sqlite_attach",
            "postgres_",
            "mysql_",
            "iceberg_",
            "delta_scan",
            "duckdb_secrets",
            "current_setting",
        }
    )
    bitmap_distinct = True
    describe_filter = " AND table_catalog = current_database()"

    def count_if(self, cond: str) -> str:
        return f"count(*) FILTER (WHERE {cond})"

    def regex_full_match(self, expr: str, pattern: str) -> str:
        return f"regexp_full_match({self.to_text(expr)}, {self.literal(pattern)})"

    def bitmap_distinct_count(self, packed: str, bits: int) -> str | None:
        return f"coalesce(bit_count(bitstring_agg({packed}, 0, {bits - 1})), 0)"

    def anti_join(self, left: str, right: str, on: str) -> str | None:
        return f"{left} ANTI JOIN {right} ON {on}"

    def hex_to_int(self, hex_expr: str) -> str:
        return f"CAST(('0x' || {hex_expr}) AS BIGINT)"

    def decimal_text(self, expr: str, scale: int = SCALE_DIGITS) -> str:
        # through the value's text: DuckDB's DOUBLE → DECIMAL cast is off in the last digits
        # (-98765432109876.5 → -98765432109876.494336), so two doubles could share a text
        return self.to_text(f"CAST(CAST({expr} AS VARCHAR) AS DECIMAL(38,{scale}))")

    def float_special_text(self, expr: str) -> str | None:
        x = f"CAST({expr} AS DOUBLE)"
        return (
            f"WHEN isnan({x}) THEN 'nan' WHEN isinf({x}) AND {x} > 0 THEN 'inf' "
            f"WHEN isinf({x}) THEN '-inf'"
        )

    def text_to_number(self, expr: str, family: str) -> str:
        return f"CAST({expr} AS {'DOUBLE' if family == 'float' else 'DECIMAL(38,6)'})"

    def ts_text(self, expr: str, family: str) -> str:
        if family == "timestamptz":
            return f"strftime(timezone('UTC', {expr}), {_FMT})"
        if family == "string":
            return (
                f"CASE WHEN regexp_matches({expr}, {self.literal(OFFSET_REGEX)}) "
                f"THEN strftime(timezone('UTC', CAST({expr} AS TIMESTAMPTZ)), {_FMT}) "
                f"ELSE strftime(CAST({expr} AS TIMESTAMP), {_FMT}) END"
            )
        return f"strftime(CAST({expr} AS TIMESTAMP), {_FMT})"

    def now_local_text(self) -> str:
        # follows the session's TimeZone setting: options.time_zone, else DuckDB's default
        # (the server process's zone, from its TZ environment)
        return f"strftime(current_localtimestamp(), {_FMT})"

    def session_zone_sql(self) -> str | None:
        return "current_setting('TimeZone')"

    def session_sql(self, options: dict[str, Any]) -> list[str]:
        tz = options.get("time_zone")
        return [f"SET TimeZone = {self.literal(str(tz))}"] if tz else []

    def now_utc_text(self) -> str:
        return f"strftime(timezone('UTC', now()), {_FMT})"

    def catalog_extractor(self) -> Callable:
        from batchcore.metadata.extract_duckdb import extract

        return extract

    def table_comments_sql(self, schema: str | None) -> tuple[str, tuple] | None:
        return (
            "SELECT table_name, comment FROM duckdb_tables() "
            "WHERE schema_name = ? AND database_name = current_database() "
            "UNION ALL SELECT view_name, comment FROM duckdb_views() "
            "WHERE schema_name = ? AND database_name = current_database()",
            (schema, schema),
        )
