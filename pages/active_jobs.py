"""Active Jobs: every pending, running and cancelling job, refreshed every 2 s in a fragment.
Running and cancelling jobs come first, then pending ones, newest first within each.

The fragment re-queries only the active jobs (plus, by id, the few jobs this browser session
launched or watched, so a job that just ended stays visible with its final status).
"""

import time

import streamlit as st

from batchcore.store.reads import JobFilter
from ui_components import core, jobs
from ui_components import live as live_table

SEEN_KEY = "bo_seen_active"
RECENT_LIMIT = 10
PAGE_SIZE = 25

st.title("Active Jobs")
st.caption("Live: refreshes every 2 seconds without reloading the page. Times are UTC.")
jobs.show_flash()
eng = core.engine()
core.read_only_note()  # cancel and retry are disabled for a read-only token
jobs.pending_cancel_dialog(eng)  # drawn by the page, never inside the live fragment


@st.fragment(run_every=2)
def live() -> None:
    """The live part of the page: metrics, active jobs, jobs that just finished."""
    with core.guard("Loading active jobs"):
        active = jobs.active_order(eng.active_jobs())
        seen = st.session_state.setdefault(SEEN_KEY, [])
        for j in active:
            if j.job_id not in seen:
                seen.insert(0, j.job_id)
        del seen[50:]
        active_ids = {j.job_id for j in active}

        m = st.columns(4)
        m[0].metric("Active jobs", len(active))
        m[1].metric("Operations running", sum(j.progress.running_operations for j in active))
        m[2].metric("Operations waiting", sum(j.progress.pending_operations for j in active))
        m[3].metric("Updated (UTC)", time.strftime("%H:%M:%S", time.gmtime()))

        if not active:
            st.info(
                "No job is running right now. Launch one from **Bulk Pipeline Execution**, **Batch Data "
                "Generation**, **Multi-Project Validation** or **Bulk Metadata Extraction**; finished jobs "
                "are in **Job History**.",
                icon=":material/hourglass_empty:",
            )
        else:
            pages = max(1, -(-len(active) // PAGE_SIZE))
            page = st.pagination(pages, key="active_page") if pages > 1 else 1
            live_table.header()
            for job in active[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
                live_table.row(eng, job)

        recent_ids = [j for j in dict.fromkeys(core.my_jobs() + seen) if j not in active_ids][
            :RECENT_LIMIT
        ]
        finished = (
            eng.list_jobs(JobFilter(job_ids=tuple(recent_ids)), limit=RECENT_LIMIT)[0]
            if recent_ids
            else []
        )
        if finished:
            st.subheader("Recently finished in this session")
            live_table.header()
            for job in sorted(finished, key=lambda j: j.created_at, reverse=True):
                live_table.row(eng, job)


live()
st.page_link(core.PAGE_HISTORY, label="All jobs in Job History", icon=":material/history:")
