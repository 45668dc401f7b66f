"""Plotly figures of the Analytics page and the block that shows one with its downloads.

Every chart can leave the app: the modebar camera saves a PNG, and each block offers the
figure as standalone HTML plus the numbers behind it as CSV and JSON.

Names from the store (jobs, pipelines, checks) are user-controlled, and Plotly renders a subset
of HTML (`<b>`, `<a href>`, `<br>`, ...) in tick labels, legends and hover text: every label
taken from data goes through `label()`, which escapes it. The downloaded numbers keep the raw names.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from batchcore.export import frame_csv
from ui_components.core import download
from ui_components.status import JOB_STATUS_COLOURS, kind_label, status_label, type_label

TOP_SERIES = 10
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0}

# Time axes: one point per period (batchcore.analytics.BUCKETS). Ticks are a whole number of
# periods apart, from this list while it gives at most MAX_TICKS ticks.
BUCKET_MS = {"hour": 3_600_000, "day": 86_400_000, "week": 7 * 86_400_000}
TICK_STEPS = {"hour": (1, 2, 3, 6, 12, 24), "day": (1, 2, 7, 14, 28), "week": (1, 2, 4, 13, 26, 52)}
HOVER_FORMAT = {"hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d", "week": "week of %Y-%m-%d"}
MAX_TICKS = 8


def label(value: Any) -> str:
    """`value` as chart text that Plotly shows literally: `&`, `<` and `>` become entities
    (Plotly decodes those, and no tag or link is left to render). Quotes stay as they are:
    outside a tag they mean nothing to Plotly, which would show `&quot;` as typed."""
    return html.escape(str(value), quote=False)


def chart_block(
    title: str,
    fig: go.Figure | None,
    data: pd.DataFrame,
    name: str,
    *,
    caption: str = "",
    empty: str = "No data in this range.",
) -> None:
    """A bordered block: title, the chart (or `empty`), and PNG / HTML / CSV / JSON downloads."""
    with st.container(border=True, key=f"chart-{name}"):
        st.markdown(f"**{title}**")
        if caption:
            st.caption(caption)
        if fig is None or data.empty:
            st.info(empty, icon=":material/bar_chart:")
            return
        fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend_title_text="")
        st.plotly_chart(
            fig,
            key=f"fig-{name}",
            config={
                "displaylogo": False,
                "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2},
            },
        )
        c = st.columns(3)
        frame_downloads(c, data, name, name)
        download(
            c[2],
            "Chart (HTML)",
            lambda: fig.to_html(include_plotlyjs=True, full_html=True),
            f"{name}.html",
            f"dl-{name}-html",
            help="Interactive chart that opens in any browser, offline.",
        )


def frame_downloads(cols: list, data: pd.DataFrame, file_stem: str, key_stem: str) -> None:
    """`data` as CSV (the product's one writer, formula-safe) and as JSON records (ISO dates) in
    the first two of `cols`: files `<file_stem>.csv|json`, widget keys `dl-<key_stem>-csv|json`."""
    download(cols[0], "CSV", lambda: frame_csv(data), f"{file_stem}.csv", f"dl-{key_stem}-csv")
    download(
        cols[1],
        "JSON",
        lambda: data.to_json(orient="records", date_format="iso", indent=2),
        f"{file_stem}.json",
        f"dl-{key_stem}-json",
    )


def _series(df: pd.DataFrame, column: str) -> list:
    """Distinct values of `column` in first-seen order."""
    return list(dict.fromkeys(df[column].tolist()))


def status_donut(df: pd.DataFrame) -> go.Figure:
    """Jobs per status (columns status, jobs), in the status colours."""
    fig = go.Figure(
        go.Pie(
            labels=[label(status_label(s)) for s in df["status"]],
            values=df["jobs"].tolist(),
            hole=0.55,
            sort=False,
            marker={"colors": [JOB_STATUS_COLOURS.get(s, "#8c959f") for s in df["status"]]},
        )
    )
    return fig


def type_bars(df: pd.DataFrame) -> go.Figure:
    """Jobs per type stacked by status (columns job_type, status, jobs)."""
    fig = go.Figure()
    for status in _series(df, "status"):
        d = df[df["status"] == status]
        fig.add_trace(
            go.Bar(
                x=d["jobs"].tolist(),
                y=[label(type_label(t)) for t in d["job_type"]],
                orientation="h",
                name=label(status_label(status)),
                marker_color=JOB_STATUS_COLOURS.get(status, "#8c959f"),
            )
        )
    totals = df.groupby("job_type")["jobs"].sum() if not df.empty else pd.Series([0])
    return fig.update_layout(
        barmode="stack",
        xaxis_title="jobs",
        xaxis=count_axis(float(totals.max())),
        legend=LEGEND_BELOW,
    )


def time_axis(
    periods: Iterable[datetime], bucket: str, max_ticks: int = MAX_TICKS
) -> dict[str, Any]:
    """x-axis settings for points that are `bucket` periods (hour, day, week) starting at
    `periods`: a tick every k periods (k from TICK_STEPS, the smallest giving at most `max_ticks`
    ticks; never less than one period, so no milliseconds or the same date twice), from the first
    period (from its midnight once ticks are a day or more apart); the range padded by half a
    period each side (a single point sits in the middle); hover dates to the period."""
    ts = pd.to_datetime(pd.Series(list(periods))).dropna()
    if ts.empty:
        return {}
    size = BUCKET_MS[bucket]
    first, last = ts.min(), ts.max()
    n = int((last - first) / pd.Timedelta(milliseconds=size)) + 1
    steps = TICK_STEPS[bucket]
    k = next((k for k in steps if math.ceil(n / k) <= max_ticks), None)
    if k is None:  # a long span in small periods (e.g. hours over a year): multiples of the last
        k = steps[-1] * math.ceil(n / (max_ticks * steps[-1]))
    dtick = k * size
    tick0 = first.floor("D") if dtick >= BUCKET_MS["day"] else first
    pad = pd.Timedelta(milliseconds=size / 2)
    return {
        "type": "date",
        "tick0": tick0.isoformat(),
        "dtick": dtick,
        "range": [(first - pad).isoformat(), (last + pad).isoformat()],
        "hoverformat": HOVER_FORMAT[bucket],
        "automargin": True,  # room for the second label line (the date or year, where it changes)
    }


FEW_PERIODS = 2  # up to this many periods, a time chart draws labelled bars, not lines


def _lines(
    df: pd.DataFrame,
    series: str,
    value: str,
    bucket: str,
    *,
    label_fn: Callable[[Any], str] | None = None,
    hover: tuple[list[str], str] | None = None,
    text: str = "%{y:.3s}",
) -> go.Figure:
    """One line per value of `series` (in first-seen order): `value` over `period` (one point
    per `bucket` period, see `time_axis`), named by `label_fn` (default str), escaped; `hover`:
    (customdata columns, hovertemplate). With FEW_PERIODS periods or fewer a line would be a
    lone dot: each series is a bar per period instead, its value written on it (`text`, a
    Plotly texttemplate), grouped side by side."""
    few = df["period"].nunique() <= FEW_PERIODS
    fig = go.Figure()
    for key in _series(df, series):
        d = df[df[series] == key]
        extra = {}
        if hover is not None:
            extra = {"customdata": d[hover[0]].to_numpy(), "hovertemplate": hover[1]}
        name = label(label_fn(key) if label_fn else key)
        if few:
            fig.add_trace(
                go.Bar(
                    x=[period_label(p, bucket) for p in d["period"]],
                    y=d[value],
                    name=name,
                    texttemplate=text,
                    textposition="outside",
                    cliponaxis=False,
                    **extra,
                )
            )
        else:
            fig.add_trace(
                go.Scatter(x=d["period"], y=d[value], mode="lines+markers", name=name, **extra)
            )
    if few:  # a category axis: a bar per period of a sensible width, named like the period
        order = sorted(pd.to_datetime(df["period"]).unique())
        return fig.update_layout(barmode="group", bargap=0.45).update_xaxes(
            type="category",
            categoryorder="array",
            categoryarray=[period_label(p, bucket) for p in order],
        )
    return fig.update_xaxes(**time_axis(df["period"], bucket))


def period_label(period: Any, bucket: str) -> str:
    """`2026-12-05 11:00` (hour), `2026-12-05` (day), `week of 2026-11-30` (week)."""
    return pd.Timestamp(period).strftime(HOVER_FORMAT[bucket])


def count_axis(max_value: float) -> dict[str, Any]:
    """Axis settings for counts (jobs, runs): whole numbers only (a tick every 1 up to 10, else
    Plotly's own integer steps), thousands separators, from 0."""
    axis: dict[str, Any] = {"tickformat": ",d", "rangemode": "tozero"}
    if max_value <= 10:
        axis["dtick"] = 1
    return axis


def duration_lines(
    df: pd.DataFrame, series: str, bucket: str, value: str = "mean_s", label_fn=None
) -> go.Figure:
    """Duration per `bucket` period (columns period, `series`, `value`), one line per series."""
    fig = _lines(df, series, value, bucket, label_fn=label_fn, text="%{y:,.2f} s")
    return fig.update_layout(
        yaxis_title="seconds", yaxis_rangemode="tozero", legend=LEGEND_BELOW, showlegend=True
    )


def top_series(df: pd.DataFrame, series: str, weight: str, n: int = TOP_SERIES) -> pd.DataFrame:
    """Rows of the `n` series with the largest total `weight`, leaving out every series whose
    total is 0 (a failure chart lists only what failed; fewer lines keep it readable)."""
    if df.empty:
        return df
    totals = df.groupby(series)[weight].sum()
    keep = totals[totals > 0].sort_values(ascending=False, kind="stable").head(n).index
    return df[df[series].isin(keep)]


def failure_lines(df: pd.DataFrame, series: str, bucket: str) -> go.Figure | None:
    """`rate_lines` of the TOP_SERIES series with the most failures (column `failed`); None when
    nothing failed."""
    top = top_series(df, series, "failed")
    return rate_lines(top, series, bucket) if not top.empty else None


def rate_lines(df: pd.DataFrame, series: str, bucket: str) -> go.Figure:
    """Failure rate per `bucket` period (columns period, `series`, failure_rate, runs, failed)."""
    hover = (
        "%{y:.0%} failed (%{customdata[1]} of %{customdata[0]} runs)<extra>%{fullData.name}</extra>"
    )
    fig = _lines(
        df, series, "failure_rate", bucket, hover=(["runs", "failed"], hover), text="%{y:.0%}"
    )
    return fig.update_layout(
        yaxis_title="failure rate",
        yaxis_tickformat=".0%",
        yaxis_range=[0, 1.05],
        legend=LEGEND_BELOW,
    )


def slowest_bars(df: pd.DataFrame) -> go.Figure:
    """Longest operations (columns job_name, operation — its readable title — duration_s,
    kind), longest on top."""
    d = df.iloc[::-1]
    names = [label(f"{j} · {o}") for j, o in zip(d["job_name"], d["operation"], strict=True)]
    fig = go.Figure()
    for kind in _series(d, "kind"):
        rows = (d["kind"] == kind).to_numpy()
        fig.add_trace(
            go.Bar(
                x=d["duration_s"][rows].tolist(),
                y=[n for n, keep in zip(names, rows, strict=True) if keep],
                orientation="h",
                name=label(kind_label(kind)),
            )
        )
    return fig.update_layout(
        legend=LEGEND_BELOW,
        xaxis_title="seconds",
        yaxis={"categoryorder": "array", "categoryarray": names},
    )


def throughput_lines(df: pd.DataFrame, bucket: str) -> go.Figure:
    """Generation throughput per `bucket` period and schema (columns period, schema_type,
    rows_per_s, rows, operations)."""
    hover = "%{y:,.0f} rows/s (%{customdata[0]:,} rows, %{customdata[1]} runs)"
    fig = _lines(
        df,
        "schema_type",
        "rows_per_s",
        bucket,
        hover=(["rows", "operations"], hover),
        text="%{y:,.0f}",
    )
    return fig.update_layout(yaxis_title="rows / s", yaxis_rangemode="tozero", legend=LEGEND_BELOW)
