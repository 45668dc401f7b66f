"""Snowflake catalog: INFORMATION_SCHEMA.TABLES (kind, ROW_COUNT, comment), VIEWS and COLUMNS
(one query each for the whole schema), then SHOW PRIMARY KEYS / UNIQUE KEYS / IMPORTED KEYS IN
SCHEMA (Snowflake's information schema has no key columns). Snowflake has no secondary
indexes: `indexes` is null. Tested against fakesnow (tables, views, columns, primary keys);
fakesnow does not answer SHOW UNIQUE KEYS and reports imported keys inaccurately, so unique and
foreign keys are read as real Snowflake documents them, untested here.
"""

from __future__ import annotations

from typing import Any

from batchcore.connections import DbConnection
from batchcore.metadata.extract import Query, now_iso, schema_missing, tables_missing
from batchcore.metadata.model import Catalog, Column, ForeignKey, Key, finish, new_table

_KINDS = {"BASE TABLE": "table", "VIEW": "view", "MATERIALIZED VIEW": "materialized_view"}


def _show(conn: DbConnection, q: Query, what: str, database: str, schema: str) -> list[dict]:
    """Rows of `SHOW <what> IN SCHEMA db.schema` as dicts by lower-case column name."""
    d = conn.dialect
    q.count += 1
    try:
        cols, rows = conn.query(f"SHOW {what} IN SCHEMA {d.quote(database)}.{d.quote(schema)}")
    except Exception:  # an account without the privilege: keys are left out, not the catalog
        return []
    names = [c.lower() for c in cols]
    return [dict(zip(names, r, strict=False)) for r in rows]


def extract(
    conn: DbConnection, q: Query, schema: str | None, table_names: list[str] | None
) -> Catalog:
    """See batchcore.metadata.extract.extract_catalog."""
    database, current = q("SELECT current_database(), current_schema()")[0]
    schema = schema or current
    known = [r[0] for r in q("SELECT schema_name FROM information_schema.schemata")]
    if schema not in known:
        raise schema_missing(conn, schema, known)
    tables: dict[str, Any] = {}
    for name, ttype, rows, comment in q(
        "SELECT table_name, table_type, row_count, comment FROM information_schema.tables "
        "WHERE table_schema = %s",
        [schema],
    ):
        kind = _KINDS.get(str(ttype), "table")
        new_table(
            tables,
            name,
            kind=kind,
            row_estimate=None if kind != "table" or rows is None else int(rows),
            comment=comment or None,
            indexes=None,
        )
    # Snowflake lists views in TABLES too; VIEWS is read as well (fakesnow lists them only there)
    for (name,) in q(
        "SELECT table_name FROM information_schema.views WHERE table_schema = %s", [schema]
    ):
        new_table(tables, name, kind="view", row_estimate=None, indexes=None)
    d = conn.dialect
    for table, pos, name, dtype, prec, scale, nullable, default, comment in q(
        "SELECT table_name, ordinal_position, column_name, data_type, numeric_precision, "
        "numeric_scale, is_nullable, column_default, comment FROM information_schema.columns "
        "WHERE table_schema = %s",
        [schema],
    ):
        if table in tables:
            raw = d.type_text(str(dtype), prec, scale)
            col = Column(int(pos), name, raw, nullable == "YES", default, comment or None)
            if d.type_family(raw) == "integer":  # NUMBER(p, 0) is Snowflake's integer type
                col.type_family = "integer"
            tables[table].columns.append(col)
    _keys(conn, q, database, schema, tables)
    try:
        kept = finish(tables, table_names)
    except KeyError as exc:
        raise tables_missing(conn, schema, exc.args[0]) from None
    cat = Catalog(conn.type, database, schema, now_iso(), kept)
    if not tables:
        cat.other_schemas = sorted(k for k in known if k not in (schema, "INFORMATION_SCHEMA"))
    return cat


def _sequence(row: dict) -> int:
    """A key column's position (`key_sequence`); 0 when the row does not give a number."""
    try:
        return int(row.get("key_sequence") or 0)
    except (TypeError, ValueError):
        return 0


def _grouped(rows: list[dict], key: str, name: str) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        out.setdefault((r[key], r[name]), []).append(r)
    for cols in out.values():
        cols.sort(key=_sequence)
    return out


def _keys(conn: DbConnection, q: Query, database: str, schema: str, tables: dict) -> None:
    pks = _show(conn, q, "PRIMARY KEYS", database, schema)
    for (table, cname), cols in _grouped(pks, "table_name", "constraint_name").items():
        if table in tables:
            tables[table].primary_key = Key(cname, [c["column_name"] for c in cols])
    uqs = _show(conn, q, "UNIQUE KEYS", database, schema)
    for (table, cname), cols in _grouped(uqs, "table_name", "constraint_name").items():
        if table in tables:
            tables[table].unique_constraints.append(Key(cname, [c["column_name"] for c in cols]))
    fks = _show(conn, q, "IMPORTED KEYS", database, schema)
    for (table, fname), cols in _grouped(fks, "fk_table_name", "fk_name").items():
        if table in tables and cols[0].get("pk_table_name"):
            tables[table].foreign_keys.append(
                ForeignKey(
                    fname,
                    [c["fk_column_name"] for c in cols],
                    cols[0].get("pk_schema_name") or schema,
                    cols[0]["pk_table_name"],
                    [c["pk_column_name"] for c in cols],
                )
            )
