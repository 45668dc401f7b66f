"""Extraction from each real database matches the schema the test created; a diff after an
ALTER TABLE lists exactly that change."""

from __future__ import annotations

import pytest

from batchcore.errors import NotFound
from batchcore.metadata.diff import diff
from batchcore.metadata.extract import extract_catalog

EXPECTED_COLUMNS = {
    "customers": [
        ("id", "integer", False),
        ("email", "string", False),
        ("name", "string", False),
        ("created_at", "timestamp", True),
        ("vip", "boolean", True),
    ],
    "orders": [
        ("id", "integer", False),
        ("customer_id", "integer", False),
        ("order_date", "date", False),
        ("amount", "decimal", True),
        ("status", "string", True),
    ],
    "order_lines": [
        ("order_id", "integer", False),
        ("line_no", "integer", False),
        ("sku", "string", False),
        ("qty", "integer", False),
    ],
}


def _extract(shop, **kw):
    conn = shop.connect()
    try:
        return extract_catalog(conn, shop.schema, **kw).to_dict()
    finally:
        conn.close()


def test_extraction_matches_the_created_schema(shop):
    cat = _extract(shop)
    assert cat["dialect"] == shop.dialect and cat["format_version"] == 1
    assert cat["queries"] <= 8  # bulk: a handful of catalog queries whatever the table count
    tables = {t["name"]: t for t in cat["tables"]}
    assert {n: t["kind"] for n, t in tables.items()} == {
        "customers": "table",
        "orders": "table",
        "order_lines": "table",
        "v_big_orders": "view",
    }
    for name, cols in EXPECTED_COLUMNS.items():
        got = [(c["name"], c["type_family"], c["nullable"]) for c in tables[name]["columns"]]
        assert got == cols, name
        assert [c["ordinal"] for c in tables[name]["columns"]] == list(range(1, len(cols) + 1))
    assert [c["name"] for c in tables["v_big_orders"]["columns"]] == ["id", "amount"]
    assert tables["customers"]["primary_key"]["columns"] == ["id"]
    assert tables["order_lines"]["primary_key"]["columns"] == ["order_id", "line_no"]
    assert tables["v_big_orders"]["primary_key"] is None
    assert [u["columns"] for u in tables["customers"]["unique_constraints"]] == [["email"]]
    fks = {
        t: [(f["columns"], f["ref_table"], f["ref_columns"]) for f in tables[t]["foreign_keys"]]
        for t in tables
    }
    assert fks == {
        "customers": [],
        "orders": [(["customer_id"], "customers", ["id"])],
        "order_lines": [(["order_id"], "orders", ["id"])],
        "v_big_orders": [],
    }
    idx = {(i["name"], tuple(i["columns"]), i["unique"]) for i in tables["orders"]["indexes"]}
    assert ("orders_date_idx", ("order_date",), False) in idx
    if shop.dialect != "mysql":  # MySQL adds an index for each foreign key
        assert idx == {("orders_date_idx", ("order_date",), False)}
    assert "new" in tables["orders"]["columns"][4]["default"]
    assert tables["orders"]["columns"][0]["default"] is None
    assert tables["v_big_orders"]["indexes"] is None


def test_row_estimates(shop):
    shop.run(
        {
            "postgres": f"ANALYZE {shop.prefix}orders",
            "sqlite": "ANALYZE",
            "mysql": "ANALYZE TABLE orders",
            "duckdb": "CHECKPOINT",
        }[shop.dialect]
    )
    tables = {t["name"]: t for t in _extract(shop)["tables"]}
    assert tables["orders"]["row_estimate"] == 3
    assert tables["v_big_orders"]["row_estimate"] is None


def test_table_filter_and_missing_objects(shop):
    cat = _extract(shop, table_names=["orders", "customers"])
    assert [t["name"] for t in cat["tables"]] == ["customers", "orders"]
    with pytest.raises(NotFound, match=r"table\(s\) \['nope'\] not found in shop\."):
        _extract(shop, table_names=["orders", "nope"])
    conn = shop.connect()
    try:
        with pytest.raises(
            NotFound,
            match=r"schema 'no_such_schema' not found in connection 'shop' \(" + shop.dialect,
        ):
            extract_catalog(conn, "no_such_schema")
    finally:
        conn.close()


