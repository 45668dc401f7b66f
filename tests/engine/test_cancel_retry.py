"""Cancel, force cancel, retries, timeouts, delete: each scenario a failure seen in a public scheduler."""

from __future__ import annotations

import random
import threading
import time

import pytest

from batchcore.errors import Conflict, NotFound, RequestError
from batchcore.executor import RetryPolicy
from batchcore.models import JobStatus, OperationStatus
from batchcore.operations import noop
from tests.engine.conftest import counts_add_up, noops

# every test that builds an engine runs on both executor backends (tests/engine/conftest.py)
BACKENDS = ("threads", "dask")


def _wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.005)
    raise AssertionError("condition not reached in time")


def _status(eng, job_id, op_id):
    return next(o for o in eng.get_job(job_id).operations if o.operation_id == op_id)


def test_graceful_cancel_lets_running_finish_and_skips_the_rest(make_engine):
    eng = make_engine(max_workers=10)
    ops = (
        noops(1, prefix="a", sleep_ms=100)
        + noops(1, prefix="b", sleep_ms=600)
        + noops(1, prefix="c", sleep_ms=50)
    )
    job = eng.submit_operations("graceful", ops, max_parallel=2)
    _wait_for(
        lambda: (
            _status(eng, job.job_id, "a0").status == OperationStatus.COMPLETED
            and _status(eng, job.job_id, "b0").status == OperationStatus.RUNNING
        )
    )
    # c0 may have started when a0 finished; cancel once it is visible which ops run
    res = eng.cancel(job.job_id, reason="testing", force=False)
    assert res["job_status"] in ("cancelling", "cancelled")
    view = eng.wait(job.job_id, timeout=10)
    assert view.status == JobStatus.CANCELLED
    assert view.cancel_reason == "testing"
    statuses = {o.operation_id: o.status for o in view.operations}
    assert statuses["a0"] == OperationStatus.COMPLETED
    assert statuses["b0"] == OperationStatus.COMPLETED  # running ones finish and keep their results
    for op in view.operations:
        if op.started_at is not None:
            assert op.started_at <= view.cancel_requested_at  # nothing started after the cancel
    assert counts_add_up(view.progress)


def test_graceful_cancel_of_three_with_two_lanes(make_engine):
    eng = make_engine(max_workers=10)
    ops = [
        noops(1, prefix="first", sleep_ms=200)[0],
        noops(1, prefix="second", sleep_ms=400)[0],
        noops(1, prefix="third", sleep_ms=10)[0],
    ]
    job = eng.submit_operations("three", ops, max_parallel=2)
    _wait_for(
        lambda: (
            _status(eng, job.job_id, "second0").status == OperationStatus.RUNNING
            and _status(eng, job.job_id, "first0").status == OperationStatus.RUNNING
        )
    )
    eng.cancel(job.job_id)
    view = eng.wait(job.job_id, 10)
    got = [(o.operation_id, o.status) for o in view.operations]
    assert got == [
        ("first0", OperationStatus.COMPLETED),
        ("second0", OperationStatus.COMPLETED),
        ("third0", OperationStatus.SKIPPED),
    ]
    assert view.status == JobStatus.CANCELLED
    third = view.operations[2]
    assert third.started_at is None and third.attempts == 0


def test_force_cancel_discards_late_result_and_abandoned_thread_holds_its_slot(make_engine):
    eng = make_engine(max_workers=1)
    slow = eng.submit_operations("slow", noops(1, prefix="slow", sleep_ms=2000, ignore_cancel=True))
    _wait_for(lambda: _status(eng, slow.job_id, "slow0").status == OperationStatus.RUNNING)
    time.sleep(0.5)
    eng.cancel(slow.job_id, reason="stop now", force=True)
    view = eng.get_job(slow.job_id)
    assert view.status == JobStatus.CANCELLED
    assert view.operations[0].status == OperationStatus.CANCELLED
    nxt = eng.submit_operations("next", noops(1, prefix="next"))
    nxt_view = eng.wait(nxt.job_id, timeout=10)
    assert nxt_view.status == JobStatus.COMPLETED
    # the abandoned thread sleeps until ~2 s after its start: the next job could not start
    # before that (measured on the stored start times: the moment RUNNING became visible, and
    # so `cancelled_at`, lags the thread's start by a load-dependent amount)
    slow_started = view.operations[0].started_at
    assert (nxt_view.operations[0].started_at - slow_started).total_seconds() >= 1.9
    time.sleep(0.2)
    final = eng.get_job(slow.job_id)
    assert final.operations[0].status == OperationStatus.CANCELLED
    assert final.operations[0].result is None  # the late result was discarded
    attempts = eng.attempts(slow.job_id)
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, "cancelled")]
    eng.close()
    again = make_engine(max_workers=1)
    assert again.get_job(slow.job_id).operations[0].status == OperationStatus.CANCELLED


