"""Every write of the job store, as commands for the single writer (see writer.py).

Each status change is a compare-and-set: `UPDATE ... WHERE status IN (<sources from the state
table>) RETURNING`, so only rows whose status still matched are changed, and the caller learns
which ones won. A job's final status is set in the same transaction as the last operation
becoming terminal (`finalize_jobs`), derived from the operation rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from batchcore import jsonutil
from batchcore.errors import Conflict, NotFound, RequestError
from batchcore.models import FailureKind
from batchcore.models import JobStatus as J
from batchcore.models import OperationStatus as O
from batchcore.state import (
    ACTIVE_JOBS,
    TERMINAL_JOBS,
    TERMINAL_OPS,
    final_status_sql,
    job_sources,
    operation_sources,
    sql_in,
)
from batchcore.store.writer import Command
from batchcore.textutil import did_you_mean
from batchcore.timeutil import duration_ms_sql

log = logging.getLogger("batchcore.store")

__all__ = ["ACTIVE_JOBS", "TERMINAL_JOBS", "TERMINAL_OPS"]  # re-exported for store modules


def _ph(n: int) -> str:
    return ", ".join("?" * n)


def finalize_jobs(cur, job_ids: Iterable[str], now: datetime) -> dict[str, str]:
    """Give each listed job whose operations are all terminal its final status (DESIGN §4).

    Returns {job_id: final status} for the jobs that finished in this call.
    """
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    finishing = sql_in(tuple(sorted({*job_sources(J.COMPLETED), *job_sources(J.CANCELLED)})))
    rows = cur.execute(
        f"""UPDATE jobs SET status = {final_status_sql("jobs.cancel_requested_at", "c.total", "c.completed")},
              finished_at = ?
            FROM (SELECT job_id, count(*) AS total,
                         count(*) FILTER (WHERE status = '{O.COMPLETED.value}') AS completed,
                         count(*) FILTER (WHERE status NOT IN {TERMINAL_OPS}) AS active
                  FROM operations WHERE job_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY job_id) c
            WHERE jobs.job_id = c.job_id AND c.active = 0 AND jobs.status IN {finishing}
            RETURNING jobs.job_id, jobs.status""",
        # one list parameter: ~3x cheaper than one `?` per id for the hundreds of small jobs a
        # batch may finish (issue 13 §3)
        [now, ids],
    ).fetchall()
    return dict(rows)


# ---------------------------------------------------------------- create

OP_COLUMNS = ("op_key", "job_id", "operation_id", "seq", "kind", "status", "spec", "max_attempts")


class CreateJob(Command):
    """Insert a job and its operations (pending) with the given op_keys (from
    `Store.allocate_op_keys`). Result: the op_keys in `ops` order. Insert-only: it may run
    outside the writer (`Store.run_now`)."""

    insert_only = True
    # groupable, before the claims (phase 0): its op_keys are new, so consecutive submissions
    # share one multi-row INSERT per table (Store.insert_grouped, or the writer's transaction)
    phase = -1

    def __init__(self, job: dict[str, Any], ops: list[dict[str, Any]], op_keys: Sequence[int]):
        super().__init__()
        self.job = job
        self.ops = ops
        self.op_keys = list(op_keys)

    def keys(self) -> set[int]:
        return set(self.op_keys)

    @classmethod
    def apply_many(cls, cur, cmds: list[CreateJob], now: datetime) -> list[Any]:
        """Several submissions as one INSERT into jobs and one into operations (Arrow views).
        Result per command: its op_keys."""
        if len(cmds) == 1:
            return [cmds[0].apply(cur, now)]
        insert_jobs(cur, [(c.job, c.ops, c.op_keys) for c in cmds], now)
        return [list(c.op_keys) for c in cmds]

    def apply(self, cur, now):
        j = self.job
        cur.execute(
            """INSERT INTO jobs (job_id, job_type, name, description, status, project_id, tags,
                   parallel_execution, max_parallel, stop_on_error, max_retries, timeout_s, request,
                   total_operations, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                j["job_id"],
                j["job_type"],
                j["name"],
                j["description"],
                J.PENDING.value,
                j["project_id"],
                list(j["tags"]),
                j["parallel_execution"],
                j["max_parallel"],
                j["stop_on_error"],
                j["max_retries"],
                j["timeout_s"],
                jsonutil.dumps(j["request"]),
                len(self.ops),
                j.get("created_at") or now,
            ],
        )
        keys = list(self.op_keys)
        if len(self.ops) <= 32:  # few rows: bound parameters are cheaper than an Arrow view
            cur.execute(
                f"INSERT INTO operations ({', '.join(OP_COLUMNS)}) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(self.ops)),
                [
                    x
                    for k, o in zip(keys, self.ops, strict=True)
                    for x in (
                        k,
                        j["job_id"],
                        o["operation_id"],
                        o["seq"],
                        o["kind"],
                        O.PENDING.value,
                        jsonutil.dumps(o["spec"]),
                        o["max_attempts"],
                    )
                ],
            )
        else:
            n = len(self.ops)
            with arrow_rows(
                cur,
                "_new_ops",
                {
                    "op_key": (keys, pa.int64()),
                    "job_id": ([j["job_id"]] * n, pa.string()),
                    "operation_id": ([o["operation_id"] for o in self.ops], pa.string()),
                    "seq": ([o["seq"] for o in self.ops], pa.int32()),
                    "kind": ([o["kind"] for o in self.ops], pa.string()),
                    "status": ([O.PENDING.value] * n, pa.string()),
                    "spec": ([jsonutil.dumps(o["spec"]) for o in self.ops], pa.string()),
                    "max_attempts": ([o["max_attempts"] for o in self.ops], pa.int32()),
                },
            ):
                cur.execute(
                    f"INSERT INTO operations ({', '.join(OP_COLUMNS)}) SELECT {', '.join(OP_COLUMNS)} FROM _new_ops"
                )
        return keys


