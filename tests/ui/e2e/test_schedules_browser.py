"""In a real browser: save the Bulk Pipeline form as a schedule, find it on Schedules, run it now."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_create_a_schedule_from_the_bulk_form_see_it_and_run_it_now(page: Page, e2e_server):
    page.goto(e2e_server.url + "/")
    expect(page.get_by_role("heading", name="Bulk Pipeline Execution", exact=True)).to_be_visible(
        timeout=30_000
    )
    page.get_by_label("Job name").fill("e2e scheduled ledger")
    page.get_by_label("Job name").press("Enter")
    page.get_by_text("ledger_validation", exact=True).click()
    expect(page.get_by_text("1 pipeline selected across 1 project")).to_be_visible()
    page.get_by_role("button", name="Save as schedule").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Schedule name").fill("e2e nightly ledger")
    dialog.get_by_label("Schedule name").press("Enter")
    dialog.get_by_role("textbox", name="Cron").fill("30 5 * * *")
    dialog.get_by_role("textbox", name="Cron").press("Enter")
    dialog.get_by_role("button", name="Save schedule").click()
    saved = page.get_by_text(re.compile(r"Saved schedule e2e nightly ledger \((sch-[0-9a-f]{8})\)"))
    expect(saved).to_be_visible(timeout=15_000)
    schedule_id = re.search(r"\((sch-[0-9a-f]{8})\)", saved.inner_text()).group(1)

    page.get_by_role("link", name="Open Schedules").click()
    expect(page.get_by_role("heading", name="Schedules", exact=True)).to_be_visible(timeout=15_000)
    # the list is a canvas grid; the picked schedule's settings show its name and cron
    expect(page.get_by_role("textbox", name="Name")).to_have_value("e2e nightly ledger")
    expect(page.get_by_role("textbox", name="Cron")).to_have_value("30 5 * * *")
    page.get_by_role("button", name="Run now").click()
    ran = page.get_by_text(re.compile(r"Run now: job ([0-9a-f-]{36}) job created"))
    expect(ran).to_be_visible(timeout=15_000)
    job_id = re.search(r"job ([0-9a-f-]{36})", ran.inner_text()).group(1)

    answer = httpx.get(f"{e2e_server.url}/batch/schedules/{schedule_id}", timeout=10).json()
    assert answer["name"] == "e2e nightly ledger" and answer["cron"] == "30 5 * * *"
    assert [(r["job_id"], r["trigger"]) for r in answer["runs"]] == [(job_id, "manual")]
    assert answer["request"]["pipelines"] == [
        {"pipeline_id": "ledger_validation", "project_id": "finance_checks"}
    ]
    page.get_by_role("link", name="Open the job just created").click()
    expect(page.get_by_text("Created by schedule e2e nightly ledger").first).to_be_visible(
        timeout=15_000
    )
