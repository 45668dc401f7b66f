"""Force cancel and timeout stop a REAL long-running query on DuckDB, SQLite, PostgreSQL and
MariaDB, through the product (a pipeline job whose `sql` check runs the query).

For each database: the test waits (by polling real state, never by sleeping) until the query
runs on the database — PostgreSQL `pg_stat_activity`, MariaDB `information_schema.PROCESSLIST`,
SQLite a SHARED lock that blocks `BEGIN EXCLUSIVE`, DuckDB a Python function the query calls —
then cancels the job (or lets `timeout_s` fire) and checks that within 2 s the query is gone
on the database side, the operation ends `cancelled` (or `failed` by timeout), the connection's
slot (max_concurrency 1) is free again, and the next job on the same connection completes.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable

import pytest

from batchcore.connections import (
    connection_semaphore,
    duckdb_instance_acquire,
    duckdb_instance_release,
)
from batchcore.models import JobStatus, OperationStatus
from tests.validation.vhelpers import load_tables, make_ws

STOP_WITHIN_S = 2.0


def poll(pred: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll `pred` until true; answer the seconds it took. Fails naming `what` on timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return time.monotonic() - t0
        time.sleep(0.01)
    raise AssertionError(f"{what}: not reached within {timeout} s")


class Probe:
    """A long query for one database and how to see it run and stop on the database side."""

    spec: dict
    query: str

    def running(self) -> bool:
        raise NotImplementedError

    def stopped(self) -> bool:
        return not self.running()

    def close(self) -> None:
        pass


class PostgresProbe(Probe):
    def __init__(self, request, token):
        import psycopg

        self.spec = {
            "type": "postgres",
            "url": request.getfixturevalue("pg_url"),
            "options": {"schema": request.getfixturevalue("pg_schema")},
        }
        self.query = f"SELECT 1 AS {token} FROM pg_sleep(600)"
        self.token = token
        self.con = psycopg.connect(self.spec["url"], autocommit=True)

    def running(self) -> bool:
        return bool(
            self.con.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND state = 'active' AND query LIKE %s",
                [f"%{self.token}%"],
            ).fetchone()[0]
        )

    def close(self):
        self.con.close()


class MySQLProbe(Probe):
    def __init__(self, request, token):
        import pymysql

        from batchcore.connections import _mysql_params

        url = request.getfixturevalue("mysql_database")
        self.spec = {"type": "mysql", "url": url}
        self.query = f"SELECT SLEEP(600) AS {token}"
        self.token = token
        self.con = pymysql.connect(autocommit=True, **_mysql_params(url))

    def running(self) -> bool:
        with self.con.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
                "AND COMMAND = 'Query' AND INFO LIKE %s",
                [f"%{self.token}%"],
            )
            return bool(cur.fetchone()[0])

    def close(self):
        self.con.close()


class SQLiteProbe(Probe):
    """The query reads a table at every step, so it holds a SHARED lock while it runs: another
    connection's BEGIN EXCLUSIVE fails with "database is locked" exactly then."""

    def __init__(self, tmp_path, token):
        self.path = str(tmp_path / "ws" / "db.sqlite")
        self.spec = {"type": "sqlite", "path": "db.sqlite", "options": {"create": True}}
        self.query = (
            f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c JOIN small "
            f"ON small.a = 1 WHERE x < 1000000000000) SELECT x AS {token} FROM c WHERE x = 0"
        )

    def running(self) -> bool:
        con = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN EXCLUSIVE")
            con.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc), exc
            return True
        finally:
            con.close()


class DuckDBProbe(Probe):
    """The query calls a Python function registered on the process-wide DuckDB instance the
    product shares: it records every call, so "running" and "stopped" are seen from inside."""

    def __init__(self, tmp_path, token):
        import pyarrow.compute as pc

        self.path = str(tmp_path / "ws" / "db.duckdb")
        self.spec = {"type": "duckdb", "path": "db.duckdb"}
        self.cur = duckdb_instance_acquire(self.path)  # keeps the instance (and function) alive
        self.calls = 0
        self.started = threading.Event()

        def tick(arr):  # a pyarrow array of x values
            self.calls += 1
            self.started.set()
            return pc.multiply(arr, 0)

        self.cur.create_function(f"{token}_tick", tick, ["BIGINT"], "BIGINT", type="arrow")
        self.query = f"SELECT x FROM range(1000000000000) t(x) WHERE {token}_tick(x) < 0"

    def running(self) -> bool:
        return self.started.is_set()

    def stopped(self) -> bool:
        # DuckDB is in-process: the query has stopped when the product's thread returned, which
        # the caller sees as the freed slot; it then checks that no call happened after that
        return True

    def close(self):
        self.cur.close()
        duckdb_instance_release(self.path)


