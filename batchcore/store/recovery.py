"""Crash recovery, run once when an engine opens the job store (before anything is scheduled),
and reconciliation of the store with the executor while it runs.

First, cancel requests accepted but not applied yet (`cancel_requests`) are applied. Then an
operation found `running` without a live thread behind it (at start: all of them; when
reconciling: those whose op_key is not in `alive`) was interrupted — by the death of the process
that ran it, or because its result could not be recorded:
- it gets an `interrupted` attempts row;
- if its job's cancel was requested, it becomes `cancelled`;
- else if it was interrupted `max_interruptions` times (default 3) it becomes `failed` with
  failure_kind `error` (it never ran to its end), so an operation that kills the process
  cannot crash-loop the engine;
- else it goes back to `pending` (every operation kind is idempotent: at-least-once), with one
  more allowed attempt so the interruption does not eat its retry budget.
Then pending operations of cancel-requested jobs are skipped, and every job whose operations
are all terminal gets its final status. Returns the ids of jobs still active, to resume.
"""

from __future__ import annotations

from batchcore.models import FailureKind
from batchcore.models import OperationStatus as O
from batchcore.store.commands import ACTIVE_JOBS, CancelJob, finalize_jobs, skip_pending
from batchcore.store.requests import recorded_cancels
from batchcore.store.writer import Command

RESTART_NOTE = "the process running it stopped (crash or kill)"
MAX_INTERRUPTIONS = 3


def after_interruption(cancel_requested: bool, interruptions: int, max_interruptions: int) -> O:
    """The one rule for an attempt that never ran to its end (process crash, lost worker):
    `cancelled` when its job's cancel was requested; `failed` once it was interrupted
    `max_interruptions` times (counting this one); else `pending` to run again."""
    if cancel_requested:
        return O.CANCELLED
    if interruptions + 1 >= max_interruptions:
        return O.FAILED
    return O.PENDING


def interrupt_operation(
    cur,
    now,
    *,
    op_key: int,
    job_id: str,
    operation_id: str,
    attempt: int,
    started_at,
    interruptions: int,
    cancel_requested: bool,
    note: str,
    max_interruptions: int = MAX_INTERRUPTIONS,
    cause: str = "a process restart",
) -> str | None:
    """Record an `interrupted` attempt of a running operation and move it by
    `after_interruption` (pending gets one more allowed attempt, so the interruption does not
    eat its retry budget). Compare-and-set on `running` and `attempt`: returns the new status,
    or None when the operation had already moved (nothing is written then)."""
    new = after_interruption(cancel_requested, interruptions, max_interruptions)
    if new == O.CANCELLED:
        reason = f"interrupted by {cause} after the job's cancel was requested"
    elif new == O.FAILED:
        reason = f"interrupted {interruptions + 1} times (by {cause} the last time); not run again"
    else:
        reason = f"interrupted by {cause}; will run again"
    moved = cur.execute(
        f"""UPDATE operations SET status = ?, interruptions = interruptions + 1,
                max_attempts = max_attempts + CASE WHEN ? = '{O.PENDING.value}' THEN 1 ELSE 0 END,
                finished_at = CASE WHEN ? = '{O.PENDING.value}' THEN NULL ELSE ?::TIMESTAMP END,
                duration_ms = NULL, status_reason = ?, progress_message = NULL,
                error = CASE WHEN ? = '{O.FAILED.value}' THEN ? ELSE error END,
                failure_kind = CASE WHEN ? = '{O.FAILED.value}' THEN '{FailureKind.ERROR.value}' END
            WHERE op_key = ? AND status = '{O.RUNNING.value}' AND attempts = ?
            RETURNING op_key""",
        [new, new, new, now, reason, new, reason, new, op_key, attempt],
    ).fetchall()
    if not moved:
        return None
    dur = None if started_at is None else max(0.0, (now - started_at).total_seconds() * 1000.0)
    cur.execute(
        "INSERT INTO attempts (job_id, operation_id, attempt, status, started_at, finished_at, "
        "duration_ms, error) VALUES (?, ?, ?, 'interrupted', ?, ?, ?, ?)",
        [job_id, operation_id, attempt, started_at, now, dur, note],
    )
    return new.value