_JOB_COLUMNS = (
    "job_id",
    "job_type",
    "name",
    "description",
    "status",
    "project_id",
    "tags",
    "parallel_execution",
    "max_parallel",
    "stop_on_error",
    "max_retries",
    "timeout_s",
    "request",
    "total_operations",
    "created_at",
)


def insert_jobs(
    cur,
    items: Sequence[tuple[dict[str, Any], list[dict[str, Any]], Sequence[int]]],
    now: datetime,
) -> None:
    """Insert many new jobs (pending) with their operations: one statement per table.

    `items`: (job dict as CreateJob takes it, its operation dicts, their op_keys). ~2 statements
    whatever the number of jobs, where one CreateJob per job costs two statements each.
    """
    jobs = [j for j, _o, _k in items]
    with arrow_rows(
        cur,
        "_new_jobs",
        {
            "job_id": ([j["job_id"] for j in jobs], pa.string()),
            "job_type": ([j["job_type"] for j in jobs], pa.string()),
            "name": ([j["name"] for j in jobs], pa.string()),
            "description": ([j["description"] for j in jobs], pa.string()),
            "status": ([J.PENDING.value] * len(jobs), pa.string()),
            "project_id": ([j["project_id"] for j in jobs], pa.string()),
            "tags": ([list(j["tags"]) for j in jobs], pa.list_(pa.string())),
            "parallel_execution": ([j["parallel_execution"] for j in jobs], pa.bool_()),
            "max_parallel": ([j["max_parallel"] for j in jobs], pa.int32()),
            "stop_on_error": ([j["stop_on_error"] for j in jobs], pa.bool_()),
            "max_retries": ([j["max_retries"] for j in jobs], pa.int32()),
            "timeout_s": ([j["timeout_s"] for j in jobs], pa.float64()),
            "request": ([jsonutil.dumps(j["request"]) for j in jobs], pa.string()),
            "total_operations": ([len(o) for _j, o, _k in items], pa.int32()),
            "created_at": ([j.get("created_at") or now for j in jobs], pa.timestamp("us")),
        },
    ):
        cols = ", ".join(_JOB_COLUMNS)
        cur.execute(f"INSERT INTO jobs ({cols}) SELECT {cols} FROM _new_jobs")
    op_rows = [
        (k, j["job_id"], o) for j, ops, keys in items for k, o in zip(keys, ops, strict=True)
    ]
    with arrow_rows(
        cur,
        "_new_ops",
        {
            "op_key": ([k for k, _j, _o in op_rows], pa.int64()),
            "job_id": ([j for _k, j, _o in op_rows], pa.string()),
            "operation_id": ([o["operation_id"] for _k, _j, o in op_rows], pa.string()),
            "seq": ([o["seq"] for _k, _j, o in op_rows], pa.int32()),
            "kind": ([o["kind"] for _k, _j, o in op_rows], pa.string()),
            "status": ([O.PENDING.value] * len(op_rows), pa.string()),
            "spec": ([jsonutil.dumps(o["spec"]) for _k, _j, o in op_rows], pa.string()),
            "max_attempts": ([o["max_attempts"] for _k, _j, o in op_rows], pa.int32()),
        },
    ):
        cur.execute(
            f"INSERT INTO operations ({', '.join(OP_COLUMNS)}) SELECT {', '.join(OP_COLUMNS)} FROM _new_ops"
        )


class CreateJobs(Command):
    """Insert many jobs with their operations in one transaction (`Engine.submit_many`).
    `items`: (job, ops, op_keys) as CreateJob takes them. Result: None. Insert-only."""

    insert_only = True

    def __init__(self, items: list[tuple[dict[str, Any], list[dict[str, Any]], Sequence[int]]]):
        super().__init__()
        self.items = items

    def apply(self, cur, now):
        insert_jobs(cur, self.items, now)


# ---------------------------------------------------------------- Arrow-backed multi-row statements


