"""Snowflake catalog extraction on fakesnow (the real snowflake.connector API over an embedded
DuckDB): tables, views, columns with types and nullability, primary keys, row counts — and the
same through a metadata_extraction job."""

from __future__ import annotations

import pytest
import yaml

from batchcore.connections import open_connection
from batchcore.errors import NotFound
from batchcore.metadata.extract import extract_catalog
from batchcore.store.snapshots import list_snapshots
from batchcore.workspace import ResolvedConnection

pytestmark = pytest.mark.snowflake

URL = "snowflake://user:pw@account/SHOPDB/SHOP"
DDL = [
    "CREATE TABLE CUSTOMERS (ID INTEGER PRIMARY KEY, EMAIL VARCHAR(120) NOT NULL, "
    "NAME VARCHAR NOT NULL, CREATED_AT TIMESTAMP_NTZ, SEEN_AT TIMESTAMP_TZ, VIP BOOLEAN)",
    "CREATE TABLE ORDER_LINES (ORDER_ID NUMBER(38,0) NOT NULL, LINE_NO INTEGER NOT NULL, "
    "AMOUNT NUMBER(12,2), WEIGHT FLOAT, SHIPPED DATE, PRIMARY KEY (ORDER_ID, LINE_NO))",
    "CREATE VIEW V_VIP AS SELECT ID, NAME FROM CUSTOMERS WHERE VIP",
    "INSERT INTO CUSTOMERS (ID, EMAIL, NAME, VIP) VALUES (1, 'a@x', 'Ann', TRUE), (2, 'b@x', 'Bo', FALSE)",
]


@pytest.fixture
def shop(fake_snowflake):
    resolved = ResolvedConnection("sf", "snowflake", None, URL, {})
    with open_connection(resolved) as conn:
        for stmt in DDL:
            conn.execute(stmt)
    return resolved


def test_snowflake_catalog_matches_the_created_schema(shop):
    with open_connection(shop) as conn:
        cat = extract_catalog(conn).to_dict()
    assert (cat["dialect"], cat["database"], cat["schema"]) == ("snowflake", "SHOPDB", "SHOP")
    tables = {t["name"]: t for t in cat["tables"]}
    assert {n: t["kind"] for n, t in tables.items()} == {
        "CUSTOMERS": "table",
        "ORDER_LINES": "table",
        "V_VIP": "view",
    }
    cols = {
        n: [(c["name"], c["data_type"], c["type_family"], c["nullable"]) for c in t["columns"]]
        for n, t in tables.items()
    }
    assert cols["CUSTOMERS"] == [
        ("ID", "NUMBER(38,0)", "integer", False),
        ("EMAIL", "TEXT", "string", False),
        ("NAME", "TEXT", "string", False),
        ("CREATED_AT", "TIMESTAMP_NTZ", "timestamp", True),
        ("SEEN_AT", "TIMESTAMP_TZ", "timestamp", True),
        ("VIP", "BOOLEAN", "boolean", True),
    ]
    assert cols["ORDER_LINES"] == [
        ("ORDER_ID", "NUMBER(38,0)", "integer", False),
        ("LINE_NO", "NUMBER(38,0)", "integer", False),
        ("AMOUNT", "NUMBER(12,2)", "decimal", True),
        ("WEIGHT", "FLOAT", "float", True),
        ("SHIPPED", "DATE", "date", True),
    ]
    assert [c[0] for c in cols["V_VIP"]] == ["ID", "NAME"]
    assert tables["CUSTOMERS"]["primary_key"]["columns"] == ["ID"]
    assert tables["ORDER_LINES"]["primary_key"]["columns"] == ["ORDER_ID", "LINE_NO"]
    assert tables["CUSTOMERS"]["row_estimate"] == 2
    assert tables["V_VIP"]["indexes"] is None  # Snowflake has no secondary indexes


def test_snowflake_table_filter_and_unknown_schema_are_named(shop):
    with open_connection(shop) as conn:
        cat = extract_catalog(conn, "SHOP", ["ORDER_LINES"])
        assert [t.name for t in cat.tables] == ["ORDER_LINES"]
        with pytest.raises(NotFound, match=r"schema 'NOPE' not found.*SHOP"):
            extract_catalog(conn, "NOPE")


def test_snowflake_extraction_job_stores_a_snapshot(shop, make_engine, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "connections.yaml").write_text(
        yaml.safe_dump({"connections": {"sf": {"type": "snowflake", "url": URL}}})
    )
    eng = make_engine(workspace=ws)
    created = eng.submit(
        "bulk_metadata_extraction",
        {"job_name": "sf", "items": [{"connection_name": "sf", "schema_name": "SHOP"}]},
    )
    job = eng.wait(created.job_id, timeout=60)
    assert job.status.value == "completed", [op.error for op in job.operations]
    with eng.store.reader() as cur:
        snaps = list_snapshots(cur)
    assert [(s["connection_type"], s["table_count"], s["column_count"]) for s in snaps] == [
        ("snowflake", 3, 13)
    ]
    assert job.operations[0].result["primary_keys"] == 2


def test_a_snowflake_connection_without_the_connector_names_the_package(monkeypatch):
    import sys

    from batchcore.errors import ConfigError

    monkeypatch.setitem(sys.modules, "snowflake.connector", None)  # as if not installed
    with pytest.raises(ConfigError, match="snowflake-connector-python"):
        open_connection(ResolvedConnection("sf", "snowflake", None, URL, {}))
