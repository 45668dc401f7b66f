"""Every SQL statement over the notification tables, and the reads a message is built from.

- `notification_evaluations (job_id, finished_at)`: a job's end was looked at once (whatever
  matched); a job retried and finished again is a new end. Jobs that ended before the tables
  existed (`notification_state.installed_at`) are never notified.
- `notification_deliveries`: one message to one channel (`job_id` NULL for a test message),
  `pending` → `sent` | `failed`, with its attempts counted; the message text is stored (it holds
  no secret: channel settings are never stored, only the channel's name).
- `notification_attempts`: every try (when, how long, outcome sent | retry | failed, error).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from batchcore import jsonutil
from batchcore.models import FailureKind
from batchcore.models import JobStatus as J
from batchcore.store.commands import TERMINAL_JOBS, arrow_rows
from batchcore.store.history import ANOMALY_BAND_KEYS, ANOMALY_BAND_SQL
from batchcore.store.writer import Command
from batchcore.timeutil import from_db, to_db

PENDING, SENT, FAILED = "pending", "sent", "failed"
DELIVERY_COLUMNS = (
    "delivery_id",
    "job_id",
    "channel",
    "channel_type",
    "event",
    "rules",
    "status",
    "attempts",
    "max_attempts",
    "next_attempt_at",
    "message",
    "created_at",
    "done_at",
    "last_error",
)


def _delivery(row: tuple) -> dict[str, Any]:
    d = dict(zip(DELIVERY_COLUMNS, row, strict=True))
    d["message"] = jsonutil.loads(d["message"]) or {}
    d["rules"] = list(d["rules"] or [])
    for k in ("next_attempt_at", "created_at", "done_at"):
        d[k] = from_db(d[k])
    return d


class RecordEvaluation(Command):
    """Record that a job's end (`finished_at`) was evaluated, with the deliveries it produced
    (dicts with DELIVERY_COLUMNS keys but created_at/attempts/status). Result: True if recorded
    now, False when that end was evaluated before (then nothing is inserted)."""

    def keys(self) -> set[int]:
        """No operation touched: grouped with the state changes of its batch (no barrier)."""
        return set()

    def __init__(
        self, job_id: str, finished_at: datetime, events: list[str], deliveries: list[dict]
    ):
        super().__init__()
        self.job_id, self.finished_at = job_id, to_db(finished_at)
        self.events, self.deliveries = events, deliveries

    @classmethod
    def apply_many(cls, cur, cmds: list[RecordEvaluation], now: datetime) -> list[bool]:
        """The evaluations of many finished jobs as one INSERT (one per job cost ~15 ms each
        under load, issue 13 §3); deliveries of the fresh ones as before."""
        if len(cmds) == 1:
            return [cmds[0].apply(cur, now)]
        first: dict[tuple[str, datetime], RecordEvaluation] = {}
        for c in cmds:
            first.setdefault((c.job_id, c.finished_at), c)
        rows = list(first.values())
        with arrow_rows(
            cur,
            "_evaluations",
            {
                "job_id": ([c.job_id for c in rows], pa.string()),
                "finished_at": ([c.finished_at for c in rows], pa.timestamp("us")),
                "events": ([list(c.events) for c in rows], pa.list_(pa.string())),
            },
        ):
            fresh = {
                (j, f)
                for j, f in cur.execute(
                    "INSERT INTO notification_evaluations "
                    "SELECT job_id, finished_at, events, ?::TIMESTAMP FROM _evaluations "
                    "ON CONFLICT DO NOTHING RETURNING job_id, finished_at",
                    [now],
                ).fetchall()
            }
        out = []
        for c in cmds:
            new = first[(c.job_id, c.finished_at)] is c and (c.job_id, c.finished_at) in fresh
            if new:
                for d in c.deliveries:
                    insert_delivery(cur, d, now)
            out.append(new)
        return out

    def apply(self, cur, now):
        rows = cur.execute(
            "INSERT INTO notification_evaluations VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING job_id",
            [self.job_id, self.finished_at, list(self.events), now],
        ).fetchall()
        if not rows:
            return False
        for d in self.deliveries:
            insert_delivery(cur, d, now)
        return True


def insert_delivery(cur, d: dict[str, Any], now: datetime) -> None:
    """Insert one pending delivery."""
    cur.execute(
        """INSERT INTO notification_deliveries (delivery_id, job_id, channel, channel_type, event, rules,
               status, attempts, max_attempts, next_attempt_at, message, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)""",
        [
            d["delivery_id"],
            d.get("job_id"),
            d["channel"],
            d["channel_type"],
            d["event"],
            list(d.get("rules") or []),
            PENDING,
            d["max_attempts"],
            now,
            jsonutil.dumps(d["message"]),
            now,
        ],
    )


class InsertDelivery(Command):
    """Insert one pending delivery (a test message)."""

    def __init__(self, delivery: dict[str, Any]):
        super().__init__()
        self.delivery = delivery

    def apply(self, cur, now):
        insert_delivery(cur, self.delivery, now)
        return self.delivery["delivery_id"]


class RecordAttempt(Command):
    """Record one try of a delivery and move it on: `outcome` sent | retry (stays pending until
    `next_attempt_at`) | failed. Result: True when the delivery was still pending."""

    def __init__(
        self,
        delivery_id: str,
        attempt: int,
        started_at: datetime,
        duration_ms: float,
        outcome: str,
        error: str | None,
        next_attempt_at: datetime | None = None,
    ):
        super().__init__()
        self.delivery_id, self.attempt = delivery_id, attempt
        self.started_at, self.duration_ms = to_db(started_at), duration_ms
        self.outcome, self.error, self.next_at = outcome, error, to_db(next_attempt_at)

    def apply(self, cur, now):
        status = {"sent": SENT, "failed": FAILED}.get(self.outcome, PENDING)
        rows = cur.execute(
            """UPDATE notification_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
                   done_at = CASE WHEN ? = 'pending' THEN NULL ELSE ?::TIMESTAMP END,
                   last_error = coalesce(?, last_error)
               WHERE delivery_id = ? AND status = 'pending' AND attempts = ? - 1
               RETURNING delivery_id""",
            [
                status,
                self.attempt,
                self.next_at,
                status,
                now,
                self.error,
                self.delivery_id,
                self.attempt,
            ],
        ).fetchall()
        if rows:
            cur.execute(
                "INSERT INTO notification_attempts VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    self.delivery_id,
                    self.attempt,
                    self.started_at,
                    now,
                    self.duration_ms,
                    self.outcome,
                    self.error,
                ],
            )
        return bool(rows)


class PruneOrphans(Command):
    """Delete evaluations and deliveries (with attempts) of jobs that no longer exist."""

    def apply(self, cur, now):
        gone = "SELECT job_id FROM jobs"
        cur.execute(
            "DELETE FROM notification_attempts WHERE delivery_id IN (SELECT delivery_id FROM "
            f"notification_deliveries WHERE job_id IS NOT NULL AND job_id NOT IN ({gone}))"
        )
        n = cur.execute(
            f"DELETE FROM notification_deliveries WHERE job_id IS NOT NULL AND job_id NOT IN ({gone}) RETURNING 1"
        ).fetchall()
        cur.execute(f"DELETE FROM notification_evaluations WHERE job_id NOT IN ({gone})")
        return len(n)


# ---------------------------------------------------------------- reads


def pending_deliveries(cur) -> list[dict[str, Any]]:
    """Deliveries still to send (oldest first)."""
    rows = cur.execute(
        f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM notification_deliveries WHERE status = ? ORDER BY created_at",
        [PENDING],
    ).fetchall()
    return [_delivery(r) for r in rows]


def deliveries(
    cur, *, job_id: str | None = None, limit: int = 100, with_attempts: bool = True
) -> list[dict[str, Any]]:
    """Deliveries (of one job, or the latest ones), newest first, each with its `tries`."""
    where, params = ("WHERE job_id = ?", [job_id]) if job_id else ("", [])
    rows = cur.execute(
        f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM notification_deliveries {where} "
        "ORDER BY created_at DESC, delivery_id LIMIT ?",
        [*params, limit],
    ).fetchall()
    out = [_delivery(r) for r in rows]
    if with_attempts and out:
        ids = [d["delivery_id"] for d in out]
        tries: dict[str, list[dict[str, Any]]] = {}
        for r in cur.execute(
            "SELECT delivery_id, attempt, started_at, finished_at, duration_ms, outcome, error "
            f"FROM notification_attempts WHERE delivery_id IN ({', '.join('?' * len(ids))}) "
            "ORDER BY delivery_id, attempt",
            ids,
        ).fetchall():
            tries.setdefault(r[0], []).append(
                {
                    "attempt": r[1],
                    "started_at": from_db(r[2]),
                    "finished_at": from_db(r[3]),
                    "duration_ms": r[4],
                    "outcome": r[5],
                    "error": r[6],
                }
            )
        for d in out:
            d["tries"] = tries.get(d["delivery_id"], [])
    return out


def unevaluated_jobs(cur, since: timedelta, now: datetime) -> list[str]:
    """Jobs that ended within `since` before `now`, after the notification tables were made,
    whose end was never evaluated (the process stopped first). Oldest first."""
    rows = cur.execute(
        f"""SELECT j.job_id FROM jobs j
            WHERE j.status IN {TERMINAL_JOBS} AND j.finished_at IS NOT NULL
              AND j.finished_at >= ? AND j.finished_at >= (SELECT min(installed_at) FROM notification_state)
              AND NOT EXISTS (SELECT 1 FROM notification_evaluations e
                              WHERE e.job_id = j.job_id AND e.finished_at = j.finished_at)
            ORDER BY j.finished_at""",
        [to_db(now) - since],
    ).fetchall()
    return [r[0] for r in rows]


def job_facts(cur, job_id: str) -> dict[str, Any] | None:
    """What a message about a job says: its row (name, type, status, project, tags, times) and
    operation counts (total, completed, failed, skipped, cancelled, could_not_run)."""
    rows = cur.execute(
        """SELECT job_id, name, job_type, status, project_id, tags, created_at, started_at, finished_at
           FROM jobs WHERE job_id = ?""",
        [job_id],
    ).fetchall()
    if not rows:
        return None
    keys = (
        "job_id",
        "name",
        "job_type",
        "status",
        "project_id",
        "tags",
        "created_at",
        "started_at",
        "finished_at",
    )
    job = dict(zip(keys, rows[0], strict=True))
    job["tags"] = list(job["tags"] or [])
    counts = cur.execute(
        """SELECT count(*), count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),
                  count(*) FILTER (WHERE status = 'skipped'), count(*) FILTER (WHERE status = 'cancelled')
           FROM operations WHERE job_id = ?""",
        [job_id],
    ).fetchall()[0]
    errors = could_not_run(cur, job_id)
    job["counts"] = dict(
        zip(("total", "completed", "failed", "skipped", "cancelled"), counts, strict=True)
    )
    job["counts"]["could_not_run"] = len(errors)
    job["errors"] = errors
    return job


def could_not_run(cur, job_id: str) -> list[dict[str, str]]:
    """Failed operations of a job that could not run (`failure_kind = 'error'`, as opposed to
    'checks_failed'), with their error: the one place notifications tell the two apart."""
    rows = cur.execute(
        "SELECT operation_id, coalesce(error, '') FROM operations WHERE job_id = ? AND status = 'failed' "
        "AND failure_kind = ? ORDER BY seq",
        [job_id, FailureKind.ERROR.value],
    ).fetchall()
    return [{"operation_id": r[0], "error": r[1]} for r in rows]


_LATEST = """c.job_id = ? AND c.attempt = (SELECT max(attempt) FROM check_results c2
                               WHERE c2.job_id = c.job_id AND c2.operation_id = c.operation_id)"""
_IS_ANOMALY = "coalesce(json_extract_string(c.observed, '$.anomaly.state') = 'anomaly', false)"


def anomalous_checks(cur, job_id: str) -> int:
    """How many checks of the job's latest attempts a learned band judged outside (the verdict
    `observed.anomaly.state = 'anomaly'`; 'learning', 'normal' and 'no_value' do not count)."""
    return int(
        cur.execute(
            f"SELECT count(*) FROM check_results c WHERE {_LATEST} AND {_IS_ANOMALY}", [job_id]
        ).fetchall()[0][0]
    )


def worst_checks(cur, job_id: str, limit: int = 5) -> tuple[list[dict[str, Any]], int]:
    """The failed checks of the job's latest attempts, worst first (checks that errored, then
    error severity before warn, then within a severity the anomalies a learned band found (their
    pass rate says nothing of the band), lowest pass rate, most failed rows), at most `limit`;
    and how many checks failed in all. Each check's `anomaly` is None or {metric, value, lower,
    upper, median, runs, reason} (the verdict stored in `observed.anomaly`)."""
    base = f"FROM check_results c WHERE {_LATEST} AND NOT c.passed"
    total = cur.execute(f"SELECT count(*) {base}", [job_id]).fetchall()[0][0]
    rows = cur.execute(
        f"""SELECT c.operation_id, c.project_id, c.pipeline_id, c.check_name, c.check_type, c.table_name,
                   c.severity, c.status, c.failed_rows, c.total_rows, c.pass_rate, c.threshold, c.error,
                   {_IS_ANOMALY},
                   {ANOMALY_BAND_SQL}
            {base}
            ORDER BY (c.status = 'error') DESC, (c.severity = 'error') DESC, {_IS_ANOMALY} DESC,
                     c.pass_rate NULLS FIRST, c.failed_rows DESC NULLS LAST, c.operation_id, c.check_index
            LIMIT ?""",
        [job_id, limit],
    ).fetchall()
    keys = (
        "operation_id",
        "project_id",
        "pipeline_id",
        "check_name",
        "check_type",
        "table_name",
        "severity",
        "status",
        "failed_rows",
        "total_rows",
        "pass_rate",
        "threshold",
        "error",
    )
    out = []
    for r in rows:
        c = dict(zip(keys, r[: len(keys)], strict=True))
        is_anomaly, band = r[len(keys)], r[len(keys) + 1 :]
        c["anomaly"] = dict(zip(ANOMALY_BAND_KEYS, band, strict=True)) if is_anomaly else None
        out.append(c)
    return out, int(total)


def finished_jobs(cur, job_ids: list[str]) -> dict[str, datetime]:
    """{job_id: finished_at} of the listed jobs that are terminal."""
    if not job_ids:
        return {}
    rows = cur.execute(
        f"SELECT job_id, finished_at FROM jobs WHERE job_id IN ({', '.join('?' * len(job_ids))}) "
        f"AND status IN {TERMINAL_JOBS} AND finished_at IS NOT NULL",
        list(job_ids),
    ).fetchall()
    return {r[0]: from_db(r[1]) for r in rows}


TERMINAL = {J.COMPLETED.value, J.FAILED.value, J.PARTIAL_SUCCESS.value, J.CANCELLED.value}
