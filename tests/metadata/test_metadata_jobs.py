"""Metadata extraction jobs through the executor: four databases, snapshots stored, failures isolated."""

from __future__ import annotations

import secrets
import sqlite3

import duckdb
import pytest
import yaml

from batchcore.metadata.diff import diff
from batchcore.store.snapshots import get_snapshot, list_snapshots, resolve

from .conftest import shop_ddl


def _workspace(root, connections: dict):
    root.mkdir(parents=True, exist_ok=True)
    (root / "connections.yaml").write_text(
        yaml.safe_dump({"connections": connections}), encoding="utf-8"
    )
    return root


def _duck_and_lite(tmp_path):
    con = duckdb.connect(str(tmp_path / "shopdb.duckdb"))
    con.execute("CREATE SCHEMA shop")
    for s in shop_ddl("duckdb", "shop."):
        con.execute(s)
    con.close()
    lite = sqlite3.connect(tmp_path / "shop.sqlite")
    for s in shop_ddl("sqlite", ""):
        lite.execute(s)
    lite.commit()
    lite.close()
    return {
        "duck": {"type": "duckdb", "path": str(tmp_path / "shopdb.duckdb")},
        "lite": {"type": "sqlite", "path": str(tmp_path / "shop.sqlite")},
    }


@pytest.mark.postgres
@pytest.mark.mysql
def test_job_extracting_four_connections_completes_with_snapshots(
    make_engine, tmp_path, pg_url, pg_schema, mysql_database
):
    import psycopg
    import pymysql

    from batchcore.connections import _mysql_params

    with psycopg.connect(pg_url, autocommit=True) as c:
        for s in shop_ddl("postgres", f"{pg_schema}."):
            c.execute(s)
    my = pymysql.connect(autocommit=True, **_mysql_params(mysql_database))
    with my.cursor() as cur:
        for s in shop_ddl("mysql", ""):
            cur.execute(s)
    my.close()
    conns = {
        **_duck_and_lite(tmp_path),
        "pg": {"type": "postgres", "url": pg_url},
        "maria": {"type": "mysql", "url": mysql_database},
    }
    eng = make_engine(workspace=_workspace(tmp_path / "ws", conns))
    created = eng.submit(
        "bulk_metadata_extraction",
        {
            "job_name": "four",
            "items": [
                {"connection_name": "duck", "schema_name": "shop"},
                {"connection_name": "lite"},
                {"connection_name": "pg", "schema_name": pg_schema},
                {"connection_type": "mysql"},
            ],
        },
    )
    assert created.total_operations == 4
    job = eng.wait(created.job_id, timeout=120)
    assert job.status.value == "completed", [op.error for op in job.operations]
    with eng.store.reader() as cur:
        snaps = list_snapshots(cur)
        assert sorted(
            (s["connection_name"], s["connection_type"], s["table_count"], s["column_count"])
            for s in snaps
        ) == [
            ("duck", "duckdb", 4, 16),
            ("lite", "sqlite", 4, 16),
            ("maria", "mysql", 4, 16),
            ("pg", "postgres", 4, 16),
        ]
        assert {s["job_id"] for s in snaps} == {created.job_id}
        by_conn = {s["connection_name"]: get_snapshot(cur, s["snapshot_id"]) for s in snaps}
    for op in job.operations:
        r = op.result
        assert r["snapshot_id"] in {s["snapshot_id"] for s in snaps}
        assert (
            r["kinds"] == {"table": 3, "view": 1} and r["queries"] <= 8 and r["foreign_keys"] == 2
        )
    assert (
        by_conn["pg"]["schema_name"] == pg_schema
        and by_conn["maria"]["schema_name"] == mysql_database.rsplit("/", 1)[1]
    )
    # environments compared by type family: same tables, columns and keys; MariaDB adds an index
    # for the foreign key and derives NOT NULL for a view column, PostgreSQL does neither
    d = diff(by_conn["pg"], by_conn["maria"])
    assert d["type_comparison"] == "family" and d["tables_added"] == d["tables_removed"] == []
    summary = [
        (
            c["table"],
            c["columns_changed"],
            [i["columns"] for i in c["indexes_added"]],
            c["primary_key"],
            c["foreign_keys_added"] + c["foreign_keys_removed"],
        )
        for c in d["tables_changed"]
    ]
    assert summary == [
        ("orders", [], [["customer_id"]], None, []),
        (
            "v_big_orders",
            [{"column": "id", "changes": {"nullable": {"from": True, "to": False}}}],
            [],
            None,
            [],
        ),
    ]


