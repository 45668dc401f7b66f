"""Check history: one check's runs over time, a pipeline's run × check strip, a project's scorecard.

Its own URL per view (query parameters): `?check=<project>/<pipeline>/<check name>` for one
check, `?project=P&pipeline=PL` for a pipeline, `?project=P` (or nothing) for the scorecard.
Job Details and Analytics link here. The numbers come from Engine.check_history,
pipeline_history and quality_scorecard (batchcore/history.py).
"""

from datetime import timedelta

import pandas as pd
import streamlit as st

from batchcore.errors import BatchError
from batchcore.history import CheckKey, parse_since
from batchcore.report.figures import (
    anomaly_band_figure,
    check_trend_figure,
    has_band,
    pipeline_heatmap,
)
from ui_components import core, fmt
from ui_components.history_view import (
    ALL,
    PAGE_URL,
    PAGE_URL_PATH,
    PERIODS,
    check_link,
    pipeline_link,
    report_button,
    runs_frame,
    status_mark,
)

st.title("Check history")
eng = core.engine()

with core.guard("Loading the checks with history"):
    known = eng.list_checks(limit=5000)
if not known:
    st.info(
        "No check has run yet. Run a validation pipeline (Bulk Pipeline Execution); every check "
        "result is kept here, run after run.",
        icon=":material/info:",
    )
    st.stop()

params = st.query_params
wanted_check = params.get("check")
if wanted_check:  # a malformed deep link: the page's own message, then the page without it
    try:
        k = CheckKey.parse(wanted_check)
    except BatchError as exc:
        st.error(
            f"The link's check {fmt.md_escape(repr(wanted_check))} is not a check key "
            f"(`project/pipeline/check name`): {fmt.md_escape(core.error_text(exc))}"
        )
        del st.query_params["check"]
        wanted_check = None
if wanted_check and "project" not in params:  # a deep link to a check sets its scope too
    st.query_params["project"] = k.project_id or "-"
    st.query_params["pipeline"] = k.pipeline_id
    st.session_state.setdefault("project", k.project_id or "-")
    st.session_state.setdefault("pipeline", k.pipeline_id)

projects = sorted({c["project_id"] or "-" for c in known})
c1, c2, c3, c4 = st.columns([2, 2, 4, 1.3], vertical_alignment="bottom")
project = c1.selectbox("Project", [ALL, *projects], key="project", bind="query-params")
pipes = sorted(
    {c["pipeline_id"] for c in known if project == ALL or (c["project_id"] or "-") == project}
)
pipeline = c2.selectbox("Pipeline", [ALL, *pipes], key="pipeline", bind="query-params")
scoped = [
    c
    for c in known
    if (project == ALL or (c["project_id"] or "-") == project)
    and (pipeline == ALL or c["pipeline_id"] == pipeline)
]
keys = [c["key"] for c in sorted(scoped, key=lambda c: (c["pipeline_id"], c["check_name"]))]
if wanted_check and wanted_check not in keys:
    keys.append(wanted_check)
options = [ALL, *keys]
check = c3.selectbox(
    "Check",
    options,
    index=options.index(wanted_check) if wanted_check in options else 0,
    key="check_pick",
    format_func=lambda k: k if k == ALL else CheckKey.parse(k).check_name,
)
if check != ALL:  # the check's own URL (the key, not the label, is the query parameter)
    st.query_params["check"] = check
elif "check" in st.query_params:
    del st.query_params["check"]
period = c4.selectbox("Period", list(PERIODS), index=2, key="period", bind="query-params")
since = parse_since(PERIODS[period]) if PERIODS[period] else None

