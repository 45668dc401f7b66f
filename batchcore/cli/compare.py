"""`compare JOB_A JOB_B` and `compare JOB --previous`: what changed between two runs, through a
running server's API (`GET /jobs/{a}/compare/{b}`, `GET /jobs/{id}/compare/previous`).

Prints the changes (newly failing, still failing with both figures, new, fixed, removed, not
run; operations that errored), or the API's JSON (`--json`), or writes the JSON / CSV export
(`--format json|csv -o FILE`). Exit code 0 when nothing got worse, 1 when job B has checks
newly failing, new checks that do not pass, or operations newly errored, 2 when it could not compare (unknown job, no
previous run, server unreachable).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from batchcore.cli import EXIT_ERROR, EXIT_FAILED, EXIT_OK
from batchcore.cli.apiclient import ApiClient
from batchcore.cli.remote import _common

SECTIONS = (
    ("newly_failing", "Newly failing"),
    ("still_failing", "Still failing"),
    ("new", "New checks"),
    ("fixed", "Fixed"),
    ("removed", "Removed checks"),
    ("not_run", "Not run in B"),
)
OP_SECTIONS = (
    ("newly_errored", "Operations that newly could not run"),
    ("still_errored", "Operations that still could not run"),
    ("no_longer_errored", "Operations that run again"),
)


def _n(v: Any) -> str:
    return "—" if v is None else f"{int(v):,}"


def check_line(c: dict[str, Any]) -> str:
    """`nycflights_migration · airports_validation · us_utc_offset  failed → failed  failed
    2 → 4 of 1,458 (+2)`; one side only for new, removed and not-run checks."""
    where = " · ".join(x for x in (c["project_id"], c["pipeline_id"], c["check_name"]) if x)
    status = f"{c['status_a'] or '—'} → {c['status_b'] or '—'}"
    total = c["total_rows_b"] if c["total_rows_b"] is not None else c["total_rows_a"]
    delta = c["failed_rows_delta"]
    d = "" if not delta else f" ({delta:+,})"
    figures = f"failed {_n(c['failed_rows_a'])} → {_n(c['failed_rows_b'])} of {_n(total)}{d}"
    line = f"  {where}  {status}  {figures}"
    if c.get("error_b"):
        line += f"  error: {c['error_b'].splitlines()[0][:200]}"
    return line


def print_comparison(cmp: dict[str, Any]) -> None:
    """The comparison as text on stdout: both jobs, the counts, then each non-empty section."""
    for side in ("a", "b"):
        j = cmp[f"job_{side}"]
        print(
            f"job {side.upper()}: {j['job_id']}  {j['status']:<15} {j['created_at'][:19]}  {j['name']}"
        )
    cc, oc = cmp["check_counts"], cmp["operation_counts"]
    changed = sum(
        1 for c in cmp["checks"] if c["change"] == "still_failing" and c["figures_changed"]
    )
    print(
        f"checks: {cc['newly_failing']} newly failing, {cc['still_failing']} still failing "
        f"({changed} with changed figures), {cc['new']} new, {cc['fixed']} fixed, "
        f"{cc['removed']} removed, {cc['not_run']} not run, {cc['passing']} passing"
    )
    print(
        f"operations: {oc['newly_errored']} newly errored, {oc['still_errored']} still errored, "
        f"{oc['no_longer_errored']} no longer errored, {oc['new']} new, {oc['not_in_b']} not in B"
    )
    for key, title in SECTIONS:
        rows = [c for c in cmp["checks"] if c["change"] == key]
        if rows:
            print(f"\n{title} ({len(rows)})")
            for c in rows:
                print(check_line(c))
    for key, title in OP_SECTIONS:
        rows = [o for o in cmp["operations"] if o["change"] == key]
        if rows:
            print(f"\n{title} ({len(rows)})")
            for o in rows:
                err = (o.get("error_b") or "").splitlines()
                print(
                    f"  {o['title']}  {o['status_a'] or '—'} → {o['status_b'] or '—'}  {err[0][:200] if err else ''}"
                )


def _cmd_compare(args) -> int:
    if args.previous == (args.job_b is not None):
        print(
            "error: give two jobs (compare JOB_A JOB_B) or one with --previous "
            "(compare JOB --previous)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    path = (
        f"/jobs/{args.job_a}/compare/previous"
        if args.previous
        else f"/jobs/{args.job_a}/compare/{args.job_b}"
    )
    with ApiClient(args.url, timeout=args.http_timeout) as client:
        if args.output:
            resp = client.raw("GET", path, params={"format": args.format})
            cmp = None if args.format == "csv" else resp.json()
            if args.output == "-":
                sys.stdout.write(resp.text)
            else:
                Path(args.output).write_bytes(resp.content)
                print(f"wrote {args.output} ({len(resp.content)} bytes)", file=sys.stderr)
            if cmp is None:
                cmp = client.json("GET", path)
        else:
            cmp = client.json("GET", path)
            if args.json:
                print(json.dumps(cmp, indent=2))
            else:
                print_comparison(cmp)
    new_failing = sum(
        1 for c in cmp["checks"] if c["change"] == "new" and c["status_b"] not in (None, "passed")
    )
    worse = (
        cmp["check_counts"]["newly_failing"]
        + new_failing
        + cmp["operation_counts"]["newly_errored"]
    )
    return EXIT_FAILED if worse else EXIT_OK


def register(sub) -> None:
    p = sub.add_parser(
        "compare",
        parents=[_common()],
        help="what changed between two runs (checks newly failing, fixed, ...)",
        description="Compare job A (the reference run) with job B. Exit 1 when B has checks "
        "newly failing or operations newly errored, 0 otherwise, 2 when it cannot compare.",
    )
    p.add_argument(
        "job_a", metavar="JOB_A", help="the reference run (with --previous: the job to review)"
    )
    p.add_argument("job_b", metavar="JOB_B", nargs="?", help="the run to review")
    p.add_argument(
        "--previous",
        action="store_true",
        help="compare JOB_A with the previous run of the same pipelines",
    )
    p.add_argument("--json", action="store_true", help="print the API's JSON answer")
    p.add_argument("--format", choices=["json", "csv"], default="json", help="with -o: file format")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write the export to FILE ('-' for stdout)"
    )
    p.set_defaults(func=_cmd_compare)
