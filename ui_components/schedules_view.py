"""The Schedules page's parts: the list, one schedule (actions, edit, history), notification
channels with "Send test message", and the notes Job Details shows (schedule, deliveries)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from batchcore.engine import Engine
from batchcore.errors import BatchError
from batchcore.schedules.model import ScheduleDetail, ScheduleView
from ui_components import fmt, jobs
from ui_components.core import (
    PAGE_DETAILS,
    PAGE_SCHEDULES,
    can_write,
    error_text,
    read_only_note,
    require_write,
)
from ui_components.schedule_form import CRON_HELP, ZONES
from ui_components.status import status_cell, style_status, type_label

PICK_KEY = "sched.pick"


def _last(s: ScheduleView) -> tuple[str, str]:
    if s.last_run is None:
        return "never", ""
    status = s.last_run.job_status.value if s.last_run.job_status else s.last_run.state
    return fmt.ts(s.last_run.planned_at), status_cell(status)


def _local(ts, zone: str) -> str:
    if ts is None:
        return ""
    from zoneinfo import ZoneInfo

    return ts.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def schedule_table(items: list[ScheduleView]) -> None:
    """One row per schedule: name, on/off, cron and zone, next run, last run and its status."""
    rows = []
    for s in items:
        last_at, last_status = _last(s)
        rows.append(
            {
                "Name": s.name,
                "Enabled": s.enabled,
                "Cron": s.cron,
                "Time zone": s.timezone,
                "Next run (UTC)": fmt.ts(s.next_run_at) if s.next_run_at else "paused",
                "Next run (its zone)": _local(s.next_run_at, s.timezone),
                "Last run (UTC)": last_at,
                "Status": last_status,
                "Type": type_label(s.job_type.value),
                "Problem": s.problem or "",
                "Id": s.schedule_id,
            }
        )
    df = pd.DataFrame(rows)
    st.dataframe(style_status(df), hide_index=True, width="stretch")


def _act(fn, ok: str) -> None:
    try:
        require_write()  # a read-only session changes nothing (its buttons are disabled too)
        fn()
        jobs.flash("success", ok)
    except BatchError as exc:
        jobs.flash("error", fmt.md_escape(error_text(exc)))


def _run_now(eng: Engine, sid: str) -> None:
    try:
        require_write()
        res = eng.run_schedule(sid)
        st.session_state["sched.last_job"] = res.job_id
        jobs.flash("success", f"Run now: job `{res.job_id}` {res.message}.")
    except BatchError as exc:
        jobs.flash("error", fmt.md_escape(error_text(exc)))


def actions(eng: Engine, s: ScheduleDetail) -> None:
    """Run now, pause or resume, delete (asks first); disabled for a read-only token."""
    read_only = not can_write()
    c = st.columns([1, 1, 1, 3])
    c[0].button(
        "Run now",
        key="sched.run",
        icon=":material/play_arrow:",
        type="primary",
        on_click=_run_now,
        args=(eng, s.schedule_id),
        disabled=read_only,
    )
    if s.enabled:
        c[1].button(
            "Pause",
            key="sched.pause",
            icon=":material/pause:",
            on_click=_act,
            args=(lambda: eng.pause_schedule(s.schedule_id), f"Paused {fmt.md_escape(s.name)}."),
            disabled=read_only,
        )
    else:
        c[1].button(
            "Resume",
            key="sched.resume",
            icon=":material/play_circle:",
            on_click=_act,
            args=(lambda: eng.resume_schedule(s.schedule_id), f"Resumed {fmt.md_escape(s.name)}."),
            disabled=read_only,
        )
    read_only_note(c[3])
    if c[2].button("Delete", key="sched.delete", icon=":material/delete:", disabled=read_only):
        _delete_dialog(eng, s.schedule_id, s.name)
    last_job = st.session_state.get("sched.last_job")
    if last_job:
        c[3].page_link(
            PAGE_DETAILS,
            label="Open the job just created",
            icon=":material/open_in_new:",
            query_params={"job_id": last_job},
        )


@st.dialog("Delete schedule")
def _delete_dialog(eng: Engine, sid: str, name: str) -> None:
    st.write(f"Delete **{fmt.md_escape(name)}**? The jobs it created stay in Job History.")
    if st.button("Delete schedule", type="primary", key="sched.delete.confirm"):
        _act(lambda: eng.delete_schedule(sid), f"Deleted schedule {fmt.md_escape(name)}.")
        st.session_state.pop(PICK_KEY, None)
        st.rerun()


def edit_form(eng: Engine, s: ScheduleDetail) -> None:
    """Name, cron, zone, policies, tags, owner: saved together."""
    with st.form(f"sched.edit.{s.schedule_id}"):
        name = st.text_input("Name", value=s.name)
        c1, c2 = st.columns(2)
        cron = c1.text_input("Cron", value=s.cron, help=CRON_HELP)
        zones = list(dict.fromkeys([s.timezone, *ZONES]))
        zone = c2.selectbox("Time zone", zones, index=0, accept_new_options=True)
        catch_up = c1.selectbox(
            "Missed runs (app down)", ["latest", "none"], index=["latest", "none"].index(s.catch_up)
        )
        overlap = c2.selectbox(
            "If the previous job still runs",
            ["skip", "queue"],
            index=["skip", "queue"].index(s.overlap),
        )
        tags = st.multiselect("Tags for its jobs", s.tags, default=s.tags, accept_new_options=True)
        owner = st.text_input("Owner note", value=s.owner)
        if st.form_submit_button("Save changes", icon=":material/save:", disabled=not can_write()):
            change = {
                "name": name.strip(),
                "cron": cron,
                "timezone": zone,
                "catch_up": catch_up,
                "overlap": overlap,
                "tags": tags,
                "owner": owner,
            }
            try:
                require_write()
                eng.update_schedule(s.schedule_id, change)
                jobs.flash("success", f"Saved {fmt.md_escape(name)}.")
                st.rerun()
            except BatchError as exc:
                st.error(error_text(exc), icon=":material/error:")
    with st.expander("Saved request (JSON)"):
        st.json(s.request)


def history(s: ScheduleDetail) -> None:
    """The runs, newest first, with links to their jobs."""
    if not s.runs:
        st.caption("No runs yet.")
        return
    rows = [
        {
            "Planned (UTC)": fmt.ts(r.planned_at),
            "Trigger": r.trigger,
            "Run": r.state,
            "Status": status_cell(r.job_status.value) if r.job_status else "",
            "Reason": r.reason or "",
            "Job": f"{PAGE_DETAILS_URL}?job_id={r.job_id}" if r.job_id else None,
        }
        for r in s.runs
    ]
    st.dataframe(
        style_status(pd.DataFrame(rows)),
        hide_index=True,
        width="stretch",
        column_config={
            "Job": st.column_config.LinkColumn("Job", display_text="open job"),
        },
    )


PAGE_DETAILS_URL = "job"  # url_path of Job Details (ui.py)


def notifications(eng: Engine) -> None:
    """Channels (no secrets) with "Send test message", the rules, the latest deliveries."""
    cfg = eng.notification_settings()
    if cfg["problem"]:
        st.error(
            f"notifications.yaml cannot be read, so nothing is sent: {cfg['problem']}",
            icon=":material/error:",
        )
        return
    if not cfg["channels"]:
        st.info(
            "No notification channels. Add `notifications.yaml` to the workspace (see "
            "docs/schedules.md): webhooks (JSON or Slack) and email over SMTP.",
            icon=":material/notifications_off:",
        )
        return
    st.subheader("Channels")
    for ch in cfg["channels"]:
        c1, c2 = st.columns([3, 1])
        c1.markdown(f"**{fmt.md_escape(ch['name'])}** · {ch['type']} · `{ch['target']}`")
        if c2.button(
            "Send test message",
            key=f"sched.test.{ch['name']}",
            icon=":material/send:",
            disabled=not can_write(),
        ):
            try:
                require_write()
                res = eng.send_test_message(ch["name"])
            except BatchError as exc:
                res = {"status": "failed", "error": error_text(exc)}
            if res["status"] == "sent":
                st.success(
                    f"Test message sent to {fmt.md_escape(ch['name'])} ({fmt.md_escape(res['outcome'])})."
                )
            else:
                st.error(
                    f"Test message to {fmt.md_escape(ch['name'])} failed: {fmt.md_escape(res['error'])}"
                )
    st.subheader("Rules")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Rule": r.get("name") or f"rule {i + 1}",
                    "Events": ", ".join(r["events"]),
                    "Channels": ", ".join(r["channels"]),
                    "Jobs": _filters(r),
                }
                for i, r in enumerate(cfg["rules"])
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.subheader("Latest deliveries")
    deliveries_table(eng.notification_deliveries(limit=50), with_job=True)


def _filters(rule: dict[str, Any]) -> str:
    parts = [
        f"{k}: {', '.join(rule[k])}"
        for k in ("projects", "tags", "job_types", "schedules")
        if rule.get(k)
    ]
    return "; ".join(parts) or "all jobs"


def deliveries_table(items: list[dict[str, Any]], *, with_job: bool = False) -> None:
    """One row per try of each delivery (when, channel, outcome, error)."""
    rows = []
    for d in items:
        for t in d.get("tries") or [{}]:
            rows.append(
                {
                    **({"Job": d["job_id"] or "(test)"} if with_job else {}),
                    "Channel": d["channel"],
                    "Event": d["event"],
                    "Delivery": d["status"],
                    "Try": t.get("attempt"),
                    "When (UTC)": fmt.ts(t.get("started_at")) if t else "",
                    "Outcome": t.get("outcome", "waiting"),
                    "Error": t.get("error") or "",
                }
            )
    if not rows:
        st.caption("No deliveries yet.")
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def job_notes(eng: Engine, job_id: str) -> None:
    """On Job Details: the schedule that created the job, and the notifications sent about it."""
    link = eng.schedule_of_job(job_id)
    if link:
        name = link["name"] or f"{link['schedule_id']} (deleted)"
        st.caption(
            f"Created by schedule **{fmt.md_escape(name)}** ({link['trigger']} run planned for "
            f"{fmt.ts(link['planned_at'])} UTC)"
        )
        st.page_link(PAGE_SCHEDULES, label="Open Schedules", icon=":material/schedule:")
    items = eng.notification_deliveries(job_id)
    if items:
        st.subheader("Notifications")
        deliveries_table(items)
