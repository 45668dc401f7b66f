"""Nothing stays active without a thread behind it: the executor regularly reconciles with the
job store (and right after the store writes again following a failure). An operation the store
shows running that no thread runs is recorded as interrupted and runs again; an active job the
executor does not know is scheduled."""

from __future__ import annotations

from batchcore.executor import ORPHAN_NOTE
from batchcore.models import JobStatus, OperationStatus
from batchcore.store.commands import CreateJob
from batchcore.store.writer import FnCommand


def _store_job_behind_the_executors_back(eng, job_id: str, n: int) -> None:
    job = {
        "job_id": job_id,
        "job_type": "bulk_pipeline_execution",
        "name": "orphan",
        "description": "",
        "project_id": None,
        "tags": [],
        "parallel_execution": True,
        "max_parallel": 2,
        "stop_on_error": False,
        "max_retries": 0,
        "timeout_s": None,
        "request": {},
    }
    ops = [
        {
            "operation_id": f"op{i}",
            "seq": i,
            "kind": "noop",
            "spec": {"value": i},
            "max_attempts": 1,
        }
        for i in range(n)
    ]
    eng.store.run_now(CreateJob(job, ops, list(eng.store.allocate_op_keys(n))))


def test_a_running_operation_without_a_thread_runs_again(make_engine):
    eng = make_engine()
    eng.executor.reconcile_every_s = 0.2
    job_id = "01900000-0000-7000-8000-00000000abcd"
    _store_job_behind_the_executors_back(eng, job_id, 3)
    # what a lost result leaves: the store shows op0 running, no thread runs it
    eng.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE operations SET status = 'running', attempts = 1, started_at = ?, "
                "attempt_started_at = ? WHERE job_id = ? AND operation_id = 'op0'",
                [now, now, job_id],
            )
        )
    )
    view = eng.wait(job_id, timeout=30)
    assert view.status == JobStatus.COMPLETED
    assert [o.status for o in view.operations] == [OperationStatus.COMPLETED] * 3
    assert sorted(o.result["value"] for o in view.operations) == [0, 1, 2]
    op0 = [a for a in eng.attempts(job_id) if a["operation_id"] == "op0"]
    assert [(a["attempt"], a["status"]) for a in op0] == [(1, "interrupted"), (2, "completed")]
    assert op0[0]["error"] == ORPHAN_NOTE
    assert not eng.executor.is_active(job_id)
