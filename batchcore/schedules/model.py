"""Schedule requests and views (API bodies, CLI, UI): strict like the job requests.

A schedule is a saved job request (`job_type` + the same `request` body as the create
endpoints) plus a 5-field cron expression in an IANA time zone, and two policies:
`catch_up` (`latest`: one run for all planned times missed while the app was down; `none`:
missed times are recorded as skipped) and `overlap` (`skip`: a planned time that comes while
the previous job still runs is recorded as skipped; `queue`: it waits for that job, at most one
waiting run).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictStr

from batchcore.models import JobName, JobStatus, JobType, Tag, _dedupe
from batchcore.timeutil import UtcDateTime


class CatchUp(StrEnum):
    """What to do with planned times missed while the scheduler was not running."""

    NONE = "none"
    LATEST = "latest"


class Overlap(StrEnum):
    """What to do with a planned time while the schedule's previous job is still active."""

    SKIP = "skip"
    QUEUE = "queue"


Cron = Annotated[StrictStr, Field(min_length=1, max_length=200, examples=["0 6 * * 1-5"])]
TimeZone = Annotated[StrictStr, Field(min_length=1, max_length=64, examples=["Europe/Berlin"])]
Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_dedupe)]
Note = Annotated[StrictStr, Field(max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScheduleCreate(_Strict):
    """POST /batch/schedules."""

    name: JobName = Field(description="Unique name, 1-200 characters")
    job_type: JobType
    request: dict[str, Any] = Field(
        description="The job's body, as the create endpoint of `job_type` takes it"
    )
    cron: Cron = Field(description="5 fields: minute hour day-of-month month day-of-week")
    timezone: TimeZone = Field("UTC", description="IANA time zone the cron reads in")
    enabled: StrictBool = True
    catch_up: CatchUp = CatchUp.LATEST
    overlap: Overlap = Overlap.SKIP
    tags: Tags = Field(default_factory=list, description="Added to every job it creates")
    owner: Note = Field("", description="Who to ask about this schedule (a note)")
    description: Annotated[StrictStr, Field(max_length=2000)] = ""


class SchedulePatch(_Strict):
    """PATCH /batch/schedules/{id}: the fields to change (all optional)."""

    name: JobName | None = None
    job_type: JobType | None = None
    request: dict[str, Any] | None = None
    cron: Cron | None = None
    timezone: TimeZone | None = None
    enabled: StrictBool | None = None
    catch_up: CatchUp | None = None
    overlap: Overlap | None = None
    tags: Tags | None = None
    owner: Note | None = None
    description: Annotated[StrictStr, Field(max_length=2000)] | None = None


class RunView(BaseModel):
    """One planned time of a schedule and what happened to it.

    `state`: queued (waiting for the previous job) | planned (job being created) | created |
    skipped (`reason` says why); `trigger`: cron | manual."""

    schedule_id: str
    planned_at: UtcDateTime
    trigger: str
    state: str
    job_id: str | None
    reason: str | None
    recorded_at: UtcDateTime
    job_status: JobStatus | None = None


class ScheduleView(BaseModel):
    """A schedule with its next planned time and its last run (with the job's status)."""

    schedule_id: str
    name: str
    job_type: JobType
    request: dict[str, Any]
    cron: str
    timezone: str
    enabled: bool
    catch_up: CatchUp
    overlap: Overlap
    tags: list[str]
    owner: str
    description: str
    created_at: UtcDateTime
    updated_at: UtcDateTime
    next_run_at: UtcDateTime | None = Field(
        None, description="Next planned time (UTC); null while paused"
    )
    last_run: RunView | None = None
    problem: str | None = Field(
        None, description="Why the last planned job could not run as saved (cleared when one does)"
    )
    problem_at: UtcDateTime | None = None


class ScheduleDetail(ScheduleView):
    """A schedule with its history (newest first)."""

    runs: list[RunView] = Field(default_factory=list)


class ScheduleRunResponse(BaseModel):
    """POST /batch/schedules/{id}/run: the job created now."""

    schedule_id: str
    job_id: str
    planned_at: UtcDateTime
    status: str = "queued"
    message: str
