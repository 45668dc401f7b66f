"""One process, one engine, seen from a real browser: `streamlit run app.py` serves the pages and
the API; the sidebar shows the same engine id as /batch/health, a job created through the API is
listed on Job History, and a job submitted from the Bulk Pipeline Execution form is in the API."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def real_streamlit(tmp_path, streamlit_starter):
    server = streamlit_starter(tmp_path)
    yield server
    server.stop()


def test_pages_and_api_share_one_engine(page: Page, real_streamlit):
    api = real_streamlit.url
    base = api.removesuffix("/batch")
    health = httpx.get(f"{api}/health").json()
    body = {
        "job_name": "created through the API",
        "pipelines": [{"pipeline_id": "test_pipeline", "project_id": "guide_examples"}],
    }
    assert httpx.post(f"{api}/pipelines/bulk-execute", json=body).status_code == 200

    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Bulk Pipeline Execution", exact=True)).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text(f"Engine {health['engine_id']}")).to_be_visible()

    page.get_by_label("Job name").fill("created in the UI")
    page.get_by_label("Job name").press("Enter")
    page.get_by_text("pipeline1", exact=True).click()
    page.get_by_role("button", name="Submit job").click()
    success = page.get_by_text(re.compile(r"Submitted job created in the UI \(([0-9a-f-]{36})\)"))
    expect(success).to_be_visible(timeout=15_000)
    job_id = re.search(r"\(([0-9a-f-]{36})\)", success.inner_text()).group(1)

    page.goto(base + "/history")
    # the history grid is a canvas; its accessible cells carry the text
    expect(
        page.locator("[role=gridcell]", has_text="created through the API").first
    ).to_be_attached(timeout=30_000)

    job = httpx.get(f"{api}/jobs/{job_id}").json()["job"]
    assert job["name"] == "created in the UI"
    assert job["operations"][0]["metadata"]["pipeline_id"] == "pipeline1"
    assert httpx.get(f"{api}/jobs").json()["total"] == 2
    assert httpx.get(f"{api}/health").json()["engine_id"] == health["engine_id"]
