"""Turn a job request into its operations: ids, kinds and specs (checked against the workspace).

Operation ids are stable and readable (DESIGN §4): `pipeline_0_flights_validation`,
`generate_1_finance`, `project_0_nycflights_migration_flights_validation`,
`extract_2_warehouse_main`. Errors name the request field, e.g. `pipelines.1.pipeline_id`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchcore.datagen.ownership import SHIPPED_TARGET, generation_refusal
from batchcore.errors import BatchError, RequestError
from batchcore.ids import slug
from batchcore.models import (
    BulkDataGenRequest,
    BulkMetadataRequest,
    BulkPipelineRequest,
    ConfigOverride,
    JobOptions,
    JobType,
    MultiProjectRequest,
    OperationKind,
)
from batchcore.textutil import did_you_mean
from batchcore.workspace import Workspace


@dataclass
class OpPlan:
    """One operation to create: id, kind and the spec its handler receives."""

    operation_id: str
    kind: str
    spec: dict[str, Any]


@dataclass
class JobPlan:
    """Everything needed to create a job: its operations, project and the creation message."""

    job_type: JobType
    operations: list[OpPlan]
    project_id: str | None
    message: str
    extra: dict[str, Any] = field(default_factory=dict)


def _n(count: int, noun: str) -> str:
    """`1 pipeline`, `2 pipelines`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _reraise(exc: BatchError, field_path: str) -> RequestError:
    return RequestError(exc.message, field=field_path, value=exc.value)


def unknown_connection(name: str, ws: Workspace, field_path: str) -> RequestError:
    """The 422 for a connection name the workspace lacks, listing the known ones."""
    return RequestError(
        f"connection {name!r} is not in the workspace (known: {sorted(ws.connections)})",
        field=field_path,
        value=name,
    )


def _override(override: ConfigOverride | None, ws: Workspace, field_path: str) -> dict[str, Any]:
    """The override as stored in an operation spec, after checking that the connections it names
    exist (a typo must fail at submit, not when the operation runs)."""
    if override is None:
        return {}
    for key in ConfigOverride.CONNECTION_FIELDS:
        name = getattr(override, key)
        if name is not None and name not in ws.connections:
            raise unknown_connection(name, ws, f"{field_path}.{key}")
    return override.model_dump(exclude_none=True)


def _pipeline_ops(op_id: str, spec: dict, ref, ws: Workspace) -> list[OpPlan]:
    """The operations of one pipeline: one, or — when checks declare `partition_by` — one for
    its other checks (if any) and one per partition of each partitioned check
    (batchcore.validation.partition). A pipeline that does not load plans one operation (its
    error is then the operation's, as for any pipeline)."""
    kind = OperationKind.PIPELINE_EXECUTION.value
    try:
        from batchcore.validation import load_pipeline
        from batchcore.validation.partition import partitioned_checks

        pipeline = load_pipeline(ref, ws)
        split = partitioned_checks(pipeline)
    except Exception:
        return [OpPlan(op_id, kind, spec)]
    if not split:
        return [OpPlan(op_id, kind, spec)]
    ops = []
    if len(split) < len(pipeline.checks):
        ops.append(OpPlan(op_id, kind, {**spec, "skip_partitioned": True}))
    for c in split:
        n = pipeline.checks[c].partition_by.count
        for k in range(n):
            ops.append(
                OpPlan(
                    f"{op_id}_c{c}_p{k}",
                    kind,
                    {**spec, "partition": {"check": c, "index": k, "count": n}},
                )
            )
    return ops


