"""`validate PIPELINE.yaml` and `lint PIPELINE.yaml ...`: pipelines outside the job system.

- `validate PIPELINE --workspace DIR [--json] [--dry-run] [--threshold X] [--sample-size N]`
  runs one pipeline (a YAML path or a pipeline id) and prints its results. Exit 0 when it
  passes, 1 when checks fail, 2 when it could not run (bad file, connection, or an
  error-severity check that errored, e.g. a missing column: `batchcore.outcome`).
  `--dry-run` prints the SQL instead.
- `lint PIPELINE.yaml [...] --workspace DIR [--no-columns]` reports every problem of each file as
  `file:line: check N (type): field: message`. Exit 0 clean, 1 problems found, 2 could not run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from batchcore.cli import EXIT_FAILED, EXIT_OK, exit_code
from batchcore.jsonutil import to_jsonable
from batchcore.models import FailureKind


def load_workspace(arg: str | None):
    """The workspace of `--workspace` (default BATCH_WORKSPACE or the shipped example), building
    the shipped example's databases first when they are missing."""
    from batchcore.config import Settings
    from batchcore.workspace import Workspace

    settings = Settings.from_env(**({"workspace": Path(arg).resolve()} if arg else {}))
    if settings.auto_build_example:
        from batchcore.example import ensure_example_data

        ensure_example_data(settings.workspace)
    return Workspace.load(settings.workspace)


def _check_json(c) -> dict:
    """One check of `validate --json`: every field of its result (docs/checks.md), `unit` naming
    what its counts count."""
    out = {
        "name": c.check_name,
        "type": c.check_type,
        "table": c.table_name,
        "status": c.status,
        "passed": c.passed,
        "severity": c.severity,
        "threshold": c.threshold,
        "total_rows": c.total_rows,
        "failed_rows": c.failed_rows,
        "non_null_rows": c.non_null_rows,
        "pass_rate": c.pass_rate,
        "unit": c.unit,
    }
    if len(c.columns) == 1:
        out["column"] = c.columns[0]
    out["columns"] = list(c.columns)
    if c.check_type == "unique":
        out["duplicate_keys"] = c.duplicate_keys
    out.update(
        observed=c.observed,
        sample=c.sample,
        sql=c.sql,
        error=c.error,
        duration_ms=round(c.duration_ms, 3),
        details=c.details,
    )
    return to_jsonable(out)


def _cmd_validate(args) -> int:
    from batchcore.validation import load_pipeline, run_pipeline
    from batchcore.validation.lint import preview_sql

    ws = load_workspace(args.workspace)
    spec = load_pipeline(args.pipeline, ws)
    overrides = {
        k: v
        for k, v in (("threshold", args.threshold), ("sample_size", args.sample_size))
        if v is not None
    }
    if args.dry_run:
        spec = spec.with_overrides(overrides)
        for label, sql in preview_sql(spec, ws):
            print(f"-- {label}\n{sql};\n")
        return EXIT_OK
    result = run_pipeline(spec, ws, overrides=overrides)
    if args.json:
        doc = {
            **result.to_result_dict(),
            "summary": result.summary(),
            "checks": [_check_json(c) for c in result.checks],
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(
            f"pipeline {spec.project_id + '/' if spec.project_id else ''}{spec.pipeline_id}: "
            f"target {spec.target}" + (f", source {spec.source}" if spec.source else "")
        )
        for c in result.checks:
            mark = {"passed": "PASS", "failed": "FAIL", "warned": "WARN", "error": "ERROR"}[
                c.status
            ]
            print(f"  {mark:<5} {c.describe()}")
        verdict = {None: "PASSED", FailureKind.CHECKS_FAILED: "FAILED"}
        print(
            f"{verdict.get(result.failure_kind, 'COULD NOT RUN')}: "
            + result.summary()
            + f" ({result.duration_ms / 1000:.2f} s)"
        )
    return exit_code(result.failure_kind)


def _cmd_lint(args) -> int:
    from batchcore.validation import lint_pipeline

    ws = load_workspace(args.workspace)
    total = 0
    for f in args.pipelines:
        problems = lint_pipeline(Path(f), ws, check_columns=not args.no_columns)
        total += len(problems)
        for p in problems:
            print(p)
    print(f"{total} problem(s) in {len(args.pipelines)} file(s)", file=sys.stderr)
    return EXIT_OK if total == 0 else EXIT_FAILED


def register(sub) -> None:
    p = sub.add_parser("validate", help="run one validation pipeline locally and print its results")
    p.add_argument(
        "pipeline", metavar="PIPELINE", help="pipeline YAML file, or pipeline id (project/pipeline)"
    )
    p.add_argument(
        "--workspace",
        metavar="DIR",
        help="workspace folder (default: BATCH_WORKSPACE or the shipped example)",
    )
    p.add_argument("--json", action="store_true", help="print every check as JSON")
    p.add_argument(
        "--dry-run", action="store_true", help="print the SQL the pipeline would run, run nothing"
    )
    p.add_argument(
        "--threshold", type=float, help="override the pipeline's default threshold (0..1)"
    )
    p.add_argument("--sample-size", type=int, help="override the pipeline's sample_size")
    p.set_defaults(func=_cmd_validate)
    q = sub.add_parser(
        "lint",
        help="report every problem in pipeline YAML files (file:line: check: field: message)",
    )
    q.add_argument("pipelines", nargs="+", metavar="PIPELINE.yaml")
    q.add_argument(
        "--workspace",
        metavar="DIR",
        help="workspace folder (default: BATCH_WORKSPACE or the shipped example)",
    )
    q.add_argument(
        "--no-columns",
        action="store_true",
        help="do not open connections to check tables and columns",
    )
    q.set_defaults(func=_cmd_lint)
