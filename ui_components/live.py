"""The live table of Active Jobs: one row per job, refreshed by the page's 2 s fragment.

The read-only cells of a row are one HTML grid (a few elements per job instead of twenty, so a
refresh with many active jobs stays cheap in the browser) sharing its columns with the header,
so the rows read as one table; the actions sit in a fixed-width column beside it (whole at
1024 px wide). Every value is HTML-escaped: job names are user input.
"""

from __future__ import annotations

import html

import streamlit as st

from batchcore.engine import Engine
from batchcore.models import JobView
from ui_components import fmt
from ui_components.core import PAGE_DETAILS, can_write
from ui_components.jobs import cancel_button, done_fraction, progress_text, retry, time_left
from ui_components.status import badge_html, status_colour, type_label

HEADERS = ("Job", "Status", "Progress", "Time", "Running now")
ACTIONS_WIDTH = 118  # px: "Details" and "Cancel" / "Retry failed" fit whole at any page width
# One grid for the header and every row, so columns line up as one table. Under 1180 px of
# window (1024 × 768 with the sidebar open), "Running now" moves to a full-width line of its own.
CSS = """<style>
.bo-grid{display:grid;gap:6px 14px;align-items:center;
  grid-template-columns:minmax(0,2.3fr) 7.2rem minmax(0,1.6fr) minmax(0,1fr) minmax(0,1.7fr)}
.bo-grid>div{min-width:0;overflow-wrap:anywhere}
.bo-grid code{font-size:0.78rem;padding:0 2px;display:inline-block;max-width:100%;
  white-space:normal;overflow-wrap:anywhere;word-break:break-all}
.bo-sub{font-size:0.8rem;opacity:0.72}
.bo-head{font-size:0.8rem;font-weight:600;opacity:0.65;
  padding:0 calc(ACTIONSpx + 2rem + 1px) 0 calc(1rem + 1px);margin-bottom:-0.25rem}
.bo-now-label{display:none}
@media (max-width:1180px){
  .bo-grid{grid-template-columns:minmax(0,2.2fr) 7.2rem minmax(0,1.5fr) minmax(0,1fr)}
  .bo-now{grid-column:1/-1;font-size:0.8rem}
  .bo-now:empty,.bo-head .bo-now{display:none}
  .bo-now-label{display:inline;opacity:0.72}
}
</style>""".replace("ACTIONS", str(ACTIONS_WIDTH))


def header() -> None:
    """Column titles above the rows (and the grid's style), aligned with the rows' cells: the
    header leaves room on the right for the actions column and the rows' border padding."""
    st.html(CSS)
    cells = "".join(
        f'<div class="{"bo-now" if h == "Running now" else ""}">{h}</div>' for h in HEADERS
    )
    st.markdown(f'<div class="bo-grid bo-head">{cells}</div>', unsafe_allow_html=True)


def _bar(job: JobView) -> str:
    done = done_fraction(job)
    colour = status_colour(job.status.value)
    return (
        f'<div style="background:rgba(128,128,128,0.25);border-radius:4px;height:6px">'
        f'<div class="bo-bar" style="width:{done * 100:.1f}%;background:{colour};height:6px;border-radius:4px"></div></div>'
        f'<div class="bo-sub">{html.escape(fmt.pct(done, 0))} · {html.escape(progress_text(job))}</div>'
    )


def row_html(job: JobView) -> str:
    """The read-only cells of one job (escaped HTML), one per HEADERS entry."""
    p = job.progress
    running = p.current_operations
    now = (
        '<span class="bo-now-label">Running now: </span>'
        + " ".join(f"<code>{html.escape(o)}</code>" for o in running[:3])
        + (f" +{len(running) - 3} more" if len(running) > 3 else "")
        if running
        else ""
    )
    if p.waiting_for_connections:
        now += "".join(
            f"<br><i>waiting for connection {html.escape(c)}</i>" for c in p.waiting_for_connections
        )
    left = time_left(job)
    cells = [
        (
            "",
            f'<b>{html.escape(job.name)}</b><div class="bo-sub">'
            f"{html.escape(type_label(job.job_type.value))} · <code>{job.job_id[:8]}…</code></div>",
        ),
        ("", badge_html(job.status.value)),
        ("", _bar(job)),
        (
            "",
            fmt.duration(job.duration_ms)
            + (
                ""
                if left == "—"
                else f'<div class="bo-sub">{html.escape(left)}'
                + (" left" if left != "stopping" else "")
                + "</div>"
            ),
        ),
        ("bo-now", now),
    ]
    return (
        '<div class="bo-grid">'
        + "".join(f'<div class="{cls}">{c}</div>' if cls else f"<div>{c}</div>" for cls, c in cells)
        + "</div>"
    )


def row(eng: Engine, job: JobView) -> None:
    """One job: its cells and its actions (details; cancel while active, retry failed after)."""
    with st.container(
        key=f"job-row-{job.job_id}",
        border=True,
        horizontal=True,
        vertical_alignment="center",
        gap="small",
        wrap=False,
    ):
        st.markdown(row_html(job), unsafe_allow_html=True, width="stretch")
        with st.container(width=ACTIONS_WIDTH, gap="small"):
            st.page_link(
                PAGE_DETAILS,
                label="Details",
                icon=":material/open_in_new:",
                query_params={"job_id": job.job_id},
            )
            if not job.status.is_terminal:
                label = "Force…" if job.status.value == "cancelling" else "Cancel"
                cancel_button(
                    st,
                    label,
                    job.job_id,
                    job.name,
                    key=f"cancel-{job.job_id}",
                    icon=":material/cancel:",
                    type="tertiary",
                    disabled=not can_write(),
                )
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
