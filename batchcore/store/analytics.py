"""Analytics over the job store: every aggregate the Analytics page and the page filters need.

All aggregation runs in DuckDB; functions return small pandas DataFrames (one row per group or
period), never the job table. Pages and the API call them through `engine.analytics()` (an
`Analytics` bound to the store, each call in its own read transaction); the functions taking a
reader cursor are the implementation.

`Scope` narrows the jobs by creation date (inclusive from, exclusive to) and project. Job-level
figures use the job's own `project_id`; operation- and check-level figures use the project of
each operation or check (a bulk job may span several projects and then has no project of its own),
falling back to the job's project.
Timestamps are naive UTC in the store and in the frames returned.

A check run counts as failed only when its status is `failed`: `warned` (a `severity: warn` check
that did not pass) and `error` (the check could not run) are counted apart. Likewise an operation
or a pipeline run counts as failed only when its checks found bad data (`failure_kind`
`checks_failed`); one that could not run (`failure_kind` `error`) counts as an error (DESIGN §12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from batchcore import jsonutil
from batchcore.planning import operation_title
from batchcore.state import ACTIVE_JOBS
from batchcore.timeutil import duration_ms_sql, to_db

BUCKETS = ("hour", "day", "week")
_OP_PROJECT = "json_extract_string(o.spec, '$.project_id')"
_OP_SCOPE_PROJECT = f"coalesce({_OP_PROJECT}, j.project_id)"
_OP_PIPELINE = "json_extract_string(o.spec, '$.pipeline_id')"


@dataclass(frozen=True)
class Scope:
    """Which jobs an analytics query looks at: created in [created_from, created_to), project."""

    created_from: datetime | None = None
    created_to: datetime | None = None
    project_id: str | None = None

    def jobs_cte(self, *, by_job_project: bool) -> tuple[str, list[Any]]:
        """`WITH j AS (...)` selecting the jobs in scope, and its parameters. With
        `by_job_project=False` the project is left to the caller (operation level)."""
        clauses, params = [], []
        if self.created_from is not None:
            clauses.append("created_at >= ?")
            params.append(to_db(self.created_from))
        if self.created_to is not None:
            clauses.append("created_at < ?")
            params.append(to_db(self.created_to))
        if by_job_project and self.project_id:
            clauses.append("project_id = ?")
            params.append(self.project_id)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return (
            f"WITH j AS (SELECT job_id, job_type, name, status, project_id, created_at, started_at, "
            f"finished_at FROM jobs{where})"
        ), params

    def op_project(self, column: str) -> tuple[str, list[Any]]:
        """` AND <column> = ?` when a project is chosen (operation- or check-level filter)."""
        return (f" AND {column} = ?", [self.project_id]) if self.project_id else ("", [])


def bucket_for(start: datetime | None, end: datetime | None) -> str:
    """The period of time-series charts: hour up to 3 days, day up to 120 days, else week."""
    if start is None or end is None:
        return "day"
    span = to_db(end) - to_db(start)
    if span <= timedelta(days=3):
        return "hour"
    return "day" if span <= timedelta(days=120) else "week"


def bucket_for_data(
    start: datetime | None,
    end: datetime | None,
    first: datetime | None,
    last: datetime | None,
) -> str:
    """`bucket_for` over the part of [start, end) that holds jobs (`first` and `last`: the first
    and last job creation times). A 30-day range whose jobs were all created today gets hours (a
    line), not one daily point. No job in the range: the range alone decides."""
    lows = [t for t in (to_db(start), to_db(first)) if t is not None]
    highs = [t for t in (to_db(end), to_db(last)) if t is not None]
    lo, hi = (max(lows) if lows else None), (min(highs) if highs else None)
    if lo is None or hi is None or hi < lo:
        return bucket_for(start, end)
    return bucket_for(lo, hi)


def _bucket(bucket: str) -> str:
    if bucket not in BUCKETS:
        raise ValueError(f"bucket {bucket!r} is not one of {BUCKETS}")
    return bucket


def _df(cur, sql: str, params: list[Any]) -> pd.DataFrame:
    return cur.execute(sql, params).df()


# ---------------------------------------------------------------- filter options


def filter_options(cur) -> dict[str, Any]:
    """Values for filter widgets: project ids and tags found on jobs, and the creation range."""
    projects = [
        r[0]
        for r in cur.execute(
            "SELECT DISTINCT project_id FROM jobs WHERE project_id IS NOT NULL ORDER BY 1 LIMIT 1000"
        ).fetchall()
    ]
    tags = [
        r[0]
        for r in cur.execute(
            "SELECT DISTINCT t FROM (SELECT unnest(tags) AS t FROM jobs) WHERE t IS NOT NULL ORDER BY 1 LIMIT 1000"
        ).fetchall()
    ]
    first, last = cur.execute("SELECT min(created_at), max(created_at) FROM jobs").fetchall()[0]
    return {"projects": projects, "tags": tags, "first_created": first, "last_created": last}


def distinct_tags(cur) -> list[str]:
    """Every tag used on a job, sorted (at most 1,000)."""
    return filter_options(cur)["tags"]


# ---------------------------------------------------------------- job level


def summary(cur, scope: Scope) -> dict[str, Any]:
    """Headline numbers: jobs per final state, success rate, operations run and failed.

    `success_rate` = completed ÷ jobs that ended (cancelled excluded); None when none ended.
    `failed_operations` = `checks_failed_operations` (checks found bad data) +
    `error_operations` (could not run).
    """
    cte, params = scope.jobs_cte(by_job_project=True)
    row = cur.execute(
        f"""{cte}
        SELECT count(*),
               count(*) FILTER (WHERE status IN {ACTIVE_JOBS}),
               count(*) FILTER (WHERE status = 'completed'),
               count(*) FILTER (WHERE status = 'partial_success'),
               count(*) FILTER (WHERE status = 'failed'),
               count(*) FILTER (WHERE status = 'cancelled'),
               avg({duration_ms_sql("started_at", "finished_at")})
                   FILTER (WHERE started_at IS NOT NULL AND finished_at IS NOT NULL)
        FROM j""",
        params,
    ).fetchall()[0]
    ops = cur.execute(
        f"""{cte}
        SELECT count(*), count(*) FILTER (WHERE o.status = 'failed'),
               count(*) FILTER (WHERE o.status = 'failed' AND o.failure_kind = 'error')
        FROM operations o JOIN j USING (job_id)""",
        params,
    ).fetchall()[0]
    jobs, active, completed, partial, failed, cancelled, mean_ms = row
    ended = completed + partial + failed
    return {
        "jobs": jobs,
        "active": active,
        "completed": completed,
        "partial_success": partial,
        "failed": failed,
        "cancelled": cancelled,
        "success_rate": None if not ended else completed / ended,
        "mean_job_duration_ms": mean_ms,
        "operations": ops[0],
        "failed_operations": ops[1],
        "checks_failed_operations": ops[1] - ops[2],
        "error_operations": ops[2],
    }


def status_distribution(cur, scope: Scope) -> pd.DataFrame:
    """Columns status, jobs: how many jobs are in each status."""
    cte, params = scope.jobs_cte(by_job_project=True)
    return _df(
        cur,
        f"{cte} SELECT status, count(*) AS jobs FROM j GROUP BY status ORDER BY jobs DESC, status",
        params,
    )


def type_distribution(cur, scope: Scope) -> pd.DataFrame:
    """Columns job_type, status, jobs: jobs per type, split by status."""
    cte, params = scope.jobs_cte(by_job_project=True)
    return _df(
        cur,
        f"""{cte} SELECT job_type, status, count(*) AS jobs FROM j
                        GROUP BY job_type, status ORDER BY job_type, status""",
        params,
    )


def job_durations(cur, scope: Scope, bucket: str = "day") -> pd.DataFrame:
    """Columns period, job_type, jobs, mean_s, p50_s, p95_s, max_s: finished jobs' wall time per
    creation period."""
    cte, params = scope.jobs_cte(by_job_project=True)
    return _df(
        cur,
        f"""{cte}, d AS (
            SELECT date_trunc('{_bucket(bucket)}', created_at) AS period, job_type,
                   {duration_ms_sql("started_at", "finished_at")} / 1000 AS s
            FROM j WHERE started_at IS NOT NULL AND finished_at IS NOT NULL)
        SELECT period, job_type, count(*) AS jobs, avg(s) AS mean_s, quantile_cont(s, 0.5) AS p50_s,
               quantile_cont(s, 0.95) AS p95_s, max(s) AS max_s
        FROM d GROUP BY period, job_type ORDER BY period, job_type""",
        params,
    )


# ---------------------------------------------------------------- operation level


def operation_durations(cur, scope: Scope, bucket: str = "day") -> pd.DataFrame:
    """Columns period, kind, operations, mean_s, p95_s, max_s: finished operations' duration per
    period of their finish time."""
    cte, params = scope.jobs_cte(by_job_project=False)
    extra, p2 = scope.op_project(_OP_SCOPE_PROJECT)
    return _df(
        cur,
        f"""{cte}
        SELECT date_trunc('{_bucket(bucket)}', o.finished_at) AS period, o.kind, count(*) AS operations,
               avg(o.duration_ms) / 1000 AS mean_s, quantile_cont(o.duration_ms, 0.95) / 1000 AS p95_s,
               max(o.duration_ms) / 1000 AS max_s
        FROM operations o JOIN j USING (job_id)
        WHERE o.status IN ('completed', 'failed') AND o.duration_ms IS NOT NULL AND o.finished_at IS NOT NULL{extra}
        GROUP BY period, o.kind ORDER BY period, o.kind""",
        params + p2,
    )


def pipeline_failure_rates(cur, scope: Scope, bucket: str = "day") -> pd.DataFrame:
    """Columns period, pipeline (`project/pipeline`), runs, failed, errors, failure_rate,
    error_rate: pipeline executions (attempts) that ended, per period of their finish time.

    Every attempt is one run, as for checks (`check_failure_rates`): a pipeline that failed and
    then passed on a retry counts one failed and one passed run, so retries do not erase the
    failure. `failed` = runs whose checks found bad data (failure_kind checks_failed); `errors` =
    runs that could not run (failure_kind error: raised, timed out, or an error-severity check
    could not run); failure_rate = failed ÷ runs, error_rate = errors ÷ runs. Cancelled and
    interrupted attempts are not runs."""
    cte, params = scope.jobs_cte(by_job_project=False)
    extra, p2 = scope.op_project(_OP_SCOPE_PROJECT)
    failed = "a.failure_kind = 'checks_failed'"
    errors = "a.failure_kind = 'error'"
    return _df(
        cur,
        f"""{cte}
        SELECT date_trunc('{_bucket(bucket)}', a.finished_at) AS period,
               coalesce({_OP_PROJECT} || '/', '') || coalesce({_OP_PIPELINE}, o.operation_id) AS pipeline,
               count(*) AS runs, count(*) FILTER (WHERE {failed}) AS failed,
               count(*) FILTER (WHERE {errors}) AS errors,
               count(*) FILTER (WHERE {failed}) / count(*) AS failure_rate,
               count(*) FILTER (WHERE {errors}) / count(*) AS error_rate
        FROM attempts a JOIN operations o USING (job_id, operation_id) JOIN j USING (job_id)
        WHERE o.kind = 'pipeline_execution'
          AND a.status IN ('completed', 'failed', 'error', 'timed_out'){extra}
        GROUP BY period, pipeline ORDER BY period, pipeline""",
        params + p2,
    )


def slowest_operations(cur, scope: Scope, limit: int = 20) -> pd.DataFrame:
    """Columns job_id, job_name, operation_id, operation (readable: `project · pipeline`, see
    `planning.operation_title`), kind, status, duration_s, finished_at: the longest finished
    operations."""
    cte, params = scope.jobs_cte(by_job_project=False)
    extra, p2 = scope.op_project(_OP_SCOPE_PROJECT)
    df = _df(
        cur,
        f"""{cte}
        SELECT o.job_id, j.name AS job_name, o.operation_id, o.spec, o.kind, o.status,
               o.duration_ms / 1000 AS duration_s, o.finished_at
        FROM operations o JOIN j USING (job_id)
        WHERE o.duration_ms IS NOT NULL AND o.status IN ('completed', 'failed', 'cancelled'){extra}
        ORDER BY o.duration_ms DESC, o.job_id, o.seq LIMIT ?""",
        params + p2 + [int(limit)],
    )
    titles = [
        operation_title(k, jsonutil.loads(sp) or {}, op)
        for k, sp, op in zip(df["kind"], df["spec"], df["operation_id"], strict=True)
    ]
    df = df.drop(columns=["spec"])
    df.insert(3, "operation", pd.Series(titles, index=df.index, dtype=object))
    return df


def datagen_throughput(cur, scope: Scope, bucket: str = "day") -> pd.DataFrame:
    """Columns period, schema_type, operations, rows, duration_s, rows_per_s, best_rows_per_s:
    completed data generation operations per finish period and schema. `rows_per_s` = rows ÷
    generation seconds of the period; `best_rows_per_s` is the fastest single operation.

    An operation's `rows` is the row count it reports (`rows_written`, `total_rows` or `rows` in
    its result), else the fact rows it was asked for (`row_count` in its spec).
    """
    cte, params = scope.jobs_cte(by_job_project=False)
    extra, p2 = scope.op_project(_OP_SCOPE_PROJECT)
    rows = (
        "coalesce(TRY_CAST(json_extract_string(o.result, '$.rows_written') AS BIGINT), "
        "TRY_CAST(json_extract_string(o.result, '$.total_rows') AS BIGINT), "
        "TRY_CAST(json_extract_string(o.result, '$.rows') AS BIGINT), "
        "TRY_CAST(json_extract_string(o.spec, '$.row_count') AS BIGINT))"
    )
    return _df(
        cur,
        f"""{cte}, g AS (
            SELECT date_trunc('{_bucket(bucket)}', o.finished_at) AS period,
                   coalesce(json_extract_string(o.spec, '$.schema_type'), '?') AS schema_type,
                   {rows} AS rows, o.duration_ms / 1000 AS duration_s
            FROM operations o JOIN j USING (job_id)
            WHERE o.kind = 'data_generation' AND o.status = 'completed' AND o.duration_ms > 0{extra})
        SELECT period, schema_type, count(*) AS operations, sum(rows) AS rows, sum(duration_s) AS duration_s,
               sum(rows) / sum(duration_s) AS rows_per_s, max(rows / duration_s) AS best_rows_per_s
        FROM g WHERE rows IS NOT NULL GROUP BY period, schema_type ORDER BY period, schema_type""",
        params + p2,
    )


# ---------------------------------------------------------------- check level

_CHECK_LABEL = "coalesce(c.pipeline_id, c.operation_id) || ' · ' || c.check_name"


def check_failure_rates(cur, scope: Scope, bucket: str = "day") -> pd.DataFrame:
    """Columns period, check (`pipeline · check`), runs, failed, warned, errors, failure_rate,
    mean_pass_rate: check results per period (every attempt is one run). `failed` counts status
    `failed` only; `warned` and `errors` count the runs with status `warned` / `error`;
    failure_rate = failed ÷ runs."""
    cte, params = scope.jobs_cte(by_job_project=False)
    extra, p2 = scope.op_project("coalesce(c.project_id, j.project_id)")
    return _df(
        cur,
        f"""{cte}
        SELECT date_trunc('{_bucket(bucket)}', c.created_at) AS period, {_CHECK_LABEL} AS "check",
               count(*) AS runs, count(*) FILTER (WHERE c.status = 'failed') AS failed,
               count(*) FILTER (WHERE c.status = 'warned') AS warned,
               count(*) FILTER (WHERE c.status = 'error') AS errors,
               count(*) FILTER (WHERE c.status = 'failed') / count(*) AS failure_rate,
               avg(c.pass_rate) AS mean_pass_rate
        FROM check_results c JOIN j USING (job_id)
        WHERE TRUE{extra}
        GROUP BY period, "check" ORDER BY period, "check" """,
        params + p2,
    )


def check_trends(cur, scope: Scope, limit: int = 50) -> pd.DataFrame:
    """Which checks are getting worse. Columns check, runs, failed, failure_rate,
    earlier_failure_rate, recent_failure_rate, change (recent − earlier), first_pass_rate,
    last_pass_rate, last_run: one row per check that got worse, worst change first.

    Each check's runs are split at the midpoint of its own first and last run. A check got
    worse when it failed at least once (status `failed`; warned and errored runs are no
    failures) and either fails more often in the recent half (change > 0), or as often while
    its pass rate fell from its first run to its last (more rows failing). A check whose runs
    all share one time (change NULL: nothing to compare) or that fails less often lately is
    not listed.
    """
    cte, params = scope.jobs_cte(by_job_project=False)
    extra, p2 = scope.op_project("coalesce(c.project_id, j.project_id)")
    return _df(
        cur,
        f"""{cte}, r AS (
            SELECT {_CHECK_LABEL} AS "check", c.created_at, c.status = 'failed' AS failed, c.pass_rate,
                   min(c.created_at) OVER w + (max(c.created_at) OVER w - min(c.created_at) OVER w) / 2 AS mid
            FROM check_results c JOIN j USING (job_id) WHERE TRUE{extra}
            WINDOW w AS (PARTITION BY {_CHECK_LABEL})),
        t AS (
            SELECT "check", count(*) AS runs, count(*) FILTER (WHERE failed) AS failed,
                   count(*) FILTER (WHERE failed) / count(*) AS failure_rate,
                   avg(CASE WHEN failed THEN 1.0 ELSE 0.0 END) FILTER (WHERE created_at < mid) AS earlier_failure_rate,
                   avg(CASE WHEN failed THEN 1.0 ELSE 0.0 END) FILTER (WHERE created_at >= mid) AS recent_failure_rate,
                   arg_min(pass_rate, created_at) AS first_pass_rate, arg_max(pass_rate, created_at) AS last_pass_rate,
                   max(created_at) AS last_run
            FROM r GROUP BY "check")
        SELECT "check", runs, failed, failure_rate, earlier_failure_rate, recent_failure_rate,
               recent_failure_rate - earlier_failure_rate AS change, first_pass_rate, last_pass_rate, last_run
        FROM t WHERE failed > 0 AND recent_failure_rate IS NOT NULL AND earlier_failure_rate IS NOT NULL
              AND (recent_failure_rate > earlier_failure_rate
                   OR (recent_failure_rate = earlier_failure_rate AND last_pass_rate < first_pass_rate))
        ORDER BY change DESC, first_pass_rate - last_pass_rate DESC, failure_rate DESC, "check" LIMIT ?""",
        params + p2 + [int(limit)],
    )


class Analytics:
    """The analytics queries bound to a job store: every method opens its own read
    transaction (`store.reader()`), so callers never hold a cursor. See the module functions
    of the same name for the columns returned."""

    def __init__(self, store):
        self._store = store

    def _run(self, fn, *args, **kwargs):
        with self._store.reader() as cur:
            return fn(cur, *args, **kwargs)

    def filter_options(self) -> dict[str, Any]:
        """{projects, tags, first_created, last_created} for filter widgets."""
        return self._run(filter_options)

    def distinct_tags(self) -> list[str]:
        """Every tag used on a job, sorted (at most 1,000)."""
        return self._run(distinct_tags)

    def summary(self, scope: Scope) -> dict[str, Any]:
        """Headline numbers (see `summary`)."""
        return self._run(summary, scope)

    def status_distribution(self, scope: Scope) -> pd.DataFrame:
        """Columns status, jobs."""
        return self._run(status_distribution, scope)

    def type_distribution(self, scope: Scope) -> pd.DataFrame:
        """Columns job_type, status, jobs."""
        return self._run(type_distribution, scope)

    def job_durations(self, scope: Scope, bucket: str = "day") -> pd.DataFrame:
        """Finished jobs' wall time per period (see `job_durations`)."""
        return self._run(job_durations, scope, bucket)

    def operation_durations(self, scope: Scope, bucket: str = "day") -> pd.DataFrame:
        """Finished operations' duration per period (see `operation_durations`)."""
        return self._run(operation_durations, scope, bucket)

    def pipeline_failure_rates(self, scope: Scope, bucket: str = "day") -> pd.DataFrame:
        """Pipeline runs, failures and errors per period (see `pipeline_failure_rates`)."""
        return self._run(pipeline_failure_rates, scope, bucket)

    def slowest_operations(self, scope: Scope, limit: int = 20) -> pd.DataFrame:
        """The longest finished operations (see `slowest_operations`)."""
        return self._run(slowest_operations, scope, limit)

    def datagen_throughput(self, scope: Scope, bucket: str = "day") -> pd.DataFrame:
        """Data generation rows per second per period (see `datagen_throughput`)."""
        return self._run(datagen_throughput, scope, bucket)

    def check_failure_rates(self, scope: Scope, bucket: str = "day") -> pd.DataFrame:
        """Check runs and failures per period (see `check_failure_rates`)."""
        return self._run(check_failure_rates, scope, bucket)

    def check_trends(self, scope: Scope, limit: int = 50) -> pd.DataFrame:
        """Checks getting worse, worst first (see `check_trends`)."""
        return self._run(check_trends, scope, limit)
