"""Validation pipelines (DESIGN §6–7): YAML spec, check library compiled to SQL, runner,
cross-database comparison.

Interfaces other parts rely on:
- `run_pipeline_ref(ref, workspace, *, overrides=None, ctx=None) -> PipelineResult`
- `load_pipeline(ref_or_path, workspace) -> PipelineSpec` (ConfigError listing every problem)
- `lint_pipeline(path, workspace, *, check_columns=True) -> list[LintProblem]`
"""

from __future__ import annotations

from batchcore.operations.base import OperationContext
from batchcore.validation.lint import lint_pipeline
from batchcore.validation.result import CheckResult, PipelineResult
from batchcore.validation.runner import run_pipeline
from batchcore.validation.spec import LintProblem, PipelineSpec, load_pipeline
from batchcore.workspace import PipelineRef, Workspace


def run_pipeline_ref(
    ref: PipelineRef,
    workspace: Workspace,
    *,
    overrides: dict | None = None,
    ctx: OperationContext | None = None,
) -> PipelineResult:
    """Load the pipeline `ref` and run it. Raises ConfigError (bad YAML or override),
    ConnectionFailed (a connection cannot open), OperationCancelled (stop requested)."""
    return run_pipeline(load_pipeline(ref, workspace), workspace, overrides=overrides, ctx=ctx)


__all__ = [
    "CheckResult",
    "LintProblem",
    "PipelineResult",
    "PipelineSpec",
    "lint_pipeline",
    "load_pipeline",
    "run_pipeline",
    "run_pipeline_ref",
]
