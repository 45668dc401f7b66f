"""Test data for the UI tests: a small workspace, noop jobs, check results and a big history.

Shared by the AppTest suite, the browser tests (which seed a store before the server opens it)
and the page-load measurement.
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from batchcore.engine import Engine, new_job_id
from batchcore.planning import OpPlan
from batchcore.store import Store
from batchcore.store.commands import CreateJob, insert_check_rows
from batchcore.store.writer import FnCommand
from batchcore.timeutil import utcnow_naive

CONNECTIONS = """\
connections:
  warehouse:
    type: duckdb
    path: data/warehouse.duckdb
    description: Analytics warehouse
  legacy:
    type: sqlite
    path: data/legacy.sqlite
    description: Legacy operational database
  generated:
    type: duckdb
    path: data/generated.duckdb
    description: Synthetic star schemas
"""
PIPELINE = """\
description: {desc}
target: warehouse
threshold: 1.0
checks:
  - {{type: not_null, table: {table}, columns: [id]}}
  - {{type: unique, table: {table}, columns: [id]}}
"""
PROJECTS = {
    "retail_migration": (
        "Retail migration",
        ["dim_customer_validation", "fact_sales_validation", "dim_store_validation"],
    ),
    "finance_checks": ("Finance checks", ["ledger_validation", "fx_rates_validation"]),
    "empty_project": ("Empty project", []),
}


def write_workspace(root: Path) -> Path:
    """A workspace with 3 connections and projects retail_migration (3 pipelines),
    finance_checks (2) and empty_project (none), and a warehouse DuckDB file holding every table
    the pipelines check (ids 1..3: the pipelines pass). Returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "connections.yaml").write_text(CONNECTIONS)
    (root / "data").mkdir(exist_ok=True)
    with duckdb.connect(str(root / "data" / "warehouse.duckdb")) as con:
        for pipelines in (p for _name, p in PROJECTS.values()):
            for pl in pipelines:
                table = pl.removesuffix("_validation")
                con.execute(
                    f'CREATE TABLE IF NOT EXISTS "{table}" AS SELECT range + 1 AS id FROM range(3)'
                )
    for pid, (name, pipelines) in PROJECTS.items():
        d = root / "projects" / pid
        (d / "pipelines").mkdir(parents=True, exist_ok=True)
        (d / "project.yaml").write_text(
            f"name: {name}\ndescription: {name} checks\ntarget: warehouse\n"
        )
        for pl in pipelines:
            table = pl.removesuffix("_validation")
            (d / "pipelines" / f"{pl}.yaml").write_text(
                PIPELINE.format(desc=f"{table} after migration", table=table)
            )
    return root


def noop_job(
    engine: Engine,
    name: str,
    n_ops: int = 3,
    *,
    sleep_ms: int = 0,
    fail: tuple[int, ...] = (),
    result_failed: tuple[int, ...] = (),
    **options: Any,
) -> str:
    """Submit a job of `n_ops` noop operations `op_<i>`; returns its id."""
    ops = [
        OpPlan(
            f"op_{i}",
            "noop",
            {"sleep_ms": sleep_ms, "fail": i in fail, "result_failed": i in result_failed},
        )
        for i in range(n_ops)
    ]
    return engine.submit_operations(name, ops, **options).job_id


