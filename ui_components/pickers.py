"""Selection widgets of the job forms: pipelines across projects, projects with their
pipelines, validation overrides. State lives in keyed widgets (kept while hidden by a search).

Pipeline files that exist but do not load (bad YAML, an empty file, no mapping, an invalid
pipeline: what `batchcore.validation.lint_pipeline` finds without opening connections) stay
offered, marked `⚠ does not load` with the reason; ticking one warns before submit, and the
success message warns again, since its operation will fail unless the file is fixed before it
runs. The check is cached per file (path, modification time, size) and workspace settings.

Pipelines whose data is not built yet (batchcore.readiness: a connection with a `setup` command
whose file, tables or database schema are missing) are marked `⚙ needs setup`, with the command
to run in their help and in a warning once ticked.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import streamlit as st

from batchcore.readiness import needs_setup
from batchcore.validation import LintProblem, lint_pipeline
from batchcore.workspace import PipelineRef, Workspace
from ui_components.core import PAGE_PIPELINES, error_text
from ui_components.fmt import md_escape
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

UNLOADABLE = "⚠ does not load"
NEEDS_SETUP = "⚙ needs setup"


def setup_help(command: str) -> str:
    """The help of a pipeline whose data is not built: the command to run."""
    return (
        f"Its data is not built yet. Run `{command}` in the project folder, then reload this "
        "page; until then its operation fails."
    )


def _label(pid: str, found: tuple[str, ...], setup: str | None) -> str:
    return pid + (f" {UNLOADABLE}" if found else "") + (f" {NEEDS_SETUP}" if setup else "")


def _setup_warning(ws: Workspace, pairs: list[tuple[str, str]]) -> None:
    """Under a picker: the ticked pipelines whose data is not built, with the commands."""
    todo: dict[str, list[str]] = {}
    for project_id, pid in pairs:
        ref = ws.projects[project_id].pipelines.get(pid) if project_id in ws.projects else None
        command = needs_setup(ws, ref) if ref else None
        if command:
            todo.setdefault(command, []).append(f"`{project_id}/{pid}`")
    for command, names in todo.items():
        st.warning(
            f"{', '.join(names)} {'needs' if len(names) == 1 else 'need'} data that is not built "
            f"yet: run `{command}` in the project folder first, or their operations fail.",
            icon=":material/build:",
        )


_LOAD_CACHE: dict[tuple, tuple[str, ...]] = {}
_LOAD_CACHE_MAX = 4096
_LOAD_LOCK = threading.Lock()


def _short(problem: LintProblem) -> str:
    """A lint problem without its file: `line 3: check 1 (not_null): columns: message`."""
    parts = [f"line {problem.line}"] if problem.line else []
    if problem.check_index is not None:
        parts.append(f"check {problem.check_index} ({problem.check_type or '?'})")
    if problem.field:
        parts.append(problem.field)
    return ": ".join([*parts, problem.message])


def load_problems(ws: Workspace, ref: PipelineRef) -> tuple[str, ...]:
    """Why the pipeline file of `ref` does not load (its problems, short), or `()` when it
    loads. Parsed once per file version and workspace settings (cached in this process)."""
    path = Path(ref.path)
    try:
        stat = path.stat()
    except OSError as exc:
        return (f"the file cannot be read: {exc.strerror or exc}",)
    if not stat.st_size:
        return ("the file is empty",)
    project = ws.projects.get(ref.project_id)
    context = (
        str(ws.root),
        tuple(sorted((c.name, c.type) for c in ws.connections.values())),
        project and (project.source, project.target),
    )
    cache_key = (str(path), stat.st_mtime_ns, stat.st_size, context)
    with _LOAD_LOCK:
        hit = _LOAD_CACHE.get(cache_key)
    if hit is not None:
        return hit
    try:
        found = tuple(_short(p) for p in lint_pipeline(path, ws, check_columns=False))
    except Exception as exc:  # whatever the parser trips on, the picker still draws
        found = (f"the file cannot be read: {error_text(exc)}",)
    with _LOAD_LOCK:
        if len(_LOAD_CACHE) >= _LOAD_CACHE_MAX:
            _LOAD_CACHE.clear()
        _LOAD_CACHE[cache_key] = found
    return found


def load_reason(ws: Workspace, ref: PipelineRef) -> str | None:
    """The first problem of a pipeline that does not load (`(+2 more)` when there are more),
    or None when it loads."""
    found = load_problems(ws, ref)
    if not found:
        return None
    return found[0] + (f" (+{len(found) - 1} more)" if len(found) > 1 else "")


def _load_help(found: tuple[str, ...]) -> str | None:
    """The checkbox help for a pipeline whose file does not load (`found`: its problems)."""
    if not found:
        return None
    listing = "\n".join(f"- {md_escape(p)}" for p in found)
    return (
        f"This pipeline file does not load:\n{listing}\n\nIts operation fails unless the file "
        "is fixed before it runs (see the Pipelines page)."
    )


def request_pipelines(ws: Workspace, request: dict[str, Any]) -> list[tuple[str, str]]:
    """(project_id, pipeline_id) of every pipeline a bulk (`pipelines`) or multi-project
    (`projects`, `pipeline_ids` None = all) request runs, in request order."""
    pairs = [(p["project_id"], p["pipeline_id"]) for p in request.get("pipelines") or []]
    for item in request.get("projects") or []:
        proj = ws.projects.get(item["project_id"])
        ids = item.get("pipeline_ids") or (list(proj.pipelines) if proj else [])
        pairs += [(item["project_id"], pid) for pid in ids]
    return pairs


def unloadable(ws: Workspace, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`("project/pipeline", reason)` of each of `pairs` whose file does not load."""
    out = []
    for project_id, pipeline_id in pairs:
        proj = ws.projects.get(project_id)
        ref = proj.pipelines.get(pipeline_id) if proj else None
        if ref is not None and (reason := load_reason(ws, ref)):
            out.append((f"{project_id}/{pipeline_id}", reason))
    return out


