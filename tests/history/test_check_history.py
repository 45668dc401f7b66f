"""Check history (issue 15 §1): real runs through the executor, and a seeded 60-day history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from batchcore.errors import NotFound, RequestError
from batchcore.history import CheckKey, parse_since
from tests.ui.seed import HISTORY_PROJECTS, WORSENING, seed_check_history, write_workspace

PIPELINE = """\
target: warehouse
threshold: 1.0
checks:
  - {{type: not_null, table: people, columns: [email]{name}}}
  - {{type: row_count, table: people, min: 1}}
"""


def _workspace(tmp_path: Path, name: str = "") -> Path:
    ws = write_workspace(tmp_path / "ws")
    d = ws / "projects" / "retail_migration" / "pipelines"
    (d / "people_validation.yaml").write_text(PIPELINE.format(name=name))
    with duckdb.connect(str(ws / "data" / "warehouse.duckdb")) as con:
        con.execute("CREATE OR REPLACE TABLE people (id INT, email VARCHAR)")
        con.execute("INSERT INTO people SELECT range, 'x@y' FROM range(10)")
    return ws


def _run(eng, ws: Path, sql: str | None = None) -> str:
    if sql:
        with duckdb.connect(str(ws / "data" / "warehouse.duckdb")) as con:
            con.execute(sql)
    job = eng.submit(
        "bulk_pipeline_execution",
        {
            "job_name": "people",
            "pipelines": [{"pipeline_id": "people_validation", "project_id": "retail_migration"}],
        },
    )
    eng.wait(job.job_id, timeout=60)
    return job.job_id


def test_runs_through_the_executor_make_a_history(tmp_path, make_engine):
    ws = _workspace(tmp_path)
    eng = make_engine(workspace=ws)
    j1 = _run(eng, ws)
    j2 = _run(eng, ws, "UPDATE people SET email = NULL WHERE id < 3")
    j3 = _run(eng, ws, "INSERT INTO people VALUES (10, NULL), (11, 'a@b')")
    key = "retail_migration/people_validation/not_null(people.email)"
    h = eng.check_history(key)
    assert h["total_runs"] == 3
    runs = h["runs"]  # newest first
    assert [r["job_id"] for r in runs] == [j3, j2, j1]
    assert [r["failed_rows"] for r in runs] == [4, 3, 0]
    assert [r["total_rows"] for r in runs] == [12, 10, 10]
    assert [r["status"] for r in runs] == ["failed", "failed", "passed"]
    assert runs[0]["pass_rate"] == pytest.approx(1 - 4 / 12)
    assert runs[0]["job_name"] == "people" and runs[0]["threshold"] == 1.0
    s = h["summary"]
    assert (s["runs"], s["passed_runs"], s["failed_runs"], s["status"]) == (3, 1, 2, "failed")
    assert [p["failed_rows"] for p in h["trend"]["points"]] == [0, 3, 4]
    assert h["trend"]["bucket"] is None
    # exports: every run, one CSV row each
    csv_text = eng.check_history_export(key, "csv")
    lines = csv_text.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("project_id,pipeline_id,check_name,run_at")
    assert lines[1].split(",")[3:5] and j3 in lines[1]
    # the pipeline view: 3 runs x 2 checks
    m = eng.pipeline_history("people_validation")
    assert m["project_id"] == "retail_migration" and m["total_runs"] == 3
    assert [c["check_name"] for c in m["checks"]] == ["not_null(people.email)", "row_count(people)"]
    cells = {(c["run"], c["check_name"]): c["status"] for c in m["cells"]}
    assert cells[(0, "not_null(people.email)")] == "passed"
    assert cells[(2, "not_null(people.email)")] == "failed"
    assert cells[(2, "row_count(people)")] == "passed"
    assert [r["failed_checks"] for r in m["runs"]] == [0, 1, 1]


def test_a_renamed_check_starts_a_new_history(tmp_path, make_engine):
    ws = _workspace(tmp_path)
    eng = make_engine(workspace=ws)
    _run(eng, ws)
    (ws / "projects/retail_migration/pipelines/people_validation.yaml").write_text(
        PIPELINE.format(name=", name: email_present")
    )
    _run(eng, ws)
    old = eng.check_history("retail_migration/people_validation/not_null(people.email)")
    new = eng.check_history("retail_migration/people_validation/email_present")
    assert old["total_runs"] == 1 and new["total_runs"] == 1
    with pytest.raises(NotFound, match="renamed check starts a new history"):
        eng.check_history("retail_migration/people_validation/no_such_check")
    with pytest.raises(RequestError, match="check_key"):
        eng.check_history("just-a-name")


def test_check_key_text_round_trip():
    k = CheckKey.parse("p/pl/sql check / with slash")
    assert (k.project_id, k.pipeline_id, k.check_name) == ("p", "pl", "sql check / with slash")
    assert CheckKey.parse(k.text) == k
    assert (
        CheckKey.parse("-/pl/c").project_id is None and CheckKey(None, "pl", "c").text == "-/pl/c"
    )


def test_parse_since():
    from datetime import datetime

    now = datetime(2026, 12, 5, 12, 0)
    assert parse_since("7d", now=now) == datetime(2026, 11, 28, 12, 0)
    assert parse_since("36h", now=now) == datetime(2026, 12, 4, 0, 0)
    assert parse_since("2026-11-01", now=now) == datetime(2026, 11, 1)
    assert parse_since("", now=now) is None
    with pytest.raises(RequestError, match="since 'yesterday'"):
        parse_since("yesterday", now=now)


@pytest.fixture
def seeded(make_engine, tmp_path):
    eng = make_engine(workspace=write_workspace(tmp_path / "ws"))
    info = seed_check_history(eng.store, days=60, runs_per_day=1)
    return eng, info


def test_seeded_history_trend_and_scorecard(seeded):
    eng, info = seeded
    assert info["checks"] == 30 and info["check_runs"] >= 30 * 60
    key = "/".join(WORSENING)
    h = eng.check_history(key, limit=None)
    runs = sorted(h["runs"], key=lambda r: r["run_at"])
    assert len(runs) == h["total_runs"] == h["summary"]["runs"]
    # the worsening check: no failures in its first 30 days, failures in its last days
    assert all(r["failed_rows"] == 0 for r in runs[:29])
    assert runs[-1]["failed_rows"] > runs[-10]["failed_rows"] > 0
    # scorecard: computed here from the runs the store returns, by the documented rule
    end = runs[-1]["run_at"] + timedelta(seconds=1)
    card = eng.quality_scorecard("retail_migration", period=timedelta(days=7), end=end)
    latest: dict[str, str] = {}
    prev_latest: dict[str, str] = {}
    for c in eng.list_checks(project_id="retail_migration"):
        all_runs = eng.check_history(c["key"], limit=None)["runs"]
        cur_runs = [r for r in all_runs if end - timedelta(days=7) <= r["run_at"] < end]
        prev = [
            r for r in all_runs if end - timedelta(days=14) <= r["run_at"] < end - timedelta(days=7)
        ]
        if cur_runs:
            latest[c["key"]] = max(cur_runs, key=lambda r: r["run_at"])["status"]
        if prev:
            prev_latest[c["key"]] = max(prev, key=lambda r: r["run_at"])["status"]
    assert card["current"]["checks"] == len(latest) == 18
    assert card["current"]["passing"] == sum(s == "passed" for s in latest.values())
    assert card["previous"]["passing"] == sum(s == "passed" for s in prev_latest.values())
    assert card["checks"][0]["status"] in ("failed", "error")
    worse = next(c for c in card["checks"] if c["key"] == key)
    assert worse["status"] == "failed" and worse["last_failed_rows"] > worse["previous_failed_rows"]


def test_large_history_is_bucketed(seeded):
    eng, _ = seeded
    key = "/".join(WORSENING)
    h = eng.check_history(key, max_points=20)
    assert h["trend"]["bucket"] == "week"
    assert sum(p["runs"] for p in h["trend"]["points"]) == h["total_runs"]
    m = eng.pipeline_history("fact_sales_validation", max_runs=10)
    assert len(m["runs"]) == 10 and m["total_runs"] > 60 and len(m["checks"]) == 6
    assert len(m["cells"]) == 60
    assert set(HISTORY_PROJECTS) == {c["project_id"] for c in eng.list_checks()}
