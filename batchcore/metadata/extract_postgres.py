"""PostgreSQL catalog from pg_catalog, one query per kind for the whole schema: relations
(pg_class: tables, partitioned tables, views, materialized views, foreign tables), columns
(pg_attribute, format_type, pg_attrdef), constraints (pg_constraint: p, u, f with their column
arrays in key order) and indexes (pg_index, columns via pg_get_indexdef).

Row estimates are `reltuples` (null when the table was never analysed: -1 on PostgreSQL 14+).
The connection's role needs USAGE on the schema; without it the extraction fails with
CatalogAccessDenied rather than returning a catalog the role cannot use.
"""

from __future__ import annotations

from batchcore.connections import DbConnection
from batchcore.metadata.extract import (
    CatalogAccessDenied,
    Query,
    now_iso,
    schema_missing,
    tables_missing,
)
from batchcore.metadata.model import Catalog, Column, ForeignKey, Index, Key, finish, new_table

_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized_view", "f": "foreign_table"}

_RELATIONS = """
SELECT c.relname, c.relkind, c.reltuples::bigint, obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition"""

_COLUMNS = """
SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped"""

_CONSTRAINTS = """
SELECT c.relname, con.conname, con.contype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
       rn.nspname, rc.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE n.nspname = %s AND con.contype IN ('p', 'u', 'f')
ORDER BY c.relname, con.conname"""

_INDEXES = """
SELECT t.relname, i.relname, ix.indisunique,
       ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnkeyatts) k ORDER BY k)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = %s AND NOT ix.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u'))
ORDER BY t.relname, i.relname"""


def extract(
    conn: DbConnection, q: Query, schema: str | None, table_names: list[str] | None
) -> Catalog:
    """See batchcore.metadata.extract.extract_catalog."""
    db, current, user = q("SELECT current_database(), current_schema(), current_user")[0]
    schema = schema or current or "public"
    found = q(
        "SELECT has_schema_privilege(%s, n.oid, 'USAGE') FROM pg_namespace n WHERE n.nspname = %s",
        [user, schema],
    )
    if not found:
        known = [
            r[0]
            for r in q(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' "
                "AND nspname <> 'information_schema'"
            )
        ]
        raise schema_missing(conn, schema, known)
    if not found[0][0]:
        raise CatalogAccessDenied(
            f"permission denied: role {user!r} has no USAGE privilege on schema {schema!r} "
            f"in connection {conn.name!r} (GRANT USAGE ON SCHEMA ... TO {user})",
            field="schema_name",
            value=schema,
        )
    tables = {}
    for name, kind, est, comment in q(_RELATIONS, [schema]):
        new_table(
            tables,
            name,
            kind=_KINDS[kind],
            row_estimate=est if est is not None and est >= 0 else None,
            comment=comment,
            indexes=[] if kind in ("r", "p", "m") else None,
        )
    for table, num, name, dtype, nullable, default, comment in q(_COLUMNS, [schema]):
        if table in tables:
            tables[table].columns.append(Column(num, name, dtype, bool(nullable), default, comment))
    for table, cname, ctype, cols, ref_schema, ref_table, ref_cols in q(_CONSTRAINTS, [schema]):
        t = tables.get(table)
        if t is None:
            continue
        if ctype == "p":
            t.primary_key = Key(cname, list(cols))
        elif ctype == "u":
            t.unique_constraints.append(Key(cname, list(cols)))
        else:
            t.foreign_keys.append(
                ForeignKey(cname, list(cols), ref_schema, ref_table, list(ref_cols))
            )
    for table, iname, unique, cols in q(_INDEXES, [schema]):
        t = tables.get(table)
        if t is not None and t.indexes is not None:
            t.indexes.append(Index(iname, list(cols), bool(unique)))
    try:
        kept = finish(tables, table_names)
    except KeyError as exc:
        raise tables_missing(conn, schema, exc.args[0]) from None
    return Catalog("postgres", db, schema, now_iso(), kept)