def plan_bulk_pipeline(req: BulkPipelineRequest, ws: Workspace) -> JobPlan:
    """One `pipeline_execution` operation per listed pipeline, in the given order."""
    ops: list[OpPlan] = []
    if req.project_id is not None and req.project_id not in ws.projects:
        raise RequestError(
            f"project {req.project_id!r} not found (known: {sorted(ws.projects)})",
            field="project_id",
            value=req.project_id,
        )
    projects = set()
    listed: dict[tuple[str, str], int] = {}
    for i, item in enumerate(req.pipelines):
        try:
            ref = ws.resolve_pipeline(
                item.pipeline_id,
                item.project_id or req.project_id,
                field=f"pipelines.{i}.pipeline_id",
            )
        except BatchError as exc:
            raise _reraise(exc, f"pipelines.{i}.pipeline_id") from None
        where = (ref.project_id, ref.pipeline_id)
        if where in listed:  # as multi-project validation: each pipeline once per job
            raise RequestError(
                f"pipeline {ref.pipeline_id!r} of project {ref.project_id!r} is listed twice "
                f"(pipelines.{listed[where]} and pipelines.{i}): list each pipeline once",
                field=f"pipelines.{i}.pipeline_id",
                value=item.pipeline_id,
            )
        listed[where] = i
        projects.add(ref.project_id)
        spec = {
            "project_id": ref.project_id,
            "pipeline_id": ref.pipeline_id,
            "pipeline_name": item.pipeline_name or ref.pipeline_id,
            "config_override": _override(
                item.config_override, ws, f"pipelines.{i}.config_override"
            ),
        }
        ops.extend(_pipeline_ops(f"pipeline_{i}_{slug(ref.pipeline_id)}", spec, ref, ws))
    project = req.project_id or (next(iter(projects)) if len(projects) == 1 else None)
    return JobPlan(
        JobType.BULK_PIPELINE_EXECUTION,
        ops,
        project,
        f"Batch pipeline execution job created with {_n(len(req.pipelines), 'pipeline')}"
        + (f" ({_n(len(ops), 'operation')})" if len(ops) != len(req.pipelines) else ""),
    )


def plan_multi_project(req: MultiProjectRequest, ws: Workspace) -> JobPlan:
    """One `pipeline_execution` operation per pipeline of each listed project (all when none listed)."""
    ops: list[OpPlan] = []
    first_index: dict[str, int] = {}
    for pi, item in enumerate(req.projects):
        if item.project_id in first_index:
            raise RequestError(
                f"project {item.project_id!r} is listed twice (projects.{first_index[item.project_id]} "
                f"and projects.{pi}): list it once, with every pipeline_id to run",
                field=f"projects.{pi}.project_id",
                value=item.project_id,
            )
        first_index[item.project_id] = pi
        if item.project_id not in ws.projects:
            raise RequestError(
                f"project {item.project_id!r} not found (known: {sorted(ws.projects)})",
                field=f"projects.{pi}.project_id",
                value=item.project_id,
            )
        proj = ws.projects[item.project_id]
        ids = item.pipeline_ids or sorted(proj.pipelines)
        if not ids:
            raise RequestError(
                f"project {item.project_id!r} has no pipelines",
                field=f"projects.{pi}.pipeline_ids",
                value=item.project_id,
            )
        override = _override(item.config_override, ws, f"projects.{pi}.config_override")
        seen: dict[str, int] = {}
        for k, pid in enumerate(ids):
            if pid in seen:
                raise RequestError(
                    f"pipeline {pid!r} is listed twice in project {item.project_id!r} "
                    f"(pipeline_ids.{seen[pid]} and pipeline_ids.{k})",
                    field=f"projects.{pi}.pipeline_ids.{k}",
                    value=pid,
                )
            seen[pid] = k
            if pid not in proj.pipelines:
                raise RequestError(
                    f"pipeline {pid!r} not found in project {item.project_id!r}"
                    f"{did_you_mean(pid, sorted(proj.pipelines))} (known: {sorted(proj.pipelines)})",
                    field=f"projects.{pi}.pipeline_ids.{k}",
                    value=pid,
                )
            ops.append(
                OpPlan(
                    f"project_{len(ops)}_{slug(item.project_id)}_{slug(pid)}",
                    OperationKind.PIPELINE_EXECUTION.value,
                    {
                        "project_id": item.project_id,
                        "pipeline_id": pid,
                        "pipeline_name": pid,
                        "config_override": override,
                    },
                )
            )
    n = len(req.projects)
    return JobPlan(
        JobType.MULTI_PROJECT_VALIDATION,
        ops,
        req.project_id,
        f"Multi-project validation job created with {_n(n, 'project')} ({_n(len(ops), 'pipeline')})",
    )


GENERATION_TARGET_TYPES = ("duckdb", "sqlite", "postgres", "mysql")


