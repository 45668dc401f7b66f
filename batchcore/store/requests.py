"""What clients asked for, recorded in the job store before (or with) its effect.

- Idempotency keys of create requests (`Idempotency-Key` header): the key, the job type, a hash
  of the request and the answer given, kept IDEMPOTENCY_TTL. The key is inserted in the same
  transaction as its job, so a stored key always names a stored job.
- Cancel requests: inserted (insert-only, on the request's thread) when a cancel is accepted,
  deleted by the writer's CancelJob that applies it. A request left over by a crash is applied
  by crash recovery, so an accepted cancel is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from batchcore import jsonutil
from batchcore.store.commands import CreateJob
from batchcore.store.writer import Command

IDEMPOTENCY_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class StoredKey:
    """An idempotency key as stored: the request it was first used with and the answer given."""

    key: str
    job_type: str
    request_hash: str
    job_id: str
    response: dict[str, Any]
    created_at: datetime


def find_key(cur, key: str, now: datetime) -> StoredKey | None:
    """The newest use of `key` within IDEMPOTENCY_TTL of `now` (naive UTC), or None."""
    rows = cur.execute(
        """SELECT job_type, request_hash, job_id, response, created_at FROM idempotency_keys
           WHERE idempotency_key = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1""",
        [key, now - IDEMPOTENCY_TTL],
    ).fetchall()
    if not rows:
        return None
    job_type, request_hash, job_id, response, created_at = rows[0]
    return StoredKey(key, job_type, request_hash, job_id, jsonutil.loads(response), created_at)


class CreateJobWithKey(CreateJob):
    """CreateJob that also stores the idempotency key of its request, in the same transaction.

    `key_row`: (key, job_type, request_hash, response dict)."""

    def __init__(self, job, ops, op_keys, key_row: tuple[str, str, str, dict[str, Any]]):
        super().__init__(job, ops, op_keys)
        self.key_row = key_row

    @classmethod
    def apply_many(cls, cur, cmds, now):
        """One by one (each stores its key; CreateJob's grouped INSERT would skip it)."""
        return [c.apply(cur, now) for c in cmds]

    def apply(self, cur, now):
        keys = super().apply(cur, now)
        key, job_type, request_hash, response = self.key_row
        cur.execute(
            "INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?, ?)",
            [key, job_type, request_hash, self.job["job_id"], jsonutil.dumps(response), now],
        )
        return keys


class SweepIdempotencyKeys(Command):
    """Delete keys older than IDEMPOTENCY_TTL. Result: how many were deleted."""

    def apply(self, cur, now):
        rows = cur.execute(
            "DELETE FROM idempotency_keys WHERE created_at < ? RETURNING 1",
            [now - IDEMPOTENCY_TTL],
        ).fetchall()
        return len(rows)


class RecordCancel(Command):
    """Insert a cancel request (insert-only: runs on the request's thread, `Store.run_now`)."""

    insert_only = True

    def __init__(self, job_id: str, reason: str | None, force: bool):
        super().__init__()
        self.job_id, self.reason, self.force = job_id, reason, force

    def apply(self, cur, now):
        cur.execute(
            "INSERT INTO cancel_requests VALUES (?, ?, ?, ?)",
            [self.job_id, now, self.reason, self.force],
        )


def cancel_state(cur, job_id: str) -> dict | None:
    """The cancel already asked of a job, applied (the job's row) or only recorded (a
    `cancel_requests` row not applied yet): {"requested_at", "reason" (the first request's),
    "force" (any request forced)}; None when no cancel was asked."""
    rows = cur.execute(
        """SELECT requested_at, reason, force FROM (
               SELECT cancel_requested_at AS requested_at, cancel_reason AS reason,
                      coalesce(cancel_force, FALSE) AS force
               FROM jobs WHERE job_id = ? AND cancel_requested_at IS NOT NULL
               UNION ALL
               SELECT requested_at, reason, force FROM cancel_requests WHERE job_id = ?)
           ORDER BY requested_at""",
        [job_id, job_id],
    ).fetchall()
    if not rows:
        return None
    return {
        "requested_at": rows[0][0],
        "reason": rows[0][1],
        "force": any(bool(r[2]) for r in rows),
    }


def recorded_cancels(cur) -> list[tuple[str, str | None, bool]]:
    """Cancel requests not applied yet, oldest first: (job_id, reason, force); a job asked twice
    appears once, forced if any request was."""
    return [
        (r[0], r[1], bool(r[2]))
        for r in cur.execute(
            """SELECT job_id, first(reason ORDER BY requested_at), bool_or(force)
               FROM cancel_requests GROUP BY job_id ORDER BY min(requested_at)"""
        ).fetchall()
    ]
