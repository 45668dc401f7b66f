"""Commands that talk to a running server (`streamlit run app.py` or `serve`) over the REST API:
`submit`, `status`, `list`, `cancel`, `retry`, `export`. For CI/CD pipelines and schedulers.

`--url` (default BATCH_API_URL, else http://127.0.0.1:8501/batch); the token comes from
BATCH_API_TOKEN. With `--wait`, `submit`, `status` and `retry` show a progress bar on stderr until
the job ends, then exit by the job's verdict (`batchcore.outcome.job_failure_kind`): 0 every
operation completed, 1 operations failed because their checks found bad data (operations
skipped after them by stop_on_error included), 2 any operation could not run (failure_kind
error) or was cancelled, or the job was cancelled. 2 also on errors of the command itself (bad
request, unreachable server, `--timeout` reached; the job keeps running on the server).
`--junit FILE` (implies `--wait`) writes a JUnit XML report.
stdout carries only results (the job id after `submit`, tables, JSON with `--json`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from batchcore.cli import EXIT_ERROR, EXIT_OK, exit_code, pct_text
from batchcore.cli.apiclient import ApiClient, RemoteError, default_url
from batchcore.cli.run import detect_job_type, load_request
from batchcore.junit import junit_report
from batchcore.models import JobStatus, JobType
from batchcore.outcome import job_failure_kind, shown_status

TERMINAL = {s.value for s in JobStatus if s.is_terminal}
BAR_WIDTH = 30


def _client(args) -> ApiClient:
    return ApiClient(args.url, timeout=args.http_timeout)


def progress_line(status: str, p: dict[str, Any]) -> str:
    """`[#########.....]  40.0%  2/5 completed  0 failed  0 error  0 skipped  running  eta 30 s`
    (`failed`: checks found bad data; `error`: could not run)."""
    pct = float(p.get("percent_complete") or 0.0)
    filled = round(BAR_WIDTH * pct / 100.0)
    eta = p.get("estimated_time_remaining_ms")
    eta_text = "" if eta is None or status in TERMINAL else f"  eta {eta / 1000:.0f} s"
    return (
        f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {pct_text(pct)}  {p.get('completed_operations', 0)}/"
        f"{p.get('total_operations', 0)} completed  {_failed(p)} failed  "
        f"{p.get('error_operations', 0)} error  {p.get('skipped_operations', 0)} skipped  {status}{eta_text}"
    )


def _failed(p: dict[str, Any]) -> int:
    """Operations whose checks found bad data (all failed ones from a server older than
    `failure_kind`)."""
    return p.get("checks_failed_operations", p.get("failed_operations", 0))


def wait_for(
    client: ApiClient, job_id: str, *, timeout: float | None, poll_s: float, quiet: bool
) -> dict[str, Any]:
    """Poll /jobs/{id}/progress until the job is terminal; return the last progress answer.
    Raises RemoteError when `timeout` seconds pass first."""
    deadline = None if timeout is None else time.monotonic() + timeout
    tty = sys.stderr.isatty()
    last = None
    while True:
        answer = client.json("GET", f"/jobs/{job_id}/progress")
        line = progress_line(answer["job_status"], answer["progress"])
        if not quiet and line != last:
            print(
                ("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True
            )
            last = line
        if answer["job_status"] in TERMINAL:
            if tty and not quiet:
                print(file=sys.stderr)
            return answer
        if deadline is not None and time.monotonic() >= deadline:
            if tty and not quiet:
                print(file=sys.stderr)
            raise RemoteError(
                f"job {job_id} is still {answer['job_status']} after {timeout:g} s (--timeout); it keeps "
                f"running on the server: check it with `python -m batchcore status {job_id}`",
                field="timeout",
                value=timeout,
            )
        time.sleep(
            poll_s if deadline is None else max(0.0, min(poll_s, deadline - time.monotonic()))
        )


def print_operations(job: dict[str, Any]) -> None:
    """One line per operation, then the job's summary line (stdout)."""
    for op in job.get("operations") or []:
        dur = "" if op.get("duration_ms") is None else f"{op['duration_ms'] / 1000:.2f} s"
        detail = (
            op.get("error") or op.get("summary") or op.get("status_reason") or ""
        ).splitlines()
        status = shown_status(op["status"], op.get("failure_kind"))
        print(f"{status:<10} {op['operation_id']:<50} {dur:>9}  {detail[0] if detail else ''}")
    p = job["progress"]
    print(
        f"job {job['job_id']} {job['status']}: {p['completed_operations']} completed, {_failed(p)} failed, "
        f"{p.get('error_operations', 0)} error, {p['skipped_operations']} skipped, "
        f"{p.get('cancelled_operations', 0)} cancelled of {p['total_operations']}"
    )


