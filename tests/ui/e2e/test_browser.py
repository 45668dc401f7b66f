"""The main journeys in a real browser: launch and watch a job, cancel, details, downloads,
and a screenshot of every page (under test-artifacts/screenshots)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

TERMINAL = re.compile(r"completed|partial success|failed|cancelled")


def _text(download) -> str:
    """The downloaded file's text."""
    return Path(download.path()).read_text(encoding="utf-8")


def _open(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=30_000)


def test_launch_a_bulk_job_and_watch_it_finish_on_active_jobs(page: Page, e2e_server):
    _open(page, e2e_server.url + "/", "Bulk Pipeline Execution")
    page.evaluate("window.__noReload = 'still the same document'")
    page.get_by_label("Job name").fill("e2e bulk job")
    page.get_by_label("Job name").press("Enter")
    page.get_by_text("fx_rates_validation", exact=True).click()
    page.get_by_text("ledger_validation", exact=True).click()
    expect(page.get_by_text("2 pipelines selected across 1 project")).to_be_visible()
    retries = page.get_by_role("spinbutton", name="Max retries per operation")
    retries.fill("2")
    retries.press("Enter")
    page.get_by_role("button", name="Submit job").click()
    success = page.get_by_text(re.compile(r"Submitted job e2e bulk job \(([0-9a-f-]{36})\)"))
    expect(success).to_be_visible(timeout=15_000)
    job_id = re.search(r"\(([0-9a-f-]{36})\)", success.inner_text()).group(1)

    page.get_by_role("link", name="Watch on Active Jobs").click()
    expect(page.get_by_role("heading", name="Active Jobs", exact=True)).to_be_visible(
        timeout=15_000
    )
    row = page.locator(f".st-key-job-row-{job_id}")
    expect(row).to_contain_text("e2e bulk job", timeout=15_000)
    expect(row).to_contain_text("/2 done")
    # the 2 s fragment moves the row to a final state: no reload, no navigation
    expect(row.locator(".bo-badge")).to_have_text(TERMINAL, timeout=60_000)
    assert page.evaluate("window.__noReload") == "still the same document"
    assert page.url.endswith("/active")


def test_cancel_a_running_job_with_reason_and_force(page: Page, e2e_server):
    job_id = e2e_server.seeded["long"]
    _open(page, e2e_server.url + "/active", "Active Jobs")
    row = page.locator(f".st-key-job-row-{job_id}")
    expect(row.locator(".bo-badge")).to_have_text(re.compile("running"), timeout=30_000)
    row.get_by_role("button", name="Cancel").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    reason = dialog.get_by_label("Reason (optional)")
    reason.fill("e2e: wrong input")
    reason.press("Enter")
    expect(reason).to_have_value("e2e: wrong input")  # kept through the dialog's rerun
    dialog.get_by_text("Force: interrupt running operations now").click()
    expect(
        dialog.get_by_role("checkbox", name="Force: interrupt running operations now")
    ).to_be_checked()
    dialog.get_by_role("button", name="Cancel job").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text(re.compile("e2e long job.*is (cancelled|cancelling)"))).to_be_visible(
        timeout=15_000
    )
    expect(row.locator(".bo-badge")).to_have_text(re.compile("cancelled"), timeout=30_000)

    row.get_by_role("link", name="Details").click()
    expect(page.get_by_text("Cancel reason")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("e2e: wrong input", exact=True)).to_be_visible()


def test_details_show_checks_and_exports_download(page: Page, e2e_server, tmp_path):
    job_id = e2e_server.seeded["checks"]
    _open(page, f"{e2e_server.url}/job?job_id={job_id}", "Job Details")
    expect(page.get_by_text("e2e checks job").first).to_be_visible()
    expect(page.get_by_text("partial success").first).to_be_visible(timeout=30_000)
    panel = page.get_by_text(
        re.compile(r"not_null_email \[not_null on customers.email\] — 40 of 1,000 rows failed")
    )
    expect(panel).to_be_visible()
    expect(
        page.get_by_text("SELECT count(*) FILTER (WHERE email IS NULL) FROM customers")
    ).to_be_visible()

    with page.expect_download() as dl:
        page.get_by_role("button", name="Export JSON").click()
    assert dl.value.suggested_filename == f"job-{job_id}.json"
    data = json.loads(_text(dl.value))
    assert data["job"]["name"] == "e2e checks job"
    assert [o["status"] for o in data["job"]["operations"]] == ["completed", "failed"]
    assert sorted(c["check_name"] for c in data["check_results"]) == [
        "not_null_email",
        "not_null_id",
        "unique_id",
    ]

    with page.expect_download() as dl:
        page.get_by_role("button", name="Export CSV").click()
    assert dl.value.suggested_filename == f"job-{job_id}.csv"
    rows = list(csv.DictReader(io.StringIO(_text(dl.value))))
    assert [
        (r["operation_id"], r["status"], r["checks_total"], r["checks_failed"]) for r in rows
    ] == [
        ("pipeline_0_dim_customer_validation", "completed", "1", "0"),
        ("pipeline_1_fact_sales_validation", "failed", "2", "1"),
    ]


