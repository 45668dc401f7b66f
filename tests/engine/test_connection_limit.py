"""Protecting the databases (issue 14 §2) and stopping real queries on both backends, against a
real PostgreSQL: `max_concurrent: 2` on a connection holds across jobs (in the app process on
threads, across the cluster's worker processes on Dask), operations waiting for it say so, and a
force cancel stops a running query on the database wherever the attempt runs."""

from __future__ import annotations

import secrets
import threading
import time

import pytest

from batchcore.models import JobStatus, OperationStatus
from tests.validation.vhelpers import load_tables, make_ws

BACKENDS = ("threads", "dask")
pytestmark = pytest.mark.postgres


def _active(con, token: str) -> int:
    return con.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        "AND state = 'active' AND query LIKE %s",
        [f"%{token}%"],
    ).fetchone()[0]


def _workspace(tmp_path, pg_url, pg_schema, token, *, max_concurrent, sleep_s, n=1):
    ws = make_ws(
        tmp_path / "ws",
        {
            "db": {
                "type": "postgres",
                "url": pg_url,
                "options": {"schema": pg_schema},
                "max_concurrent": max_concurrent,
            }
        },
        target="db",
    )
    load_tables(ws, "db", {"small": ([("a", "int")], [(1,), (2,)])})
    pipes = ws.root / "projects" / "p" / "pipelines"
    for i in range(n):
        (pipes / f"slow{i}.yaml").write_text(
            f'checks:\n  - {{type: sql, name: slow, query: "SELECT 1 AS {token} FROM '
            f'pg_sleep({sleep_s}) WHERE random() > 2"}}\n'
        )
    return ws


def test_max_concurrent_two_holds_across_three_jobs_of_five(
    make_engine, tmp_path, pg_url, pg_schema
):
    import psycopg

    token = f"bt_{secrets.token_hex(4)}"
    ws = _workspace(tmp_path, pg_url, pg_schema, token, max_concurrent=2, sleep_s=0.25, n=5)
    eng = make_engine(workspace=ws.root, max_workers=10)
    samples: list[int] = []
    waiting_seen: list[str] = []
    waiting_for: set[str] = set()
    done = threading.Event()

    def sample():
        with psycopg.connect(pg_url, autocommit=True) as con:
            while not done.is_set():
                samples.append(_active(con, token))
                time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        jobs = [
            eng.submit(
                "bulk_pipeline_execution",
                {
                    "job_name": f"limited{j}",
                    "pipelines": [{"pipeline_id": f"slow{i}", "project_id": "p"} for i in range(5)],
                    "max_parallel": 5,
                },
            )
            for j in range(3)
        ]
        views = []
        for job in jobs:
            while True:
                v = eng.get_job(job.job_id)
                waiting_seen += [
                    o.progress_message
                    for o in v.operations
                    if o.progress_message and o.progress_message.startswith("waiting for")
                ]
                waiting_for.update(v.progress.waiting_for_connections)
                if v.status.is_terminal:
                    break
                time.sleep(0.02)
            views.append(v)
    finally:
        done.set()
        sampler.join()
    for v in views:
        assert v.status == JobStatus.COMPLETED, [o.error for o in v.operations]
        assert v.progress.completed_operations == 5
    assert len(samples) > 50
    assert max(samples) == 2, max(samples)  # never more than 2 queries, and the limit is reached
    assert any("waiting for connection db" in m for m in waiting_seen), waiting_seen[:3]
    assert waiting_for == {"db"}  # what Active Jobs shows: "waiting for connection db"
    from ui_components.live import row_html

    shown = row_html(
        views[0].model_copy(
            update={
                "progress": views[0].progress.model_copy(
                    update={"current_operations": ["slow0"], "waiting_for_connections": ["db"]}
                )
            }
        )
    )
    assert "waiting for connection db" in shown


def test_force_cancel_stops_a_real_postgres_query_where_it_runs(
    make_engine, tmp_path, pg_url, pg_schema
):
    import psycopg

    token = f"bt_{secrets.token_hex(4)}"
    ws = _workspace(tmp_path, pg_url, pg_schema, token, max_concurrent=1, sleep_s=600)
    eng = make_engine(workspace=ws.root)
    job = eng.submit(
        "bulk_pipeline_execution",
        {"job_name": "cancel-me", "pipelines": [{"pipeline_id": "slow0", "project_id": "p"}]},
    )
    with psycopg.connect(pg_url, autocommit=True) as con:
        deadline = time.monotonic() + 60
        while not _active(con, token):
            assert time.monotonic() < deadline, "the query never ran"
            time.sleep(0.01)
        t0 = time.monotonic()
        eng.cancel(job.job_id, reason="test", force=True)
        while _active(con, token):
            assert time.monotonic() - t0 < 2.0, "the query still runs on the database"
            time.sleep(0.01)
    view = eng.wait(job.job_id, timeout=30)
    assert (view.status, view.operations[0].status) == (
        JobStatus.CANCELLED,
        OperationStatus.CANCELLED,
    )
