""" "Save as schedule" beside "Submit job" on every launch form: the form's request, saved with a
cron expression and a time zone (a dialog asks for them).

The request comes from the form's own check (`forms._check`, passed in as `check`), so a form
with errors says so instead of saving; the engine checks the schedule (cron, zone, request
against the workspace) and its errors are shown in the dialog next to their field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from batchcore.errors import BatchError
from batchcore.models import JobType
from ui_components.core import PAGE_SCHEDULES, can_write, engine, error_text, require_write
from ui_components.fmt import md_escape

Check = Callable[[], tuple[dict[str, Any], dict[str, str]]]
ZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
)
CRON_HELP = (
    "5 fields: minute hour day-of-month month day-of-week, read in the time zone below. "
    "`0 6 * * 1-5` = weekdays at 06:00; `*/15 * * * *` = every 15 minutes; `@daily` = 00:00."
)


def _k(prefix: str, name: str) -> str:
    return f"{prefix}.schedule.{name}"


def save_button(prefix: str, job_type: JobType, check: Check) -> None:
    """The "Save as schedule" button; it opens the dialog with the form's current request."""
    if st.button(
        "Save as schedule",
        key=_k(prefix, "open"),
        icon=":material/schedule:",
        help="Run this request on a schedule (cron) instead of now.",
        disabled=not can_write(),
    ):
        request, errs = check()
        if errs:
            st.session_state[_k(prefix, "refused")] = (
                f"Fix the form first ({len(errs)} problem{'s' if len(errs) > 1 else ''}: "
                f"{next(iter(errs.values()))})"
            )
        else:
            st.session_state.pop(_k(prefix, "refused"), None)
            st.session_state.pop(_k(prefix, "saved"), None)
            _dialog(prefix, job_type, request)


def outcome(prefix: str) -> None:
    """What the last "Save as schedule" did (shown under the buttons)."""
    saved = st.session_state.get(_k(prefix, "saved"))
    refused = st.session_state.get(_k(prefix, "refused"))
    if refused:
        st.error(refused, icon=":material/error:")
    if saved:
        st.success(saved, icon=":material/event_available:")
        st.page_link(PAGE_SCHEDULES, label="Open Schedules", icon=":material/schedule:")


@st.dialog("Save as schedule", width="medium")
def _dialog(prefix: str, job_type: JobType, request: dict[str, Any]) -> None:
    st.caption(
        f"Saves this {job_type.value.replace('_', ' ')} request; each planned time creates a job."
    )
    name = st.text_input("Schedule name", value=request.get("job_name", ""), key=_k(prefix, "name"))
    cron = st.text_input("Cron", value="0 6 * * 1-5", key=_k(prefix, "cron"), help=CRON_HELP)
    zone = st.selectbox(
        "Time zone",
        ZONES,
        key=_k(prefix, "tz"),
        accept_new_options=True,
        help="An IANA name; type another one (e.g. Asia/Singapore) if it is not listed.",
    )
    c1, c2 = st.columns(2)
    catch_up = c1.selectbox(
        "Missed runs (app down)",
        ["latest", "none"],
        key=_k(prefix, "catch_up"),
        help="latest: one run for all that were missed; none: skip them.",
    )
    overlap = c2.selectbox(
        "If the previous job still runs",
        ["skip", "queue"],
        key=_k(prefix, "overlap"),
        help="skip: record the run as skipped; queue: start it when the previous job ends.",
    )
    owner = st.text_input("Owner note", key=_k(prefix, "owner"), placeholder="e.g. dq-team, Anna")
    if st.button("Save schedule", type="primary", key=_k(prefix, "save")):
        body = {
            "name": (name or "").strip(),
            "job_type": job_type.value,
            "request": request,
            "cron": cron,
            "timezone": zone or "UTC",
            "catch_up": catch_up,
            "overlap": overlap,
            "owner": (owner or "").strip(),
        }
        try:
            require_write()
            sch = engine().create_schedule(body)
        except BatchError as exc:
            st.error(error_text(exc), icon=":material/error:")
            return
        nxt = sch.next_run_at.strftime("%Y-%m-%d %H:%M UTC") if sch.next_run_at else "—"
        st.session_state[_k(prefix, "saved")] = (
            f"Saved schedule **{md_escape(sch.name)}** (`{sch.schedule_id}`): `{sch.cron}` in "
            f"{sch.timezone}, next run {nxt}."
        )
        st.rerun()