@pytest.mark.postgres
def test_bad_connection_missing_schema_and_denied_access_fail_alone(
    make_engine, tmp_path, pg_url, pg_schema
):
    import psycopg

    role = f"bt_ro_{secrets.token_hex(3)}"
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute(f'CREATE ROLE "{role}" LOGIN')
        c.execute(f'CREATE TABLE "{pg_schema}".t (id int)')
    host = pg_url.split("@", 1)[1]
    conns = {
        **_duck_and_lite(tmp_path),
        "down": {"type": "postgres", "url": "postgresql://postgres@127.0.0.1:1/test"},
        "ro": {"type": "postgres", "url": f"postgresql://{role}@{host}"},
        "gone": {"type": "duckdb", "path": str(tmp_path / "missing.duckdb")},
    }
    try:
        eng = make_engine(workspace=_workspace(tmp_path / "ws", conns))
        created = eng.submit(
            "bulk_metadata_extraction",
            {
                "job_name": "mixed",
                "max_retries": 1,
                "items": [
                    {"connection_name": "duck", "schema_name": "shop"},
                    {"connection_name": "down"},
                    {"connection_name": "lite", "schema_name": "nope"},
                    {"connection_name": "ro", "schema_name": pg_schema},
                    {"connection_name": "gone"},
                ],
            },
        )
        job = eng.wait(created.job_id, timeout=120)
        ops = {op.metadata["connection_name"]: op for op in job.operations}
        assert job.status.value == "partial_success"
        assert ops["duck"].status.value == "completed"
        assert (
            ops["down"].status.value == "failed" and ops["down"].attempts == 2
        )  # unreachable: retried
        assert ops["down"].error.startswith("ConnectionFailed: cannot connect to PostgreSQL (down)")
        assert ops["lite"].attempts == 1 and ops["lite"].error.startswith(
            "NotFound: schema 'nope' not found in connection 'lite' (sqlite) (SQLite schemas are main and attached databases)"
        )
        # the connection's user is one of its secrets: redacted from every stored error
        assert ops["ro"].attempts == 1 and ops["ro"].error == (
            f"CatalogAccessDenied: permission denied: role '<user>' has no USAGE privilege on schema '{pg_schema}' in "
            "connection 'ro' (GRANT USAGE ON SCHEMA ... TO <user>)"
        )
        assert ops["gone"].attempts == 1 and ops["gone"].error == (
            # operation errors name no absolute server path
            "NotFound: connection 'gone': duckdb file <path>/missing.duckdb does not exist"
        )
        assert not (tmp_path / "missing.duckdb").exists()
        with eng.store.reader() as cur:
            assert [s["connection_name"] for s in list_snapshots(cur)] == ["duck"]
        eng.close()
    finally:
        with psycopg.connect(pg_url, autocommit=True) as c:
            c.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_snapshot_references(make_engine, tmp_path):
    conns = _duck_and_lite(tmp_path)
    eng = make_engine(workspace=_workspace(tmp_path / "ws", conns))
    ids = []
    for k in range(3):
        if k == 2:
            c = sqlite3.connect(tmp_path / "shop.sqlite")
            c.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL)")
            c.commit()
            c.close()
        created = eng.submit(
            "bulk_metadata_extraction",
            {"job_name": f"lite {k}", "items": [{"connection_name": "lite"}]},
        )
        job = eng.wait(created.job_id, timeout=60)
        ids.append(job.operations[0].result["snapshot_id"])
    with eng.store.reader() as cur:
        assert [s["snapshot_id"] for s in list_snapshots(cur, connection="lite")] == ids[::-1]
        assert list_snapshots(cur, connection="duck") == []
        assert [s["snapshot_id"] for s in list_snapshots(cur, schema="main", limit=2)] == ids[:0:-1]
        assert resolve(cur, "@lite")["snapshot_id"] == ids[2]
        assert resolve(cur, "@lite/main~2")["snapshot_id"] == ids[0]
        assert resolve(cur, ids[1][:-3])["snapshot_id"] == ids[1]
        with pytest.raises(
            Exception,
            match=r"no snapshot '@lite~3': connection lite has fewer than 4 snapshot\(s\)",
        ):
            resolve(cur, "@lite~3")
        with pytest.raises(Exception, match="snapshot 'snap-x' not found"):
            resolve(cur, "snap-x")
        d = diff(resolve(cur, "@lite~1"), resolve(cur, "@lite"))
    assert [t["name"] for t in d["tables_added"]] == ["audit"] and d["tables_changed"] == []
