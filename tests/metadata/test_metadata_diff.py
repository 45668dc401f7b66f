"""The diff rules on small hand-written catalogs, and its JSON / CSV / text forms."""

from __future__ import annotations

import csv
import io
import json

import pytest

from batchcore.metadata.diff import (
    CSV_COLUMNS,
    diff,
    diff_rows,
    diff_to_csv,
    diff_to_json,
    diff_to_text,
)
from batchcore.metadata.model import type_family


def col(name, data_type, nullable=True, default=None, ordinal=1):
    return {
        "ordinal": ordinal,
        "name": name,
        "data_type": data_type,
        "type_family": type_family(data_type),
        "nullable": nullable,
        "default": default,
        "comment": None,
    }


def table(name, columns, pk=None, fks=(), uniques=(), indexes=(), kind="table"):
    return {
        "name": name,
        "kind": kind,
        "row_estimate": None,
        "comment": None,
        "columns": list(columns),
        "primary_key": {"name": f"{name}_pk", "columns": pk} if pk else None,
        "foreign_keys": list(fks),
        "unique_constraints": list(uniques),
        "indexes": None if indexes is None else list(indexes),
    }


def catalog(dialect, tables, schema="public"):
    return {
        "format_version": 1,
        "dialect": dialect,
        "database": "db",
        "schema": schema,
        "extracted_at": "x",
        "queries": 4,
        "tables": tables,
    }


def fk(cols, ref_table, ref_cols, name="fk", ref_schema="public"):
    return {
        "name": name,
        "columns": cols,
        "ref_schema": ref_schema,
        "ref_table": ref_table,
        "ref_columns": ref_cols,
    }


BASE = catalog(
    "postgres",
    [
        table(
            "customers",
            [col("id", "integer", False), col("email", "character varying(100)", False)],
            pk=["id"],
            uniques=[{"name": "customers_email_key", "columns": ["email"]}],
        ),
        table(
            "orders",
            [
                col("id", "bigint", False),
                col("customer_id", "integer"),
                col("status", "text", default="'new'::text"),
            ],
            pk=["id"],
            fks=[fk(["customer_id"], "customers", ["id"], "orders_customer_fk")],
            indexes=[{"name": "orders_status_idx", "columns": ["status"], "unique": False}],
        ),
        table("legacy", [col("x", "integer")]),
    ],
)


def test_identical_catalogs():
    d = diff(BASE, json.loads(json.dumps(BASE)))
    assert (
        d["identical"] is True and d["tables_changed"] == [] and set(d["summary"].values()) == {0}
    )
    assert diff_rows(d) == []
    assert "identical" in diff_to_text(d)


def test_every_kind_of_change_is_listed():
    new = json.loads(json.dumps(BASE))
    t = {x["name"]: x for x in new["tables"]}
    new["tables"].remove(t["legacy"])
    new["tables"].append(table("stores", [col("id", "integer", False)], pk=["id"]))
    cust = t["customers"]
    cust["columns"][1] = col("email", "character varying(200)", False)
    cust["columns"].append(col("phone", "text"))
    cust["unique_constraints"] = []
    orders = t["orders"]
    orders["columns"][1]["nullable"] = False
    orders["columns"][2]["default"] = "'open'::text"
    orders["columns"] = [c for c in orders["columns"]]
    orders["primary_key"] = {"name": "other_name", "columns": ["id", "customer_id"]}
    orders["foreign_keys"] = [
        fk(["customer_id"], "customers", ["id"], "renamed_fk")
    ]  # same key, new name
    orders["indexes"] = [
        {"name": "orders_status_idx", "columns": ["status", "id"], "unique": False}
    ]
    d = diff(BASE, new)
    assert [x["name"] for x in d["tables_added"]] == ["stores"]
    assert [x["name"] for x in d["tables_removed"]] == ["legacy"]
    changed = {c["table"]: c for c in d["tables_changed"]}
    assert set(changed) == {"customers", "orders"}
    c = changed["customers"]
    assert [x["name"] for x in c["columns_added"]] == ["phone"]
    assert c["columns_changed"] == [
        {
            "column": "email",
            "changes": {
                "data_type": {"from": "character varying(100)", "to": "character varying(200)"}
            },
        }
    ]
    assert c["unique_constraints_removed"] == [
        {"name": "customers_email_key", "columns": ["email"]}
    ]
    o = changed["orders"]
    assert o["columns_changed"] == [
        {"column": "customer_id", "changes": {"nullable": {"from": True, "to": False}}},
        {"column": "status", "changes": {"default": {"from": "'new'::text", "to": "'open'::text"}}},
    ]
    assert o["primary_key"] == {"from": ["id"], "to": ["id", "customer_id"]}
    assert (
        o["foreign_keys_added"] == [] and o["foreign_keys_removed"] == []
    )  # compared by columns, not names
    assert [i["columns"] for i in o["indexes_added"]] == [["status", "id"]]
    assert [i["columns"] for i in o["indexes_removed"]] == [["status"]]
    assert d["summary"] == {
        "tables_added": 1,
        "tables_removed": 1,
        "tables_changed": 2,
        "columns_added": 1,
        "columns_removed": 0,
        "columns_changed": 3,
        "keys_changed": 4,
    }
    rows = [tuple(r.values()) for r in diff_rows(d)]
    assert ("added", "table", "stores", "", "", "", "table") in rows
    assert (
        "changed",
        "column",
        "orders",
        "status",
        "default",
        "'new'::text",
        "'open'::text",
    ) in rows
    assert ("changed", "primary_key", "orders", "", "columns", "id", "id, customer_id") in rows
    assert ("removed", "unique", "customers", "email", "", "(email)", "") in rows
    assert len(rows) == 10
    text = diff_to_text(d)
    assert "+ table stores (table)" in text and "- table legacy (table)" in text
    assert "    ~ column email: data_type character varying(100) -> character varying(200)" in text