def finish(client: ApiClient, job_id: str, args) -> int:
    """Wait (when asked), print the outcome, write the JUnit report; return the exit code."""
    if not (args.wait or args.junit):
        return EXIT_OK
    wait_for(client, job_id, timeout=args.timeout, poll_s=args.poll, quiet=args.quiet)
    export = client.json("GET", f"/jobs/{job_id}/export", params={"format": "json"})
    job = export["job"]
    print_operations(job)
    if args.junit:
        xml, counts = junit_report(export)
        Path(args.junit).write_text(xml, encoding="utf-8")
        print(
            f"JUnit report {args.junit}: {counts.tests} tests, {counts.failures} failures, {counts.errors} errors, "
            f"{counts.skipped} skipped",
            file=sys.stderr,
        )
    return exit_code(
        job_failure_kind(
            job["status"],
            [(op["status"], op.get("failure_kind")) for op in job.get("operations") or []],
        )
    )


def _cmd_submit(args) -> int:
    from batchcore.api.routes_create import CREATE_PATHS

    if (args.request is None) == (args.job_file is None):
        print(
            "error: give the request file once: submit REQUEST.json or submit --job REQUEST.json",
            file=sys.stderr,
        )
        return EXIT_ERROR
    body = load_request(args.request or args.job_file)
    job_type = JobType(args.type) if args.type else detect_job_type(body)
    key = args.idempotency_key or str(uuid.uuid4())
    with _client(args) as client:
        created = post_once(client, CREATE_PATHS[job_type], body, key, retries=args.retries)
        print(created["job_id"])
        if not args.quiet:
            print(
                f"job {created['job_id']} {created['status']}: {created['message']}",
                file=sys.stderr,
            )
        return finish(client, created["job_id"], args)


def post_once(
    client: ApiClient, path: str, body: dict, key: str, *, retries: int, first_wait_s: float = 1.0
) -> dict[str, Any]:
    """POST a create request with `Idempotency-Key: key`; repeat it (same key, so the server
    creates the job once) up to `retries` times after a network error, a timeout or a 503,
    waiting 1, 2, 4… s. Raises RemoteError when the last try fails, or at once for other errors."""
    headers = {"Idempotency-Key": key}
    for attempt in range(retries + 1):
        try:
            return client.json("POST", path, json=body, headers=headers)
        except RemoteError as exc:
            if attempt >= retries or not exc.retryable:
                raise
            wait = first_wait_s * 2**attempt
            print(
                f"{exc.message}; trying again in {wait:g} s (same Idempotency-Key {key})",
                file=sys.stderr,
            )
            time.sleep(wait)
    raise AssertionError("unreachable")


def _cmd_status(args) -> int:
    with _client(args) as client:
        if args.wait or args.junit:
            return finish(client, args.job_id, args)
        answer = client.json("GET", f"/jobs/{args.job_id}")
        if args.json:
            print(json.dumps(answer, indent=2))
        else:
            job = answer["job"]
            print(
                f"{job['name']} ({job['job_type']}) {progress_line(job['status'], job['progress'])}"
            )
            print_operations(job)
        return EXIT_OK


def _cmd_list(args) -> int:
    params: list[tuple[str, Any]] = [("limit", args.limit), ("offset", args.offset)]
    params += [("status", s) for s in args.status or []] + [
        ("job_type", t) for t in args.type or []
    ]
    if args.project:
        params.append(("project_id", args.project))
    with _client(args) as client:
        answer = client.json("GET", "/jobs", params=params)
    if args.json:
        print(json.dumps(answer, indent=2))
        return EXIT_OK
    for j in answer["jobs"]:
        p = j["progress"]
        print(
            f"{j['job_id']}  {j['status']:<15} {pct_text(p['percent_complete'])}  {j['job_type']:<26} {j['created_at'][:19]}  {j['name']}"
        )
    print(
        f"{len(answer['jobs'])} of {answer['total']} jobs (page {answer['page']}, page size {answer['page_size']})",
        file=sys.stderr,
    )
    return EXIT_OK