# ---------------------------------------------------------------- one check
if check != ALL:
    page_no = st.session_state.get("ch_page", 1)
    try:
        h = eng.check_history(check, since=since, limit=100, offset=(page_no - 1) * 100)
    except BatchError as exc:
        st.error(core.error_text(exc))
        st.stop()
    s = h["summary"]
    st.subheader(h["check_name"])
    st.caption(
        f"{s['check_type']} on `{s['table_name'] or '—'}` · project **{h['project_id'] or '—'}** · "
        f"pipeline **{h['pipeline_id']}** · identity: project + pipeline + check name "
        "(a renamed check starts a new history)"
    )
    m = st.columns(5)
    m[0].metric("Latest run", status_mark(s["status"]))
    m[1].metric("Runs (all time)", f"{s['runs']:,}")
    ok = s["passed_runs"] / s["runs"] if s["runs"] else None
    m[2].metric("Runs passed", fmt.pct(ok))
    m[3].metric("Failed rows, latest", fmt.count(s["failed_rows"]))
    m[4].metric(
        "Pass rate, latest",
        fmt.pct(s["pass_rate"], 3),
        help=f"threshold {fmt.pct(s['threshold'], 3)}" if s["threshold"] is not None else None,
    )
    latest_band = ((h["runs"][0].get("observed") or {}).get("anomaly") if h["runs"] else None) or {}
    if latest_band.get("reason"):
        show = st.error if latest_band.get("state") == "anomaly" else st.caption
        show(f"Learned band, latest run in the period: {latest_band['reason']}")
    if not h["trend"]["points"]:
        st.info("No run of this check in the chosen period.", icon=":material/event_busy:")
    else:
        note = (
            f"one point per {h['trend']['bucket']} (more than 1,500 runs): bars show the worst "
            "failed rows, the line the mean pass rate, the mark the worst status of the period"
            if h["trend"]["bucket"]
            else "one point per run; the mark's colour is the run's status"
        )
        if has_band(h["runs"]):  # judged by a learned band: the band first, the counts after
            banded = eng.check_history(check, since=since, limit=500)["runs"]
            st.caption(
                "The judged metric inside the band each run was judged by (learned from earlier "
                "runs: median ± sensitivity × 1.4826 × MAD; the latest 500 runs)."
            )
            st.plotly_chart(anomaly_band_figure(banded), key="band", width="stretch")
        st.caption(f"Failed rows and pass rate, {note}; dashed: the threshold.")
        st.plotly_chart(check_trend_figure(h["trend"]), key="trend", width="stretch")
    total = h["total_runs"]
    pages = max(1, -(-total // 100))
    st.markdown(f"**Runs** · {total:,} in the period, newest first")
    if pages > 1:
        st.number_input("Page", 1, pages, key="ch_page", width=160)
    st.dataframe(
        runs_frame(h["runs"]),
        hide_index=True,
        width="stretch",
        column_config={
            "Job": st.column_config.LinkColumn("Job", display_text="open job"),
            "Pass rate": st.column_config.NumberColumn(format="percent"),
            "Threshold": st.column_config.NumberColumn(format="percent"),
        },
    )
    d1, d2, d3 = st.columns([1, 1, 4])
    core.download(
        d1,
        "CSV",
        lambda: eng.check_history_export(check, "csv", since=since),
        "check_history.csv",
        "ch_csv",
    )
    core.download(
        d2,
        "JSON",
        lambda: eng.check_history_export(check, "json", since=since),
        "check_history.json",
        "ch_json",
    )
    if s["sql"]:
        with st.expander("SQL of the latest run"):
            st.code(s["sql"], language="sql")
    st.page_link(
        PAGE_URL,
        label=f"All checks of pipeline {h['pipeline_id']}",
        query_params=pipeline_link(h["project_id"], h["pipeline_id"]),
        icon=":material/view_module:",
    )
    st.stop()

# ---------------------------------------------------------------- one pipeline
if pipeline != ALL:
    proj = None if project in (ALL, "-") else project
    with core.guard("Loading the pipeline's history"):
        m = eng.pipeline_history(pipeline, proj, since=since, max_runs=60)
        st.subheader(f"{m['project_id'] or '—'} · {pipeline}")
        st.caption(
            f"The latest {len(m['runs'])} of {m['total_runs']:,} runs in the period (one per "
            "validation attempt) × the pipeline's checks; a blank cell: the check did not run."
        )
        st.plotly_chart(pipeline_heatmap(m), key="strip", width="stretch")
        rows = [
            {
                "Check": c["check_name"],
                "Latest": status_mark(c["status"]),
                "Runs": c["runs"],
                "Failed runs": c["failed"],
                "Failed rows, latest": c["last_failed_rows"],
                "Pass rate, latest": c["last_pass_rate"],
                "History": f"{PAGE_URL_PATH}?{check_link(c['key'])}",
            }
            for c in m["checks"]
        ]
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            width="stretch",
            column_config={
                "History": st.column_config.LinkColumn("History", display_text="open history"),
                "Pass rate, latest": st.column_config.NumberColumn(format="percent"),
            },
        )
        d1, d2, _ = st.columns([1, 1, 4])
        core.download(
            d1,
            "CSV",
            lambda: eng.pipeline_history_export(pipeline, proj, "csv", since=since),
            "pipeline_history.csv",
            "pl_csv",
        )
        core.download(
            d2,
            "JSON",
            lambda: eng.pipeline_history_export(pipeline, proj, "json", since=since),
            "pipeline_history.json",
            "pl_json",
        )
    st.stop()

# ---------------------------------------------------------------- a project (or all)
proj = None if project == ALL else project
days = {"7d": 7, "30d": 30, "60d": 60, "90d": 90}.get(period, 7)
with core.guard("Loading the scorecard"):
    card = eng.quality_scorecard(proj, period=timedelta(days=days))
    now, prev = card["current"], card["previous"]
    st.subheader(f"Quality scorecard · {proj or 'all projects'}")
    st.caption(
        f"The last {days} days against the {days} days before. A check counts when it ran in the "
        "period and passes when its latest run of the period passed."
    )
    m = st.columns(4)
    m[0].metric(
        "Checks passing now",
        f"{now['passing']:,} of {now['checks']:,}",
        delta=None if not prev["checks"] else f"{now['passing'] - prev['passing']:+,} vs before",
    )
    m[1].metric(
        "Failing now",
        f"{now['failing']:,}",
        delta=None if not prev["checks"] else f"{now['failing'] - prev['failing']:+,}",
        delta_color="inverse",
    )
    m[2].metric("Could not run", f"{now['errors']:,}")
    rate_delta = (
        None
        if now["run_pass_rate"] is None or prev["run_pass_rate"] is None
        else f"{(now['run_pass_rate'] - prev['run_pass_rate']) * 100:+.1f} pts"
    )
    m[3].metric("Runs passed", fmt.pct(now["run_pass_rate"]), delta=rate_delta)
    report_button(st, eng, project_id=proj, days=days)
    if card["pipelines"]:
        st.markdown("**Pipelines**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Project": p["project_id"],
                        "Pipeline": p["pipeline_id"],
                        "Passing now": f"{p['passing']} of {p['checks']}",
                        "Before": f"{p['previous_passing']} of {p['previous_checks']}"
                        if p["previous_checks"]
                        else "—",
                        "History": f"{PAGE_URL_PATH}?"
                        + pipeline_link(p["project_id"], p["pipeline_id"], as_query=True),
                    }
                    for p in card["pipelines"]
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "History": st.column_config.LinkColumn("History", display_text="open pipeline")
            },
        )
    failing = [c for c in card["checks"] if c["status"] != "passed"]
    st.markdown(f"**Checks not passing now** · {len(failing):,}")
    if failing:
        frame, text_cols = fmt.dash_missing(
            pd.DataFrame(
                [
                    {
                        "Check": f"{c['pipeline_id']} · {c['check_name']}",
                        "Now": status_mark(c["status"]),
                        "Before": status_mark(c["previous_status"]),
                        "Failed rows": c["last_failed_rows"],
                        "Failed rows before": c["previous_failed_rows"],
                        "History": f"{PAGE_URL_PATH}?{check_link(c['key'])}",
                    }
                    for c in failing
                ]
            ),
            ["Failed rows", "Failed rows before"],
        )
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            column_config={
                "History": st.column_config.LinkColumn("History", display_text="open history"),
                **text_cols,
            },
        )
    else:
        st.success("Every check that ran in the period passes.", icon=":material/check_circle:")
