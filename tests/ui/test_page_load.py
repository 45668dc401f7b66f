"""Pages work with a big history: 10,000 jobs (40,000 operations) in the store.

The pages read one page of jobs and SQL aggregates, never the whole table. How long they take is
measured by bench/ui_page_load.py (figures in docs/ui.md), not asserted here.
"""

from __future__ import annotations

import pytest

from tests.ui.conftest import open_page
from tests.ui.seed import seed_history

pytestmark = pytest.mark.slow


@pytest.fixture
def big_history(engine):
    seed_history(engine.store, 10_000, ops_per_job=4, days=30)
    return engine


def test_history_pages_ten_thousand_jobs_25_at_a_time(big_history):
    at = open_page("pages/job_history.py")
    assert not at.exception
    assert len(at.dataframe[0].value) == 25
    assert "of **10,000** matching" in at.caption[0].value


@pytest.mark.parametrize("page", ["pages/active_jobs.py", "pages/analytics.py"])
def test_page_renders_with_ten_thousand_jobs(big_history, page):
    at = open_page(page)
    at.run()
    assert not at.exception
    assert not at.error