@contextmanager
def arrow_rows(cur, name: str, columns: dict[str, tuple[list, pa.DataType]]) -> Iterator[str]:
    """Register `columns` as a temporary Arrow view called `name` for one statement.

    Measured on this machine class: binding 500 rows as `?` parameters costs ~100-140 ms per
    statement, an Arrow view ~5-9 ms, so every multi-row write goes through this.
    """
    cur.register(name, pa.table({k: pa.array(v, t) for k, (v, t) in columns.items()}))
    try:
        yield name
    except BaseException:
        # the statement failed: in an aborted transaction unregister fails too ("Current
        # transaction is aborted"), which must not replace the statement's own error (a
        # constraint error would read as a store failure); register() replaces the name later
        try:
            cur.unregister(name)
        except duckdb.Error:
            pass
        raise
    cur.unregister(name)


_SQL_TYPES = {
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.timestamp("us"): "TIMESTAMP",
    pa.bool_(): "BOOLEAN",
}
SMALL_ROWS = 16


@contextmanager
def row_source(
    cur, alias: str, columns: dict[str, tuple[list, pa.DataType]]
) -> Iterator[tuple[str, list]]:
    """A FROM-clause source `<sql> AS alias(...)` for rows given column-wise, and its parameters.

    Up to SMALL_ROWS rows become a typed `VALUES` list with bound parameters (~2 ms); more rows an
    Arrow view (~5-9 ms whatever the size, where parameters cost ~0.2 ms per row).
    """
    n = len(next(iter(columns.values()))[0])
    if n <= SMALL_ROWS:
        row = "(" + ", ".join(f"?::{_SQL_TYPES[t]}" for _v, t in columns.values()) + ")"
        params = [vals[i] for i in range(n) for vals, _t in columns.values()]
        yield f"(VALUES {', '.join([row] * n)}) AS {alias}({', '.join(columns)})", params
    else:
        with arrow_rows(cur, f"_rows_{alias}", columns) as view:
            yield f"{view} AS {alias}", []


# ---------------------------------------------------------------- claim (pending -> running)


@dataclass
class Claim:
    """The executor started attempt `attempt` of an operation at `started_at` (naive UTC)."""

    op_key: int
    job_id: str
    attempt: int
    started_at: datetime


class ClaimOps(Command):
    """pending → running for the listed operations, unless the job's cancel was requested.

    Write-behind: the executor starts the attempt and queues this claim under its lock, before
    anything the attempt writes, so the writer's FIFO order applies the claim first. The CAS also
    checks the attempt number. Result: set of op_keys claimed (a loser is logged; its result
    will be discarded by the FinishOps CAS). Every job with a claimed operation moves pending →
    running in the same statement batch, so a job never reads `pending` beside a running
    operation (the CAS makes it a no-op for jobs already running).
    """

    phase = 0

    def __init__(self, claims: Sequence[Claim]):
        super().__init__()
        self.claims = list(claims)

    def keys(self) -> set[int]:
        return {c.op_key for c in self.claims}

    @classmethod
    def apply_many(cls, cur, cmds, now):
        claims = [c for cmd in cmds for c in cmd.claims]
        if not claims:
            return [set() for _ in cmds]
        keys = [c.op_key for c in claims]
        with row_source(
            cur,
            "v",
            {
                "op_key": (keys, pa.int64()),
                "attempt": ([c.attempt for c in claims], pa.int32()),
                "started_at": ([c.started_at for c in claims], pa.timestamp("us")),
            },
        ) as (src, src_params):
            rows = cur.execute(
                f"""UPDATE operations SET status = '{O.RUNNING.value}', attempts = v.attempt,
                        attempt_started_at = v.started_at, started_at = coalesce(operations.started_at, v.started_at),
                        finished_at = NULL, duration_ms = NULL, next_attempt_at = NULL,
                        progress_message = NULL, status_reason = NULL
                    FROM {src}
                    WHERE operations.op_key = v.op_key AND operations.attempts = v.attempt - 1
                      AND operations.status IN {sql_in(operation_sources(O.RUNNING))}
                      AND operations.op_key BETWEEN ? AND ?
                      AND operations.job_id NOT IN (SELECT job_id FROM jobs WHERE cancel_requested_at IS NOT NULL
                                                    AND status IN {ACTIVE_JOBS})
                    RETURNING operations.op_key, operations.job_id""",
                [*src_params, min(keys), max(keys)],
            ).fetchall()
        won = {r[0] for r in rows}
        for c in claims:
            if c.op_key not in won:
                log.error(
                    "claim lost: job %s op_key %s attempt %s was not pending in the store",
                    c.job_id,
                    c.op_key,
                    c.attempt,
                )
        jobs = sorted({r[1] for r in rows})
        if jobs:
            cur.execute(
                f"""UPDATE jobs SET status = '{J.RUNNING.value}', started_at = coalesce(started_at, ?)
                    WHERE job_id IN ({_ph(len(jobs))}) AND status IN {sql_in(job_sources(J.RUNNING))}""",
                [min(c.started_at for c in claims), *jobs],
            )
        return [{c.op_key for c in cmd.claims if c.op_key in won} for cmd in cmds]


