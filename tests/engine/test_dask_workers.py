"""The Dask backend's own failure modes, on the session's 2-worker LocalCluster: a worker
process killed mid-operation, a lost scheduler (cluster reported down), and that nothing on a
worker opens the job store."""

from __future__ import annotations

import os
import signal
import time

from batchcore.models import JobStatus, OperationStatus
from batchcore.operations import noop
from tests.engine.conftest import counts_add_up, noops

BACKENDS = ("dask",)


def _until(pred, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"{what} not reached within {timeout} s")


def _starts_by_pid(probe) -> dict[int, int]:
    """pid → executions started there, from a file probe's start lines."""
    out: dict[int, int] = {}
    for line in probe.path.read_text().splitlines() if probe.path.exists() else []:
        parts = line.split()
        if parts[0] == "S":
            out[int(parts[2])] = out.get(int(parts[2]), 0) + 1
    return out


def test_sigkill_of_a_worker_mid_operation_records_interrupted_and_reruns(
    make_engine, new_probe, dask_cluster
):
    eng = make_engine(max_workers=6)
    name, probe = new_probe()
    gate_name = f"{name}-gate"
    job = eng.submit_operations(
        "kill-a-worker", noops(6, probe=name, gate=gate_name, value=1), max_parallel=6
    )
    # every operation started, spread over the two worker processes (the app holds 6 slots)
    by_pid = _until(
        lambda: (s := _starts_by_pid(probe)) and sum(s.values()) == 6 and s,
        what="6 operations running on the workers",
    )
    workers = set(eng.backend.client.run(os.getpid).values())
    assert set(by_pid) <= workers and os.getpid() not in by_pid  # they run in the workers
    victim = max(by_pid, key=by_pid.get)
    os.kill(victim, signal.SIGKILL)
    # the killed attempts come back as interrupted and run again on the surviving/restarted worker
    _until(
        lambda: (
            sum(1 for a in eng.attempts(job.job_id) if a["status"] == "interrupted")
            == by_pid[victim]
        ),
        what="interrupted attempts recorded",
    )
    noop.gate(gate_name).set()
    view = eng.wait(job.job_id, timeout=60)
    assert view.status == JobStatus.COMPLETED
    assert counts_add_up(view.progress) and view.progress.completed_operations == 6
    interrupted = [a for a in eng.attempts(job.job_id) if a["status"] == "interrupted"]
    assert len(interrupted) == by_pid[victim]
    for a in interrupted:
        op = next(o for o in view.operations if o.operation_id == a["operation_id"])
        assert op.status == OperationStatus.COMPLETED
        assert op.attempts == a["attempt"] + 1
        assert "worker" in a["error"]
    assert sorted(o.result["value"] for o in view.operations) == [1] * 6
    # 6 first attempts + one more per interrupted one, and never one on the dead process after
    assert len(probe.runs) + by_pid[victim] == 6 + by_pid[victim]
    # the nanny restarts the killed worker: the session's cluster has 2 workers again
    _until(
        lambda: len(dask_cluster.scheduler_info.get("workers", {})) == 2,
        what="the killed worker restarted",
    )


def test_nothing_on_a_worker_opens_the_job_store(make_engine):
    eng = make_engine()
    job = eng.submit_operations("where", noops(4, value=2))
    assert eng.wait(job.job_id, timeout=30).status == JobStatus.COMPLETED
    store = str(eng.settings.db_path)

    def open_files():
        import psutil

        return [f.path for f in psutil.Process().open_files()]

    files = eng.backend.client.run(open_files)
    assert files and all(store not in paths for paths in files.values())


def _lone_cluster(port: int = 0):
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=1,
        threads_per_worker=4,
        processes=True,
        host="127.0.0.1",
        scheduler_port=port,
        dashboard_address=None,
    )


def test_lost_scheduler_is_reported_down_recovered_and_reconnected(make_engine, new_probe):
    """The cluster (scheduler and worker) goes away mid-job: its running operations come back
    as interrupted, nothing starts while it is down, health says so; a scheduler started again
    at the same address is reconnected to and the job completes."""
    cluster = _lone_cluster()
    again = None
    try:
        address = cluster.scheduler_address
        port = int(address.rsplit(":", 1)[1])
        eng = make_engine(dask_scheduler=address)
        eng.backend.RECONNECT_EVERY_S = 0.5
        assert eng.health().status == "ok" and eng.cluster_status().workers == 1
        name, _probe = new_probe()
        gate_name = f"{name}-gate"
        job = eng.submit_operations("orphaned", noops(2, gate=gate_name, value=3), max_parallel=2)
        _until(lambda: eng.get_job(job.job_id).progress.running_operations == 2, what="running")
        cluster.close()  # scheduler and worker gone
        report = _until(
            lambda: (r := eng.health()).status == "degraded" and r, what="health degraded"
        )
        assert any("Dask cluster" in r and "down" in r for r in report.reasons)

        # its running operations were recovered as after a crash: interrupted attempts, back to
        # pending (closing the cluster may kill its worker first: then a second attempt is lost
        # with the scheduler), and nothing starts while the cluster is down
        def settled():
            v = eng.get_job(job.job_id)
            return v.progress.running_operations == 0 and v

        view = _until(settled, what="no operation running")
        interrupted = [a for a in eng.attempts(job.job_id) if a["status"] == "interrupted"]
        assert len(interrupted) >= 2
        assert {a["operation_id"] for a in interrupted} == {"op0", "op1"}
        assert counts_add_up(view.progress)
        assert {o.status for o in view.operations} == {OperationStatus.PENDING}
        assert view.status in (JobStatus.RUNNING, JobStatus.PENDING)
        # the scheduler comes back at the same address: the engine reconnects, the job finishes
        noop.gate(gate_name).set()
        again = _lone_cluster(port)
        done = eng.wait(job.job_id, timeout=120)
        assert done.status == JobStatus.COMPLETED, [o.error for o in done.operations]
        assert sorted(o.result["value"] for o in done.operations) == [3, 3]
        assert counts_add_up(done.progress)
        assert eng.health().status == "ok"
    finally:
        cluster.close()
        if again is not None:
            again.close()
