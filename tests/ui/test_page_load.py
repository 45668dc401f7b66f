"""Page scripts stay fast with a big history: 10,000 jobs (40,000 operations) in the store.

The pages read one page of jobs and SQL aggregates, never the whole table; the budget here is
the product's (under a second per page run) with a wide margin for a busy CI machine. The
measured figures are in docs/ui.md (bench/ui_page_load.py).
"""

from __future__ import annotations

import time

import pytest

from tests.ui.conftest import open_page
from tests.ui.seed import seed_history

pytestmark = pytest.mark.slow


@pytest.fixture
def big_history(engine):
    seed_history(engine.store, 10_000, ops_per_job=4, days=30)
    return engine


@pytest.mark.parametrize(
    "page", ["pages/job_history.py", "pages/active_jobs.py", "pages/analytics.py"]
)
def test_page_runs_under_a_second_with_10000_jobs(big_history, page):
    at = open_page(page)  # first run warms imports and DuckDB caches
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception
    assert min(times) < 1.0, times
    if page.endswith("job_history.py"):
        assert len(at.dataframe[0].value) == 25
        assert "of **10,000** matching" in at.caption[0].value
