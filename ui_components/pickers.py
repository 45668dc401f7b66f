"""Selection widgets of the job forms: pipelines across projects, projects with their
pipelines, validation overrides. State lives in keyed widgets (kept while hidden by a search)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from batchcore.workspace import Workspace
from ui_components.core import PAGE_PIPELINES
from ui_components.forms import (
    OVERRIDE_FIELDS,
    OVERRIDES_OPEN,
    PERSIST,
    Errors,
    field_error,
    got,
    key,
    value,
)


def _pl_key(prefix: str, project_id: str, pipeline_id: str) -> str:
    return key(prefix, f"pl.{project_id}.{pipeline_id}")


def _all_key(prefix: str, project_id: str) -> str:
    return key(prefix, f"all.{project_id}")


def _matches(search: str, *texts: str) -> bool:
    s = search.strip().lower()
    return not s or any(s in t.lower() for t in texts)


def _select_all(prefix: str, project_id: str, pipeline_ids: list[str]) -> None:
    on = bool(st.session_state.get(_all_key(prefix, project_id)))
    for pid in pipeline_ids:
        st.session_state[_pl_key(prefix, project_id, pid)] = on


def no_pipelines_hint(ws: Workspace) -> None:
    """Empty state: where pipelines come from."""
    st.info(
        f"The workspace `{ws.root}` has no pipelines yet. Add a project folder "
        "`projects/<project_id>/` with pipeline files `pipelines/<pipeline_id>.yaml` "
        "(see the Pipelines page), or point `BATCH_WORKSPACE` at your workspace.",
        icon=":material/lightbulb:",
    )


def skipped_warning(ws: Workspace) -> None:
    """A short warning (with a link to the Pipelines page) when the workspace skipped pipeline
    files or projects because they failed to load (`Workspace.problems`); nothing otherwise."""
    n = len(ws.problems)
    if not n:
        return
    st.warning(
        f"{n} pipeline file{'s' if n != 1 else ''} or project{'s' if n != 1 else ''} "
        f"{'were' if n != 1 else 'was'} skipped because {'they' if n != 1 else 'it'} failed to "
        "load: see the Pipelines page.",
        icon=":material/warning:",
    )
    st.page_link(PAGE_PIPELINES, label="Open Pipelines", icon=":material/description:")


def pipeline_picker(prefix: str, ws: Workspace) -> None:
    """Pipelines grouped by project: a search box, `Select all` per project, a checkbox each."""
    if not any(p.pipelines for p in ws.projects.values()):
        no_pipelines_hint(ws)
        return
    search = st.text_input(
        "Search pipelines",
        key=key(prefix, "search"),
        placeholder="Filter by project or pipeline id",
        persist_state=PERSIST,
    )
    shown = 0
    for proj in ws.projects.values():
        visible = [
            pid for pid in proj.pipelines if _matches(search, proj.project_id, proj.name, pid)
        ]
        if not visible:
            continue
        shown += len(visible)
        with st.container(border=True):
            head, toggle = st.columns([3, 1])
            head.markdown(
                f"**{proj.name}** · `{proj.project_id}`"
                + (f"  \n{proj.description}" if proj.description else "")
            )
            ak = _all_key(prefix, proj.project_id)
            st.session_state[ak] = all(
                bool(st.session_state.get(_pl_key(prefix, proj.project_id, p))) for p in visible
            )
            toggle.checkbox(
                f"Select all ({len(visible)})",
                key=ak,
                on_change=_select_all,
                args=(prefix, proj.project_id, visible),
            )
            cols = st.columns(3)
            for i, pid in enumerate(visible):
                cols[i % 3].checkbox(
                    pid, key=_pl_key(prefix, proj.project_id, pid), persist_state=PERSIST
                )
    if not shown:
        st.info(
            f"No pipeline matches “{search}”. Clear the search to see all pipelines.",
            icon=":material/search_off:",
        )
    chosen = picked_pipelines(prefix, ws)
    n_proj = len({p for p, _ in chosen})
    st.caption(
        f"**{len(chosen)}** pipeline{'s' if len(chosen) != 1 else ''} selected"
        + (f" across {n_proj} project{'s' if n_proj != 1 else ''}" if chosen else "")
    )


def picked_pipelines(prefix: str, ws: Workspace) -> list[tuple[str, str]]:
    """(project_id, pipeline_id) of every ticked pipeline, in workspace order."""
    return [
        (proj.project_id, pid)
        for proj in ws.projects.values()
        for pid in proj.pipelines
        if st.session_state.get(_pl_key(prefix, proj.project_id, pid))
    ]


def override_fields(prefix: str) -> None:
    """Optional validation overrides applied to every pipeline of the job, in an expander that
    a failed submit opens when one of them is in error (their errors show inside it)."""
    with st.expander(
        "Validation overrides (optional)", key=key(prefix, OVERRIDES_OPEN), on_change="rerun"
    ):
        c1, c2 = st.columns(2)
        c1.number_input(
            "Pass-rate threshold (0–1)",
            value=None,
            step=0.01,
            key=key(prefix, "threshold"),
            placeholder="pipeline default",
            help="A check passes when its pass rate reaches this.",
            persist_state=PERSIST,
        )
        c2.number_input(
            "Failing rows kept per check",
            value=None,
            step=1,
            key=key(prefix, "sample_size"),
            placeholder="pipeline default",
            help="0–1,000 sample rows stored per failing check.",
            persist_state=PERSIST,
        )
        field_error(prefix, *OVERRIDE_FIELDS)


def read_overrides(prefix: str) -> tuple[dict[str, Any], Errors]:
    """`{"config_override": {...}}` (or `{}`) from the override fields, with range errors."""
    errs: Errors = {}
    ov: dict[str, Any] = {}
    threshold = value(prefix, "threshold")
    if threshold is not None:
        if 0 <= float(threshold) <= 1:
            ov["threshold"] = float(threshold)
        else:
            errs["threshold"] = (
                f"The pass-rate threshold must be between 0 and 1, e.g. 0.95 {got(threshold)}."
            )
    sample = value(prefix, "sample_size")
    if sample is not None:
        if float(sample).is_integer() and 0 <= sample <= 1000:
            ov["sample_size"] = int(sample)
        else:
            errs["sample_size"] = (
                f"Failing rows kept per check must be a whole number from 0 to 1,000 {got(sample)}."
            )
    return ({"config_override": ov} if ov else {}), errs


def project_picker(prefix: str, ws: Workspace) -> None:
    """Projects with their pipelines: tick a project, narrow its pipelines (none chosen = all)."""
    projects = [p for p in ws.projects.values()]
    if not any(p.pipelines for p in projects):
        no_pipelines_hint(ws)
        return
    for proj in projects:
        with st.container(border=True):
            n = len(proj.pipelines)
            st.checkbox(
                f"**{proj.name}** · `{proj.project_id}` — {n} pipeline{'s' if n != 1 else ''}",
                key=key(prefix, f"proj.{proj.project_id}"),
                disabled=not n,
                persist_state=PERSIST,
                help=proj.description or None,
            )
            if not n:
                st.caption("No pipelines in this project yet.")
                continue
            if st.session_state.get(key(prefix, f"proj.{proj.project_id}")):
                st.multiselect(
                    "Pipelines (leave empty to run all of them)",
                    options=list(proj.pipelines),
                    key=key(prefix, f"pls.{proj.project_id}"),
                    persist_state=PERSIST,
                    placeholder=f"All {n} pipelines",
                )


def picked_projects(prefix: str, ws: Workspace) -> list[dict[str, Any]]:
    """`[{"project_id", "pipeline_ids"}]` of the ticked projects (`pipeline_ids` None = all)."""
    out = []
    for proj in ws.projects.values():
        if proj.pipelines and st.session_state.get(key(prefix, f"proj.{proj.project_id}")):
            chosen = [
                p
                for p in st.session_state.get(key(prefix, f"pls.{proj.project_id}")) or []
                if p in proj.pipelines
            ]
            out.append({"project_id": proj.project_id, "pipeline_ids": chosen or None})
    return out
