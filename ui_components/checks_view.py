"""Job Details › check results, led by what needs attention (issue 15 §5): the checks that did
not pass first — by severity (error before warn), then most failed rows — each with its figures,
sample and SQL; the passing checks folded below. Counts carry thousands separators, the
threshold sits beside each pass rate, and operations read `project · pipeline`."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from batchcore.engine import Engine
from batchcore.models import JobView
from batchcore.validation.checks import unit_of
from ui_components import details, fmt
from ui_components.status import status_cell, style_status

MAX_CHECK_PANELS = 100
MAX_ATTENTION_PANELS = 5  # failing checks shown as expanders; the others through a picker
SEVERITY_RANK = {"error": 0, "warn": 1}


def pipeline_title(c: dict[str, Any]) -> str:
    """`nycflights_migration · flights_validation`: the readable name of a check's operation."""
    if c.get("pipeline_id"):
        return (
            f"{c['project_id']} · {c['pipeline_id']}" if c.get("project_id") else c["pipeline_id"]
        )
    return c["operation_id"]


def attention_order(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The checks that did not pass, most urgent first: severity error before warn, then most
    failed rows (checks that could not run, without a count, last within their severity), then
    their order in the job."""
    bad = [c for c in checks if not c["passed"]]
    return sorted(
        bad,
        key=lambda c: (
            SEVERITY_RANK.get(c["severity"], 2),
            c["failed_rows"] is None,
            -(c["failed_rows"] or 0),
        ),
    )


def checks_frame(checks: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per check result, for the checks tables: what failed first, the pass rate and
    the threshold it needs side by side. Failed and Total count the check's Unit (rows, columns
    or metrics). Rates are for a `format="percent"` column: one under 1 never shows as 100 %."""
    return pd.DataFrame(
        {
            "Status": [status_cell(c["status"]) for c in checks],
            "Check": [c["check_name"] for c in checks],
            "Pipeline": [pipeline_title(c) for c in checks],
            "Failed": [c["failed_rows"] for c in checks],
            "Total": [c["total_rows"] for c in checks],
            "Unit": [unit_of(c["check_type"]) for c in checks],
            "Pass rate": [fmt.shown_rate(c["pass_rate"]) for c in checks],
            "Threshold": [fmt.shown_rate(c["threshold"]) for c in checks],
            "Severity": [c["severity"] for c in checks],
            "Type": [c["check_type"] for c in checks],
            "Table": [c["table_name"] or "" for c in checks],
            "Columns": [", ".join(c["columns"]) for c in checks],
        }
    )


COLUMN_CONFIG = {
    "Failed": st.column_config.NumberColumn("Failed", format="localized"),
    "Total": st.column_config.NumberColumn("Total", format="localized"),
    "Pass rate": st.column_config.ProgressColumn(
        "Pass rate", format="percent", min_value=0.0, max_value=1.0
    ),
    "Threshold": st.column_config.NumberColumn(
        "Threshold", format="percent", help="The pass rate the check needs"
    ),
}


def checks_table(checks: list[dict[str, Any]], key: str) -> None:
    """`checks_frame` as a table with the number and rate formats of COLUMN_CONFIG."""
    frame, text_cols = fmt.dash_missing(checks_frame(checks), ["Failed", "Total"])
    st.dataframe(
        style_status(frame),
        hide_index=True,
        column_config={**COLUMN_CONFIG, **text_cols},
        key=key,
        height=min(420, 38 + 35 * max(1, len(checks))),
    )


def check_title(c: dict[str, Any]) -> str:
    """`✗ dim_customer · not_null_email — 40 of 1,000 rows failed · pass rate 96.0% (needs 100%)`;
    counts in the check's unit (`1 of 3 columns failed` for a schema check)."""
    where = (
        c["table_name"] + (f".{', '.join(c['columns'])}" if c["columns"] else "")
        if c["table_name"]
        else ""
    )
    failed = (
        f"{fmt.count(c['failed_rows'])} of {fmt.count(c['total_rows'])} "
        f"{unit_of(c['check_type'])} failed"
        if c["failed_rows"] is not None
        else c["status"]
    )
    rate = "" if c["pass_rate"] is None else f" · pass rate {fmt.pct(c['pass_rate'])}"
    need = "" if c["threshold"] is None else f" (needs {fmt.pct(c['threshold'])})"
    esc = fmt.md_escape  # an expander label is markdown: names show as written
    on = f" on {esc(where)}" if where else ""
    return (
        f"{status_cell(c['status'])} · {esc(pipeline_title(c))} · "
        f"{esc(c['check_name'])} \\[{esc(c['check_type'])}{on}\\] — {failed}{rate}{need}"
    )


def sample_frame(sample: dict[str, Any]) -> pd.DataFrame:
    """A check's failing-row sample as a table Arrow can serialise: row_diff keys and values
    (lists, dicts) as JSON text, a column mixing types (aggregates' source/target) as text."""
    return fmt.arrow_safe(pd.DataFrame(sample["rows"], columns=sample.get("columns") or None))


def check_panel(c: dict[str, Any]) -> None:
    """Everything about one check: numbers, failing-row sample, the SQL it ran, error."""
    unit = unit_of(c["check_type"])
    cols = st.columns(5)
    cols[0].metric(f"Failed {unit}", fmt.count(c["failed_rows"]))
    cols[1].metric(f"Total {unit}", fmt.count(c["total_rows"]))
    cols[2].metric("Pass rate", fmt.pct(c["pass_rate"], 2))
    cols[3].metric("Threshold", fmt.pct(c["threshold"], 2))
    cols[4].metric(
        "Duplicate keys" if c["duplicate_keys"] is not None else "Severity",
        fmt.count(c["duplicate_keys"]) if c["duplicate_keys"] is not None else c["severity"],
    )
    if c["error"]:
        st.error(f"The check could not run: {fmt.md_escape(c['error'])}")
    sample = c.get("sample") or {}
    if sample.get("rows"):
        st.markdown(f"**Failing {unit} (sample of {len(sample['rows'])})**")
        st.dataframe(sample_frame(sample), hide_index=True)
    if c["sql"]:
        st.markdown("**SQL**")
        st.code(c["sql"], language="sql")
    if c.get("observed"):
        st.markdown("**Observed**")
        st.json(c["observed"], expanded=False)


def validates(job: JobView) -> bool:
    """Whether the job runs validation pipelines (the operations that produce check results)."""
    return any(o.operation_type.value == "pipeline_execution" for o in job.operations or [])


def attention_checks(checks: list[dict[str, Any]], job_id: str) -> None:
    """The checks that did not pass (`attention_order`) as a table, then the first
    MAX_ATTENTION_PANELS with their figures, sample and SQL in expanders (open when there are
    at most three), and any other one through a picker, so the page's next sections stay near."""
    bad = attention_order(checks)
    if not bad:
        return
    st.markdown(f"**{len(bad):,} of {len(checks):,} checks did not pass**")
    checks_table(bad, key=f"attention-{job_id}")
    for c in bad[:MAX_ATTENTION_PANELS]:
        with st.expander(check_title(c), expanded=len(bad) <= 3):
            check_panel(c)
    rest = bad[MAX_ATTENTION_PANELS:]
    if rest:
        pick = st.selectbox(
            f"The other {len(rest):,} checks that did not pass",
            range(len(rest)),
            format_func=lambda i: check_title(rest[i]).replace("\\", ""),
            index=None,
            placeholder="Pick one to see its figures, sample and SQL",
            key=f"attention-more-{job_id}",
        )
        if pick is not None:
            with st.container(border=True):
                check_panel(rest[pick])


def checks_section(eng: Engine, job: JobView, checks: list[dict[str, Any]]) -> None:
    """The "Check results" section below the operations: how many checks ran, and the passing
    ones folded in an expander (the failing ones lead the page, `attention_checks`). Left out
    entirely, heading included, for a job that has none and runs no validation."""
    if not checks and not validates(job):
        return
    st.subheader("Check results")
    if not checks:
        st.info(
            "No check results yet: they appear here as each validation operation finishes.",
            icon=":material/hourglass_empty:",
        )
        return
    good = [c for c in checks if c["passed"]]
    bad = len(checks) - len(good)
    st.caption(
        f"{len(checks):,} checks · {len(good):,} passed · {bad:,} not passed"
        + (" (listed first, under Needs attention)" if bad else "")
    )
    if not good:
        return
    with st.expander(f"Passing checks ({len(good):,})", expanded=not bad):
        checks_table(good, key=f"passing-{job.job_id}")
    if st.toggle(
        "Show each passing check's figures and SQL", key=f"checks-all-{job.job_id}", value=False
    ):
        for c in good[:MAX_CHECK_PANELS]:
            with st.expander(check_title(c)):
                check_panel(c)


def needs_attention(job: JobView, checks: list[dict[str, Any]]) -> None:
    """First on the page: the failed operations (`details.failures`) and the checks that did not
    pass (`attention_checks`) under "Needs attention"; a finished job with neither says so in
    one line. Nothing while a job without problems is still running."""
    failed_ops = [o for o in job.operations or [] if o.status.value == "failed"]
    bad = [c for c in checks if not c["passed"]]
    if not failed_ops and not bad:
        if job.status.is_terminal and job.status.value == "completed":
            what = f"all {len(checks):,} checks passed" if checks else "every operation completed"
            st.success(f"Nothing needs attention: {what}.", icon=":material/check_circle:")
        return
    st.subheader("Needs attention")
    details.failures(job)
    attention_checks(checks, job.job_id)
