"""Job Details: compare this run with the previous run of the same pipelines, or with a job the
user picks (issue 15 §3). The comparison comes from `Engine.compare_jobs`; this module renders."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from batchcore.engine import Engine
from batchcore.export import comparison_csv, comparison_json
from batchcore.models import JobView
from batchcore.store.compare import JobComparison
from ui_components import fmt
from ui_components.core import download
from ui_components.status import status_colour

PREVIOUS, OTHER = "Previous run", "Another job"
PICK_FROM = 200  # recent jobs offered in the picker
CHANGE_LABELS = {
    "newly_failing": "✗ newly failing",
    "still_failing": "✗ still failing",
    "new": "+ new check",
    "fixed": "✓ fixed",
    "removed": "− removed",
    "not_run": "○ not run",
    "passing": "✓ passing",
}
OPERATION_LABELS = {
    "newly_errored": "could not run (newly)",
    "still_errored": "still could not run",
    "no_longer_errored": "runs again",
}


def job_label(job: JobView) -> str:
    """`nightly A · partial success · 2026-12-05 11:40:02` for the picker."""
    return f"{job.name} · {job.status.value.replace('_', ' ')} · {fmt.ts(job.created_at)}"


def compare_section(eng: Engine, job: JobView) -> None:
    """The "Compare runs" section: pick the previous run or another job, then what changed. Left
    out for a job that runs no validation (nothing to compare but operations)."""
    if not any(o.operation_type.value == "pipeline_execution" for o in job.operations or []):
        return
    st.subheader("Compare runs")
    mode = st.segmented_control(
        "Compare this run with",
        [PREVIOUS, OTHER],
        key=f"cmp-mode-{job.job_id}",
        help="The previous run: the newest earlier finished job that ran the same pipelines.",
    )
    if mode is None:
        st.caption(
            "What changed since the previous run of the same pipelines (or any job you pick): "
            "checks newly failing, fixed, still failing with their figures, new and removed "
            "checks, operations that could not run."
        )
        return
    if mode == PREVIOUS:
        other = eng.previous_run(job.job_id)
        if other is None:
            st.info(
                "No earlier finished job ran any of these pipelines: nothing to compare with yet.",
                icon=":material/info:",
            )
            return
    else:
        recent, _ = eng.list_jobs(limit=PICK_FROM)
        choices = {j.job_id: job_label(j) for j in recent if j.job_id != job.job_id}
        other = st.selectbox(
            "Job to compare with (the reference run, A)",
            list(choices),
            format_func=choices.__getitem__,
            index=None,
            placeholder="Pick a job",
            key=f"cmp-other-{job.job_id}",
        )
        if other is None:
            return
    show_comparison(eng.compare_jobs(other, job.job_id))


def changes_frame(cmp: JobComparison, *, include_passing: bool = False) -> pd.DataFrame:
    """One row per check that changed or fails (passing-in-both left out unless asked), in the
    comparison's order: newly failing first, the largest increase of failed rows first."""
    rows = [c for c in cmp.checks if include_passing or c.change != "passing"]
    return pd.DataFrame(
        {
            "Change": [CHANGE_LABELS[c.change] for c in rows],
            "Pipeline": [
                f"{c.project_id} · {c.pipeline_id}" if c.project_id else (c.pipeline_id or "")
                for c in rows
            ],
            "Check": [c.check_name for c in rows],
            "Status A → B": [f"{c.status_a or '—'} → {c.status_b or '—'}" for c in rows],
            "Failed A": [fmt.count(c.failed_rows_a) for c in rows],
            "Failed B": [fmt.count(c.failed_rows_b) for c in rows],
            "Δ failed": [
                "" if not c.failed_rows_delta else f"{c.failed_rows_delta:+,}" for c in rows
            ],
            "Total B": [fmt.count(c.total_rows_b) for c in rows],
            "Pass rate A": [fmt.pct(c.pass_rate_a) for c in rows],
            "Pass rate B": [fmt.pct(c.pass_rate_b) for c in rows],
            "Threshold": [fmt.pct(c.threshold) for c in rows],
            "Error in B": [(c.error_b or "").splitlines()[0] if c.error_b else "" for c in rows],
        }
    )


CHANGE_COLOURS = {
    CHANGE_LABELS["newly_failing"]: status_colour("failed"),
    CHANGE_LABELS["still_failing"]: status_colour("partial_success"),
    CHANGE_LABELS["fixed"]: status_colour("completed"),
}


def _change_style(value: object) -> str:
    colour = CHANGE_COLOURS.get(str(value))
    return f"color: {colour}; font-weight: 600" if colour else ""


def show_comparison(cmp: JobComparison) -> None:
    """Counts, operations that could not run, the table of changed checks, passing ones folded,
    and the CSV / JSON exports."""
    a, b = cmp.job_a, cmp.job_b
    st.markdown(
        f"**A** {fmt.md_escape(a.name)} · {fmt.ts(a.created_at)} &nbsp;→&nbsp; "
        f"**B** {fmt.md_escape(b.name)} · {fmt.ts(b.created_at)} (this job)"
    )
    cc, oc = cmp.check_counts, cmp.operation_counts
    cols = st.columns(7)
    for col, (label, n) in zip(
        cols,
        [
            ("Newly failing", cc["newly_failing"]),
            ("Still failing", cc["still_failing"]),
            ("Fixed", cc["fixed"]),
            ("New checks", cc["new"]),
            ("Removed", cc["removed"]),
            ("Not run", cc["not_run"]),
            ("Ops newly errored", oc["newly_errored"]),
        ],
        strict=True,
    ):
        col.metric(label, f"{n:,}")
    for o in cmp.operations:
        if o.change in OPERATION_LABELS:
            text = f"**{fmt.md_escape(o.title)}** {OPERATION_LABELS[o.change]}"
            if o.error_b and o.change != "no_longer_errored":
                text += ": " + fmt.md_escape(o.error_b.splitlines()[0][:300])
            if o.change == "no_longer_errored":
                st.success(text, icon=":material/check_circle:")
            else:
                st.error(text, icon=":material/error:")
    changed = changes_frame(cmp)
    if changed.empty:
        st.success(
            f"Nothing changed: the {cc['passing']:,} checks of both runs pass.",
            icon=":material/check_circle:",
        )
    else:
        st.dataframe(
            changed.style.map(_change_style, subset=["Change"]),
            hide_index=True,
            key=f"cmp-table-{a.job_id}-{b.job_id}",
        )
    if cc["passing"]:
        with st.expander(f"Passing in both runs ({cc['passing']:,})"):
            passing = changes_frame(cmp, include_passing=True)
            st.dataframe(
                passing[passing["Change"] == CHANGE_LABELS["passing"]].drop(
                    columns=["Change", "Error in B"]
                ),
                hide_index=True,
            )
    c1, c2, _ = st.columns([1, 1, 3])
    name = f"compare-{a.job_id}-{b.job_id}"
    download(c1, "Comparison CSV", lambda: comparison_csv(cmp), f"{name}.csv", "cmp-csv")
    download(c2, "Comparison JSON", lambda: comparison_json(cmp), f"{name}.json", "cmp-json")
