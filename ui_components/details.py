"""Job Details rendering: header, metadata, progress, failures at a glance, operations (check
results: checks_view.py, the run timeline: timeline.py)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from batchcore.engine import Engine
from batchcore.export import job_export_csv, job_export_json
from batchcore.models import JobView, OperationView
from batchcore.planning import operation_title
from batchcore.textutil import clip
from ui_components import fmt, jobs
from ui_components.core import PAGE_HISTORY, can_write, download, read_only_note
from ui_components.status import (
    badge_html,
    kind_label,
    operation_status,
    status_cell,
    style_status,
    type_label,
)

MAX_FAILURES_SHOWN = 5  # failed operations shown at a glance
MAX_FAILURE_CHARS = 300  # characters of one error shown at a glance
LIVE_EVERY_S = 2


def op_title(op: OperationView) -> str:
    """The operation's readable name: `project · pipeline` for a validation (operation_title)."""
    return operation_title(op.operation_type.value, op.metadata or {}, op.operation_id)


def is_live(job: JobView) -> bool:
    """Whether the page follows `job` live (re-reads it every LIVE_EVERY_S): while it is active."""
    return not job.status.is_terminal


def follow(job: JobView, live: bool) -> None:
    """Rerun the whole page when `job` is no longer in the state its timer was set for.

    The fragment's timer is fixed by the page run that drew it (`live`): a job that ended stops
    it, and a job that is active again (Retry, or a cancel that leaves it cancelling) starts it.
    A click inside the fragment reruns only the fragment, so this is what makes the page follow
    the job live again after Retry instead of staying static until a reload.
    """
    if is_live(job) != live:
        st.rerun()


def header(eng: Engine, job: JobView) -> None:
    """Name, status, type and id, with the actions that fit the job's state and the exports."""
    st.markdown(
        f"### {fmt.md_escape(job.name)} &nbsp; {badge_html(job.status.value)}",
        unsafe_allow_html=True,
    )
    st.caption(f"{type_label(job.job_type.value)} · job id `{job.job_id}`")
    cols = st.columns([1, 1, 1, 1, 2])
    read_only = not can_write()  # a read-only token: the actions are shown, disabled
    if not job.status.is_terminal:
        label = "Force cancel…" if job.status.value == "cancelling" else "Cancel job"
        jobs.cancel_button(
            cols[0],
            label,
            job.job_id,
            job.name,
            key="details-cancel",
            icon=":material/cancel:",
            disabled=read_only,
        )
    else:
        if job.progress.failed_operations:
            cols[0].button(
                f"Retry {job.progress.failed_operations} failed",
                key="details-retry",
                icon=":material/replay:",
                on_click=jobs.retry,
                args=(eng, job.job_id),
                disabled=read_only,
            )
        if cols[1].button(
            "Delete job", key="details-delete", icon=":material/delete:", disabled=read_only
        ):
            jobs.delete_dialog(eng, [job.job_id], [job.name], then_page=PAGE_HISTORY)
    read_only_note(cols[4])
    download(
        cols[2],
        "Export JSON",
        lambda: job_export_json(eng, job.job_id),
        f"job-{job.job_id}.json",
        "details-json",
    )
    download(
        cols[3],
        "Export CSV",
        lambda: job_export_csv(eng, job.job_id),
        f"job-{job.job_id}.csv",
        "details-csv",
    )


def metadata(job: JobView) -> None:
    """Description, tags, project, timestamps, duration and execution settings."""
    fields = [
        ("Created (UTC)", fmt.ts(job.created_at)),
        ("Started (UTC)", fmt.ts(job.started_at)),
        ("Finished (UTC)", fmt.ts(job.completed_at)),
        ("Duration", fmt.duration(job.duration_ms)),
        ("Project", job.project_id or "—"),
        ("Tags", ", ".join(job.tags) or "—"),
        (
            "Execution",
            f"parallel, max {job.max_parallel}" if job.parallel_execution else "sequential",
        ),
        ("Stop on first error", "yes" if job.stop_on_error else "no"),
        ("Max retries", str(job.max_retries)),
        (
            "Timeout per operation",
            "—" if job.timeout_s is None else fmt.duration(job.timeout_s * 1000),
        ),
    ]
    if job.cancel_requested_at is not None:
        fields.append(("Cancel requested (UTC)", fmt.ts(job.cancel_requested_at)))
        fields.append(("Cancel reason", job.cancel_reason or "—"))
    if job.description:
        st.markdown(fmt.md_escape(job.description))
    cols = st.columns(4)
    for i, (label, val) in enumerate(fields):
        cols[i % 4].markdown(
            f"<small>{label}</small><br><b>{fmt.md_escape(val)}</b>", unsafe_allow_html=True
        )


