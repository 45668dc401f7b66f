"""Plotly figures of check history, shared by the Check history page and the review report.

Names from the store are user-controlled and Plotly renders a subset of HTML in labels and
hover text: every label taken from data goes through `label()` (escaped).
"""

from __future__ import annotations

import html
import math
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

STATUS_COLOURS = {
    "passed": "#2e7d32",
    "warned": "#f9a825",
    "failed": "#c62828",
    "error": "#6a1b9a",
}
STATUS_ORDER = ("passed", "warned", "failed", "error")
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}


def label(value: Any) -> str:
    """`value` as literal chart text (`&`, `<`, `>` escaped)."""
    return html.escape(str(value), quote=False)


def _fmt_int(v: Any) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{round(v):,}"


def check_trend_figure(trend: dict[str, Any], *, title: str | None = None) -> go.Figure:
    """Failed rows (bars, left axis) and pass rate (line, right axis, %) over time, the
    threshold drawn as a dashed line, each run's status as the colour of its mark.

    `trend`: the answer of Engine.check_history(...)["trend"] (per run, or per period with the
    period's worst status)."""
    pts = trend["points"]
    per = trend.get("bucket")
    t = [p["t"] for p in pts]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    failed = [p["max_failed_rows"] if per else p["failed_rows"] for p in pts]
    fig.add_trace(
        go.Bar(
            x=t,
            y=failed,
            name="failed rows" + (f" (worst of the {per})" if per else ""),
            marker_color="rgba(198, 40, 40, 0.45)",
            hovertemplate="%{x}<br>failed rows %{y:,}<extra></extra>",
        ),
        secondary_y=False,
    )
    rate = [None if p["pass_rate"] is None else p["pass_rate"] * 100 for p in pts]
    fig.add_trace(
        go.Scatter(
            x=t,
            y=rate,
            mode="lines+markers",
            name="pass rate" + (f" (mean of the {per})" if per else ""),
            line={"color": "#1565c0", "width": 2},
            marker={
                "color": [STATUS_COLOURS.get(p["status"], "#757575") for p in pts],
                "size": 9 if len(pts) <= 200 else 6,
                "line": {"color": "white", "width": 1},
            },
            customdata=[[p["status"], p["runs"]] for p in pts],
            hovertemplate="%{x}<br>pass rate %{y:.3f}%<br>%{customdata[0]} (%{customdata[1]} runs)<extra></extra>",
        ),
        secondary_y=True,
    )
    thresholds = [p["threshold"] for p in pts if p.get("threshold") is not None]
    if thresholds:
        thr = thresholds[-1] * 100
        fig.add_trace(
            go.Scatter(
                x=[t[0], t[-1]] if len(t) > 1 else t * 2,
                y=[thr, thr],
                mode="lines",
                name=f"threshold {thr:g}%",
                line={"color": "#424242", "dash": "dash", "width": 1.5},
                hoverinfo="skip",
            ),
            secondary_y=True,
        )
    for status in STATUS_ORDER:  # legend entries for the status colours
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=status,
                marker={"color": STATUS_COLOURS[status], "size": 9},
                showlegend=any(p["status"] == status for p in pts),
            ),
            secondary_y=True,
        )
    lows = [r for r in rate if r is not None] + ([thresholds[-1] * 100] if thresholds else [])
    low = min(lows) if lows else 0
    pad = max((100 - low) * 0.25, 0.05)
    top = max((f for f in failed if f is not None), default=0)
    fig.update_yaxes(
        title_text="failed rows",
        rangemode="tozero",
        tickformat=",d",
        secondary_y=False,
        **({"range": [0, 1], "dtick": 1} if not top else {"dtick": 1} if top <= 8 else {}),
    )
    fig.update_yaxes(
        title_text="pass rate %",
        range=[max(0, low - pad), min(100 + pad * 0.5, 101)],
        secondary_y=True,
        showgrid=False,
        tickmode="auto",
        nticks=6,
    )
    fig.update_layout(
        title=label(title) if title else None,
        height=380,
        margin={"l": 60, "r": 60, "t": 40 if title else 20, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        font=FONT,
        bargap=0.2,
        hovermode="closest",
    )
    return fig


def pipeline_heatmap(matrix: dict[str, Any], *, title: str | None = None) -> go.Figure:
    """The pipeline's runs (x, oldest first) × checks (y, the latest run's order, top down) as
    coloured cells (passed, warned, failed, error; blank: the check did not run)."""
    runs, checks = matrix["runs"], matrix["checks"]
    names = [c["check_name"] for c in checks]
    row = {n: i for i, n in enumerate(names)}
    code = {s: i for i, s in enumerate(STATUS_ORDER)}
    z: list[list[float | None]] = [[None] * len(runs) for _ in names]
    text: list[list[str]] = [[""] * len(runs) for _ in names]
    for c in matrix["cells"]:
        i, j = row.get(c["check_name"]), c["run"]
        if i is None:
            continue
        z[i][j] = code.get(c["status"])
        text[i][j] = (
            f"{label(c['check_name'])}<br>{label(runs[j]['run_at'])}<br>{c['status']}, "
            f"failed rows {_fmt_int(c['failed_rows'])}"
        )
    n = len(STATUS_ORDER)
    scale = []
    for i, s in enumerate(STATUS_ORDER):
        scale += [[i / n, STATUS_COLOURS[s]], [(i + 1) / n, STATUS_COLOURS[s]]]
    x = [str(r["run_at"])[:16].replace("T", " ") for r in runs]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(len(runs))),
            y=list(range(len(names))),
            text=text,
            hovertemplate="%{text}<extra></extra>",
            colorscale=scale,
            zmin=-0.5,
            zmax=n - 0.5,
            xgap=2,
            ygap=2,
            showscale=False,
        )
    )
    for s in STATUS_ORDER:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=s,
                marker={"color": STATUS_COLOURS[s], "size": 10, "symbol": "square"},
            )
        )
    step = max(1, len(runs) // 8)
    fig.update_xaxes(
        tickvals=list(range(0, len(runs), step)),
        ticktext=[x[i] for i in range(0, len(runs), step)],
        title_text="run (oldest → newest)",
    )
    fig.update_yaxes(
        autorange="reversed",
        automargin=True,
        tickmode="array",
        tickvals=list(range(len(names))),
        ticktext=[label(n) for n in names],
    )
    fig.update_layout(
        title=label(title) if title else None,
        height=max(220, 60 + 28 * len(names)),
        margin={"l": 20, "r": 20, "t": 40 if title else 10, "b": 60},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        font=FONT,
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


ANOMALY_COLOURS = {"normal": "#2e7d32", "anomaly": "#c62828", "learning": "#9e9e9e"}


def has_band(runs: list[dict[str, Any]]) -> bool:
    """Whether any of the runs carries a learned-band verdict (`observed.anomaly`)."""
    return any(isinstance((r.get("observed") or {}).get("anomaly"), dict) for r in runs)


def anomaly_band_figure(runs: list[dict[str, Any]], *, title: str | None = None) -> go.Figure:
    """The judged metric per run (line; mark colour: normal, anomaly, learning) inside the band
    each run was judged by (shaded: median ± sensitivity × 1.4826 × MAD). `runs`: check runs
    (any order) whose `observed.anomaly` holds the verdict stored when they ran."""
    pts = sorted(
        (
            (r["run_at"], r["observed"]["anomaly"])
            for r in runs
            if isinstance((r.get("observed") or {}).get("anomaly"), dict)
        ),
        key=lambda p: p[0],
    )
    t = [p[0] for p in pts]
    a = [p[1] for p in pts]
    metric = next((x.get("metric") for x in a if x.get("metric")), "value")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=t,
            y=[x.get("upper") for x in a],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
            connectgaps=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=[x.get("lower") for x in a],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(21, 101, 192, 0.15)",
            name="learned band",
            hoverinfo="skip",
            connectgaps=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=[x.get("median") for x in a],
            mode="lines",
            line={"color": "rgba(21, 101, 192, 0.6)", "dash": "dot", "width": 1},
            name="median",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=[x.get("value") for x in a],
            mode="lines+markers",
            name=label(metric),
            line={"color": "#424242", "width": 1.5},
            marker={
                "color": [ANOMALY_COLOURS.get(x.get("state"), "#757575") for x in a],
                "size": 8 if len(a) <= 200 else 5,
            },
            text=[label(x.get("reason") or "") for x in a],
            hovertemplate="%{x}<br>%{y:,}<br>%{text}<extra></extra>",
        )
    )
    for state, colour in ANOMALY_COLOURS.items():
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=state,
                marker={"color": colour, "size": 8},
                showlegend=any(x.get("state") == state for x in a),
            )
        )
    fig.update_yaxes(title_text=label(metric), tickformat=",")
    fig.update_layout(
        title=label(title) if title else None,
        height=340,
        margin={"l": 60, "r": 20, "t": 40 if title else 20, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        font=FONT,
        hovermode="closest",
    )
    return fig
