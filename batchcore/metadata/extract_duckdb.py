"""DuckDB catalog: duckdb_tables(), duckdb_views(), duckdb_columns(), duckdb_constraints(),
duckdb_indexes() of the connection's current database, one query each.

Row estimates are `estimated_size`; foreign keys reference tables of the same database (the
referenced schema is read from the constraint text). Indexes are those of CREATE INDEX (keys
and unique constraints have their own lists).
"""

from __future__ import annotations

import re

from batchcore.connections import DbConnection
from batchcore.metadata.extract import Query, now_iso, schema_missing, tables_missing
from batchcore.metadata.model import Catalog, Column, ForeignKey, Index, Key, finish, new_table

_REF_SCHEMA = re.compile(r'REFERENCES\s+(?:"((?:[^"]|"")+)"|([A-Za-z_][\w$]*))\.', re.IGNORECASE)


def _ref_schema(constraint_text: str | None, default: str) -> str:
    m = _REF_SCHEMA.search(constraint_text or "")
    if not m:
        return default
    return m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2)


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _index_columns(exprs) -> list[str]:
    """Index key expressions: a list, or (DuckDB 2.0) its text form "[a, b]" split at top-level commas."""
    if isinstance(exprs, (list, tuple)):
        return [str(e).strip('"') for e in exprs]
    text = str(exprs or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += {"(": 1, ")": -1}.get(ch, 0)
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return [e.strip('"') for e in out]


def extract(
    conn: DbConnection, q: Query, schema: str | None, table_names: list[str] | None
) -> Catalog:
    """See batchcore.metadata.extract.extract_catalog."""
    db, current = q("SELECT current_database(), current_schema()")[0]
    schema = schema or current
    schemas = [
        r[0]
        for r in q(f"SELECT schema_name FROM duckdb_schemas() WHERE database_name = {_lit(db)}")
    ]
    if schema not in schemas:
        raise schema_missing(conn, schema, schemas)
    # Literals, not parameters: DuckDB prunes its catalog functions better (measured 0.085 s vs
    # 0.117 s for 20,000 columns).
    where = f"database_name = {_lit(db)} AND schema_name = {_lit(schema)}"
    tables = {}
    for name, est, comment in q(
        f"SELECT table_name, estimated_size, comment FROM duckdb_tables() WHERE {where}"
    ):
        new_table(tables, name, kind="table", row_estimate=est, comment=comment)
    for name, comment in q(
        f"SELECT view_name, comment FROM duckdb_views() WHERE {where} AND NOT internal"
    ):
        new_table(tables, name, kind="view", row_estimate=None, comment=comment, indexes=None)
    for table, idx, name, dtype, nullable, default, comment in q(
        "SELECT table_name, column_index, column_name, data_type, is_nullable, column_default, comment "
        f"FROM duckdb_columns() WHERE {where}"
    ):
        t = tables.get(table)
        if t is not None:
            t.columns.append(Column(idx, name, dtype, bool(nullable), default, comment))
    for table, ctype, cname, cols, ref_table, ref_cols, text in q(
        "SELECT table_name, constraint_type, constraint_name, constraint_column_names, referenced_table, "
        f"referenced_column_names, constraint_text FROM duckdb_constraints() WHERE {where} "
        "AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY', 'UNIQUE') ORDER BY table_name, constraint_index"
    ):
        t = tables.get(table)
        if t is None:
            continue
        if ctype == "PRIMARY KEY":
            t.primary_key = Key(cname, list(cols))
        elif ctype == "UNIQUE":
            t.unique_constraints.append(Key(cname, list(cols)))
        else:
            t.foreign_keys.append(
                ForeignKey(cname, list(cols), _ref_schema(text, schema), ref_table, list(ref_cols))
            )
    for table, name, unique, primary, exprs in q(
        "SELECT table_name, index_name, is_unique, is_primary, expressions FROM duckdb_indexes() "
        f"WHERE {where} ORDER BY table_name, index_name"
    ):
        t = tables.get(table)
        if t is not None and not primary and t.indexes is not None:
            t.indexes.append(Index(name, _index_columns(exprs), bool(unique)))
    try:
        kept = finish(tables, table_names)
    except KeyError as exc:
        raise tables_missing(conn, schema, exc.args[0]) from None
    cat = Catalog("duckdb", db, schema, now_iso(), kept)
    if not tables:
        cat.other_schemas = sorted(
            r[0]
            for r in q(
                "SELECT DISTINCT schema_name FROM duckdb_tables() "
                f"WHERE database_name = {_lit(db)} AND schema_name <> {_lit(schema)}"
            )
        )
    return cat
