"""Schedules: recurring jobs (list, run now, pause, edit, delete, history) and the notification
channels with "Send test message". New schedules come from "Save as schedule" on a launch form."""

import streamlit as st

from ui_components import core, jobs, schedules_view

st.title("Schedules")
jobs.show_flash()
eng = core.engine()

tab_schedules, tab_notify = st.tabs(["Schedules", "Notifications"])
with tab_schedules, core.guard("Loading schedules"):
    items = eng.list_schedules()
    if not items:
        st.info(
            "No schedules yet. On any launch form (e.g. **Bulk Pipeline Execution**), fill in the "
            "job and press **Save as schedule** beside **Submit job**.",
            icon=":material/schedule:",
        )
    else:
        schedules_view.schedule_table(items)
        ids = [s.schedule_id for s in items]
        names = {s.schedule_id: s.name for s in items}
        if st.session_state.get(schedules_view.PICK_KEY) not in ids:
            st.session_state[schedules_view.PICK_KEY] = ids[0]
        sid = st.selectbox(
            "Schedule", ids, key=schedules_view.PICK_KEY, format_func=lambda i: names[i]
        )
        detail = eng.get_schedule(sid)
        if detail.problem:
            st.warning(
                f"The last planned job could not run as saved: {detail.problem}",
                icon=":material/warning:",
            )
        schedules_view.actions(eng, detail)
        left, right = st.columns([1, 1])
        with left:
            st.subheader("Settings")
            schedules_view.edit_form(eng, detail)
        with right:
            st.subheader("History")
            schedules_view.history(detail)

with tab_notify, core.guard("Loading notifications"):
    schedules_view.notifications(eng)
