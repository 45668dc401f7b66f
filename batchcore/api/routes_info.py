"""Read-only endpoints: health, statistics, and the workspace's projects, pipelines and
connections (ids, names and types only: never paths, URLs or secrets)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from batchcore import __version__
from batchcore.api.deps import EngineSource, engine_identity
from batchcore.api.schemas import (
    ConnectionInfo,
    ConnectionsResponse,
    HealthResponse,
    PipelineInfo,
    PipelinesResponse,
    ProjectInfo,
    ProjectsResponse,
    StatisticsResponse,
    StoreHealthInfo,
    errors,
)
from batchcore.engine import Engine
from batchcore.ids import ID_PATTERN
from batchcore.workspace import PipelineRef, Project

ProjectIdPath = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=128, description="A project folder of the workspace")
]


def health_router(source: EngineSource, *, auth_required: bool) -> APIRouter:
    """GET /health: never needs a token and never queries the job store (it reads the store's
    recorded state: failed writes and reads, writer backlog, free disk space)."""
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=HealthResponse, summary="Liveness and store health")
    def health() -> HealthResponse:
        """`ok`, or `degraded` with the reasons (store write failing, disk full, writer
        backlog, store read failed); process id, version and the identity of the engine
        serving this process. Always 200 while the process answers."""
        eng = source()
        report = eng.health()
        return HealthResponse(
            status=report.status,
            reasons=report.reasons,
            store=StoreHealthInfo(
                writable=report.writable,
                backlog=report.backlog,
                last_commit_s=report.last_commit_s,
                disk_free_bytes=report.disk_free_bytes,
            ),
            pid=os.getpid(),
            version=__version__,
            engine_id=engine_identity(eng),
            auth_required=auth_required,
        )

    return router


def _project_info(p: Project) -> ProjectInfo:
    return ProjectInfo(
        project_id=p.project_id,
        name=p.name,
        description=p.description,
        source=p.source,
        target=p.target,
        pipeline_ids=sorted(p.pipelines),
    )


def _pipelines_response(refs: Iterable[PipelineRef]) -> PipelinesResponse:
    items = [
        PipelineInfo(
            project_id=r.project_id, pipeline_id=r.pipeline_id, qualified_id=r.qualified_id
        )
        for r in refs
    ]
    return PipelinesResponse(pipelines=items, total=len(items))


def info_router(source: EngineSource) -> APIRouter:
    """GET /statistics, /projects, /projects/{project_id}/pipelines, /pipelines, /connections."""
    router = APIRouter()

    def engine() -> Engine:
        return source()

    @router.get(
        "/statistics",
        response_model=StatisticsResponse,
        responses=errors(),
        tags=["jobs"],
        summary="Job statistics",
    )
    def statistics(eng: Engine = Depends(engine)) -> StatisticsResponse:
        """Totals, status and type distributions, active jobs, the 10 most recent jobs, and per
        job type the mean duration and failure rates."""
        return StatisticsResponse(status="success", statistics=eng.statistics())

    @router.get(
        "/projects",
        response_model=ProjectsResponse,
        responses=errors(),
        tags=["workspace"],
        summary="Projects of the workspace",
    )
    def projects(eng: Engine = Depends(engine)) -> ProjectsResponse:
        """Every project with its pipeline ids."""
        items = [_project_info(p) for p in eng.workspace().projects.values()]
        return ProjectsResponse(projects=items, total=len(items))

    @router.get(
        "/projects/{project_id}/pipelines",
        response_model=PipelinesResponse,
        responses=errors(404),
        tags=["workspace"],
        summary="Pipelines of one project",
    )
    def project_pipelines(
        project_id: ProjectIdPath, eng: Engine = Depends(engine)
    ) -> PipelinesResponse:
        """The project's pipelines; 404 for an unknown project."""
        return _pipelines_response(eng.workspace().project(project_id).pipelines.values())

    @router.get(
        "/pipelines",
        response_model=PipelinesResponse,
        responses=errors(404),
        tags=["workspace"],
        summary="Pipelines of the workspace",
    )
    def pipelines(
        project_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=128)] = None,
        eng: Engine = Depends(engine),
    ) -> PipelinesResponse:
        """Every pipeline, or those of `project_id` (404 when the project is unknown)."""
        ws = eng.workspace()
        refs = (
            ws.all_pipelines()
            if project_id is None
            else list(ws.project(project_id).pipelines.values())
        )
        return _pipelines_response(refs)

    @router.get(
        "/connections",
        response_model=ConnectionsResponse,
        responses=errors(),
        tags=["workspace"],
        summary="Named connections (name and type only)",
    )
    def connections(eng: Engine = Depends(engine)) -> ConnectionsResponse:
        """Names and types of connections.yaml's entries; never paths, URLs or credentials."""
        items = [
            ConnectionInfo(name=c.name, type=c.type) for c in eng.workspace().connections.values()
        ]
        return ConnectionsResponse(connections=items, total=len(items))

    return router
