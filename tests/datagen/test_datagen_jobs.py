"""Data generation jobs through the engine and the executor, and from the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batchcore.connections import duckdb_instance_acquire, duckdb_instance_release
from batchcore.datagen.schemas import finance, healthcare, retail
from batchcore.errors import RequestError
from tests.datagen.conftest import write_workspace

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _query(path: Path, sql: str) -> list[tuple]:
    cur = duckdb_instance_acquire(str(path))
    try:
        return cur.execute(sql).fetchall()
    finally:
        cur.close()
        duckdb_instance_release(str(path))


def test_three_schemas_in_parallel_complete_with_results_stored(make_engine, workspace):
    eng = make_engine(workspace=workspace, max_workers=4)
    created = eng.submit(
        "batch_data_generation",
        {
            "job_name": "all three",
            "max_parallel": 3,
            "items": [
                {"schema_type": "Retail", "row_count": 20_000, "seed": 1},
                {"schema_type": "Finance", "row_count": 20_000},
                {
                    "schema_type": "healthcare",
                    "row_count": 20_000,
                    "seed": 3,
                    "defects": {"fact_claims": {"orphan_fks": {"encounter_id": 5}}},
                },
            ],
        },
    )
    job = eng.wait(created.job_id, timeout=240)
    assert job.status.value == "completed"
    ops = {op.operation_id: op for op in job.operations}
    assert set(ops) == {"generate_0_retail", "generate_1_finance", "generate_2_healthcare"}
    sizes = {
        "retail": retail.sizes(20_000),
        "finance": finance.sizes(20_000),
        "healthcare": healthcare.sizes(20_000),
    }
    for op in ops.values():
        r = op.result
        schema = r["schema"]
        assert {t["table"]: t["rows"] for t in r["tables"]} == {
            f"{schema}.{k}": v for k, v in sizes[schema].items()
        }
        assert r["total_rows"] == sum(sizes[schema].values())
        assert r["rows_per_s"] > 0 and r["duration_ms"] > 0 and r["target"] == "generated"
        assert op.summary.startswith(r["schema_type"])
    assert (
        ops["generate_1_finance"].result["seed"] == 42
        and ops["generate_1_finance"].result["seed_defaulted"]
    )
    assert ops["generate_2_healthcare"].result["defects"]["expected_failures"] == [
        {
            "check_type": "relationships",
            "table": "healthcare.fact_claims",
            "columns": ["encounter_id"],
            "to": "healthcare.fact_encounters",
            "field": "encounter_id",
            "failed_rows": 5,
        }
    ]
    counts = dict(
        _query(
            workspace / "data" / "generated.duckdb",
            "SELECT schema_name || '.' || table_name, estimated_size FROM duckdb_tables() "
            "WHERE schema_name IN ('retail', 'finance', 'healthcare')",
        )
    )
    assert counts["retail.fact_sales"] == 20_000 and counts["healthcare.fact_claims"] == 18_000
    assert len(counts) == 6 + 6 + 7
    attempts = eng.attempts(created.job_id)
    assert sorted(a["status"] for a in attempts) == ["completed"] * 3


def test_bad_items_are_rejected_at_submission(make_engine, workspace):
    lake = {"lake": {"type": "snowflake", "url": "snowflake://x"}}
    eng = make_engine(workspace=write_workspace(workspace.parent / "ws_lake", lake))
    with pytest.raises(
        RequestError, match="table_name 'fact_sale' is not a table of the Finance schema"
    ) as bad:
        eng.submit(
            "batch_data_generation",
            {
                "job_name": "x",
                "items": [
                    {"schema_type": "Retail"},
                    {"schema_type": "Finance", "table_name": "fact_sale"},
                ],
            },
        )
    assert bad.value.field == "items.1.table_name"
    with pytest.raises(RequestError, match="connection 'nowhere' is not in the workspace"):
        eng.submit(
            "batch_data_generation",
            {"job_name": "x", "items": [{"schema_type": "Retail", "target_connection": "nowhere"}]},
        )
    with pytest.raises(
        RequestError, match="'lake' is snowflake: data generation writes to duckdb, sqlite"
    ):
        eng.submit(
            "batch_data_generation",
            {"job_name": "x", "items": [{"schema_type": "Retail", "target_connection": "lake"}]},
        )
    with pytest.raises(RequestError, match=r"items\.0\.defects\.fact_sales\.nulls\.quantity"):
        eng.submit(
            "batch_data_generation",
            {
                "job_name": "x",
                "items": [
                    {
                        "schema_type": "Retail",
                        "defects": {"fact_sales": {"nulls": {"quantity": 2.5}}},
                    }
                ],
            },
        )


@pytest.mark.postgres
def test_a_refused_target_fails_alone_and_is_not_retried(make_engine, workspace, pg_url):
    base = pg_url.rsplit("/", 1)[0]
    ws = write_workspace(
        workspace.parent / "ws_gone",
        {"gone": {"type": "postgres", "url": f"{base}/no_such_database_bt"}},
    )
    eng = make_engine(workspace=ws)
    created = eng.submit(
        "batch_data_generation",
        {
            "job_name": "one bad",
            "max_retries": 2,
            "items": [
                {"schema_type": "Retail", "row_count": 500},
                {"schema_type": "Finance", "target_connection": "gone"},
            ],
        },
    )
    job = eng.wait(created.job_id, timeout=120)
    assert job.status.value == "partial_success"
    good, bad = job.operations
    assert good.status.value == "completed"
    assert bad.status.value == "failed" and bad.attempts == 1
    assert bad.error.startswith("ConnectionRejected: cannot connect to PostgreSQL (gone)")
    assert 'database "no_such_database_bt" does not exist' in bad.error


def test_force_cancel_interrupts_and_keeps_the_previous_tables(make_engine, workspace):
    # a run big enough to still be writing when cancelled: above the default row limit
    eng = make_engine(workspace=workspace, max_generate_rows=10**9)
    first = eng.submit(
        "batch_data_generation",
        {"job_name": "small", "items": [{"schema_type": "Retail", "row_count": 1000}]},
    )
    assert eng.wait(first.job_id, timeout=120).status.value == "completed"
    big = eng.submit(
        "batch_data_generation",
        {"job_name": "big", "items": [{"schema_type": "Retail", "row_count": 150_000_000}]},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ops = eng.operations(big.job_id)
        if ops and "retail.fact_sales" in (ops[0].progress_message or ""):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the big generation never reached fact_sales")
    t0 = time.monotonic()
    eng.cancel(big.job_id, reason="test", force=True)
    job = eng.wait(big.job_id, timeout=60)
    assert time.monotonic() - t0 < 30
    assert job.status.value == "cancelled" and job.operations[0].status.value == "cancelled"
    # the interrupted transaction rolled back: the small run's tables are still there, whole
    path = workspace / "data" / "generated.duckdb"
    deadline = time.monotonic() + 30
    while True:  # the abandoned worker thread finishes its rollback shortly after the cancel
        try:
            rows = _query(
                path,
                "SELECT (SELECT count(*) FROM retail.fact_sales), (SELECT count(*) FROM retail.dim_customer)",
            )
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert rows == [(1000, 100)]


def test_cli_runs_a_generation_job(tmp_path, workspace):
    req = tmp_path / "generate.json"
    req.write_text(
        json.dumps(
            {
                "job_name": "cli generation",
                "items": [{"schema_type": "Healthcare", "row_count": 800}],
            }
        )
    )
    env = {
        **os.environ,
        "BATCH_WORKSPACE": str(workspace),
        "BATCH_JOBS_DIR": str(tmp_path / "jobs"),
        "BATCH_AUTO_BUILD_EXAMPLE": "0",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    p = subprocess.run(
        [sys.executable, "-m", "batchcore", "run", "--job", str(req), "-q"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    total = sum(healthcare.sizes(800).values())
    assert (
        "generate_0_healthcare" in p.stdout and f"Healthcare: 7 tables, {total:,} rows" in p.stdout
    )
    assert "completed: 1 completed, 0 failed" in p.stdout
