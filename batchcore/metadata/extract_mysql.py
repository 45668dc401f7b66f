"""MySQL / MariaDB catalog from information_schema, one query per kind for the whole schema:
TABLES (kind, TABLE_ROWS estimate, comment), COLUMNS (COLUMN_TYPE as data type),
KEY_COLUMN_USAGE joined with TABLE_CONSTRAINTS (primary, unique and foreign keys in key order)
and STATISTICS (indexes).

The schema is a database (default: the connection's). information_schema only shows objects the
user has privileges on, so a schema the user cannot see is reported as not found "or not
visible". MariaDB reports `COLUMN_DEFAULT` as an SQL expression ('NULL' for no default: mapped
to null; strings quoted), MySQL 8 as the bare value; defaults are kept as each server writes them.
"""

from __future__ import annotations

from batchcore.connections import DbConnection
from batchcore.errors import ConfigError
from batchcore.metadata.extract import Query, now_iso, schema_missing, tables_missing
from batchcore.metadata.model import Catalog, Column, ForeignKey, Index, Key, finish, new_table

_KINDS = {
    "BASE TABLE": "table",
    "VIEW": "view",
    "SYSTEM VIEW": "view",
    "SYSTEM VERSIONED": "table",
    "SEQUENCE": "sequence",
}


def extract(
    conn: DbConnection, q: Query, schema: str | None, table_names: list[str] | None
) -> Catalog:
    """See batchcore.metadata.extract.extract_catalog."""
    current, version = q("SELECT DATABASE(), VERSION()")[0]
    schema = schema or current
    if not schema:
        raise ConfigError(
            f"connection {conn.name!r} has no default database: give schema_name",
            field="schema_name",
        )
    if not q("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", [schema]):
        known = [r[0] for r in q("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")]
        raise schema_missing(
            conn, schema, known, " or not visible to this user (check its privileges)"
        )
    mariadb = "mariadb" in str(version).lower()
    tables = {}
    for name, ttype, rows, comment in q(
        "SELECT TABLE_NAME, TABLE_TYPE, TABLE_ROWS, TABLE_COMMENT FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = %s",
        [schema],
    ):
        kind = _KINDS.get(ttype, "table")
        new_table(
            tables,
            name,
            kind=kind,
            row_estimate=None if kind == "view" else rows,
            comment=comment or None,
            indexes=None if kind == "view" else [],
        )
    for table, pos, name, ctype, nullable, default, comment in q(
        "SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_COMMENT "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s",
        [schema],
    ):
        if table in tables:
            if mariadb and default == "NULL":
                default = None
            tables[table].columns.append(
                Column(int(pos), name, ctype, nullable == "YES", default, comment or None)
            )
    keys: dict[tuple[str, str], tuple[str, list, str | None, str | None, list]] = {}
    for table, cname, ctype, col, ref_schema, ref_table, ref_col in q(
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, c.CONSTRAINT_TYPE, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, "
        "k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE k "
        "JOIN information_schema.TABLE_CONSTRAINTS c ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
        "AND c.TABLE_NAME = k.TABLE_NAME AND c.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
        "WHERE k.TABLE_SCHEMA = %s AND c.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY') "
        "ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        [schema],
    ):
        entry = keys.setdefault((table, cname), (ctype, [], ref_schema, ref_table, []))
        entry[1].append(col)
        if ref_col is not None:
            entry[4].append(ref_col)
    constraint_names: set[tuple[str, str]] = set()
    for (table, cname), (ctype, cols, ref_schema, ref_table, ref_cols) in sorted(keys.items()):
        t = tables.get(table)
        if t is None:
            continue
        if ctype == "PRIMARY KEY":
            t.primary_key = Key(cname, cols)
        elif ctype == "UNIQUE":
            t.unique_constraints.append(Key(cname, cols))
        else:
            t.foreign_keys.append(ForeignKey(cname, cols, ref_schema, ref_table, ref_cols))
        constraint_names.add((table, cname))
    idx: dict[tuple[str, str], tuple[bool, list[str]]] = {}
    for table, iname, non_unique, col in q(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        [schema],
    ):
        idx.setdefault((table, iname), (not int(non_unique), []))[1].append(col)
    for (table, iname), (unique, cols) in sorted(idx.items()):
        t = tables.get(table)
        # PRIMARY and unique-constraint indexes are keys; an index MySQL adds for a foreign key
        # shares the constraint's name and is listed like any other index.
        if (
            t is None
            or t.indexes is None
            or iname == "PRIMARY"
            or (unique and (table, iname) in constraint_names)
        ):
            continue
        t.indexes.append(Index(iname, cols, unique))
    try:
        kept = finish(tables, table_names)
    except KeyError as exc:
        raise tables_missing(conn, schema, exc.args[0]) from None
    return Catalog("mysql", schema, schema, now_iso(), kept)
