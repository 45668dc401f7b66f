"""The four job-creation endpoints of the guide.

Each validates its body strictly (batchcore.models), plans the operations against the workspace
(unknown pipeline, project or connection ids → 422 naming the field), stores the job and hands it
to the executor. Answer: `{"job_id", "status": "queued", "message", "total_operations"}`.

An `Idempotency-Key` header (1-255 visible ASCII characters) makes a create safe to repeat: the
same key with the same request within 24 h answers the first job again (header
`Idempotent-Replayed: true`) and creates nothing; with another request it answers 409. While the
job store cannot write, creates answer 503 and create nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from batchcore.api.deps import EngineSource
from batchcore.api.schemas import errors
from batchcore.engine import Engine
from batchcore.models import (
    BulkDataGenRequest,
    BulkMetadataRequest,
    BulkPipelineRequest,
    JobCreateResponse,
    JobOptions,
    JobType,
    MultiProjectRequest,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7E]+$",
        description="Any unique string per logical request (a UUID): a retry with the same key "
        "and body answers the first job again instead of creating another (kept 24 h)",
    ),
]

TAG = "create jobs"

# job type → path (the CLI uses it to route `submit`)
CREATE_PATHS: dict[JobType, str] = {
    JobType.BULK_PIPELINE_EXECUTION: "/pipelines/bulk-execute",
    JobType.BATCH_DATA_GENERATION: "/data/bulk-generate",
    JobType.MULTI_PROJECT_VALIDATION: "/projects/multi-validate",
    JobType.BULK_METADATA_EXTRACTION: "/metadata/bulk-extract",
}


def create_router(source: EngineSource) -> APIRouter:
    """Routes POST /pipelines/bulk-execute, /data/bulk-generate, /projects/multi-validate,
    /metadata/bulk-extract (relative to the /batch mount)."""
    router = APIRouter(tags=[TAG])

    def engine() -> Engine:
        return source()

    def create(
        eng: Engine, job_type: JobType, request: JobOptions, key: str | None, response: Response
    ) -> JobCreateResponse:
        if key is None:
            return eng.submit(job_type, request)
        answer, replayed = eng.submit_once(job_type, request, key)
        if replayed:
            response.headers[REPLAYED_HEADER] = "true"
        return answer

    @router.post(
        CREATE_PATHS[JobType.BULK_PIPELINE_EXECUTION],
        response_model=JobCreateResponse,
        responses=errors(409),
        summary="Run many validation pipelines as one job",
    )
    def bulk_execute(
        request: BulkPipelineRequest,
        response: Response,
        idempotency_key: IdempotencyKey = None,
        eng: Engine = Depends(engine),
    ) -> JobCreateResponse:
        """One operation per pipeline, in the given order. A pipeline id without `project_id`
        must be unique in the workspace."""
        return create(eng, JobType.BULK_PIPELINE_EXECUTION, request, idempotency_key, response)

    @router.post(
        CREATE_PATHS[JobType.BATCH_DATA_GENERATION],
        response_model=JobCreateResponse,
        responses=errors(409),
        summary="Generate Retail / Finance / Healthcare star schemas",
    )
    def bulk_generate(
        request: BulkDataGenRequest,
        response: Response,
        idempotency_key: IdempotencyKey = None,
        eng: Engine = Depends(engine),
    ) -> JobCreateResponse:
        """One operation per item; `row_count` fact rows, dimensions scaled to it."""
        return create(eng, JobType.BATCH_DATA_GENERATION, request, idempotency_key, response)

    @router.post(
        CREATE_PATHS[JobType.MULTI_PROJECT_VALIDATION],
        response_model=JobCreateResponse,
        responses=errors(409),
        summary="Validate several projects in one job",
    )
    def multi_validate(
        request: MultiProjectRequest,
        response: Response,
        idempotency_key: IdempotencyKey = None,
        eng: Engine = Depends(engine),
    ) -> JobCreateResponse:
        """One operation per listed pipeline of each project (all of its pipelines when
        `pipeline_ids` is null or empty)."""
        return create(eng, JobType.MULTI_PROJECT_VALIDATION, request, idempotency_key, response)

    @router.post(
        CREATE_PATHS[JobType.BULK_METADATA_EXTRACTION],
        response_model=JobCreateResponse,
        responses=errors(409),
        summary="Extract catalog metadata from many sources",
    )
    def bulk_extract(
        request: BulkMetadataRequest,
        response: Response,
        idempotency_key: IdempotencyKey = None,
        eng: Engine = Depends(engine),
    ) -> JobCreateResponse:
        """One operation per item; a `connection_type` expands to every workspace connection of
        that type."""
        return create(eng, JobType.BULK_METADATA_EXTRACTION, request, idempotency_key, response)

    return router
