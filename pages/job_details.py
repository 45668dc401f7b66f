"""Job Details: metadata, progress, operations and check results of one job; live while it runs.

The job comes from the `job_id` query parameter (links from the forms, Active Jobs and Job
History set it), or from the id typed or picked here.
"""

import streamlit as st

from batchcore.errors import NotFound
from ui_components import (
    checks_view,
    compare_view,
    core,
    details,
    fmt,
    history_view,
    jobs,
    schedules_view,
    timeline,
)
from ui_components.partitions import partitions_section
from ui_components.status import status_label

st.title("Job Details")
jobs.show_flash()
eng = core.engine()

job_id = st.text_input(
    "Job id",
    key="job_id",
    bind="query-params",
    placeholder="Paste a job id, or pick a recent job below",
)
job_id = (job_id or "").strip()

if not job_id:
    with core.guard("Loading recent jobs"):
        recent, total = eng.list_jobs(limit=10)
        if not recent:
            st.info(
                "No jobs yet. Launch one from **Bulk Pipeline Execution** (or another launch page); "
                "its details will show here.",
                icon=":material/info:",
            )
        else:
            st.caption("Recent jobs")
            for j in recent:
                st.page_link(
                    core.PAGE_DETAILS,
                    label=f"{fmt.md_escape(j.name)} · {status_label(j.status.value)} · {fmt.ts(j.created_at)}",
                    query_params={"job_id": j.job_id},
                )
    st.stop()

try:
    first = eng.get_job(job_id, with_operations=False)
except NotFound:
    st.error(f"No job with id `{job_id}`. It may have been deleted; find jobs in Job History.")
    st.page_link(core.PAGE_HISTORY, label="Job History", icon=":material/history:")
    st.stop()


live = details.is_live(first)
jobs.pending_cancel_dialog(eng)  # drawn by the page, never inside the live fragment


@st.fragment(run_every=details.LIVE_EVERY_S if live else None)
def show() -> None:
    """The job, re-read every 2 s while it is active (see `details.follow`): what needs
    attention first (failed operations, checks that did not pass), then progress, settings, the
    run timeline, operations, the passing checks and the comparison with other runs."""
    with core.guard("Loading the job"):
        job = eng.get_job(job_id)
        details.follow(job, live)
        checks = eng.check_results(job.job_id)
        details.header(eng, job)
        checks_view.needs_attention(job, checks)
        st.subheader("Progress")
        details.progress(job)
        details.metadata(job)
        timeline.timeline_section(eng, job)
        st.subheader("Operations")
        details.operations_table(job)
        details.operation_inspector(eng, job)
        checks_view.checks_section(eng, job, checks)
        partitions_section(eng, job.job_id)
        history_view.job_history_links(job, eng)
        compare_view.compare_section(eng, job)
        schedules_view.job_notes(eng, job.job_id)


show()
