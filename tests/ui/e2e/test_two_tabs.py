"""Two browser tabs on Active Jobs, clicking Cancel and Keep running over and over while the live
fragment redraws every 2 s: every click opens or closes its dialog in its own tab, no dialog
stays stuck, no tab blanks (`Cannot set a node at a delta path`), and the second tab's cancel
is not lost. (The dialog used to be drawn inside the live fragment; see jobs.cancel_button.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ROUNDS = 6


def _updated(page: Page) -> str:
    return page.get_by_test_id("stMetric").filter(has_text="Updated (UTC)").inner_text()


def _healthy(page: Page, job_id: str) -> None:
    expect(page.get_by_role("heading", name="Active Jobs", exact=True)).to_be_visible()
    expect(page.locator(f".st-key-job-row-{job_id}")).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert "delta path" not in page.inner_text("body")


def test_two_tabs_cancel_and_keep_running_repeatedly(browser, e2e_server):
    job_id = e2e_server.seeded["two_tabs"]
    tabs = [browser.new_page(), browser.new_page()]
    for tab in tabs:
        tab.set_default_timeout(30_000)
        tab.goto(e2e_server.url + "/active")
        expect(tab.locator(f".st-key-job-row-{job_id}")).to_be_visible(timeout=30_000)

    def cancel_button(tab: Page):
        return tab.locator(f".st-key-job-row-{job_id}").get_by_role(
            "button", name=re.compile("Cancel|Force")
        )

    # both dialogs open at once and stay open while each tab's live fragment redraws
    for tab in tabs:
        cancel_button(tab).click()
        expect(tab.get_by_role("dialog")).to_be_visible()
    for tab in tabs:
        before = _updated(tab)
        expect(tab.get_by_test_id("stMetric").filter(has_text="Updated (UTC)")).not_to_have_text(
            before, timeout=15_000
        )  # the fragment reran under the open dialog
        expect(tab.get_by_role("dialog")).to_be_visible()
    for tab in tabs:
        tab.get_by_role("dialog").get_by_role("button", name="Keep running").click()
        expect(tab.get_by_role("dialog")).to_have_count(0)

    # rapid alternation: open in one tab, close it, then the other; each click takes effect
    for _ in range(ROUNDS):
        for tab in tabs:
            cancel_button(tab).click()
            dialog = tab.get_by_role("dialog")
            expect(dialog).to_be_visible()
            dialog.get_by_role("button", name="Keep running").click()
            expect(tab.get_by_role("dialog")).to_have_count(0)
    for tab in tabs:
        _healthy(tab, job_id)

    # dismissing with the close button also closes it for good (no reopening on the next run)
    cancel_button(tabs[0]).click()
    tabs[0].get_by_role("dialog").get_by_role("button", name="Close").click()
    expect(tabs[0].get_by_role("dialog")).to_have_count(0)
    before = _updated(tabs[0])
    expect(tabs[0].get_by_test_id("stMetric").filter(has_text="Updated (UTC)")).not_to_have_text(
        before, timeout=15_000
    )
    expect(tabs[0].get_by_role("dialog")).to_have_count(0)

    # the second tab's cancel is not lost: it cancels, and the first tab sees it
    cancel_button(tabs[1]).click()
    dialog = tabs[1].get_by_role("dialog")
    dialog.get_by_label("Reason (optional)").fill("two tabs")
    dialog.get_by_label("Reason (optional)").press("Enter")
    dialog.get_by_text("Force: interrupt running operations now").click()
    dialog.get_by_role("button", name="Cancel job").click()
    expect(tabs[1].get_by_role("dialog")).to_have_count(0)
    for tab in tabs:
        expect(tab.locator(f".st-key-job-row-{job_id} .bo-badge")).to_have_text(
            re.compile("cancelled"), timeout=30_000
        )
    for tab in tabs:
        tab.close()
