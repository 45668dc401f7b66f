"""Multi-Project Validation: validate several projects (all or some of their pipelines) at once."""

from batchcore.engine import get_engine
from batchcore.models import JobType
from batchcore.workspace import Workspace
from ui_components import forms, pickers

P = "multi"


def selection(ws: Workspace) -> None:
    """Projects, each optionally narrowed to some pipelines, then the validation overrides."""
    pickers.skipped_warning(ws)
    pickers.project_picker(P, ws)
    forms.field_error(P, "projects")
    pickers.override_fields(P)


def build() -> tuple[dict, dict]:
    """Request body: every ticked project (with its chosen pipelines) with the overrides."""
    projects = pickers.picked_projects(P, get_engine().workspace())
    override, errs = pickers.read_overrides(P)
    if not projects:
        errs["projects"] = "Select at least one project."
    return {"projects": [{**p, **override} for p in projects]}, errs


forms.launch_page(
    P,
    JobType.MULTI_PROJECT_VALIDATION,
    title="Multi-Project Validation",
    caption="Validate whole projects in one job: tick projects, optionally narrow each to some of its pipelines.",
    placeholder="e.g. weekly validation of all migrations",
    section="Projects",
    selection=selection,
    build=build,
    notes=pickers.unloadable_note,
)
