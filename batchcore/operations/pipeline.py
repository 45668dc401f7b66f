"""The `pipeline_execution` operation: run one validation pipeline of the workspace.

spec: `project_id`, `pipeline_id`, `pipeline_name` (display), `config_override` (threshold,
sample_size, source, target). A pipeline whose checks fail RETURNS a failed outcome (not
retried, DESIGN §4) with every check result, its `failure_kind` by `checks_failure_kind`
(`error` when an error-severity check could not run); a bad YAML file raises ConfigError (not retried);
a connection that cannot open raises ConnectionFailed (retried).
"""

from __future__ import annotations

from batchcore.models import FailureKind
from batchcore.operations.base import OperationContext, OperationOutcome
from batchcore.validation import run_pipeline_ref


def run(spec: dict, ctx: OperationContext) -> OperationOutcome:
    """Run the pipeline `spec` names; see the module doc for outcomes and errors."""
    ws = ctx.workspace
    ref = ws.resolve_pipeline(spec["pipeline_id"], spec.get("project_id"))
    ctx.progress(f"loading {ref.qualified_id}", force=True)
    result = run_pipeline_ref(ref, ws, overrides=spec.get("config_override") or None, ctx=ctx)
    rows = [c.to_row() for c in result.checks]
    kind = result.failure_kind
    return OperationOutcome(
        success=kind is None,
        summary=result.summary(),
        failure_kind=kind or FailureKind.CHECKS_FAILED,
        result=result.to_result_dict(),
        error=result.error_message(),
        check_results=rows,
    )
