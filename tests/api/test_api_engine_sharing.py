"""One engine per process: the API built with the default engine source uses the same
`get_engine()` singleton the Streamlit pages call, so a job created on either side is seen by the
other; `standalone_app` (serve) opens and closes that engine in its lifespan."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from batchcore.api import create_api
from batchcore.api.app import standalone_app
from batchcore.api.deps import engine_identity
from batchcore.engine import get_engine, shutdown_engine
from batchcore.planning import OpPlan


@pytest.fixture
def process_engine_env(monkeypatch, tmp_path, api_workspace):
    """Point the process singleton at a temporary job store and workspace."""
    shutdown_engine()
    monkeypatch.setenv("BATCH_JOBS_DIR", str(tmp_path / "singleton-jobs"))
    monkeypatch.setenv("BATCH_WORKSPACE", str(api_workspace))
    monkeypatch.setenv("BATCH_AUTO_BUILD_EXAMPLE", "0")
    monkeypatch.delenv("BATCH_API_TOKEN", raising=False)
    yield
    shutdown_engine()


def test_api_and_pages_share_the_process_engine(process_engine_env):
    with TestClient(create_api()) as client:
        engine = get_engine()  # what every page calls
        assert client.get("/health").json()["engine_id"] == engine_identity(engine)

        created = client.post(
            "/pipelines/bulk-execute",
            json={"job_name": "from the API", "pipelines": [{"pipeline_id": "test_pipeline"}]},
        ).json()
        assert engine.get_job(created["job_id"]).name == "from the API"

        from_page = engine.submit_operations("from a page", [OpPlan("noop_0", "noop", {})]).job_id
        listed = {j["job_id"]: j["name"] for j in client.get("/jobs").json()["jobs"]}
        assert listed == {created["job_id"]: "from the API", from_page: "from a page"}
        assert get_engine() is engine


def test_standalone_app_lifespan_opens_and_closes_the_engine(process_engine_env):
    with TestClient(standalone_app(), base_url="http://127.0.0.1") as client:
        engine = get_engine()
        assert client.get("/batch/health").json()["engine_id"] == engine_identity(engine)
        redirect = client.get("/", follow_redirects=False)
        assert (redirect.status_code, redirect.headers["location"]) == (307, "/batch/docs")
        assert client.get("/batch/jobs").json()["total"] == 0
    assert get_engine() is not engine  # the lifespan shut it down; a new one was built
