"""Crash recovery and time: a SIGKILLed process's job finishes after restart; durations are right
across midnight and under another TZ."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.executor import RetryPolicy
from batchcore.models import JobStatus, OperationStatus
from batchcore.store.writer import FnCommand
from batchcore.timeutil import duration_ms
from tests.engine.conftest import counts_add_up, noops

CHILD = Path(__file__).with_name("crash_child.py")

# every test that builds an engine runs on both executor backends (tests/engine/conftest.py)
BACKENDS = ("threads", "dask")


def test_sigkill_mid_job_then_recovery_finishes_every_operation(tmp_path, backend, request):
    jobs_dir = tmp_path / "jobs"
    env = dict(os.environ)
    extra = {}
    if backend == "dask":  # the app process dies; the cluster (the session's) lives on
        address = request.getfixturevalue("dask_cluster").scheduler_address
        env.update(BATCH_EXECUTOR="dask", BATCH_DASK_SCHEDULER=address)
        extra = {"executor": "dask", "dask_scheduler": address}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(jobs_dir)], stdout=subprocess.PIPE, text=True, env=env
    )
    job_id = None
    try:
        deadline = time.monotonic() + 30
        for line in proc.stdout:
            if line.startswith("JOB "):
                job_id = line.split()[1]
            elif line.startswith("PROGRESS "):
                completed, running = map(int, line.split()[1:])
                if completed >= 2 and running >= 1:
                    break
            assert time.monotonic() < deadline, "child made no progress"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert job_id is not None
    eng = Engine(
        Settings(
            jobs_dir=jobs_dir,
            workspace=tmp_path,
            max_workers=4,
            auto_build_example=False,
            **extra,
        ),
        retry_policy=RetryPolicy(0.01, 0.05),
    )
    try:
        assert eng.recovery["interrupted"] >= 1
        assert job_id in eng.recovery["resumed_jobs"]
        view = eng.wait(job_id, timeout=30)
        assert view.status == JobStatus.COMPLETED
        assert view.progress.total_operations == 6 and counts_add_up(view.progress)
        assert sorted(o.result["value"] for o in view.operations) == list(range(6))
        attempts = eng.attempts(job_id)
        interrupted = [a for a in attempts if a["status"] == "interrupted"]
        assert len(interrupted) == eng.recovery["interrupted"]
        for a in interrupted:
            op = next(o for o in view.operations if o.operation_id == a["operation_id"])
            assert op.status == OperationStatus.COMPLETED and op.attempts == a["attempt"] + 1
        by_op: dict[str, list] = {}
        for a in attempts:
            by_op.setdefault(a["operation_id"], []).append(a)
        for runs in by_op.values():  # never two attempts of one operation at once
            runs.sort(key=lambda a: a["started_at"])
            for prev, nxt in itertools.pairwise(runs):
                assert nxt["started_at"] >= prev["finished_at"]
    finally:
        eng.close()


def _until_running(eng: Engine, job_id: str, timeout: float = 10.0) -> None:
    """Wait until an operation of the job is running in the store (the state a crash leaves)."""
    deadline = time.monotonic() + timeout
    while eng.get_job(job_id, with_operations=False).progress.running_operations == 0:
        assert time.monotonic() < deadline, "no operation started"
        time.sleep(0.01)


def test_recovery_of_a_cancel_requested_job_ends_cancelled(make_engine):
    eng = make_engine()
    job = eng.submit_operations("half", noops(3, sleep_ms=5000), max_parallel=1)
    _until_running(eng, job.job_id)

    def fake_crash_state(cur, now):  # what a crash during a graceful cancel leaves behind
        cur.execute(
            "UPDATE jobs SET status = 'cancelling', cancel_requested_at = ? WHERE job_id = ?",
            [now, job.job_id],
        )

    eng.store.call(FnCommand(fake_crash_state))
    eng.close(wait_s=0.1)  # a stop leaves running attempts running in the store, like a crash
    again = make_engine()
    view = again.wait(job.job_id, timeout=10)
    assert view.status == JobStatus.CANCELLED
    statuses = sorted(o.status.value for o in view.operations)
    assert statuses == ["cancelled", "skipped", "skipped"]


def test_an_operation_interrupted_three_times_fails_instead_of_looping(make_engine):
    eng = make_engine()
    job = eng.submit_operations("loop", noops(1, sleep_ms=5000))
    _until_running(eng, job.job_id)
    for _ in range(3):
        eng.close(wait_s=0.1)  # like a crash: the running attempt stays running in the store
        eng = make_engine()
        deadline = time.monotonic() + 5
        while (
            eng.get_job(job.job_id).operations[0].status == OperationStatus.PENDING
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
    op = eng.get_job(job.job_id).operations[0]
    assert op.status == OperationStatus.FAILED
    assert "interrupted 3 times" in op.error
    assert op.failure_kind == "error"  # it never ran to its end: could not run
    assert [a["status"] for a in eng.attempts(job.job_id)] == ["interrupted"] * 3


def test_duration_across_midnight():
    start = datetime(2026, 11, 30, 23, 59, 59, 500000, tzinfo=UTC)
    end = datetime(2026, 12, 1, 0, 0, 0, 700000, tzinfo=UTC)
    assert duration_ms(start, end) == 1200.0
    assert duration_ms(start, None) is None
    assert duration_ms(end, start) is None  # never negative: blank
    ist = end.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata"))
    assert duration_ms(start, ist) == 1200.0


def test_stored_durations_across_midnight_and_blank_when_never_started(make_engine):
    eng = make_engine()
    job = eng.submit_operations(
        "midnight", noops(2, result_failed=True), stop_on_error=True, parallel_execution=False
    )
    eng.wait(job.job_id, 10)
    start = datetime(2026, 11, 30, 23, 59, 59, 500000)
    end = start + timedelta(milliseconds=1200)

    def backdate(cur, now):
        cur.execute(
            "UPDATE jobs SET started_at = ?, finished_at = ? WHERE job_id = ?",
            [start, end, job.job_id],
        )

    eng.store.call(FnCommand(backdate))
    view = eng.get_job(job.job_id)
    assert view.duration_ms == 1200.0
    assert view.started_at.tzinfo is not None and view.started_at.utcoffset() == timedelta(0)
    skipped = view.operations[1]
    assert (
        skipped.status == OperationStatus.SKIPPED
        and skipped.started_at is None
        and skipped.duration_ms is None
    )
    from batchcore.export import job_export_csv

    rows = job_export_csv(eng, job.job_id).splitlines()
    assert rows[2].split(",")[12] == ""  # duration_ms blank for the never-started operation


def test_timestamps_are_utc_under_another_process_time_zone(tmp_path):
    code = (
        "import sys; sys.path.insert(0, {!r})\n"
        "from pathlib import Path\n"
        "from batchcore.config import Settings\n"
        "from batchcore.engine import Engine\n"
        "from batchcore.planning import OpPlan\n"
        "e = Engine(Settings(jobs_dir=Path({!r}), workspace=Path({!r}), auto_build_example=False))\n"
        "j = e.submit_operations('tz', [OpPlan('a', 'noop', {{'sleep_ms': 150}})])\n"
        "v = e.wait(j.job_id, 10)\n"
        "print(v.created_at.isoformat(), v.operations[0].duration_ms, v.duration_ms)\n"
        "e.close()\n"
    ).format(str(Path(__file__).resolve().parents[2]), str(tmp_path / "j"), str(tmp_path))
    for tz in ("Pacific/Kiritimati", "America/Los_Angeles"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "TZ": tz},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()
        created = datetime.fromisoformat(out[0])
        assert created.utcoffset() == timedelta(0)
        assert abs((datetime.now(UTC) - created).total_seconds()) < 60
        op_ms, job_ms = float(out[1]), float(out[2])
        assert 140 <= op_ms < 2000 and op_ms <= job_ms < 5000