def test_graceful_cancel_is_bounded_by_the_cancel_timeout(make_engine):
    eng = make_engine(cancel_timeout_s=0.4)
    job = eng.submit_operations(
        "stubborn", noops(1, sleep_ms=20_000) + noops(2, prefix="later"), max_parallel=1
    )
    _wait_for(lambda: _status(eng, job.job_id, "op0").status == OperationStatus.RUNNING)
    t0 = time.monotonic()
    assert eng.cancel(job.job_id, reason="end of day")["job_status"] == "cancelling"
    assert eng.get_job(job.job_id, with_operations=False).status == JobStatus.CANCELLING
    view = eng.wait(job.job_id, timeout=10)
    assert 0.35 <= time.monotonic() - t0 < 5
    assert view.status == JobStatus.CANCELLED
    assert [o.status for o in view.operations] == [
        OperationStatus.CANCELLED,
        OperationStatus.SKIPPED,
        OperationStatus.SKIPPED,
    ]
    assert "cancel timeout reached" in view.operations[0].status_reason


def test_force_cancel_interrupts_a_cooperative_operation_quickly(make_engine):
    eng = make_engine()
    job = eng.submit_operations("coop", noops(1, sleep_ms=10_000))
    _wait_for(lambda: _status(eng, job.job_id, "op0").status == OperationStatus.RUNNING)
    t0 = time.monotonic()
    eng.cancel(job.job_id, force=True)
    _wait_for(lambda: eng.executor.running_count() == 0, timeout=3)
    assert time.monotonic() - t0 < 1.0
    assert eng.get_job(job.job_id).operations[0].status == OperationStatus.CANCELLED


def test_max_retries_zero_runs_exactly_once(make_engine, new_probe):
    eng = make_engine()
    name, probe = new_probe()
    job = eng.submit_operations("once", noops(1, fail=True, probe=name), max_retries=0)
    view = eng.wait(job.job_id, 10)
    assert view.status == JobStatus.FAILED
    assert len(probe.runs) == 1
    assert view.operations[0].attempts == 1 and view.operations[0].max_attempts == 1
    assert view.operations[0].error == "RuntimeError: noop failure on attempt 1"


def test_max_retries_two_runs_exactly_three_times_and_says_so(make_engine, new_probe):
    eng = make_engine()
    name, probe = new_probe()
    job = eng.submit_operations("thrice", noops(1, fail=True, probe=name), max_retries=2)
    view = eng.wait(job.job_id, 10)
    op = view.operations[0]
    assert len(probe.runs) == 3
    assert (op.attempts, op.max_attempts, op.status) == (3, 3, OperationStatus.FAILED)
    assert op.status_reason == "failed (attempt 3 of 3)"
    assert [a["status"] for a in eng.attempts(job.job_id)] == ["error", "error", "error"]


def test_retry_reason_and_attempts_left_are_visible_during_backoff(make_engine):
    eng = make_engine(retry_policy=RetryPolicy(base_s=1.0, cap_s=1.0))
    job = eng.submit_operations("visible", noops(1, fail_attempts=1), max_retries=2)
    _wait_for(
        lambda: (
            _status(eng, job.job_id, "op0").attempts == 1
            and _status(eng, job.job_id, "op0").status == OperationStatus.PENDING
        )
    )
    op = _status(eng, job.job_id, "op0")
    assert op.next_attempt_at is not None
    assert "attempt 1 of 3 failed (RuntimeError: noop failure on attempt 1)" in op.status_reason
    assert "2 attempt(s) left" in op.status_reason
    view = eng.wait(job.job_id, 10)
    assert view.status == JobStatus.COMPLETED and view.operations[0].attempts == 2