def progress(job: JobView) -> None:
    """Overall progress bar, per-state counts and time left."""
    p = job.progress
    eta = "" if job.status.is_terminal else f" · time left {jobs.time_left(job)}"
    done = jobs.done_fraction(job)
    st.progress(done, text=f"{fmt.pct(done, 0)} · {jobs.progress_text(job)}{eta}")
    cols = st.columns(7)
    for col, (label, n) in zip(
        cols,
        [
            ("Completed", p.completed_operations),
            ("Failed", p.checks_failed_operations),
            ("Error", p.error_operations),
            ("Skipped", p.skipped_operations),
            ("Cancelled", p.cancelled_operations),
            ("Running", p.running_operations),
            ("Pending", p.pending_operations),
        ],
        strict=True,
    ):
        col.metric(label, n)
    if p.current_operations:
        titles = {o.operation_id: op_title(o) for o in job.operations or []}
        st.caption(
            "Running now: "
            + ", ".join(fmt.md_escape(titles.get(o, o)) for o in p.current_operations)
        )


def failure_text(title: str, message: str | None, could_not_run: bool = False) -> str:
    """`**project · pipeline** failed: <message>` for one failed operation (its `op_title`;
    `**…** error: <message>` when it
    could not run: failure_kind error, the chip it shows), the message cut to MAX_FAILURE_CHARS
    characters (with a pointer to the operation inspector, which shows it all)."""
    text = message or "no error message"
    more = ""
    if len(text) > MAX_FAILURE_CHARS:
        text, more = clip(text, MAX_FAILURE_CHARS), " (full text: inspect the operation below)"
    return (
        f"**{fmt.md_escape(title)}** {'error' if could_not_run else 'failed'}: "
        f"{fmt.md_escape(text)}{more}"
    )


def failures(job: JobView, limit: int = MAX_FAILURES_SHOWN) -> None:
    """Failures at a glance, first thing under the progress: the first `limit` failed
    operations, each with its error cut short (`failure_text`), then how many more failed."""
    failed = [o for o in job.operations or [] if o.status.value == "failed"]
    for op in failed[:limit]:
        could_not_run = operation_status(op) == "error"
        st.error(
            failure_text(op_title(op), op.error or op.summary, could_not_run),
            icon=":material/error:",
        )
    if len(failed) > limit:
        st.caption(f"… and {len(failed) - limit} more failed operations (see the table below).")


def operations_table(job: JobView) -> None:
    """Every operation: status, attempts, duration, result summary and error."""
    ops = job.operations or []
    df = pd.DataFrame(
        {
            "#": [o.seq for o in ops],
            "Operation": [op_title(o) for o in ops],
            "Type": [kind_label(o.operation_type.value) for o in ops],
            "Status": [status_cell(operation_status(o)) for o in ops],
            "Attempts": [f"{o.attempts}/{o.max_attempts}" for o in ops],
            "Duration": [fmt.duration(o.duration_ms) for o in ops],
            "Result": [o.summary or o.progress_message or "" for o in ops],
            "Error": [o.error or o.status_reason or "" for o in ops],
            "Started (UTC)": [fmt.ts(o.started_at) for o in ops],
            "Finished (UTC)": [fmt.ts(o.completed_at) for o in ops],
            "Operation id": [o.operation_id for o in ops],
        }
    )
    st.dataframe(style_status(df), hide_index=True, height=min(420, 38 + 35 * max(1, len(ops))))


def operation_inspector(eng: Engine, job: JobView) -> None:
    """One operation in depth: its spec, attempts, result and error."""
    ops = job.operations or []
    if not ops:
        return
    ids = [o.operation_id for o in ops]
    first_failed = next((i for i, o in enumerate(ops) if o.status.value == "failed"), 0)
    titles = {o.operation_id: op_title(o) for o in ops}
    chosen = st.selectbox(
        "Inspect operation",
        ids,
        index=first_failed,
        format_func=lambda i: titles[i] if titles[i] == i else f"{titles[i]} ({i})",
        key=f"inspect-{job.job_id}",
    )
    op = ops[ids.index(chosen)]
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(
            f"{badge_html(operation_status(op))} &nbsp; attempt {op.attempts} of {op.max_attempts} · "
            f"{fmt.duration(op.duration_ms)}",
            unsafe_allow_html=True,
        )
        if op.error:
            st.error(fmt.md_escape(op.error))
        if op.status_reason:
            st.caption(f"Reason: {fmt.md_escape(op.status_reason)}")
        st.markdown("**Specification**")
        st.json(op.metadata, expanded=False)
    with c2:
        st.markdown("**Result**")
        st.json(op.result or {}, expanded=False)
        attempts = eng.attempts(job.job_id, op.operation_id)
        if attempts:
            st.markdown("**Attempts**")
            st.dataframe(
                pd.DataFrame(
                    {
                        "Attempt": [a["attempt"] for a in attempts],
                        "Status": [a["status"] for a in attempts],
                        "Duration": [fmt.duration(a["duration_ms"]) for a in attempts],
                        "Finished (UTC)": [fmt.ts(a["finished_at"]) for a in attempts],
                        "Error": [a["error"] or "" for a in attempts],
                    }
                ),
                hide_index=True,
            )
