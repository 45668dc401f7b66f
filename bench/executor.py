"""Executor throughput and history queries at scale (issue 3, item 5).

In one process and one run:
  1. N no-op operations through a bare `ThreadPoolExecutor` (no persistence) — the ceiling;
  2. the same N no-op operations through the product's executor with full persistence (every
     claim, attempt and result committed to the DuckDB job store), as one job and as many jobs;
  3. for context, the rate of one committed single-row UPDATE per state change on this disk;
  4. list / filter / statistics queries over 10,000 stored jobs (50,000 operations).
  5. small jobs (issue 13 §3): 1,000 jobs x 10 operations, submission included, and the time to
     submit 10,000 jobs of one operation (--submit-jobs).
Every figure runs --repeat times (at least 3, fresh store each time): min/median; rates use the
best run. The output starts and ends with the machine's load average.
Usage: python bench/executor.py [N] [--workers W] [--repeat R] [--submit-jobs J]
       python bench/executor.py --dask [--repeat R]   the Dask backend vs threads (issue 14):
       per-operation overhead, 200 real validation operations, partitioned vs whole row_diff
       (bench/dask_backend.py)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
from benchutil import Timing, machine_line

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.models import TERMINAL_JOB_STATUSES, JobOptions, JobType
from batchcore.planning import JobPlan, OpPlan
from batchcore.store.reads import JobFilter
from batchcore.store.writer import FnCommand


def bare_pool(n: int, workers: int) -> float:
    """Seconds for n trivial tasks through a bare ThreadPoolExecutor."""

    def task(i: int) -> int:
        return i

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        wait([pool.submit(task, i) for i in range(n)])
    return time.perf_counter() - t0


def _planned(k: int, ops: int, max_parallel: int) -> tuple[JobPlan, JobOptions]:
    """A planned job of `ops` no-op operations (what Engine.submit_operations builds)."""
    request = JobOptions(job_name=f"bench-{k}", max_parallel=max_parallel)
    plan = JobPlan(
        JobType.BULK_PIPELINE_EXECUTION,
        [OpPlan(f"op{i}", "noop", {}) for i in range(ops)],
        request.project_id,
        f"job created with {ops} operations",
    )
    return plan, request


def wait_all(eng: Engine, ids: list[str], timeout_s: float = 600.0) -> None:
    """Poll every 20 ms, with one query, until every job in `ids` is terminal (one read per poll
    whatever the number of jobs: the figure is the engine's, not 1,000 polling reads')."""
    terminal = [s.value for s in TERMINAL_JOB_STATUSES]
    deadline = time.monotonic() + timeout_s
    while True:
        with eng.store.reader() as cur:
            left = cur.execute(
                "SELECT count(*) FROM jobs WHERE job_id IN (SELECT unnest(?::VARCHAR[])) "
                "AND status NOT IN (SELECT unnest(?::VARCHAR[]))",
                [ids, terminal],
            ).fetchall()[0][0]
        if left == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{left} of {len(ids)} jobs still not terminal")
        time.sleep(0.02)


def product(n: int, workers: int, jobs: int, root: Path, batch: bool = False) -> tuple[float, dict]:
    """Seconds for n no-op operations split over `jobs` jobs, from submit to every job terminal.
    `batch`: all jobs submitted in one call (Engine.create_jobs: one transaction), else one
    submit call per job from this thread."""
    eng = Engine(
        Settings(jobs_dir=root, workspace=root, max_workers=workers, auto_build_example=False)
    )
    per_job = n // jobs
    try:
        t0 = time.perf_counter()
        if batch:
            ids = [
                a.job_id for a in eng.create_jobs([_planned(k, per_job, 10) for k in range(jobs)])
            ]
        else:
            ids = [
                eng.submit_operations(
                    f"bench-{k}",
                    [OpPlan(f"op{i}", "noop", {}) for i in range(per_job)],
                    max_parallel=10,
                ).job_id
                for k in range(jobs)
            ]
        wait_all(eng, ids)
        dt = time.perf_counter() - t0
        with eng.store.reader() as cur:
            done = cur.execute(
                "SELECT count(*) FROM operations WHERE status = 'completed'"
            ).fetchall()[0][0]
            attempts = cur.execute("SELECT count(*) FROM attempts").fetchall()[0][0]
        stats = {
            "completed": done,
            "attempt_rows": attempts,
            "commits": eng.store.writer.batches,
            "commands": eng.store.writer.commands,
        }
        return dt, stats
    finally:
        eng.close()


def submit_only(jobs: int, workers: int, root: Path, way: str = "loop") -> float:
    """Seconds to submit `jobs` jobs of one no-op operation each (until the last submit returns:
    every job is stored). `way`: "loop" one submit call after the other from one thread;
    "threads" the same calls from 8 threads at once (they share commits: group commit);
    "many" one Engine.create_jobs call (one transaction)."""
    eng = Engine(
        Settings(jobs_dir=root, workspace=root, max_workers=workers, auto_build_example=False)
    )

    def one(k: int) -> None:
        eng.submit_operations(f"bench-{k}", [OpPlan("op", "noop", {})], max_parallel=1)

    try:
        t0 = time.perf_counter()
        if way == "many":
            eng.create_jobs([_planned(k, 1, 1) for k in range(jobs)])
        elif way == "threads":
            with ThreadPoolExecutor(max_workers=8) as pool:
                for f in [pool.submit(one, k) for k in range(jobs)]:
                    f.result()
        else:
            for k in range(jobs):
                one(k)
        dt = time.perf_counter() - t0
        with eng.store.reader() as cur:
            stored = cur.execute("SELECT count(*) FROM operations").fetchall()[0][0]
        assert stored == jobs, (way, stored)
        return dt
    finally:
        eng.close()


def single_row_commits(root: Path, n: int = 300) -> float:
    """Committed single-row UPDATEs per second on this disk (the naive way to persist state)."""
    con = duckdb.connect(str(root / "naive.duckdb"))
    con.execute("CREATE TABLE t (k BIGINT, status VARCHAR)")
    con.execute("INSERT INTO t SELECT range, 'pending' FROM range(10000)")
    t0 = time.perf_counter()
    for i in range(n):
        con.execute("UPDATE t SET status = 'running' WHERE k = ?", [i])
    dt = time.perf_counter() - t0
    con.close()
    return n / dt


def history_queries(root: Path, jobs: int = 10_000) -> dict[str, float]:
    """Milliseconds of the History page's queries over `jobs` stored jobs (5 operations each)."""
    eng = Engine(Settings(jobs_dir=root, workspace=root, auto_build_example=False))

    def seed(cur, now):
        cur.execute(f"""INSERT INTO jobs (job_id, job_type, name, description, status, project_id, tags,
                parallel_execution, max_parallel, stop_on_error, max_retries, request, total_operations,
                created_at, started_at, finished_at)
            SELECT printf('%08d-0000-7000-8000-000000000000', i),
                   ['bulk_pipeline_execution', 'batch_data_generation', 'multi_project_validation', 'bulk_metadata_extraction'][i % 4 + 1],
                   'job ' || i, '', ['completed', 'failed', 'partial_success', 'cancelled', 'completed'][i % 5 + 1],
                   'proj' || (i % 7), CASE WHEN i % 3 = 0 THEN ['nightly'] ELSE ['adhoc'] END, true, 5, false, 0, '{{}}', 5,
                   TIMESTAMP '2026-01-01' + INTERVAL (i) MINUTE, TIMESTAMP '2026-01-01' + INTERVAL (i) MINUTE,
                   TIMESTAMP '2026-01-01' + INTERVAL (i) MINUTE + INTERVAL 30 SECOND
            FROM range({jobs}) t(i)""")
        cur.execute(f"""INSERT INTO operations (op_key, job_id, operation_id, seq, kind, status, spec, attempts, max_attempts,
                started_at, finished_at, duration_ms)
            SELECT i * 5 + s + 1, printf('%08d-0000-7000-8000-000000000000', i), 'op' || s, s, 'noop',
                   CASE WHEN s = 4 AND i % 5 IN (1, 2) THEN 'failed' ELSE 'completed' END, '{{}}', 1, 1,
                   TIMESTAMP '2026-01-01' + INTERVAL (i) MINUTE, TIMESTAMP '2026-01-01' + INTERVAL (i) MINUTE + INTERVAL 5 SECOND, 5000
            FROM range({jobs}) t(i), range(5) u(s)""")

    eng.store.call(FnCommand(seed), timeout=600)
    out = {}

    def timed(name, fn, reps=5):
        fn()
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        out[name] = (time.perf_counter() - t0) / reps * 1000

    timed("first page (100 newest)", lambda: eng.list_jobs(JobFilter(), limit=100))
    timed("page 50 (offset 4,900)", lambda: eng.list_jobs(JobFilter(), limit=100, offset=4900))
    timed("filter status=failed", lambda: eng.list_jobs(JobFilter(status=("failed",)), limit=100))
    timed(
        "filter type+project+tag",
        lambda: eng.list_jobs(
            JobFilter(job_type=("batch_data_generation",), project_id="proj3", tag="nightly"),
            limit=100,
        ),
    )
    timed(
        "filter date range + search",
        lambda: eng.list_jobs(JobFilter(search="job 99", created_from=None), limit=100),
    )
    timed("statistics", eng.statistics)
    timed("active jobs", eng.active_jobs)
    eng.close()
    return out


