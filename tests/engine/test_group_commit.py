"""Submissions share commits (issue 13 §3): concurrent submitters are grouped by the store's
writer into one transaction, each caller still gets its own job id once its job is stored, and
one bad submission fails alone. `Engine.submit_many` stores many requests in one transaction,
all or nothing."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest
from pydantic import ValidationError

from batchcore.errors import RequestError, TooManyRequests
from batchcore.models import JobOptions, JobType
from batchcore.planning import JobPlan
from batchcore.store.commands import CreateJob
from tests.engine.conftest import noops

N = 6


def hold_first_group(monkeypatch) -> tuple[list[int], threading.Event, threading.Event]:
    """Spy on CreateJob groups: returns (sizes of the groups applied, `held` set while the
    first group is being applied, `hold` the test sets to let it commit)."""
    sizes: list[int] = []
    held, hold = threading.Event(), threading.Event()
    original = CreateJob.apply_many.__func__

    def spy(cls, cur, cmds, now):
        sizes.append(len(cmds))
        if len(sizes) == 1:
            held.set()
            assert hold.wait(60)
        return original(cls, cur, cmds, now)

    monkeypatch.setattr(CreateJob, "apply_many", classmethod(spy))
    return sizes, held, hold


def wait_queued(eng, n: int) -> None:
    """Until `n` submissions wait for the leader's commit (checked every 5 ms, up to 60 s)."""
    deadline = time.monotonic() + 60
    while len(eng.store._group_queue) < n:
        assert time.monotonic() < deadline, len(eng.store._group_queue)
        threading.Event().wait(0.005)


def _stored(eng, job_id: str) -> tuple[str, list[tuple[str, str]]]:
    with eng.store.reader() as cur:
        name = cur.execute("SELECT name FROM jobs WHERE job_id = ?", [job_id]).fetchall()[0][0]
        ops = cur.execute(
            "SELECT operation_id, status FROM operations WHERE job_id = ? ORDER BY seq", [job_id]
        ).fetchall()
    return name, ops


def test_concurrent_submissions_share_one_commit_and_a_bad_one_fails_alone(
    make_engine, monkeypatch
):
    eng = make_engine(max_workers=4)
    first = eng.submit_operations("first", noops(1))
    eng.wait(first.job_id, timeout=60)
    sizes, held, hold = hold_first_group(monkeypatch)

    def good(k: int):
        return eng.submit_operations(f"job{k}", noops(3, prefix=f"j{k}-"))

    def duplicate():  # same id as a stored job: the INSERT fails inside the shared transaction
        request = JobOptions(job_name="dup")
        plan = JobPlan(JobType.BULK_PIPELINE_EXECUTION, noops(1), None, "dup")
        return eng.create_job(plan, request, job_id=first.job_id)

    def invalid():  # refused before the store: max_parallel must be >= 1
        return eng.submit_operations("bad", noops(2), max_parallel=0)

    with ThreadPoolExecutor(max_workers=N + 3) as pool:
        leader = pool.submit(eng.submit_operations, "leader", noops(1))
        assert held.wait(30)  # the leader is inside its transaction
        goods = [pool.submit(good, k) for k in range(N)]
        dup = pool.submit(duplicate)
        bad = pool.submit(invalid)
        with pytest.raises(ValidationError, match="max_parallel"):
            bad.result(timeout=30)
        wait_queued(eng, N + 1)
        hold.set()
        leader.result(timeout=60)
        answers = [f.result(timeout=60) for f in goods]
        with pytest.raises(duckdb.ConstraintException, match=first.job_id):
            dup.result(timeout=60)

    ids = [a.job_id for a in answers]
    assert len(set(ids)) == N
    # the leader alone, then the N + 1 queued ones as one group (which failed on the duplicate),
    # then each of them alone
    assert sizes[:2] == [1, N + 1]
    assert sizes[2:] == [1] * (N + 1)
    for k, job_id in enumerate(ids):
        name, ops = _stored(eng, job_id)
        assert name == f"job{k}"
        assert [o for o, _s in ops] == [f"j{k}-0", f"j{k}-1", f"j{k}-2"]
        done = eng.wait(job_id, timeout=60)
        assert done.status.value == "completed"
        assert done.progress.completed_operations == 3
    assert _stored(eng, first.job_id)[0] == "first"  # the duplicate changed nothing


def test_concurrent_submissions_grouped_when_all_good(make_engine, monkeypatch):
    eng = make_engine(max_workers=4)
    sizes, held, hold = hold_first_group(monkeypatch)
    with ThreadPoolExecutor(max_workers=N + 1) as pool:
        leader = pool.submit(eng.submit_operations, "leader", noops(1))
        assert held.wait(30)
        futs = [
            pool.submit(eng.submit_operations, f"g{k}", noops(k + 1, prefix=f"g{k}-"))
            for k in range(N)
        ]
        wait_queued(eng, N)
        hold.set()
        leader.result(timeout=60)
        answers = [f.result(timeout=60) for f in futs]
    assert sizes == [1, N]  # the queued ones: one multi-row INSERT per table, one commit
    assert len({a.job_id for a in answers}) == N
    for k, a in enumerate(answers):
        name, ops = _stored(eng, a.job_id)
        assert name == f"g{k}" and len(ops) == k + 1 == a.total_operations
        assert eng.wait(a.job_id, timeout=60).progress.completed_operations == k + 1


def _request(name: str, **extra) -> tuple[str, dict]:
    body = {
        "job_name": name,
        "pipelines": [{"pipeline_id": "flights_validation", "project_id": "nycflights_migration"}],
    }
    return "bulk_pipeline_execution", {**body, **extra}


def _job_count(eng) -> int:
    with eng.store.reader() as cur:
        return cur.execute("SELECT count(*) FROM jobs").fetchall()[0][0]


def test_submit_many_is_all_or_nothing(make_engine):
    eng = make_engine()
    with pytest.raises(RequestError) as err:
        eng.submit_many([_request("a"), _request("b", max_parallel=0), _request("c")])
    assert err.value.field.startswith("requests[1].")
    assert err.value.message.startswith("requests[1]: ")
    assert _job_count(eng) == 0


def test_submit_many_counts_its_own_jobs_against_the_queue_limit(make_engine):
    eng = make_engine(max_queued_jobs=2)
    with pytest.raises(TooManyRequests):
        eng.submit_many([_request(f"q{i}") for i in range(3)])
    assert _job_count(eng) == 0


def test_submit_many_stores_every_job_in_order(make_engine):
    eng = make_engine()
    answers = eng.submit_many([_request(f"m{i}") for i in range(5)])
    assert len({a.job_id for a in answers}) == 5
    for i, a in enumerate(answers):
        view = eng.get_job(a.job_id)
        assert view.name == f"m{i}"
        assert view.progress.total_operations == a.total_operations >= 1