def test_cancel_while_an_operation_fails_with_retries_left_fires_no_retry(make_engine, new_probe):
    eng = make_engine()
    name, probe = new_probe()
    gate = f"no-retry-{name}"
    job = eng.submit_operations(
        "no-retry", noops(1, fail=True, gate=gate, probe=name), max_retries=3
    )
    _wait_for(lambda: _status(eng, job.job_id, "op0").status == OperationStatus.RUNNING)
    eng.cancel(job.job_id)  # graceful: the running attempt finishes (and fails) ...
    noop.gate(gate).set()  # ... once the test lets it, with the cancel already recorded
    view = eng.wait(job.job_id, 10)
    time.sleep(0.2)
    assert view.status == JobStatus.CANCELLED
    assert len(probe.runs) == 1
    assert view.operations[0].status == OperationStatus.FAILED


def test_cancel_during_backoff_skips_the_pending_retry(make_engine, new_probe):
    eng = make_engine(retry_policy=RetryPolicy(base_s=2.0, cap_s=2.0))
    name, probe = new_probe()
    job = eng.submit_operations("backoff", noops(1, fail=True, probe=name), max_retries=3)
    _wait_for(
        lambda: (
            _status(eng, job.job_id, "op0").attempts == 1
            and _status(eng, job.job_id, "op0").status == OperationStatus.PENDING
        )
    )
    eng.cancel(job.job_id)
    view = eng.wait(job.job_id, 10)
    time.sleep(0.3)
    assert view.status == JobStatus.CANCELLED
    assert view.operations[0].status == OperationStatus.SKIPPED
    assert len(probe.runs) == 1