# ---------------------------------------------------------------- finish an attempt


@dataclass
class Finish:
    """How one attempt ended and where its operation goes next.

    `new_status`: completed | failed | cancelled (terminal) or pending (automatic retry).
    `attempt_status`: an AttemptStatus value for the attempts row.
    `failure_kind`: why the attempt failed (a FailureKind value, None when it did not fail); the
    attempts row keeps it, the operation only while it is `failed` (a retry clears it).
    """

    op_key: int
    job_id: str
    operation_id: str
    attempt: int
    new_status: str
    attempt_status: str
    started_at: datetime | None
    duration_ms: float | None
    summary: str | None = None
    result: Any = None
    error: str | None = None
    error_type: str | None = None
    failure_kind: str | None = None
    status_reason: str | None = None
    next_attempt_at: datetime | None = None
    check_rows: list[dict[str, Any]] = field(default_factory=list)
    snapshot: dict[str, Any] | None = None
    expect_status: str = O.RUNNING.value
    finalize: bool = True  # this may be the job's last operation: set its final status here


CHECK_COLUMNS = (
    "job_id",
    "operation_id",
    "attempt",
    "check_index",
    "project_id",
    "pipeline_id",
    "check_name",
    "check_type",
    "table_name",
    "columns",
    "severity",
    "threshold",
    "status",
    "passed",
    "total_rows",
    "failed_rows",
    "non_null_rows",
    "pass_rate",
    "duplicate_keys",
    "observed",
    "sample",
    "sql",
    "error",
    "duration_ms",
    "details",
    "created_at",
)
_CHECK_TYPES = {
    "attempt": pa.int32(),
    "check_index": pa.int32(),
    "columns": pa.list_(pa.string()),
    "threshold": pa.float64(),
    "passed": pa.bool_(),
    "total_rows": pa.int64(),
    "failed_rows": pa.int64(),
    "non_null_rows": pa.int64(),
    "pass_rate": pa.float64(),
    "duplicate_keys": pa.int64(),
    "duration_ms": pa.float64(),
    "created_at": pa.timestamp("us"),
}
_JSON_CHECK_COLS = {"observed", "sample", "details"}


def insert_check_rows(cur, rows: list[dict[str, Any]], now: datetime) -> None:
    """Bulk insert check results (one Arrow view, one statement)."""
    if not rows:
        return
    data = {}
    for col in CHECK_COLUMNS:
        vals = [now if col == "created_at" else r.get(col) for r in rows]
        if col in _JSON_CHECK_COLS:
            vals = [None if v is None else jsonutil.dumps(v) for v in vals]
        elif col == "columns":
            vals = [list(v or []) for v in vals]
        data[col] = (vals, _CHECK_TYPES.get(col, pa.string()))
    with arrow_rows(cur, "_new_checks", data):
        cur.execute(
            f"INSERT INTO check_results ({', '.join(CHECK_COLUMNS)}) SELECT {', '.join(CHECK_COLUMNS)} FROM _new_checks"
        )


SNAPSHOT_COLUMNS = (
    "snapshot_id",
    "job_id",
    "operation_id",
    "connection_name",
    "connection_type",
    "schema_name",
    "created_at",
    "table_count",
    "column_count",
    "duration_ms",
    "catalog",
)


def insert_snapshot(cur, it: Finish, now: datetime) -> None:
    """Store the metadata snapshot an extraction attempt produced (keys of SNAPSHOT_COLUMNS)."""
    snap = it.snapshot or {}
    row = {
        **snap,
        "job_id": it.job_id,
        "operation_id": it.operation_id,
        "created_at": snap.get("created_at") or now,
    }
    row["catalog"] = jsonutil.dumps(snap.get("catalog", {}))
    cur.execute(
        f"INSERT INTO catalog_snapshots ({', '.join(SNAPSHOT_COLUMNS)}) VALUES ({_ph(len(SNAPSHOT_COLUMNS))})",
        [row.get(c) for c in SNAPSHOT_COLUMNS],
    )


def insert_attempts(cur, rows: list[tuple], now: datetime) -> None:
    """Bulk insert attempts rows: (job_id, operation_id, attempt, status, started_at, duration_ms,
    error, error_type, summary, result_json, failure_kind)."""
    if not rows:
        return
    cols = list(zip(*rows, strict=True))
    with row_source(
        cur,
        "a",
        {
            "job_id": (list(cols[0]), pa.string()),
            "operation_id": (list(cols[1]), pa.string()),
            "attempt": (list(cols[2]), pa.int32()),
            "status": (list(cols[3]), pa.string()),
            "started_at": (list(cols[4]), pa.timestamp("us")),
            "finished_at": ([now] * len(rows), pa.timestamp("us")),
            "duration_ms": (list(cols[5]), pa.float64()),
            "error": (list(cols[6]), pa.string()),
            "error_type": (list(cols[7]), pa.string()),
            "summary": (list(cols[8]), pa.string()),
            "result": (list(cols[9]), pa.string()),
            "failure_kind": (list(cols[10]), pa.string()),
        },
    ) as (src, src_params):
        cur.execute(
            "INSERT INTO attempts (job_id, operation_id, attempt, status, started_at, finished_at, duration_ms, "
            "error, error_type, summary, result, failure_kind) SELECT job_id, operation_id, attempt, status, "
            f"started_at, finished_at, duration_ms, error, error_type, summary, result::JSON, failure_kind FROM {src}",
            src_params,
        )


