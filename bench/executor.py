"""Executor throughput and history queries at scale (issue 3, item 5).

In one process and one run:
  1. N no-op operations through a bare `ThreadPoolExecutor` (no persistence) — the ceiling;
  2. the same N no-op operations through the product's executor with full persistence (every
     claim, attempt and result committed to the DuckDB job store), as one job and as many jobs;
  3. for context, the rate of one committed single-row UPDATE per state change on this disk;
  4. list / filter / statistics queries over 10,000 stored jobs (50,000 operations).
Prints operations per second and the ratios. Usage: python bench/executor.py [N] [--workers W]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.planning import OpPlan
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


def product(n: int, workers: int, jobs: int, root: Path) -> tuple[float, dict]:
    """Seconds for n no-op operations split over `jobs` jobs, from submit to every job terminal."""
    eng = Engine(
        Settings(jobs_dir=root, workspace=root, max_workers=workers, auto_build_example=False)
    )
    per_job = n // jobs
    try:
        t0 = time.perf_counter()
        ids = [
            eng.submit_operations(
                f"bench-{k}",
                [OpPlan(f"op{i}", "noop", {}) for i in range(per_job)],
                max_parallel=10,
            ).job_id
            for k in range(jobs)
        ]
        for job_id in ids:
            eng.wait(job_id, timeout=600, poll_s=0.02)
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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "n", nargs="?", type=int, default=10_000, help="no-op operations (default 10,000)"
    )
    ap.add_argument(
        "--workers", type=int, default=10, help="pool size (default 10, the product default)"
    )
    args = ap.parse_args()
    n, w = args.n, args.workers
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bare = bare_pool(n, w)
        one_job, s1 = product(n, w, 1, tmp / "one")
        many_jobs, s2 = product(n, w, 100, tmp / "many")
        naive = single_row_commits(tmp)
        hist = history_queries(tmp / "hist")
    print(
        f"Executor benchmark: {n:,} no-op operations, {w} worker threads, DuckDB {duckdb.__version__}"
    )
    print(
        f"  bare ThreadPoolExecutor (no persistence)    {n / bare:>10,.0f} ops/s   ({bare:.3f} s)"
    )
    print(
        f"  product, 1 job of {n:,} ops (persisted)    {n / one_job:>10,.0f} ops/s   ({one_job:.3f} s; "
        f"{s1['commits']} commits for {s1['commands']} state-change commands)"
    )
    print(
        f"  product, 100 jobs of {n // 100:,} ops (persisted)  {n / many_jobs:>10,.0f} ops/s   ({many_jobs:.3f} s; "
        f"{s2['commits']} commits)"
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
    assert s1["completed"] == n and s1["attempt_rows"] == n, s1
    print("History queries over 10,000 jobs / 50,000 operations (ms, mean of 5):")
    for k, v in hist.items():
        print(f"  {k:<30} {v:8.1f} ms")


if __name__ == "__main__":
    main()
