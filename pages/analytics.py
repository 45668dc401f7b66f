"""Analytics: status and type distributions, durations, failure rates per pipeline and per check
over time, slowest operations and generation throughput. Every figure is aggregated in DuckDB
(batchcore.analytics) and can be downloaded with the numbers behind it.

Three tabs; only the open one is queried and drawn (the tab is in the URL, so a link opens it:
`/analytics?an_tab=Failures`, or `?tab=Failures`).
"""

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from batchcore.store import analytics
from ui_components import charts, core, fmt, history_view
from ui_components.status import kind_label, type_label

ANY = "(any)"
PCT = {
    "failure_rate": "failure rate",
    "earlier_failure_rate": "earlier",
    "recent_failure_rate": "recent",
    "change": "change",
    "first_pass_rate": "first pass rate",
    "last_pass_rate": "last pass rate",
}

st.title("Analytics")
st.caption(
    "Trends for review meetings. Times are UTC; every chart downloads as PNG (camera icon) or HTML, "
    "with its numbers as CSV or JSON."
)
eng = core.engine()


def overview(scope: analytics.Scope, bucket: str) -> None:
    """Status and type distributions, job and operation durations."""
    an = eng.analytics()
    statuses = an.status_distribution(scope)
    types = an.type_distribution(scope)
    job_d = an.job_durations(scope, bucket)
    op_d = an.operation_durations(scope, bucket)
    left, right = st.columns(2)
    with left:
        charts.chart_block(
            "Jobs by status", charts.status_donut(statuses), statuses, "jobs-by-status"
        )
    with right:
        charts.chart_block("Jobs by type", charts.type_bars(types), types, "jobs-by-type")
    left, right = st.columns(2)
    with left:
        charts.chart_block(
            f"Job duration per {bucket}",
            charts.duration_lines(job_d, "job_type", bucket, label_fn=type_label)
            if not job_d.empty
            else None,
            job_d,
            "job-duration",
            caption="Mean wall time of finished jobs, by creation period (p50/p95 in the data).",
        )
    with right:
        charts.chart_block(
            f"Operation duration per {bucket}",
            charts.duration_lines(op_d, "kind", bucket, label_fn=kind_label)
            if not op_d.empty
            else None,
            op_d,
            "operation-duration",
            caption="Mean duration of finished operations, by finish period.",
        )


def failures(scope: analytics.Scope, bucket: str) -> None:
    """Failure rate per pipeline and per check over time; the checks getting worse."""
    an = eng.analytics()
    pipe = an.pipeline_failure_rates(scope, bucket)
    chk = an.check_failure_rates(scope, bucket)
    trends = an.check_trends(scope)
    charts.chart_block(
        f"Failure rate per pipeline, per {bucket}",
        charts.failure_lines(pipe, "pipeline", bucket),
        pipe,
        "pipeline-failure-rate",
        caption=f"The {charts.TOP_SERIES} pipelines with the most failures (only pipelines whose "
        "checks found bad data; runs that could not run are counted apart in the data, column "
        "errors); the data has every pipeline run.",
        empty="No pipeline failed in this range."
        if not pipe.empty
        else "No pipeline runs finished in this range.",
    )
    charts.chart_block(
        f"Failure rate per check, per {bucket}",
        charts.failure_lines(chk, "check", bucket),
        chk,
        "check-failure-rate",
        caption=f"The {charts.TOP_SERIES} checks with the most failures (status failed; warned "
        "and errored runs are counted apart in the data).",
        empty="No check failed in this range."
        if not chk.empty
        else "No check results in this range.",
    )
    with st.container(border=True, key="checks-getting-worse"):
        st.markdown("**Checks getting worse**")
        st.caption(
            "Each check's runs split in half by time. Listed: checks that fail more often in the "
            "recent half than in the earlier one, or as often with a lower pass rate at their last "
            "run than at their first (more rows failing). Change = recent − earlier failure rate."
        )
        if trends.empty:
            failing = chk[chk["failed"] > 0]["check"].nunique() if not chk.empty else 0
            st.info(
                f"No check got worse in this range ({failing:,} "
                f"check{'' if failing == 1 else 's'} failed at least once; "
                "none fails more often or on more rows lately)."
                if failing
                else "No check failed in this range.",
                icon=":material/fact_check:",
            )
            return
        shown = trends.copy()
        for col in ("first_pass_rate", "last_pass_rate"):  # a rate under 1 never reads 100 %
            shown[col] = shown[col].map(fmt.shown_rate)
        st.dataframe(
            shown,
            hide_index=True,
            column_config={
                "check": st.column_config.TextColumn("pipeline · check"),
                "runs": st.column_config.NumberColumn("runs", format="localized"),
                "failed": st.column_config.NumberColumn("failed runs", format="localized"),
                "last_run": st.column_config.DatetimeColumn(
                    "last run (UTC)", format="YYYY-MM-DD HH:mm"
                ),
                **{k: st.column_config.NumberColumn(v, format="percent") for k, v in PCT.items()},
            },
        )
        charts.frame_downloads(st.columns(3), trends, "checks-getting-worse", "trends")