def plan_data_generation(req: BulkDataGenRequest, ws: Workspace) -> JobPlan:
    """One `data_generation` operation per item. A target the permission rule forbids
    (batchcore.datagen.ownership: readonly, or not `generated` without allow_generate) is a 422."""
    ops: list[OpPlan] = []
    for i, item in enumerate(req.items):
        if item.target_connection is not None:
            if item.target_connection not in ws.connections:
                raise unknown_connection(item.target_connection, ws, f"items.{i}.target_connection")
            ctype = ws.connections[item.target_connection].type
            if ctype not in GENERATION_TARGET_TYPES:
                raise RequestError(
                    f"connection {item.target_connection!r} is {ctype}: data generation writes to "
                    f"{', '.join(GENERATION_TARGET_TYPES)} connections",
                    field=f"items.{i}.target_connection",
                    value=item.target_connection,
                )
        target = ws.connections.get(item.target_connection or SHIPPED_TARGET)
        if target is not None and generation_refusal(target):
            raise RequestError(
                generation_refusal(target),
                field=f"items.{i}.target_connection",
                value=target.name,
            )
        if item.table_name is not None:
            from batchcore.datagen.generator import select_tables
            from batchcore.datagen.schemas import get_schema

            schema = get_schema(item.schema_type)
            try:
                select_tables(schema, schema.tables(1000, 0), item.table_name)
            except BatchError as exc:
                raise _reraise(exc, f"items.{i}.table_name") from None
        ops.append(
            OpPlan(
                f"generate_{i}_{item.schema_type.lower()}",
                OperationKind.DATA_GENERATION.value,
                item.model_dump(mode="json"),
            )
        )
    return JobPlan(
        JobType.BATCH_DATA_GENERATION,
        ops,
        req.project_id,
        f"Batch data generation job created with {_n(len(ops), 'item')}",
    )


def plan_metadata(req: BulkMetadataRequest, ws: Workspace) -> JobPlan:
    """One `metadata_extraction` operation per item; a `connection_type` expands to every
    workspace connection of that type."""
    ops: list[OpPlan] = []
    for i, item in enumerate(req.items):
        if item.connection_name is not None:
            if item.connection_name not in ws.connections:
                raise unknown_connection(item.connection_name, ws, f"items.{i}.connection_name")
            names = [item.connection_name]
        else:
            names = sorted(n for n, c in ws.connections.items() if c.type == item.connection_type)
            if not names:
                raise RequestError(
                    f"the workspace has no {item.connection_type} connection "
                    f"(types present: {sorted({c.type for c in ws.connections.values()})})",
                    field=f"items.{i}.connection_type",
                    value=item.connection_type,
                )
        for name in names:
            ctype = ws.connections[name].type
            schema = item.schema_name or "default"
            ops.append(
                OpPlan(
                    f"extract_{len(ops)}_{slug(name)}_{slug(schema)}",
                    OperationKind.METADATA_EXTRACTION.value,
                    {
                        "connection_name": name,
                        "connection_type": ctype,
                        "schema_name": item.schema_name,
                        "table_names": item.table_names,
                    },
                )
            )
    return JobPlan(
        JobType.BULK_METADATA_EXTRACTION,
        ops,
        req.project_id,
        f"Bulk metadata extraction job created with {_n(len(ops), 'source')}",
    )


PLANNERS = {
    JobType.BULK_PIPELINE_EXECUTION: plan_bulk_pipeline,
    JobType.MULTI_PROJECT_VALIDATION: plan_multi_project,
    JobType.BATCH_DATA_GENERATION: plan_data_generation,
    JobType.BULK_METADATA_EXTRACTION: plan_metadata,
}


def plan_job(job_type: JobType, req: JobOptions, ws: Workspace) -> JobPlan:
    """Plan any job type. Raises RequestError naming the field for ids the workspace lacks."""
    return PLANNERS[JobType(job_type)](req, ws)


def operation_title(kind: str, spec: dict[str, Any], operation_id: str) -> str:
    """A readable name of an operation from its spec, for screens and reports:
    `nycflights_migration · flights_validation` (validation), `Retail → generated` (data
    generation), `warehouse · main` (metadata extraction); the operation id otherwise."""
    if kind == OperationKind.PIPELINE_EXECUTION.value and spec.get("pipeline_id"):
        project = spec.get("project_id")
        return f"{project} · {spec['pipeline_id']}" if project else str(spec["pipeline_id"])
    if kind == OperationKind.DATA_GENERATION.value and spec.get("schema_type"):
        return f"{spec['schema_type']} → {spec.get('target_connection') or SHIPPED_TARGET}"
    if kind == OperationKind.METADATA_EXTRACTION.value and spec.get("connection_name"):
        return f"{spec['connection_name']} · {spec.get('schema_name') or 'default schema'}"
    return operation_id
