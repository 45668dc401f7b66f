"""Test data for the UI tests: a small workspace, noop jobs, check results and a big history.

Shared by the AppTest suite, the browser tests (which seed a store before the server opens it)
and the page-load measurement.
"""

from __future__ import annotations

import json
import random
import time
import uuid
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
from batchcore.validation.anomaly import AnomalySpec, judge

CONNECTIONS = """\
connections:
  warehouse:
    type: duckdb
    path: data/warehouse.duckdb
    description: Analytics warehouse
    allow_generate: true
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
    gate: str | None = None,
    **options: Any,
) -> str:
    """Submit a job of `n_ops` noop operations `op_<i>`; returns its id. With `gate`, every
    operation waits until the test sets `batchcore.operations.noop.gate(gate)` (or a cancel):
    the job stays active exactly as long as the test needs, no sleep involved."""
    ops = [
        OpPlan(
            f"op_{i}",
            "noop",
            {
                "sleep_ms": sleep_ms,
                "fail": i in fail,
                "result_failed": i in result_failed,
                **({"gate": gate} if gate else {}),
            },
        )
        for i in range(n_ops)
    ]
    return engine.submit_operations(name, ops, **options).job_id


def new_gate() -> tuple[str, Any]:
    """A fresh gate (name, event) for `noop_job(gate=...)`: set it to let the operations end."""
    from batchcore.operations import noop

    name = f"ui-gate-{uuid.uuid4().hex[:12]}"
    return name, noop.gate(name)


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


# ---------------------------------------------------------------- check history (issue 15)

HISTORY_PROJECTS = {
    "retail_migration": (
        "dim_customer_validation",
        "fact_sales_validation",
        "dim_store_validation",
    ),
    "finance_checks": ("ledger_validation", "fx_rates_validation"),
}
WORSENING = ("retail_migration", "fact_sales_validation", "not_null(fact_sales.customer_id)")


def _history_checks(table: str) -> list[tuple[str, str, list[str], float]]:
    """(name, type, columns, threshold) of each seeded pipeline's checks, in file order."""
    fk = "customer_id" if table.startswith("fact") else "region"
    return [
        (f"not_null({table}.id)", "not_null", ["id"], 1.0),
        (f"unique({table}(id))", "unique", ["id"], 1.0),
        (f"not_null({table}.{fk})", "not_null", [fk], 1.0),
        (f"accepted_values({table}.status)", "accepted_values", ["status"], 1.0),
        (f"row_count({table})", "row_count", [], 1.0),
        (f"relationships({table}.{fk})", "relationships", [fk], 0.99),
    ]


