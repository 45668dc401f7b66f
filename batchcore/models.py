"""Enums and pydantic models with the guide's field names (requests, views, responses).

Requests are validated strictly: unknown keys are errors (`extra="forbid"`), numbers and
booleans must be JSON numbers and booleans (no "5" for 5), ids follow `batchcore.ids`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from batchcore.datagen.defects import DefectSpec, check_against_schema
from batchcore.ids import check_id
from batchcore.textutil import json_kind, short_value
from batchcore.timeutil import UtcDateTime


class JobType(StrEnum):
    """The four job types of the guide."""

    BULK_PIPELINE_EXECUTION = "bulk_pipeline_execution"
    BATCH_DATA_GENERATION = "batch_data_generation"
    MULTI_PROJECT_VALIDATION = "multi_project_validation"
    BULK_METADATA_EXTRACTION = "bulk_metadata_extraction"


class JobStatus(StrEnum):
    """Job lifecycle (DESIGN §4). `queued` is accepted as an alias of `pending` in filters."""

    PENDING = "pending"
    RUNNING = "running"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    PARTIAL_SUCCESS = "partial_success"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_JOB_STATUSES

    @classmethod
    def parse(cls, value: str) -> JobStatus:
        """Parse a status name, accepting `queued` for `pending`. Raises ValueError."""
        v = str(value).strip().lower()
        if v == "queued":
            return cls.PENDING
        return cls(v)


TERMINAL_JOB_STATUSES = frozenset(
    {JobStatus.COMPLETED, JobStatus.PARTIAL_SUCCESS, JobStatus.FAILED, JobStatus.CANCELLED}
)
ACTIVE_JOB_STATUSES = frozenset({JobStatus.PENDING, JobStatus.RUNNING, JobStatus.CANCELLING})


class OperationStatus(StrEnum):
    """Operation lifecycle (DESIGN §4)."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_OPERATION_STATUSES


TERMINAL_OPERATION_STATUSES = frozenset(
    {
        OperationStatus.COMPLETED,
        OperationStatus.FAILED,
        OperationStatus.SKIPPED,
        OperationStatus.CANCELLED,
    }
)


class FailureKind(StrEnum):
    """Why an operation (or attempt) ended `failed` (DESIGN §12); the rule that picks it lives in
    `batchcore.outcome`."""

    CHECKS_FAILED = "checks_failed"  # it ran, and its checks found bad data
    ERROR = "error"  # it could not run, so its verdict is unknown


