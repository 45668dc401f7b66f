"""failure_kind in the executor and the job store (DESIGN §12): a handler that RETURNS a failed
outcome → `checks_failed`; one that raises or times out → `error`; a retry that succeeds clears
it; a store of the previous schema version gets it by migration, with a best-effort backfill."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import duckdb

from batchcore.export import job_export_csv
from batchcore.models import FailureKind, OperationStatus
from batchcore.planning import OpPlan
from batchcore.store import Store
from batchcore.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.engine.conftest import noops


def _ops(eng, job_id):
    return {o.operation_id: o for o in eng.get_job(job_id).operations}


def test_returned_failure_is_checks_failed_and_raised_or_timed_out_is_error(make_engine):
    eng = make_engine(max_workers=4)
    plans = [
        OpPlan("ok", "noop", {}),
        OpPlan("bad_data", "noop", {"result_failed": True}),
        OpPlan("raised", "noop", {"fail": True}),
        OpPlan("slow", "noop", {"sleep_ms": 60_000}),
    ]
    job = eng.submit_operations("kinds", plans, timeout_s=0.5, stop_on_error=False)
    view = eng.wait(job.job_id, timeout=30)
    ops = {o.operation_id: o for o in view.operations}
    assert {k: (o.status.value, o.failure_kind) for k, o in ops.items()} == {
        "ok": ("completed", None),
        "bad_data": ("failed", FailureKind.CHECKS_FAILED),
        "raised": ("failed", FailureKind.ERROR),
        "slow": ("failed", FailureKind.ERROR),
    }
    p = view.progress
    assert (p.failed_operations, p.checks_failed_operations, p.error_operations) == (3, 1, 2)
    attempts = {
        a["operation_id"]: (a["status"], a["failure_kind"]) for a in eng.attempts(job.job_id)
    }
    assert attempts == {
        "ok": ("completed", None),
        "bad_data": ("failed", "checks_failed"),
        "raised": ("error", "error"),
        "slow": ("timed_out", "error"),
    }
    csv_rows = csv.DictReader(io.StringIO(job_export_csv(eng, job.job_id)))
    assert {r["operation_id"]: r["failure_kind"] for r in csv_rows} == {
        "ok": "",
        "bad_data": "checks_failed",
        "raised": "error",
        "slow": "error",
    }


def test_a_retry_that_succeeds_clears_the_failure_kind(make_engine):
    eng = make_engine(max_workers=2)
    job = eng.submit_operations("flaky", noops(1, fail_attempts=1), max_retries=0)
    assert eng.wait(job.job_id, timeout=20).operations[0].failure_kind == FailureKind.ERROR
    eng.retry(job.job_id)
    op = eng.wait(job.job_id, timeout=20).operations[0]
    assert (op.status, op.failure_kind) == (OperationStatus.COMPLETED, None)
    # the failed attempt keeps its kind in the history
    assert [(a["status"], a["failure_kind"]) for a in eng.attempts(job.job_id)] == [
        ("error", "error"),
        ("completed", None),
    ]


def test_an_automatic_retry_leaves_no_kind_on_the_operation(make_engine):
    eng = make_engine(max_workers=2)
    job = eng.submit_operations("auto", noops(1, fail_attempts=1), max_retries=1)
    op = eng.wait(job.job_id, timeout=20).operations[0]
    assert (op.status, op.failure_kind, op.attempts) == (OperationStatus.COMPLETED, None, 2)


def test_statistics_split_operation_failure_rates(make_engine):
    eng = make_engine(max_workers=4)
    plans = [
        OpPlan("a", "noop", {}),
        OpPlan("b", "noop", {"result_failed": True}),
        OpPlan("c", "noop", {"fail": True}),
        OpPlan("d", "noop", {"fail": True}),
    ]
    job = eng.submit_operations("rates", plans, stop_on_error=False)
    eng.wait(job.job_id, timeout=20)
    (by_type,) = eng.statistics()["by_job_type"].values()
    assert by_type["operation_failure_rate"] == 0.75
    assert (by_type["operation_checks_failed_rate"], by_type["operation_error_rate"]) == (0.25, 0.5)


# ---------------------------------------------------------------- migration of an older store

_T0 = datetime(2026, 11, 30, 6, 0)
FAILURE_KIND_MIGRATION = next(  # its index: the store version just before it
    i for i, stmts in enumerate(MIGRATIONS) if any("ADD COLUMN failure_kind" in s for s in stmts)
)


def _v2_store(path) -> None:
    """A job store as the schema version before failure_kind left it, one operation per case."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    for v, stmts in enumerate(MIGRATIONS[:FAILURE_KIND_MIGRATION]):
        for stmt in stmts:
            con.execute(stmt)
        con.execute("INSERT INTO schema_version VALUES (?, ?)", [v + 1, _T0])
    assert "failure_kind" not in {r[0] for r in con.execute("DESCRIBE operations").fetchall()}
    con.execute(
        "INSERT INTO jobs (job_id, job_type, name, status, parallel_execution, max_parallel, "
        "stop_on_error, total_operations, created_at) VALUES "
        "('j', 'bulk_pipeline_execution', 'old', 'failed', TRUE, 5, FALSE, 5, ?)",
        [_T0],
    )
    # op, status, attempts rows (attempt, status, error_type)
    cases = {
        "bad_data": ("failed", [(1, "failed", None)]),
        "raised": ("failed", [(1, "error", "ConnectionFailed")]),
        "raised_then_bad_data": ("failed", [(1, "error", "ConnectionFailed"), (2, "failed", None)]),
        "missing_table": ("failed", [(1, "failed", None)]),
        "gave_up_after_crashes": ("failed", [(1, "interrupted", None)]),
        "passed": ("completed", [(1, "completed", None)]),
    }
    for seq, (op_id, (status, attempts)) in enumerate(cases.items()):
        con.execute(
            "INSERT INTO operations (op_key, job_id, operation_id, seq, kind, status, spec, attempts) "
            "VALUES (?, 'j', ?, ?, 'pipeline_execution', ?, '{}', ?)",
            [seq + 1, op_id, seq, status, len(attempts)],
        )
        for n, a_status, etype in attempts:
            con.execute(
                "INSERT INTO attempts (job_id, operation_id, attempt, status, finished_at, error_type) "
                "VALUES ('j', ?, ?, ?, ?, ?)",
                [op_id, n, a_status, _T0.replace(minute=n), etype],
            )
    # the missing table's checks could not run: an error-severity check with status error
    con.execute(
        "INSERT INTO check_results (job_id, operation_id, attempt, check_index, check_name, "
        "check_type, severity, status, passed, created_at) VALUES "
        "('j', 'missing_table', 1, 0, 'not_null(planes.c0)', 'not_null', 'error', 'error', FALSE, ?), "
        "('j', 'bad_data', 1, 0, 'not_null(flights.carrier)', 'not_null', 'error', 'failed', FALSE, ?), "
        "('j', 'bad_data', 1, 1, 'warn_only', 'sql', 'warn', 'error', FALSE, ?)",
        [_T0, _T0, _T0],
    )
    con.close()


def test_migration_adds_failure_kind_and_backfills_old_rows(tmp_path):
    path = tmp_path / "batch.duckdb"
    _v2_store(path)
    store = Store(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        with store.reader() as cur:
            ops = dict(cur.execute("SELECT operation_id, failure_kind FROM operations").fetchall())
            attempts = {
                (r[0], r[1]): r[2]
                for r in cur.execute(
                    "SELECT operation_id, attempt, failure_kind FROM attempts"
                ).fetchall()
            }
    finally:
        store.close()
    assert ops == {
        "bad_data": "checks_failed",
        "raised": "error",
        "raised_then_bad_data": "checks_failed",  # its last attempt decides
        "missing_table": "error",
        "gave_up_after_crashes": "error",
        "passed": None,
    }
    assert attempts == {
        ("bad_data", 1): "checks_failed",
        ("raised", 1): "error",
        ("raised_then_bad_data", 1): "error",
        ("raised_then_bad_data", 2): "checks_failed",
        ("missing_table", 1): "error",
        ("gave_up_after_crashes", 1): None,
        ("passed", 1): None,
    }