def test_completion_racing_force_cancel_a_thousand_times(make_engine):
    """Each job's single operation finishes in 0-2 ms while a force cancel arrives 0-2 ms after
    the submission, from 8 threads at once: exactly one terminal write per operation, every time."""
    eng = make_engine(max_workers=8)
    job_ids, errors = [], []
    lock = threading.Lock()

    def race(seed):
        rng = random.Random(seed)
        for i in range(125):
            j = eng.submit_operations(
                f"race{seed}-{i}", noops(1, sleep_ms=rng.choice([0, 0, 1, 2]))
            )
            with lock:
                job_ids.append(j.job_id)
            time.sleep(rng.random() / 500)
            try:
                eng.cancel(j.job_id, force=True)
            except Conflict:
                pass  # the operation finished first: a fair outcome of the race
            except Exception as exc:  # pragma: no cover - asserted below
                errors.append(exc)

    threads = [threading.Thread(target=race, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(job_ids) == 1000
    outcomes: dict[str, int] = {}
    for job_id in job_ids:
        v = eng.wait(job_id, timeout=30)
        op = v.operations[0]
        outcomes[op.status.value] = outcomes.get(op.status.value, 0) + 1
        assert counts_add_up(v.progress)
        assert op.status in (
            OperationStatus.COMPLETED,
            OperationStatus.CANCELLED,
            OperationStatus.SKIPPED,
        )
        assert v.status == (
            JobStatus.COMPLETED if v.cancel_requested_at is None else JobStatus.CANCELLED
        )
        if op.status == OperationStatus.CANCELLED:
            assert op.result is None
    with eng.store.reader() as cur:
        dup = cur.execute(
            "SELECT count(*) FROM (SELECT job_id, operation_id, attempt FROM attempts "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchall()[0][0]
        ran = cur.execute("SELECT count(*) FROM operations WHERE attempts > 0").fetchall()[0][0]
        attempt_rows = cur.execute("SELECT count(*) FROM attempts").fetchall()[0][0]
    assert dup == 0  # exactly one terminal write per attempt
    assert attempt_rows == ran  # every attempt that started ended exactly once
    assert sum(outcomes.values()) == 1000
    assert len(outcomes) >= 2, outcomes  # the race really went both ways


def test_timeout_fails_the_attempt_and_retries_when_allowed(make_engine):
    eng = make_engine()
    job = eng.submit_operations("slowpoke", noops(1, sleep_ms=3000), timeout_s=0.3, max_retries=1)
    view = eng.wait(job.job_id, timeout=10)
    op = view.operations[0]
    assert view.status == JobStatus.FAILED
    assert op.attempts == 2
    assert "exceeded timeout_s=0.3 s" in op.error
    assert [a["status"] for a in eng.attempts(job.job_id)] == ["timed_out", "timed_out"]
    for a in eng.attempts(job.job_id):
        assert 250 <= a["duration_ms"] <= 1500


def test_delete_only_finished_jobs(make_engine):
    eng = make_engine()
    running = eng.submit_operations("busy", noops(1, sleep_ms=500))
    with pytest.raises(Conflict, match="cancel it and wait"):
        eng.delete(running.job_id)
    eng.wait(running.job_id, 10)
    assert eng.delete(running.job_id)["status"] == "success"
    with pytest.raises(NotFound):
        eng.get_job(running.job_id)
    with pytest.raises(NotFound):
        eng.delete(running.job_id)
    with eng.store.reader() as cur:
        left = [
            cur.execute(f"SELECT count(*) FROM {t} WHERE job_id = ?", [running.job_id]).fetchall()[
                0
            ][0]
            for t in ("operations", "attempts", "check_results")
        ]
    assert left == [0, 0, 0]


def test_cancel_of_a_finished_job_is_a_conflict(make_engine):
    eng = make_engine()
    job = eng.submit_operations("done", noops(1))
    eng.wait(job.job_id, 10)
    with pytest.raises(Conflict, match="already completed"):
        eng.cancel(job.job_id)
    with pytest.raises(NotFound):
        eng.cancel("no-such-job")


def test_retry_failed_operations_recomputes_the_final_status(make_engine, new_probe):
    eng = make_engine()
    name, _probe = new_probe()
    ops = (
        noops(2, prefix="ok")
        + noops(1, prefix="flaky", fail_attempts=1, probe=name)
        + noops(1, prefix="bad", fail=True)
    )
    job = eng.submit_operations("retry-me", ops)
    first = eng.wait(job.job_id, 10)
    assert first.status == JobStatus.PARTIAL_SUCCESS
    with pytest.raises(RequestError, match="only failed operations can be retried"):
        eng.retry(job.job_id, operation_ids=["ok0"])
    with pytest.raises(RequestError, match="not part of job"):
        eng.retry(job.job_id, operation_ids=["nope"])
    res = eng.retry(job.job_id, operation_ids=["flaky0"])
    assert res["retrying_operations"] == 1
    second = eng.wait(job.job_id, 10)
    ops_by_id = {o.operation_id: o for o in second.operations}
    assert (
        ops_by_id["flaky0"].status == OperationStatus.COMPLETED
        and ops_by_id["flaky0"].attempts == 2
    )
    assert ops_by_id["bad0"].status == OperationStatus.FAILED
    assert second.status == JobStatus.PARTIAL_SUCCESS
    res = eng.retry(job.job_id, max_retries=1)  # all failed: only bad0 is left
    assert res["operation_ids"] == ["bad0"]
    third = eng.wait(job.job_id, 10)
    bad = {o.operation_id: o for o in third.operations}["bad0"]
    assert bad.attempts == 3 and bad.max_attempts == 3
    assert counts_add_up(third.progress)
    clean = eng.submit_operations("clean", noops(1))
    eng.wait(clean.job_id, 10)
    with pytest.raises(Conflict, match="no failed operations to retry"):
        eng.retry(clean.job_id)


def test_concurrent_submissions_from_threads(make_engine):
    eng = make_engine(max_workers=10)
    ids, errors = [], []
    lock = threading.Lock()

    def submit(k):
        try:
            for i in range(5):
                j = eng.submit_operations(f"t{k}-{i}", noops(40), max_parallel=4)
                with lock:
                    ids.append(j.job_id)
        except Exception as exc:  # pragma: no cover - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(k,)) for k in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ids) == 50
    for job_id in ids:
        v = eng.wait(job_id, timeout=60)
        assert v.status == JobStatus.COMPLETED
        assert v.progress.completed_operations == 40 and counts_add_up(v.progress)


@pytest.mark.threads_only(
    "replaces the noop handler in this process; Dask workers import their own"
)
def test_a_result_the_store_rejects_is_recorded_without_payload_not_lost(make_engine, monkeypatch):
    from batchcore import operations
    from batchcore.operations.base import OperationOutcome

    def bad_rows(spec, ctx):
        return OperationOutcome(
            success=True,
            summary="ok",
            result={"n": 1},
            check_results=[
                {
                    "check_index": 0,
                    "check_name": "c",
                    "check_type": "not_null",
                    "severity": "error",
                    "status": "passed",
                    "passed": True,
                    "total_rows": "not a number",
                }
            ],
        )

    monkeypatch.setitem(operations._CACHE, "noop", bad_rows)
    eng = make_engine()
    job = eng.submit_operations("unstorable", noops(1))
    view = eng.wait(job.job_id, timeout=10)
    op = view.operations[0]
    assert view.status == JobStatus.FAILED
    assert op.status == OperationStatus.FAILED
    assert op.error.startswith("the result could not be stored:")
    assert eng.check_results(job.job_id) == []
