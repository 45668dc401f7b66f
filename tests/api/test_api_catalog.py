"""Metadata snapshots over the API, and `catalog --url` reading them from a live server while
the server owns the job store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from batchcore.cli import main as cli
from batchcore.connections import duckdb_instance_acquire, duckdb_instance_release


def _two_snapshots(engine, workspace) -> None:
    request = {"job_name": "snap", "items": [{"connection_name": "warehouse"}]}
    assert (
        engine.wait(engine.submit("bulk_metadata_extraction", request).job_id, 30).status.value
        == "completed"
    )
    db = str(workspace / "data" / "warehouse.duckdb")
    cur = duckdb_instance_acquire(db)  # the engine's process shares one DuckDB instance per file
    try:
        cur.execute("ALTER TABLE customers ADD COLUMN tier VARCHAR")
    finally:
        cur.close()
        duckdb_instance_release(db)
    assert (
        engine.wait(engine.submit("bulk_metadata_extraction", request).job_id, 30).status.value
        == "completed"
    )


def test_list_show_and_diff_snapshots(client, api_engine, api_workspace):
    _two_snapshots(api_engine, api_workspace)
    listed = client.get("/catalog/snapshots", params={"connection": "warehouse"}).json()
    assert listed["total"] == 2
    newest, older = listed["snapshots"]
    assert newest["created_at"] >= older["created_at"] and newest["table_count"] == 3
    # OpenAPI date-time needs a zone: the store's naive UTC goes out as UTC (the API fuzz run
    # found a naive created_at here)
    stamps = [datetime.fromisoformat(s["created_at"]) for s in listed["snapshots"]]
    assert [t.utcoffset() for t in stamps] == [timedelta(0), timedelta(0)]
    snap = client.get("/catalog/snapshot", params={"ref": "@warehouse"}).json()
    assert snap["snapshot_id"] == newest["snapshot_id"]
    customers = next(t for t in snap["catalog"]["tables"] if t["name"] == "customers")
    assert [c["name"] for c in customers["columns"]] == ["id", "tier"]
    d = client.get("/catalog/diff", params={"a": "@warehouse~1", "b": "@warehouse"}).json()
    assert d["identical"] is False
    assert [c["name"] for t in d["tables_changed"] for c in t["columns_added"]] == ["tier"]
    csv_text = client.get(
        "/catalog/diff",
        params={"a": older["snapshot_id"], "b": newest["snapshot_id"], "format": "csv"},
    ).text
    assert csv_text.splitlines()[1].startswith("added,column,customers,tier")
    missing = client.get("/catalog/snapshot", params={"ref": "snap-nope"})
    assert missing.status_code == 404 and "not found" in missing.json()["message"]


def test_catalog_cli_reads_through_the_api(live_url, api_engine, api_workspace, capsys, tmp_path):
    _two_snapshots(api_engine, api_workspace)
    assert cli(["catalog", "list", "--url", live_url, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["connection_name"] for r in rows] == ["warehouse", "warehouse"]
    out = tmp_path / "drift.csv"
    assert (
        cli(
            [
                "catalog",
                "diff",
                "@warehouse~1",
                "@warehouse",
                "--url",
                live_url,
                "--format",
                "csv",
                "-o",
                str(out),
            ]
        )
        == 1
    )  # differences found, like diff(1)
    assert "added,column,customers,tier" in out.read_text()
    assert cli(["catalog", "show", "@warehouse", "--url", live_url]) == 0
    assert "tier" in capsys.readouterr().out
