"""Writes need permission: data generation writes only where the workspace allows it, never over
a table it did not write unless the request says replace_existing, and within the limits."""

from __future__ import annotations

import sqlite3

import duckdb
import pytest
from fastapi.testclient import TestClient

from batchcore.api import create_api
from batchcore.config import Settings
from batchcore.connections import (
    _mysql_params,
    duckdb_instance_acquire,
    duckdb_instance_release,
)
from batchcore.datagen.ownership import MARK
from batchcore.engine import Engine
from batchcore.errors import ConfigError, RequestError, TooManyRequests
from batchcore.limits import generation_rows
from batchcore.planning import OpPlan
from tests.datagen.conftest import write_workspace

GEN = "batch_data_generation"


def _gen(eng, item: dict, **options):
    job = eng.submit(GEN, {"job_name": "gen", "items": [item], **options})
    return eng.wait(job.job_id, timeout=180)


def _duck(path, sql: str):
    cur = duckdb_instance_acquire(str(path))
    try:
        return cur.execute(sql).fetchall()
    finally:
        cur.close()
        duckdb_instance_release(str(path))


# ---------------------------------------------------------------- the connection rule


def test_readonly_and_not_allowed_targets_are_refused_at_submit(make_engine, tmp_path):
    root = write_workspace(
        tmp_path / "ws",
        {
            "ro": {
                "type": "duckdb",
                "path": "data/ro.duckdb",
                "readonly": True,
                "allow_generate": False,
            },
            "other": {"type": "duckdb", "path": "data/other.duckdb", "allow_generate": False},
            "yes": {"type": "duckdb", "path": "data/yes.duckdb"},
        },
    )
    eng = make_engine(workspace=root)
    with pytest.raises(RequestError) as ro:
        eng.submit(
            GEN, {"job_name": "x", "items": [{"schema_type": "Retail", "target_connection": "ro"}]}
        )
    assert ro.value.field == "items.0.target_connection"
    assert (
        ro.value.message
        == "connection 'ro' is marked readonly: data generation never writes into it"
    )
    with pytest.raises(RequestError) as other:
        eng.submit(
            GEN,
            {
                "job_name": "x",
                "items": [
                    {"schema_type": "Retail"},
                    {"schema_type": "Finance", "target_connection": "other"},
                ],
            },
        )
    assert other.value.field == "items.1.target_connection"
    assert "does not allow data generation: add `allow_generate: true`" in other.value.message
    assert (
        _gen(
            eng, {"schema_type": "Retail", "row_count": 500, "target_connection": "yes"}
        ).status.value
        == "completed"
    )
    # nothing was written into the refused ones
    assert (
        not (root / "data" / "ro.duckdb").exists() and not (root / "data" / "other.duckdb").exists()
    )


def test_the_operation_checks_the_rule_too(make_engine, tmp_path):
    """A job created without planning (or a connections.yaml edited after submit) still cannot
    write into a readonly connection: the operation fails, not retried."""
    root = write_workspace(
        tmp_path / "ws",
        {
            "ro": {
                "type": "duckdb",
                "path": "data/ro.duckdb",
                "readonly": True,
                "allow_generate": False,
            }
        },
    )
    eng = make_engine(workspace=root)
    spec = {"schema_type": "Retail", "row_count": 100, "target_connection": "ro"}
    job = eng.submit_operations(
        "direct", [OpPlan("generate_0_retail", "data_generation", spec)], max_retries=2
    )
    view = eng.wait(job.job_id, timeout=60)
    (op,) = view.operations
    assert op.status.value == "failed" and op.attempts == 1
    assert "is marked readonly" in op.error


def test_connection_flags_are_validated(tmp_path):
    from batchcore.workspace import Workspace

    (tmp_path / "connections.yaml").write_text(
        "connections:\n  a: {type: duckdb, path: a.duckdb, readonly: yes-please}\n"
    )
    with pytest.raises(ConfigError, match="readonly 'yes-please' must be true or false"):
        Workspace.load(tmp_path)
    (tmp_path / "connections.yaml").write_text(
        "connections:\n  a: {type: duckdb, path: a.duckdb, readonly: true, allow_generate: true}\n"
    )
    with pytest.raises(ConfigError, match="readonly and allow_generate contradict each other"):
        Workspace.load(tmp_path)


# ---------------------------------------------------------------- tables it did not write


def test_duckdb_table_written_by_someone_else_needs_replace_existing(make_engine, workspace):
    eng = make_engine(workspace=workspace)
    path = workspace / "data" / "generated.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA retail")
        con.execute("CREATE TABLE retail.dim_customer AS SELECT 42 AS precious")
    refused = _gen(eng, {"schema_type": "Retail", "row_count": 500}, max_retries=2)
    (op,) = refused.operations
    assert op.status.value == "failed" and op.attempts == 1
    assert op.error == (
        "ConfigError: schema 'retail' of connection 'generated' already holds dim_customer, not "
        "written by data generation: set replace_existing: true to replace it"
    )
    assert _duck(path, "SELECT * FROM retail.dim_customer") == [(42,)]
    assert _duck(path, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'retail'") == [
        (1,)
    ]
    done = _gen(eng, {"schema_type": "Retail", "row_count": 500, "replace_existing": True})
    assert done.status.value == "completed"
    comments = _duck(
        path, "SELECT DISTINCT comment FROM duckdb_tables() WHERE schema_name = 'retail'"
    )
    assert comments == [(f"{MARK} Retail seed 42",)]
    # its own tables it replaces freely
    assert (
        _gen(eng, {"schema_type": "Retail", "row_count": 600, "seed": 3}).status.value
        == "completed"
    )
    assert _duck(path, "SELECT count(*) FROM retail.fact_sales") == [(600,)]