def _cmd_cancel(args) -> int:
    with _client(args) as client:
        answer = client.json(
            "POST", f"/jobs/{args.job_id}/cancel", json={"reason": args.reason, "force": args.force}
        )
    print(f"job {answer['job_id']} {answer['job_status']}: {answer['message']}")
    return EXIT_OK


def _cmd_retry(args) -> int:
    with _client(args) as client:
        answer = client.json(
            "POST",
            f"/jobs/{args.job_id}/retry",
            json={"operation_ids": args.operation or None, "max_retries": args.max_retries},
        )
        print(f"job {answer['job_id']}: {answer['message']}", file=sys.stderr)
        return finish(client, args.job_id, args)


def _cmd_export(args) -> int:
    with _client(args) as client:
        resp = client.raw("GET", f"/jobs/{args.job_id}/export", params={"format": args.format})
    if args.output == "-":
        sys.stdout.write(resp.text)
    else:
        Path(args.output).write_bytes(resp.content)
        print(f"wrote {args.output} ({len(resp.content)} bytes)", file=sys.stderr)
    return EXIT_OK


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--url",
        default=None,
        help=f"the API's base URL (default BATCH_API_URL, else {default_url()})",
    )
    p.add_argument(
        "--http-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds per HTTP request (default 30)",
    )
    return p


def _waiting() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--wait",
        action="store_true",
        help="wait until the job ends; exit 0 all completed, 1 any not",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="with --wait: give up after S seconds (exit 2)",
    )
    p.add_argument(
        "--poll",
        type=float,
        default=1.0,
        metavar="S",
        help="with --wait: seconds between polls (default 1)",
    )
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report (implies --wait)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def register(sub) -> None:
    common, waiting = _common(), _waiting()
    p = sub.add_parser(
        "submit", parents=[common, waiting], help="submit a job request (JSON) to a running server"
    )
    p.add_argument(
        "request", nargs="?", metavar="REQUEST.json", help="the guide's JSON body of any job type"
    )
    p.add_argument(
        "--job", dest="job_file", metavar="REQUEST.json", help="the same, as `run --job` takes it"
    )
    p.add_argument(
        "--type",
        choices=[t.value for t in JobType],
        help="job type (default: from the request's keys)",
    )
    p.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="sent as Idempotency-Key (default: a new UUID per invocation); the server creates "
        "one job per key and request within 24 h",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=3,
        metavar="N",
        help="repeat the request (same key) after a network error, timeout or 503 (default 3)",
    )
    p.set_defaults(func=_cmd_submit)

    p = sub.add_parser(
        "status", parents=[common, waiting], help="show a job (or wait for it with --wait)"
    )
    p.add_argument("job_id")
    p.add_argument("--json", action="store_true", help="print the API's JSON answer")
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("list", parents=[common], help="list jobs, newest first")
    p.add_argument(
        "--status",
        action="append",
        help="filter (repeatable): pending/queued, running, completed, ...",
    )
    p.add_argument(
        "--type", action="append", choices=[t.value for t in JobType], help="filter (repeatable)"
    )
    p.add_argument("--project", help="filter by project id")
    p.add_argument("--limit", type=int, default=100, help="page size (1-500, default 100)")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the API's JSON answer")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("cancel", parents=[common], help="cancel a pending or running job")
    p.add_argument("job_id")
    p.add_argument("--reason", help="recorded with the job")
    p.add_argument("--force", action="store_true", help="interrupt running operations too")
    p.set_defaults(func=_cmd_cancel)

    p = sub.add_parser(
        "retry", parents=[common, waiting], help="retry the failed operations of a finished job"
    )
    p.add_argument("job_id")
    p.add_argument(
        "--operation",
        action="append",
        metavar="OPERATION_ID",
        help="only these (repeatable; default all failed)",
    )
    p.add_argument(
        "--max-retries",
        type=int,
        default=None,
        help="automatic retries per operation for this run (0-10)",
    )
    p.set_defaults(func=_cmd_retry)

    p = sub.add_parser("export", parents=[common], help="download a job's export (JSON or CSV)")
    p.add_argument("job_id")
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="file to write ('-' for stdout)"
    )
    p.set_defaults(func=_cmd_export)
