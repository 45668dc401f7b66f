"""SQL of check history: one check's runs over time, a pipeline's run × check matrix, a
project's scorecard, and the metric values anomaly bands learn from.

A check's identity is (project_id, pipeline_id, check_name) (docs/history.md): a renamed check
starts a new history. Every stored check result is one run (every attempt, as in Analytics);
its time is the result's `created_at` (when the attempt finished), naive UTC. Functions take a
reader cursor (`with store.reader() as cur`) and return plain dicts / lists; aggregation runs in
DuckDB, so 100,000 runs of one check answer in milliseconds (bench/ui_page_load.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from batchcore import jsonutil
from batchcore.store.partitions import ROLLED_CHECK_RESULTS

# The learned band a check result's `observed.anomaly` holds, as columns named ANOMALY_BAND_KEYS
# (of `check_results c`): the anomaly lists here and the notifications' worst checks read it.
ANOMALY_BAND_KEYS = ("metric", "value", "lower", "upper", "median", "runs", "reason")
ANOMALY_BAND_SQL = """json_extract_string(c.observed, '$.anomaly.metric'),
    TRY_CAST(json_extract_string(c.observed, '$.anomaly.value') AS DOUBLE),
    TRY_CAST(json_extract_string(c.observed, '$.anomaly.lower') AS DOUBLE),
    TRY_CAST(json_extract_string(c.observed, '$.anomaly.upper') AS DOUBLE),
    TRY_CAST(json_extract_string(c.observed, '$.anomaly.median') AS DOUBLE),
    TRY_CAST(json_extract_string(c.observed, '$.anomaly.runs') AS INTEGER),
    json_extract_string(c.observed, '$.anomaly.reason')"""

_CR = ROLLED_CHECK_RESULTS  # partitions rolled up into one run per job (issue: partroll)

# what a check's run shows, in order (the runs table, the CSV export)
RUN_KEYS = (
    "run_at",
    "job_id",
    "job_name",
    "operation_id",
    "attempt",
    "status",
    "passed",
    "severity",
    "failed_rows",
    "total_rows",
    "pass_rate",
    "threshold",
    "observed",
    "duration_ms",
    "error",
)
_RUN_SELECT = (
    "c.created_at, c.job_id, j.name, c.operation_id, c.attempt, c.status, c.passed, c.severity, "
    "c.failed_rows, c.total_rows, c.pass_rate, c.threshold, c.observed, c.duration_ms, c.error"
)

# How each anomaly metric reads from a stored result (`observed.<field>` for any other name);
# batchcore.validation.anomaly.metric_value computes the same from a result row in Python.
METRIC_SQL = {
    "row_count": "CAST(c.total_rows AS DOUBLE)",
    "failed_rows": "CAST(c.failed_rows AS DOUBLE)",
    "null_rate": (
        "CASE WHEN c.total_rows = 0 THEN 0.0 WHEN c.non_null_rows IS NULL THEN NULL "
        "ELSE (c.total_rows - c.non_null_rows) / c.total_rows END"
    ),
}


def _ident(project_id: str | None, pipeline_id: str, check_name: str) -> tuple[str, list[Any]]:
    return (
        "c.project_id IS NOT DISTINCT FROM ? AND c.pipeline_id = ? AND c.check_name = ?",
        [project_id, pipeline_id, check_name],
    )


def _range(since: datetime | None, until: datetime | None) -> tuple[str, list[Any]]:
    sql, params = "", []
    if since is not None:
        sql += " AND c.created_at >= ?"
        params.append(since)
    if until is not None:
        sql += " AND c.created_at < ?"
        params.append(until)
    return sql, params


def _run(row: tuple) -> dict[str, Any]:
    d = dict(zip(RUN_KEYS, row, strict=True))
    d["observed"] = jsonutil.loads(d["observed"])
    return d


# ---------------------------------------------------------------- one check


def check_summary(
    cur, project_id: str | None, pipeline_id: str, check_name: str
) -> dict[str, Any] | None:
    """What the check is and how it went over all its runs, or None when it never ran.

    Keys: runs, first_run, last_run, passed_runs, failed_runs, warned_runs, error_runs, and from
    the latest run: status, check_type, table_name, columns, severity, threshold, failed_rows,
    pass_rate, sql.
    """
    where, params = _ident(project_id, pipeline_id, check_name)
    row = cur.execute(
        f"""SELECT count(*), min(created_at), max(created_at),
                   count(*) FILTER (WHERE status = 'passed'), count(*) FILTER (WHERE status = 'failed'),
                   count(*) FILTER (WHERE status = 'warned'), count(*) FILTER (WHERE status = 'error'),
                   arg_max(status, created_at), arg_max(check_type, created_at),
                   arg_max(table_name, created_at), arg_max(columns, created_at),
                   arg_max(severity, created_at), arg_max(threshold, created_at),
                   arg_max(failed_rows, created_at), arg_max(pass_rate, created_at),
                   arg_max(sql, created_at)
            FROM {_CR} c WHERE {where}""",
        params,
    ).fetchall()[0]
    if not row[0]:
        return None
    keys = (
        "runs",
        "first_run",
        "last_run",
        "passed_runs",
        "failed_runs",
        "warned_runs",
        "error_runs",
        "status",
        "check_type",
        "table_name",
        "columns",
        "severity",
        "threshold",
        "failed_rows",
        "pass_rate",
        "sql",
    )
    out = dict(zip(keys, row, strict=True))
    out["columns"] = list(out["columns"] or [])
    return out


def check_runs(
    cur,
    project_id: str | None,
    pipeline_id: str,
    check_name: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 50,
    offset: int = 0,
    oldest_first: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the check's runs (keys RUN_KEYS; newest first unless `oldest_first`) in
    [since, until), and how many runs the range holds. `limit` None: all of them."""
    where, params = _ident(project_id, pipeline_id, check_name)
    rng, rp = _range(since, until)
    total = cur.execute(f"SELECT count(*) FROM {_CR} c WHERE {where}{rng}", params + rp).fetchall()[
        0
    ][0]
    order = "ASC" if oldest_first else "DESC"
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    rows = cur.execute(
        f"""SELECT {_RUN_SELECT} FROM {_CR} c LEFT JOIN jobs j USING (job_id)
            WHERE {where}{rng}
            ORDER BY c.created_at {order}, c.job_id {order}, c.attempt {order}{page}""",
        params + rp,
    ).fetchall()
    return [_run(r) for r in rows], int(total)


