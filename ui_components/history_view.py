"""Pieces of the Check history page (pages/check_history.py) and the links other pages make to it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pandas as pd

from batchcore.history import CheckKey
from batchcore.validation.anomaly import fmt_value
from ui_components import fmt

ALL = "(all)"
PAGE_URL = "pages/check_history.py"  # st.page_link / st.switch_page path
PAGE_URL_PATH = "check-history"  # url_path in ui.py (LinkColumn cells)
DETAILS_URL_PATH = "job"
PERIODS = {"7d": "7d", "30d": "30d", "60d": "60d", "90d": "90d", "all": None}
# plain symbols (every font has them; emoji are missing from many servers' and kiosks' fonts)
MARKS = {"passed": "✓ passed", "failed": "✗ failed", "warned": "! warned", "error": "⊘ error"}


def status_mark(status: str | None) -> str:
    """A status with its mark (`✗ failed`); `—` for none."""
    return MARKS.get(status or "", status or "—")


def check_params(key: str) -> dict[str, str]:
    """Query parameters of one check's history view."""
    k = CheckKey.parse(key)
    return {"project": k.project_id or "-", "pipeline": k.pipeline_id, "check": key}


def check_link(key: str) -> str:
    """The query string of one check's history view (for LinkColumn cells)."""
    return urlencode(check_params(key))


def pipeline_link(
    project_id: str | None, pipeline_id: str, *, as_query: bool = False
) -> dict[str, str] | str:
    """Query parameters (or the query string) of a pipeline's history view."""
    p = {"project": project_id or "-", "pipeline": pipeline_id}
    return urlencode(p) if as_query else p


def observed_text(observed: dict[str, Any] | None, limit: int = 160) -> str:
    """A run's observed values in one line (`null_count=3, row_count=1,200`); a learned band's
    verdict reads `band: anomaly (12,400 outside 9,800 – 11,900)`."""
    if not observed:
        return ""
    parts = []
    for k, v in observed.items():
        if k == "anomaly" and isinstance(v, dict):
            band = (
                f" ({fmt_value(v['value'])} vs {fmt_value(v['lower'])} – {fmt_value(v['upper'])})"
                if v.get("lower") is not None and v.get("value") is not None
                else ""
            )
            parts.append(f"band: {v.get('state')}{band}")
        elif isinstance(v, int | float) and not isinstance(v, bool):
            parts.append(f"{k}={fmt_value(float(v))}")
        elif v is not None:
            parts.append(f"{k}={v}")
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def runs_frame(runs: list[dict[str, Any]]) -> pd.DataFrame:
    """The runs table: newest first, counts as numbers, a link to each run's job."""
    rows = [
        {
            "Run at (UTC)": fmt.ts(r["run_at"]),
            "Status": status_mark(r["status"]),
            "Failed rows": r["failed_rows"],
            "Total rows": r["total_rows"],
            "Pass rate": fmt.shown_rate(r["pass_rate"]),
            "Threshold": r["threshold"],
            "Observed": observed_text(r["observed"]),
            "Duration": fmt.duration(r["duration_ms"]),
            "Job": f"{DETAILS_URL_PATH}?job_id={r['job_id']}",
            "Job name": r["job_name"] or "",
            "Attempt": r["attempt"],
            "Error": r["error"] or "",
        }
        for r in runs
    ]
    return pd.DataFrame(rows)


def job_history_links(job: Any, eng: Any = None, limit: int = 8) -> None:
    """Links from Job Details to the history of each pipeline the job validated (at most
    `limit`, then a link to the project's scorecard), and the job's review report button."""
    import streamlit as st

    pipes = []
    for op in job.operations or []:
        meta = op.metadata or {}
        if op.operation_type == "pipeline_execution" and meta.get("pipeline_id"):
            p = (meta.get("project_id"), meta["pipeline_id"])
            if p not in pipes:
                pipes.append(p)
    if not pipes:
        return
    # one wrapping row of links at their own width: whole names (fixed columns cut them)
    with st.container(horizontal=True, wrap=True, gap="small", key="check-history-links"):
        for proj, pl in pipes[:limit]:
            st.page_link(
                PAGE_URL,
                label=f"Check history · {pl}",
                query_params=pipeline_link(proj, pl),
                icon=":material/timeline:",
                width="content",
            )
    if len(pipes) > limit:
        st.page_link(
            PAGE_URL,
            label=f"Quality scorecard ({len(pipes)} pipelines)",
            query_params={"project": job.project_id} if job.project_id else {},
            icon=":material/timeline:",
        )
    if eng is not None and job.status.is_terminal:
        report_button(st, eng, job_id=job.job_id, key="job_review_report")


def anomalies_block(eng: Any, start: Any, end: Any, project_id: str | None) -> None:
    """Analytics: the check runs that learned alert bands flagged in the selected scope (created
    range and project), newest first, each linking to its check's history."""
    import streamlit as st

    rows, total = eng.anomalies(project_id=project_id, since=start, until=end, limit=200)
    if not total:
        st.caption("No anomaly: no check with a learned band ran outside it in this range.")
        return
    st.warning(
        f"**{total:,} anomal{'y' if total == 1 else 'ies'}** in this range: check runs outside "
        "the band learned from their own history (median ± sensitivity × 1.4826 × MAD).",
        icon=":material/troubleshoot:",
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Run at (UTC)": fmt.ts(r["run_at"]),
                    "Check": f"{r['pipeline_id']} · {r['check_name']}",
                    "Metric": r["metric"],
                    "Value": r["value"],
                    "Band": f"{fmt_value(r['lower'])} – {fmt_value(r['upper'])}"
                    if r["lower"] is not None
                    else "",
                    "Why": r["reason"],
                    "History": f"{PAGE_URL_PATH}?{check_link(r['key'])}",
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "History": st.column_config.LinkColumn("History", display_text="open history")
        },
    )


def report_button(
    where: Any,
    eng: Any,
    *,
    job_id: str | None = None,
    project_id: str | None = None,
    days: float | None = None,
    key: str = "review_report",
) -> None:
    """A download button for the review report (one self-contained HTML file, made when
    clicked): of a job, or of a project (None: all) over the last `days` days."""
    from datetime import timedelta

    from batchcore.timeutil import utcnow
    from ui_components import core

    def make() -> str:
        if job_id:
            return eng.review_report(job_id=job_id)
        return eng.review_report(project_id=project_id, since=utcnow() - timedelta(days=days or 7))

    stem = job_id or project_id or "all_projects"
    core.download(
        where,
        "Review report (HTML)",
        make,
        f"review_{stem}.html",
        key,
        help="One self-contained HTML file (charts embedded, opens offline, prints to PDF): "
        "scorecard, changes, anomalies, failing checks with samples and SQL, trends, metadata.",
    )
