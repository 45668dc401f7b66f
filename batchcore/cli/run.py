"""`run --job REQUEST.json`: run one job request headless, to the end, in this process.

The request is the guide's JSON body of any of the four job types; the type comes from
`--type` or from its keys (`pipelines`, `projects`, `items` with `schema_type`, `items` with
`connection_name`/`connection_type`). The job is recorded in the job store like the app does.
Exit 0 when every operation completed, 1 when operations failed because their checks found bad
data, 2 when any could not run or the job was cancelled (`batchcore.outcome.job_failure_kind`).

`run --job REQUEST.json --url URL` runs it on that server instead (the app or `serve` holding the
job store): the same as `submit --job REQUEST.json --url URL --wait` — it submits, shows the
progress and exits by the job's verdict.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from batchcore.cli import EXIT_ERROR, exit_code, pct_text
from batchcore.errors import RequestError
from batchcore.models import JobType
from batchcore.outcome import job_failure_kind, shown_status


def detect_job_type(body: dict) -> JobType:
    """Guess the job type from the request's keys. Raises RequestError when it cannot."""
    if "pipelines" in body:
        return JobType.BULK_PIPELINE_EXECUTION
    if "projects" in body:
        return JobType.MULTI_PROJECT_VALIDATION
    items = body.get("items")
    if isinstance(items, list) and items and isinstance(items[0], dict):
        if "schema_type" in items[0]:
            return JobType.BATCH_DATA_GENERATION
        if "connection_name" in items[0] or "connection_type" in items[0]:
            return JobType.BULK_METADATA_EXTRACTION
    raise RequestError("cannot tell the job type from the request: give --type", field="job_type")


def load_request(path: str) -> dict:
    """Read a JSON request file. Raises RequestError naming the file."""
    try:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RequestError(f"request file {path} not found", field="job", value=path) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise RequestError(
            f"request file {path} is not valid JSON: {exc}", field="job", value=path
        ) from None
    if not isinstance(body, dict):
        raise RequestError(f"request file {path} must hold a JSON object", field="job", value=path)
    return body


def _run_remote(args) -> int:
    """`run --url`: submit to that server and wait (batchcore.cli.remote's `submit --wait`)."""
    import argparse

    from batchcore.cli.remote import _cmd_submit

    if args.workspace or args.jobs_dir:
        print(
            "error: --workspace and --jobs-dir belong to the server that --url names; "
            "leave them out with --url",
            file=sys.stderr,
        )
        return EXIT_ERROR
    remote = argparse.Namespace(
        request=None,
        job_file=args.job,
        type=args.type,
        idempotency_key=None,
        retries=3,
        url=args.url,
        http_timeout=args.http_timeout,
        wait=True,
        timeout=args.timeout,
        poll=args.poll,
        junit=args.junit,
        quiet=args.quiet,
    )
    return _cmd_submit(remote)


def _cmd_run(args) -> int:
    from batchcore.config import Settings
    from batchcore.engine import Engine

    if args.url:
        return _run_remote(args)
    body = load_request(args.job)
    job_type = JobType(args.type) if args.type else detect_job_type(body)
    overrides = {}
    if args.workspace:
        overrides["workspace"] = Path(args.workspace).resolve()
    if args.jobs_dir:
        overrides["jobs_dir"] = Path(args.jobs_dir).resolve()
    settings = Settings.from_env(**overrides)
    if settings.auto_build_example:
        from batchcore.example import ensure_example_data

        ensure_example_data(settings.workspace)
    engine = Engine(settings)
    try:
        created = engine.submit(job_type, body)
        print(f"job {created.job_id}: {created.message}", file=sys.stderr)
        last = None
        while True:
            view = engine.get_job(created.job_id, with_operations=False)
            p = view.progress
            line = (
                f"{view.status.value:<15} {pct_text(p.percent_complete)}  completed {p.completed_operations}"
                f"  failed {p.checks_failed_operations}  error {p.error_operations}  skipped {p.skipped_operations}  of {p.total_operations}"
            )
            if line != last and not args.quiet:
                print(line, file=sys.stderr)
                last = line
            if view.status.is_terminal:
                break
            time.sleep(0.2)
        view = engine.get_job(created.job_id)
        for op in view.operations or []:
            dur = "" if op.duration_ms is None else f"{op.duration_ms / 1000:.2f} s"
            detail = op.error or op.summary or ""
            print(
                f"{shown_status(op.status, op.failure_kind):<10} {op.operation_id:<50} {dur:>9}  {detail}"
            )
        p = view.progress
        print(
            f"job {view.job_id} {view.status.value}: {p.completed_operations} completed, "
            f"{p.checks_failed_operations} failed, {p.error_operations} error, "
            f"{p.skipped_operations} skipped, {p.cancelled_operations} cancelled"
        )
        return exit_code(
            job_failure_kind(
                view.status, [(op.status, op.failure_kind) for op in view.operations or []]
            )
        )
    finally:
        engine.close()


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="run one job request (JSON) headless to the end in this process, or on the server "
        "--url names",
    )
    p.add_argument(
        "--job", required=True, metavar="REQUEST.json", help="the guide's JSON request body"
    )
    p.add_argument(
        "--type",
        choices=[t.value for t in JobType],
        help="job type (default: from the request's keys)",
    )
    p.add_argument(
        "--workspace",
        metavar="DIR",
        help="workspace folder (default: BATCH_WORKSPACE or the shipped example)",
    )
    p.add_argument(
        "--jobs-dir", metavar="DIR", help="job store folder (default: BATCH_JOBS_DIR or ./data)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.add_argument(
        "--url",
        default=None,
        help="run it on this server instead (the app or `serve` holding the job store, e.g. "
        "http://127.0.0.1:8501/batch): submit and wait, as `submit --wait` does",
    )
    p.add_argument(
        "--http-timeout", type=float, default=30.0, metavar="S", help="with --url: per request"
    )
    p.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="with --url: give up after S s"
    )
    p.add_argument(
        "--poll", type=float, default=1.0, metavar="S", help="with --url: seconds between polls"
    )
    p.add_argument("--junit", metavar="FILE", help="with --url: write a JUnit XML report")
    p.set_defaults(func=_cmd_run, exit_error=EXIT_ERROR)