def check_row(
    operation_id: str,
    index: int,
    *,
    passed: bool,
    name: str,
    check_type: str = "not_null",
    table: str = "customers",
    columns: tuple[str, ...] = ("email",),
    failed_rows: int = 0,
    total_rows: int = 1000,
    threshold: float = 1.0,
    pipeline_id: str = "dim_customer_validation",
    project_id: str = "retail_migration",
    attempt: int = 1,
    job_id: str | None = None,
) -> dict[str, Any]:
    """One check_results row in the store's shape (keys of CHECK_COLUMNS)."""
    rate = 1.0 - failed_rows / total_rows if total_rows else 1.0
    return {
        "job_id": job_id,
        "operation_id": operation_id,
        "attempt": attempt,
        "check_index": index,
        "project_id": project_id,
        "pipeline_id": pipeline_id,
        "check_name": name,
        "check_type": check_type,
        "table_name": table,
        "columns": list(columns),
        "severity": "error",
        "threshold": threshold,
        "status": "passed" if passed else "failed",
        "passed": passed,
        "total_rows": total_rows,
        "failed_rows": failed_rows,
        "non_null_rows": total_rows - failed_rows,
        "pass_rate": rate,
        "duplicate_keys": None,
        "observed": {"null_count": failed_rows},
        "sample": None
        if passed
        else {"columns": ["id", columns[0]], "rows": [[7, None], [19, None]]},
        "sql": f"SELECT count(*) FILTER (WHERE {columns[0]} IS NULL) FROM {table}",
        "error": None,
        "duration_ms": 12.5,
        "details": None,
    }


def add_checks(store: Store, job_id: str, rows: list[dict[str, Any]]) -> None:
    """Insert check result rows for `job_id` through the store's writer."""
    rows = [{**r, "job_id": job_id} for r in rows]
    store.call(FnCommand(lambda cur, now: insert_check_rows(cur, rows, now)))


def create_pending_job(store: Store, name: str, ops: list[tuple[str, dict]], **job: Any) -> str:
    """Store a pending noop job without running it (the server resumes it at start-up)."""
    job_id = new_job_id()
    row = {
        "job_id": job_id,
        "job_type": "bulk_pipeline_execution",
        "name": name,
        "description": "",
        "project_id": None,
        "tags": [],
        "parallel_execution": True,
        "max_parallel": 5,
        "stop_on_error": False,
        "max_retries": 0,
        "timeout_s": None,
        "request": {"job_name": name},
        **job,
    }
    store.call(
        CreateJob(
            row,
            [
                {"operation_id": oid, "seq": i, "kind": "noop", "spec": spec, "max_attempts": 1}
                for i, (oid, spec) in enumerate(ops)
            ],
            store.allocate_op_keys(len(ops)),
        )
    )
    return job_id


STATUSES = ("completed", "completed", "completed", "partial_success", "failed", "cancelled")
TYPES = (
    "bulk_pipeline_execution",
    "batch_data_generation",
    "multi_project_validation",
    "bulk_metadata_extraction",
)


