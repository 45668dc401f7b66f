"""Metadata snapshots over HTTP: list, one snapshot, and the diff of two (JSON, CSV or text).

The job store belongs to the server process, so these endpoints are how other processes (the
`catalog --url` CLI, scripts) browse snapshots while the app runs. A snapshot reference is an id,
a unique id prefix, or `@connection[/schema][~N]` (the newest snapshot, or the N-th before it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from batchcore.api.deps import EngineSource
from batchcore.api.schemas import errors
from batchcore.timeutil import UtcDateTime

Ref = Annotated[
    str,
    Query(min_length=1, max_length=300, description="id, id prefix or @connection[/schema][~N]"),
]


class SnapshotInfo(BaseModel):
    """A snapshot without its catalog."""

    snapshot_id: str
    job_id: str | None
    operation_id: str | None
    connection_name: str
    connection_type: str
    schema_name: str | None
    created_at: UtcDateTime
    table_count: int
    column_count: int
    duration_ms: float | None


class SnapshotListResponse(BaseModel):
    """GET /catalog/snapshots: newest first."""

    snapshots: list[SnapshotInfo]
    total: int


class SnapshotResponse(SnapshotInfo):
    """GET /catalog/snapshot: one snapshot with its catalog (tables, columns, keys, indexes)."""

    catalog: dict[str, Any]


def catalog_router(source: EngineSource) -> APIRouter:
    """The /catalog routes (relative to the /batch mount)."""
    from batchcore.metadata.diff import diff, diff_to_csv, diff_to_json, diff_to_text

    router = APIRouter(tags=["catalog"])

    @router.get(
        "/catalog/snapshots",
        response_model=SnapshotListResponse,
        responses=errors(),
        summary="List metadata snapshots (newest first)",
    )
    def snapshots(
        connection: Annotated[str | None, Query(max_length=128)] = None,
        schema: Annotated[str | None, Query(max_length=128)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    ) -> SnapshotListResponse:
        rows = (
            source()
            .snapshots()
            .list_snapshots(connection=connection, schema=schema, limit=limit, offset=offset)
        )
        return SnapshotListResponse(snapshots=[SnapshotInfo(**r) for r in rows], total=len(rows))

    @router.get(
        "/catalog/snapshot",
        response_model=SnapshotResponse,
        responses=errors(404),
        summary="One snapshot with its catalog",
    )
    def snapshot(ref: Ref) -> SnapshotResponse:
        (snap,) = source().snapshots().resolve(ref)
        return SnapshotResponse(**snap)

    @router.get(
        "/catalog/diff",
        responses={
            **errors(404),
            200: {
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                    "text/plain": {"schema": {"type": "string"}},
                }
            },
        },
        summary="What changed from snapshot a to snapshot b",
    )
    def catalog_diff(
        a: Ref,
        b: Ref,
        types: Literal["auto", "exact", "family"] = "auto",
        format: Literal["json", "csv", "text"] = "json",
    ) -> Response:
        older, newer = source().snapshots().resolve(a, b)
        d = diff(older, newer, types=types)
        if format == "csv":
            return PlainTextResponse(diff_to_csv(d), media_type="text/csv")
        if format == "text":
            return PlainTextResponse(diff_to_text(d))
        return Response(diff_to_json(d), media_type="application/json")

    return router
