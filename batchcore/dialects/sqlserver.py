"""SQL Server (T-SQL): [brackets], N'' literals, CONVERT style 121, no boolean expressions
(predicates become CASE), HASHBYTES for md5. Untested against a server here: a test parses
every check's SQL as T-SQL with sqlglot."""

from __future__ import annotations

from typing import Any

from batchcore.dialects.base import SCALE_DIGITS, Dialect


class SQLServerDialect(Dialect):
    name = "sqlserver"
    system_schemas = ("INFORMATION_SCHEMA", "sys")
    sqlglot_name = "tsql"
    denied_functions = frozenset({"openrowset", "opendatasource", "openquery"})  # files, servers
    current_schema = "SCHEMA_NAME()"

    def quote(self, ident: str) -> str:
        return "[" + str(ident).replace("]", "]]") + "]"

    def literal(self, value: Any) -> str:
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, str):
            return "N'" + value.replace("'", "''") + "'"
        return super().literal(value)

    def limit(self, select: str, n: int) -> str:
        head, rest = select[:6], select[6:]
        if head.upper() != "SELECT":
            raise ValueError(f"not a SELECT: {select[:40]!r}")
        return f"SELECT TOP ({int(n)}){rest}"

    def group_by_position(self, position: int, expr: str) -> str:
        return expr

    def substr(self, expr: str, start: int, length: int) -> str:
        return f"SUBSTRING({expr}, {int(start)}, {int(length)})"

    def to_text(self, expr: str) -> str:
        return f"CAST({expr} AS NVARCHAR(MAX))"

    def char_length(self, expr: str) -> str:
        return f"LEN({expr} + N'x') - 1"  # LEN ignores trailing spaces

    def concat(self, parts) -> str:
        return parts[0] if len(parts) == 1 else " + ".join(f"({p})" for p in parts)

    def regex_full_match(self, expr: str, pattern: str) -> str:
        # SQL Server 2025 has REGEXP_LIKE; earlier versions have no regular expressions
        return f"REGEXP_LIKE({self.to_text(expr)}, {self.literal(f'^(?:{pattern})$')})"

    def min_max_expr(self, expr: str, family: str) -> str:
        return f"{expr} COLLATE Latin1_General_100_BIN2_UTF8" if family == "string" else expr

    def exact_text(self, expr: str) -> str:
        return f"{expr} COLLATE Latin1_General_100_BIN2_UTF8"

    def bool_to_int(self, expr: str) -> str:
        return f"CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} <> 0 THEN 1 ELSE 0 END"

    def md5(self, text: str) -> str:
        return f"LOWER(CONVERT(VARCHAR(32), HASHBYTES('MD5', CAST({text} AS VARCHAR(MAX))), 2))"

    def hex_to_int(self, hex_expr: str) -> str:
        return f"CAST(CONVERT(VARBINARY(4), {hex_expr}, 2) AS BIGINT)"

    def text_to_number(self, expr: str, family: str) -> str:
        return f"CAST({expr} AS {'FLOAT' if family == 'float' else 'DECIMAL(38,6)'})"

    def ts_text(self, expr: str, family: str) -> str:
        if family == "timestamptz":
            expr = f"SWITCHOFFSET({expr}, '+00:00')"
        elif family == "string":
            return (
                f"CASE WHEN {expr} LIKE '%[+-][0-9][0-9]:[0-9][0-9]' THEN CONVERT(VARCHAR(26), "
                f"CAST(SWITCHOFFSET(CAST({expr} AS DATETIMEOFFSET), '+00:00') AS DATETIME2(6)), 121) "
                f"ELSE CONVERT(VARCHAR(26), CAST({expr} AS DATETIME2(6)), 121) END"
            )
        return f"CONVERT(VARCHAR(26), CAST({expr} AS DATETIME2(6)), 121)"

    def ln(self, expr: str) -> str:
        return f"LOG({expr})"

    def decimal_text(self, expr: str, scale: int = SCALE_DIGITS) -> str:
        return self.to_text(f"CAST({expr} AS DECIMAL(38,{scale}))")

    def now_local_text(self) -> str:
        return self.ts_text("SYSDATETIME()", "timestamp")

    def now_utc_text(self) -> str:
        return self.ts_text("SYSUTCDATETIME()", "timestamp")
