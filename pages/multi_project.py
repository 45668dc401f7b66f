"""Multi-Project Validation: validate several projects (all or some of their pipelines) at once."""

import streamlit as st

from batchcore import analytics
from batchcore.models import JobType
from ui_components import core, forms, pickers

P = "multi"

st.title("Multi-Project Validation")
st.caption(
    "Validate whole projects in one job: tick projects, optionally narrow each to some of its pipelines."
)

eng = core.engine()
with core.guard("Reading the workspace"):
    ws = eng.workspace()
    with eng.store.reader() as cur:
        tags = analytics.distinct_tags(cur)

    st.subheader("Job")
    forms.job_fields(P, placeholder="e.g. weekly validation of all migrations", known_tags=tags)

    st.subheader("Projects")
    pickers.project_picker(P, ws)
    forms.field_error(P, "projects")
    pickers.override_fields(P)

    st.subheader("Execution")
    forms.execution_fields(P)

    def build() -> tuple[dict, dict]:
        projects = pickers.picked_projects(P, eng.workspace())
        override, errs = pickers.read_overrides(P)
        if not projects:
            errs["projects"] = "Select at least one project."
        return {"projects": [{**p, **override} for p in projects]}, errs

    forms.submit_area(P, JobType.MULTI_PROJECT_VALIDATION, build)