def make_probe(kind, request, tmp_path, token) -> Probe:
    if kind == "postgres":
        return PostgresProbe(request, token)
    if kind == "mysql":
        return MySQLProbe(request, token)
    if kind == "sqlite":
        return SQLiteProbe(tmp_path, token)
    return DuckDBProbe(tmp_path, token)


KINDS = [
    pytest.param("duckdb"),
    pytest.param("sqlite"),
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


@pytest.mark.parametrize("how", ["force_cancel", "timeout"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_real_running_query_is_stopped_and_the_connection_stays_usable(
    kind, how, request, tmp_path, make_engine
):
    token = f"bt_{secrets.token_hex(4)}"
    (tmp_path / "ws").mkdir()
    probe = make_probe(kind, request, tmp_path, token)
    try:
        ws = make_ws(tmp_path / "ws", {"db": {**probe.spec, "max_concurrency": 1}}, target="db")
        load_tables(ws, "db", {"small": ([("a", "int")], [(1,), (2,)])})
        pipes = ws.root / "projects" / "p" / "pipelines"
        (pipes / "slow.yaml").write_text(
            f'checks:\n  - {{type: sql, name: slow, query: "{probe.query}"}}\n'
        )
        (pipes / "quick.yaml").write_text("checks: [{type: row_count, table: small, min: 2}]\n")
        eng = make_engine(workspace=ws.root)
        limit = {"timeout_s": 1.0} if how == "timeout" else {}
        job = eng.submit(
            "bulk_pipeline_execution",
            {
                "job_name": "slow",
                "pipelines": [{"pipeline_id": "slow", "project_id": "p"}],
                **limit,
            },
        )
        poll(probe.running, 60, f"{kind}: the slow query running on the database")
        t0 = time.monotonic()
        if how == "force_cancel":
            eng.cancel(job.job_id, reason="test", force=True)
            grace = STOP_WITHIN_S
        else:
            grace = 1.0 + STOP_WITHIN_S  # the timeout fires at most 1 s after the query started
        poll(probe.stopped, grace, f"{kind}: the query gone from the database")
        sem = connection_semaphore("db", 1)
        left = grace - (time.monotonic() - t0)
        assert sem.acquire(timeout=max(left, 0.01)), f"{kind}: the slot was not freed in time"
        sem.release()
        stopped_at = time.monotonic() - t0
        assert stopped_at <= grace, stopped_at
        calls = getattr(probe, "calls", None)
        view = eng.wait(job.job_id, timeout=10)
        assert getattr(probe, "calls", None) == calls  # DuckDB: the query made no call after
        op = view.operations[0]
        if how == "force_cancel":
            assert (view.status, op.status) == (JobStatus.CANCELLED, OperationStatus.CANCELLED)
        else:
            assert (view.status, op.status) == (JobStatus.FAILED, OperationStatus.FAILED)
            assert "timeout" in (op.error or "").lower(), op.error
        again = eng.submit(
            "bulk_pipeline_execution",
            {"job_name": "next", "pipelines": [{"pipeline_id": "quick", "project_id": "p"}]},
        )
        nxt = eng.wait(again.job_id, timeout=30)
        assert nxt.status == JobStatus.COMPLETED, [o.error for o in nxt.operations]
    finally:
        probe.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_cancel_that_lands_just_before_the_query_starts_still_stops_it(kind, request, tmp_path):
    """The window between registering the cancel hook and the database receiving the query: a
    cancel fired there finds nothing running (MySQL KILL QUERY, a PostgreSQL cancel request,
    interrupt() are no-ops then). The hook is fired again until the attempt leaves the block,
    so the query that starts next is stopped within 2 s instead of running its 600 s."""
    from batchcore.connections import open_connection
    from batchcore.errors import OperationCancelled
    from batchcore.operations.base import OperationContext

    token = f"bt_{secrets.token_hex(4)}"
    (tmp_path / "ws").mkdir()
    probe = make_probe(kind, request, tmp_path, token)
    try:
        ws = make_ws(tmp_path / "ws", {"db": probe.spec}, target="db")
        load_tables(ws, "db", {"small": ([("a", "int")], [(1,), (2,)])})
        ctx = OperationContext(job_id="j", operation_id="o", attempt=1)
        with open_connection(ws.connection("db")) as conn:
            t0 = time.monotonic()
            # each driver raises its own error (QueryCanceled, InterruptException, ...)
            with pytest.raises(Exception) as err, ctx.interruptible(conn.cancel):
                ctx.interrupt("force cancel")  # fires the hook: nothing runs yet
                conn.query(probe.query)
            assert time.monotonic() - t0 <= STOP_WITHIN_S, err.value
            # a block entered after the cancel does not start its query at all
            with pytest.raises(OperationCancelled), ctx.interruptible(conn.cancel):
                raise AssertionError("the block ran after the cancel")
            assert conn.query("SELECT 1")[1] == [(1,)]  # the connection still works
    finally:
        probe.close()
