"""A job name full of Markdown, a link, LaTeX and HTML, as Chromium renders it: the submit
success message, the Job Details title and the delete dialog show the name exactly as typed,
with no link, no bold/italic from the name, no formula and no HTML element made from it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e

EVIL = "**bold** [link](https://evil.example) $x$ <b>html</b> :red[red] www.evil.example & _i_"
WJ = "\u2060"  # the invisible word joiner that keeps Streamlit from autolinking a URL in text
MADE_FROM_NAME = "a, b, em, code, .katex, [data-testid='stMarkdownColoredText'], span[style]"


def _nothing_rendered(where: Locator) -> None:
    assert where.locator(MADE_FROM_NAME).count() == 0, where.inner_html()


def test_a_job_name_is_shown_as_typed_in_the_success_message_title_and_dialog(
    page: Page, e2e_server
):
    page.goto(e2e_server.url + "/")
    expect(page.get_by_role("heading", name="Bulk Pipeline Execution", exact=True)).to_be_visible(
        timeout=30_000
    )
    page.get_by_label("Job name").fill(EVIL)
    page.get_by_label("Job name").press("Enter")
    page.get_by_text("ledger_validation", exact=True).click()
    page.get_by_role("button", name="Submit job").click()

    success = page.locator("[data-testid='stAlertContentSuccess']").filter(has_text="Submitted job")
    expect(success).to_be_visible(timeout=15_000)
    assert success.locator("strong").inner_text().replace(WJ, "") == EVIL
    _nothing_rendered(success.locator("strong"))

    page.get_by_role("link", name="Open job details").click()
    title = page.locator("h3").filter(has_text="bold")
    expect(title).to_be_visible(timeout=15_000)
    assert title.inner_text().replace(WJ, "").startswith(EVIL)
    # only the heading's own anchor icon and the status badge are elements
    assert title.locator("a:not([href^='#']), b, em, code, .katex").count() == 0, title.inner_html()

    expect(page.get_by_role("button", name="Delete job")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Delete job").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    text = dialog.get_by_text(re.compile(r"^Delete 1 job \("))
    expect(text).to_be_visible()
    assert text.locator("strong").inner_text().replace(WJ, "") == EVIL
    _nothing_rendered(text.locator("strong"))
    dialog.get_by_role("button", name="Delete 1 job").click()
    expect(page.get_by_role("heading", name="Job History", exact=True)).to_be_visible()


def test_a_pasted_job_name_over_200_characters_is_cut_not_lost(page: Page, e2e_server):
    page.goto(e2e_server.url + "/")
    expect(page.get_by_role("heading", name="Bulk Pipeline Execution", exact=True)).to_be_visible(
        timeout=30_000
    )
    long_name = "".join(f"{i:03d}-" for i in range(60))  # 240 characters
    name = page.get_by_label("Job name")
    name.fill(long_name)  # as a paste: the whole text at once
    name.press("Enter")
    expect(name).to_have_value(long_name)  # not dropped by the browser
    page.get_by_text("ledger_validation", exact=True).click()
    page.get_by_role("button", name="Submit job").click()
    expect(
        page.get_by_text(re.compile(r"^The job name had 240 characters: only the first 200"))
    ).to_be_visible(timeout=15_000)
    expect(name).to_have_value(long_name[:200])
    success = page.locator("[data-testid='stAlertContentSuccess']").filter(has_text="Submitted job")
    expect(success).to_be_visible()
    assert success.locator("strong").inner_text() == long_name[:200]
    expect(page.get_by_text("Give the job a name")).to_have_count(0)
