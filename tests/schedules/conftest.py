"""Fixtures of the schedule and notification tests: a fake clock, engines on one job store with
that clock, a small workspace whose pipelines pass (or fail on demand)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.executor import RetryPolicy
from tests.ui.seed import write_workspace

T0 = datetime(2026, 6, 1, 8, 0, 30, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand (aware UTC)."""

    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Projects retail_migration (dim_customer, fact_sales, dim_store pipelines: not_null and
    unique on id of 3-row tables, all passing) and finance_checks."""
    return write_workspace(tmp_path / "workspace")


def break_table(workspace: Path, table: str, nulls: int = 1) -> None:
    """Add `nulls` rows with a NULL id to `table` (its not_null check then fails)."""
    with duckdb.connect(str(workspace / "data" / "warehouse.duckdb")) as con:
        con.execute(f'INSERT INTO "{table}" SELECT NULL FROM range({nulls})')


def fix_table(workspace: Path, table: str) -> None:
    with duckdb.connect(str(workspace / "data" / "warehouse.duckdb")) as con:
        con.execute(f'DELETE FROM "{table}" WHERE id IS NULL')


@pytest.fixture
def open_engine(tmp_path: Path, workspace: Path) -> Callable[..., Engine]:
    """Factory: `open_engine(clock, start=True, **settings)` → an Engine on tmp_path/jobs with the
    scheduler thread off (tests call `eng.scheduler.tick()`); closed at the end."""
    engines: list[Engine] = []

    def factory(clock: Callable[[], datetime], *, start: bool = True, **kw) -> Engine:
        kw.setdefault("workspace", workspace)
        settings = Settings(
            jobs_dir=tmp_path / "jobs",
            auto_build_example=False,
            scheduler_enabled=False,
            max_workers=4,
            **kw,
        )
        eng = Engine(
            settings, retry_policy=RetryPolicy(base_s=0.01, cap_s=0.05), start=start, clock=clock
        )
        engines.append(eng)
        return eng

    yield factory
    for eng in engines:
        eng.close(wait_s=5)


def bulk_request(name: str = "scheduled checks", pipelines=("dim_customer_validation",)) -> dict:
    """A bulk pipeline request over retail_migration pipelines."""
    return {
        "job_name": name,
        "pipelines": [{"pipeline_id": p, "project_id": "retail_migration"} for p in pipelines],
    }


def schedule_body(name: str = "every minute", **kw) -> dict:
    return {
        "name": name,
        "job_type": "bulk_pipeline_execution",
        "request": kw.pop("request", bulk_request()),
        "cron": kw.pop("cron", "* * * * *"),
        "timezone": kw.pop("timezone", "UTC"),
        **kw,
    }