def main() -> None:
    if "--dask" in sys.argv:
        import dask_backend

        sys.argv.remove("--dask")
        dask_backend.main()
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "n", nargs="?", type=int, default=10_000, help="no-op operations (default 10,000)"
    )
    ap.add_argument(
        "--workers", type=int, default=10, help="pool size (default 10, the product default)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (at least 3)")
    ap.add_argument(
        "--submit-jobs", type=int, default=10_000, help="jobs submitted in the submission figure"
    )
    args = ap.parse_args()
    n, w, rep = args.n, args.workers, max(3, args.repeat)
    print(machine_line())
    t_bare, t_one, t_many, t_small, t_submit = Timing(), Timing(), Timing(), Timing(), Timing()
    t_small_batch, t_sub_thr, t_sub_many = Timing(), Timing(), Timing()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for r in range(rep):  # interleaved rounds, fresh stores
            t_bare.add(bare_pool(n, w))
            dt, s1 = product(n, w, 1, tmp / f"one{r}")
            t_one.add(dt)
            dt, s2 = product(n, w, 100, tmp / f"many{r}")
            t_many.add(dt)
            dt, s3 = product(10_000, w, 1_000, tmp / f"small{r}")
            t_small.add(dt)
            dt, s4 = product(10_000, w, 1_000, tmp / f"smallb{r}", batch=True)
            t_small_batch.add(dt)
            t_submit.add(submit_only(args.submit_jobs, w, tmp / f"submit{r}"))
            t_sub_thr.add(submit_only(args.submit_jobs, w, tmp / f"submitt{r}", "threads"))
            t_sub_many.add(submit_only(args.submit_jobs, w, tmp / f"submitm{r}", "many"))
        naive = single_row_commits(tmp)
        hist = history_queries(tmp / "hist")
    one_job, many_jobs, bare = t_one.min, t_many.min, t_bare.min
    print(
        f"Executor benchmark: {n:,} no-op operations, {w} worker threads, DuckDB {duckdb.__version__}; "
        f"seconds as min/median of {rep}"
    )
    print(f"  bare ThreadPoolExecutor (no persistence)    {n / bare:>10,.0f} ops/s   ({t_bare} s)")
    print(
        f"  product, 1 job of {n:,} ops (persisted)    {n / one_job:>10,.0f} ops/s   ({t_one} s; "
        f"{s1['commits']} commits for {s1['commands']} state-change commands)"
    )
    print(
        f"  product, 100 jobs of {n // 100:,} ops (persisted)  {n / many_jobs:>10,.0f} ops/s   ({t_many} s; "
        f"{s2['commits']} commits)"
    )
    print(
        f"  product, 1,000 jobs of 10 ops (persisted)  {10_000 / t_small.min:>10,.0f} ops/s   ({t_small} s; "
        f"{s3['commits']} commits; submission included, one submit call per job)"
    )
    print(
        f"  product, 1,000 jobs of 10 ops, one create_jobs call {10_000 / t_small_batch.min:>10,.0f} ops/s   "
        f"({t_small_batch} s; {s4['commits']} commits; submission included)"
    )
    print(
        f"  submit {args.submit_jobs:,} jobs of 1 op           {args.submit_jobs / t_submit.min:>10,.0f} jobs/s   ({t_submit} s; one call after the other)"
    )
    print(
        f"  submit {args.submit_jobs:,} jobs of 1 op, 8 threads {args.submit_jobs / t_sub_thr.min:>10,.0f} jobs/s   ({t_sub_thr} s; group commit)"
    )
    print(
        f"  submit {args.submit_jobs:,} jobs of 1 op, create_jobs {args.submit_jobs / t_sub_many.min:>10,.0f} jobs/s   ({t_sub_many} s; one transaction)"
    )
    print(
        f"  naive: one committed UPDATE per change      {naive:>10,.0f} updates/s "
        f"(= {naive / 2:,.0f} ops/s at 2 changes per operation)"
    )
    print(
        f"  ratio product (1 job) / bare pool: {bare / one_job:.4f}  (bare is {one_job / bare:,.0f}x faster)"
    )
    print(f"  ratio product (1 job) / naive commits: {(n / one_job) / (naive / 2):.1f}x")
    print(
        f"  goal >= 2,000 persisted ops/s: {'met' if n / one_job >= 2000 and n / many_jobs >= 2000 else 'NOT met'}"
    )
    for label, t in (("one call per job", t_small), ("one create_jobs call", t_small_batch)):
        print(
            f"  goal 1,000 jobs x 10 ops >= 3,000 ops/s ({label}): {10_000 / t.min:,.0f} "
            f"({'met' if 10_000 / t.min >= 3000 else 'NOT met'})"
        )
    for label, t in (
        ("one call after the other", t_submit),
        ("8 threads", t_sub_thr),
        ("create_jobs", t_sub_many),
    ):
        secs = t.min * 10_000 / args.submit_jobs
        print(
            f"  goal 10,000 jobs submitted < 10 s ({label}): {secs:.2f} s "
            f"({'met' if secs < 10 else 'NOT met'})"
        )
    assert s1["completed"] == n and s1["attempt_rows"] == n, s1
    assert s3["completed"] == 10_000, s3
    assert s4["completed"] == 10_000, s4
    print("History queries over 10,000 jobs / 50,000 operations (ms, mean of 5):")
    for k, v in hist.items():
        print(f"  {k:<30} {v:8.1f} ms")
    print(machine_line())


if __name__ == "__main__":
    main()
