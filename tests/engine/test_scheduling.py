"""Scheduling: per-job max_parallel, the global pool, sequential order, stop_on_error, final status,
progress and ETA, persistence across engines."""

from __future__ import annotations

import itertools
import threading
import time

from batchcore.models import JobStatus, OperationStatus
from batchcore.store import reads
from tests.engine.conftest import counts_add_up, noops

# every test that builds an engine runs on both executor backends (tests/engine/conftest.py)
BACKENDS = ("threads", "dask")


def test_max_parallel_is_respected_and_reached(make_engine, new_probe):
    eng = make_engine(max_workers=10)
    name, probe = new_probe()
    job = eng.submit_operations("par", noops(12, sleep_ms=60, probe=name), max_parallel=3)
    view = eng.wait(job.job_id, timeout=30)
    assert view.status == JobStatus.COMPLETED
    assert probe.max == 3
    assert len(probe.runs) == 12


def test_global_pool_caps_all_jobs(make_engine, new_probe):
    eng = make_engine(max_workers=2)
    name, probe = new_probe()
    jobs = [
        eng.submit_operations(f"j{i}", noops(4, sleep_ms=30, probe=name), max_parallel=4)
        for i in range(10)
    ]
    seen_threads, seen_db = [], []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            seen_threads.append(eng.executor.running_count())
            with eng.store.reader() as cur:
                seen_db.append(
                    cur.execute(
                        "SELECT count(*) FROM operations WHERE status = 'running'"
                    ).fetchall()[0][0]
                )
            time.sleep(0.01)

    t = threading.Thread(target=sample)
    t.start()
    try:
        for j in jobs:
            assert eng.wait(j.job_id, timeout=60).status == JobStatus.COMPLETED
    finally:
        stop.set()
        t.join()
    assert probe.max == 2
    assert max(seen_threads) <= 2
    assert max(seen_db) <= 2
    assert len(seen_db) > 10
    assert eng.executor.max_busy_seen == 2


def test_sequential_mode_runs_in_order_one_at_a_time(make_engine, new_probe):
    eng = make_engine(max_workers=10)
    name, probe = new_probe()
    job = eng.submit_operations(
        "seq", noops(6, sleep_ms=15, probe=name), parallel_execution=False, max_parallel=5
    )
    view = eng.wait(job.job_id, timeout=30)
    assert view.status == JobStatus.COMPLETED
    assert view.max_parallel == 1
    runs = sorted(probe.runs, key=lambda r: r[2])
    assert [r[0] for r in runs] == [f"op{i}" for i in range(6)]
    for prev, nxt in itertools.pairwise(runs):
        assert nxt[2] >= prev[3]  # next starts after the previous ended
    assert probe.max == 1
    started = [op.started_at for op in view.operations]
    assert started == sorted(started)


def test_stop_on_error_skips_the_rest_and_counts_stay_consistent(make_engine):
    eng = make_engine(max_workers=4)
    ops = noops(1, prefix="bad", fail=True, sleep_ms=50) + noops(4, prefix="ok", sleep_ms=20)
    job = eng.submit_operations("soe", ops, parallel_execution=False, stop_on_error=True)
    samples = []
    while True:
        v = eng.get_job(job.job_id, with_operations=False)
        samples.append(v)
        if v.status.is_terminal:
            break
        time.sleep(0.005)
    view = eng.wait(job.job_id, timeout=10)
    assert view.status == JobStatus.FAILED
    p = view.progress
    assert (p.failed_operations, p.skipped_operations, p.completed_operations) == (1, 4, 0)
    for s in samples:
        assert counts_add_up(s.progress)
        assert (
            min(
                s.progress.completed_operations,
                s.progress.failed_operations,
                s.progress.skipped_operations,
                s.progress.pending_operations,
                s.progress.running_operations,
            )
            >= 0
        )
        if s.progress.percent_complete == 100.0:
            assert s.status.is_terminal
    skipped = [op for op in view.operations if op.status == OperationStatus.SKIPPED]
    assert all("stop_on_error after bad0 failed" in op.status_reason for op in skipped)
    assert all(op.started_at is None and op.duration_ms is None for op in skipped)


def test_final_status_rule(make_engine):
    eng = make_engine()
    ok = eng.submit_operations("ok", noops(3))
    none = eng.submit_operations("none", noops(2, result_failed=True))
    mixed = eng.submit_operations("mixed", noops(2) + noops(1, prefix="f", fail=True))
    assert eng.wait(ok.job_id, 10).status == JobStatus.COMPLETED
    assert eng.wait(none.job_id, 10).status == JobStatus.FAILED
    assert eng.wait(mixed.job_id, 10).status == JobStatus.PARTIAL_SUCCESS
    failed_result = eng.get_job(none.job_id).operations[0]
    assert failed_result.status == OperationStatus.FAILED and failed_result.attempts == 1
    assert failed_result.error == "requested failed result"


def test_eta_is_null_until_one_finishes_then_remaining_times_mean_over_lanes(make_engine):
    eng = make_engine(max_workers=10)
    job = eng.submit_operations("eta", noops(6, sleep_ms=200), max_parallel=2)
    first = eng.get_job(job.job_id, with_operations=False)
    assert first.progress.estimated_time_remaining_ms is None
    view = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        view = eng.get_job(job.job_id, with_operations=False)
        if (
            view.progress.completed_operations >= 2
            and view.progress.pending_operations + view.progress.running_operations >= 2
        ):
            break
        time.sleep(0.01)
    p = view.progress
    assert p.estimated_time_remaining_ms is not None and p.estimated_time_remaining_ms >= 0
    remaining = p.pending_operations + p.running_operations
    with eng.store.reader() as cur:
        mean = cur.execute(
            "SELECT avg(duration_ms) FROM operations WHERE job_id = ? AND status = 'completed'",
            [job.job_id],
        ).fetchall()[0][0]
    expected = mean * remaining / min(2, remaining)
    assert abs(p.estimated_time_remaining_ms - expected) <= 0.25 * expected + 5
    assert 150 < mean < 600  # each operation sleeps 200 ms
    done = eng.wait(job.job_id, 20)
    assert done.progress.estimated_time_remaining_ms == 0
    assert done.progress.percent_complete == 100.0


def test_a_new_engine_on_the_same_file_reloads_jobs_and_results(make_engine):
    eng = make_engine()
    a = eng.submit_operations(
        "persist-a", noops(3, value="x"), tags=["nightly"], description="first"
    )
    b = eng.submit_operations("persist-b", noops(1, result_failed=True))
    eng.wait(a.job_id, 10)
    eng.wait(b.job_id, 10)
    before = eng.get_job(a.job_id)
    eng.close()
    eng2 = make_engine()
    after = eng2.get_job(a.job_id)
    assert after.status == JobStatus.COMPLETED
    assert after.tags == ["nightly"] and after.description == "first"
    assert [(o.operation_id, o.status, o.result) for o in after.operations] == [
        (o.operation_id, o.status, o.result) for o in before.operations
    ]
    assert after.operations[0].result == {"value": "x", "attempt": 1}
    assert eng2.get_job(b.job_id, with_operations=False).status == JobStatus.FAILED
    jobs, total = eng2.list_jobs(reads.JobFilter(tag="nightly"))
    assert total == 1 and jobs[0].job_id == a.job_id