def seed_check_history(
    store: Store,
    *,
    days: int = 60,
    runs_per_day: int = 1,
    seed: int = 15,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A realistic history of validation runs over the last `days` days (issue 15): every day,
    `runs_per_day` times, one bulk job per project of HISTORY_PROJECTS runs each of its pipelines
    (6 checks each, 30 checks in all). Row counts grow slowly and are ~25% lower on weekends;
    `WORSENING` fails more every day of the last 30; accepted_values fails now and then (~6%);
    a relationships check could not run (status error) about once in 100 runs. Row count checks
    carry the verdict of `anomaly: {metric: row_count, seasonality: weekday}` (judged as the
    executor would, from the runs before them); retail's dim_customer row count on the last day
    is 3x its usual: an anomaly.

    Stored as the executor stores them (jobs, operations, attempts, check_results), in one
    transaction. Returns {"jobs", "check_runs", "checks", "first", "last", "seconds"}.
    """
    rng = random.Random(seed)
    t0 = time.perf_counter()
    now = now or utcnow_naive()
    day0 = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    jobs: dict[str, list] = {
        k: []
        for k in ("job_id", "name", "status", "project_id", "created_at", "finished_at", "total")
    }
    ops: dict[str, list] = {
        k: []
        for k in (
            "op_key",
            "job_id",
            "operation_id",
            "seq",
            "status",
            "spec",
            "started_at",
            "finished_at",
            "duration_ms",
            "failure_kind",
        )
    }
    checks: list[dict[str, Any]] = []
    key = 0
    step = timedelta(hours=24 / runs_per_day)
    band = AnomalySpec(metric="row_count", window=20, seasonality="weekday")
    last_day = days if day0 + timedelta(days=days, hours=1) < now else days - 1
    past: dict[
        tuple, list[float]
    ] = {}  # (project, pipeline, isoweekday) -> row counts, newest first
    for d in range(days + 1):
        for slot in range(runs_per_day):
            created = day0 + timedelta(days=d, hours=1) + slot * step
            if created >= now:
                continue
            for project, pipelines in HISTORY_PROJECTS.items():
                job_id = new_job_id()
                t = created + timedelta(seconds=1)
                ok_ops = 0
                for s, pl in enumerate(pipelines):
                    key += 1
                    table = pl.removesuffix("_validation")
                    weekend = created.isoweekday() >= 6
                    base = {"dim": 12_000, "fac": 250_000, "led": 80_000, "fx_": 3_000}[table[:3]]
                    rows = int(
                        base
                        * (1 + 0.004 * d)
                        * (0.75 if weekend else 1.0)
                        * rng.uniform(0.98, 1.02)
                    )
                    if (project, pl) == (
                        "retail_migration",
                        "dim_customer_validation",
                    ) and d == last_day:
                        rows *= 3
                    results = []
                    for i, (name, ctype, cols, thr) in enumerate(_history_checks(table)):
                        failed, status = 0, "passed"
                        if (project, pl, name) == WORSENING and d >= days - 30:
                            failed = max(0, int((d - (days - 30)) * 4 + rng.gauss(0, 3)))
                        elif ctype == "accepted_values" and rng.random() < 0.06:
                            failed = rng.randint(1, 40)
                        rate = 1.0 - failed / rows
                        if failed and rate < thr:
                            status = "failed"
                        error = None
                        if ctype == "relationships" and rng.random() < 0.01:
                            status, error = "error", "connection reset by peer while reading"
                        r = check_row(
                            pl,
                            i,
                            passed=status == "passed",
                            name=name,
                            check_type=ctype,
                            table=table,
                            columns=tuple(cols) or ("id",),
                            failed_rows=failed,
                            total_rows=rows,
                            threshold=thr,
                            pipeline_id=pl,
                            project_id=project,
                            job_id=job_id,
                        )
                        r["columns"] = cols
                        r["status"] = status
                        r["passed"] = status == "passed"
                        r["duration_ms"] = rng.uniform(5, 400)
                        if ctype == "row_count":  # declared with anomaly: {row_count, weekday}
                            wk = (project, pl, created.isoweekday())
                            v = judge(float(rows), past.get(wk, []), band, weekday=wk[2])
                            past.setdefault(wk, []).insert(0, float(rows))
                            r["observed"] = {
                                "row_count": rows,
                                "min": 1,
                                "max": None,
                                "anomaly": v.as_dict(),
                            }
                            r["non_null_rows"] = None
                            r["sql"] = f"SELECT count(*) FROM {table}"
                            if v.state == "anomaly":
                                r["status"], r["passed"] = "failed", False
                                r["details"] = {"reason": v.reason}
                        if status == "error":
                            r.update(
                                total_rows=None,
                                failed_rows=None,
                                pass_rate=None,
                                non_null_rows=None,
                                error=error,
                            )
                        results.append(r)
                    dur = sum(r["duration_ms"] for r in results) + rng.uniform(50, 300)
                    bad = [r for r in results if r["status"] in ("failed", "error")]
                    kind = (
                        None
                        if not bad
                        else (
                            "error" if any(r["status"] == "error" for r in bad) else "checks_failed"
                        )
                    )
                    ok_ops += kind is None
                    for k, v in (
                        ("op_key", key),
                        ("job_id", job_id),
                        ("operation_id", pl),
                        ("seq", s),
                        ("status", "completed" if kind is None else "failed"),
                        ("spec", {"project_id": project, "pipeline_id": pl}),
                        ("started_at", t),
                        ("finished_at", t + timedelta(milliseconds=dur)),
                        ("duration_ms", dur),
                        ("failure_kind", kind),
                    ):
                        ops[k].append(v)
                    t += timedelta(milliseconds=dur)
                    for r in results:
                        r["_at"] = t
                    checks.extend(results)
                status = (
                    "completed"
                    if ok_ops == len(pipelines)
                    else ("failed" if ok_ops == 0 else "partial_success")
                )
                for k, v in (
                    ("job_id", job_id),
                    ("name", f"nightly {project}"),
                    ("status", status),
                    ("project_id", project),
                    ("created_at", created),
                    ("finished_at", t),
                    ("total", len(pipelines)),
                ):
                    jobs[k].append(v)

    base_key = store.allocate_op_keys(len(ops["op_key"])).start - 1
    at = [r.pop("_at") for r in checks]

    def apply(cur, now_):
        cur.register("_h_jobs", pa.table(jobs))
        cur.execute("""INSERT INTO jobs (job_id, job_type, name, status, project_id, tags, parallel_execution,
                           max_parallel, stop_on_error, max_retries, total_operations, created_at, started_at,
                           finished_at)
                       SELECT job_id, 'bulk_pipeline_execution', name, status, project_id, ['nightly'], TRUE, 5,
                              FALSE, 0, total, created_at, created_at + INTERVAL 1 SECOND, finished_at
                       FROM _h_jobs""")
        cur.unregister("_h_jobs")
        table = pa.table(
            {
                **ops,
                "op_key": pa.array([k + base_key for k in ops["op_key"]], pa.int64()),
                "spec": [json.dumps(s) for s in ops["spec"]],
            }
        )
        cur.register("_h_ops", table)
        cur.execute("""INSERT INTO operations (op_key, job_id, operation_id, seq, kind, status, spec, attempts,
                           max_attempts, started_at, attempt_started_at, finished_at, duration_ms, summary,
                           failure_kind)
                       SELECT op_key, job_id, operation_id, seq, 'pipeline_execution', status, spec, 1, 1,
                              started_at, started_at, finished_at, duration_ms, 'seeded', failure_kind
                       FROM _h_ops""")
        cur.execute("""INSERT INTO attempts (job_id, operation_id, attempt, status, started_at, finished_at,
                           duration_ms, summary, failure_kind)
                       SELECT job_id, operation_id, 1, status, started_at, finished_at, duration_ms, 'seeded',
                              failure_kind FROM _h_ops""")
        cur.unregister("_h_ops")
        insert_check_rows(cur, checks, now_)
        cur.register(
            "_h_at",
            pa.table(
                {
                    "job_id": [r["job_id"] for r in checks],
                    "operation_id": [r["operation_id"] for r in checks],
                    "check_index": pa.array([r["check_index"] for r in checks], pa.int32()),
                    "at": at,
                }
            ),
        )
        cur.execute("""UPDATE check_results SET created_at = h.at FROM _h_at h
                       WHERE check_results.job_id = h.job_id AND check_results.operation_id = h.operation_id
                         AND check_results.check_index = h.check_index""")
        cur.unregister("_h_at")

    store.call(FnCommand(apply), timeout=600)
    return {
        "jobs": len(jobs["job_id"]),
        "check_runs": len(checks),
        "checks": sum(len(p) for p in HISTORY_PROJECTS.values()) * 6,
        "first": min(at) if at else None,
        "last": max(at) if at else None,
        "seconds": time.perf_counter() - t0,
    }
