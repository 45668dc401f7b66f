"""A target database that goes down mid-validation is a transient error: the attempt fails with
ConnectionFailed (not a pipeline whose checks "errored", which is a failed result and never
retried) and runs again under `max_retries` once the server is back. Against a PostgreSQL server
of the test's own, stopped (`pg_ctl stop -m fast`) while a check's query runs."""

from __future__ import annotations

import time

import psycopg
import pytest
import yaml

from batchcore.errors import ConnectionFailed, as_batch_error, driver_error
from batchcore.executor import RetryPolicy
from batchcore.models import JobStatus, JobType, OperationStatus
from tests.conftest import REQUIRE_DBS
from tests.servers import ThrowawayPostgres

# Sleeps only on a server started before the `gate` row was written: the first server sleeps
# (the test stops it meanwhile), the restarted one answers at once.
SLOW_CHECK = (
    "select id from t where id + (select 0 from pg_sleep(case when pg_postmaster_start_time() "
    "< (select started from gate) then 120 else 0 end)) < 0"
)


def wait_until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def own_postgres():
    try:
        pg = ThrowawayPostgres()
        pg.start()
    except (RuntimeError, FileNotFoundError, KeyError, LookupError) as exc:
        msg = f"cannot start a throwaway PostgreSQL server (initdb/pg_ctl): {exc}"
        if REQUIRE_DBS:
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        yield pg
    finally:
        pg.remove()


def _workspace(root, url: str):
    (root / "projects" / "p" / "pipelines").mkdir(parents=True)
    (root / "connections.yaml").write_text(
        yaml.safe_dump({"connections": {"pgdown": {"type": "postgres", "url": url}}})
    )
    (root / "projects" / "p" / "project.yaml").write_text("name: p\ntarget: pgdown\n")
    pipeline = {
        "target": "pgdown",
        "checks": [
            {"type": "not_null", "table": "t", "columns": ["id"]},
            {"type": "sql", "name": "slow_on_the_first_server", "query": SLOW_CHECK},
        ],
    }
    (root / "projects" / "p" / "pipelines" / "v.yaml").write_text(yaml.safe_dump(pipeline))
    return root


def _sleeping_sessions(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=3) as con:
            return con.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE '%pg_postmaster_start_time%' AND pid <> pg_backend_pid()"
            ).fetchone()[0]
    except psycopg.OperationalError:
        return 0


def test_a_target_stopped_mid_validation_is_retried_and_passes(own_postgres, make_engine, tmp_path):
    with psycopg.connect(own_postgres.url, autocommit=True) as con:
        con.execute("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 100) g")
        con.execute("CREATE TABLE gate AS SELECT now() AS started")
    eng = make_engine(
        workspace=_workspace(tmp_path / "ws", own_postgres.url),
        retry_policy=RetryPolicy(base_s=0.5, cap_s=2.0),
    )
    job = eng.submit(
        JobType.BULK_PIPELINE_EXECUTION,
        {
            "job_name": "down",
            "pipelines": [{"pipeline_id": "v", "project_id": "p"}],
            "max_retries": 8,
        },
    ).job_id
    wait_until(lambda: _sleeping_sessions(own_postgres.url) == 1)  # mid-validation

    own_postgres.stop("fast")  # terminates the session running the check
    first = wait_until(lambda: [a for a in eng.attempts(job) if a["attempt"] == 1])[0]
    assert first["status"] == "error"
    assert first["error_type"] == "ConnectionFailed", first
    assert eng.get_job(job, with_operations=False).status == JobStatus.RUNNING  # retry pending
    own_postgres.start()

    view = eng.wait(job, timeout=120)
    assert view.status == JobStatus.COMPLETED, [o.error for o in view.operations]
    (op,) = view.operations
    assert op.status == OperationStatus.COMPLETED and op.attempts >= 2
    checks = eng.check_results(job)  # those of the attempt that passed
    assert [(c["check_name"], c["status"], c["total_rows"]) for c in checks] == [
        ("not_null(t.id)", "passed", 100),
        ("slow_on_the_first_server", "passed", None),
    ]
    assert {c["attempt"] for c in checks} == {op.attempts}
    errors = [a for a in eng.attempts(job) if a["status"] == "error"]
    assert errors and all(a["error_type"] == "ConnectionFailed" for a in errors)


def test_driver_exceptions_are_classified_in_one_place(own_postgres):
    """A lost connection is retryable; a query's own error (bad SQL, a cancelled statement)
    is no connection problem."""
    con = psycopg.connect(own_postgres.url, autocommit=True)
    with pytest.raises(psycopg.errors.UndefinedTable) as bad_sql:
        con.execute("SELECT * FROM no_such_table")
    assert driver_error(bad_sql.value) is None
    assert as_batch_error(bad_sql.value).retryable  # an unknown error: retried (DESIGN §4)
    with pytest.raises(psycopg.errors.QueryCanceled) as cancelled:
        con.execute("SET statement_timeout = 50")
        con.execute("SELECT pg_sleep(5)")
    assert driver_error(cancelled.value) is None
    own_postgres.stop("fast")
    with pytest.raises(psycopg.OperationalError) as lost:
        con.execute("SELECT 1")
    mapped = as_batch_error(lost.value)
    assert isinstance(mapped, ConnectionFailed) and mapped.retryable
    con.close()
    assert not as_batch_error(KeyError("spec")).retryable  # a programming error fails again
