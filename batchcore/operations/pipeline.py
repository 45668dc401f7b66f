"""The `pipeline_execution` operation: run one validation pipeline of the workspace.

spec: `project_id`, `pipeline_id`, `pipeline_name` (display), `config_override` (threshold,
sample_size, source, target); `partition` ({check, index, count}: run only that check, on
partition `index` of its `partition_by`, batchcore.validation.partition) or `skip_partitioned`
(run the checks that declare no `partition_by`). A pipeline whose checks fail RETURNS a failed outcome (not
retried, DESIGN §4) with every check result, its `failure_kind` by `checks_failure_kind`
(`error` when an error-severity check could not run); a bad YAML file raises ConfigError (not retried);
a connection that cannot open raises ConnectionFailed (retried).
"""

from __future__ import annotations

from batchcore.models import FailureKind
from batchcore.operations.base import OperationContext, OperationOutcome
from batchcore.validation import load_pipeline, run_pipeline, run_pipeline_ref
from batchcore.validation.partition import partition_pipeline, without_partitioned


def run(spec: dict, ctx: OperationContext) -> OperationOutcome:
    """Run the pipeline `spec` names; see the module doc for outcomes and errors."""
    ws = ctx.workspace
    ref = ws.resolve_pipeline(spec["pipeline_id"], spec.get("project_id"))
    ctx.progress(f"loading {ref.qualified_id}", force=True)
    part = spec.get("partition")
    predicate = None
    if part or spec.get("skip_partitioned"):
        pipeline = load_pipeline(ref, ws)
        if part:
            pipeline, predicate = partition_pipeline(pipeline, part["check"], part["index"], ws)
            ctx.progress(f"partition {part['index'] + 1}/{part['count']}: {predicate}", force=True)
        else:
            pipeline = without_partitioned(pipeline)
        result = run_pipeline(pipeline, ws, overrides=spec.get("config_override") or None, ctx=ctx)
    else:
        result = run_pipeline_ref(ref, ws, overrides=spec.get("config_override") or None, ctx=ctx)
    for check in result.checks:  # a check's error text comes from the database: no secrets,
        check.error = ctx.redact(check.error)  # no server paths
    rows = [c.to_row() for c in result.checks]
    kind = result.failure_kind
    return OperationOutcome(
        success=kind is None,
        summary=result.summary(),
        failure_kind=kind or FailureKind.CHECKS_FAILED,
        result=result.to_result_dict()
        if predicate is None
        else {**result.to_result_dict(), "partition": {**part, "predicate": predicate}},
        error=ctx.redact(result.error_message()),
        check_results=rows,
    )
