"""The sidebar shows the job store's health: nothing while it is ok, a warning naming each
reason while the store's disk is full (a real tmpfs), gone again once space is back."""

from __future__ import annotations

import pytest

from batchcore.engine import get_engine, shutdown_engine
from batchcore.store.writer import FnCommand
from tests.ui.conftest import open_page, wait_until


@pytest.fixture
def disk_engine(small_disk, workspace, monkeypatch):
    monkeypatch.setenv("BATCH_JOBS_DIR", str(small_disk.path / "jobs"))
    monkeypatch.setenv("BATCH_WORKSPACE", str(workspace))
    monkeypatch.setenv("BATCH_AUTO_BUILD_EXAMPLE", "0")
    monkeypatch.delenv("BATCH_API_TOKEN", raising=False)
    shutdown_engine()
    yield get_engine()
    small_disk.free()
    shutdown_engine()


def _sidebar_warnings(at) -> list[str]:
    return [w.value for w in at.sidebar.warning]


def test_sidebar_warns_while_the_store_cannot_write(disk_engine, small_disk):
    assert _sidebar_warnings(open_page("pages/job_history.py")) == []

    small_disk.fill()
    disk_engine.store.submit(
        FnCommand(lambda cur, now: cur.execute("CREATE TABLE s AS SELECT range FROM range(50000)"))
    )
    wait_until(lambda: not disk_engine.health().writable, timeout=30)
    warnings = _sidebar_warnings(open_page("pages/job_history.py"))
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("**Job store degraded**")
    assert "store write failing" in warnings[0] and "disk full" in warnings[0]
    assert "New jobs are refused until it writes again" in warnings[0]

    small_disk.free()
    wait_until(lambda: disk_engine.health().status == "ok", timeout=30)
    assert _sidebar_warnings(open_page("pages/job_history.py")) == []


def test_sidebar_warns_while_the_dask_cluster_is_down(disk_engine, monkeypatch):
    from batchcore.backends import BackendStatus

    assert _sidebar_warnings(open_page("pages/job_history.py")) == []
    down = BackendStatus(
        "dask",
        False,
        "the Dask cluster (tcp://h:8786) is down: its scheduler "
        "cannot be reached (client closed); operations wait until it is back",
    )
    monkeypatch.setattr(disk_engine.backend, "status", lambda: down)
    assert disk_engine.health().status == "degraded"  # what GET /batch/health says
    (warning,) = _sidebar_warnings(open_page("pages/job_history.py"))
    assert warning.startswith("**Dask cluster down**")
    assert "its scheduler cannot be reached" in warning and "Job store" not in warning
