"""One home per rule: the final-status rule and durations have a Python and a SQL form built in
one place (batchcore.state, batchcore.timeutil); these tests check both forms agree on DuckDB."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from batchcore.models import ACTIVE_JOB_STATUSES, TERMINAL_JOB_STATUSES, JobStatus
from batchcore.state import ACTIVE_JOBS, TERMINAL_JOBS, final_job_status, final_status_sql
from batchcore.timeutil import duration_ms, duration_ms_sql


def test_final_status_sql_agrees_with_python_rule():
    con = duckdb.connect()
    cases = [
        (total, completed, cancel)
        for total in (1, 2, 5)
        for completed in range(total + 1)
        for cancel in (False, True)
    ]
    seen = set()
    for total, completed, cancel in cases:
        sql = final_status_sql("c", "t", "k")
        got = con.execute(
            f"SELECT {sql} FROM (SELECT ?::TIMESTAMP AS c, ?::INT AS t, ?::INT AS k)",
            [datetime(2026, 1, 1) if cancel else None, total, completed],
        ).fetchall()[0][0]
        want = final_job_status(total, completed, cancel)
        assert got == want.value, (total, completed, cancel)
        seen.add(want)
    assert seen == set(TERMINAL_JOB_STATUSES)  # every final status is reached by the grid


def test_status_set_sql_lists_come_from_the_enums():
    con = duckdb.connect()
    for sql, statuses in (
        (ACTIVE_JOBS, ACTIVE_JOB_STATUSES),
        (TERMINAL_JOBS, TERMINAL_JOB_STATUSES),
    ):
        for s in JobStatus:
            inside = con.execute(f"SELECT ? IN {sql}", [s.value]).fetchall()[0][0]
            assert inside == (s in statuses), (sql, s)


def test_duration_sql_agrees_with_python():
    con = duckdb.connect()
    start = datetime(2026, 3, 1, 12, 0, 0, 123456)
    for delta in (
        timedelta(0),
        timedelta(microseconds=1),
        timedelta(seconds=1.5),
        timedelta(days=2),
    ):
        end = start + delta
        got = con.execute(
            f"SELECT {duration_ms_sql('?::TIMESTAMP', '?::TIMESTAMP')}", [start, end]
        ).fetchall()[0][0]
        assert abs(got - duration_ms(start, end)) < 1e-6, delta
