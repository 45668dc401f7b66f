"""Exports of several jobs (Job History): a job list, and the full exports of selected jobs.

Single-job exports are batchcore.export's (JSON with everything, CSV one row per operation);
these combine them. CSV cells are neutralised against spreadsheet formula injection.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from batchcore import jsonutil
from batchcore.engine import Engine
from batchcore.export import CSV_COLUMNS, csv_text, job_export_dict, job_export_rows
from batchcore.models import JobView
from batchcore.store.reads import JobFilter

LIST_COLUMNS = (
    "job_id",
    "name",
    "job_type",
    "status",
    "project_id",
    "tags",
    "created_at",
    "started_at",
    "completed_at",
    "duration_ms",
    "total_operations",
    "completed_operations",
    "failed_operations",
    "checks_failed_operations",
    "error_operations",
    "skipped_operations",
    "cancelled_operations",
    "percent_complete",
)
CHUNK = 500


def iter_jobs(eng: Engine, flt: JobFilter, limit: int) -> Iterator[JobView]:
    """Jobs matching `flt`, newest first, read from the store in pages of 500 (at most `limit`)."""
    offset = 0
    while offset < limit:
        page, _ = eng.list_jobs(flt, limit=min(CHUNK, limit - offset), offset=offset)
        yield from page
        if len(page) < CHUNK:
            return
        offset += len(page)


def _list_row(j: JobView) -> list:
    p = j.progress
    return [
        j.job_id,
        j.name,
        j.job_type.value,
        j.status.value,
        j.project_id or "",
        ";".join(j.tags),
        j.created_at.isoformat(),
        j.started_at.isoformat() if j.started_at else "",
        j.completed_at.isoformat() if j.completed_at else "",
        "" if j.duration_ms is None else round(j.duration_ms, 3),
        p.total_operations,
        p.completed_operations,
        p.failed_operations,
        p.checks_failed_operations,
        p.error_operations,
        p.skipped_operations,
        p.cancelled_operations,
        p.percent_complete,
    ]


def jobs_list_csv(jobs: Iterator[JobView] | Sequence[JobView]) -> str:
    """CSV, one row per job (columns LIST_COLUMNS)."""
    return csv_text(LIST_COLUMNS, (_list_row(j) for j in jobs))


def jobs_list_json(jobs: Iterator[JobView] | Sequence[JobView]) -> str:
    """JSON `{"jobs": [...]}` with each job's fields and progress."""
    return jsonutil.dumps(
        {"jobs": [j.model_dump(mode="json", exclude={"operations"}) for j in jobs]}, indent=2
    )


def selection_json(eng: Engine, job_ids: Sequence[str]) -> str:
    """JSON `{"jobs": [<full export of each job>]}` (operations, attempts, check results)."""
    return jsonutil.dumps(
        {"jobs": [job_export_dict(eng, j) for j in job_ids], "export_format_version": 1}, indent=2
    )


def selection_csv(eng: Engine, job_ids: Sequence[str]) -> str:
    """CSV, one row per operation of every selected job (batchcore.export's columns, one header)."""
    return csv_text(CSV_COLUMNS, (row for j in job_ids for row in job_export_rows(eng, j)))
