"""Plotly figures of the Analytics page and the block that shows one with its downloads.

Every chart can leave the app: the modebar camera saves a PNG, and each block offers the
figure as standalone HTML plus the numbers behind it as CSV and JSON.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from ui_components.status import JOB_STATUS_COLOURS, status_label, type_label

TOP_SERIES = 10
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0}


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
        c[0].download_button(
            "CSV",
            data=lambda: data.to_csv(index=False),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"dl-{name}-csv",
            on_click="ignore",
            icon=":material/download:",
        )
        c[1].download_button(
            "JSON",
            data=lambda: data.to_json(orient="records", date_format="iso", indent=2),
            file_name=f"{name}.json",
            mime="application/json",
            key=f"dl-{name}-json",
            on_click="ignore",
            icon=":material/download:",
        )
        c[2].download_button(
            "Chart (HTML)",
            data=lambda: fig.to_html(include_plotlyjs=True, full_html=True),
            file_name=f"{name}.html",
            mime="text/html",
            key=f"dl-{name}-html",
            on_click="ignore",
            icon=":material/download:",
            help="Interactive chart that opens in any browser, offline.",
        )


def status_donut(df: pd.DataFrame) -> go.Figure:
    """Jobs per status (columns status, jobs), in the status colours."""
    d = df.assign(label=df["status"].map(status_label))
    colours = {status_label(k): v for k, v in JOB_STATUS_COLOURS.items()}
    return px.pie(
        d, names="label", values="jobs", hole=0.55, color="label", color_discrete_map=colours
    )


def type_bars(df: pd.DataFrame) -> go.Figure:
    """Jobs per type stacked by status (columns job_type, status, jobs)."""
    d = df.assign(type=df["job_type"].map(type_label), label=df["status"].map(status_label))
    colours = {status_label(k): v for k, v in JOB_STATUS_COLOURS.items()}
    fig = px.bar(d, x="jobs", y="type", color="label", orientation="h", color_discrete_map=colours)
    return fig.update_layout(yaxis_title="", xaxis_title="jobs")


def duration_lines(
    df: pd.DataFrame, series: str, value: str = "mean_s", label_fn=None
) -> go.Figure:
    """Duration over time (columns period, `series`, `value`), one line per series."""
    d = df.assign(series=df[series].map(label_fn) if label_fn else df[series])
    fig = px.line(d, x="period", y=value, color="series", markers=True)
    return fig.update_layout(xaxis_title="", yaxis_title="seconds", legend=LEGEND_BELOW)


def top_series(df: pd.DataFrame, series: str, weight: str, n: int = TOP_SERIES) -> pd.DataFrame:
    """Rows of the `n` series with the largest total `weight` (keeps a chart readable)."""
    if df.empty:
        return df
    keep = df.groupby(series)[weight].sum().sort_values(ascending=False).head(n).index
    return df[df[series].isin(keep)]


def rate_lines(df: pd.DataFrame, series: str) -> go.Figure:
    """Failure rate over time (columns period, `series`, failure_rate, runs, failed)."""
    fig = px.line(
        df, x="period", y="failure_rate", color=series, markers=True, hover_data=["runs", "failed"]
    )
    return fig.update_layout(
        xaxis_title="",
        yaxis_title="failure rate",
        yaxis_tickformat=".0%",
        yaxis_range=[0, 1.05],
        legend=LEGEND_BELOW,
    )


def slowest_bars(df: pd.DataFrame) -> go.Figure:
    """Longest operations (columns job_name, operation_id, duration_s, kind)."""
    d = df.assign(op=df["job_name"] + " · " + df["operation_id"])
    fig = px.bar(
        d.iloc[::-1],
        x="duration_s",
        y="op",
        color="kind",
        orientation="h",
        hover_data=["job_id", "status"],
    )
    return fig.update_layout(yaxis_title="", xaxis_title="seconds")


def throughput_scatter(df: pd.DataFrame) -> go.Figure:
    """Generation throughput per operation (columns finished_at, rows_per_s, schema_type, rows)."""
    fig = px.scatter(
        df,
        x="finished_at",
        y="rows_per_s",
        color="schema_type",
        size="rows",
        size_max=24,
        hover_data=["job_name", "operation_id", "duration_s"],
    )
    return fig.update_layout(xaxis_title="", yaxis_title="rows / s")
