"""Job History page: filters and pagination return the right rows; selection export and delete."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from batchcore.timeutil import utcnow_naive
from tests.ui.conftest import open_page
from tests.ui.seed import noop_job, seed_dates
from ui_components import exports

PAGE = "pages/job_history.py"


@pytest.fixture
def history(engine):
    """Five finished jobs: names, statuses, projects, tags and creation days differ."""
    ids = {
        "ok-retail": noop_job(
            engine, "ok-retail", 2, project_id="retail_migration", tags=["nightly"]
        ),
        "half-retail": noop_job(engine, "half-retail", 2, fail=(1,), project_id="retail_migration"),
        "bad-finance": noop_job(
            engine, "bad-finance", 1, fail=(0,), project_id="finance_checks", tags=["nightly"]
        ),
        "ok-old": noop_job(engine, "ok-old", 1),
        "ok-new": noop_job(engine, "ok-new", 1, tags=["adhoc"]),
    }
    for job_id in ids.values():
        engine.wait(job_id, timeout=10)
    seed_dates(engine.store, ids["ok-old"], utcnow_naive() - timedelta(days=10))
    return ids


def _names(at) -> list[str]:
    return list(at.dataframe[0].value["Job"])


def test_lists_all_jobs_newest_first(engine, history):
    at = open_page(PAGE)
    assert _names(at) == ["ok-new", "bad-finance", "half-retail", "ok-retail", "ok-old"]
    df = at.dataframe[0].value
    assert list(df["Status"])[:3] == ["✓ completed", "✗ failed", "◑ partial success"]
    assert list(df["Progress"]) == [1.0] * 5


@pytest.mark.parametrize(
    ("widget", "value", "expected"),
    [
        ("h_status", ["partial success"], ["half-retail"]),
        ("h_status", ["failed", "partial success"], ["bad-finance", "half-retail"]),
        ("h_project", "finance_checks", ["bad-finance"]),
        ("h_tag", "nightly", ["bad-finance", "ok-retail"]),
        ("h_search", "retail", ["half-retail", "ok-retail"]),
    ],
)
def test_each_filter_returns_the_right_rows(engine, history, widget, value, expected):
    at = open_page(PAGE)
    if widget == "h_status":
        at.multiselect(key=widget).set_value(value).run()
    elif widget == "h_search":
        at.text_input(key=widget).input(value).run()
    else:
        at.selectbox(key=widget).select(value).run()
    assert _names(at) == expected


def test_type_and_date_range_filters(engine, history):
    at = open_page(PAGE)
    at.multiselect(key="h_type").set_value(["Data generation"]).run()
    assert "No job matches these filters" in at.info[0].value
    at.multiselect(key="h_type").set_value(["Bulk pipelines"]).run()
    assert len(_names(at)) == 5
    old = (utcnow_naive() - timedelta(days=10)).date()
    at.date_input(key="h_dates").set_value((old, old)).run()
    assert _names(at) == ["ok-old"]
    today = utcnow_naive().date()
    at.date_input(key="h_dates").set_value((today - timedelta(days=1), today)).run()
    assert "ok-old" not in _names(at) and len(_names(at)) == 4


def test_pagination_reads_one_page_at_a_time(engine):
    for i in range(30):
        noop_job(engine, f"job {i:02d}", 1)
    at = open_page(PAGE)
    assert _names(at) == [f"job {i:02d}" for i in range(29, 4, -1)]
    assert "Jobs **1–25** of **30** matching" in at.caption[0].value
    at.get("pagination")[0].set_value(2).run()
    assert _names(at) == [f"job {i:02d}" for i in range(4, -1, -1)]
    assert "Jobs **26–30** of **30** matching" in at.caption[0].value
    at.selectbox(key="h_size").select(50).run()
    assert len(_names(at)) == 30


def test_selection_delete_with_confirmation(engine, history):
    at = open_page(PAGE)
    table = at.dataframe[0].key
    at.session_state[table] = {"selection": {"rows": [0, 2], "columns": [], "cells": []}}
    at.run()
    assert at.subheader[0].value == "Selected: 2"
    assert at.button(key="h_delete").label == "Delete (2)"
    at.button(key="h_delete").click().run()
    assert "Delete 2 jobs (**ok-new**, **half-retail**)?" in [m.value for m in at.markdown][-1]
    assert engine.list_jobs()[1] == 5  # nothing deleted before confirming
    at.button(key="h_delete").click()
    at.button(key="delete-confirm").click().run()
    assert at.success[0].value == "Deleted 2 jobs."
    assert _names(at) == ["bad-finance", "ok-retail", "ok-old"]


def test_selection_and_list_exports_hold_the_jobs(engine, history):
    ids = [history["half-retail"], history["bad-finance"]]
    data = json.loads(exports.selection_json(engine, ids))
    assert [j["job"]["name"] for j in data["jobs"]] == ["half-retail", "bad-finance"]
    assert [o["status"] for o in data["jobs"][0]["job"]["operations"]] == ["completed", "failed"]
    rows = list(csv.DictReader(io.StringIO(exports.selection_csv(engine, ids))))
    assert [(r["job_name"], r["operation_id"], r["status"]) for r in rows] == [
        ("half-retail", "op_0", "completed"),
        ("half-retail", "op_1", "failed"),
        ("bad-finance", "op_0", "failed"),
    ]
    from batchcore.store.reads import JobFilter

    listed = list(
        csv.DictReader(
            io.StringIO(
                exports.jobs_list_csv(exports.iter_jobs(engine, JobFilter(tag="nightly"), 100))
            )
        )
    )
    assert [(r["name"], r["status"], r["failed_operations"]) for r in listed] == [
        ("bad-finance", "failed", "1"),
        ("ok-retail", "completed", "0"),
    ]
    assert (
        json.loads(exports.jobs_list_json(exports.iter_jobs(engine, JobFilter(), 2)))["jobs"][1][
            "name"
        ]
        == "bad-finance"
    )


def test_filters_come_from_a_shared_link(engine, history):
    at = open_page(PAGE, h_status="failed", h_tag="nightly")
    assert _names(at) == ["bad-finance"]


def test_date_range_comes_from_a_shared_link(engine, history):
    old = (utcnow_naive() - timedelta(days=10)).date()
    next_day = old + timedelta(days=1)
    at = open_page(PAGE, h_dates=[old.isoformat(), next_day.isoformat()])
    assert at.date_input(key="h_dates").value == (old, next_day)
    assert _names(at) == ["ok-old"]
    # a one-day range: Streamlit keeps the repeated date once, and one date means that day
    at = open_page(PAGE, h_dates=[old.isoformat(), old.isoformat()])
    assert at.date_input(key="h_dates").value == (old,)
    assert _names(at) == ["ok-old"]
    today = utcnow_naive().date()
    at = open_page(PAGE, h_dates=today.isoformat(), h_status="failed")
    assert _names(at) == ["bad-finance"]
