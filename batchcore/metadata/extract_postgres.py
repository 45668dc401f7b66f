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
SELECT c.oid, c.relname, c.relkind, c.reltuples::bigint, ds.description
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition"""

# pg_description joined, not col_description() per row: measured 0.08 s vs 0.2 s for 20,000 columns.
_COLUMNS = """
SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), ds.description
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_description ds ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped"""

# Key columns come back as attribute numbers, named from the columns already read (measured
# 0.014 s vs 0.12 s with per-constraint ARRAY subqueries for 3,000 constraints).
_CONSTRAINTS = """
SELECT c.relname, con.conname, con.contype, con.conkey, con.confrelid, con.confkey
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND con.contype IN ('p', 'u', 'f')
ORDER BY c.relname, con.conname"""

_FOREIGN_RELATIONS = """
SELECT c.oid, n.nspname, c.relname, a.attnum, a.attname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.oid = ANY(%s) AND a.attnum > 0"""

# Plain column indexes are named from the columns already read; only expression indexes call
# pg_get_indexdef (measured 0.008 s vs 0.025 s for 1,000 indexes).
_INDEXES = """
SELECT t.relname, i.relname, ix.indisunique, (ix.indkey::int2[])[0:ix.indnkeyatts - 1],
       CASE WHEN 0 = ANY (ix.indkey::int2[]) THEN
            ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnkeyatts) k ORDER BY k) END
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.contype IN ('p', 'u')
WHERE n.nspname = %s AND NOT ix.indisprimary AND con.oid IS NULL
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
    relname: dict[int, str] = {}
    for oid, name, kind, est, comment in q(_RELATIONS, [schema]):
        relname[oid] = name
        new_table(
            tables,
            name,
            kind=_KINDS[kind],
            row_estimate=est if est is not None and est >= 0 else None,
            comment=comment,
            indexes=[] if kind in ("r", "p", "m") else None,
        )
    attname: dict[tuple[str, int], str] = {}
    for table, num, name, dtype, nullable, default, comment in q(_COLUMNS, [schema]):
        t = tables.get(table)
        if t is not None:
            attname[(table, num)] = name
            t.columns.append(Column(num, name, dtype, bool(nullable), default, comment))
    constraints = q(_CONSTRAINTS, [schema])
    foreign = {r[4] for r in constraints if r[2] == "f" and r[4] not in relname}
    ref_schema: dict[int, str] = {oid: schema for oid in relname}
    if foreign:
        for oid, nsp, rel, num, name in q(_FOREIGN_RELATIONS, [sorted(foreign)]):
            relname[oid], ref_schema[oid] = rel, nsp
            attname[(f"#{oid}", num)] = name
    for table, cname, ctype, conkey, confrelid, confkey in constraints:
        t = tables.get(table)
        if t is None:
            continue
        cols = [attname[(table, k)] for k in conkey or []]
        if ctype == "p":
            t.primary_key = Key(cname, cols)
        elif ctype == "u":
            t.unique_constraints.append(Key(cname, cols))
        else:
            rel = relname[confrelid]
            owner = rel if confrelid not in foreign else f"#{confrelid}"
            t.foreign_keys.append(
                ForeignKey(
                    cname,
                    cols,
                    ref_schema[confrelid],
                    rel,
                    [attname[(owner, k)] for k in confkey or []],
                )
            )
    for table, iname, unique, keys, exprs in q(_INDEXES, [schema]):
        t = tables.get(table)
        if t is not None and t.indexes is not None:
            cols = list(exprs) if exprs is not None else [attname[(table, k)] for k in keys]
            t.indexes.append(Index(iname, cols, bool(unique)))
    try:
        kept = finish(tables, table_names)
    except KeyError as exc:
        raise tables_missing(conn, schema, exc.args[0]) from None
    return Catalog("postgres", db, schema, now_iso(), kept)