def performance(scope: analytics.Scope, bucket: str) -> None:
    """Slowest operations and data generation throughput, full width (long labels)."""
    an = eng.analytics()
    slow = an.slowest_operations(scope, limit=15)
    gen = an.datagen_throughput(scope, bucket)
    charts.chart_block(
        "Slowest operations",
        charts.slowest_bars(slow) if not slow.empty else None,
        slow,
        "slowest-operations",
        caption="The 15 longest finished operations (job · operation).",
        empty="No finished operations in this range.",
    )
    charts.chart_block(
        f"Data generation throughput per {bucket}",
        charts.throughput_lines(gen, bucket) if not gen.empty else None,
        gen,
        "datagen-throughput",
        caption="Rows written per second of generation, per schema (the data also has the fastest run).",
        empty="No data generation finished in this range. Launch one from Batch Data Generation.",
    )


with core.guard("Computing analytics"):
    opts = eng.filter_options()
    if opts["first_created"] is None:
        st.info(
            "No jobs yet, so nothing to chart. Launch jobs from the launch pages; their results appear here "
            "as they finish.",
            icon=":material/insights:",
        )
        st.stop()

    today = datetime.now(UTC).date()
    c = st.columns([2, 1.2, 1])
    dates = c[0].date_input(
        "Created between (UTC)",
        value=(today - timedelta(days=29), today),
        key="an_dates",
        format="YYYY-MM-DD",
    )
    project = c[1].selectbox(
        "Project", [ANY, *opts["projects"]], key="an_project", bind="query-params"
    )
    bucket_choice = c[2].selectbox(
        "Period",
        ["auto", *analytics.BUCKETS],
        key="an_bucket",
        help="One point per period. Auto: hour up to 3 days of jobs, day up to 120 days, else "
        "week, from the span of the jobs in the range.",
    )
    start = datetime.combine(dates[0], time.min, UTC) if len(dates) >= 1 else None
    end = datetime.combine(dates[1], time.min, UTC) + timedelta(days=1) if len(dates) == 2 else None
    scope = analytics.Scope(
        created_from=start, created_to=end, project_id=None if project == ANY else project
    )
    bucket = (
        analytics.bucket_for_data(
            start, end or datetime.now(UTC), opts["first_created"], opts["last_created"]
        )
        if bucket_choice == "auto"
        else bucket_choice
    )

    s = eng.analytics().summary(scope)
    m = st.columns(6)
    m[0].metric("Jobs", fmt.count(s["jobs"]))
    m[1].metric(
        "Success rate",
        fmt.pct(s["success_rate"]),
        help="Completed ÷ jobs that ended (cancelled excluded).",
    )
    m[2].metric("Failed / partial", f"{s['failed']:,} / {s['partial_success']:,}")
    m[3].metric("Operations", fmt.count(s["operations"]))
    m[4].metric(
        "Failed / error operations",
        f"{s['checks_failed_operations']:,} / {s['error_operations']:,}",
        help="Failed: the checks ran and found bad data. Error: the operation could not run "
        "(unknown table, connection, SQL error, timeout).",
    )
    m[5].metric("Mean job duration", fmt.duration(s["mean_job_duration_ms"]))
    st.page_link(
        core.PAGE_CHECK_HISTORY,
        label="Check history and quality scorecard",
        query_params={} if project == ANY else {"project": project},
        icon=":material/timeline:",
    )
    history_view.anomalies_block(eng, start, end, None if project == ANY else project)
    if not s["jobs"]:
        st.info(
            "No job was created in this range for this project. Widen the dates or pick another project.",
            icon=":material/filter_alt_off:",
        )
        st.stop()

    # `?tab=Failures` (the short form people type) opens that tab like `?an_tab=Failures`
    names = ["Overview", "Failures", "Performance"]
    asked = st.query_params.get("tab")
    if asked is not None:
        del st.query_params["tab"]
        match = next((n for n in names if n.lower() == asked.strip().lower()), None)
        if match is not None:
            st.session_state["an_tab"] = match
    tabs = st.tabs(
        names,
        key="an_tab",
        on_change="rerun",
        bind="query-params",
    )
    for tab, draw in zip(tabs, (overview, failures, performance), strict=True):
        if tab.open:
            with tab:
                draw(scope, bucket)
