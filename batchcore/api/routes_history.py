"""Check history endpoints (issue 15 §1): one check's runs, a pipeline's run × check matrix,
the checks that have history and a project's scorecard; JSON or CSV exports.

A check is named by its key `<project>/<pipeline>/<check name>` (`-` for no project; see
batchcore.history), percent-encoded in the path where needed. `since` / `until` take a duration
before now (`7d`, `24h`, `2w`) or an ISO date. Unknown check or pipeline without runs → 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from batchcore import jsonutil
from batchcore.api.deps import EngineSource
from batchcore.api.schemas import errors
from batchcore.engine import Engine
from batchcore.history import parse_since
from batchcore.ids import ID_PATTERN

TAG = "history"
Since = Annotated[
    str | None,
    Query(max_length=40, description="Start: a duration before now (7d, 24h, 2w) or an ISO date"),
]
Until = Annotated[
    str | None, Query(max_length=40, description="End (exclusive): a duration before now or a date")
]
ProjectQ = Annotated[str | None, Query(pattern=ID_PATTERN, max_length=128)]
CheckKeyPath = Annotated[
    str,
    Path(
        min_length=5,
        max_length=700,
        description="<project>/<pipeline>/<check name> (- for no project)",
        examples=["retail_migration/dim_customer_validation/not_null(customers.email)"],
    ),
]


def _json(data: Any) -> Response:
    return Response(content=jsonutil.dumps(data), media_type="application/json")


def _download(text: str, fmt: str, stem: str) -> Response:
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in stem)[:120]
    return Response(
        content=text,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )


def history_router(source: EngineSource) -> APIRouter:
    """The /checks and /pipelines/{id}/history routes (relative to the /batch mount)."""
    router = APIRouter(tags=[TAG])

    def engine() -> Engine:
        return source()

    @router.get("/checks", summary="Checks that have a history", responses=errors())
    def list_checks(
        project_id: ProjectQ = None,
        pipeline_id: ProjectQ = None,
        search: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
        eng: Engine = Depends(engine),
    ) -> Response:
        """Each check's key, latest status, runs and last run, most recently run first."""
        rows = eng.list_checks(
            project_id=project_id, pipeline_id=pipeline_id, search=search, limit=limit
        )
        return _json({"checks": rows, "total": len(rows)})

    @router.get(
        "/checks/{check_key:path}/history",
        summary="One check's history: trend, status per run, runs",
        responses={
            200: {"description": "JSON view (format=json) or every run as CSV (format=csv)"},
            **errors(404),
        },
    )
    def check_history(
        check_key: CheckKeyPath,
        since: Since = None,
        until: Until = None,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
        format: Annotated[Literal["json", "csv"], Query()] = "json",
        download: Annotated[bool, Query(description="JSON: every run, as a file")] = False,
        eng: Engine = Depends(engine),
    ) -> Response:
        """JSON: summary (all runs), trend (one point per run, or per hour/day/week beyond 1,500
        runs), a page of runs (newest first) and total_runs in the range. CSV, or JSON with
        `download=true`: every run of the range as a file."""
        s, u = parse_since(since), parse_since(until)
        if format == "csv" or download:
            text = eng.check_history_export(check_key, format, since=s, until=u)
            return _download(text, format, f"check_history_{check_key}")
        return _json(eng.check_history(check_key, since=s, until=u, limit=limit, offset=offset))

    @router.get(
        "/pipelines/{pipeline_id}/history",
        summary="A pipeline's history: latest runs × checks",
        responses={
            200: {"description": "JSON view (format=json) or one CSV row per run × check"},
            **errors(404),
        },
    )
    def pipeline_history(
        pipeline_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=128)],
        project_id: ProjectQ = None,
        since: Since = None,
        until: Until = None,
        max_runs: Annotated[int, Query(ge=1, le=5000)] = 60,
        format: Annotated[Literal["json", "csv"], Query()] = "json",
        download: Annotated[bool, Query(description="JSON as a file")] = False,
        eng: Engine = Depends(engine),
    ) -> Response:
        """runs (oldest first), checks (latest run's order, each with its key) and cells (run
        index × check: status, failed rows, pass rate); total_runs in the range."""
        kw = dict(since=parse_since(since), until=parse_since(until), max_runs=max_runs)
        if format == "csv" or download:
            text = eng.pipeline_history_export(pipeline_id, project_id, format, **kw)
            return _download(text, format, f"pipeline_history_{pipeline_id}")
        return _json(eng.pipeline_history(pipeline_id, project_id, **kw))

    @router.get(
        "/scorecard", summary="Checks passing now vs the previous period", responses=errors()
    )
    def scorecard(
        project_id: ProjectQ = None,
        days: Annotated[float, Query(gt=0, le=3660, description="Period length in days")] = 7,
        eng: Engine = Depends(engine),
    ) -> Response:
        """A check counts in a period when it ran in it, and passes when its latest run of the
        period passed; `previous` is the period of the same length before."""
        return _json(eng.quality_scorecard(project_id, period=timedelta(days=days)))

    @router.get(
        "/report",
        summary="The review report: one self-contained HTML file",
        response_class=Response,
        responses={200: {"content": {"text/html": {}}, "description": "The report"}, **errors(404)},
    )
    def report(
        job_id: Annotated[str | None, Query(max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")] = None,
        project_id: ProjectQ = None,
        since: Since = None,
        until: Until = None,
        eng: Engine = Depends(engine),
    ) -> Response:
        """Of one job (`job_id`), or of a project (or every project) over [since, until)
        (default: the last 7 days): scorecard, changes since the previous period (or run),
        anomalies, failing checks with samples and SQL, trend charts, run metadata. Charts are
        embedded (plotly.js inlined): the file opens offline and prints to PDF."""
        text = eng.review_report(
            job_id=job_id,
            project_id=project_id,
            since=parse_since(since),
            until=parse_since(until),
        )
        stem = f"review_{job_id or project_id or 'all'}"
        return Response(
            content=text,
            media_type="text/html; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}.html"'},
        )

    return router
