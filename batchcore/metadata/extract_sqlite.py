"""SQLite catalog: `sqlite_master` joined with the pragma table-valued functions
(`pragma_table_info`, `pragma_foreign_key_list`, `pragma_index_list` + `pragma_index_info`),
one query per kind for every table at once.

The schema is `main` or the name of an attached database. A foreign key written without target
columns references the parent's primary key. Row estimates come from `sqlite_stat1` (present
after ANALYZE), else null. A column is nullable unless declared NOT NULL or it is the
INTEGER PRIMARY KEY (the rowid).
"""

from __future__ import annotations

from batchcore.connections import DbConnection
from batchcore.metadata.extract import Query, now_iso, schema_missing, tables_missing
from batchcore.metadata.model import Catalog, Column, ForeignKey, Index, Key, finish, new_table


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def extract(
    conn: DbConnection, q: Query, schema: str | None, table_names: list[str] | None
) -> Catalog:
    """See batchcore.metadata.extract.extract_catalog."""
    schema = schema or "main"
    dbs = {r[1]: r[2] for r in q("SELECT seq, name, file FROM pragma_database_list")}
    if schema not in dbs:
        raise schema_missing(
            conn, schema, list(dbs), " (SQLite schemas are main and attached databases)"
        )
    s = _lit(schema)
    master = f'"{schema.replace(chr(34), chr(34) * 2)}".sqlite_master'
    rel = f"(SELECT name, type FROM {master} WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\')"
    tables = {}
    pk_cols: dict[str, list[tuple[int, str]]] = {}
    for name, kind, cid, col, ctype, notnull, default, pk in q(
        f'SELECT m.name, m.type, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk '
        f"FROM {rel} AS m JOIN pragma_table_info(m.name, {s}) AS p ORDER BY m.name, p.cid"
    ):
        t = tables.get(name) or new_table(
            tables, name, kind=kind, indexes=None if kind == "view" else []
        )
        rowid = pk == 1 and str(ctype).upper() == "INTEGER"
        t.columns.append(Column(cid + 1, col, ctype or "", not (notnull or rowid), default))
        if pk:
            pk_cols.setdefault(name, []).append((pk, col))
    for name, cols in pk_cols.items():
        if tables[name].kind == "table":
            tables[name].primary_key = Key(None, [c for _, c in sorted(cols)])
    fks: dict[tuple[str, int], ForeignKey] = {}
    for name, fid, _seq, ref, frm, to in q(
        f'SELECT m.name, f.id, f.seq, f."table", f."from", f."to" FROM {rel} AS m '
        f"JOIN pragma_foreign_key_list(m.name, {s}) AS f WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"
    ):
        fk = fks.setdefault((name, fid), ForeignKey(None, [], schema, ref, []))
        fk.columns.append(frm)
        fk.ref_columns.append(to)
    for (name, _), fk in sorted(fks.items()):
        if any(c is None for c in fk.ref_columns):
            parent = tables.get(fk.ref_table)
            fk.ref_columns = (
                list(parent.primary_key.columns)
                if parent and parent.primary_key
                else fk.ref_columns
            )
        tables[name].foreign_keys.append(fk)
    idx: dict[tuple[str, str], tuple[bool, str, list[str]]] = {}
    for name, iname, unique, origin, _seqno, col in q(
        f'SELECT m.name, il.name, il."unique", il.origin, ii.seqno, ii.name FROM {rel} AS m '
        f"JOIN pragma_index_list(m.name, {s}) AS il JOIN pragma_index_info(il.name, {s}) AS ii "
        f"WHERE m.type = 'table' ORDER BY m.name, il.name, ii.seqno"
    ):
        idx.setdefault((name, iname), (bool(unique), origin, []))[2].append(col)
    for (name, iname), (unique, origin, cols) in sorted(idx.items()):
        if origin == "u":
            tables[name].unique_constraints.append(Key(None, cols))
        elif origin == "c":
            tables[name].indexes.append(Index(iname, cols, unique))
    if q(f"SELECT count(*) FROM {master} WHERE name = 'sqlite_stat1'")[0][0]:
        for name, rows in q(
            f"SELECT tbl, max(CAST(substr(stat, 1, instr(stat || ' ', ' ') - 1) AS INTEGER)) "
            f'FROM "{schema.replace(chr(34), chr(34) * 2)}".sqlite_stat1 GROUP BY tbl'
        ):
            if name in tables:
                tables[name].row_estimate = rows
    try:
        kept = finish(tables, table_names)
    except KeyError as exc:
        raise tables_missing(conn, schema, exc.args[0]) from None
    cat = Catalog("sqlite", dbs[schema] or schema, schema, now_iso(), kept)
    if not tables:
        cat.other_schemas = sorted(d for d in dbs if d not in (schema, "temp"))
    return cat