def check_trend(
    cur,
    project_id: str | None,
    pipeline_id: str,
    check_name: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    max_points: int = 1500,
) -> dict[str, Any]:
    """The trend of failed rows and pass rate: one point per run when the range holds at most
    `max_points` runs (`bucket` None), else one point per hour / day / week (the finest that
    fits), with the period's mean and worst values.

    Answer: {"bucket": None | "hour" | "day" | "week", "points": [{"t", "runs", "failed_rows",
    "max_failed_rows", "pass_rate", "min_pass_rate", "threshold", "passed", "failed", "warned",
    "errors", "status"}]} oldest first; `status` is the run's (per run) or the worst of the
    period (error > failed > warned > passed).
    """
    where, params = _ident(project_id, pipeline_id, check_name)
    rng, rp = _range(since, until)
    n, first, last = cur.execute(
        f"SELECT count(*), min(created_at), max(created_at) FROM {_CR} c WHERE {where}{rng}",
        params + rp,
    ).fetchall()[0]
    if n <= max_points:
        bucket, t_expr = None, "c.created_at"
        group = "c.created_at, c.job_id, c.operation_id, c.attempt"
    else:
        span_h = (last - first).total_seconds() / 3600 if first and last else 0
        bucket = next(
            (b for b, h in (("hour", 1), ("day", 24), ("week", 168)) if span_h / h <= max_points),
            "week",
        )
        t_expr = f"date_trunc('{bucket}', c.created_at)"
        group = t_expr
    rows = cur.execute(
        f"""SELECT {t_expr} AS t, count(*), avg(c.failed_rows), max(c.failed_rows), avg(c.pass_rate),
                   min(c.pass_rate), max(c.threshold),
                   count(*) FILTER (WHERE c.status = 'passed'), count(*) FILTER (WHERE c.status = 'failed'),
                   count(*) FILTER (WHERE c.status = 'warned'), count(*) FILTER (WHERE c.status = 'error')
            FROM {_CR} c WHERE {where}{rng} GROUP BY {group} ORDER BY t""",
        params + rp,
    ).fetchall()
    keys = (
        "t",
        "runs",
        "failed_rows",
        "max_failed_rows",
        "pass_rate",
        "min_pass_rate",
        "threshold",
        "passed",
        "failed",
        "warned",
        "errors",
    )
    points = []
    for r in rows:
        p = dict(zip(keys, r, strict=True))
        p["status"] = (
            "error"
            if p["errors"]
            else "failed"
            if p["failed"]
            else "warned"
            if p["warned"]
            else "passed"
        )
        points.append(p)
    return {"bucket": bucket, "points": points}


