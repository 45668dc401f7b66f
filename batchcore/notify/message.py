"""What happened to a job (its events), which rules want it, and the one message about it.

A job's events: `cancelled`; `failed` or `partial_success` (its final status) plus `error` when
an operation could not run; `completed`, plus `recovered` when it is a schedule's first
completed job after failed or partially successful ones; plus `anomaly` (whatever the status)
when a learned alert band judged a check of its latest attempts outside (issue 15). The
message's headline event is the most serious one:
error > failed > partial_success > anomaly > cancelled > recovered > completed.

One message per job and channel: job name, status, counts, the worst checks (at most
MAX_CHECKS, with failed rows and pass rate; an anomalous check with its value, band and
reason), the operations that could not run (at most
MAX_ERRORS), and a link to Job Details. Rendered as plain text (email), Slack's incoming-webhook
shape, or JSON (the message itself plus `text`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from batchcore.notify.config import Event, Rule
from batchcore.textutil import clip
from batchcore.validation.checks import unit_of

MAX_CHECKS = 5
MAX_ERRORS = 5
MAX_ERROR_CHARS = 300
SEVERITY = (
    Event.ERROR,
    Event.FAILED,
    Event.PARTIAL_SUCCESS,
    Event.ANOMALY,
    Event.CANCELLED,
    Event.RECOVERED,
    Event.COMPLETED,
)
HEADLINES = {
    Event.ERROR: "COULD NOT RUN",
    Event.FAILED: "FAILED",
    Event.PARTIAL_SUCCESS: "PARTIAL SUCCESS",
    Event.ANOMALY: "ANOMALY",
    Event.CANCELLED: "CANCELLED",
    Event.RECOVERED: "RECOVERED",
    Event.COMPLETED: "COMPLETED",
    "test": "TEST",
}
BAD = {"failed", "partial_success"}


def job_events(
    status: str, could_not_run: int, previous: str | None, anomalies: int = 0
) -> list[Event]:
    """The events of a job that ended with `status` (`previous`: the final status of its
    schedule's previous job, None when it has none; `anomalies`: checks of its latest attempts
    a learned band judged outside), most serious first."""
    events: set[Event] = set()
    if status == "cancelled":
        events.add(Event.CANCELLED)
    elif status in BAD:
        events.add(Event(status))
    elif status == "completed":
        events.add(Event.COMPLETED)
        if previous in BAD:
            events.add(Event.RECOVERED)
    if could_not_run and status != "cancelled":
        events.add(Event.ERROR)
    if anomalies:
        events.add(Event.ANOMALY)
    return [e for e in SEVERITY if e in events]


def rule_matches(
    rule: Rule, job: dict[str, Any], events: list[Event], schedule: dict[str, Any] | None
) -> bool:
    """Whether `rule` wants this job: one of its events happened and every filter it sets
    matches (projects, tags: any of, job_types, schedules by id or name)."""
    if not set(rule.events) & set(events):
        return False
    if rule.projects is not None and job.get("project_id") not in rule.projects:
        return False
    if rule.tags is not None and not set(rule.tags) & set(job.get("tags") or []):
        return False
    if rule.job_types is not None and job.get("job_type") not in {t.value for t in rule.job_types}:
        return False
    if rule.schedules is not None:
        names = {schedule.get("schedule_id"), schedule.get("name")} if schedule else set()
        if not names & set(rule.schedules):
            return False
    return True


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat()


def job_url(base_url: str, job_id: str) -> str:
    """The Job Details page of `job_id` under the UI's `base_url`."""
    return f"{base_url.rstrip('/')}/job?job_id={job_id}"


def build_message(
    job: dict[str, Any],
    events: list[Event],
    checks: list[dict[str, Any]],
    failed_checks: int,
    schedule: dict[str, Any] | None,
    base_url: str,
    anomalies: int = 0,
) -> dict[str, Any]:
    """The message about one job (JSON-ready; no secret in it). `job`: store.notifications
    .job_facts; `checks`: worst_checks; `schedule`: {"schedule_id", "name", "planned_at"};
    `anomalies`: how many checks a learned band judged outside (store.notifications
    .anomalous_checks)."""
    event = events[0] if events else Event.COMPLETED
    return {
        "event": event.value,
        "events": [e.value for e in events],
        "title": f"{HEADLINES[event]}: {job['name']}",
        "job": {
            "job_id": job["job_id"],
            "name": job["name"],
            "job_type": job["job_type"],
            "status": job["status"],
            "project_id": job.get("project_id"),
            "tags": job.get("tags") or [],
            "created_at": _iso(job.get("created_at")),
            "finished_at": _iso(job.get("finished_at")),
        },
        "counts": job["counts"],
        "schedule": None
        if schedule is None
        else {
            "schedule_id": schedule["schedule_id"],
            "name": schedule.get("name"),
            "planned_at": _iso(schedule.get("planned_at")),
        },
        "failed_checks": failed_checks,
        "anomalous_checks": anomalies,
        "worst_checks": [
            {
                "operation_id": c["operation_id"],
                "pipeline_id": c.get("pipeline_id"),
                "check_name": c["check_name"],
                "check_type": c["check_type"],
                "table_name": c.get("table_name"),
                "severity": c.get("severity"),
                "status": c.get("status"),
                "failed_rows": c.get("failed_rows"),
                "total_rows": c.get("total_rows"),
                "unit": unit_of(c["check_type"]),
                "pass_rate": c.get("pass_rate"),
                "threshold": c.get("threshold"),
                "error": clip(c["error"], MAX_ERROR_CHARS) if c.get("error") else None,
                "anomaly": c.get("anomaly"),
            }
            for c in checks[:MAX_CHECKS]
        ],
        "could_not_run": [
            {"operation_id": e["operation_id"], "error": clip(e["error"], MAX_ERROR_CHARS)}
            for e in (job.get("errors") or [])[:MAX_ERRORS]
        ],
        "url": job_url(base_url, job["job_id"]),
    }


