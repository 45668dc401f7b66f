"""The four job-creation endpoints of the guide.

Each validates its body strictly (batchcore.models), plans the operations against the workspace
(unknown pipeline, project or connection ids → 422 naming the field), stores the job and hands it
to the executor. Answer: `{"job_id", "status": "queued", "message", "total_operations"}`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from batchcore.api.deps import EngineSource
from batchcore.api.schemas import errors
from batchcore.engine import Engine
from batchcore.models import (
    BulkDataGenRequest,
    BulkMetadataRequest,
    BulkPipelineRequest,
    JobCreateResponse,
    JobType,
    MultiProjectRequest,
)

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

    @router.post(
        CREATE_PATHS[JobType.BULK_PIPELINE_EXECUTION],
        response_model=JobCreateResponse,
        responses=errors(),
        summary="Run many validation pipelines as one job",
    )
    def bulk_execute(
        request: BulkPipelineRequest, eng: Engine = Depends(engine)
    ) -> JobCreateResponse:
        """One operation per pipeline, in the given order. A pipeline id without `project_id`
        must be unique in the workspace."""
        return eng.submit(JobType.BULK_PIPELINE_EXECUTION, request)

    @router.post(
        CREATE_PATHS[JobType.BATCH_DATA_GENERATION],
        response_model=JobCreateResponse,
        responses=errors(),
        summary="Generate Retail / Finance / Healthcare star schemas",
    )
    def bulk_generate(
        request: BulkDataGenRequest, eng: Engine = Depends(engine)
    ) -> JobCreateResponse:
        """One operation per item; `row_count` fact rows, dimensions scaled to it."""
        return eng.submit(JobType.BATCH_DATA_GENERATION, request)

    @router.post(
        CREATE_PATHS[JobType.MULTI_PROJECT_VALIDATION],
        response_model=JobCreateResponse,
        responses=errors(),
        summary="Validate several projects in one job",
    )
    def multi_validate(
        request: MultiProjectRequest, eng: Engine = Depends(engine)
    ) -> JobCreateResponse:
        """One operation per listed pipeline of each project (all of its pipelines when
        `pipeline_ids` is null or empty)."""
        return eng.submit(JobType.MULTI_PROJECT_VALIDATION, request)

    @router.post(
        CREATE_PATHS[JobType.BULK_METADATA_EXTRACTION],
        response_model=JobCreateResponse,
        responses=errors(),
        summary="Extract catalog metadata from many sources",
    )
    def bulk_extract(
        request: BulkMetadataRequest, eng: Engine = Depends(engine)
    ) -> JobCreateResponse:
        """One operation per item; a `connection_type` expands to every workspace connection of
        that type."""
        return eng.submit(JobType.BULK_METADATA_EXTRACTION, request)

    return router