def test_across_dialects_types_compare_by_family_names_fold_and_defaults_are_skipped():
    sf = catalog(
        "snowflake",
        [
            table(
                "CUSTOMERS",
                [col("ID", "NUMBER(38,0)", False), col("EMAIL", "VARCHAR(16777216)", False)],
                pk=["ID"],
                uniques=[{"name": "U1", "columns": ["EMAIL"]}],
            ),
            table(
                "ORDERS",
                [
                    col("ID", "NUMBER(38,0)", False),
                    col("CUSTOMER_ID", "NUMBER(38,0)"),
                    col("STATUS", "VARCHAR", default="'new'"),
                ],
                pk=["ID"],
                fks=[fk(["CUSTOMER_ID"], "CUSTOMERS", ["ID"], ref_schema="PUBLIC")],
                indexes=None,
            ),
        ],
        schema="PUBLIC",
    )
    d = diff(BASE, sf)
    assert d["type_comparison"] == "family" and d["defaults_compared"] is False
    assert [t["name"] for t in d["tables_removed"]] == ["legacy"] and d["tables_added"] == []
    changed = {c["table"]: c for c in d["tables_changed"]}
    # NUMBER(38,0) is a decimal, PostgreSQL's integer/bigint are integers: a real family change
    assert [x["column"] for x in changed["CUSTOMERS"]["columns_changed"]] == ["ID"]
    assert (
        changed["ORDERS"]["foreign_keys_added"] == [] and changed["ORDERS"]["indexes_removed"] == []
    )
    d_exact = diff(BASE, sf, types="exact")
    assert d_exact["type_comparison"] == "exact"
    assert len({c["table"]: c for c in d_exact["tables_changed"]}["ORDERS"]["columns_changed"]) == 3
    with pytest.raises(ValueError, match="types must be auto, exact or family"):
        diff(BASE, sf, types="loose")


def test_csv_and_json_exports():
    new = json.loads(json.dumps(BASE))
    new["tables"][0]["columns"].append(col("=cmd|' /C calc'!A0", "text"))
    d = diff(
        {
            "snapshot_id": "s1",
            "connection_name": "a",
            "connection_type": "postgres",
            "schema_name": "public",
            "created_at": None,
            "catalog": BASE,
        },
        {
            "snapshot_id": "s2",
            "connection_name": "b",
            "connection_type": "postgres",
            "schema_name": "public",
            "created_at": None,
            "catalog": new,
        },
    )
    rows = list(csv.reader(io.StringIO(diff_to_csv(d))))
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[1] == ["added", "column", "customers", "'=cmd|' /C calc'!A0", "", "", "text"]
    back = json.loads(diff_to_json(d))
    assert back["from"]["snapshot_id"] == "s1" and back["to"]["connection_name"] == "b"
    assert back["summary"]["columns_added"] == 1