class FinishOps(Command):
    """Record finished attempts: CAS `expect_status` (running) → new status, same attempt number.

    Result: set of op_keys that won. A loser is a late result (the operation was force-cancelled,
    timed out or recovered meanwhile): it is discarded and logged, and nothing of it is stored.
    """

    phase = 1

    def __init__(self, items: Sequence[Finish]):
        super().__init__()
        self.items = list(items)

    def keys(self) -> set[int]:
        return {it.op_key for it in self.items}

    @classmethod
    def apply_many(cls, cur, cmds, now):
        items = [it for c in cmds for it in c.items]
        if not items:
            return [set() for _ in cmds]
        results = [None if it.result is None else jsonutil.dumps(it.result) for it in items]
        keys = [it.op_key for it in items]
        with row_source(
            cur,
            "v",
            {
                "op_key": (keys, pa.int64()),
                "attempt": ([it.attempt for it in items], pa.int32()),
                "new_status": ([it.new_status for it in items], pa.string()),
                "expect_status": ([it.expect_status for it in items], pa.string()),
                "duration_ms": ([it.duration_ms for it in items], pa.float64()),
                "summary": ([it.summary for it in items], pa.string()),
                "result": (results, pa.string()),
                "error": ([it.error for it in items], pa.string()),
                "failure_kind": ([it.failure_kind for it in items], pa.string()),
                "reason": ([it.status_reason for it in items], pa.string()),
                "next_at": ([it.next_attempt_at for it in items], pa.timestamp("us")),
            },
        ) as (src, src_params):
            rows = cur.execute(
                f"""UPDATE operations SET status = v.new_status,
                        finished_at = CASE WHEN v.new_status IN {TERMINAL_OPS} THEN ?::TIMESTAMP ELSE NULL END,
                        duration_ms = v.duration_ms, summary = v.summary, result = v.result::JSON,
                        error = v.error, status_reason = v.reason, next_attempt_at = v.next_at,
                        failure_kind = CASE WHEN v.new_status = '{O.FAILED.value}' THEN v.failure_kind END,
                        progress_message = NULL
                    FROM {src}
                    WHERE operations.op_key = v.op_key AND operations.attempts = v.attempt
                      AND operations.status = v.expect_status AND operations.op_key BETWEEN ? AND ?
                    RETURNING operations.op_key""",
                [now, *src_params, min(keys), max(keys)],
            ).fetchall()
        won = {r[0] for r in rows}
        winners = []
        for it, res in zip(items, results, strict=True):
            if it.op_key in won:
                winners.append((it, res))
            else:
                log.warning(
                    "late result discarded: job %s operation %s attempt %s (%s)",
                    it.job_id,
                    it.operation_id,
                    it.attempt,
                    it.attempt_status,
                )
        insert_attempts(
            cur,
            [
                (
                    it.job_id,
                    it.operation_id,
                    it.attempt,
                    it.attempt_status,
                    it.started_at,
                    it.duration_ms,
                    it.error,
                    it.error_type,
                    it.summary,
                    res,
                    it.failure_kind,
                )
                for it, res in winners
            ],
            now,
        )
        insert_check_rows(cur, [r for it, _ in winners for r in it.check_rows], now)
        for it, _ in winners:
            if it.snapshot is not None:
                insert_snapshot(cur, it, now)
        finalize_jobs(
            cur,
            {it.job_id for it, _ in winners if it.finalize and it.new_status != O.PENDING.value},
            now,
        )
        return [{it.op_key for it in c.items if it.op_key in won} for c in cmds]


class FinalizeJobs(Command):
    """Give the listed jobs their final status if every operation is terminal (idempotent).

    Groupable: it touches no operation, and its phase puts it after the claims, finishes and
    progress of its round, so it sees every result queued before it."""

    phase = 3

    def __init__(self, job_ids: Sequence[str]):
        super().__init__()
        self.job_ids = list(job_ids)

    def keys(self) -> set[int]:
        return set()

    @classmethod
    def apply_many(cls, cur, cmds, now):
        done = finalize_jobs(cur, {j for c in cmds for j in c.job_ids}, now)
        return [{j: done[j] for j in c.job_ids if j in done} for c in cmds]


# ---------------------------------------------------------------- skip, progress


