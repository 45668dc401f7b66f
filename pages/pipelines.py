"""Pipelines: browse the workspace's projects and pipeline YAML; lint a pipeline with each
problem shown at its line."""

import streamlit as st

from batchcore.validation import lint_pipeline
from ui_components import core, fmt, forms
from ui_components.lint_view import annotate, lint_warning, skipped_files_markdown

st.title("Pipelines")
st.caption(
    "Projects and their validation pipelines in the workspace. Lint checks a pipeline without running it."
)
eng = core.engine()


def run_in_bulk(project_id: str, pipeline_id: str) -> None:
    """Tick this pipeline on the Bulk Pipeline Execution form."""
    st.session_state[forms.key("bulk", f"pl.{project_id}.{pipeline_id}")] = True


with core.guard("Reading the workspace"):
    ws = eng.workspace()
    st.caption(f"Workspace: `{ws.root}`")
    skipped = skipped_files_markdown(ws.problems, ws.root)
    if skipped:
        st.warning(skipped, icon=":material/warning:")
    if not ws.projects:
        st.info(
            "No projects yet. Create `projects/<project_id>/project.yaml` (name, description, source, target) "
            "and `projects/<project_id>/pipelines/<pipeline_id>.yaml` in the workspace; they show up here "
            "within a second.",
            icon=":material/create_new_folder:",
        )
        st.stop()

    left, right = st.columns([1, 2.4])
    with left:
        pid = st.selectbox("Project", list(ws.projects), key="pl_project", bind="query-params")
        proj = ws.projects[pid]
        st.markdown(f"**{fmt.md_escape(proj.name)}**")
        if proj.description:
            st.caption(proj.description)
        st.caption(f"Source: `{proj.source or '—'}` · target: `{proj.target or '—'}`")
        if not proj.pipelines:
            st.info(
                "This project has no pipelines yet: add `pipelines/<pipeline_id>.yaml` to its folder."
            )
            st.stop()
        pl = st.radio("Pipeline", list(proj.pipelines), key=f"pl_pipeline_{pid}")
    with right:
        ref = proj.pipelines[pl]
        text = ref.path.read_text(encoding="utf-8")
        st.markdown(f"**{pl}** · `{ref.path.relative_to(ws.root)}`")
        try:
            problems = lint_pipeline(ref.path, ws)
            lint_error = None
        except Exception as exc:  # the linter itself failed: still show the file
            problems, lint_error = None, core.error_text(exc)
        if lint_error:
            st.error(f"Lint could not run: {lint_error}", icon=":material/error:")
            st.code(text, language="yaml", line_numbers=True)
        elif not problems:
            st.success("No problems found.", icon=":material/check_circle:")
            st.code(text, language="yaml", line_numbers=True)
        else:
            st.error(
                f"{len(problems)} problem{'s' if len(problems) != 1 else ''}:\n\n"
                + "\n".join(f"- {p}" for p in problems),
                icon=":material/error:",
            )
            st.code(annotate(text, problems), language="yaml", line_numbers=True)
        run, note = st.columns([1, 2.6], vertical_alignment="center")
        run.button(
            "Run in a bulk job",
            key="pl_run",
            icon=":material/play_arrow:",
            on_click=run_in_bulk,
            args=(pid, pl),
            help="Tick this pipeline on Bulk Pipeline Execution.",
        )
        warning = lint_warning(problems)
        if warning:
            note.warning(warning, icon=":material/warning:")
        if st.session_state.get(forms.key("bulk", f"pl.{pid}.{pl}")):
            st.page_link(
                core.PAGE_BULK,
                label=f"{pl} is ticked on Bulk Pipeline Execution",
                icon=":material/arrow_forward:",
            )
