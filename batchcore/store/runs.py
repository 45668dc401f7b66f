"""What the executor and the engine's control calls read from the job store, as typed records.

`job_schedule` loads an active job's scheduling options and its operations (the executor's
`add_job`: a resumed, retried or reconciled job); `job_status` is the one-row status read a
cancel checks before it is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchcore import jsonutil


@dataclass(frozen=True)
class JobSchedule:
    """A job's scheduling options. `timeout_s`: per-operation timeout in seconds or None;
    `cancel_requested_at`: naive UTC or None."""

    job_id: str
    parallel_execution: bool
    max_parallel: int
    stop_on_error: bool
    timeout_s: float | None
    cancel_requested_at: datetime | None
    cancel_force: bool


@dataclass(frozen=True)
class OpSchedule:
    """One operation row as the executor schedules it. `spec`: the parsed operation spec;
    `next_attempt_at`: naive UTC before which a retry must not start, or None."""

    op_key: int
    operation_id: str
    seq: int
    kind: str
    spec: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    interruptions: int = 0


def job_schedule(cur, job_id: str) -> tuple[JobSchedule, list[OpSchedule]] | None:
    """The job's options and its operations in order, or None when the job does not exist."""
    jrow = cur.execute(
        "SELECT parallel_execution, max_parallel, stop_on_error, timeout_s, cancel_requested_at, "
        "cancel_force FROM jobs WHERE job_id = ?",
        [job_id],
    ).fetchall()
    if not jrow:
        return None
    parallel, max_parallel, stop_on_error, timeout_s, cancel_at, cancel_force = jrow[0]
    job = JobSchedule(
        job_id, parallel, max_parallel, stop_on_error, timeout_s, cancel_at, bool(cancel_force)
    )
    rows = cur.execute(
        "SELECT op_key, operation_id, seq, kind, spec, status, attempts, max_attempts, "
        "next_attempt_at, interruptions FROM operations WHERE job_id = ? ORDER BY seq",
        [job_id],
    ).fetchall()
    ops = [
        OpSchedule(k, oid, seq, kind, jsonutil.loads(spec) or {}, st, att, mx, nxt, intr)
        for k, oid, seq, kind, spec, st, att, mx, nxt, intr in rows
    ]
    return job, ops


def job_status(cur, job_id: str) -> str | None:
    """The job's status value, or None when there is no such job."""
    rows = cur.execute("SELECT status FROM jobs WHERE job_id = ?", [job_id]).fetchall()
    return rows[0][0] if rows else None