class SkipOps(Command):
    """pending → skipped for a job's operations (all pending ones, or the listed op_keys).

    Result: list of op_keys skipped. Finalizes the job when nothing is left to run.
    """

    def __init__(self, job_id: str, reason: str, op_keys: Sequence[int] | None = None):
        super().__init__()
        self.job_id, self.reason, self.op_keys = job_id, reason, op_keys

    def apply(self, cur, now):
        return skip_pending(cur, self.job_id, self.reason, now, self.op_keys)


def skip_pending(
    cur, job_id: str, reason: str, now: datetime, op_keys: Sequence[int] | None = None
) -> list[int]:
    """Skip pending operations of `job_id` and finalize it when possible. Returns skipped op_keys."""
    extra, params = "", []
    if op_keys is not None:
        if not op_keys:
            return []
        extra = f" AND op_key IN ({_ph(len(op_keys))})"
        params = list(op_keys)
    rows = cur.execute(
        f"""UPDATE operations SET status = '{O.SKIPPED.value}', finished_at = ?, status_reason = ?,
                next_attempt_at = NULL
            WHERE job_id = ? AND status IN {sql_in(operation_sources(O.SKIPPED))}{extra}
            RETURNING op_key""",
        [now, reason, job_id, *params],
    ).fetchall()
    finalize_jobs(cur, [job_id], now)
    return [r[0] for r in rows]


class SetProgress(Command):
    """Progress message of running attempts: items (op_key, attempt, message)."""

    phase = 2

    def keys(self) -> set[int]:
        return {self.item[0]}

    def __init__(self, op_key: int, attempt: int, message: str):
        super().__init__()
        self.item = (op_key, attempt, message[:500])

    @classmethod
    def apply_many(cls, cur, cmds, now):
        latest: dict[int, tuple[int, int, str]] = {}
        for c in cmds:
            latest[c.item[0]] = c.item
        items = list(latest.values())
        keys = [it[0] for it in items]
        with row_source(
            cur,
            "v",
            {
                "op_key": (keys, pa.int64()),
                "attempt": ([it[1] for it in items], pa.int32()),
                "msg": ([it[2] for it in items], pa.string()),
            },
        ) as (src, src_params):
            cur.execute(
                f"""UPDATE operations SET progress_message = v.msg FROM {src}
                    WHERE operations.op_key = v.op_key AND operations.attempts = v.attempt
                      AND operations.status = '{O.RUNNING.value}' AND operations.op_key BETWEEN ? AND ?""",
                [*src_params, min(keys), max(keys)],
            )
        return [None] * len(cmds)


# ---------------------------------------------------------------- cancel


def cancel_conflict(job_id: str, status: str) -> Conflict:
    """The 409 of a cancel of a finished job."""
    return Conflict(
        f"job {job_id} is already {status}; only pending or running jobs can be cancelled",
        field="job_id",
        value=job_id,
        current_status=status,
    )


def second_cancel_conflict(job_id: str, status: str, earlier: dict) -> Conflict:
    """The 409 of a cancel of a job whose cancel was already asked (`earlier`: cancel_state):
    the first request stands; only force=true (if not forced yet) still changes something."""
    at = earlier["requested_at"]
    reason = f" with reason {earlier['reason']!r}" if earlier["reason"] else " without a reason"
    if earlier["force"]:
        then = "it was already forced, so nothing is left to do"
    else:
        then = "send force=true to interrupt its running operations now"
    return Conflict(
        f"job {job_id} is already {status}: cancel was requested at "
        f"{at.isoformat(sep=' ', timespec='seconds')} UTC{reason}, and that request stands; {then}",
        field="job_id",
        value=job_id,
        current_status=status,
    )


class CancelJob(Command):
    """Apply a cancel: job → cancelling (or straight to cancelled when nothing runs).

    Pending operations become skipped. With `force`, running operations become cancelled now
    (their threads are interrupted by the executor; their late results are discarded). The
    job's recorded cancel requests (`cancel_requests`) are deleted: this applies them.
    Result: {"status": job status after, "running": [op_keys still running], "already": bool}.
    Raises NotFound, or Conflict for a job that already finished — unless `strict` is False (a
    request accepted earlier, applied now): then such a job gives {"status": its status or None,
    "running": [], "already": True}.
    """

    def __init__(self, job_id: str, reason: str | None, force: bool, *, strict: bool = True):
        super().__init__()
        self.job_id, self.reason, self.force, self.strict = job_id, reason, force, strict

    def apply(self, cur, now):
        cur.execute("DELETE FROM cancel_requests WHERE job_id = ?", [self.job_id])
        rows = cur.execute(
            "SELECT status, cancel_requested_at, cancel_force FROM jobs WHERE job_id = ?",
            [self.job_id],
        ).fetchall()
        if not self.strict and (not rows or J(rows[0][0]).is_terminal):
            return {"status": rows[0][0] if rows else None, "running": [], "already": True}
        if not rows:
            raise NotFound(f"job {self.job_id} not found", field="job_id", value=self.job_id)
        status, requested, was_force = rows[0]
        if J(status).is_terminal:
            raise cancel_conflict(self.job_id, status)
        already = requested is not None
        if not already:
            cur.execute(
                f"""UPDATE jobs SET status = '{J.CANCELLING.value}', cancel_requested_at = ?, cancel_reason = ?,
                        cancel_force = ? WHERE job_id = ? AND status IN {sql_in(job_sources(J.CANCELLING))}""",
                [now, self.reason, self.force, self.job_id],
            )
        elif self.force and not was_force:
            cur.execute("UPDATE jobs SET cancel_force = TRUE WHERE job_id = ?", [self.job_id])
        reason = "job cancelled" + (f": {self.reason}" if self.reason else "")
        skip_pending(cur, self.job_id, reason, now)
        if self.force:
            force_cancel_running(
                cur,
                self.job_id,
                "force-cancelled" + (f": {self.reason}" if self.reason else ""),
                now,
            )
        finalize_jobs(cur, [self.job_id], now)
        running = [
            r[0]
            for r in cur.execute(
                f"SELECT op_key FROM operations WHERE job_id = ? AND status = '{O.RUNNING.value}'",
                [self.job_id],
            ).fetchall()
        ]
        st = cur.execute("SELECT status FROM jobs WHERE job_id = ?", [self.job_id]).fetchall()[0][0]
        return {"status": st, "running": running, "already": already}


