"""The job store's health in the sidebar: nothing while it is ok; a warning naming each reason
(store write failing, disk full, writer backlog, store read failed) while `GET /batch/health`
says `degraded`. Drawn on every run of the page script (navigation, any click), not by a timer
of its own: a sidebar fragment with `run_every` would wake every open session all the time for
a state that is nearly always ok."""

from __future__ import annotations

import streamlit as st

from batchcore.engine import Engine
from ui_components.fmt import md_escape


def health_text(engine: Engine) -> str | None:
    """The sidebar's warning for the store's health now, or None when it is ok."""
    report = engine.health()
    if report.status == "ok":
        return None
    lines = "\n".join(f"- {md_escape(reason)}" for reason in report.reasons)
    tail = (
        "New jobs are refused until it writes again; running work waits, nothing is lost."
        if not report.writable
        else "Jobs still run; the job store may lag behind."
    )
    return f"**Job store degraded**\n\n{lines}\n\n{tail}"


def store_health(engine: Engine) -> None:
    """Render the warning (inside `with st.sidebar:`)."""
    text = health_text(engine)
    if text is not None:
        st.warning(text, icon=":material/warning:")
