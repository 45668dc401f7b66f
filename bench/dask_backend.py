"""The Dask backend against threads (issue 14), in one process and one run:
  1. per-operation overhead: one job of N no-op operations run one at a time
     (parallel_execution false) on threads and on a 2-worker LocalCluster — the difference per
     operation is what sending an attempt to a worker and back costs (goal < 5 ms);
  2. throughput: a job of 200 real validation operations (a pipeline of 5 checks over a 200,000
     row DuckDB table) on threads vs the 2-worker cluster, BATCH_MAX_WORKERS 4 on both;
  3. a row_diff of 2,000,000 rows unpartitioned vs `partition_by: {ranges: 8}` (threads).
Figures: min/median of --repeat runs (at least 3); the output starts and ends with the load.
Usage: python bench/dask_backend.py [--ops N] [--repeat R]   (also: bench/executor.py --dask)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
import yaml
from benchutil import Timing, machine_line

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.models import JobStatus
from batchcore.planning import OpPlan


def _workspace(root: Path, rows: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "connections.yaml").write_text(
        yaml.safe_dump(
            {
                "connections": {
                    "src": {"type": "duckdb", "path": "src.duckdb", "max_concurrency": 16},
                    "tgt": {"type": "duckdb", "path": "tgt.duckdb", "max_concurrency": 16},
                }
            }
        )
    )
    proj = root / "projects" / "p"
    (proj / "pipelines").mkdir(parents=True, exist_ok=True)
    (proj / "project.yaml").write_text(
        yaml.safe_dump({"name": "p", "source": "src", "target": "tgt"})
    )
    for name in ("src", "tgt"):
        with duckdb.connect(str(root / f"{name}.duckdb")) as con:
            con.execute(
                f"CREATE OR REPLACE TABLE t AS SELECT range AS id, (range * 7) % 1000 AS a, "
                f"'v' || (range % 97) AS b FROM range({rows})"
            )
            if name == "tgt":
                con.execute("UPDATE t SET a = a + 1 WHERE id % 39157 = 11")
    pipes = proj / "pipelines"
    (pipes / "checks.yaml").write_text(
        "checks:\n"
        "  - {type: not_null, table: t, columns: [id, a, b]}\n"
        "  - {type: unique, table: t, column: id}\n"
        "  - {type: between, table: t, column: a, min: 0, max: 1000}\n"
        "  - {type: accepted_values, table: t, column: b, values: [v1, v2, v3]}\n"
        "  - {type: row_count, table: t, min: 1}\n"
    )
    diff = "{type: row_diff, name: diff, table: t, key: id"
    (pipes / "whole.yaml").write_text(f"checks:\n  - {diff}}}\n")
    (pipes / "split.yaml").write_text(
        f"checks:\n  - {diff}, partition_by: {{column: id, ranges: 8}}}}\n"
    )
    return root


def _engine(root: Path, jobs: Path, executor: str, workers: int, address: str | None) -> Engine:
    extra = {"executor": "dask", "dask_scheduler": address} if executor == "dask" else {}
    return Engine(
        Settings(
            jobs_dir=jobs,
            workspace=root,
            max_workers=workers,
            auto_build_example=False,
            scheduler_enabled=False,
            **extra,
        )
    )


def _run(eng: Engine, job) -> float:
    t0 = time.perf_counter()
    view = eng.wait(job.job_id, timeout=3600)
    assert view.status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.PARTIAL_SUCCESS)
    return time.perf_counter() - t0


def overhead(eng: Engine, n: int) -> float:
    """Seconds for a job of n no-ops run one at a time (from submit to terminal)."""
    t0 = time.perf_counter()
    job = eng.submit_operations(
        "overhead", [OpPlan(f"op{i}", "noop", {}) for i in range(n)], parallel_execution=False
    )
    eng.wait(job.job_id, timeout=3600)
    return time.perf_counter() - t0


def validations(eng: Engine, n: int) -> float:
    """Seconds for a job of n pipeline operations (5 checks over 200,000 rows each)."""
    t0 = time.perf_counter()
    job = eng.submit(
        "bulk_pipeline_execution",
        {
            "job_name": "validations",
            "pipelines": [{"pipeline_id": "checks", "project_id": "p"}] * n,
            "max_parallel": 10,
        },
    )
    _run(eng, job)
    return time.perf_counter() - t0


def diff(eng: Engine, pipeline: str) -> tuple[float, int]:
    """Seconds and failed rows of one row_diff pipeline (partitions summed)."""
    t0 = time.perf_counter()
    job = eng.submit(
        "bulk_pipeline_execution",
        {
            "job_name": pipeline,
            "pipelines": [{"pipeline_id": pipeline, "project_id": "p"}],
            "max_parallel": 8,
        },
    )
    _run(eng, job)
    dt = time.perf_counter() - t0
    return dt, sum(r["failed_rows"] or 0 for r in eng.check_results(job.job_id))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=200, help="operations per job (default 200)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (at least 3)")
    args = ap.parse_args()
    rep, n = max(3, args.repeat), args.ops
    print(machine_line())
    import dask
    from distributed import LocalCluster

    dask.config.set({"distributed.scheduler.allowed-failures": 0})
    t = {k: Timing() for k in ("ovh_thr", "ovh_dask", "val_thr", "val_dask", "whole", "split")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small = _workspace(tmp / "ws_small", 200_000)
        t0 = time.perf_counter()
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=4,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        start_s = time.perf_counter() - t0
        try:
            for r in range(rep):
                for executor in ("threads", "dask"):
                    eng = _engine(
                        small, tmp / f"j-{executor}-{r}", executor, 4, cluster.scheduler_address
                    )
                    try:
                        overhead(eng, 5)  # warm up (imports on the workers)
                        key = "thr" if executor == "threads" else "dask"
                        t[f"ovh_{key}"].add(overhead(eng, n))
                        t[f"val_{key}"].add(validations(eng, n))
                    finally:
                        eng.close()
        finally:
            cluster.close()
        big = _workspace(tmp / "ws_big", 2_000_000)
        failed = {}
        for r in range(rep):
            eng = _engine(big, tmp / f"j-diff-{r}", "threads", 8, None)
            try:
                dt, failed["whole"] = diff(eng, "whole")
                t["whole"].add(dt)
                dt, failed["split"] = diff(eng, "split")
                t["split"].add(dt)
            finally:
                eng.close()
    per_thr = t["ovh_thr"].min / n * 1000
    per_dask = t["ovh_dask"].min / n * 1000
    print(f"Dask backend vs threads, {n} operations per job; seconds as min/median of {rep}")
    print(f"  LocalCluster start (2 worker processes)          {start_s:8.2f} s")
    print(
        f"  per-operation, one at a time: threads {per_thr:7.2f} ms   dask {per_dask:7.2f} ms   "
        f"overhead {per_dask - per_thr:+.2f} ms/op (goal < 5 ms: {'met' if per_dask - per_thr < 5 else 'NOT met'})"
    )
    print(f"    threads {t['ovh_thr']} s   dask {t['ovh_dask']} s")
    print(f"  {n} validation ops (5 checks x 200,000 rows), 4 in flight:")
    print(f"    threads      {n / t['val_thr'].min:8.1f} ops/s   ({t['val_thr']} s)")
    print(f"    dask 2 procs {n / t['val_dask'].min:8.1f} ops/s   ({t['val_dask']} s)")
    print(f"    ratio dask / threads: {t['val_thr'].min / t['val_dask'].min:.2f}x")
    print("  row_diff 2,000,000 rows (threads):")
    print(f"    unpartitioned      {t['whole']} s   failed rows {failed['whole']}")
    print(f"    8 partitions       {t['split']} s   failed rows {failed['split']}")
    print(f"    ratio partitioned / unpartitioned time: {t['split'].min / t['whole'].min:.2f}")
    assert failed["whole"] == failed["split"], failed
    print(machine_line())


if __name__ == "__main__":
    main()
