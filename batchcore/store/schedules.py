"""Every SQL statement over `schedules` and `schedule_runs`: writer commands and reads.

A run is one planned time of a schedule: `(schedule_id, planned_at)` is its primary key, so a
planned time can be recorded once. Its `job_id` is chosen when the run is recorded (before the
job exists) and the job is stored under that id (`jobs.job_id` is a primary key too), so a
crash between "planned" and "job created" is repaired at restart by creating that same job:
exactly one job per planned time. Run states: `queued` (waiting for the previous job, overlap
queue) → `planned` (job id fixed) → `created`; or `skipped` (with a reason).

Jobs keep no schedule column: `schedule_runs.job_id` is the link (a job's schedule and planned
time are read from it). Timestamps are naive UTC like the rest of the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from batchcore import jsonutil
from batchcore.errors import Conflict, NotFound
from batchcore.models import FailureKind, JobType
from batchcore.models import JobStatus as J
from batchcore.models import OperationKind as K
from batchcore.store.commands import ACTIVE_JOBS
from batchcore.store.writer import Command
from batchcore.timeutil import from_db, to_db

QUEUED, PLANNED, CREATED, SKIPPED = "queued", "planned", "created", "skipped"

SCHEDULE_COLUMNS = (
    "schedule_id",
    "name",
    "job_type",
    "request",
    "cron",
    "timezone",
    "enabled",
    "catch_up",
    "overlap",
    "tags",
    "owner",
    "description",
    "created_at",
    "updated_at",
    "cursor_at",
    "problem",
    "problem_at",
)
EDITABLE = frozenset(SCHEDULE_COLUMNS) - {"schedule_id", "created_at", "updated_at"}
RUN_COLUMNS = ("schedule_id", "planned_at", "trigger", "state", "job_id", "reason", "recorded_at")


def _schedule(row: tuple) -> dict[str, Any]:
    d = dict(zip(SCHEDULE_COLUMNS, row, strict=True))
    d["request"] = jsonutil.loads(d["request"]) or {}
    d["tags"] = list(d["tags"] or [])
    for k in ("created_at", "updated_at", "cursor_at", "problem_at"):
        d[k] = from_db(d[k])
    return d


def _name_taken(cur, name: str, other_than: str | None) -> str | None:
    rows = cur.execute(
        "SELECT schedule_id FROM schedules WHERE lower(name) = lower(?) AND schedule_id IS DISTINCT FROM ?",
        [name, other_than],
    ).fetchall()
    return rows[0][0] if rows else None


class InsertSchedule(Command):
    """Store a new schedule (`row`: every SCHEDULE_COLUMNS key but created/updated_at).
    Raises Conflict when another schedule has the same name (case-insensitive)."""

    def __init__(self, row: dict[str, Any]):
        super().__init__()
        self.row = row

    def apply(self, cur, now):
        taken = _name_taken(cur, self.row["name"], None)
        if taken:
            raise Conflict(
                f"a schedule named {self.row['name']!r} exists already ({taken}); pick another name",
                field="name",
                value=self.row["name"],
            )
        row = {**self.row, "created_at": now, "updated_at": now}
        row["request"] = jsonutil.dumps(row["request"])
        row["cursor_at"] = to_db(row["cursor_at"])
        cur.execute(
            f"INSERT INTO schedules ({', '.join(SCHEDULE_COLUMNS)}) VALUES ({', '.join('?' * len(SCHEDULE_COLUMNS))})",
            [row.get(c) for c in SCHEDULE_COLUMNS],
        )
        return self.row["schedule_id"]


class UpdateSchedule(Command):
    """Change the given columns (keys of EDITABLE) of a schedule. Result: the schedule (dict).
    Raises NotFound, or Conflict for a name another schedule has."""

    def __init__(self, schedule_id: str, changes: dict[str, Any]):
        super().__init__()
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        self.schedule_id, self.changes = schedule_id, changes

    def apply(self, cur, now):
        if not cur.execute(
            "SELECT 1 FROM schedules WHERE schedule_id = ?", [self.schedule_id]
        ).fetchall():
            raise NotFound(
                f"schedule {self.schedule_id} not found",
                field="schedule_id",
                value=self.schedule_id,
            )
        if "name" in self.changes:
            taken = _name_taken(cur, self.changes["name"], self.schedule_id)
            if taken:
                raise Conflict(
                    f"a schedule named {self.changes['name']!r} exists already ({taken})",
                    field="name",
                    value=self.changes["name"],
                )
        values = dict(self.changes)
        if "request" in values:
            values["request"] = jsonutil.dumps(values["request"])
        for k in ("cursor_at", "problem_at"):
            if k in values:
                values[k] = to_db(values[k])
        cols = sorted(values)
        cur.execute(
            f"UPDATE schedules SET {', '.join(f'{c} = ?' for c in cols)}, updated_at = ? WHERE schedule_id = ?",
            [*(values[c] for c in cols), now, self.schedule_id],
        )
        return get_schedule(cur, self.schedule_id)


class DeleteSchedule(Command):
    """Delete a schedule. Its runs stay (they link the jobs it created to it). Raises NotFound."""

    def __init__(self, schedule_id: str):
        super().__init__()
        self.schedule_id = schedule_id

    def apply(self, cur, now):
        rows = cur.execute(
            "DELETE FROM schedules WHERE schedule_id = ? RETURNING schedule_id", [self.schedule_id]
        ).fetchall()
        if not rows:
            raise NotFound(
                f"schedule {self.schedule_id} not found",
                field="schedule_id",
                value=self.schedule_id,
            )
        return True


class SetProblem(Command):
    """Flag a schedule (`problem` text) or clear the flag (None). Idempotent; a deleted schedule
    is ignored."""

    def __init__(self, schedule_id: str, problem: str | None):
        super().__init__()
        self.schedule_id, self.problem = schedule_id, problem

    def apply(self, cur, now):
        cur.execute(
            "UPDATE schedules SET problem = ?, problem_at = CASE WHEN ? IS NULL THEN NULL ELSE ?::TIMESTAMP END "
            "WHERE schedule_id = ? AND problem IS DISTINCT FROM ?",
            [self.problem, self.problem, now, self.schedule_id, self.problem],
        )


class RecordRun(Command):
    """Record a planned time once: insert the run unless `(schedule_id, planned_at)` exists, and
    (with `advance`) move the schedule's cursor to `planned_at`, in one transaction.

    Result: (inserted, the stored run as a dict) — the existing run when it was recorded before.
    """

    def __init__(
        self,
        schedule_id: str,
        planned_at: datetime,
        *,
        trigger: str,
        state: str,
        job_id: str | None,
        reason: str | None = None,
        advance: bool = True,
    ):
        super().__init__()
        self.schedule_id, self.planned_at = schedule_id, to_db(planned_at)
        self.trigger, self.state, self.job_id, self.reason = trigger, state, job_id, reason
        self.advance = advance

    def apply(self, cur, now):
        inserted = cur.execute(
            f"""INSERT INTO schedule_runs ({", ".join(RUN_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING RETURNING schedule_id""",
            [
                self.schedule_id,
                self.planned_at,
                self.trigger,
                self.state,
                self.job_id,
                self.reason,
                now,
            ],
        ).fetchall()
        if self.advance:
            cur.execute(
                "UPDATE schedules SET cursor_at = greatest(cursor_at, ?) WHERE schedule_id = ?",
                [self.planned_at, self.schedule_id],
            )
        return bool(inserted), get_run(cur, self.schedule_id, self.planned_at)


class MoveRun(Command):
    """Compare-and-set of a run's state: `expect` → `new` (with a job id / reason when given).
    Result: True when the run was in `expect` and moved."""

    def __init__(
        self,
        schedule_id: str,
        planned_at: datetime,
        expect: str,
        new: str,
        *,
        job_id: str | None = None,
        reason: str | None = None,
    ):
        super().__init__()
        self.key = (schedule_id, to_db(planned_at))
        self.expect, self.new, self.job_id, self.reason = expect, new, job_id, reason

    def apply(self, cur, now):
        rows = cur.execute(
            """UPDATE schedule_runs SET state = ?, job_id = coalesce(?, job_id), reason = coalesce(?, reason)
               WHERE schedule_id = ? AND planned_at = ? AND state = ? RETURNING state""",
            [self.new, self.job_id, self.reason, *self.key, self.expect],
        ).fetchall()
        return bool(rows)


# the operation a refused request's job gets, by job type (a kind the UI already knows)
_REFUSED_KIND = {
    JobType.BULK_PIPELINE_EXECUTION: K.PIPELINE_EXECUTION,
    JobType.MULTI_PROJECT_VALIDATION: K.PIPELINE_EXECUTION,
    JobType.BATCH_DATA_GENERATION: K.DATA_GENERATION,
    JobType.BULK_METADATA_EXTRACTION: K.METADATA_EXTRACTION,
}
REFUSED_OPERATION_ID = "schedule_request"


class CreateRefusedJob(Command):
    """Store a scheduled job whose request no longer validates: one operation
    `schedule_request`, failed with `reason` (an `error` attempt: it could not run), and the
    job failed; `failure_kind` error on both. Insert-only (may run outside the writer)."""

    insert_only = True

    def __init__(self, job: dict[str, Any], reason: str, error_type: str):
        super().__init__()
        self.job, self.reason, self.error_type = job, reason, error_type

    def apply(self, cur, now):
        j = self.job
        cur.execute(
            """INSERT INTO jobs (job_id, job_type, name, description, status, project_id, tags,
                   parallel_execution, max_parallel, stop_on_error, max_retries, timeout_s, request,
                   total_operations, created_at, started_at, finished_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, 1, ?, ?, ?)""",
            [
                j["job_id"],
                j["job_type"],
                j["name"],
                j.get("description") or "",
                J.FAILED.value,
                j.get("project_id"),
                list(j.get("tags") or []),
                True,
                1,
                False,
                jsonutil.dumps(j.get("request")),
                now,
                now,
                now,
            ],
        )
        kind = _REFUSED_KIND[JobType(j["job_type"])].value
        cur.execute(
            f"""INSERT INTO operations (op_key, job_id, operation_id, seq, kind, status, spec, attempts,
                   max_attempts, started_at, finished_at, duration_ms, status_reason, summary, error,
                   failure_kind)
               VALUES (?, ?, ?, 0, ?, 'failed', ?, 1, 1, ?, ?, 0, ?, 'error', ?, '{FailureKind.ERROR.value}')""",
            [
                j["op_key"],
                j["job_id"],
                REFUSED_OPERATION_ID,
                kind,
                jsonutil.dumps({"schedule_id": j.get("schedule_id")}),
                now,
                now,
                "the schedule's request no longer validates",
                self.reason,
            ],
        )
        cur.execute(
            "INSERT INTO attempts (job_id, operation_id, attempt, status, started_at, finished_at, "
            "duration_ms, error, error_type, summary, failure_kind) "
            f"VALUES (?, ?, 1, 'error', ?, ?, 0, ?, ?, 'error', '{FailureKind.ERROR.value}')",
            [j["job_id"], REFUSED_OPERATION_ID, now, now, self.reason, self.error_type],
        )
        return j["job_id"]


# ---------------------------------------------------------------- reads


def get_schedule(cur, schedule_id: str) -> dict[str, Any] | None:
    """One schedule as a dict (SCHEDULE_COLUMNS; times aware UTC), or None."""
    rows = cur.execute(
        f"SELECT {', '.join(SCHEDULE_COLUMNS)} FROM schedules WHERE schedule_id = ?", [schedule_id]
    ).fetchall()
    return _schedule(rows[0]) if rows else None


def list_schedules(cur, *, enabled_only: bool = False) -> list[dict[str, Any]]:
    """Every schedule (by name), or only the enabled ones."""
    where = " WHERE enabled" if enabled_only else ""
    rows = cur.execute(
        f"SELECT {', '.join(SCHEDULE_COLUMNS)} FROM schedules{where} ORDER BY lower(name), schedule_id"
    ).fetchall()
    return [_schedule(r) for r in rows]


_RUN_SELECT = (
    "SELECT r.schedule_id, r.planned_at, r.trigger, r.state, r.job_id, r.reason, r.recorded_at, "
    "j.status, j.finished_at FROM schedule_runs r LEFT JOIN jobs j ON j.job_id = r.job_id"
)


def _run(row: tuple) -> dict[str, Any]:
    d = dict(zip((*RUN_COLUMNS, "job_status", "job_finished_at"), row, strict=True))
    for k in ("planned_at", "recorded_at", "job_finished_at"):
        d[k] = from_db(d[k])
    return d


def get_run(cur, schedule_id: str, planned_at: datetime) -> dict[str, Any] | None:
    """One run with its job's status (`job_status` None while the job does not exist)."""
    rows = cur.execute(
        f"{_RUN_SELECT} WHERE r.schedule_id = ? AND r.planned_at = ?",
        [schedule_id, to_db(planned_at)],
    ).fetchall()
    return _run(rows[0]) if rows else None


def runs(cur, schedule_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The latest runs of a schedule, newest planned time first, with their jobs' status."""
    rows = cur.execute(
        f"{_RUN_SELECT} WHERE r.schedule_id = ? ORDER BY r.planned_at DESC LIMIT ?",
        [schedule_id, limit],
    ).fetchall()
    return [_run(r) for r in rows]


def last_runs(cur) -> dict[str, dict[str, Any]]:
    """{schedule_id: its latest run that is not skipped}, with the job's status."""
    rows = cur.execute(
        f"""{_RUN_SELECT} WHERE r.state <> '{SKIPPED}'
            QUALIFY row_number() OVER (PARTITION BY r.schedule_id ORDER BY r.planned_at DESC) = 1"""
    ).fetchall()
    return {r[0]: _run(r) for r in rows}


def runs_in_state(cur, state: str) -> list[dict[str, Any]]:
    """Runs in `state` (oldest first), with their jobs' status."""
    rows = cur.execute(f"{_RUN_SELECT} WHERE r.state = ? ORDER BY r.planned_at", [state]).fetchall()
    return [_run(r) for r in rows]


def active_runs(cur, schedule_id: str) -> list[dict[str, Any]]:
    """The schedule's runs that hold it busy (newest first): queued or planned ones, and those
    whose job is still active."""
    rows = cur.execute(
        f"""{_RUN_SELECT} WHERE r.schedule_id = ?
              AND (r.state IN ('{QUEUED}', '{PLANNED}') OR j.status IN {ACTIVE_JOBS})
            ORDER BY r.planned_at DESC""",
        [schedule_id],
    ).fetchall()
    return [_run(r) for r in rows]


def run_of_job(cur, job_id: str) -> dict[str, Any] | None:
    """The run that created `job_id` (its schedule id and planned time), or None."""
    rows = cur.execute(f"{_RUN_SELECT} WHERE r.job_id = ? LIMIT 1", [job_id]).fetchall()
    return _run(rows[0]) if rows else None


def previous_outcome(cur, schedule_id: str, planned_at: datetime) -> str | None:
    """Final status of the schedule's last finished, not cancelled job planned before
    `planned_at` (None when there is none)."""
    rows = cur.execute(
        """SELECT j.status FROM schedule_runs r JOIN jobs j ON j.job_id = r.job_id
            WHERE r.schedule_id = ? AND r.planned_at < ? AND j.status IN (?, ?, ?)
            ORDER BY r.planned_at DESC LIMIT 1""",
        [
            schedule_id,
            to_db(planned_at),
            J.COMPLETED.value,
            J.FAILED.value,
            J.PARTIAL_SUCCESS.value,
        ],
    ).fetchall()
    return rows[0][0] if rows else None


def job_exists(cur, job_id: str) -> bool:
    """Whether a job with this id is stored."""
    return bool(cur.execute("SELECT 1 FROM jobs WHERE job_id = ?", [job_id]).fetchall())
