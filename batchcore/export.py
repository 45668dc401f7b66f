"""Exports of a job: JSON (everything) and CSV (one row per operation).

CSV cells that start with `=`, `+`, `-`, `@` (or a tab / carriage return) are prefixed with `'`
so spreadsheets do not run them as formulas (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
import io
from typing import Any

from batchcore import jsonutil

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "job_id",
    "job_name",
    "job_type",
    "job_status",
    "operation_id",
    "operation_type",
    "seq",
    "status",
    "attempts",
    "max_attempts",
    "started_at",
    "completed_at",
    "duration_ms",
    "summary",
    "error",
    "status_reason",
    "checks_total",
    "checks_failed",
    "metadata",
    "failure_kind",
)


def neutralise(value: Any) -> Any:
    """Prefix a string that a spreadsheet would run as a formula with `'`; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def job_export_dict(engine, job_id: str) -> dict[str, Any]:
    """Everything about a job: the job with operations and progress, attempts, check results.
    Raises NotFound."""
    job = engine.get_job(job_id)
    return {
        "job": job.model_dump(mode="json"),
        "attempts": jsonutil.to_jsonable(engine.attempts(job_id)),
        "check_results": jsonutil.to_jsonable(engine.check_results(job_id)),
        "export_format_version": 1,
    }


def job_export_json(engine, job_id: str) -> str:
    """JSON text of `job_export_dict`."""
    return jsonutil.dumps(job_export_dict(engine, job_id), indent=2)


def job_export_csv(engine, job_id: str) -> str:
    """CSV text, one row per operation (columns CSV_COLUMNS); durations blank when never started."""
    job = engine.get_job(job_id)
    checks: dict[str, list[dict]] = {}
    for c in engine.check_results(job_id):
        checks.setdefault(c["operation_id"], []).append(c)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for op in job.operations or []:
        cs = checks.get(op.operation_id, [])
        row = [
            job.job_id,
            job.name,
            job.job_type.value,
            job.status.value,
            op.operation_id,
            op.operation_type.value,
            op.seq,
            op.status.value,
            op.attempts,
            op.max_attempts,
            op.started_at.isoformat() if op.started_at else "",
            op.completed_at.isoformat() if op.completed_at else "",
            "" if op.duration_ms is None or op.started_at is None else round(op.duration_ms, 3),
            op.summary or "",
            op.error or "",
            op.status_reason or "",
            len(cs),
            sum(1 for c in cs if not c["passed"]),
            jsonutil.dumps(op.metadata),
            op.failure_kind.value if op.failure_kind else "",
        ]
        w.writerow([neutralise(v) for v in row])
    return buf.getvalue()


COMPARISON_CSV_COLUMNS = (
    "record",
    "change",
    "project_id",
    "pipeline_id",
    "operation",
    "check_name",
    "check_type",
    "table_name",
    "severity",
    "status_a",
    "status_b",
    "failed_rows_a",
    "failed_rows_b",
    "failed_rows_delta",
    "total_rows_a",
    "total_rows_b",
    "pass_rate_a",
    "pass_rate_b",
    "threshold",
    "figures_changed",
    "operation_id_a",
    "operation_id_b",
    "failure_kind_a",
    "failure_kind_b",
    "error_b",
    "job_a",
    "job_b",
)


def comparison_json(cmp) -> str:
    """JSON text of a `JobComparison` (batchcore.store.compare): both jobs, counts per change,
    every check and operation record."""
    return jsonutil.dumps(cmp.model_dump(mode="json"), indent=2)


def comparison_csv(cmp) -> str:
    """CSV text of a `JobComparison`, columns COMPARISON_CSV_COLUMNS: one row per check
    (`record` = check), then one per operation (`record` = operation, check columns blank).
    Rates 0–1; blank where a side lacks the value."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COMPARISON_CSV_COLUMNS)
    a, b = cmp.job_a.job_id, cmp.job_b.job_id
    for c in cmp.checks:
        row = {
            "record": "check",
            "operation": f"{c.project_id} · {c.pipeline_id}" if c.project_id else c.pipeline_id,
            **c.model_dump(),
            "job_a": a,
            "job_b": b,
        }
        w.writerow([_cell(row.get(k)) for k in COMPARISON_CSV_COLUMNS])
    for o in cmp.operations:
        row = {
            "record": "operation",
            "operation": o.title,
            **o.model_dump(),
            "job_a": a,
            "job_b": b,
        }
        w.writerow([_cell(row.get(k)) for k in COMPARISON_CSV_COLUMNS])
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)