def seed_history(
    store: Store, n_jobs: int, *, ops_per_job: int = 4, days: int = 30, seed: int = 7
) -> float:
    """Insert `n_jobs` finished jobs (with operations and a check per pipeline operation) in one
    transaction through the writer, spread over the last `days` days. Returns the seconds taken."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    now = utcnow_naive()
    jobs: dict[str, list] = {
        k: []
        for k in (
            "job_id",
            "job_type",
            "name",
            "status",
            "project_id",
            "tags",
            "created_at",
            "started_at",
            "finished_at",
            "total",
        )
    }
    ops: dict[str, list] = {
        k: []
        for k in (
            "op_key",
            "job_id",
            "operation_id",
            "seq",
            "kind",
            "status",
            "spec",
            "attempts",
            "started_at",
            "finished_at",
            "duration_ms",
        )
    }
    checks: list[dict[str, Any]] = []
    key = 0
    for i in range(n_jobs):
        created = now - timedelta(seconds=rng.uniform(60, days * 86400))
        status = rng.choice(STATUSES)
        jtype = TYPES[i % len(TYPES)]
        project = rng.choice(["retail_migration", "finance_checks", None])
        job_id = new_job_id()
        started = created + timedelta(seconds=1)
        t = started
        for s in range(ops_per_job):
            key += 1
            dur = rng.uniform(50, 5000)
            op_status = (
                "completed" if status == "completed" else rng.choice(["completed", "failed"])
            )
            if status == "failed":
                op_status = "failed"
            kind = {
                "batch_data_generation": "data_generation",
                "bulk_metadata_extraction": "metadata_extraction",
            }.get(jtype, "pipeline_execution")
            pipeline = rng.choice(
                ["dim_customer_validation", "fact_sales_validation", "ledger_validation"]
            )
            spec = {
                "project_id": project or "retail_migration",
                "pipeline_id": pipeline,
                "schema_type": "Retail",
                "row_count": 10000,
            }
            for k, v in (
                ("op_key", key),
                ("job_id", job_id),
                ("operation_id", f"op_{s}"),
                ("seq", s),
                ("kind", kind),
                ("status", op_status),
                ("spec", spec),
                ("attempts", 1),
                ("started_at", t),
                ("finished_at", t + timedelta(milliseconds=dur)),
                ("duration_ms", dur),
            ):
                ops[k].append(v)
            if kind == "pipeline_execution":
                checks.append(
                    {
                        **check_row(
                            f"op_{s}",
                            0,
                            passed=op_status == "completed",
                            name="not_null_email",
                            failed_rows=0 if op_status == "completed" else rng.randint(1, 50),
                            pipeline_id=pipeline,
                        ),
                        "job_id": job_id,
                    }
                )
            t += timedelta(milliseconds=dur)
        for k, v in (
            ("job_id", job_id),
            ("job_type", jtype),
            ("name", f"seeded job {i}"),
            ("status", status),
            ("project_id", project),
            ("tags", ["seeded", f"t{i % 5}"]),
            ("created_at", created),
            ("started_at", started),
            ("finished_at", t),
            ("total", ops_per_job),
        ):
            jobs[k].append(v)

    base = store.allocate_op_keys(len(ops["op_key"])).start - 1  # op_keys are 1-based below

    def apply(cur, now_):
        cur.register(
            "_seed_jobs", pa.table({**jobs, "tags": pa.array(jobs["tags"], pa.list_(pa.string()))})
        )
        cur.execute("""INSERT INTO jobs (job_id, job_type, name, status, project_id, tags, parallel_execution,
                           max_parallel, stop_on_error, max_retries, total_operations, created_at, started_at, finished_at)
                       SELECT job_id, job_type, name, status, project_id, tags, TRUE, 5, FALSE, 0, total,
                              created_at, started_at, finished_at FROM _seed_jobs""")
        cur.unregister("_seed_jobs")
        table = pa.table(
            {
                **ops,
                "op_key": pa.array([k + base for k in ops["op_key"]], pa.int64()),
                "spec": [json.dumps(s) for s in ops["spec"]],
            }
        )
        cur.register("_seed_ops", table)
        cur.execute("""INSERT INTO operations (op_key, job_id, operation_id, seq, kind, status, spec, attempts,
                           max_attempts, started_at, attempt_started_at, finished_at, duration_ms, summary,
                           failure_kind)
                       SELECT op_key, job_id, operation_id, seq, kind, status, spec, attempts, 1, started_at,
                              started_at, finished_at, duration_ms, 'seeded',
                              CASE WHEN status = 'failed' THEN 'checks_failed' END FROM _seed_ops""")
        # one attempt per operation, as the executor records it (analytics counts attempts)
        cur.execute("""INSERT INTO attempts (job_id, operation_id, attempt, status, started_at, finished_at,
                           duration_ms, summary, failure_kind)
                       SELECT job_id, operation_id, 1, status, started_at, finished_at, duration_ms, 'seeded',
                              CASE WHEN status = 'failed' THEN 'checks_failed' END
                       FROM _seed_ops""")
        cur.unregister("_seed_ops")
        insert_check_rows(cur, checks, now_)
        cur.execute(
            """UPDATE check_results SET created_at = o.finished_at FROM operations o
                       WHERE check_results.job_id = o.job_id AND check_results.operation_id = o.operation_id
                         AND check_results.created_at = ?""",
            [now_],
        )

    store.call(FnCommand(apply), timeout=600)
    return time.perf_counter() - t0


def seed_dates(store: Store, job_id: str, created: datetime) -> None:
    """Move a job's creation time (history date filters)."""
    store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE jobs SET created_at = ? WHERE job_id = ?", [created, job_id]
            ).fetchall()
        )
    )
