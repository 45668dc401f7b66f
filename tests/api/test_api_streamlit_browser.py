"""One process, one engine, seen from a real browser: `streamlit run app.py` (a copy of the
project's app.py beside the stand-in page of conftest.STANDIN_UI) serves a page and the API; the
page shows the same engine id as /batch/health, lists a job created through the API, and a job
it creates appears in the API. (The real pages get their own browser tests with the UI.)"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def standin_streamlit(tmp_path, streamlit_starter):
    server = streamlit_starter(tmp_path, standin=True)
    yield server
    server.stop()


def test_page_and_api_share_one_engine(standin_streamlit):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import expect, sync_playwright

    api = standin_streamlit.url
    health = httpx.get(f"{api}/health").json()
    body = {"job_name": "created through the API", "pipelines": [{"pipeline_id": "test_pipeline"}]}
    assert httpx.post(f"{api}/pipelines/bulk-execute", json=body).status_code == 200

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(api.removesuffix("/batch") + "/")
            expect(page.get_by_text(f"engine {health['engine_id']}")).to_be_visible(timeout=30000)
            expect(page.get_by_text(re.compile(r"1 jobs: created through the API"))).to_be_visible()

            page.get_by_role("button", name="Create a job from the page").click()
            created = page.get_by_text(re.compile(r"created job \S+"))
            expect(created).to_be_visible(timeout=15000)
            job_id = created.inner_text().split()[-1]
        finally:
            browser.close()

    job = httpx.get(f"{api}/jobs/{job_id}").json()["job"]
    assert job["name"] == "created in the UI"
    assert httpx.get(f"{api}/jobs").json()["total"] == 2
