"""Catalog page on real snapshots: unique picker labels, never a snapshot against itself, the
previous snapshot of the same source as the default "Older", short metrics, unknown row
estimates as a dash."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from batchcore.engine import Engine
from batchcore.store import snapshots
from batchcore.store.writer import FnCommand
from tests.ui.conftest import open_page
from tests.ui.seed import write_workspace

CATALOG = "pages/catalog.py"
LONG = "eu_west_reporting_warehouse_replica"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The UI workspace plus a connection with a long name (on the warehouse file) and a
    `generated` DuckDB file with one table, so three sources can be snapshotted."""
    root = write_workspace(tmp_path / "workspace")
    with (root / "connections.yaml").open("a") as f:
        f.write(f"  {LONG}:\n    type: duckdb\n    path: data/warehouse.duckdb\n")
    with duckdb.connect(str(root / "data" / "generated.duckdb")) as con:
        con.execute("CREATE TABLE dim_date AS SELECT range AS id FROM range(5)")
    return root


def take_snapshot(engine: Engine, connection: str, at: datetime) -> dict:
    """Run a real extraction of `connection`, then date its snapshot `at`; returns its row."""
    request = {"job_name": f"snap {connection}", "items": [{"connection_name": connection}]}
    job_id = engine.submit("bulk_metadata_extraction", request).job_id
    assert engine.wait(job_id, timeout=30).status.value == "completed"
    with engine.store.reader() as cur:
        (snap,) = [s for s in snapshots.list_snapshots(cur) if s["job_id"] == job_id]
    engine.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE catalog_snapshots SET created_at = ? WHERE snapshot_id = ?",
                [at, snap["snapshot_id"]],
            ).fetchall()
        )
    )
    return {**snap, "created_at": at}


def warehouse(sql: str, workspace: Path) -> None:
    with duckdb.connect(str(workspace / "data" / "warehouse.duckdb")) as con:
        con.execute(sql)


def test_two_snapshots_taken_in_the_same_second_have_different_labels(engine):
    same = datetime(2026, 3, 1, 9, 15, 42)
    a = take_snapshot(engine, "warehouse", same)
    b = take_snapshot(engine, "warehouse", same)

    at = open_page(CATALOG)
    for key in ("cat_snapshot", "cat_a", "cat_b"):
        labels = at.selectbox(key=key).options
        assert len(labels) == len(set(labels)), labels
    labels = at.selectbox(key="cat_snapshot").options
    assert len(labels) == 2
    for snap in (a, b):
        (label,) = [x for x in labels if snap["snapshot_id"][-8:] in x]
        assert "2026-03-01 09:15:42" in label
        assert label.startswith("warehouse · main · ")


def test_the_default_older_snapshot_is_the_previous_one_of_the_same_source(engine, workspace):
    warehouse("CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR)", workspace)
    first = take_snapshot(engine, "warehouse", datetime(2026, 3, 1, 10, 0, 0))
    gen = take_snapshot(engine, "generated", datetime(2026, 3, 1, 10, 5, 0))
    warehouse("ALTER TABLE customers ADD COLUMN loyalty_tier VARCHAR", workspace)
    second = take_snapshot(engine, "warehouse", datetime(2026, 3, 1, 10, 10, 0))

    at = open_page(CATALOG)
    assert at.selectbox(key="cat_b").value == second["snapshot_id"]
    assert at.selectbox(key="cat_a").value == first["snapshot_id"]  # not `generated`, in between
    diff = at.dataframe[2].value
    added = diff[diff["change"] == "added"]
    assert list(added["column"]) == ["loyalty_tier"] and list(added["table"]) == ["customers"]
    assert not [i.value for i in at.info]

    # `generated` has no earlier snapshot: the older overall is offered, and the page says so
    at.selectbox(key="cat_b").set_value(gen["snapshot_id"]).run()
    assert at.selectbox(key="cat_a").value == first["snapshot_id"]
    assert any("different sources" in i.value and "`generated`" in i.value for i in at.info)

    # back to the newest warehouse snapshot: its own previous one again
    at.selectbox(key="cat_b").set_value(second["snapshot_id"]).run()
    assert at.selectbox(key="cat_a").value == first["snapshot_id"]
    assert not at.exception and not at.warning


