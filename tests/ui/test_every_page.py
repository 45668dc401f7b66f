"""Every page renders, without an exception, on the shipped example workspace and an empty store
(what a fresh clone shows), and on a workspace whose files are broken (an error, not a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchcore.engine import get_engine, shutdown_engine
from tests.ui.conftest import ROOT, open_page

PAGES = [
    "pages/bulk_pipeline.py",
    "pages/data_generation.py",
    "pages/multi_project.py",
    "pages/metadata_extraction.py",
    "pages/active_jobs.py",
    "pages/job_history.py",
    "pages/job_details.py",
    "pages/analytics.py",
    "pages/catalog.py",
    "pages/pipelines.py",
]


@pytest.fixture
def example_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BATCH_JOBS_DIR", str(tmp_path / "jobs"))
    monkeypatch.setenv("BATCH_WORKSPACE", str(ROOT / "examples" / "workspace"))
    monkeypatch.setenv("BATCH_AUTO_BUILD_EXAMPLE", "0")
    shutdown_engine()
    yield get_engine()
    shutdown_engine()


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_example_workspace(example_engine, page):
    at = open_page(page)
    assert at.title[0].value
    assert not at.exception


def test_data_generation_targets_the_example_generated_connection(example_engine):
    at = open_page("pages/data_generation.py")
    assert at.selectbox(key="datagen.target.Retail").value == "generated"


@pytest.mark.parametrize(
    "page", ["pages/bulk_pipeline.py", "pages/job_history.py", "pages/pipelines.py"]
)
def test_a_broken_workspace_file_is_an_error_message(engine, workspace, page):
    (workspace / "connections.yaml").write_text("connections:\n  bad:\n    type: oracle\n")
    engine._ws_cache = None  # the engine reloads the workspace at most once a second
    at = open_page(page)
    assert not at.exception
    messages = [e.value for e in at.error]
    if page.endswith("job_history.py"):  # the history does not need the workspace
        assert not messages and len(at.dataframe) == 0
    else:
        assert any("oracle" in m and "connections.yaml" in m for m in messages), messages