def list_checks(
    cur,
    *,
    project_id: str | None = None,
    pipeline_id: str | None = None,
    search: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Check identities with their latest state, most recently run first: project_id,
    pipeline_id, check_name, check_type, runs, last_run, status (latest run), failed_runs."""
    clauses, params = ["c.pipeline_id IS NOT NULL"], []
    if project_id:
        clauses.append("c.project_id = ?")
        params.append(project_id)
    if pipeline_id:
        clauses.append("c.pipeline_id = ?")
        params.append(pipeline_id)
    if search:
        clauses.append("contains(lower(c.check_name), lower(?))")
        params.append(search)
    rows = cur.execute(
        f"""SELECT c.project_id, c.pipeline_id, c.check_name, arg_max(c.check_type, c.created_at),
                   count(*), max(c.created_at), arg_max(c.status, c.created_at),
                   count(*) FILTER (WHERE c.status = 'failed')
            FROM {_CR} c WHERE {" AND ".join(clauses)}
            GROUP BY c.project_id, c.pipeline_id, c.check_name
            ORDER BY max(c.created_at) DESC, c.project_id, c.pipeline_id, c.check_name
            LIMIT {int(limit)}""",
        params,
    ).fetchall()
    keys = (
        "project_id",
        "pipeline_id",
        "check_name",
        "check_type",
        "runs",
        "last_run",
        "status",
        "failed_runs",
    )
    return [dict(zip(keys, r, strict=True)) for r in rows]


# ---------------------------------------------------------------- a pipeline


def pipeline_matrix(
    cur,
    project_id: str | None,
    pipeline_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    max_runs: int = 60,
) -> dict[str, Any]:
    """The pipeline's latest `max_runs` runs (one per validation attempt) × its checks.

    Answer: {"runs": [{"job_id", "job_name", "operation_id", "attempt", "run_at", "checks",
    "failed_checks"}] oldest first, "checks": [{"check_name", "check_type", "runs", "failed",
    "status" (latest), "last_failed_rows", "last_pass_rate"}] in the latest run's order (checks
    no longer in it after), "cells": [{"run", "check_name", "status", "failed_rows",
    "pass_rate"}] (`run`: index into runs), "total_runs": runs in the range}.
    """
    rng, rp = _range(since, until)
    base = "c.project_id IS NOT DISTINCT FROM ? AND c.pipeline_id = ?"
    params = [project_id, pipeline_id, *rp]
    total = cur.execute(
        f"""SELECT count(*) FROM (SELECT DISTINCT job_id, operation_id, attempt
                                  FROM {_CR} c WHERE {base}{rng})""",
        params,
    ).fetchall()[0][0]
    runs = cur.execute(
        f"""SELECT r.job_id, j.name, r.operation_id, r.attempt, r.run_at, r.checks, r.failed_checks
            FROM (SELECT job_id, operation_id, attempt, max(created_at) AS run_at, count(*) AS checks,
                         count(*) FILTER (WHERE status IN ('failed', 'error')) AS failed_checks
                  FROM {_CR} c WHERE {base}{rng}
                  GROUP BY job_id, operation_id, attempt
                  ORDER BY run_at DESC, job_id DESC, attempt DESC LIMIT {int(max_runs)}) r
            LEFT JOIN jobs j USING (job_id) ORDER BY r.run_at, r.job_id, r.attempt""",
        params,
    ).fetchall()
    run_keys = (
        "job_id",
        "job_name",
        "operation_id",
        "attempt",
        "run_at",
        "checks",
        "failed_checks",
    )
    run_list = [dict(zip(run_keys, r, strict=True)) for r in runs]
    if not run_list:
        return {"runs": [], "checks": [], "cells": [], "total_runs": int(total)}
    index = {(r["job_id"], r["operation_id"], r["attempt"]): i for i, r in enumerate(run_list)}
    oldest = run_list[0]["run_at"]
    cells = cur.execute(
        f"""SELECT job_id, operation_id, attempt, check_name, status, failed_rows, pass_rate, check_index
            FROM {_CR} c WHERE {base}{rng} AND c.created_at >= ?""",
        [*params, oldest],
    ).fetchall()
    cell_list, order = [], {}
    latest = run_list[-1]
    for job_id, op, att, name, status, failed, rate, ci in cells:
        i = index.get((job_id, op, att))
        if i is None:
            continue
        cell_list.append(
            {
                "run": i,
                "check_name": name,
                "status": status,
                "failed_rows": failed,
                "pass_rate": rate,
            }
        )
        in_latest = (job_id, op, att) == (
            latest["job_id"],
            latest["operation_id"],
            latest["attempt"],
        )
        rank = (0, ci) if in_latest else (1, -i)
        if name not in order or rank < order[name]:
            order[name] = rank
    stats = cur.execute(
        f"""SELECT check_name, arg_max(check_type, created_at), count(*),
                   count(*) FILTER (WHERE status = 'failed'), arg_max(status, created_at),
                   arg_max(failed_rows, created_at), arg_max(pass_rate, created_at)
            FROM {_CR} c WHERE {base}{rng} AND c.created_at >= ? GROUP BY check_name""",
        [*params, oldest],
    ).fetchall()
    ck = (
        "check_name",
        "check_type",
        "runs",
        "failed",
        "status",
        "last_failed_rows",
        "last_pass_rate",
    )
    checks = sorted(
        (dict(zip(ck, s, strict=True)) for s in stats), key=lambda d: order[d["check_name"]]
    )
    return {"runs": run_list, "checks": checks, "cells": cell_list, "total_runs": int(total)}


# ---------------------------------------------------------------- a project


def project_scorecard(
    cur, project_id: str | None, *, start: datetime, end: datetime, previous_start: datetime
) -> dict[str, Any]:
    """A project's quality now [start, end) against the previous period [previous_start, start).

    A check counts in a period when it ran in it; it is passing when its latest run of the
    period passed (status passed; warned and error are not passing). `project_id` None: every
    project. Answer: {"current": {"checks", "passing", "failing", "warned", "errors", "runs",
    "passed_runs", "run_pass_rate"}, "previous": the same, "pipelines": [{"project_id",
    "pipeline_id", "checks", "passing", "previous_checks", "previous_passing"}], "checks":
    [{"project_id", "pipeline_id", "check_name", "status", "previous_status", "runs",
    "failed_runs", "last_failed_rows", "previous_failed_rows", "last_pass_rate",
    "previous_pass_rate", "last_run"}] failing first, "previous_only": checks that ran in the
    previous period only [{"project_id", "pipeline_id", "check_name", "previous_status",
    "last_run"}]}.
    """
    proj, pp = ("c.project_id = ? AND ", [project_id]) if project_id else ("", [])
    rows = cur.execute(
        f"""SELECT c.project_id, c.pipeline_id, c.check_name, c.created_at >= ? AS cur_period,
                   arg_max(c.status, c.created_at), count(*),
                   count(*) FILTER (WHERE c.status = 'passed'),
                   count(*) FILTER (WHERE c.status = 'failed'),
                   arg_max(c.failed_rows, c.created_at), arg_max(c.pass_rate, c.created_at),
                   max(c.created_at)
            FROM {_CR} c
            WHERE {proj}c.pipeline_id IS NOT NULL AND c.created_at >= ? AND c.created_at < ?
            GROUP BY ALL""",
        [start, *pp, previous_start, end],
    ).fetchall()
    periods: dict[bool, dict[tuple, tuple]] = {True: {}, False: {}}
    for r in rows:
        periods[bool(r[3])][(r[0], r[1], r[2])] = r[4:]

    def totals(p: dict[tuple, tuple]) -> dict[str, Any]:
        runs = sum(v[1] for v in p.values())
        passed_runs = sum(v[2] for v in p.values())
        st = [v[0] for v in p.values()]
        return {
            "checks": len(p),
            "passing": st.count("passed"),
            "failing": st.count("failed"),
            "warned": st.count("warned"),
            "errors": st.count("error"),
            "runs": runs,
            "passed_runs": passed_runs,
            "run_pass_rate": passed_runs / runs if runs else None,
        }

    cur_p, prev_p = periods[True], periods[False]
    pipes: dict[tuple, dict[str, Any]] = {}
    for which, p in (("", cur_p), ("previous_", prev_p)):
        for (proj_id, pl, _name), v in p.items():
            d = pipes.setdefault(
                (proj_id, pl),
                {
                    "project_id": proj_id,
                    "pipeline_id": pl,
                    "checks": 0,
                    "passing": 0,
                    "previous_checks": 0,
                    "previous_passing": 0,
                },
            )
            d[f"{which}checks"] += 1
            d[f"{which}passing"] += v[0] == "passed"
    checks = []
    for key, v in cur_p.items():
        prev = prev_p.get(key)
        checks.append(
            {
                "project_id": key[0],
                "pipeline_id": key[1],
                "check_name": key[2],
                "status": v[0],
                "previous_status": prev[0] if prev else None,
                "runs": v[1],
                "failed_runs": v[3],
                "last_failed_rows": v[4],
                "previous_failed_rows": prev[4] if prev else None,
                "last_pass_rate": v[5],
                "previous_pass_rate": prev[5] if prev else None,
                "last_run": v[6],
            }
        )
    gone = [
        {
            "project_id": key[0],
            "pipeline_id": key[1],
            "check_name": key[2],
            "previous_status": v[0],
            "last_run": v[6],
        }
        for key, v in prev_p.items()
        if key not in cur_p
    ]
    rank = {"failed": 0, "error": 1, "warned": 2, "passed": 3}
    checks.sort(
        key=lambda c: (
            rank.get(c["status"], 4),
            -(c["last_failed_rows"] or 0),
            c["pipeline_id"],
            c["check_name"],
        )
    )
    return {
        "current": totals(cur_p),
        "previous": totals(prev_p),
        "pipelines": sorted(
            pipes.values(), key=lambda d: (d["project_id"] or "", d["pipeline_id"])
        ),
        "checks": checks,
        "previous_only": sorted(gone, key=lambda c: (c["pipeline_id"], c["check_name"])),
    }


# ---------------------------------------------------------------- anomaly history


def metric_history(
    cur,
    project_id: str | None,
    pipeline_id: str,
    check_name: str,
    metric: str,
    *,
    before: datetime,
    limit: int,
    isoweekday: int | None = None,
) -> list[tuple[datetime, float]]:
    """The latest `limit` values of `metric` for the check's runs before `before` (newest
    first), skipping runs that could not run (status error) or lack the value; with
    `isoweekday` (1 Monday .. 7 Sunday, UTC) only runs of that weekday. `metric`: a key of
    METRIC_SQL or a field of the result's `observed`."""
    where, params = _ident(project_id, pipeline_id, check_name)
    expr = METRIC_SQL.get(metric)
    if expr is None:
        expr = "TRY_CAST(json_extract_string(c.observed, ?) AS DOUBLE)"
        eparams: list[Any] = ["$." + _json_field(metric)]
    else:
        eparams = []
    day, dp = ("", []) if isoweekday is None else (" AND isodow(c.created_at) = ?", [isoweekday])
    rows = cur.execute(
        f"""SELECT created_at, v FROM (
                SELECT c.created_at, c.job_id, c.attempt, {expr} AS v FROM {_CR} c
                WHERE {where} AND c.status <> 'error' AND c.created_at < ?{day})
            WHERE v IS NOT NULL AND isfinite(v)
            ORDER BY created_at DESC, job_id DESC, attempt DESC LIMIT {int(limit)}""",
        [*eparams, *params, before, *dp],
    ).fetchall()
    return [(t, float(v)) for t, v in rows]