def force_cancel_running(
    cur,
    job_id: str,
    reason: str,
    now: datetime,
    op_keys: Sequence[int] | None = None,
    attempt_status: str = "cancelled",
    new_status: str = O.CANCELLED.value,
) -> list[int]:
    """running → `new_status` with an attempts row of `attempt_status`; returns op_keys moved."""
    extra, params = "", []
    if op_keys is not None:
        if not op_keys:
            return []
        extra = f" AND op_key IN ({_ph(len(op_keys))})"
        params = list(op_keys)
    moved = cur.execute(
        f"""UPDATE operations SET status = ?, finished_at = CASE WHEN ? IN {TERMINAL_OPS} THEN ?::TIMESTAMP END,
                duration_ms = CASE WHEN ? IN {TERMINAL_OPS} THEN {duration_ms_sql("attempt_started_at", "?::TIMESTAMP")} END,
                status_reason = ?, error = CASE WHEN ? = '{O.FAILED.value}' THEN ? ELSE error END, progress_message = NULL,
                failure_kind = CASE WHEN ? = '{O.FAILED.value}' THEN '{FailureKind.ERROR.value}' END
            WHERE job_id = ? AND status = '{O.RUNNING.value}'{extra}
            RETURNING op_key, operation_id, attempts, attempt_started_at""",
        [
            new_status,
            new_status,
            now,
            new_status,
            now,
            reason,
            new_status,
            reason,
            new_status,
            job_id,
            *params,
        ],
    ).fetchall()
    insert_attempts(
        cur,
        [
            (
                job_id,
                op_id,
                att,
                attempt_status,
                st,
                None if st is None else max(0.0, (now - st).total_seconds() * 1000.0),
                reason,
                None,
                None,
                None,
                FailureKind.ERROR.value if new_status == O.FAILED.value else None,
            )
            for (_k, op_id, att, st) in moved
        ],
        now,
    )
    return [m[0] for m in moved]


# ---------------------------------------------------------------- retry, delete, retention


