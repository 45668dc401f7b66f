"""Pipelines whose data is not built yet are marked "needs setup" with the command to run
(connections with `setup:` in connections.yaml, batchcore.readiness), on a real DuckDB file and
a real PostgreSQL server; the example's PostgreSQL database is its own, created on demand."""

from __future__ import annotations

import secrets
from pathlib import Path

import duckdb
import pytest

from batchcore import readiness
from batchcore.workspace import Workspace
from tests.ui.conftest import open_page
from tests.ui.seed import write_workspace

COMMAND = "python -m batchcore example build"
SHOP = """\
  shop:
    type: duckdb
    path: data/shop.duckdb
    setup: python -m batchcore example build
"""
ORDERS = """\
target: shop
checks:
  - {type: not_null, table: sales.orders, columns: [id]}
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The UI workspace plus project `shop` whose connection's data is not built."""
    root = write_workspace(tmp_path / "workspace")
    with (root / "connections.yaml").open("a") as f:
        f.write(SHOP)
    d = root / "projects" / "shop"
    (d / "pipelines").mkdir(parents=True)
    (d / "project.yaml").write_text("name: Shop\ntarget: shop\n")
    (d / "pipelines" / "orders_validation.yaml").write_text(ORDERS)
    readiness.clear_cache()
    return root


def _build_shop(root: Path, table: str = "sales.orders") -> None:
    with duckdb.connect(str(root / "data" / "shop.duckdb")) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS sales")
        con.execute(f"CREATE TABLE {table} AS SELECT 1 AS id")


def test_missing_file_then_missing_table_then_built(workspace: Path):
    ws = Workspace.load(workspace)
    ref = ws.projects["shop"].pipelines["orders_validation"]
    assert readiness.needs_setup(ws, ref) == COMMAND  # no file
    _build_shop(workspace, "sales.other")
    assert readiness.needs_setup(ws, ref) == COMMAND  # the file, not the table
    with duckdb.connect(str(workspace / "data" / "shop.duckdb")) as con:
        con.execute("CREATE TABLE sales.orders AS SELECT 1 AS id")
    assert readiness.needs_setup(ws, ref) is None
    # connections without `setup` are never marked
    plain = ws.projects["retail_migration"].pipelines["dim_customer_validation"]
    assert readiness.needs_setup(ws, plain) is None


def test_bulk_picker_marks_the_pipeline_and_warns_with_the_command(engine, workspace: Path):
    at = open_page()
    box = at.checkbox(key="bulk.pl.shop.orders_validation")
    assert box.label == "orders_validation ⚙ needs setup"
    assert f"Run `{COMMAND}` in the project folder" in box.help
    assert at.checkbox(key="bulk.pl.finance_checks.ledger_validation").label == (
        "ledger_validation"
    )
    box.check().run()
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("`shop/orders_validation` needs data that is not built yet")
    assert f"run `{COMMAND}`" in warning

    _build_shop(workspace)
    at = open_page()
    assert at.checkbox(key="bulk.pl.shop.orders_validation").label == "orders_validation"


def test_multi_project_picker_marks_the_project(engine, workspace: Path):
    at = open_page("pages/multi_project.py")
    box = at.checkbox(key="multi.proj.shop")
    assert box.label.endswith("⚙ needs setup")
    assert f"`{COMMAND}`" in box.help
    box.check().run()
    assert any("`shop/orders_validation` needs data" in w.value for w in at.warning)


@pytest.mark.postgres
def test_postgres_connection_needs_its_schema_and_database(tmp_path: Path, pg_url: str):
    import psycopg

    from batchcore.example import ensure_postgres_database

    name = f"newcomer_{secrets.token_hex(4)}"
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    root = tmp_path / "ws"
    (root / "projects" / "p" / "pipelines").mkdir(parents=True)
    (root / "connections.yaml").write_text(
        f"connections:\n  src:\n    type: postgres\n    url: {url}\n"
        "    options: {schema: nycflights}\n    setup: python -m batchcore example build --postgres\n"
    )
    (root / "projects" / "p" / "project.yaml").write_text("name: P\ntarget: src\n")
    (root / "projects" / "p" / "pipelines" / "a.yaml").write_text(
        "target: src\nchecks:\n  - {type: row_count, table: flights, min: 1}\n"
    )
    readiness.clear_cache()
    ws = Workspace.load(root)
    ref = ws.projects["p"].pipelines["a"]
    try:
        assert readiness.needs_setup(ws, ref) == "python -m batchcore example build --postgres"
        assert ensure_postgres_database(url) is True  # the example's own database, created
        assert ensure_postgres_database(url) is False  # once
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("CREATE SCHEMA nycflights")
            con.execute("CREATE TABLE nycflights.flights (id int)")
        readiness.clear_cache()
        assert readiness.needs_setup(ws, ref) is None
    finally:
        admin = pg_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
