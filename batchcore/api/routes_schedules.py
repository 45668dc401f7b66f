"""Schedule and notification endpoints.

`GET/POST /schedules`, `GET/PATCH/DELETE /schedules/{id}`, `POST /schedules/{id}/run`;
`GET /notifications` (channels and rules, no secrets), `POST /notifications/channels/{name}/test`,
`GET /notifications/deliveries` and `GET /jobs/{job_id}/notifications` (every delivery attempt).
An invalid cron expression, time zone or saved request is a 422 naming the field (`cron`,
`timezone`, `request.pipelines.0.pipeline_id`); unknown id 404; a name taken 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from batchcore.api.deps import EngineSource
from batchcore.api.routes_jobs import JobId
from batchcore.api.schemas import errors
from batchcore.engine import Engine
from batchcore.schedules.model import (
    ScheduleCreate,
    ScheduleDetail,
    SchedulePatch,
    ScheduleRunResponse,
    ScheduleView,
)

ScheduleId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", examples=["sch-1a2b3c4d"])
]
ChannelName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class ScheduleListResponse(BaseModel):
    """GET /schedules: every schedule by name."""

    schedules: list[ScheduleView]
    total: int


class ScheduleDeleteResponse(BaseModel):
    status: str
    message: str
    schedule_id: str


class ChannelView(BaseModel):
    """A channel without secrets: `target` shows a `${VAR}` as written, a URL's host only."""

    name: str
    type: str
    target: str


class NotificationSettings(BaseModel):
    """The workspace's notifications.yaml; `problem` says why it cannot be read (then nothing
    is sent)."""

    channels: list[ChannelView]
    rules: list[dict[str, Any]]
    delivery: dict[str, Any] | None
    problem: str | None


class DeliveryTry(BaseModel):
    attempt: int
    started_at: Any
    finished_at: Any
    duration_ms: float | None
    outcome: str
    error: str | None


class DeliveryView(BaseModel):
    """One message to one channel: `status` pending | sent | failed, with every try."""

    delivery_id: str
    job_id: str | None
    channel: str
    channel_type: str
    event: str
    rules: list[str]
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: Any
    created_at: Any
    done_at: Any
    last_error: str | None
    message: dict[str, Any]
    tries: list[DeliveryTry]


class DeliveriesResponse(BaseModel):
    deliveries: list[DeliveryView]
    total: int


class TestMessageResponse(BaseModel):
    """The outcome of one test message (recorded like any delivery)."""

    delivery_id: str
    channel: str
    status: str
    outcome: str | None
    error: str | None
    attempt: int


def schedules_router(source: EngineSource) -> APIRouter:
    """The /schedules and /notifications routes (relative to the /batch mount)."""
    router = APIRouter()

    def engine() -> Engine:
        return source()

    @router.get(
        "/schedules",
        response_model=ScheduleListResponse,
        tags=["schedules"],
        summary="List schedules",
    )
    def list_schedules(eng: Engine = Depends(engine)) -> ScheduleListResponse:
        """Each with its next planned time (UTC) and its last run with the job's status."""
        items = eng.list_schedules()
        return ScheduleListResponse(schedules=items, total=len(items))

    @router.post(
        "/schedules",
        response_model=ScheduleView,
        status_code=201,
        responses=errors(409),
        tags=["schedules"],
        summary="Create a schedule",
    )
    def create_schedule(body: ScheduleCreate, eng: Engine = Depends(engine)) -> ScheduleView:
        """`request` is the body of the create endpoint of `job_type`; it is checked against the
        workspace now. `cron` has 5 fields and reads in `timezone` (IANA)."""
        return eng.create_schedule(body)

    @router.get(
        "/schedules/{schedule_id}",
        response_model=ScheduleDetail,
        responses=errors(404),
        tags=["schedules"],
        summary="A schedule with its history",
    )
    def get_schedule(
        schedule_id: ScheduleId,
        runs: Annotated[int, Query(ge=0, le=1000, description="Runs of its history")] = 50,
        eng: Engine = Depends(engine),
    ) -> ScheduleDetail:
        """Runs newest first: planned time, cron or manual, state, job and its status."""
        return eng.get_schedule(schedule_id, runs=runs)

    @router.patch(
        "/schedules/{schedule_id}",
        response_model=ScheduleView,
        responses=errors(404, 409),
        tags=["schedules"],
        summary="Change, pause or resume a schedule",
    )
    def patch_schedule(
        schedule_id: ScheduleId, body: SchedulePatch, eng: Engine = Depends(engine)
    ) -> ScheduleView:
        """Only the given fields change. `enabled: false` pauses; `true` resumes from the next
        planned time after now (paused times are not caught up)."""
        return eng.update_schedule(schedule_id, body)

    @router.delete(
        "/schedules/{schedule_id}",
        response_model=ScheduleDeleteResponse,
        responses=errors(404),
        tags=["schedules"],
        summary="Delete a schedule",
    )
    def delete_schedule(
        schedule_id: ScheduleId, eng: Engine = Depends(engine)
    ) -> ScheduleDeleteResponse:
        """The jobs it created stay."""
        return ScheduleDeleteResponse(**eng.delete_schedule(schedule_id))

    @router.post(
        "/schedules/{schedule_id}/run",
        response_model=ScheduleRunResponse,
        responses=errors(404),
        tags=["schedules"],
        summary="Run a schedule now",
    )
    def run_schedule(schedule_id: ScheduleId, eng: Engine = Depends(engine)) -> ScheduleRunResponse:
        """Creates its job now, even while paused or while its last job still runs."""
        return eng.run_schedule(schedule_id)

    @router.get(
        "/notifications",
        response_model=NotificationSettings,
        tags=["notifications"],
        summary="Notification channels and rules",
    )
    def notification_settings(eng: Engine = Depends(engine)) -> NotificationSettings:
        """From the workspace's notifications.yaml, without secrets."""
        return NotificationSettings(**eng.notification_settings())

    @router.post(
        "/notifications/channels/{channel}/test",
        response_model=TestMessageResponse,
        responses=errors(404),
        tags=["notifications"],
        summary="Send a test message",
    )
    def test_channel(channel: ChannelName, eng: Engine = Depends(engine)) -> TestMessageResponse:
        """One try, answered when it is done (`status` sent or failed, with the error)."""
        return TestMessageResponse(**eng.send_test_message(channel))

    @router.get(
        "/notifications/deliveries",
        response_model=DeliveriesResponse,
        tags=["notifications"],
        summary="Latest deliveries",
    )
    def deliveries(
        limit: Annotated[int, Query(ge=1, le=500)] = 100, eng: Engine = Depends(engine)
    ) -> DeliveriesResponse:
        """Newest first, each with every try."""
        items = eng.notification_deliveries(limit=limit)
        return DeliveriesResponse(deliveries=items, total=len(items))

    @router.get(
        "/jobs/{job_id}/notifications",
        response_model=DeliveriesResponse,
        responses=errors(404),
        tags=["notifications"],
        summary="Notifications of a job",
    )
    def job_deliveries(job_id: JobId, eng: Engine = Depends(engine)) -> DeliveriesResponse:
        """Every message sent about the job, with every try (when, outcome, error)."""
        eng.get_job(job_id, with_operations=False)  # 404 for an unknown job
        items = eng.notification_deliveries(job_id)
        return DeliveriesResponse(deliveries=items, total=len(items))

    return router