def test_message(channel: str, base_url: str) -> dict[str, Any]:
    """A message that says it is a test (for "Send test message")."""
    return {
        "event": "test",
        "events": ["test"],
        "title": f"TEST: Batch Operations notifications reach channel {channel}",
        "job": None,
        "counts": None,
        "schedule": None,
        "failed_checks": 0,
        "anomalous_checks": 0,
        "worst_checks": [],
        "could_not_run": [],
        "url": base_url.rstrip("/") + "/",
    }


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{int(rate * 10000) / 100:.2f}%"  # floored: 100% only if all


def check_line(c: dict[str, Any]) -> str:
    """`flights_validation · not_null_origin on flights: 12 of 3,000 rows failed (pass rate 99.60%)`."""
    where = f" on {c['table_name']}" if c.get("table_name") else ""
    who = f"{c['pipeline_id']} · " if c.get("pipeline_id") else ""
    if c.get("status") == "error":
        return f"{who}{c['check_name']}{where}: could not run ({c.get('error') or 'error'})"
    unit = c.get("unit") or "rows"
    failed, total = c.get("failed_rows"), c.get("total_rows")
    counts = (
        f"{failed:,} of {total:,} {unit} failed"
        if failed is not None and total is not None
        else "failed"
    )
    warn = " [warn]" if c.get("severity") == "warn" else ""
    if c.get("anomaly"):  # the band's reason holds the value, the band and by how much
        return f"{who}{c['check_name']}{where}: anomaly: {c['anomaly']['reason']}{warn}"
    return f"{who}{c['check_name']}{where}: {counts} (pass rate {_pct(c.get('pass_rate'))}){warn}"


def lines(message: dict[str, Any]) -> list[str]:
    """The message as plain-text lines (email body, Slack fallback)."""
    out = [message["title"]]
    job, counts = message.get("job"), message.get("counts")
    if job is None:
        out.append("This is a test message from Batch Operations: the channel works.")
        out.append(message["url"])
        return out
    out.append(f"Job {job['name']} ({job['job_type']}) ended {job['status']}.")
    if message.get("schedule"):
        s = message["schedule"]
        out.append(f"Schedule: {s.get('name') or s['schedule_id']}, planned for {s['planned_at']}")
    out.append(
        f"Operations: {counts['completed']} completed, {counts['failed']} failed"
        f" ({counts['could_not_run']} could not run), {counts['skipped']} skipped, "
        f"{counts['cancelled']} cancelled of {counts['total']}"
    )
    if message["worst_checks"]:
        shown = len(message["worst_checks"])
        more = message["failed_checks"] - shown
        out.append(
            f"Worst checks ({shown} of {message['failed_checks']} failed):"
            if more > 0
            else "Failed checks:"
        )
        out += [f"  - {check_line(c)}" for c in message["worst_checks"]]
    if message.get("anomalous_checks"):
        n = message["anomalous_checks"]
        out.append(f"Anomalies: {n} check{'s' if n != 1 else ''} outside the learned band.")
    if message["could_not_run"]:
        out.append("Could not run:")
        out += [f"  - {e['operation_id']}: {e['error']}" for e in message["could_not_run"]]
    out.append(f"Job Details: {message['url']}")
    return out


def as_text(message: dict[str, Any]) -> str:
    """Plain text, one item a line."""
    return "\n".join(lines(message)) + "\n"


def as_slack(message: dict[str, Any]) -> dict[str, Any]:
    """Slack's incoming-webhook body: `text` (notifications, fallback) and mrkdwn `blocks`."""
    body = lines(message)
    return {
        "text": message["title"],
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": clip(message["title"], 150)}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip("\n".join(body[1:-1]) or " ", 2900)},
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"<{message['url']}|Open Job Details>"},
            },
        ],
    }


def as_json(message: dict[str, Any]) -> dict[str, Any]:
    """The generic webhook body: the message and its plain text."""
    return {**message, "text": as_text(message)}