def _json_field(name: str) -> str:
    """A JSON path member for `name` (quoted, so any field name is one member)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def anomaly_runs(
    cur,
    *,
    project_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> tuple[list[dict[str, Any]], int]:
    """Check runs in [since, until) whose learned band judged them outside (the verdict stored
    in `observed.anomaly` when the check ran), newest first, and how many there are. Each:
    project_id, pipeline_id, check_name, run_at, job_id, status, metric, value, lower, upper,
    median, runs, reason."""
    rng, rp = _range(since, until)
    proj, pp = (" AND c.project_id = ?", [project_id]) if project_id else ("", [])
    cond = f"json_extract_string(c.observed, '$.anomaly.state') = 'anomaly'{rng}{proj}"
    total = cur.execute(f"SELECT count(*) FROM {_CR} c WHERE {cond}", rp + pp).fetchall()[0][0]
    rows = cur.execute(
        f"""SELECT c.project_id, c.pipeline_id, c.check_name, c.created_at, c.job_id, c.status,
                   {ANOMALY_BAND_SQL}
            FROM {_CR} c WHERE {cond}
            ORDER BY c.created_at DESC, c.job_id, c.check_index LIMIT {int(limit)}""",
        rp + pp,
    ).fetchall()
    keys = (
        "project_id",
        "pipeline_id",
        "check_name",
        "run_at",
        "job_id",
        "status",
        *ANOMALY_BAND_KEYS,
    )
    return [dict(zip(keys, r, strict=True)) for r in rows], int(total)


def latest_run_details(
    cur,
    project_id: str | None,
    pipeline_id: str,
    check_name: str,
    *,
    until: datetime | None = None,
) -> dict[str, Any] | None:
    """The check's latest run before `until` with everything it stored (RUN_KEYS plus
    check_type, table_name, sample, sql, details), or None."""
    where, params = _ident(project_id, pipeline_id, check_name)
    rng, rp = _range(None, until)
    rows = cur.execute(
        f"""SELECT {_RUN_SELECT}, c.check_type, c.table_name, c.sample, c.sql, c.details
            FROM {_CR} c LEFT JOIN jobs j USING (job_id) WHERE {where}{rng}
            ORDER BY c.created_at DESC, c.job_id DESC, c.attempt DESC LIMIT 1""",
        params + rp,
    ).fetchall()
    if not rows:
        return None
    r = rows[0]
    d = _run(r[: len(RUN_KEYS)])
    extra = dict(
        zip(
            ("check_type", "table_name", "sample", "sql", "details"),
            r[len(RUN_KEYS) :],
            strict=True,
        )
    )
    extra["sample"] = jsonutil.loads(extra["sample"])
    extra["details"] = jsonutil.loads(extra["details"])
    return {**d, **extra}