def test_a_snapshot_is_never_compared_with_itself(engine, workspace):
    warehouse("CREATE TABLE customers (id INTEGER)", workspace)
    older = take_snapshot(engine, "warehouse", datetime(2026, 3, 1, 10, 0, 0))
    warehouse("CREATE TABLE orders (id INTEGER)", workspace)
    newer = take_snapshot(engine, "warehouse", datetime(2026, 3, 1, 11, 0, 0))

    at = open_page(CATALOG)
    a, b = at.selectbox(key="cat_a"), at.selectbox(key="cat_b")
    assert (a.value, b.value) == (older["snapshot_id"], newer["snapshot_id"])
    assert len(a.options) == 1 and newer["snapshot_id"][-8:] not in a.options[0]

    # picking the current "Older" as "Newer" moves "Older" to another snapshot
    at.selectbox(key="cat_b").set_value(older["snapshot_id"]).run()
    a, b = at.selectbox(key="cat_a"), at.selectbox(key="cat_b")
    assert b.value == older["snapshot_id"] and a.value == newer["snapshot_id"]
    assert all(older["snapshot_id"][-8:] not in o for o in a.options)
    diff = at.dataframe[2].value
    assert list(diff["change"]) == ["removed"] and list(diff["table"]) == ["orders"]
    assert any("taken after" in c.value for c in at.caption)


def test_browse_shows_long_names_in_full_and_unknown_row_estimates_as_a_dash(engine, workspace):
    warehouse("CREATE VIEW customer_ids AS SELECT id FROM dim_customer", workspace)
    snap = take_snapshot(engine, LONG, datetime(2026, 3, 1, 12, 0, 0))

    at = open_page(CATALOG)
    assert [m.label for m in at.metric] == ["Tables", "Columns"]
    assert [m.value for m in at.metric] == [str(snap["table_count"]), str(snap["column_count"])]
    text = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any(f"`{LONG}` (duckdb)" in t and "`main`" in t for t in text), text
    assert any("2026-03-01 12:00:00" in t and snap["snapshot_id"] in t for t in text), text

    tables = at.dataframe[0].value.set_index("Table")
    assert tables.loc["customer_ids", "Type"] == "view"
    assert tables.loc["customer_ids", "Row estimate"] == "—"
    assert tables.loc["dim_customer", "Row estimate"] == "3"


def _snap(engine: Engine, connection: str, schema: str | None, at: datetime) -> dict:
    """take_snapshot of one schema (None: the default one)."""
    item = {"connection_name": connection, **({"schema_name": schema} if schema else {})}
    job_id = engine.submit("bulk_metadata_extraction", {"job_name": "s", "items": [item]}).job_id
    assert engine.wait(job_id, timeout=30).status.value == "completed"
    with engine.store.reader() as cur:
        (snap,) = [s for s in snapshots.list_snapshots(cur) if s["job_id"] == job_id]
    engine.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE catalog_snapshots SET created_at = ? WHERE snapshot_id = ?",
                [at, snap["snapshot_id"]],
            ).fetchall()
        )
    )
    return snap


def test_catalog_opens_on_a_snapshot_with_tables_and_never_diffs_unrelated_sources(
    engine, workspace
):
    """The newest snapshot is of an empty schema (as the default schema of `generated` was):
    Browse opens on the newest one holding tables; Compare does not diff two different sources
    unless asked, and opens on a source that has two snapshots once one does."""
    warehouse("CREATE SCHEMA staging", workspace)
    wh = _snap(engine, "warehouse", None, datetime(2026, 3, 1, 10, 0, 0))
    empty = _snap(engine, "warehouse", "staging", datetime(2026, 3, 1, 11, 0, 0))
    assert empty["table_count"] == 0 and wh["table_count"] > 0

    at = open_page(CATALOG)
    assert at.selectbox(key="cat_snapshot").value == wh["snapshot_id"]
    assert not any("holds no tables" in i.value for i in at.info)
    assert at.selectbox(key="cat_b").value == wh["snapshot_id"]
    assert at.selectbox(key="cat_a").value == empty["snapshot_id"]
    assert any("different sources" in i.value for i in at.info)
    assert len(at.dataframe) == 2 and not at.get("download_button")  # browse tables only: no diff
    at.toggle(key="cat_anyway").set_value(True).run()
    diff = at.dataframe[2].value
    assert set(diff["change"]) == {"added"}  # from empty staging to main: every table added

    warehouse("CREATE TABLE dim_extra AS SELECT 1 AS id", workspace)
    again = _snap(engine, "warehouse", None, datetime(2026, 3, 1, 12, 0, 0))
    at = open_page(CATALOG)
    assert at.selectbox(key="cat_b").value == again["snapshot_id"]
    assert at.selectbox(key="cat_a").value == wh["snapshot_id"]
    diff = at.dataframe[2].value
    assert list(diff["change"]) == ["added"] and list(diff["table"]) == ["dim_extra"]