class RetryJob(Command):
    """Failed operations (all, or the listed operation ids) → pending; the job → pending.

    `max_retries` (when given) replaces the job's automatic-retry budget for this run.
    Result: list of (op_key, operation_id) put back to pending. Raises NotFound, Conflict
    (job active, or no failed operation) or RequestError (an id unknown or not failed).
    """

    def __init__(self, job_id: str, operation_ids: Sequence[str] | None, max_retries: int | None):
        super().__init__()
        self.job_id, self.operation_ids, self.max_retries = job_id, operation_ids, max_retries

    def apply(self, cur, now):
        rows = cur.execute(
            "SELECT status, max_retries FROM jobs WHERE job_id = ?", [self.job_id]
        ).fetchall()
        if not rows:
            raise NotFound(f"job {self.job_id} not found", field="job_id", value=self.job_id)
        status, job_retries = rows[0]
        if status == J.COMPLETED.value:
            raise Conflict(
                f"job {self.job_id} completed: it has no failed operations to retry",
                field="job_id",
                value=self.job_id,
                current_status=status,
            )
        if status not in job_sources(J.PENDING):
            raise Conflict(
                f"job {self.job_id} is {status}; retry works on finished jobs with failed operations",
                field="job_id",
                value=self.job_id,
                current_status=status,
            )
        ops = cur.execute(
            "SELECT op_key, operation_id, status, error FROM operations WHERE job_id = ? ORDER BY seq",
            [self.job_id],
        ).fetchall()
        by_id = {r[1]: r for r in ops}
        if self.operation_ids:
            for i, oid in enumerate(self.operation_ids):
                if oid not in by_id:
                    raise RequestError(
                        f"operation {oid!r} is not part of job {self.job_id}"
                        + did_you_mean(oid, list(by_id)),
                        field=f"operation_ids.{i}",
                        value=oid,
                    )
                if by_id[oid][2] != O.FAILED.value:
                    raise RequestError(
                        f"operation {oid!r} is {by_id[oid][2]}; only failed operations can be retried",
                        field=f"operation_ids.{i}",
                        value=oid,
                    )
            chosen = [by_id[oid] for oid in dict.fromkeys(self.operation_ids)]
        else:
            chosen = [r for r in ops if r[2] == O.FAILED.value]
        if not chosen:
            raise Conflict(
                f"job {self.job_id} has no failed operations to retry",
                field="job_id",
                value=self.job_id,
            )
        retries = job_retries if self.max_retries is None else self.max_retries
        keys = [r[0] for r in chosen]
        moved = cur.execute(
            f"""UPDATE operations SET status = '{O.PENDING.value}', max_attempts = attempts + 1 + ?,
                    finished_at = NULL, duration_ms = NULL, next_attempt_at = NULL, summary = NULL,
                    result = NULL, status_reason = 'retry requested' || coalesce(' (previous error: ' || left(error, 300) || ')', ''),
                    error = NULL, failure_kind = NULL, started_at = NULL
                WHERE op_key IN ({_ph(len(keys))}) AND status IN {sql_in(operation_sources(O.PENDING))}
                  AND status = '{O.FAILED.value}'
                RETURNING op_key, operation_id""",
            [retries, *keys],
        ).fetchall()
        cur.execute(
            f"""UPDATE jobs SET status = '{J.PENDING.value}', finished_at = NULL, cancel_requested_at = NULL,
                    cancel_reason = NULL, cancel_force = FALSE, max_retries = ?
                WHERE job_id = ? AND status IN {sql_in(job_sources(J.PENDING))}""",
            [retries, self.job_id],
        )
        return moved


def delete_jobs_sql(cur, job_ids: Sequence[str]) -> list[str]:
    """Delete the listed jobs that are terminal, with their operations, attempts and checks."""
    if not job_ids:
        return []
    deleted = [
        r[0]
        for r in cur.execute(
            f"DELETE FROM jobs WHERE job_id IN ({_ph(len(job_ids))}) AND status IN {TERMINAL_JOBS} RETURNING job_id",
            list(job_ids),
        ).fetchall()
    ]
    if deleted:
        for table in ("operations", "attempts", "check_results"):
            cur.execute(f"DELETE FROM {table} WHERE job_id IN ({_ph(len(deleted))})", deleted)
    return deleted


class DeleteJob(Command):
    """Delete a terminal job. Raises NotFound, or Conflict when it is still active."""

    def __init__(self, job_id: str):
        super().__init__()
        self.job_id = job_id

    def apply(self, cur, now):
        rows = cur.execute("SELECT status FROM jobs WHERE job_id = ?", [self.job_id]).fetchall()
        if not rows:
            raise NotFound(f"job {self.job_id} not found", field="job_id", value=self.job_id)
        if not delete_jobs_sql(cur, [self.job_id]):
            raise Conflict(
                f"job {self.job_id} is {rows[0][0]}; cancel it and wait until it ends before deleting it",
                field="job_id",
                value=self.job_id,
                current_status=rows[0][0],
            )
        return True


class DeleteJobs(Command):
    """Delete several jobs at once. Result: (deleted ids, {id: reason} for the others: unknown or
    still active)."""

    def __init__(self, job_ids: Sequence[str]):
        super().__init__()
        self.job_ids = list(dict.fromkeys(job_ids))

    def apply(self, cur, now):
        if not self.job_ids:
            return [], {}
        found = dict(
            cur.execute(
                f"SELECT job_id, status FROM jobs WHERE job_id IN ({_ph(len(self.job_ids))})",
                self.job_ids,
            ).fetchall()
        )
        deleted: list[str] = []
        for i in range(0, len(self.job_ids), 500):
            deleted += delete_jobs_sql(cur, self.job_ids[i : i + 500])
        gone = set(deleted)
        refused = {
            j: (
                f"job {j} not found"
                if j not in found
                else f"job {j} is {found[j]}; cancel it and wait until it ends before deleting it"
            )
            for j in self.job_ids
            if j not in gone
        }
        return [j for j in self.job_ids if j in gone], refused


class RetentionSweep(Command):
    """Delete terminal jobs that finished before `cutoff`. Result: number of jobs deleted."""

    def __init__(self, cutoff: datetime):
        super().__init__()
        self.cutoff = cutoff

    def apply(self, cur, now):
        ids = [
            r[0]
            for r in cur.execute(
                f"SELECT job_id FROM jobs WHERE status IN {TERMINAL_JOBS} AND coalesce(finished_at, created_at) < ?",
                [self.cutoff],
            ).fetchall()
        ]
        deleted = 0
        for i in range(0, len(ids), 500):
            deleted += len(delete_jobs_sql(cur, ids[i : i + 500]))
        return deleted
