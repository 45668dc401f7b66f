"""Exports of a job: JSON (everything) and CSV (one row per operation), and the product's one
CSV writer.

Every CSV the product writes (API exports, CLI, every UI download: Job History, Job Details,
Analytics, Catalog) goes through `csv_text` (or `frame_csv` for a DataFrame), which passes each
cell through `neutralise`: cells that start with `=`, `+`, `-`, `@` (or a tab / carriage return)
are prefixed with `'` so spreadsheets do not run them as formulas (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
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


def _cell(value: Any) -> Any:
    """A value as a CSV cell: None / NaN / NaT blank, dates ISO 8601, then `neutralise`d."""
    if value is None or type(value).__name__ == "NaTType":  # pandas' missing time
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(value)


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The product's one CSV writer: a header row `columns`, then `rows` (each a sequence of the
    same length), RFC 4180 quoting, `\\r\\n` line ends; every cell through `_cell` (blank for
    None/NaN, ISO dates, formula-looking text prefixed with `'`)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([neutralise(str(c)) for c in columns])
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()


def frame_csv(frame: Any) -> str:
    """A pandas DataFrame as CSV text through `csv_text` (its columns as the header, no index)."""
    return csv_text(list(frame.columns), frame.itertuples(index=False, name=None))


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


def job_export_rows(engine, job_id: str) -> list[list[Any]]:
    """One row per operation of the job, cells in CSV_COLUMNS order (not yet neutralised);
    durations blank when never started. Raises NotFound."""
    job = engine.get_job(job_id)
    checks: dict[str, list[dict]] = {}
    for c in engine.check_results(job_id):
        checks.setdefault(c["operation_id"], []).append(c)
    rows = []
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
        rows.append(row)
    return rows


def job_export_csv(engine, job_id: str) -> str:
    """CSV text, one row per operation (columns CSV_COLUMNS). Raises NotFound."""
    return csv_text(CSV_COLUMNS, job_export_rows(engine, job_id))


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
    a, b = cmp.job_a.job_id, cmp.job_b.job_id
    rows: list[list[Any]] = []
    for c in cmp.checks:
        row = {
            "record": "check",
            "operation": f"{c.project_id} · {c.pipeline_id}" if c.project_id else c.pipeline_id,
            **c.model_dump(),
            "job_a": a,
            "job_b": b,
        }
        rows.append([_flag(row.get(k)) for k in COMPARISON_CSV_COLUMNS])
    for o in cmp.operations:
        row = {
            "record": "operation",
            "operation": o.title,
            **o.model_dump(),
            "job_a": a,
            "job_b": b,
        }
        rows.append([_flag(row.get(k)) for k in COMPARISON_CSV_COLUMNS])
    return csv_text(COMPARISON_CSV_COLUMNS, rows)


def _flag(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else value
