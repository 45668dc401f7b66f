"""Bulk Pipeline Execution: pick validation pipelines across projects and run them as one job."""

from batchcore.engine import get_engine
from batchcore.models import JobType
from batchcore.workspace import Workspace
from ui_components import forms, pickers

P = "bulk"


def selection(ws: Workspace) -> None:
    """Pipelines across projects, then the validation overrides."""
    pickers.skipped_warning(ws)
    pickers.pipeline_picker(P, ws)
    forms.field_error(P, "pipelines", "project_id")
    pickers.override_fields(P)


def build() -> tuple[dict, dict]:
    """Request body: every ticked pipeline with the overrides."""
    chosen = pickers.picked_pipelines(P, get_engine().workspace())
    override, errs = pickers.read_overrides(P)
    if not chosen:
        errs["pipelines"] = "Select at least one pipeline."
    return {
        "pipelines": [{"pipeline_id": pid, "project_id": proj, **override} for proj, pid in chosen]
    }, errs


forms.launch_page(
    P,
    JobType.BULK_PIPELINE_EXECUTION,
    title="Bulk Pipeline Execution",
    caption="Run many validation pipelines as one batch job, in parallel or one after another.",
    placeholder="e.g. nightly warehouse validation",
    section="Pipelines",
    selection=selection,
    build=build,
    notes=pickers.unloadable_note,
)
