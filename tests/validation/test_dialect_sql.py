"""Every check type's SQL parses in its database's grammar (sqlglot), for every Dialect.

SQL Server has no server here, so this is its only test: the SQL of every check type, every
row_diff mode (full pull, segment checksums, segment pulls, NULL-key count and sample) and the
catalog query must parse as T-SQL. The other dialects run for real elsewhere; parsing them too
catches a fragment that slipped into the wrong dialect. The SQL is captured, not run: the
connection below records statements (no database behaviour is imitated: nothing is asserted
about results).
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot.errors import ParseError

from batchcore.connections import DbConnection
from batchcore.dialects import DIALECTS
from batchcore.validation.catalog import ColumnInfo
from batchcore.validation.checks import CHECK_TYPES, plans_for
from batchcore.validation.checks.base import RunContext, ScanCheck
from batchcore.validation.compiler import ScanGroup
from batchcore.workspace import ResolvedConnection

SQLGLOT_NAMES = {
    "duckdb": "duckdb",
    "sqlite": "sqlite",
    "postgres": "postgres",
    "mysql": "mysql",
    "snowflake": "snowflake",
    "sqlserver": "tsql",
}
COLUMNS = [
    ColumnInfo("id", "bigint", "integer"),
    ColumnInfo("k2", "varchar(20)", "string"),
    ColumnInfo("name", "varchar(20)", "string"),
    ColumnInfo("amount", "decimal(12,2)", "decimal", 2),
    ColumnInfo("x", "double", "float"),
    ColumnInfo("ts", "timestamp", "timestamp"),
    ColumnInfo("tz", "timestamp with time zone", "timestamptz"),
    ColumnInfo("day", "date", "date"),
    ColumnInfo("flag", "boolean", "boolean"),
]
CHECKS = [
    {"type": "not_null", "table": "t", "columns": ["name", "ts"]},
    {"type": "unique", "table": "t", "column": "id"},
    {"type": "unique", "table": "t", "columns": ["id", "k2"]},
    {"type": "accepted_values", "table": "t", "column": "name", "values": ["a", "b'c"]},
    {"type": "between", "table": "t", "column": "amount", "min": 0, "max": 10},
    {"type": "regex", "table": "t", "column": "name", "pattern": "[A-Z]{2}[0-9]+"},
    {"type": "relationships", "table": "t", "column": "k2", "to": "p", "field": "k2"},
    {"type": "row_count", "table": "t", "min": 1},
    {"type": "metric_anomaly", "table": "t", "metric": "row_count"},
    {"type": "metric_anomaly", "table": "t", "column": "amount", "metric": "mean"},
    {"type": "metric_anomaly", "table": "t", "column": "name", "metric": "distinct_count"},
    {"type": "freshness", "table": "t", "column": "ts", "max_age": "1d"},
    {"type": "freshness", "table": "t", "column": "tz", "max_age": "1d"},
    {"type": "freshness", "table": "t", "column": "k2", "max_age": "1d"},
    {"type": "schema", "table": "t", "columns": ["id"]},
    {"type": "sql", "query": "SELECT id FROM t WHERE amount < 0", "table": "t"},
    {"type": "row_count_match", "table": "t"},
    {"type": "column_aggregates_match", "table": "t", "columns": [c.name for c in COLUMNS]},
    {"type": "schema_match", "table": "t"},
    {"type": "row_diff", "table": "t", "key": ["id", "k2"], "where": "amount > 0"},
]


class CapturingConnection(DbConnection):
    """Records every statement; answers one row of ones (only DuckDB's unique asks: key ranges)."""

    def __init__(self, kind: str):
        super().__init__(ResolvedConnection("c", kind, None, None, {}))
        self.statements: list[str] = []

    def query(self, sql, params=()):
        self.statements.append(sql)
        return [], [(1,) * 64]


def check_sql(kind: str) -> list[str]:
    """The SQL every check type would run on a `kind` connection."""
    conn = CapturingConnection(kind)
    ctx = RunContext(conn, conn, sample_size=5)
    for side in ("source", "target"):
        ctx._columns[(side, "t")] = COLUMNS
        ctx._columns[(side, "p")] = COLUMNS
    conn.dialect.describe_columns(conn, "s", "t")  # schema, schema_match: the catalog query
    out = list(conn.statements)
    for raw in CHECKS:
        for check in plans_for(CHECK_TYPES[raw["type"]][0].model_validate(raw)):
            if isinstance(check, ScanCheck):
                check.prepare(ctx)
                out.append(ScanGroup("t", None, [check]).sql(conn))
                out.append(check.standalone_sql(conn))
                sample = check.sample_sql(conn, 5)
                out += [sample] if sample else []
                if check.type == "unique":
                    out.append(check.group_sql(conn))
            elif check.type == "row_diff":
                cols = ["id", "k2", *[c.name for c in COLUMNS if c.name not in ("id", "k2")]]
                fams = check._families(ctx, cols)
                for side in ("source", "target"):
                    out.append(check.count_sql(ctx, side))
                    out.append(check.null_key_sample_sql(ctx, side, cols, fams, 5))
                    out.append(check.segment_sql(ctx, side, cols, fams, 16))
                    out.append(check._select(ctx, side, cols, fams))
                    bucket = check._bucket_expr(ctx, side, fams, 16)
                    out.append(check._select(ctx, side, cols, fams, f"{bucket} IN (1, 2)"))
            elif check.type == "relationships":
                check.families["child"] = "string"
                out += [check.sql(conn), check.sample_sql(conn, 5)]
            else:
                out += [s.strip() for s in check.sql_preview(ctx).split(";") if "SELECT" in s]
    return [s for s in (_strip_comments(x) for x in out) if s]


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.startswith("--")).strip()


@pytest.mark.parametrize("kind", sorted(DIALECTS))
def test_every_check_types_sql_parses_in_its_dialect(kind):
    statements = check_sql(kind)
    assert len(statements) > 40
    failed = []
    for sql in statements:
        try:
            sqlglot.parse_one(sql, read=SQLGLOT_NAMES[kind])
        except ParseError as exc:
            failed.append(f"{sql}\n  -> {str(exc)[:300]}")
    assert failed == []


def test_the_list_covers_every_check_type():
    assert {c["type"] for c in CHECKS} == set(CHECK_TYPES)


def test_sql_server_spells_t_sql():
    statements = "\n".join(check_sql("sqlserver"))
    assert "LIMIT" not in statements and "TOP (5)" in statements
    assert "FILTER (WHERE" not in statements and "HASHBYTES('MD5'" in statements
    assert "[t]" in statements and "GROUP BY 1" not in statements