class AttemptStatus(StrEnum):
    """How one execution of an operation ended."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"  # the operation ran and its result is a failure (e.g. checks failed)
    ERROR = "error"  # the handler raised
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"  # force cancel
    INTERRUPTED = "interrupted"  # the process died while it ran (found at recovery)


class OperationKind(StrEnum):
    """What an operation does; one handler per kind in `batchcore.operations`."""

    PIPELINE_EXECUTION = "pipeline_execution"
    DATA_GENERATION = "data_generation"
    METADATA_EXTRACTION = "metadata_extraction"
    NOOP = "noop"  # test and benchmark operation: sleeps `sleep_ms`, optionally fails


# ---------------------------------------------------------------- field types

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _strip_nonempty(v: str) -> str:
    s = v.strip()
    if not s:
        raise ValueError("must not be empty")
    bad = _CONTROL.search(s)
    if bad:
        raise ValueError(
            f"must not contain control or text-direction characters (found U+{ord(bad.group()):04X})"
        )
    return s


Id = Annotated[StrictStr, AfterValidator(check_id)]
JOB_NAME_MAX = 200  # characters of a job name
DESCRIPTION_MAX = 2000  # characters of a job description
JobName = Annotated[
    StrictStr, Field(min_length=1, max_length=JOB_NAME_MAX), AfterValidator(_strip_nonempty)
]
Tag = Annotated[StrictStr, Field(min_length=1, max_length=50), AfterValidator(_strip_nonempty)]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_between(lo: float, hi: float) -> BeforeValidator:
    """A JSON number in [lo, hi], else one plain error for wrong type and range alike:
    `must be a number between 0 and 1, got '0.5' (a string)` (no `float`/`int` branch names)."""

    def check(value: Any) -> Any:
        if _is_number(value) and lo <= value <= hi:
            return value
        got = short_value(value) + ("" if _is_number(value) else f" ({json_kind(value)})")
        raise PydanticCustomError(
            "number_range",
            "must be a number between {lo} and {hi}, got {got}",
            {"lo": lo, "hi": hi, "got": got},
        )

    return BeforeValidator(check)


# StrictFloat takes JSON integers too (1 → 1.0) but not "1" or true; one type, not a float | int
# union, so the schema reads {"type": "number", "minimum": 0, "maximum": 1}
Fraction = Annotated[StrictFloat, Field(ge=0, le=1), number_between(0, 1)]


def _dedupe(values: list[str]) -> list[str]:
    """The values without repeats, in their first order (`["a", "b", "a"]` → `["a", "b"]`)."""
    return list(dict.fromkeys(values))


def _schema_type(v: Any) -> Any:
    if isinstance(v, str):
        for name in ("Retail", "Finance", "Healthcare"):
            if v.strip().lower() == name.lower():
                return name
    return v


SchemaType = Annotated[Literal["Retail", "Finance", "Healthcare"], BeforeValidator(_schema_type)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- requests


class JobOptions(_Strict):
    """Fields shared by the four job requests."""

    job_name: JobName = Field(description="Readable job name, 1-200 characters")
    description: Annotated[StrictStr, Field(max_length=DESCRIPTION_MAX)] = ""
    parallel_execution: StrictBool = Field(
        True, description="false: one operation at a time in the given order"
    )
    max_parallel: Annotated[StrictInt, Field(ge=1, le=10)] = Field(
        5, description="Operations of this job running at once (1-10)"
    )
    stop_on_error: StrictBool = Field(
        False, description="Skip pending operations after the first one fails for good"
    )
    project_id: Id | None = None
    tags: Annotated[list[Tag], Field(max_length=20), AfterValidator(_dedupe)] = Field(
        default_factory=list,
        description="Labels for filtering; repeats are dropped (first order kept)",
    )
    max_retries: Annotated[StrictInt, Field(ge=0, le=10)] = Field(
        0, description="Automatic retries of an operation that raised an error"
    )
    timeout_s: Annotated[StrictFloat, Field(gt=0, le=86400)] | None = Field(
        None, description="Per-operation time limit in seconds"
    )


class ConfigOverride(_Strict):
    """Pipeline settings a job may override (DESIGN §7). `source` / `target` name workspace
    connections (checked when the job is submitted)."""

    CONNECTION_FIELDS: ClassVar[tuple[str, ...]] = ("source", "target")
    threshold: Fraction | None = Field(
        None, description="Pass-rate threshold, a number from 0 to 1"
    )
    sample_size: Annotated[StrictInt, Field(ge=0, le=1000)] | None = None
    source: Id | None = None
    target: Id | None = None


class PipelineItem(_Strict):
    """One pipeline of a bulk execution; `project_id` may be omitted when the id is unique."""

    pipeline_id: Id
    project_id: Id | None = None
    pipeline_name: Annotated[StrictStr, Field(max_length=200)] | None = None
    config_override: ConfigOverride | None = None


class BulkPipelineRequest(JobOptions):
    """POST /batch/pipelines/bulk-execute."""

    pipelines: Annotated[list[PipelineItem], Field(min_length=1, max_length=10000)]


class DataGenItem(_Strict):
    """One generation run: a star schema with `row_count` fact rows (dimensions scale with it)."""

    schema_type: SchemaType
    row_count: Annotated[StrictInt, Field(ge=1, le=200_000_000)] = 10_000
    seed: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)] | None = None
    target_connection: Id | None = None
    table_name: Annotated[StrictStr, Field(max_length=128)] | None = None
    defects: Annotated[DefectSpec, AfterValidator(check_against_schema)] | None = None
    replace_existing: StrictBool = Field(
        False,
        description="Replace tables of the same names that data generation did not write "
        "(refused without it)",
    )


class BulkDataGenRequest(JobOptions):
    """POST /batch/data/bulk-generate."""

    items: Annotated[list[DataGenItem], Field(min_length=1, max_length=100)]


class ProjectItem(_Strict):
    """One project of a multi-project validation; `pipeline_ids` null or [] means all of them."""

    project_id: Id
    pipeline_ids: Annotated[list[Id], Field(max_length=10000)] | None = None
    config_override: ConfigOverride | None = None


class MultiProjectRequest(JobOptions):
    """POST /batch/projects/multi-validate."""

    projects: Annotated[list[ProjectItem], Field(min_length=1, max_length=1000)]


class MetadataItem(_Strict):
    """One extraction: a workspace connection by name, or every connection of a `connection_type`
    (exactly one of the two)."""

    connection_name: Id | None = None
    connection_type: (
        Literal["duckdb", "sqlite", "postgres", "mysql", "sqlserver", "snowflake"] | None
    ) = None
    schema_name: Annotated[StrictStr, Field(min_length=1, max_length=128)] | None = None
    table_names: (
        Annotated[
            list[Annotated[StrictStr, Field(min_length=1, max_length=128)]], Field(max_length=10000)
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _one_source(self) -> MetadataItem:
        if not self.connection_name and not self.connection_type:
            raise ValueError("give connection_name or connection_type")
        if self.connection_name and self.connection_type:
            raise ValueError(
                "give connection_name or connection_type, not both (a name already has its type)"
            )
        return self


class BulkMetadataRequest(JobOptions):
    """POST /batch/metadata/bulk-extract."""

    items: Annotated[list[MetadataItem], Field(min_length=1, max_length=1000)]


REQUEST_MODELS: dict[JobType, type[JobOptions]] = {
    JobType.BULK_PIPELINE_EXECUTION: BulkPipelineRequest,
    JobType.BATCH_DATA_GENERATION: BulkDataGenRequest,
    JobType.MULTI_PROJECT_VALIDATION: MultiProjectRequest,
    JobType.BULK_METADATA_EXTRACTION: BulkMetadataRequest,
}


class CancelRequest(_Strict):
    """POST /batch/jobs/{id}/cancel. `force` interrupts running operations."""

    reason: Annotated[StrictStr, Field(max_length=500)] | None = None
    force: StrictBool = False


class RetryRequest(_Strict):
    """POST /batch/jobs/{id}/retry. `operation_ids` null = every failed operation."""

    operation_ids: (
        Annotated[
            list[Annotated[StrictStr, Field(max_length=300)]], Field(min_length=1, max_length=10000)
        ]
        | None
    ) = Field(
        None,
        description="Failed operations to retry; null = every failed operation (an empty list is an error)",
    )
    max_retries: Annotated[StrictInt, Field(ge=0, le=10)] | None = None


# ---------------------------------------------------------------- views


class Progress(BaseModel):
    """Progress of a job, derived from its operation rows (never from separate counters).

    `percent_complete` = finished ÷ total × 100, floored to 2 decimals so it reads 100 only when
    every operation finished (finished = completed + failed + skipped + cancelled); `estimated_time_remaining_ms` is null until one operation finished, then
    mean finished duration × (pending + running) ÷ effective parallelism.
    `failed_operations` = `checks_failed_operations` (their checks found bad data) +
    `error_operations` (they could not run): `failure_kind` of each failed operation.
    """

    total_operations: int
    completed_operations: int
    failed_operations: int
    checks_failed_operations: int = 0
    error_operations: int = 0
    skipped_operations: int
    cancelled_operations: int
    running_operations: int
    pending_operations: int
    percent_complete: float
    estimated_time_remaining_ms: int | None
    current_operations: list[str] = Field(default_factory=list)
    # connections that running operations of the job wait for (connections.yaml max_concurrent)
    waiting_for_connections: list[str] = Field(default_factory=list)


class OperationView(BaseModel):
    """One operation as stored; `metadata` is its spec (pipeline id, schema type, ...).
    `failure_kind` is set exactly when `status` is `failed` (DESIGN §12): `checks_failed` or
    `error`."""

    operation_id: str
    operation_type: OperationKind
    seq: int
    status: OperationStatus
    failure_kind: FailureKind | None = None
    attempts: int
    max_attempts: int
    started_at: UtcDateTime | None
    completed_at: UtcDateTime | None
    duration_ms: float | None
    next_attempt_at: UtcDateTime | None = None
    status_reason: str | None = None
    progress_message: str | None = None
    summary: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class JobView(BaseModel):
    """A job with its progress and, when asked for, its operations."""

    job_id: str
    job_type: JobType
    status: JobStatus
    name: str
    description: str
    project_id: str | None
    tags: list[str]
    parallel_execution: bool
    max_parallel: int
    stop_on_error: bool
    max_retries: int
    timeout_s: float | None
    created_at: UtcDateTime
    started_at: UtcDateTime | None
    completed_at: UtcDateTime | None
    duration_ms: float | None
    cancel_requested_at: UtcDateTime | None = None
    cancel_reason: str | None = None
    progress: Progress
    operations: list[OperationView] | None = None


class JobCreateResponse(BaseModel):
    """Answer of the four creation endpoints (guide): status is always "queued"."""

    job_id: str
    status: Literal["queued"] = "queued"
    message: str
    total_operations: int
