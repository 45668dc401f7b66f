"""JUnit XML report of a finished job, for CI systems (GitLab, Jenkins, GitHub, Azure) to show.

Input: the job's JSON export (`batchcore.export.job_export_dict`, or GET /batch/jobs/{id}/export).
One <testsuite> per job; one <testcase> per operation (classname = job type, name = operation
id) and, for validation operations, one per check (classname = `project.pipeline`, name =
`operation_id: check_name`). Mapping:

| outcome | element |
|---|---|
| operation failed, `failure_kind: checks_failed` (its checks found bad data) | <failure> with the error or summary |
| operation failed, `failure_kind: error` (it could not run) | <error> with the error |
| operation skipped / cancelled / not finished | <skipped> with the reason |
| check not passed (severity error) | <failure> with failed_rows / total_rows and pass_rate |
| check not passed (severity warn) | passes; the warning goes to <system-out> |
| check that could not run (`status: error` or an `error` text) | <error> |

Times are seconds (JUnit's unit), from the stored durations in ms.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from batchcore.models import FailureKind
from batchcore.validation.checks import unit_of


@dataclass
class Counts:
    """Totals of a report: tests, failures, errors, skipped, time in seconds."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time_s: float = 0.0


def _seconds(ms: Any) -> float:
    return round(float(ms) / 1000.0, 3) if isinstance(ms, (int, float)) else 0.0


def _clean(text: Any, limit: int = 20000) -> str:
    """Text safe for XML 1.0 (control characters dropped), cut at `limit` characters."""
    s = "" if text is None else str(text)
    s = "".join(ch for ch in s if ch in "\t\n\r" or ord(ch) >= 0x20)
    return s if len(s) <= limit else s[:limit] + "…"


def _operation_case(
    suite: ET.Element, job: dict[str, Any], op: dict[str, Any], counts: Counts
) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_clean(job.get("job_type") or "batch_job"),
        name=_clean(op.get("operation_id")),
        time=f"{_seconds(op.get('duration_ms')):.3f}",
    )
    counts.tests += 1
    counts.time_s += _seconds(op.get("duration_ms"))
    status = op.get("status")
    if status == "failed" and op.get("failure_kind") == FailureKind.ERROR:
        counts.errors += 1
        message = op.get("error") or op.get("summary") or "operation could not run"
        el = ET.SubElement(case, "error", message=_clean(message, 500), type="operation_error")
        el.text = _clean(message)
    elif status == "failed":  # checks_failed (or an export from before failure_kind existed)
        counts.failures += 1
        message = op.get("error") or op.get("summary") or "operation failed"
        el = ET.SubElement(case, "failure", message=_clean(message, 500), type="operation_failed")
        el.text = _clean(message)
    elif status != "completed":
        counts.skipped += 1
        reason = op.get("status_reason") or (
            "not finished" if status in ("pending", "running") else status
        )
        ET.SubElement(case, "skipped", message=_clean(f"{status}: {reason}", 500))
    if op.get("summary"):
        ET.SubElement(case, "system-out").text = _clean(op["summary"])


def _check_case(
    suite: ET.Element, op: dict[str, Any], check: dict[str, Any], counts: Counts
) -> None:
    meta = op.get("metadata") or {}
    project = check.get("project_id") or meta.get("project_id") or "workspace"
    pipeline = check.get("pipeline_id") or meta.get("pipeline_id") or op.get("operation_id")
    name = check.get("check_name") or check.get("check_type") or f"check {check.get('check_index')}"
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_clean(f"{project}.{pipeline}"),
        name=_clean(f"{op.get('operation_id')}: {name}"),
        time=f"{_seconds(check.get('duration_ms')):.3f}",
    )
    counts.tests += 1
    where = " ".join(
        x for x in (check.get("table_name") or "", ",".join(check.get("columns") or [])) if x
    )
    stats = (
        f"{check.get('failed_rows')} of {check.get('total_rows')} "
        f"{unit_of(check.get('check_type') or '')} failed "
        f"(pass rate {check.get('pass_rate')}, threshold {check.get('threshold')})"
    )
    if check.get("status") == "error" or (check.get("error") and not check.get("passed")):
        counts.errors += 1
        msg = check.get("error") or "the check could not run"
        ET.SubElement(case, "error", message=_clean(msg, 500), type="check_error").text = _clean(
            f"{msg}\n{check.get('sql') or ''}"
        )
    elif not check.get("passed"):
        if (check.get("severity") or "error") == "warn":
            ET.SubElement(case, "system-out").text = _clean(f"warning ({where}): {stats}")
        else:
            counts.failures += 1
            el = ET.SubElement(
                case,
                "failure",
                message=_clean(f"{name} on {where}: {stats}", 500),
                type="check_failed",
            )
            el.text = _clean(
                f"{stats}\nsample: {check.get('sample')}\nsql: {check.get('sql') or ''}"
            )


def junit_report(export: dict[str, Any]) -> tuple[str, Counts]:
    """(XML text, counts) for a job export {"job": {..., "operations": [...]}, "check_results": [...]}."""
    job = export["job"]
    checks: dict[str, list[dict[str, Any]]] = {}
    for c in export.get("check_results") or []:
        checks.setdefault(c.get("operation_id"), []).append(c)
    root = ET.Element("testsuites", name=_clean(f"batch job {job.get('name')}"))
    suite = ET.SubElement(
        root,
        "testsuite",
        name=_clean(f"{job.get('name')} ({job.get('job_id')})"),
        timestamp=_clean(job.get("started_at") or job.get("created_at") or ""),
    )
    props = ET.SubElement(suite, "properties")
    for key in ("job_id", "job_type", "status", "project_id"):
        if job.get(key) is not None:
            ET.SubElement(props, "property", name=key, value=_clean(job[key]))
    counts = Counts()
    for op in job.get("operations") or []:
        _operation_case(suite, job, op, counts)
        for check in sorted(
            checks.get(op.get("operation_id"), []), key=lambda c: c.get("check_index") or 0
        ):
            _check_case(suite, op, check, counts)
    for el in (root, suite):
        el.set("tests", str(counts.tests))
        el.set("failures", str(counts.failures))
        el.set("errors", str(counts.errors))
        el.set("skipped", str(counts.skipped))
        el.set("time", f"{counts.time_s:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        root, encoding="unicode"
    ) + "\n", counts
