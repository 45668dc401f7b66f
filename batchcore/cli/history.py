"""`history` (issue 15 §1): a check's or a pipeline's history from a running server, as a table,
JSON or a CSV/JSON file.

    python -m batchcore history CHECK_KEY [--since 30d] [--limit 20] [--json] [-o FILE --format csv]
    python -m batchcore history --pipeline PIPELINE [--project P] [--limit 20]
    python -m batchcore history --project P            (the checks with history, latest state)
    python -m batchcore report --project P --since 7d -o review.html   (the review report)

CHECK_KEY is `<project>/<pipeline>/<check name>`. Exit 0 when the check's (or every check's)
latest run passed, 1 when one failed, 2 when it could not be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from batchcore.cli import EXIT_FAILED, EXIT_OK
from batchcore.cli.apiclient import ApiClient
from batchcore.cli.remote import _common
from batchcore.errors import RequestError

MARK = {"passed": "✓", "failed": "✗", "warned": "!", "error": "E"}


def _num(v: Any) -> str:
    return "" if v is None else f"{v:,}" if isinstance(v, int) else f"{v:.4f}"


def _write(text: str, output: str) -> None:
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)


def _cmd_history(args) -> int:
    client = ApiClient(args.url, timeout=args.http_timeout)
    params: dict[str, Any] = {}
    if args.since:
        params["since"] = args.since
    if args.check_key and args.pipeline:
        raise RequestError("give a CHECK_KEY or --pipeline, not both", field="pipeline")
    if args.check_key:
        path = f"/checks/{quote(args.check_key, safe='/')}/history"
        params["limit"] = args.limit
    elif args.pipeline:
        path = f"/pipelines/{quote(args.pipeline)}/history"
        params["max_runs"] = args.limit
        if args.project:
            params["project_id"] = args.project
    else:
        path = "/checks"
        if args.project:
            params["project_id"] = args.project
    if args.output:
        if path == "/checks":
            raise RequestError("-o needs a CHECK_KEY or --pipeline", field="output")
        params["format"] = args.format
        params["download"] = "true"
        _write(client.raw("GET", path, params=params).text, args.output)
        return EXIT_OK
    data = client.json("GET", path, params=params)
    if args.json:
        import json

        print(json.dumps(data, indent=2))
    elif args.check_key:
        s = data["summary"]
        print(
            f"{data['key']}  ({s['check_type']}, {s['runs']:,} runs since {s['first_run'][:10]}; "
            f"latest {s['status']})"
        )
        print(
            f"{'run at (UTC)':<20} {'status':<7} {'failed rows':>12} {'total rows':>12} {'pass rate':>9}  job"
        )
        for r in data["runs"]:
            print(
                f"{r['run_at'][:19]:<20} {MARK.get(r['status'], '?')} {r['status']:<5} "
                f"{_num(r['failed_rows']):>12} {_num(r['total_rows']):>12} {_num(r['pass_rate']):>9}  "
                f"{r['job_id']}"
            )
        print(f"{len(data['runs'])} of {data['total_runs']:,} runs in the range shown")
    elif args.pipeline:
        runs, cells = data["runs"], data["cells"]
        grid = {(c["run"], c["check_name"]): c["status"] for c in cells}
        print(
            f"{data['project_id']}/{data['pipeline_id']}: {len(runs)} of {data['total_runs']:,} runs (oldest → newest)"
        )
        for c in data["checks"]:
            strip = "".join(MARK.get(grid.get((i, c["check_name"])), "·") for i in range(len(runs)))
            print(f"  {strip}  {c['check_name']}")
    else:
        for c in data["checks"]:
            print(f"{MARK.get(c['status'], '?')} {c['status']:<7} {c['runs']:>7,} runs  {c['key']}")
    statuses = (
        [data["summary"]["status"]]
        if args.check_key
        else [c["status"] for c in data.get("checks", [])]
    )
    return EXIT_FAILED if any(s in ("failed", "error") for s in statuses) else EXIT_OK


def register(sub) -> None:
    p = sub.add_parser(
        "history",
        parents=[_common()],
        help="a check's or a pipeline's history (runs, status, failed rows) from a running server",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__,
    )
    p.add_argument(
        "check_key", nargs="?", metavar="CHECK_KEY", help="<project>/<pipeline>/<check name>"
    )
    p.add_argument("--pipeline", help="a pipeline's runs × checks instead")
    p.add_argument("--project", help="project of --pipeline, or list the project's checks")
    p.add_argument("--since", help="7d, 24h, 2w or an ISO date (default: all)")
    p.add_argument("--limit", type=int, default=20, help="runs shown (default 20)")
    p.add_argument("--json", action="store_true", help="print the API's JSON answer")
    p.add_argument("-o", "--output", metavar="FILE", help="write every run to FILE ('-': stdout)")
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="with -o (default csv)")
    p.set_defaults(func=_cmd_history)
    register_report(sub)


def _cmd_report(args) -> int:
    if args.job and (args.project or args.since or args.until):
        raise RequestError("--job makes a report of that job: drop --project/--since/--until")
    params = {
        k: v
        for k, v in (
            ("job_id", args.job),
            ("project_id", args.project),
            ("since", args.since),
            ("until", args.until),
        )
        if v
    }
    client = ApiClient(args.url, timeout=args.http_timeout)
    _write(client.raw("GET", "/report", params=params).text, args.output)
    return EXIT_OK


def register_report(sub) -> None:
    p = sub.add_parser(
        "report",
        parents=[_common()],
        help="the review report (self-contained HTML) of a job, a project or a date range",
        description="Writes one HTML file that opens offline (charts embedded) and prints to "
        "PDF: scorecard, changes since the previous period, anomalies, failing checks with "
        "samples and SQL, trends, run metadata. E.g. `report --project P --since 7d -o out.html`.",
    )
    p.add_argument("--job", metavar="JOB_ID", help="a report of this job")
    p.add_argument("--project", help="a report of this project (default: every project)")
    p.add_argument("--since", help="start: 7d, 24h, 2w or an ISO date (default 7d)")
    p.add_argument("--until", help="end (exclusive; default now)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="HTML file ('-': stdout)")
    p.set_defaults(func=_cmd_report)