def test_diff_after_alter_table_lists_exactly_that_change(shop):
    before = _extract(shop)
    shop.run(f"ALTER TABLE {shop.prefix}order_lines ADD COLUMN note VARCHAR(200)")
    if shop.dialect != "sqlite":
        shop.run(
            {
                "postgres": f"ALTER TABLE {shop.prefix}order_lines ALTER COLUMN qty TYPE BIGINT",
                "duckdb": f"ALTER TABLE {shop.prefix}order_lines ALTER qty TYPE BIGINT",
                "mysql": "ALTER TABLE order_lines MODIFY qty BIGINT NOT NULL",
            }[shop.dialect]
        )
    after = _extract(shop)
    d = diff(before, after)
    assert d["tables_added"] == [] and d["tables_removed"] == []
    assert [t["table"] for t in d["tables_changed"]] == ["order_lines"]
    change = d["tables_changed"][0]
    assert [c["name"] for c in change["columns_added"]] == ["note"]
    assert (
        change["columns_added"][0]["type_family"] == "string"
        and change["columns_added"][0]["nullable"] is True
    )
    assert change["columns_removed"] == []
    if shop.dialect == "sqlite":
        assert change["columns_changed"] == []
    else:
        assert [(c["column"], list(c["changes"])) for c in change["columns_changed"]] == [
            ("qty", ["data_type"])
        ]
        assert (
            change["columns_changed"][0]["changes"]["data_type"]["to"].lower().startswith("bigint")
        )
    assert all(
        not change[k]
        for k in change
        if k.endswith(("_added", "_removed")) and not k.startswith("columns")
    )
    assert change["primary_key"] is None and change["kind"] is None
    assert d["summary"] == {
        "tables_added": 0,
        "tables_removed": 0,
        "tables_changed": 1,
        "columns_added": 1,
        "columns_removed": 0,
        "columns_changed": 0 if shop.dialect == "sqlite" else 1,
        "keys_changed": 0,
    }
    assert diff(after, after)["identical"] is True


@pytest.mark.postgres
def test_postgres_cross_schema_keys_and_expression_indexes(pg_url, pg_schema):
    import secrets

    import psycopg

    from batchcore.connections import open_connection
    from batchcore.workspace import ResolvedConnection

    other = f"bt_{secrets.token_hex(4)}"
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {other}")
        c.execute(f"CREATE TABLE {other}.parent (x INT, id INT PRIMARY KEY)")
        c.execute(
            f"CREATE TABLE {pg_schema}.child (id INT, name TEXT, parent_id INT REFERENCES {other}.parent (id))"
        )
        c.execute(f"CREATE INDEX child_lower_idx ON {pg_schema}.child (lower(name), id)")
        c.execute(f"COMMENT ON TABLE {pg_schema}.child IS 'kids'")
        c.execute(f"COMMENT ON COLUMN {pg_schema}.child.name IS 'given name'")
    try:
        conn = open_connection(ResolvedConnection("pg", "postgres", None, pg_url, {}))
        t = extract_catalog(conn, pg_schema).to_dict()["tables"][0]
        conn.close()
        assert t["foreign_keys"] == [
            {
                "name": "child_parent_id_fkey",
                "columns": ["parent_id"],
                "ref_schema": other,
                "ref_table": "parent",
                "ref_columns": ["id"],
            }
        ]
        assert t["indexes"] == [
            {"name": "child_lower_idx", "columns": ["lower(name)", "id"], "unique": False}
        ]
        assert t["comment"] == "kids" and t["columns"][1]["comment"] == "given name"
    finally:
        with psycopg.connect(pg_url, autocommit=True) as c:
            c.execute(f"DROP SCHEMA {other} CASCADE")
