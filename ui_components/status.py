"""One status colour scheme for every page, table and chart.

Jobs: pending grey, running blue, cancelling amber, completed green, partial_success orange,
failed red, cancelled dark grey. Operations and checks reuse the same colours for the same
meaning (skipped light grey, warned amber). What could not run is violet `error`, apart from red
`failed` (its checks found bad data): a check with status error, and a failed operation whose
failure_kind is error (`operation_status`, DESIGN §12).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd

from batchcore.models import OperationView
from batchcore.outcome import shown_status

JOB_STATUS_COLOURS: dict[str, str] = {
    "pending": "#8c959f",
    "running": "#1f6feb",
    "cancelling": "#bf8700",
    "completed": "#1a7f37",
    "partial_success": "#e16f24",
    "failed": "#cf222e",
    "cancelled": "#424a53",
}
ERROR_COLOUR = "#8250df"  # could not run (an operation or a check)
OPERATION_STATUS_COLOURS: dict[str, str] = {
    "pending": JOB_STATUS_COLOURS["pending"],
    "running": JOB_STATUS_COLOURS["running"],
    "completed": JOB_STATUS_COLOURS["completed"],
    "failed": JOB_STATUS_COLOURS["failed"],
    "error": ERROR_COLOUR,
    "skipped": "#afb8c1",
    "cancelled": JOB_STATUS_COLOURS["cancelled"],
}
CHECK_STATUS_COLOURS: dict[str, str] = {
    "passed": JOB_STATUS_COLOURS["completed"],
    "failed": JOB_STATUS_COLOURS["failed"],
    "warned": JOB_STATUS_COLOURS["cancelling"],
    "error": ERROR_COLOUR,
}
STATUS_COLOURS: dict[str, str] = {
    **CHECK_STATUS_COLOURS,
    **OPERATION_STATUS_COLOURS,
    **JOB_STATUS_COLOURS,
}
STATUS_ICONS: dict[str, str] = {
    "pending": "○",
    "running": "◐",
    "cancelling": "◌",
    "completed": "✓",
    "partial_success": "◑",
    "failed": "✗",
    "cancelled": "⊘",
    "skipped": "↷",
    "passed": "✓",
    "warned": "!",
    "error": "⚠",
}
JOB_TYPE_LABELS: dict[str, str] = {
    "bulk_pipeline_execution": "Bulk pipelines",
    "batch_data_generation": "Data generation",
    "multi_project_validation": "Multi-project validation",
    "bulk_metadata_extraction": "Metadata extraction",
}
OPERATION_KIND_LABELS: dict[str, str] = {
    "pipeline_execution": "Validation",
    "data_generation": "Data generation",
    "metadata_extraction": "Metadata extraction",
    "noop": "Test operation (noop)",
}
TERMINAL_JOB_STATUSES = ("completed", "partial_success", "failed", "cancelled")
ACTIVE_JOB_STATUSES = ("pending", "running", "cancelling")


def status_label(status: str) -> str:
    """`partial_success` → `partial success` (what users read)."""
    return str(status).replace("_", " ")


def operation_status(op: OperationView) -> str:
    """The chip an operation shows: `error` for a failed operation that could not run, else its
    status (`batchcore.outcome.shown_status`)."""
    return shown_status(op.status.value, op.failure_kind)


def status_colour(status: str) -> str:
    """The colour of a job, operation or check status (grey for an unknown one)."""
    return STATUS_COLOURS.get(str(status), "#8c959f")


def badge_html(status: str, text: str | None = None) -> str:
    """A coloured pill for `status` as HTML (white text reads on every colour, light or dark theme)."""
    label = html.escape(
        text or f"{STATUS_ICONS.get(str(status), '')} {status_label(status)}".strip()
    )
    return (
        f'<span class="bo-badge" style="background:{status_colour(status)};color:#fff;padding:1px 9px;'
        f'border-radius:10px;font-size:0.82rem;font-weight:600;white-space:nowrap">{label}</span>'
    )


def type_label(job_type: str) -> str:
    """Readable name of a job type."""
    return JOB_TYPE_LABELS.get(str(job_type), str(job_type))


def kind_label(kind: str) -> str:
    """Readable name of an operation kind (`pipeline_execution` → `Validation`)."""
    return OPERATION_KIND_LABELS.get(str(kind), str(kind).replace("_", " "))


def style_status(df: pd.DataFrame, columns: Iterable[str] = ("Status",)):
    """A pandas Styler colouring the listed status columns of `df` (values may be labels)."""
    cols = [c for c in columns if c in df.columns]

    def cell(value: object) -> str:
        key = str(value).split(" ", 1)[-1].replace(" ", "_") if value is not None else ""
        colour = STATUS_COLOURS.get(key) or STATUS_COLOURS.get(str(value))
        return f"background-color: {colour}; color: #ffffff; font-weight: 600" if colour else ""

    return df.style.map(cell, subset=cols) if cols else df.style


def status_cell(status: str) -> str:
    """Text of a status cell in tables: icon + label (coloured by `style_status`)."""
    return f"{STATUS_ICONS.get(str(status), '')} {status_label(status)}".strip()