def unloadable_note(
    ws: Workspace, request: dict[str, Any], *, submitted: bool = True
) -> str | None:
    """The warning naming the pipelines of `request` (see `request_pipelines`) that do not
    load, with their reasons; None when all of them load."""
    bad = unloadable(ws, request_pipelines(ws, request))
    if not bad:
        return None
    n = len(bad)
    many = n != 1
    lead = (
        f"The job includes {n} pipeline{'s' if many else ''} that {'do' if many else 'does'} not load"
        if submitted
        else f"{n} of the chosen pipelines {'do' if many else 'does'} not load"
    )
    fix = (
        "their operations fail unless the files are fixed before they run"
        if many
        else "its operation fails unless the file is fixed before it runs"
    )
    listing = "\n".join(f"- `{name}`: {md_escape(reason)}" for name, reason in bad)
    return f"{lead}; {fix} (see the Pipelines page):\n{listing}"


def _unloadable_warning(ws: Workspace, request: dict[str, Any]) -> None:
    note = unloadable_note(ws, request, submitted=False)
    if note:
        st.warning(note, icon=":material/warning:")


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
                f"**{md_escape(proj.name)}** · `{proj.project_id}`"
                + (f"  \n{md_escape(proj.description)}" if proj.description else "")
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
                found = load_problems(ws, proj.pipelines[pid])
                setup = None if found else needs_setup(ws, proj.pipelines[pid])
                cols[i % 3].checkbox(
                    _label(pid, found, setup),
                    key=_pl_key(prefix, proj.project_id, pid),
                    help=_load_help(found) or (setup_help(setup) if setup else None),
                    persist_state=PERSIST,
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
    _unloadable_warning(
        ws, {"pipelines": [{"project_id": p, "pipeline_id": pid} for p, pid in chosen]}
    )
    _setup_warning(ws, chosen)


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
            broken = {
                pid: reason
                for pid, ref in proj.pipelines.items()
                if (reason := load_reason(ws, ref))
            }
            label = f"**{md_escape(proj.name)}** · `{proj.project_id}` — {n} pipeline{'s' if n != 1 else ''}"
            helps = [md_escape(proj.description)] if proj.description else []
            setups = {
                pid: cmd
                for pid, ref in proj.pipelines.items()
                if pid not in broken and (cmd := needs_setup(ws, ref))
            }
            if setups:
                label += f" · {NEEDS_SETUP}"
                helps.append(
                    "Data not built yet: run "
                    + ", ".join(f"`{c}`" for c in dict.fromkeys(setups.values()))
                    + " in the project folder, then reload this page."
                )
            if broken:
                label += f" · ⚠ {len(broken)} {'do' if len(broken) != 1 else 'does'} not load"
                helps.append(
                    "Pipelines that do not load:\n"
                    + "\n".join(f"- `{pid}`: {md_escape(r)}" for pid, r in broken.items())
                )
            st.checkbox(
                label,
                key=key(prefix, f"proj.{proj.project_id}"),
                disabled=not n,
                persist_state=PERSIST,
                help="\n\n".join(helps) or None,
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
                    format_func=lambda pid, bad=broken, todo=setups: _label(
                        pid, (bad[pid],) if pid in bad else (), todo.get(pid)
                    ),
                )
    picked = picked_projects(prefix, ws)
    _unloadable_warning(ws, {"projects": picked})
    _setup_warning(ws, request_pipelines(ws, {"projects": picked}))


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
