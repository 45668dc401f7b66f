"""Job rows and job actions shared by Active Jobs, Job History and Job Details.

Actions (cancel, retry, delete) call the engine and leave a one-line outcome in a flash message
that the next full run of the page shows (`show_flash`), so a dialog can close with st.rerun().
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from batchcore.engine import Engine
from batchcore.models import JobView
from ui_components import fmt
from ui_components.core import error_text, log, require_write
from ui_components.status import status_cell, type_label

FLASH_KEY = "bo_flash"
ACTIVE_GROUPS = {"running": 0, "cancelling": 0, "pending": 1}  # Active Jobs: rank of each status


def flash(kind: str, message: str) -> None:
    """Queue a message (`success`, `info`, `warning` or `error`) for the next page run."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def show_flash() -> None:
    """Show and clear the queued messages."""
    for kind, message in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind)(message)


def created_range(dates: Sequence[date]) -> tuple[datetime | None, datetime | None]:
    """`[start, end)` in UTC for Job History's *Created between* value: two dates are a range
    (both days included), one date alone is that day (a one-day range comes back from a shared
    link as one date: Streamlit keeps a repeated URL value once), none is no limit."""
    if not dates:
        return None, None
    first, last = dates[0], dates[-1]
    return (
        datetime.combine(first, time.min, UTC),
        datetime.combine(last, time.min, UTC) + timedelta(days=1),
    )


def progress_text(job: JobView) -> str:
    """`7/10 done · 1 failed · 1 error · 1 skipped` for a job (failed: checks found bad data;
    error: could not run)."""
    p = job.progress
    return fmt.ops_summary(
        p.completed_operations,
        p.total_operations,
        p.checks_failed_operations,
        p.skipped_operations,
        p.cancelled_operations,
        errors=p.error_operations,
    )


def time_left(job: JobView) -> str:
    """The *Time left* of a job: its estimate while it runs or waits, `stopping` while it is
    cancelling (pending operations are skipped, so the estimate no longer means anything) and an
    em dash once it has ended or before an estimate exists."""
    if job.status.is_terminal:
        return "—"
    if job.status.value == "cancelling":
        return "stopping"
    return fmt.duration(job.progress.estimated_time_remaining_ms)


def done_fraction(job: JobView) -> float:
    """Share (0–1) of the job's operations that have finished (completed, failed, skipped or
    cancelled): the store's `percent_complete` ÷ 100, which is floored so that it reaches 1 only
    when every operation finished; 1 for a job without operations."""
    p = job.progress
    if not p.total_operations:
        return 1.0
    return min(1.0, p.percent_complete / 100.0)


def active_order(jobs: Sequence[JobView]) -> list[JobView]:
    """Active jobs in the order Active Jobs lists them: running and cancelling first, then
    pending; newest first within each group."""
    newest = sorted(jobs, key=lambda j: (j.created_at, j.job_id), reverse=True)
    return sorted(newest, key=lambda j: ACTIVE_GROUPS.get(j.status.value, len(ACTIVE_GROUPS)))


def jobs_frame(jobs: Sequence[JobView]) -> pd.DataFrame:
    """One row per job for st.dataframe (status as `icon label`, progress 0–1, never shown as
    100 % before every operation has finished)."""
    return pd.DataFrame(
        {
            "Created (UTC)": [fmt.ts(j.created_at) for j in jobs],
            "Job": [j.name for j in jobs],
            "Type": [type_label(j.job_type.value) for j in jobs],
            "Status": [status_cell(j.status.value) for j in jobs],
            "Progress": [fmt.shown_rate(done_fraction(j)) for j in jobs],
            "Operations": [progress_text(j) for j in jobs],
            "Duration": [fmt.duration(j.duration_ms) for j in jobs],
            "Project": [j.project_id or "—" for j in jobs],
            "Tags": [", ".join(j.tags) for j in jobs],
            "Job id": [j.job_id for j in jobs],
        }
    )


JOB_COLUMN_CONFIG = {
    "Progress": st.column_config.ProgressColumn(
        "Progress", format="percent", min_value=0.0, max_value=1.0
    ),
    "Job": st.column_config.TextColumn("Job", width="medium"),
    "Job id": st.column_config.TextColumn("Job id", width="small"),
}

# ---------------------------------------------------------------- actions


CANCEL_TARGET = "bo_cancel_target"  # (job_id, name) whose cancel dialog is open


