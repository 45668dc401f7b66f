"""Check history in the browser on a seeded 60-day history (issue 15 §1, §2): the scorecard, a
pipeline's strip and one check by its own URL, light and dark; screenshots in the artifacts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from batchcore.store import Store
from tests.servers import start_streamlit_process, stop_process
from tests.ui.seed import WORSENING, seed_check_history, write_workspace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def history_server(tmp_path_factory, browser) -> Iterator[SimpleNamespace]:
    tmp = tmp_path_factory.mktemp("history-e2e")
    workspace = write_workspace(tmp / "workspace")
    store = Store(tmp / "jobs" / "batch.duckdb")
    store.start()
    try:
        info = seed_check_history(store, days=60, runs_per_day=1)
    finally:
        store.close()
    env = {
        **os.environ,
        "BATCH_JOBS_DIR": str(tmp / "jobs"),
        "BATCH_WORKSPACE": str(workspace),
        "BATCH_AUTO_BUILD_EXAMPLE": "0",
        "BATCH_MAX_WORKERS": "2",
    }
    proc, base = start_streamlit_process(env, tmp / "server.log")
    try:
        warm = browser.new_page()
        warm.goto(base + "/")
        warm.get_by_text("Bulk Pipeline Execution").first.wait_for(timeout=30_000)
        warm.close()
        yield SimpleNamespace(url=base, info=info)
    finally:
        stop_process(proc)


def _plots(page: Page, n: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n}", timeout=30_000
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_check_history_views(page: Page, history_server, artifacts, scheme):
    page.emulate_media(color_scheme=scheme)
    base = history_server.url + "/check-history"
    # the project scorecard
    page.goto(base + "?" + urlencode({"project": "retail_migration", "period": "7d"}))
    expect(page.get_by_text("Quality scorecard · retail_migration")).to_be_visible()
    expect(page.get_by_text("Checks passing now")).to_be_visible()
    expect(page.get_by_role("button", name="Review report (HTML)")).to_be_visible()
    page.screenshot(
        path=str(artifacts / f"20-check-history-scorecard-{scheme}.png"), full_page=True
    )
    # a pipeline: the run x check strip
    page.goto(
        base + "?" + urlencode({"project": WORSENING[0], "pipeline": WORSENING[1], "period": "all"})
    )
    expect(page.get_by_text(f"{WORSENING[0]} · {WORSENING[1]}")).to_be_visible()
    _plots(page, 1)
    page.screenshot(path=str(artifacts / f"21-check-history-pipeline-{scheme}.png"), full_page=True)
    # one check by its own URL: trend with threshold and status marks, runs table
    page.goto(base + "?" + urlencode({"check": "/".join(WORSENING), "period": "all"}))
    expect(page.get_by_role("heading", name=WORSENING[2])).to_be_visible()
    _plots(page, 1)
    expect(page.get_by_text("threshold 100%").first).to_be_visible()
    expect(page.get_by_text("61 in the period")).to_be_visible()
    page.screenshot(path=str(artifacts / f"22-check-history-check-{scheme}.png"), full_page=True)
    # a row count judged by its learned band: the band chart shows under the trend
    page.goto(
        base
        + "?"
        + urlencode(
            {
                "check": "retail_migration/dim_customer_validation/row_count(dim_customer)",
                "period": "all",
            }
        )
    )
    _plots(page, 2)
    expect(page.get_by_text("learned band").first).to_be_visible()
    page.screenshot(path=str(artifacts / f"23-check-history-band-{scheme}.png"), full_page=True)
