"""The live table of Active Jobs: one row per job, refreshed by the page's 2 s fragment.

The eight read-only columns of a row are one HTML grid (a few elements per job instead of
twenty, so a refresh with many active jobs stays cheap in the browser); the actions next to it
are Streamlit widgets. Every value is HTML-escaped: job names are user input.
"""

from __future__ import annotations

import html

import streamlit as st

from batchcore.engine import Engine
from batchcore.models import JobView
from ui_components import fmt
from ui_components.core import PAGE_DETAILS, can_write
from ui_components.jobs import cancel_dialog, done_fraction, progress_text, retry, time_left
from ui_components.status import badge_html, status_colour, type_label

HEADERS = (
    "Job",
    "Type",
    "Status",
    "Progress",
    "Operations",
    "Duration",
    "Time left",
    "Running now",
)
_GRID = (
    "display:grid;grid-template-columns:2.2fr 1.3fr 1.4fr 1.5fr 1.7fr 1fr 1fr 1.7fr;"
    "gap:10px;align-items:center;"
)
_SPLIT = [8.5, 1.3]  # grid | actions


def header() -> None:
    """Column titles above the rows."""
    grid, _ = st.columns(_SPLIT)
    cells = "".join(f"<div>{h}</div>" for h in HEADERS)
    grid.markdown(
        f'<div style="{_GRID}font-size:0.8rem;font-weight:600;opacity:0.65">{cells}</div>',
        unsafe_allow_html=True,
    )


def _bar(job: JobView) -> str:
    done = done_fraction(job)
    colour = status_colour(job.status.value)
    return (
        f'<div style="font-size:0.8rem">{html.escape(fmt.pct(done, 0))}</div>'
        f'<div style="background:rgba(128,128,128,0.25);border-radius:4px;height:6px">'
        f'<div class="bo-bar" style="width:{done * 100:.1f}%;background:{colour};height:6px;border-radius:4px"></div></div>'
    )


def row_html(job: JobView) -> str:
    """The read-only cells of one job (escaped HTML)."""
    p = job.progress
    running = p.current_operations
    now = (
        "<br>".join(f"<code>{html.escape(o)}</code>" for o in running[:3])
        + (f"<br>+{len(running) - 3} more" if len(running) > 3 else "")
        if running
        else "—"
    )
    if p.waiting_for_connections:
        now += "".join(
            f"<br><i>waiting for connection {html.escape(c)}</i>" for c in p.waiting_for_connections
        )
    cells = [
        f"<b>{html.escape(job.name)}</b><br><code>{job.job_id[:8]}…</code>",
        html.escape(type_label(job.job_type.value)),
        badge_html(job.status.value),
        _bar(job),
        html.escape(progress_text(job)),
        fmt.duration(job.duration_ms),
        html.escape(time_left(job)),
        f'<span style="font-size:0.85rem">{now}</span>',
    ]
    return f'<div style="{_GRID}">' + "".join(f"<div>{c}</div>" for c in cells) + "</div>"


def row(eng: Engine, job: JobView) -> None:
    """One job: its cells and its actions (details; cancel while active, retry failed after)."""
    with st.container(key=f"job-row-{job.job_id}", border=True):
        grid, actions = st.columns(_SPLIT, vertical_alignment="center")
        grid.markdown(row_html(job), unsafe_allow_html=True)
        with actions:
            st.page_link(
                PAGE_DETAILS,
                label="Details",
                icon=":material/open_in_new:",
                query_params={"job_id": job.job_id},
            )
            if not job.status.is_terminal:
                label = "Force…" if job.status.value == "cancelling" else "Cancel"
                if st.button(
                    label,
                    key=f"cancel-{job.job_id}",
                    icon=":material/cancel:",
                    type="tertiary",
                    disabled=not can_write(),
                ):
                    cancel_dialog(eng, job.job_id, job.name)
            elif job.progress.failed_operations:
                st.button(
                    "Retry failed",
                    key=f"retry-{job.job_id}",
                    icon=":material/replay:",
                    type="tertiary",
                    on_click=retry,
                    args=(eng, job.job_id),
                    disabled=not can_write(),
                )