def _fragment_only_run() -> bool:
    """Whether this run reruns only fragments (a click inside a live fragment), not the page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def _close_cancel() -> None:
    st.session_state.pop(CANCEL_TARGET, None)


def cancel_button(where: Any, label: str, job_id: str, name: str, **options: Any) -> None:
    """A button that opens the cancel dialog of a job.

    The dialog is drawn by the page itself (`pending_cancel_dialog`, outside any fragment), not
    by the live fragment the button sits in: a dialog opened inside a fragment that reruns every
    2 s lost its delta path when the fragment redrew (`Cannot set a node at a delta path`, a
    blank tab, a dialog stuck open, a lost click). A click in a fragment-only run reruns the
    page, which draws the dialog."""
    if (
        where.button(label, on_click=_open_cancel, args=(job_id, name), **options)
        and _fragment_only_run()
    ):
        st.rerun(scope="app")


def _open_cancel(job_id: str, name: str) -> None:
    st.session_state[CANCEL_TARGET] = (job_id, name)


def pending_cancel_dialog(eng: Engine) -> None:
    """Draw the cancel dialog a `cancel_button` opened (call once per page run, outside the
    page's fragments)."""
    target = st.session_state.get(CANCEL_TARGET)
    if target:
        cancel_dialog(eng, *target)


def cancel_dialog(eng: Engine, job_id: str, name: str) -> None:
    """Open the dialog that cancels a job: for a job already cancelling the force dialog
    (*Force* ticked, saying that force stops the running operations now), else the ordinary one
    (a reason, *Force* unticked). The job's state is read here, so every caller gets the right
    dialog."""
    try:
        job = eng.get_job(job_id, with_operations=False)
    except Exception:  # gone or unreadable: the ordinary dialog reports it on confirm
        job = None
    if job is not None and job.status.value == "cancelling":
        _force_dialog(eng, job, name)
    else:
        _cancel_dialog(eng, job_id, name)


@st.dialog("Cancel job", on_dismiss=_close_cancel)
def _cancel_dialog(eng: Engine, job_id: str, name: str) -> None:
    st.write(
        f"Cancel **{fmt.md_escape(name)}**? Pending operations are skipped; running ones finish and keep their results."
    )
    _cancel_form(eng, job_id, name, force_key=f"cancel-force-{job_id}", forced=False)


@st.dialog("Force cancel", on_dismiss=_close_cancel)
def _force_dialog(eng: Engine, job: JobView, name: str) -> None:
    st.write(
        f"**{fmt.md_escape(name)}** is already cancelling: its pending operations were skipped and the running "
        "ones are being left to finish. **Force** stops the running operations now: they are "
        "interrupted and marked cancelled, and their results are not kept."
    )
    running = job.progress.current_operations
    if running:
        st.caption("Running now: " + ", ".join(f"`{o}`" for o in running))
    if job.cancel_reason:
        st.caption(f"Cancel reason given: {fmt.md_escape(job.cancel_reason)}")
    _cancel_form(eng, job.job_id, name, force_key=f"cancel-force-now-{job.job_id}", forced=True)


def _cancel_form(eng: Engine, job_id: str, name: str, *, force_key: str, forced: bool) -> None:
    reason = st.text_input(
        "Reason for forcing (optional)" if forced else "Reason (optional)",
        key=f"cancel-reason-{job_id}",
        max_chars=500,
    )
    force = st.checkbox(
        "Force: interrupt running operations now",
        value=forced,
        key=force_key,
        help="Running operations are interrupted and marked cancelled.",
    )
    a, b = st.columns(2)
    label = "Force cancel" if forced and force else "Cancel job"
    if a.button(label, type="primary", key=f"cancel-confirm-{job_id}"):
        try:
            require_write()  # a read-only session never cancels (its buttons are disabled too)
            res = eng.cancel(job_id, reason.strip() or None, force)
            flash("success", f"{res['message']}: **{fmt.md_escape(name)}** is {res['job_status']}.")
        except Exception as exc:
            flash(
                "error", f"Could not cancel {fmt.md_escape(name)}: {fmt.md_escape(error_text(exc))}"
            )
        _close_cancel()
        st.rerun()
    if b.button("Keep running", key=f"cancel-keep-{job_id}"):
        _close_cancel()
        st.rerun()


def retry(eng: Engine, job_id: str, operation_ids: list[str] | None = None) -> None:
    """Retry a job's failed operations (button callback); the outcome is flashed."""
    try:
        require_write()
        res = eng.retry(job_id, operation_ids)
        flash("success", f"{res['message']} of job `{job_id[:8]}…`.")
    except Exception as exc:
        flash("error", f"Could not retry: {fmt.md_escape(error_text(exc))}")


def delete_jobs(eng: Engine, job_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Delete finished jobs in one go; returns (deleted ids, reasons for the ones that could not be)."""
    try:
        require_write()
        deleted, refused = eng.delete_many(list(job_ids))
    except Exception as exc:
        log.exception("delete failed")
        return [], [error_text(exc)]
    return deleted, list(refused.values())


@st.dialog("Delete jobs")
def delete_dialog(
    eng: Engine, job_ids: list[str], names: list[str], then_page: str | None = None
) -> None:
    """Confirm, then delete the listed jobs with their operations, attempts and check results;
    afterwards go to `then_page` (or rerun the current page)."""
    n = len(job_ids)
    shown = ", ".join(f"**{fmt.md_escape(x)}**" for x in names[:5]) + (
        f" and {n - 5} more" if n > 5 else ""
    )
    st.write(
        f"Delete {n} job{'s' if n != 1 else ''} ({shown})? Their operations, attempts and check results "
        "are removed too. This cannot be undone."
    )
    a, b = st.columns(2)
    if a.button(f"Delete {n} job{'s' if n != 1 else ''}", type="primary", key="delete-confirm"):
        deleted, problems = delete_jobs(eng, job_ids)
        if deleted:
            flash("success", f"Deleted {len(deleted)} job{'s' if len(deleted) != 1 else ''}.")
        for msg in problems:
            flash("warning", fmt.md_escape(msg))
        if then_page and deleted:
            # an empty mapping, not None: None clears the URL through a check that refuses
            # while Job Details' `job_id` box is bound to it (StreamlitAPIException)
            st.switch_page(then_page, query_params={})
        st.rerun()
    if b.button("Keep", key="delete-keep"):
        st.rerun()
