"""Job endpoints: list, details, progress, operations, cancel, retry, delete, export, compare.

Unknown job → 404; cancel of a finished job, delete of an active one, retry of an active job or
of a job without failed operations → 409; an `operation_ids` entry that is not a failed
operation of the job → 422.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import Response

from batchcore.api.deps import EngineSource
from batchcore.api.schemas import (
    CancelResponse,
    DeleteResponse,
    JobDetailResponse,
    JobListResponse,
    JobStatusFilter,
    OperationsResponse,
    ProgressResponse,
    RetryResponse,
    errors,
)
from batchcore.engine import Engine
from batchcore.export import comparison_csv, job_export_csv, job_export_json
from batchcore.ids import ID_PATTERN
from batchcore.models import CancelRequest, JobType, RetryRequest
from batchcore.store.compare import JobComparison
from batchcore.store.reads import JobFilter

TAG = "jobs"
MAX_PAGE_SIZE = 500
MAX_OFFSET = 1_000_000_000

JobId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="The job id returned at creation",
        examples=["0192f3a4-5b6c-7d8e-9f01-23456789abcd"],
    ),
]

EXPORT_CONTENT = {
    "application/json": {
        "schema": {"type": "object", "description": "job, attempts, check_results"}
    },
    "text/csv": {"schema": {"type": "string", "description": "one row per operation"}},
}


def jobs_router(source: EngineSource) -> APIRouter:
    """The /jobs routes (relative to the /batch mount)."""
    router = APIRouter(tags=[TAG])

    def engine() -> Engine:
        return source()

    @router.get(
        "/jobs",
        response_model=JobListResponse,
        responses=errors(),
        summary="List jobs (newest first)",
    )
    def list_jobs(
        status: Annotated[
            list[JobStatusFilter] | None,
            Query(description="Repeat for several; `queued` = pending"),
        ] = None,
        job_type: Annotated[list[JobType] | None, Query(description="Repeat for several")] = None,
        project_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=128)] = None,
        tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
        limit: Annotated[
            int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size (default 100, max 500)")
        ] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        eng: Engine = Depends(engine),
    ) -> JobListResponse:
        """Filters combine with AND; several values of one filter combine with OR."""
        flt = JobFilter(
            status=tuple(s.value for s in status or ()),
            job_type=tuple(t.value for t in job_type or ()),
            project_id=project_id,
            tag=tag,
        )
        jobs, total = eng.list_jobs(flt, limit=limit, offset=offset)
        return JobListResponse(
            jobs=[j.model_dump(exclude={"operations"}) for j in jobs],
            total=total,
            page=offset // limit + 1,
            page_size=limit,
            offset=offset,
        )

    @router.get(
        "/jobs/{job_id}",
        response_model=JobDetailResponse,
        responses=errors(404),
        summary="Job details",
    )
    def get_job(job_id: JobId, eng: Engine = Depends(engine)) -> JobDetailResponse:
        """The job with its operations and progress."""
        view = eng.get_job(job_id)
        return JobDetailResponse(job=view.model_dump(), current_progress=view.progress)

    @router.get(
        "/jobs/{job_id}/progress",
        response_model=ProgressResponse,
        responses=errors(404),
        summary="Job progress",
    )
    def get_progress(job_id: JobId, eng: Engine = Depends(engine)) -> ProgressResponse:
        """Status and counts for pollers: stop polling when `is_terminal` is true."""
        status, progress = eng.progress(job_id)
        return ProgressResponse(
            job_id=job_id, job_status=status, is_terminal=status.is_terminal, progress=progress
        )

    @router.get(
        "/jobs/{job_id}/operations",
        response_model=OperationsResponse,
        responses=errors(404),
        summary="Operations of a job",
    )
    def get_operations(job_id: JobId, eng: Engine = Depends(engine)) -> OperationsResponse:
        """Every operation in order, with status, attempts, duration, result and error."""
        view = eng.get_job(job_id)
        ops = view.operations or []
        return OperationsResponse(
            job_id=job_id, job_status=view.status, operations=ops, total=len(ops)
        )

    @router.post(
        "/jobs/{job_id}/cancel",
        response_model=CancelResponse,
        responses=errors(404, 409),
        summary="Cancel a job",
    )
    def cancel_job(
        job_id: JobId,
        request: Annotated[CancelRequest | None, Body()] = None,
        eng: Engine = Depends(engine),
    ) -> CancelResponse:
        """Body optional. `force=false`: pending operations are skipped and running ones finish;
        `force=true`: running ones are interrupted too."""
        req = request or CancelRequest()
        return CancelResponse(**eng.cancel(job_id, req.reason, req.force))

    @router.post(
        "/jobs/{job_id}/retry",
        response_model=RetryResponse,
        responses=errors(404, 409),
        summary="Retry failed operations",
    )
    def retry_job(
        job_id: JobId,
        request: Annotated[RetryRequest | None, Body()] = None,
        eng: Engine = Depends(engine),
    ) -> RetryResponse:
        """Body optional. `operation_ids` null = every failed operation; `max_retries` replaces
        the job's automatic-retry budget for this run."""
        req = request or RetryRequest()
        return RetryResponse(**eng.retry(job_id, req.operation_ids, req.max_retries))

    @router.delete(
        "/jobs/{job_id}",
        response_model=DeleteResponse,
        responses=errors(404, 409),
        summary="Delete a job",
    )
    def delete_job(job_id: JobId, eng: Engine = Depends(engine)) -> DeleteResponse:
        """Finished jobs only (an active job answers 409: cancel it first)."""
        return DeleteResponse(**eng.delete(job_id))

    @router.get(
        "/jobs/{job_id}/export",
        response_class=Response,
        summary="Export a job as JSON or CSV",
        responses={
            200: {"content": EXPORT_CONTENT, "description": "The export file"},
            **errors(404),
        },
    )
    def export_job(
        job_id: JobId,
        format: Annotated[Literal["json", "csv"], Query()] = "json",
        eng: Engine = Depends(engine),
    ) -> Response:
        """JSON: the job with operations, attempts and check results. CSV: one row per operation
        (cells that a spreadsheet would run as formulas are prefixed with `'`)."""
        if format == "csv":
            text, media = job_export_csv(eng, job_id), "text/csv; charset=utf-8"
        else:
            text, media = job_export_json(eng, job_id), "application/json"
        return Response(
            content=text,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="job_{job_id}.{format}"'},
        )

    def _comparison_answer(cmp: JobComparison, format: str) -> JobComparison | Response:
        if format == "json":
            return cmp
        name = f"compare_{cmp.job_a.job_id}_{cmp.job_b.job_id}.csv"
        return Response(
            content=comparison_csv(cmp),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    compare_responses = {
        200: {
            "description": "The comparison (JSON), or one row per check and operation (CSV)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **errors(404),
    }

    @router.get(
        "/jobs/{job_id}/compare/previous",
        response_model=JobComparison,
        responses=compare_responses,
        summary="Compare a job with the previous run of the same pipelines",
    )
    def compare_previous(
        job_id: JobId,
        format: Annotated[Literal["json", "csv"], Query()] = "json",
        eng: Engine = Depends(engine),
    ):
        """Job A = the newest earlier finished job that ran the same pipelines (else the newest
        that ran any of them), job B = `job_id`. 404 when the job is unknown or has no previous
        run."""
        return _comparison_answer(eng.compare_with_previous(job_id), format)

    @router.get(
        "/jobs/{job_a}/compare/{job_b}",
        response_model=JobComparison,
        responses=compare_responses,
        summary="Compare two jobs' checks and operations",
    )
    def compare_jobs(
        job_a: JobId,
        job_b: JobId,
        format: Annotated[Literal["json", "csv"], Query()] = "json",
        eng: Engine = Depends(engine),
    ):
        """Job A is the reference (usually the earlier run), job B the run under review: checks
        newly failing, fixed, still failing (with both figures), new, removed, not run; and
        operations that errored. 404 names the unknown job."""
        return _comparison_answer(eng.compare_jobs(job_a, job_b), format)

    return router
