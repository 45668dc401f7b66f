"""What the review report holds (issue 15 §4), gathered through Engine methods: for one job, or
for a project (or every project) over a date range.

`collect(engine, job_id=..., project_id=..., since=..., until=...)` → a `Report` (plain data);
`batchcore.report.html.render(report)` turns it into one self-contained HTML file.

- scorecard: job → its checks by status; range → checks passing now vs the previous period of
  the same length (Engine.quality_scorecard rule).
- changes: job → Engine.compare_with_previous (newly failing, fixed, still failing with changed
  figures, new, removed); range → the same kinds from the two periods' latest runs.
- anomalies: checks outside their learned band (the verdict stored when they ran).
- failing checks: their latest run with reason, failing-row sample and SQL (at most
  MAX_FAILING), and trend charts of the worst of them (MAX_TRENDS) and of their pipelines
  (MAX_STRIPS).
- metadata: the job(s) the report covers, when it was made, by which version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from batchcore import __version__
from batchcore.errors import NotFound, RequestError
from batchcore.history import CheckKey
from batchcore.store.reads import JobFilter
from batchcore.timeutil import from_db, to_db, utcnow

if TYPE_CHECKING:
    from batchcore.engine import Engine

MAX_FAILING = 25
MAX_TRENDS = 6
MAX_STRIPS = 4
MAX_JOBS = 50
TREND_DAYS = 60  # a job report's trend charts look this far back
NOT_PASSING = ("failed", "error", "warned")
RANK = {"failed": 0, "error": 1, "warned": 2, "passed": 3}


@dataclass
class Report:
    """Everything the HTML shows. Times are aware UTC."""

    title: str
    scope: str  # "job" | "range"
    subject: str  # what the report is about, in words
    start: datetime | None
    end: datetime
    previous_start: datetime | None
    generated_at: datetime
    version: str
    scorecard: dict[str, Any]
    changes: dict[str, list[dict[str, Any]]]
    changes_note: str
    anomalies: list[dict[str, Any]]
    failing: list[dict[str, Any]]
    trends: list[dict[str, Any]] = field(default_factory=list)  # {"key", "title", "trend"}
    strips: list[dict[str, Any]] = field(default_factory=list)  # {"title", "matrix"}
    jobs: list[dict[str, Any]] = field(default_factory=list)
    job: dict[str, Any] | None = None


def collect(
    engine: Engine,
    *,
    job_id: str | None = None,
    project_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Report:
    """The report of one job (`job_id`), else of `project_id` (None: every project) over
    [since, until) (defaults: the last 7 days up to now). Raises NotFound (unknown job, or a
    project neither in the workspace nor in the check history),
    RequestError (a job together with a project or range; since after until)."""
    if job_id:
        if project_id or since or until:
            raise RequestError(
                "a job report covers that job: give job_id alone, or project_id / since / until",
                field="job_id",
                value=job_id,
            )
        return _job_report(engine, job_id)
    if (
        project_id
        and project_id not in engine.workspace().projects
        and not engine.list_checks(project_id=project_id, limit=1)
    ):
        # neither in the workspace nor in the check history (a removed project keeps its report)
        raise NotFound(
            f"project {project_id!r} not found (known: {sorted(engine.workspace().projects)})",
            field="project_id",
            value=project_id,
        )
    end = until or utcnow()
    start = since or end - timedelta(days=7)
    if to_db(start) >= to_db(end):
        raise RequestError(
            f"since ({start:%Y-%m-%d %H:%M}) must be before until ({end:%Y-%m-%d %H:%M})",
            field="since",
            value=str(since),
        )
    return _range_report(engine, project_id, from_db(to_db(start)), from_db(to_db(end)))


def _range_report(engine: Engine, project_id: str | None, start: datetime, end: datetime) -> Report:
    card = engine.quality_scorecard(project_id, start=start, end=end)
    checks = card["checks"]
    changes = {
        "newly_failing": [
            c for c in checks if c["status"] != "passed" and c["previous_status"] == "passed"
        ],
        "fixed": [
            c for c in checks if c["status"] == "passed" and c["previous_status"] in NOT_PASSING
        ],
        "still_failing": [
            c for c in checks if c["status"] in NOT_PASSING and c["previous_status"] in NOT_PASSING
        ],
        "new": [c for c in checks if c["previous_status"] is None],
        "removed": card["previous_only"],
    }
    anomalies, _ = engine.anomalies(project_id=project_id, since=start, until=end, limit=100)
    failing_keys = [c["key"] for c in checks if c["status"] in NOT_PASSING]
    failing = _failing_details(engine, failing_keys, end)
    trends = _trends(engine, failing_keys[:MAX_TRENDS], card["previous_start"], end)
    strips = _strips(engine, failing_keys, card["previous_start"], end)
    jobs, total = engine.list_jobs(
        JobFilter(project_id=project_id, created_from=start, created_to=end), limit=MAX_JOBS
    )
    subject = f"project {project_id}" if project_id else "all projects"
    return Report(
        title=f"Data quality review · {subject}",
        scope="range",
        subject=f"{subject}, {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC",
        start=start,
        end=end,
        previous_start=card["previous_start"],
        generated_at=utcnow(),
        version=__version__,
        scorecard={"kind": "range", **card, "jobs_in_range": total},
        changes=changes,
        changes_note=(
            f"against the previous period {card['previous_start']:%Y-%m-%d %H:%M} – "
            f"{start:%Y-%m-%d %H:%M} UTC (each check's latest run of each period)"
        ),
        anomalies=anomalies,
        failing=failing,
        trends=trends,
        strips=strips,
        jobs=[_job_row(j) for j in jobs],
    )


def _job_report(engine: Engine, job_id: str) -> Report:
    job = engine.get_job(job_id)
    results = engine.check_results(job_id)
    counts = dict.fromkeys(RANK, 0)
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    keys = []
    for r in sorted(results, key=lambda r: (RANK.get(r["status"], 4), -(r["failed_rows"] or 0))):
        if r["status"] in NOT_PASSING and r["pipeline_id"]:
            keys.append(CheckKey(r["project_id"], r["pipeline_id"], r["check_name"]).text)
    end = job.completed_at or utcnow()
    changes: dict[str, list[dict[str, Any]]] = {}
    try:
        cmp = engine.compare_with_previous(job_id)
        for c in cmp.checks:
            d = c.model_dump() if hasattr(c, "model_dump") else dict(c.__dict__)
            kind = str(d["change"].value if hasattr(d["change"], "value") else d["change"])
            if kind == "passing":  # passed in both runs: no change to report
                continue
            changes.setdefault(kind, []).append(
                {
                    "project_id": d["project_id"],
                    "pipeline_id": d["pipeline_id"],
                    "check_name": d["check_name"],
                    "status": d["status_b"],
                    "previous_status": d["status_a"],
                    "last_failed_rows": d["failed_rows_b"],
                    "previous_failed_rows": d["failed_rows_a"],
                }
            )
        note = f"against the previous run of the same pipelines, job {cmp.job_a.job_id} ({cmp.job_a.name})"
    except NotFound:
        note = "no earlier finished job ran these pipelines: nothing to compare with"
    anomalies = [
        {
            "project_id": r["project_id"],
            "pipeline_id": r["pipeline_id"],
            "check_name": r["check_name"],
            "run_at": end,
            "job_id": job_id,
            "status": r["status"],
            **{
                k: (r["observed"] or {}).get("anomaly", {}).get(k)
                for k in ("metric", "value", "lower", "upper", "median", "runs", "reason")
            },
        }
        for r in results
        if ((r.get("observed") or {}).get("anomaly") or {}).get("state") == "anomaly"
    ]
    failing = [
        {
            **r,
            "key": CheckKey(r["project_id"], r["pipeline_id"], r["check_name"]).text
            if r["pipeline_id"]
            else r["check_name"],
            "run_at": end,
            "job_id": job_id,
            "job_name": job.name,
        }
        for r in sorted(results, key=lambda r: (RANK.get(r["status"], 4), -(r["failed_rows"] or 0)))
        if r["status"] in NOT_PASSING
    ][:MAX_FAILING]
    since = end - timedelta(days=TREND_DAYS)
    return Report(
        title=f"Data quality review · job {job.name}",
        scope="job",
        subject=f"job {job.name} ({job.job_id})",
        start=job.created_at,
        end=end,
        previous_start=None,
        generated_at=utcnow(),
        version=__version__,
        scorecard={
            "kind": "job",
            "checks": len(results),
            **counts,
            "operations": job.progress.total_operations,
            "job_status": job.status.value,
        },
        changes=changes,
        changes_note=note,
        anomalies=anomalies,
        failing=failing,
        trends=_trends(engine, keys[:MAX_TRENDS], since, end + timedelta(seconds=1)),
        strips=_strips(engine, keys, since, end + timedelta(seconds=1)),
        jobs=[_job_row(job)],
        job={
            **_job_row(job),
            "description": job.description,
            "tags": job.tags,
            "operations": [
                {
                    "operation_id": o.operation_id,
                    "type": o.operation_type.value,
                    "status": o.status.value,
                    "failure_kind": o.failure_kind.value if o.failure_kind else None,
                    "attempts": o.attempts,
                    "duration_ms": o.duration_ms,
                    "summary": o.summary,
                    "error": o.error,
                }
                for o in job.operations or []
            ],
        },
    )


def _job_row(j: Any) -> dict[str, Any]:
    return {
        "job_id": j.job_id,
        "name": j.name,
        "job_type": j.job_type.value,
        "status": j.status.value,
        "project_id": j.project_id,
        "created_at": j.created_at,
        "completed_at": j.completed_at,
        "duration_ms": j.duration_ms,
        "operations": j.progress.total_operations,
        "failed_operations": j.progress.failed_operations,
    }


def _failing_details(engine: Engine, keys: list[str], end: datetime) -> list[dict[str, Any]]:
    out = []
    for key in keys[:MAX_FAILING]:
        run = engine.latest_check_run(key, until=end)
        if run is not None:
            k = CheckKey.parse(key)
            out.append(
                {
                    **run,
                    "key": key,
                    "project_id": k.project_id,
                    "pipeline_id": k.pipeline_id,
                    "check_name": k.check_name,
                }
            )
    return out


def _trends(
    engine: Engine, keys: list[str], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    out = []
    for key in keys:
        h = engine.check_history(key, since=since, until=until, limit=1, max_points=400)
        if h["trend"]["points"]:
            out.append(
                {
                    "key": key,
                    "title": f"{h['pipeline_id']} · {h['check_name']}",
                    "trend": h["trend"],
                }
            )
    return out


def _strips(
    engine: Engine, keys: list[str], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    pipes: list[tuple[str | None, str]] = []
    for key in keys:
        k = CheckKey.parse(key)
        if (k.project_id, k.pipeline_id) not in pipes:
            pipes.append((k.project_id, k.pipeline_id))
    out = []
    for proj, pl in pipes[:MAX_STRIPS]:
        try:
            m = engine.pipeline_history(pl, proj, since=since, until=until, max_runs=30)
        except NotFound:
            continue
        out.append({"title": f"{proj or '—'} · {pl}", "matrix": m})
    return out
