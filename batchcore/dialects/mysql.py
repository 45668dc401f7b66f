"""MySQL / MariaDB: backquotes, backslash escapes, BINARY for byte-exact text, DATE_FORMAT,
session `time_zone`, `KILL QUERY` from a second session.

Time zones: a DATETIME is naive (stored and read as written); a TIMESTAMP is an instant (stored
in UTC, shown in the session's `time_zone`), so its family is timestamptz and it is normalised
through UNIX_TIMESTAMP, exact whatever the session zone. The product's sessions use
`time_zone = '+00:00'` unless the connection sets `options.time_zone`; freshness compares a
DATETIME column with NOW() in that zone, so set it to the zone the writers' sessions use when
they store local time (e.g. `'+01:00'`, `'SYSTEM'`; named zones need the server's tz tables).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from batchcore.dialects.base import Dialect
from batchcore.dialects.types import clean_type, generic_family

_FMT = "'%Y-%m-%d %H:%i:%s.%f'"
DEFAULT_TIME_ZONE = "+00:00"


class MySQLDialect(Dialect):
    name = "mysql"
    system_schemas = ("information_schema", "mysql", "performance_schema", "sys")
    pull_us_per_value = 2.5
    checksum_us_per_value = 1.5
    quote_char = "`"
    sqlglot_name = "mysql"
    # server files (LOAD_FILE works for a FILE-privileged account inside a READ ONLY
    # transaction), locks, sequences, known command-running UDFs
    denied_functions = frozenset(
        {
            "load_file",
            "get_lock",
            "release_lock",
            "release_all_locks",
            "master_pos_wait",
            "source_pos_wait",
            "nextval",
            "setval",
            "sys_exec",
            "sys_eval",
        }
    )
    current_schema = "DATABASE()"

    def literal(self, value: Any) -> str:
        if isinstance(value, str):
            return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
        return super().literal(value)

    def to_text(self, expr: str) -> str:
        return f"CAST({expr} AS CHAR)"

    def char_length(self, expr: str) -> str:
        return f"CHAR_LENGTH({expr})"

    def concat(self, parts) -> str:
        return parts[0] if len(parts) == 1 else f"CONCAT({', '.join(parts)})"

    def exact_text(self, expr: str) -> str:
        return f"BINARY {expr}"

    def regex_full_match(self, expr: str, pattern: str) -> str:
        lit = self.literal(f"^(?:{pattern})$")
        return f"(CAST({expr} AS CHAR) COLLATE utf8mb4_bin REGEXP {lit})"

    def min_max_expr(self, expr: str, family: str) -> str:
        # BINARY, not utf8mb4_bin: that collation pads with spaces (' ' = ''); UTF-8 bytes
        # order as code points
        return f"BINARY {expr}" if family == "string" else expr

    def bool_to_int(self, expr: str) -> str:
        return f"CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} <> 0 THEN 1 ELSE 0 END"

    def hex_to_int(self, hex_expr: str) -> str:
        return f"CAST(CONV({hex_expr}, 16, 10) AS SIGNED)"

    def int_text(self, expr: str) -> str:
        return self.to_text(f"CAST({expr} AS SIGNED)")

    def text_to_number(self, expr: str, family: str) -> str:
        return f"CAST({expr} AS {'DOUBLE' if family == 'float' else 'DECIMAL(38,6)'})"

    def ts_text(self, expr: str, family: str) -> str:
        if family == "timestamptz":
            utc = (
                "DATE_ADD(TIMESTAMP'1970-01-01 00:00:00', INTERVAL "
                f"CAST(UNIX_TIMESTAMP({expr}) * 1000000 AS SIGNED) MICROSECOND)"
            )
            return f"DATE_FORMAT({utc}, {_FMT})"
        if family == "string":
            offset = "'[0-9]:[0-9][0-9](:[0-9][0-9](\\\\.[0-9]+)?)? ?[+-][0-9][0-9]:[0-9][0-9]$'"
            zulu = "'[0-9]:[0-9][0-9](:[0-9][0-9](\\\\.[0-9]+)?)? ?Z$'"
            return (
                f"CASE WHEN {expr} REGEXP {offset} THEN DATE_FORMAT(CONVERT_TZ("
                f"CAST(TRIM(LEFT({expr}, CHAR_LENGTH({expr}) - 6)) AS DATETIME(6)), "
                f"RIGHT({expr}, 6), '+00:00'), {_FMT}) "
                f"WHEN {expr} REGEXP {zulu} THEN DATE_FORMAT(CAST(TRIM(LEFT({expr}, "
                f"CHAR_LENGTH({expr}) - 1)) AS DATETIME(6)), {_FMT}) "
                f"ELSE DATE_FORMAT(CAST({expr} AS DATETIME(6)), {_FMT}) END"
            )
        return f"DATE_FORMAT({expr}, {_FMT})"

    def now_local_text(self) -> str:
        return f"DATE_FORMAT(NOW(6), {_FMT})"

    def session_zone_sql(self) -> str | None:
        return "@@session.time_zone"

    def now_utc_text(self) -> str:
        return f"DATE_FORMAT(UTC_TIMESTAMP(6), {_FMT})"

    def type_family(self, raw_type: str) -> str:
        t = clean_type(raw_type)
        if t.startswith("tinyint(1)"):
            return "boolean"
        if t.startswith("timestamp"):
            return "timestamptz"
        return generic_family(t) or "other"

    def describe_columns(self, conn, schema: str | None, table: str) -> list[tuple[str, str]]:
        cond = f"table_schema = {self.literal(schema)}" if schema else "table_schema = DATABASE()"
        _, rows = conn.query(
            "SELECT column_name, column_type FROM information_schema.columns "
            f"WHERE {cond} AND table_name = {self.literal(table)} ORDER BY ordinal_position"
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    def catalog_extractor(self) -> Callable:
        from batchcore.metadata.extract_mysql import extract

        return extract

    schemas_in_database = False  # a MySQL schema IS a database

    def column_type(self, duck_type: str) -> str:
        return {"VARCHAR": "VARCHAR(255)", "INTEGER": "INT"}.get(duck_type, duck_type)

    def generated_value(self, duck_expr: str, duck_type: str) -> str:
        return f"CAST({duck_expr} AS INTEGER)" if duck_type == "BOOLEAN" else duck_expr

    def session_sql(self, options: dict[str, Any]) -> list[str]:
        tz = options.get("time_zone") or DEFAULT_TIME_ZONE
        return [
            f"SET time_zone = {self.literal(str(tz))}",
            # backslash escapes and '...' strings, as literal() writes them and the SQL gate
            # reads them, whatever the server's default sql_mode
            "SET SESSION sql_mode = REPLACE(REPLACE(@@SESSION.sql_mode, "
            "'NO_BACKSLASH_ESCAPES', ''), 'ANSI_QUOTES', '')",
        ]

    def read_only_sql(self) -> list[str]:
        return ["SET SESSION TRANSACTION READ ONLY"]

    def cancel_sql(self, session_id: Any) -> str | None:
        return f"KILL QUERY {int(session_id)}"

    def create_table_sql(self, table: str, columns: str, comment: str = "") -> str:
        tail = f" COMMENT = {self.literal(comment)}" if comment else ""
        return f"CREATE TABLE {table} ({columns}){tail}"

    def table_comment_sql(self, table: str, comment: str) -> str | None:
        return None  # part of CREATE TABLE

    def table_comments_sql(self, schema: str | None) -> tuple[str, tuple] | None:
        return (
            "SELECT table_name, table_comment FROM information_schema.tables "
            "WHERE table_schema = DATABASE()",
            (),
        )
