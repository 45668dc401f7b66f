"""The job store's health in the sidebar: nothing while it is ok; a warning naming each reason
(store write failing, disk full, writer backlog, store read failed) while `GET /batch/health`
says `degraded`; and a second warning while the Dask cluster operations run on is down.
Drawn on every run of the page script (navigation, any click), not by a timer of its own: a sidebar fragment with `run_every` would wake every open session all the time for
a state that is nearly always ok."""

from __future__ import annotations

import streamlit as st

from batchcore.engine import Engine
from ui_components.fmt import md_escape


def cluster_text(engine: Engine) -> str | None:
    """The sidebar's warning while the Dask cluster operations run on is down, else None."""
    cluster = engine.cluster_status()
    if cluster.up:
        return None
    return (
        f"**Dask cluster down**\n\n- {md_escape(cluster.reason or 'unreachable')}\n\n"
        "The operations it was running run again when it is back."
    )


def health_text(engine: Engine) -> str | None:
    """The sidebar's warning for the store's health now, or None when it is ok (a Dask
    cluster that is down has its own warning, `cluster_text`)."""
    report = engine.health()
    cluster = engine.cluster_status()
    reasons = [r for r in report.reasons if cluster.up or r != cluster.reason]
    if not reasons:
        return None
    lines = "\n".join(f"- {md_escape(reason)}" for reason in reasons)
    tail = (
        "New jobs are refused until it writes again; running work waits, nothing is lost."
        if not report.writable
        else "Jobs still run; the job store may lag behind."
    )
    return f"**Job store degraded**\n\n{lines}\n\n{tail}"


def store_health(engine: Engine) -> None:
    """Render the warning (inside `with st.sidebar:`)."""
    for text in (health_text(engine), cluster_text(engine)):
        if text is not None:
            st.warning(text, icon=":material/warning:")
