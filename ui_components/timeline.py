"""Job Details › Run timeline (issue 15 §5): a Gantt chart of where a job's time went — one row
per operation (`project · pipeline`), one bar per attempt coloured by how it ended, the waits
between them (queued after the job started, backoff before a retry) as grey bars, the attempt
running now up to this moment and a scheduled retry up to its time.

Times are UTC. Segments come from the stored attempts (start, end, status) and the operations'
current state; nothing is estimated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from batchcore.engine import Engine
from batchcore.models import JobView
from batchcore.timeutil import utcnow
from ui_components import fmt
from ui_components.charts import label
from ui_components.details import op_title
from ui_components.status import ERROR_COLOUR, status_colour

MAX_ROWS = 60  # operations drawn; a bigger job shows the first ones and says so
WAIT_COLOUR = "#d0d7de"
ATTEMPT_COLOURS = {
    "completed": status_colour("completed"),
    "failed": status_colour("failed"),
    "error": ERROR_COLOUR,
    "timed_out": ERROR_COLOUR,
    "interrupted": status_colour("cancelling"),
    "cancelled": status_colour("cancelled"),
    "running": status_colour("running"),
    "queued": WAIT_COLOUR,
    "retry wait": WAIT_COLOUR,
}
KIND_LABELS = {
    "queued": "waiting to start",
    "retry wait": "waiting to retry",
    "timed_out": "timed out",
}


def attempt_kind(a: dict[str, Any]) -> str:
    """How an attempt ended, as its bar shows it: a failed attempt whose failure_kind is
    `error` (its checks could not run) is `error`, like the status chip; else its status."""
    if a["status"] == "failed" and a.get("failure_kind") == "error":
        return "error"
    return a["status"]


def segments(job: JobView, attempts: list[dict[str, Any]], now: datetime) -> pd.DataFrame:
    """The bars of the timeline, one row per segment: `Operation` (title), `Attempt` (number,
    0 for a wait), `Kind` (attempt status, `running`, `queued` or `retry wait`), `Start`,
    `End` (aware UTC) and `Duration` (text). Operations in job order; never-started ones have
    no bar."""
    by_op: dict[str, list[dict[str, Any]]] = {}
    for a in attempts:
        by_op.setdefault(a["operation_id"], []).append(a)
    rows: list[dict[str, Any]] = []

    def add(title: str, attempt: int, kind: str, start, end) -> None:
        if start is None or end is None or end <= start:
            return
        rows.append(
            {
                "Operation": title,
                "Attempt": attempt,
                "Kind": kind,
                "Start": start,
                "End": end,
                "Duration": fmt.duration((end - start).total_seconds() * 1000),
            }
        )

    for op in job.operations or []:
        title = op_title(op)
        done = sorted(by_op.get(op.operation_id, []), key=lambda a: a["attempt"])
        prev_end = job.started_at
        for a in done:
            start = a["started_at"]
            add(title, 0, "queued" if a["attempt"] == 1 else "retry wait", prev_end, start)
            add(title, a["attempt"], attempt_kind(a), start, a["finished_at"])
            prev_end = a["finished_at"] or prev_end
        if op.status.value == "running" and op.duration_ms is not None:
            start = now - pd.Timedelta(milliseconds=op.duration_ms)
            add(title, 0, "queued" if not done else "retry wait", prev_end, start)
            add(title, op.attempts, "running", start, now)
        elif op.status.value == "pending" and op.next_attempt_at is not None and done:
            add(title, 0, "retry wait", prev_end, max(op.next_attempt_at, now))
    return pd.DataFrame(rows, columns=["Operation", "Attempt", "Kind", "Start", "End", "Duration"])


def tick_format(span_s: float) -> str:
    """Time-axis labels that differ from tick to tick: milliseconds for a run under 10 s,
    seconds under 2 hours, minutes beyond."""
    if span_s < 10:
        return "%H:%M:%S.%L"
    return "%H:%M:%S" if span_s < 7200 else "%b %d %H:%M"


def figure(seg: pd.DataFrame, order: list[str]) -> go.Figure:
    """A horizontal bar per segment on a time axis; operations top to bottom in job order."""
    fig = go.Figure()
    for kind, part in seg.groupby("Kind", sort=False):
        ms = (part["End"] - part["Start"]).dt.total_seconds() * 1000
        name = KIND_LABELS.get(str(kind), str(kind))
        fig.add_bar(
            base=part["Start"],
            x=ms,
            y=[label(t) for t in part["Operation"]],
            orientation="h",
            name=name,
            marker_color=ATTEMPT_COLOURS.get(str(kind), WAIT_COLOUR),
            customdata=list(zip(part["Attempt"], part["Duration"], strict=True)),
            hovertemplate=(
                "%{y}<br>"
                + name
                + " · attempt %{customdata[0]}<br>%{base|%H:%M:%S.%L} → %{customdata[1]}<extra></extra>"
            ),
        )
    fig.update_layout(
        barmode="overlay",
        height=max(180, 70 + 34 * len(order)),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        xaxis={
            "type": "date",
            "title": "time (UTC)",
            "nticks": 6,
            "tickformat": tick_format((seg["End"].max() - seg["Start"].min()).total_seconds()),
        },
        yaxis={
            "categoryorder": "array",
            "categoryarray": [label(t) for t in reversed(order)],
            "title": "",
            "automargin": True,
        },
    )
    return fig


def timeline_section(eng: Engine, job: JobView) -> None:
    """The "Run timeline" section: the Gantt chart of `segments`, or a line saying why there is
    none yet (the job has not started)."""
    st.subheader("Run timeline")
    ops = job.operations or []
    if job.started_at is None or not ops:
        st.caption("The timeline appears once the job starts.")
        return
    seg = segments(job, eng.attempts(job.job_id), utcnow())
    if seg.empty:
        st.caption("No operation has started yet.")
        return
    order = [op_title(o) for o in ops if op_title(o) in set(seg["Operation"])]
    if len(order) > MAX_ROWS:
        st.caption(f"The first {MAX_ROWS} of {len(order):,} operations that ran.")
        order = order[:MAX_ROWS]
        seg = seg[seg["Operation"].isin(order)]
    retries = int((seg["Kind"] == "retry wait").sum())
    waited = seg.loc[seg["Kind"].isin(["queued", "retry wait"])]
    wait_ms = (waited["End"] - waited["Start"]).dt.total_seconds().sum() * 1000
    st.caption(
        f"{len(order):,} operations · {int((seg['Attempt'] > 0).sum()):,} attempts · "
        f"{retries:,} retries · time spent waiting (queued or before a retry) "
        f"{fmt.duration(wait_ms)} in all"
    )
    st.plotly_chart(
        figure(seg, order),
        key=f"timeline-{job.job_id}",
        config={"displaylogo": False},
    )
