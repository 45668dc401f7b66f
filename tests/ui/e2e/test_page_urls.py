"""Every page opens at the URL its menu entry shows: /bulk-pipelines (the launch page) used to
answer "Page not found" because Streamlit serves the default page at "/" only."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_bulk_pipelines_opens_at_its_own_url_and_the_root_goes_there(page: Page, e2e_server):
    page.goto(e2e_server.url + "/bulk-pipelines")
    expect(page.get_by_role("heading", name="Bulk Pipeline Execution", exact=True)).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.goto(e2e_server.url + "/")
    expect(page.get_by_role("heading", name="Bulk Pipeline Execution", exact=True)).to_be_visible(
        timeout=30_000
    )
    page.wait_for_url("**/bulk-pipelines")
    expect(page.get_by_text("Page not found")).to_have_count(0)
    # the menu's entry is the page itself (highlighted), not a hidden copy
    link = page.get_by_role("link", name="Bulk Pipeline Execution")
    expect(link).to_have_attribute("href", e2e_server.url + "/bulk-pipelines")


def test_analytics_tab_parameter_opens_that_tab(page: Page, e2e_server, artifacts):
    page.goto(e2e_server.url + "/analytics?tab=Failures")
    tab = page.get_by_role("tab", name="Failures")
    expect(tab).to_have_attribute("aria-selected", "true", timeout=30_000)
    page.screenshot(path=str(artifacts / "analytics-tab-failures.png"))
