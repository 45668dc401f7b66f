"""Bulk Pipeline Execution: pick validation pipelines across projects and run them as one job."""

import streamlit as st

from batchcore import analytics
from batchcore.models import JobType
from ui_components import core, forms, pickers

P = "bulk"

st.title("Bulk Pipeline Execution")
st.caption("Run many validation pipelines as one batch job, in parallel or one after another.")

eng = core.engine()
with core.guard("Reading the workspace"):
    ws = eng.workspace()
    with eng.store.reader() as cur:
        tags = analytics.distinct_tags(cur)

    st.subheader("Job")
    forms.job_fields(P, placeholder="e.g. nightly warehouse validation", known_tags=tags)

    st.subheader("Pipelines")
    pickers.pipeline_picker(P, ws)
    forms.field_error(P, "pipelines", "project_id")
    pickers.override_fields(P)

    st.subheader("Execution")
    forms.execution_fields(P)

    def build() -> tuple[dict, dict]:
        chosen = pickers.picked_pipelines(P, eng.workspace())
        override, errs = pickers.read_overrides(P)
        if not chosen:
            errs["pipelines"] = "Select at least one pipeline."
        return {
            "pipelines": [
                {"pipeline_id": pid, "project_id": proj, **override} for proj, pid in chosen
            ]
        }, errs

    forms.submit_area(P, JobType.BULK_PIPELINE_EXECUTION, build)
