"""Under load the API stays truthful and a cancel stays fast: a force cancel of a 10,000-operation
job is accepted in well under a second while the store's writer is held with 10,000 changes
queued behind it (and /health says so), nothing of the job starts after the answer, and the store ends the job
cancelled once the writer catches up. Job status never disagrees with its operations in any
answer of the API, polled while many jobs run."""

from __future__ import annotations

import threading
import time

from batchcore.models import JobStatus
from batchcore.operations import noop
from batchcore.planning import OpPlan
from batchcore.store.writer import FnCommand


def wait_until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"condition not met within {timeout} s")


def test_force_cancel_is_accepted_at_once_behind_a_big_writer_backlog(client, api_engine):
    eng = api_engine  # 4 workers
    probe_name = f"cancel-backlog-{time.monotonic_ns()}"
    probe = noop.probe(probe_name)
    ops = [OpPlan(f"op{i}", "noop", {"sleep_ms": 1, "probe": probe_name}) for i in range(10_000)]
    job = eng.submit_operations("ten thousand", ops, max_parallel=4).job_id
    wait_until(lambda: eng.get_job(job, with_operations=False).progress.completed_operations > 0)

    held, release = threading.Event(), threading.Event()
    eng.store.submit(FnCommand(lambda cur, now: (held.set(), release.wait(120))))
    assert held.wait(30)  # the writer is inside a transaction: everything queues behind it
    wait_until(lambda: eng.store.writer.backlog() >= 10_000)
    backlog = eng.store.writer.backlog()
    health = client.get("/health").json()
    assert health["status"] == "degraded" and health["store"]["backlog"] >= 10_000
    assert any(r.startswith("writer backlog: ") for r in health["reasons"]), health["reasons"]

    t0 = time.perf_counter()
    answer = client.post(f"/jobs/{job}/cancel", json={"force": True, "reason": "load"})
    latency = time.perf_counter() - t0
    returned = time.monotonic()
    assert answer.status_code == 200, answer.text
    assert latency < 1.0, f"cancel took {latency:.3f} s behind {backlog} queued changes"
    body = answer.json()
    assert body["job_status"] == "cancelling" and body["message"].startswith(
        "Batch job cancellation requested"
    )
    wait_until(lambda: eng.executor.running_count() == 0, timeout=30)  # interrupted now
    started_after = [r for r in probe.runs if r[2] >= returned]
    assert started_after == []  # nothing of the job started after the answer
    ran = len(probe.runs)

    release.set()
    view = eng.wait(job, timeout=120)
    assert view.status == JobStatus.CANCELLED
    p = view.progress
    assert p.total_operations == 10_000 and p.running_operations == p.pending_operations == 0
    assert p.completed_operations + p.cancelled_operations + p.skipped_operations == 10_000
    assert p.cancelled_operations <= 4
    # every run is accounted for (a cancelled one may have been stopped before its handler ran)
    assert p.completed_operations <= ran <= p.completed_operations + p.cancelled_operations
    assert len(probe.runs) == ran
    with eng.store.reader() as cur:
        assert cur.execute("SELECT count(*) FROM cancel_requests").fetchall() == [(0,)]
    print(f"cancel answered in {latency * 1000:.0f} ms behind {backlog} queued store changes")


def test_job_status_never_disagrees_with_its_operations(client, api_engine):
    eng = api_engine
    jobs = [
        eng.submit_operations(
            f"load {n}",
            [OpPlan(f"op{i}", "noop", {"sleep_ms": 4 + i % 3}) for i in range(60)],
            max_parallel=3,
        ).job_id
        for n in range(12)
    ]
    seen: list[tuple[str, str, dict]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            for j in client.get("/jobs", params={"limit": 50}).json()["jobs"]:
                seen.append((j["job_id"], j["status"], j["progress"]))
            for job_id in jobs[:3]:
                d = client.get(f"/jobs/{job_id}").json()["job"]
                seen.append((job_id, d["status"], d["progress"]))

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for job_id in jobs:
            assert eng.wait(job_id, timeout=120).status == JobStatus.COMPLETED
    finally:
        stop.set()
        poller.join(timeout=30)
    wrong = []
    for job_id, status, p in seen:
        finished = p["total_operations"] - p["pending_operations"] - p["running_operations"]
        if status == "pending" and (p["running_operations"] or finished):
            wrong.append((job_id, status, p))
        if status == "running" and finished == p["total_operations"]:
            wrong.append((job_id, status, p))
        if status == "completed" and p["completed_operations"] != p["total_operations"]:
            wrong.append((job_id, status, p))
    assert wrong == []
    statuses = [s for _j, s, _p in seen]
    assert statuses.count("running") >= 10 and "completed" in statuses
