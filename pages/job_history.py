"""Job History: every job, filtered and paginated in DuckDB; exports and deletes.

Filters, the date range included, are bound to the URL (shareable links). Only the visible
page is read from the store; exports of a whole filter read it in chunks.
"""

import streamlit as st

from batchcore.models import JobStatus, JobType
from batchcore.store.reads import JobFilter
from ui_components import core, exports, jobs
from ui_components.status import status_label, style_status, type_label

ANY = "(any)"
PAGE_SIZES = (25, 50, 100)
EXPORT_LIMIT = 100_000


def reset_page() -> None:
    """A filter changed: back to page 1."""
    st.session_state["h_page"] = 1


def labelled_filter(
    where, label: str, values: dict[str, str], key: str, placeholder: str
) -> list[str]:
    """A URL-bound multiselect of the labels of `values` (label → value); the chosen values."""
    return [
        values[x]
        for x in where.multiselect(
            label,
            list(values),
            key=key,
            bind="query-params",
            placeholder=placeholder,
            on_change=reset_page,
        )
    ]


st.title("Job History")
jobs.show_flash()
eng = core.engine()

with core.guard("Loading filters"):
    opts = eng.filter_options()
    try:
        ws_projects = list(eng.workspace().projects)
    except Exception:  # a broken workspace file must not hide the history
        ws_projects = []
    projects = sorted(set(opts["projects"]) | set(ws_projects))

    with st.container(border=True):
        c = st.columns([1.5, 1.5, 1.1, 1.0, 1.4, 1.3])
        # options are the labels users read (bound to the URL as they are), mapped back to values
        status_labels = {status_label(s.value): s.value for s in JobStatus}
        type_labels = {type_label(t.value): t.value for t in JobType}
        statuses = labelled_filter(c[0], "Status", status_labels, "h_status", "any status")
        types = labelled_filter(c[1], "Type", type_labels, "h_type", "any type")
        project = c[2].selectbox(
            "Project", [ANY, *projects], key="h_project", bind="query-params", on_change=reset_page
        )
        tag = c[3].selectbox(
            "Tag", [ANY, *opts["tags"]], key="h_tag", bind="query-params", on_change=reset_page
        )
        dates = c[4].date_input(
            "Created between (UTC)",
            value=(),
            key="h_dates",
            bind="query-params",
            on_change=reset_page,
            format="YYYY-MM-DD",
        )
        search = c[5].text_input(
            "Search name or id", key="h_search", bind="query-params", on_change=reset_page
        )

    start, end = jobs.created_range(dates)
    flt = JobFilter(
        status=tuple(statuses),
        job_type=tuple(types),
        project_id=None if project == ANY else project,
        tag=None if tag == ANY else tag,
        created_from=start,
        created_to=end,
        search=search.strip() or None,
    )

    size = int(st.session_state.get("h_size", PAGE_SIZES[0]))
    page = int(st.session_state.get("h_page", 1) or 1)
    rows, total = eng.list_jobs(flt, limit=size, offset=(page - 1) * size)
    pages = max(1, -(-total // size))
    if page > pages:  # the filter shrank under the current page
        page = pages
        st.session_state["h_page"] = page
        rows, total = eng.list_jobs(flt, limit=size, offset=(page - 1) * size)

    if total == 0:
        if opts["first_created"] is None:
            st.info(
                "No jobs yet. Launch one from **Bulk Pipeline Execution** (or another launch page) and it "
                "will be listed here.",
                icon=":material/history:",
            )
        else:
            st.info(
                "No job matches these filters. Remove a filter or widen the date range.",
                icon=":material/filter_alt_off:",
            )
        st.stop()

    first_row = (page - 1) * size + 1
    st.caption(
        f"Jobs **{first_row:,}–{first_row + len(rows) - 1:,}** of **{total:,}** matching · newest first · "
        "tick rows to export or delete them"
    )
    event = st.dataframe(
        style_status(jobs.jobs_frame(rows)),
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        key=f"h_table_{page}_{size}_{hash(flt)}",
        column_config=jobs.JOB_COLUMN_CONFIG,
        height=min(38 + 35 * len(rows), 38 + 35 * 15),
    )
    p1, p2 = st.columns([4, 1], vertical_alignment="center")
    with p1:
        st.pagination(pages, key="h_page")
    with p2:
        st.selectbox(
            "Rows per page",
            PAGE_SIZES,
            key="h_size",
            on_change=reset_page,
            label_visibility="collapsed",
            format_func=lambda n: f"{n} per page",
        )

    chosen = [rows[i] for i in event.selection.rows if i < len(rows)] if event else []
    ids = [j.job_id for j in chosen]
    st.subheader(f"Selected: {len(chosen)}" if chosen else "Actions")
    core.read_only_note()  # delete is disabled for a read-only token
    a = st.columns(5)
    if a[0].button(
        "Open details",
        key="h_open",
        icon=":material/open_in_new:",
        disabled=len(chosen) != 1,
        help="Tick exactly one job.",
    ):
        st.switch_page(core.PAGE_DETAILS, query_params={"job_id": ids[0]})
    core.download(
        a[1],
        "Selection JSON",
        lambda: exports.selection_json(eng, ids),
        f"jobs-{len(ids)}.json",
        "h_sel_json",
        disabled=not chosen,
        help="Full export of the ticked jobs: operations, attempts, check results.",
    )
    core.download(
        a[2],
        "Selection CSV",
        lambda: exports.selection_csv(eng, ids),
        f"jobs-{len(ids)}-operations.csv",
        "h_sel_csv",
        disabled=not chosen,
        help="One row per operation of the ticked jobs.",
    )
    deletable = [j for j in chosen if j.status.is_terminal]
    if a[3].button(
        f"Delete ({len(deletable)})",
        key="h_delete",
        icon=":material/delete:",
        disabled=not deletable or not core.can_write(),
        help="Finished jobs only; cancel active ones first.",
    ):
        jobs.delete_dialog(eng, [j.job_id for j in deletable], [j.name for j in deletable])
    if len(deletable) < len(chosen):
        st.caption(
            f"{len(chosen) - len(deletable)} ticked job(s) still active: cancel them before deleting."
        )

    st.caption(
        f"Export every job matching the filters ({min(total, EXPORT_LIMIT):,}, one row per job):"
    )
    e = st.columns(5)
    core.download(
        e[0],
        "All matching CSV",
        lambda: exports.jobs_list_csv(exports.iter_jobs(eng, flt, EXPORT_LIMIT)),
        "job-history.csv",
        "h_all_csv",
    )
    core.download(
        e[1],
        "All matching JSON",
        lambda: exports.jobs_list_json(exports.iter_jobs(eng, flt, EXPORT_LIMIT)),
        "job-history.json",
        "h_all_json",
    )