def test_history_filter_from_a_link_and_export_the_matching_jobs(page: Page, e2e_server):
    _open(page, f"{e2e_server.url}/history?h_tag=e2e", "Job History")
    expect(page.get_by_text(re.compile(r"Jobs 1–1 of 1 matching"))).to_be_visible(timeout=15_000)
    with page.expect_download() as dl:
        page.get_by_role("button", name="All matching CSV").click()
    rows = list(csv.DictReader(io.StringIO(_text(dl.value))))
    assert [(r["name"], r["tags"]) for r in rows] == [("e2e checks job", "e2e")]
    with page.expect_download() as dl:
        page.get_by_role("button", name="All matching JSON").click()
    assert [j["job_id"] for j in json.loads(_text(dl.value))["jobs"]] == [
        e2e_server.seeded["checks"]
    ]


PAGES = [  # name, path, heading, element to wait for, window height
    ("01-bulk-pipeline-execution", "/", "Bulk Pipeline Execution", None, 1700),
    ("02-batch-data-generation", "/data-generation", "Batch Data Generation", None, 1400),
    ("03-multi-project-validation", "/multi-project", "Multi-Project Validation", None, 1400),
    ("04-bulk-metadata-extraction", "/metadata-extraction", "Bulk Metadata Extraction", None, 1100),
    ("05-active-jobs", "/active", "Active Jobs", ".st-key-job-row-{running}", 900),
    ("06-job-history", "/history", "Job History", "canvas", 1300),
    ("07-job-details", "/job?job_id={checks}", "Job Details", "canvas", 2600),
    ("08a-analytics-overview", "/analytics", "Analytics", ".js-plotly-plot", 1900),
    ("08b-analytics-failures", "/analytics?an_tab=Failures", "Analytics", ".js-plotly-plot", 2400),
    (
        "08c-analytics-performance",
        "/analytics?an_tab=Performance",
        "Analytics",
        ".js-plotly-plot",
        1900,
    ),
    ("09-catalog", "/catalog", "Catalog", None, 700),
    ("10-pipelines", "/pipelines?pl_project=retail_migration", "Pipelines", None, 900),
]


@pytest.mark.parametrize(
    ("name", "path", "heading", "wait_for", "height"), PAGES, ids=[p[0] for p in PAGES]
)
def test_screenshot_of_every_page(
    page: Page, e2e_server, artifacts, name, path, heading, wait_for, height
):
    page.set_viewport_size({"width": 1440, "height": height})
    _open(page, e2e_server.url + path.format(**e2e_server.seeded), heading)
    charts = {
        "08a-analytics-overview": 4,
        "08b-analytics-failures": 2,
        "08c-analytics-performance": 2,
    }
    # Wait for states, not time: the script run has ended (Streamlit's running indicator is
    # gone), every chart of the open tab has drawn its SVG, every table its canvas. Generous
    # timeouts: on a loaded machine the Failures tab's queries and Plotly take a while.
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=90_000)
    if name in charts:  # only the open tab is drawn; every chart has data in the seed
        drawn = page.locator(".js-plotly-plot .main-svg")
        expect(page.locator(".js-plotly-plot")).to_have_count(charts[name], timeout=90_000)
        for i in range(charts[name]):
            expect(page.locator(".js-plotly-plot").nth(i).locator(".main-svg").first).to_be_visible(
                timeout=90_000
            )
        assert drawn.count() >= charts[name]
    elif wait_for:
        expect(page.locator(wait_for.format(**e2e_server.seeded)).first).to_be_visible(
            timeout=90_000
        )
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_dark_theme_follows_the_system_setting(page: Page, e2e_server, artifacts):
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 1440, "height": 1300})
    _open(page, e2e_server.url + "/history", "Job History")
    page.locator("canvas").first.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(1000)
    background = page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    assert background == "rgb(13, 17, 23)"  # [theme.dark] backgroundColor in .streamlit/config.toml
    page.screenshot(path=str(artifacts / "11-job-history-dark.png"), full_page=True)