class InterruptOp(Command):
    """An attempt the executor knows will never report (its worker process died, or the
    cluster's scheduler was lost): recorded as after a crash (`interrupt_operation`), with the
    job's final status when it was the last. Result: the new status, or None (already moved)."""

    def __init__(self, op_key: int, attempt: int, note: str):
        super().__init__()
        self.op_key, self.attempt, self.note = op_key, attempt, note

    def apply(self, cur, now):
        rows = cur.execute(
            f"""SELECT o.job_id, o.operation_id, o.attempt_started_at, o.interruptions,
                       j.cancel_requested_at IS NOT NULL
                FROM operations o JOIN jobs j USING (job_id)
                WHERE o.op_key = ? AND o.status = '{O.RUNNING.value}' AND o.attempts = ?""",
            [self.op_key, self.attempt],
        ).fetchall()
        if not rows:
            return None
        job_id, op_id, started, interruptions, cancel_requested = rows[0]
        new = interrupt_operation(
            cur,
            now,
            op_key=self.op_key,
            job_id=job_id,
            operation_id=op_id,
            attempt=self.attempt,
            started_at=started,
            interruptions=interruptions,
            cancel_requested=cancel_requested,
            note=self.note,
            cause="a lost worker",
        )
        if new is not None and new != O.PENDING.value:
            finalize_jobs(cur, [job_id], now)
        return new


class Recover(Command):
    """Result: {"resumed_jobs": [job ids], "interrupted": n, "failed": n, "cancelled": n,
    "touched_jobs": [ids of jobs whose operations were moved]}.

    `alive`: op_keys whose thread is still running (left alone); `note`: the error text of the
    `interrupted` attempts rows.
    """

    def __init__(
        self,
        max_interruptions: int = MAX_INTERRUPTIONS,
        *,
        alive: frozenset[int] = frozenset(),
        note: str = RESTART_NOTE,
    ):
        super().__init__()
        self.max_interruptions = max_interruptions
        self.alive = alive
        self.note = note

    def apply(self, cur, now):
        for job_id, reason, force in recorded_cancels(cur):
            CancelJob(job_id, reason, force, strict=False).apply(cur, now)
        running = [
            r
            for r in cur.execute(
                f"""SELECT o.op_key, o.job_id, o.operation_id, o.attempts, o.attempt_started_at,
                           o.interruptions, j.cancel_requested_at IS NOT NULL AS cancel_requested
                    FROM operations o JOIN jobs j USING (job_id)
                    WHERE o.status = '{O.RUNNING.value}'"""
            ).fetchall()
            if r[0] not in self.alive
        ]
        counts = {"interrupted": len(running), "failed": 0, "cancelled": 0}
        for op_key, job_id, op_id, attempt, started, interruptions, cancel_requested in running:
            new = interrupt_operation(
                cur,
                now,
                op_key=op_key,
                job_id=job_id,
                operation_id=op_id,
                attempt=attempt,
                started_at=started,
                interruptions=interruptions,
                cancel_requested=cancel_requested,
                note=self.note,
                max_interruptions=self.max_interruptions,
            )
            if new == O.CANCELLED.value:
                counts["cancelled"] += 1
            elif new == O.FAILED.value:
                counts["failed"] += 1
        cancelled_jobs = [
            r[0]
            for r in cur.execute(
                f"SELECT job_id FROM jobs WHERE status IN {ACTIVE_JOBS} AND cancel_requested_at IS NOT NULL"
            ).fetchall()
        ]
        for job_id in cancelled_jobs:
            skip_pending(cur, job_id, "job cancelled (found after restart)", now)
        active = [
            r[0]
            for r in cur.execute(
                f"SELECT job_id FROM jobs WHERE status IN {ACTIVE_JOBS}"
            ).fetchall()
        ]
        finalize_jobs(cur, active, now)
        resumed = [
            r[0]
            for r in cur.execute(
                f"SELECT job_id FROM jobs WHERE status IN {ACTIVE_JOBS} ORDER BY created_at, job_id"
            ).fetchall()
        ]
        return {
            "resumed_jobs": resumed,
            **counts,
            "touched_jobs": sorted({r[1] for r in running}),
        }
