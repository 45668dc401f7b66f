"""Progress never reads 100 % while an operation is still unfinished (store and CLI text)."""

from __future__ import annotations

import duckdb

from batchcore.cli import pct_text
from batchcore.store.reads import progress_for


def _progress(finished: int, total: int):
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE operations (job_id VARCHAR, operation_id VARCHAR, seq INTEGER, status VARCHAR, "
        "failure_kind VARCHAR, duration_ms BIGINT, progress_message VARCHAR)"
    )
    con.execute(
        """INSERT INTO operations
           SELECT 'j', 'op' || i, i, CASE WHEN i < ? THEN 'completed' ELSE 'pending' END, NULL, 5, NULL
           FROM range(?) t(i)""",
        [finished, total],
    )
    return progress_for(con.cursor(), {"j": (True, 4)}, max_workers=4)["j"]


def test_one_pending_operation_of_20000_is_not_100_percent():
    p = _progress(19_999, 20_000)
    assert (p.completed_operations, p.pending_operations) == (19_999, 1)
    assert p.percent_complete == 99.99  # round() gave 100.0
    assert pct_text(p.percent_complete) == " 99.9%"


def test_all_finished_is_100_and_partial_values_are_floored():
    assert _progress(8, 8).percent_complete == 100.0
    assert _progress(2, 3).percent_complete == 66.66
    assert pct_text(100.0) == "100.0%"
    assert pct_text(57.3) == " 57.3%"
    assert pct_text(0.0) == "  0.0%"