def test_sqlite_table_written_by_someone_else_needs_replace_existing(make_engine, tmp_path):
    db = tmp_path / "ws" / "data" / "lite.sqlite"
    root = write_workspace(
        tmp_path / "ws",
        {"lite": {"type": "sqlite", "path": "data/lite.sqlite", "options": {"create": True}}},
    )
    db.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE finance_dim_account (keep INTEGER)")
        con.execute("CREATE TABLE unrelated (x INTEGER)")
    eng = make_engine(workspace=root)
    item = {"schema_type": "Finance", "row_count": 300, "target_connection": "lite"}
    refused = _gen(eng, item)
    assert refused.status.value == "failed"
    assert (
        "already holds finance_dim_account, not written by data generation"
        in refused.operations[0].error
    )
    assert _gen(eng, {**item, "replace_existing": True}).status.value == "completed"
    with sqlite3.connect(db) as con:
        (sql,) = con.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'finance_dim_account'"
        ).fetchone()
        assert f"{MARK} Finance seed 42" in sql
        assert con.execute("SELECT count(*) FROM unrelated").fetchone() == (0,)
    assert _gen(eng, item).status.value == "completed"


@pytest.mark.postgres
def test_postgres_table_written_by_someone_else_needs_replace_existing(
    make_engine, tmp_path, pg_database
):
    import psycopg

    root = write_workspace(tmp_path / "ws", {"pg": {"type": "postgres", "url": pg_database}})
    with psycopg.connect(pg_database, autocommit=True) as con:
        con.execute("CREATE SCHEMA healthcare")
        con.execute("CREATE TABLE healthcare.dim_patient (keep int)")
    eng = make_engine(workspace=root)
    item = {"schema_type": "Healthcare", "row_count": 300, "target_connection": "pg"}
    refused = _gen(eng, item)
    assert (
        "schema 'healthcare' of connection 'pg' already holds dim_patient"
        in refused.operations[0].error
    )
    assert _gen(eng, {**item, "replace_existing": True}).status.value == "completed"
    with psycopg.connect(pg_database) as con:
        marks = con.execute(
            "SELECT DISTINCT obj_description(c.oid, 'pg_class') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'healthcare' AND c.relkind = 'r'"
        ).fetchall()
    assert marks == [(f"{MARK} Healthcare seed 42",)]
    assert _gen(eng, item).status.value == "completed"


@pytest.mark.mysql
def test_mariadb_table_written_by_someone_else_needs_replace_existing(
    make_engine, tmp_path, mysql_database
):
    import pymysql

    root = write_workspace(tmp_path / "ws", {"my": {"type": "mysql", "url": mysql_database}})
    con = pymysql.connect(autocommit=True, **_mysql_params(mysql_database))
    with con.cursor() as cur:
        cur.execute("CREATE TABLE retail_dim_store (keep INT)")
    eng = make_engine(workspace=root)
    item = {"schema_type": "Retail", "row_count": 300, "target_connection": "my"}
    refused = _gen(eng, item)
    assert (
        "connection 'my' already holds retail_dim_store, not written by data generation"
        in refused.operations[0].error
    )
    assert _gen(eng, {**item, "replace_existing": True}).status.value == "completed"
    with con.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT table_comment FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_name LIKE 'retail\\_%%'"
        )
        assert cur.fetchall() == ((f"{MARK} Retail seed 42",),)
    con.close()
    assert _gen(eng, item).status.value == "completed"


# ---------------------------------------------------------------- limits


def test_generation_rows_and_operations_per_job_are_limited(make_engine, workspace):
    rows_500 = generation_rows({"schema_type": "Retail", "row_count": 500})
    assert rows_500 > 500  # dimensions count too
    eng = make_engine(workspace=workspace, max_generate_rows=rows_500, max_job_operations=2)
    with pytest.raises(RequestError) as big:
        eng.submit(
            GEN,
            {
                "job_name": "x",
                "items": [{"schema_type": "Retail", "row_count": 500}] * 2
                + [{"schema_type": "Retail", "row_count": 1}],
            },
        )
    assert big.value.field == "operations"
    with pytest.raises(RequestError) as rows:
        eng.submit(GEN, {"job_name": "x", "items": [{"schema_type": "Retail", "row_count": 600}]})
    total = generation_rows({"schema_type": "Retail", "row_count": 600})
    assert rows.value.field == "items"
    assert rows.value.message == (
        f"the job would write {total:,} rows (all tables; item 0 alone {total:,}); this server "
        f"allows {rows_500:,} rows per generation job (BATCH_MAX_GENERATE_ROWS): lower "
        "row_count or split the job"
    )
    assert _gen(eng, {"schema_type": "Retail", "row_count": 500}).status.value == "completed"


def test_queued_jobs_are_limited_with_429(tmp_path, workspace):
    settings = Settings(
        jobs_dir=tmp_path / "jobs", workspace=workspace, auto_build_example=False, max_queued_jobs=2
    )
    eng = Engine(settings, start=False)  # nothing starts: submitted jobs stay pending
    try:
        with TestClient(create_api(engine=eng, token=None)) as client:
            body = {"job_name": "q", "items": [{"schema_type": "Retail", "row_count": 10}]}
            assert [
                client.post("/data/bulk-generate", json=body).status_code for _ in range(2)
            ] == [200, 200]
            third = client.post("/data/bulk-generate", json=body)
            assert third.status_code == 429
            assert third.headers["retry-after"] == "30"
            assert third.json()["message"] == (
                "2 jobs are already waiting to start (this server queues at most 2, "
                "BATCH_MAX_QUEUED_JOBS): submit again when some have started"
            )
        with pytest.raises(TooManyRequests):
            eng.submit(GEN, body)
    finally:
        eng.close(wait_s=5)
