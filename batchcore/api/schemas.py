"""Response models of the REST API, so the OpenAPI schema states every answer exactly.

Request bodies are the strict models of `batchcore.models` (extra keys and wrong JSON types are
errors); these models only describe what the API sends back. Field names follow the guide.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from batchcore.models import JobStatus, JobView, OperationView, Progress


class JobStatusFilter(StrEnum):
    """Values of the `status` filter: every job status, plus `queued` (an alias of `pending`)."""

    QUEUED = "queued"
    PENDING = JobStatus.PENDING.value
    RUNNING = JobStatus.RUNNING.value
    CANCELLING = JobStatus.CANCELLING.value
    COMPLETED = JobStatus.COMPLETED.value
    PARTIAL_SUCCESS = JobStatus.PARTIAL_SUCCESS.value
    FAILED = JobStatus.FAILED.value
    CANCELLED = JobStatus.CANCELLED.value


# A job without its operations (lists, statistics): JobView's fields minus `operations`, built from
# JobView so the two never drift apart.
JobSummary = create_model(
    "JobSummary",
    __doc__="A job with its progress, without its operations (job lists and statistics).",
    **{name: (f.annotation, f) for name, f in JobView.model_fields.items() if name != "operations"},
)


class JobDetail(JobView):
    """A job with its progress and every operation."""

    operations: list[OperationView]


class ErrorDetail(BaseModel):
    """One problem: `loc` is the path of the offending input (`["body", "pipelines", 0,
    "pipeline_id"]`, `["query", "limit"]`, `["path", "job_id"]`), `msg` a plain sentence."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer: `message` is one plain sentence naming the field and value;
    `detail` lists each problem; `error` is the error's class (RequestValidationError, NotFound,
    Conflict, Unauthorized, ...); `current_status` is the job's status on a 409."""

    error: str
    message: str
    detail: list[ErrorDetail]
    current_status: str | None = None


class JobListResponse(BaseModel):
    """GET /jobs: one page of jobs, newest first. `page` = offset ÷ page_size + 1."""

    jobs: list[JobSummary]  # type: ignore[valid-type]
    total: int = Field(description="Jobs matching the filters (all pages)")
    page: int
    page_size: int
    offset: int


class JobDetailResponse(BaseModel):
    """GET /jobs/{job_id}: the job with operations and progress; `current_progress` repeats
    the progress at the top level (the guide's shape)."""

    job: JobDetail
    current_progress: Progress


class ProgressResponse(BaseModel):
    """GET /jobs/{job_id}/progress: what a poller needs. Terminal `job_status` values:
    completed, partial_success, failed, cancelled."""

    job_id: str
    job_status: JobStatus
    is_terminal: bool
    progress: Progress


class OperationsResponse(BaseModel):
    """GET /jobs/{job_id}/operations: the job's operations in order."""

    job_id: str
    job_status: JobStatus
    operations: list[OperationView]
    total: int


class CancelResponse(BaseModel):
    """POST /jobs/{job_id}/cancel. `job_status` is `cancelling` while running operations
    finish (graceful cancel), or `cancelled` when nothing was running or with force."""

    status: Literal["success"]
    message: str
    job_id: str
    job_status: JobStatus
    reason: str | None
    force: bool


class RetryResponse(BaseModel):
    """POST /jobs/{job_id}/retry: which failed operations went back to pending."""

    status: Literal["success"]
    message: str
    job_id: str
    retrying_operations: int
    operation_ids: list[str]


class DeleteResponse(BaseModel):
    """DELETE /jobs/{job_id}."""

    status: Literal["success"]
    message: str
    job_id: str


class TypeStatistics(BaseModel):
    """Per job type: jobs, mean duration (ms) of finished jobs, failure rates (0..1, null
    when nothing ended). `operation_failure_rate` = `operation_checks_failed_rate` (checks
    found bad data) + `operation_error_rate` (could not run), each of the ended operations
    (each rounded to 4 decimals on its own)."""

    jobs: int
    mean_duration_ms: float | None
    failure_rate: float | None
    operation_failure_rate: float | None
    operation_checks_failed_rate: float | None
    operation_error_rate: float | None


class Statistics(BaseModel):
    """The guide's statistics (plus `by_job_type`)."""

    total_jobs: int
    status_distribution: dict[str, int]
    type_distribution: dict[str, int]
    active_jobs: int
    recent_jobs: list[JobSummary]  # type: ignore[valid-type]
    by_job_type: dict[str, TypeStatistics]


class StatisticsResponse(BaseModel):
    """GET /statistics."""

    status: Literal["success"]
    statistics: Statistics


class StoreHealthInfo(BaseModel):
    """The job store's state: `writable` false while its writes fail (creates answer 503);
    `backlog` changes queued for its writer; `last_commit_s` seconds since its last commit
    (null before the first); `disk_free_bytes` free on its disk (null when unknown)."""

    writable: bool
    backlog: int
    last_commit_s: float | None
    disk_free_bytes: int | None


class HealthResponse(BaseModel):
    """GET /health: `status` "ok", or "degraded" with one sentence per problem in `reasons`
    (store write failing, disk full, writer backlog, store read failed). Answered without
    querying the job store. `engine_id` identifies the engine instance serving this process
    (the UI shows the same one when mounted in Streamlit)."""

    status: Literal["ok", "degraded"]
    reasons: list[str]
    store: StoreHealthInfo
    pid: int
    version: str
    engine_id: str
    auth_required: bool


class ProjectInfo(BaseModel):
    """A workspace project: ids and names only (connections by name)."""

    project_id: str
    name: str
    description: str
    source: str | None
    target: str | None
    pipeline_ids: list[str]


class ProjectsResponse(BaseModel):
    """GET /projects."""

    projects: list[ProjectInfo]
    total: int


class PipelineInfo(BaseModel):
    """A pipeline of the workspace: `qualified_id` is `project_id/pipeline_id`."""

    project_id: str
    pipeline_id: str
    qualified_id: str


class PipelinesResponse(BaseModel):
    """GET /pipelines and GET /projects/{project_id}/pipelines."""

    pipelines: list[PipelineInfo]
    total: int


class ConnectionInfo(BaseModel):
    """A named connection: name and type only (never paths, URLs or secrets)."""

    name: str
    type: str


class ConnectionsResponse(BaseModel):
    """GET /connections."""

    connections: list[ConnectionInfo]
    total: int


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorResponse,
        "description": "BATCH_API_TOKEN is set and the bearer token is missing or wrong",
    },
    404: {"model": ErrorResponse, "description": "Unknown job (or project)"},
    409: {
        "model": ErrorResponse,
        "description": "The job is in the wrong state for this action, or an Idempotency-Key "
        "was already used with another request",
    },
    422: {
        "model": ErrorResponse,
        "description": "Bad body, query or path value: `message` names the field",
    },
    503: {
        "model": ErrorResponse,
        "description": "The job store cannot take the change now (write failing, disk full): "
        "nothing was changed; retry when GET /health says ok",
    },
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries for the given error codes (401, 422 and 503 are always added:
    any route may meet a job store that cannot write or read)."""
    wanted = {401, 422, 503, *codes}
    return {c: ERROR_RESPONSES[c] for c in sorted(wanted)}
