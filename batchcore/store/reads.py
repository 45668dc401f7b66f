"""Every read of the job store: job views, lists with filters, progress, checks, statistics.

Readers use their own cursor (DuckDB MVCC gives each a consistent snapshot) and never wait for
the writer. Progress is derived from operation rows in SQL, never from stored counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchcore import jsonutil
from batchcore.connections import WAITING_PREFIX
from batchcore.models import JobStatus, JobView, OperationView, Progress
from batchcore.store.commands import ACTIVE_JOBS, TERMINAL_JOBS
from batchcore.timeutil import duration_ms, duration_ms_sql, from_db, to_db, utcnow_naive

JOB_COLUMNS = (
    "job_id, job_type, status, name, description, project_id, tags, parallel_execution, max_parallel, "
    "stop_on_error, max_retries, timeout_s, created_at, started_at, finished_at, cancel_requested_at, "
    "cancel_reason, total_operations"
)
OP_COLUMNS = (
    "operation_id, kind, seq, status, attempts, max_attempts, started_at, finished_at, duration_ms, "
    "next_attempt_at, status_reason, progress_message, summary, result, error, spec, attempt_started_at, "
    "failure_kind"
)


def _ph(n: int) -> str:
    return ", ".join("?" * n)


@dataclass(frozen=True)
class JobFilter:
    """Filters of the job list. `status` values may include the alias `queued` (= pending).

    `created_from` / `created_to` are inclusive/exclusive bounds on `created_at` (aware or
    naive-UTC datetimes). `search` matches the job name or id, case-insensitively; `job_ids`
    restricts to those jobs.
    """

    status: tuple[str, ...] = ()
    job_type: tuple[str, ...] = ()
    project_id: str | None = None
    tag: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    search: str | None = None
    job_ids: tuple[str, ...] = ()

    def where(self) -> tuple[str, list[Any]]:
        """SQL WHERE clause (with leading ' WHERE ' or '') and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.status:
            sts = sorted({JobStatus.parse(s).value for s in self.status})
            clauses.append(f"status IN ({_ph(len(sts))})")
            params += sts
        if self.job_type:
            clauses.append(f"job_type IN ({_ph(len(self.job_type))})")
            params += list(self.job_type)
        if self.project_id:
            clauses.append("project_id = ?")
            params.append(self.project_id)
        if self.tag:
            clauses.append("list_contains(tags, ?)")
            params.append(self.tag)
        if self.created_from:
            clauses.append("created_at >= ?")
            params.append(to_db(self.created_from))
        if self.created_to:
            clauses.append("created_at < ?")
            params.append(to_db(self.created_to))
        if self.job_ids:
            clauses.append(f"job_id IN ({_ph(len(self.job_ids))})")
            params += list(self.job_ids)
        if self.search:
            clauses.append("(name ILIKE ? OR job_id ILIKE ?)")
            like = "%" + self.search.replace("%", r"\%").replace("_", r"\_") + "%"
            params += [like, like]
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def progress_for(cur, jobs: dict[str, tuple], max_workers: int) -> dict[str, Progress]:
    """Progress of the given jobs. `jobs` maps job_id → (parallel_execution, max_parallel)."""
    if not jobs:
        return {}
    ids = list(jobs)
    rows = cur.execute(
        f"""SELECT job_id, count(*),
                   count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),
                   count(*) FILTER (WHERE status = 'failed' AND failure_kind = 'error'),
                   count(*) FILTER (WHERE status = 'skipped'), count(*) FILTER (WHERE status = 'cancelled'),
                   count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = 'pending'),
                   avg(duration_ms) FILTER (WHERE status IN ('completed', 'failed') AND duration_ms IS NOT NULL),
                   list(operation_id ORDER BY seq) FILTER (WHERE status = 'running'),
                   list(DISTINCT regexp_extract(progress_message, '^{WAITING_PREFIX}(\\S+)', 1))
                       FILTER (WHERE status = 'running'
                               AND starts_with(progress_message, '{WAITING_PREFIX}'))
            FROM operations WHERE job_id IN ({_ph(len(ids))}) GROUP BY job_id""",
        ids,
    ).fetchall()
    out: dict[str, Progress] = {}
    for (
        job_id,
        total,
        done,
        failed,
        errored,
        skipped,
        cancelled,
        running,
        pending,
        mean_ms,
        running_ids,
        waiting,
    ) in rows:
        parallel, max_parallel = jobs[job_id]
        finished = done + failed + skipped + cancelled
        remaining = pending + running
        eta: int | None = None
        if mean_ms is not None:
            lanes = max(1, min(max_parallel if parallel else 1, max_workers, remaining or 1))
            eta = max(0, round(mean_ms * remaining / lanes))
        out[job_id] = Progress(
            total_operations=total,
            completed_operations=done,
            failed_operations=failed,
            checks_failed_operations=failed - errored,
            error_operations=errored,
            skipped_operations=skipped,
            cancelled_operations=cancelled,
            running_operations=running,
            pending_operations=pending,
            percent_complete=(finished * 10000 // total) / 100
            if total
            else 100.0,  # floored: 100 only when all finished
            estimated_time_remaining_ms=eta,
            current_operations=list(running_ids or []),
            waiting_for_connections=sorted(waiting or []),
        )
    return out


def _job_view(row: tuple, progress: Progress | None, ops: list[OperationView] | None) -> JobView:
    (
        job_id,
        job_type,
        status,
        name,
        description,
        project_id,
        tags,
        parallel,
        max_parallel,
        stop,
        max_retries,
        timeout_s,
        created,
        started,
        finished,
        cancel_at,
        cancel_reason,
        total,
    ) = row
    if progress is None:
        progress = Progress(
            total_operations=total,
            completed_operations=0,
            failed_operations=0,
            skipped_operations=0,
            cancelled_operations=0,
            running_operations=0,
            pending_operations=total,
            percent_complete=0.0,
            estimated_time_remaining_ms=None,
        )
    end = finished if finished is not None else (utcnow_naive() if started is not None else None)
    return JobView(
        job_id=job_id,
        job_type=job_type,
        status=status,
        name=name,
        description=description,
        project_id=project_id,
        tags=list(tags or []),
        parallel_execution=parallel,
        max_parallel=max_parallel,
        stop_on_error=stop,
        max_retries=max_retries,
        timeout_s=timeout_s,
        created_at=from_db(created),
        started_at=from_db(started),
        completed_at=from_db(finished),
        duration_ms=duration_ms(started, end),
        cancel_requested_at=from_db(cancel_at),
        cancel_reason=cancel_reason,
        progress=progress,
        operations=ops,
    )


def operation_views(cur, job_id: str) -> list[OperationView]:
    """Every operation of a job in order. A running operation's duration is its elapsed time."""
    rows = cur.execute(
        f"SELECT {OP_COLUMNS} FROM operations WHERE job_id = ? ORDER BY seq", [job_id]
    ).fetchall()
    now = utcnow_naive()
    out = []
    for (
        op_id,
        kind,
        seq,
        status,
        attempts,
        max_attempts,
        started,
        finished,
        dur,
        next_at,
        reason,
        progress_msg,
        summary,
        result,
        error,
        spec,
        attempt_started,
        failure_kind,
    ) in rows:
        if status == "running":
            dur = duration_ms(attempt_started, now)
        out.append(
            OperationView(
                operation_id=op_id,
                operation_type=kind,
                seq=seq,
                status=status,
                failure_kind=failure_kind,
                attempts=attempts,
                max_attempts=max_attempts,
                started_at=from_db(started),
                completed_at=from_db(finished),
                duration_ms=dur,
                next_attempt_at=from_db(next_at),
                status_reason=reason,
                progress_message=progress_msg,
                summary=summary,
                result=jsonutil.loads(result),
                error=error,
                metadata=jsonutil.loads(spec) or {},
            )
        )
    return out


def job_view(cur, job_id: str, *, max_workers: int, with_operations: bool = True) -> JobView | None:
    """The job with progress (and operations), or None when it does not exist."""
    rows = cur.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE job_id = ?", [job_id]).fetchall()
    if not rows:
        return None
    row = rows[0]
    prog = progress_for(cur, {job_id: (row[7], row[8])}, max_workers).get(job_id)
    ops = operation_views(cur, job_id) if with_operations else None
    return _job_view(row, prog, ops)


def list_jobs(
    cur,
    flt: JobFilter,
    *,
    limit: int,
    offset: int,
    max_workers: int,
    order: str = "created_at DESC, job_id DESC",
) -> tuple[list[JobView], int]:
    """One page of jobs (newest first) and the total matching the filter."""
    where, params = flt.where()
    total = cur.execute(f"SELECT count(*) FROM jobs{where}", params).fetchall()[0][0]
    rows = cur.execute(
        f"SELECT {JOB_COLUMNS} FROM jobs{where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    prog = progress_for(cur, {r[0]: (r[7], r[8]) for r in rows}, max_workers)
    return [_job_view(r, prog.get(r[0]), None) for r in rows], int(total)


def active_job_ids(cur) -> list[str]:
    """Ids of pending, running and cancelling jobs, oldest first."""
    return [
        r[0]
        for r in cur.execute(
            f"SELECT job_id FROM jobs WHERE status IN {ACTIVE_JOBS} ORDER BY created_at, job_id"
        ).fetchall()
    ]


def attempts(cur, job_id: str, operation_id: str | None = None) -> list[dict[str, Any]]:
    """Finished attempts of a job (or one operation), oldest first."""
    extra, params = (
        ("", [job_id])
        if operation_id is None
        else (" AND operation_id = ?", [job_id, operation_id])
    )
    rows = cur.execute(
        "SELECT operation_id, attempt, status, started_at, finished_at, duration_ms, error, error_type, "
        f"failure_kind, summary FROM attempts WHERE job_id = ?{extra} ORDER BY finished_at, operation_id, attempt",
        params,
    ).fetchall()
    keys = (
        "operation_id",
        "attempt",
        "status",
        "started_at",
        "finished_at",
        "duration_ms",
        "error",
        "error_type",
        "failure_kind",
        "summary",
    )
    out = []
    for r in rows:
        d = dict(zip(keys, r, strict=True))
        d["started_at"], d["finished_at"] = from_db(d["started_at"]), from_db(d["finished_at"])
        out.append(d)
    return out


CHECK_KEYS = (
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
)


def check_results(
    cur, job_id: str, operation_id: str | None = None, *, latest_attempt: bool = True
) -> list[dict[str, Any]]:
    """Check results of a job (or one operation); by default only each operation's latest attempt."""
    extra, params = (
        ("", [job_id])
        if operation_id is None
        else (" AND c.operation_id = ?", [job_id, operation_id])
    )
    latest = (
        (
            " AND c.attempt = (SELECT max(attempt) FROM check_results c2 WHERE c2.job_id = c.job_id "
            "AND c2.operation_id = c.operation_id)"
        )
        if latest_attempt
        else ""
    )
    rows = cur.execute(
        f"SELECT {', '.join('c.' + k for k in CHECK_KEYS)} FROM check_results c WHERE c.job_id = ?{extra}{latest} "
        "ORDER BY c.operation_id, c.attempt, c.check_index",
        params,
    ).fetchall()
    out = []
    for r in rows:
        d = dict(zip(CHECK_KEYS, r, strict=True))
        for k in ("observed", "sample", "details"):
            d[k] = jsonutil.loads(d[k])
        d["columns"] = list(d["columns"] or [])
        out.append(d)
    return out


def statistics(cur, *, recent: int = 10, max_workers: int = 10) -> dict[str, Any]:
    """The guide's statistics plus mean duration and failure rates per job type.

    `failure_rate` per type = jobs that ended failed or partial_success ÷ jobs that ended
    (cancelled excluded); `operation_failure_rate` = failed ÷ (completed + failed) operations,
    split into `operation_checks_failed_rate` (failure_kind checks_failed) and
    `operation_error_rate` (failure_kind error), which add up to it before rounding.
    """
    status = dict(
        cur.execute("SELECT status, count(*) FROM jobs GROUP BY status ORDER BY status").fetchall()
    )
    types = dict(
        cur.execute(
            "SELECT job_type, count(*) FROM jobs GROUP BY job_type ORDER BY job_type"
        ).fetchall()
    )
    by_type_rows = cur.execute(
        f"""SELECT job_type, count(*),
                   avg({duration_ms_sql("started_at", "finished_at")})
                       FILTER (WHERE finished_at IS NOT NULL AND started_at IS NOT NULL),
                   count(*) FILTER (WHERE status IN ('failed', 'partial_success')),
                   count(*) FILTER (WHERE status IN {TERMINAL_JOBS} AND status <> 'cancelled')
            FROM jobs GROUP BY job_type ORDER BY job_type"""
    ).fetchall()
    op_rows = {
        r[0]: r[1:]
        for r in cur.execute(
            """SELECT j.job_type, count(*) FILTER (WHERE o.status = 'failed'),
                  count(*) FILTER (WHERE o.status = 'failed' AND o.failure_kind = 'error'),
                  count(*) FILTER (WHERE o.status IN ('completed', 'failed'))
           FROM operations o JOIN jobs j USING (job_id) GROUP BY j.job_type"""
        ).fetchall()
    }
    by_type = {}
    for jt, n, mean_ms, bad, ended in by_type_rows:
        of, oerr, oe = op_rows.get(jt, (0, 0, 0))
        by_type[jt] = {
            "jobs": n,
            "mean_duration_ms": None if mean_ms is None else round(mean_ms, 1),
            "failure_rate": None if not ended else round(bad / ended, 4),
            "operation_failure_rate": None if not oe else round(of / oe, 4),
            "operation_checks_failed_rate": None if not oe else round((of - oerr) / oe, 4),
            "operation_error_rate": None if not oe else round(oerr / oe, 4),
        }
    active = cur.execute(f"SELECT count(*) FROM jobs WHERE status IN {ACTIVE_JOBS}").fetchall()[0][
        0
    ]
    recent_jobs, total = list_jobs(
        cur, JobFilter(), limit=recent, offset=0, max_workers=max_workers
    )
    return {
        "total_jobs": total,
        "status_distribution": status,
        "type_distribution": types,
        "active_jobs": active,
        "recent_jobs": [j.model_dump(mode="json", exclude={"operations"}) for j in recent_jobs],
        "by_job_type": by_type,
    }
