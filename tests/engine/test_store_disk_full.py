"""The job store on a disk that fills up (a real tmpfs): results written while the disk is full
are kept and land when space is back, nothing stays active without a thread behind it, creates
are refused with StoreUnavailable meanwhile, and a database DuckDB invalidated by a failed
checkpoint is reopened without losing a committed change."""

from __future__ import annotations

import time

import pytest

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.errors import StoreUnavailable
from batchcore.executor import RetryPolicy
from batchcore.models import JobStatus
from batchcore.operations import noop
from batchcore.planning import OpPlan
from batchcore.store.writer import FnCommand
from tests.engine.conftest import counts_add_up, noops


def wait_until(predicate, timeout: float = 30.0):
    """Poll `predicate` (a state of the engine) until it is truthy; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def disk_engine(small_disk, tmp_path):
    """An engine whose job store lives on the small tmpfs (workspace elsewhere)."""
    engines = []

    def start() -> Engine:
        eng = Engine(
            Settings(
                jobs_dir=small_disk.path / "jobs",
                workspace=tmp_path,
                max_workers=4,
                auto_build_example=False,
            ),
            retry_policy=RetryPolicy(0.01, 0.05),
        )
        engines.append(eng)
        return eng

    yield start
    small_disk.free()
    for eng in engines:
        eng.close(wait_s=5)


def _running(eng: Engine, job_id: str) -> int:
    return eng.get_job(job_id, with_operations=False).progress.running_operations


def test_results_finished_on_a_full_disk_land_when_space_is_back(
    disk_engine, small_disk, new_probe
):
    eng = disk_engine()  # 4 workers
    gate = f"disk-full-{time.monotonic_ns()}"
    release = noop.gate(gate)
    ops = [OpPlan(f"op{i}", "noop", {"gate": gate, "value": i}) for i in range(4)]
    job = eng.submit_operations("full disk", ops, max_parallel=4)
    wait_until(lambda: _running(eng, job.job_id) == 4)
    probe_name, probe = new_probe()
    waiting = eng.submit_operations("waiting", noops(2, probe=probe_name))  # no free worker
    assert eng.health().status == "ok"

    small_disk.fill()
    # a write that cannot fit in the WAL's last page: the store is failing before anything ends
    eng.store.submit(
        FnCommand(
            lambda cur, now: cur.execute("CREATE TABLE scratch AS SELECT range FROM range(50000)")
        )
    )
    wait_until(lambda: not eng.health().writable)
    release.set()  # the four attempts end now: their results cannot be written
    wait_until(lambda: eng.executor.running_count() == 0)
    report = eng.health()
    assert report.status == "degraded"
    assert any(r.startswith("store write failing") for r in report.reasons), report.reasons
    assert any("No space left on device" in r for r in report.reasons), report.reasons
    assert any(r.startswith("disk full") for r in report.reasons), report.reasons
    with pytest.raises(StoreUnavailable, match="the job store cannot write now"):
        eng.submit_operations("refused", noops(1))
    assert probe.runs == []  # nothing started while the store could not record it
    assert eng.get_job(job.job_id).status == JobStatus.RUNNING  # the store's truth lags, kept

    small_disk.free()
    done = eng.wait(job.job_id, timeout=60)
    assert done.status == JobStatus.COMPLETED
    assert sorted(o.result["value"] for o in done.operations) == list(range(4))
    assert all(o.attempts == 1 for o in done.operations)  # kept and retried, not re-run
    assert counts_add_up(done.progress)
    assert eng.wait(waiting.job_id, timeout=60).status == JobStatus.COMPLETED
    assert len(probe.runs) == 2
    wait_until(lambda: eng.health().status == "ok")
    with eng.store.reader() as cur:
        assert cur.execute(
            "SELECT count(*) FROM operations WHERE status IN ('running', 'pending')"
        ).fetchall() == [(0,)]
        assert cur.execute(
            "SELECT count(*) FROM jobs WHERE status IN ('pending', 'running', 'cancelling')"
        ).fetchall() == [(0,)]
        assert cur.execute("SELECT count(*) FROM scratch").fetchall() == [(50000,)]
    again = eng.submit_operations("after", noops(2))
    assert eng.wait(again.job_id, timeout=30).status == JobStatus.COMPLETED


def test_a_checkpoint_that_fails_on_a_full_disk_is_reopened_without_losing_data(
    disk_engine, small_disk
):
    eng = disk_engine()
    first = eng.submit_operations("before", noops(20))
    assert eng.wait(first.job_id, timeout=30).status == JobStatus.COMPLETED
    small_disk.fill(leave_bytes=6 * 2**20)
    # ~2 MB of changes in the WAL, not checkpointed yet (the writer checkpoints above 16 MB)
    eng.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "CREATE TABLE ballast AS SELECT md5(range::VARCHAR) || repeat('x', 900) AS pad "
                "FROM range(2000)"
            )
        )
    )
    small_disk.fill()
    # a checkpoint on a full disk: DuckDB invalidates the database ("must be restarted")
    forced = eng.store.submit(FnCommand(lambda cur, now: cur.execute("FORCE CHECKPOINT")))
    wait_until(lambda: eng.store.health.write_failures >= 2)
    assert not eng.health().writable
    assert "checkpoint" in eng.store.health.write_error, eng.store.health.write_error
    small_disk.free()
    forced.result(timeout=60)  # reopened, checkpointed on the second try
    assert eng.health().writable
    with eng.store.reader() as cur:
        assert cur.execute("SELECT count(*) FROM ballast").fetchall() == [(2000,)]
    assert eng.get_job(first.job_id).status == JobStatus.COMPLETED
    after = eng.submit_operations("after", noops(5))
    assert eng.wait(after.job_id, timeout=30).status == JobStatus.COMPLETED


def test_a_store_on_a_full_disk_at_start_is_one_line(disk_engine, small_disk):
    eng = disk_engine()
    eng.close()
    (small_disk.path / "jobs" / "batch.duckdb").unlink()
    small_disk.fill()
    with pytest.raises(StoreUnavailable) as err:
        disk_engine()
    text = err.value.message
    assert "\n" not in text
    assert "cannot be written" in text and "free disk space" in text
    assert str(small_disk.path / "jobs" / "batch.duckdb") in text
