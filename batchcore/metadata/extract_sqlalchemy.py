"""SQL Server and Snowflake catalogs through SQLAlchemy's inspector (untested here: no server).

Uses the bulk `get_multi_*` calls (SQLAlchemy 2.0+: one round trip per kind where the dialect
implements them). Row estimates are null. The connection must be a SQLAlchemyConnection
(batchcore.connections), whose driver is installed (pyodbc / pymssql, snowflake-sqlalchemy).
"""

from __future__ import annotations

from batchcore.connections import DbConnection
from batchcore.metadata.extract import Query, now_iso, schema_missing, tables_missing
from batchcore.metadata.model import Catalog, Column, ForeignKey, Index, Key, finish, new_table


def extract(
    conn: DbConnection, q: Query, schema: str | None, table_names: list[str] | None
) -> Catalog:
    """See batchcore.metadata.extract.extract_catalog."""
    import sqlalchemy as sa
    from sqlalchemy.engine.reflection import ObjectKind

    insp = sa.inspect(conn.con)
    schema = schema or insp.default_schema_name
    known = insp.get_schema_names()
    q.count += 1
    if schema not in known:
        raise schema_missing(conn, schema, known)
    tables = {}
    for kind, objkind in (("table", ObjectKind.TABLE), ("view", ObjectKind.VIEW)):
        for (_, name), cols in insp.get_multi_columns(schema=schema, kind=objkind).items():
            t = new_table(tables, name, kind=kind, indexes=None if kind == "view" else [])
            for n, c in enumerate(cols, 1):
                t.columns.append(
                    Column(
                        n,
                        c["name"],
                        str(c["type"]),
                        bool(c.get("nullable", True)),
                        None if c.get("default") is None else str(c["default"]),
                        c.get("comment"),
                    )
                )
        q.count += 1
    for (_, name), pk in insp.get_multi_pk_constraint(schema=schema).items():
        if name in tables and pk.get("constrained_columns"):
            tables[name].primary_key = Key(pk.get("name"), list(pk["constrained_columns"]))
    for (_, name), fks in insp.get_multi_foreign_keys(schema=schema).items():
        for fk in fks:
            if name in tables:
                tables[name].foreign_keys.append(
                    ForeignKey(
                        fk.get("name"),
                        list(fk["constrained_columns"]),
                        fk.get("referred_schema") or schema,
                        fk["referred_table"],
                        list(fk["referred_columns"]),
                    )
                )
    for (_, name), uqs in insp.get_multi_unique_constraints(schema=schema).items():
        for uq in uqs:
            if name in tables:
                tables[name].unique_constraints.append(
                    Key(uq.get("name"), list(uq["column_names"]))
                )
    for (_, name), idxs in insp.get_multi_indexes(schema=schema).items():
        for ix in idxs:
            if (
                name in tables
                and tables[name].indexes is not None
                and not ix.get("duplicates_constraint")
            ):
                tables[name].indexes.append(
                    Index(ix["name"], [c for c in ix["column_names"] if c], bool(ix["unique"]))
                )
    q.count += 4
    try:
        kept = finish(tables, table_names)
    except KeyError as exc:
        raise tables_missing(conn, schema, exc.args[0]) from None
    cat = Catalog(conn.type, None, schema, now_iso(), kept)
    if not tables:
        cat.other_schemas = sorted(k for k in known if k != schema)
    return cat
