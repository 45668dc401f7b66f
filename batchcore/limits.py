"""Limits a job request must fit, checked at submit (API, UI, CLI) before anything is stored.

Per request (422, naming the field): the rows a data generation job writes, all tables of every
item counted (BATCH_MAX_GENERATE_ROWS, default 100,000,000), and the operations one job holds
(BATCH_MAX_JOB_OPERATIONS, default 10,000). Per server (429, try later): the jobs waiting to
start (BATCH_MAX_QUEUED_JOBS, default 1,000 pending jobs).
"""

from __future__ import annotations

from collections.abc import Callable

from batchcore.config import Settings
from batchcore.errors import RequestError, TooManyRequests
from batchcore.models import JobType
from batchcore.planning import JobPlan


def generation_rows(spec: dict) -> int:
    """Rows one data generation item writes: every table of the run (facts and the dimensions
    scaled to them), as the generator sizes them."""
    from batchcore.datagen.generator import select_tables
    from batchcore.datagen.schemas import get_schema

    schema = get_schema(spec["schema_type"])
    tables = schema.tables(int(spec.get("row_count") or 10_000), 0)
    return sum(t.rows for t in select_tables(schema, tables, spec.get("table_name")))


def check_job_limits(plan: JobPlan, settings: Settings, pending_jobs: Callable[[], int]) -> None:
    """Raise RequestError (422) when `plan` is over a per-request limit, TooManyRequests (429)
    when `pending_jobs()` already reaches the server's queue limit."""
    n_ops = len(plan.operations)
    if n_ops > settings.max_job_operations:
        raise RequestError(
            f"the job would hold {n_ops:,} operations; this server accepts at most "
            f"{settings.max_job_operations:,} per job (BATCH_MAX_JOB_OPERATIONS): split it",
            field="operations",
            value=n_ops,
        )
    if plan.job_type == JobType.BATCH_DATA_GENERATION:
        rows = [generation_rows(op.spec) for op in plan.operations]
        if sum(rows) > settings.max_generate_rows:
            biggest = max(range(len(rows)), key=rows.__getitem__)
            raise RequestError(
                f"the job would write {sum(rows):,} rows (all tables; item {biggest} alone "
                f"{rows[biggest]:,}); this server allows {settings.max_generate_rows:,} rows per "
                "generation job (BATCH_MAX_GENERATE_ROWS): lower row_count or split the job",
                field="items",
                value=sum(rows),
            )
    waiting = pending_jobs()
    if waiting >= settings.max_queued_jobs:
        raise TooManyRequests(
            f"{waiting:,} jobs are already waiting to start (this server queues at most "
            f"{settings.max_queued_jobs:,}, BATCH_MAX_QUEUED_JOBS): submit again when some have "
            "started",
            field="jobs",
            value=waiting,
            retry_after_s=30,
        )
