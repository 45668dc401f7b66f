"""`schedule list|add|pause|resume|run|rm` and `notify list|test`: schedules and notifications of
a running server, over the REST API (`--url`, BATCH_API_URL, BATCH_API_TOKEN).

A schedule is named by its id or its name. `schedule add NAME REQUEST.json --cron "0 6 * * 1-5"
--tz Europe/Berlin` saves a job request (the same JSON `submit` takes) as a schedule.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from batchcore.cli import EXIT_ERROR, EXIT_FAILED, EXIT_OK
from batchcore.cli.apiclient import ApiClient, RemoteError
from batchcore.cli.remote import _common
from batchcore.cli.run import detect_job_type, load_request
from batchcore.models import JobType


def _client(args) -> ApiClient:
    return ApiClient(args.url, timeout=args.http_timeout)


def _resolve(client: ApiClient, ref: str) -> str:
    """The id of the schedule named `ref` (an id or a name). Raises RemoteError."""
    items = client.json("GET", "/schedules")["schedules"]
    for s in items:
        if ref == s["schedule_id"]:
            return ref
    named = [s for s in items if s["name"].lower() == ref.lower()]
    if len(named) == 1:
        return named[0]["schedule_id"]
    known = ", ".join(f"{s['name']} ({s['schedule_id']})" for s in items) or "none"
    raise RemoteError(f"no schedule {ref!r} (schedules: {known})", field="schedule", value=ref)


def _line(s: dict[str, Any]) -> str:
    last = s.get("last_run") or {}
    last_text = (
        f"last {last['planned_at'][:16]} {last.get('job_status') or last['state']}"
        if last
        else "never ran"
    )
    state = "enabled" if s["enabled"] else "paused"
    nxt = (s.get("next_run_at") or "—")[:16]
    flag = "  PROBLEM: " + s["problem"] if s.get("problem") else ""
    return (
        f"{s['schedule_id']}  {state:<7} {s['cron']:<15} {s['timezone']:<18} next {nxt}  "
        f"{last_text:<32} {s['name']}{flag}"
    )


def _cmd_list(args) -> int:
    with _client(args) as client:
        answer = client.json("GET", "/schedules")
    if args.json:
        print(json.dumps(answer, indent=2))
    else:
        for s in answer["schedules"]:
            print(_line(s))
        print(f"{answer['total']} schedule(s)", file=sys.stderr)
    return EXIT_OK


def _cmd_add(args) -> int:
    request = load_request(args.request)
    job_type = JobType(args.type) if args.type else detect_job_type(request)
    body = {
        "name": args.name,
        "job_type": job_type.value,
        "request": request,
        "cron": args.cron,
        "timezone": args.tz,
        "catch_up": args.catch_up,
        "overlap": args.overlap,
        "enabled": not args.paused,
        "tags": args.tag or [],
        "owner": args.owner or "",
    }
    with _client(args) as client:
        s = client.json("POST", "/schedules", json=body)
    print(s["schedule_id"])
    print(_line(s), file=sys.stderr)
    return EXIT_OK


def _set_enabled(args, enabled: bool) -> int:
    with _client(args) as client:
        sid = _resolve(client, args.schedule)
        s = client.json("PATCH", f"/schedules/{sid}", json={"enabled": enabled})
    print(_line(s))
    return EXIT_OK


def _cmd_run(args) -> int:
    from batchcore.cli.remote import finish

    with _client(args) as client:
        sid = _resolve(client, args.schedule)
        answer = client.json("POST", f"/schedules/{sid}/run")
        print(answer["job_id"])
        print(f"schedule {sid}: {answer['message']}", file=sys.stderr)
        return finish(client, answer["job_id"], args)


def _cmd_rm(args) -> int:
    with _client(args) as client:
        sid = _resolve(client, args.schedule)
        answer = client.json("DELETE", f"/schedules/{sid}")
    print(f"{answer['message']}: {sid} (its jobs stay)")
    return EXIT_OK


def _cmd_notify_list(args) -> int:
    with _client(args) as client:
        answer = client.json("GET", "/notifications")
    if args.json:
        print(json.dumps(answer, indent=2))
        return EXIT_OK
    if answer["problem"]:
        print(f"error: notifications.yaml: {answer['problem']}", file=sys.stderr)
        return EXIT_ERROR
    for ch in answer["channels"]:
        print(f"{ch['name']:<20} {ch['type']:<8} {ch['target']}")
    print(f"{len(answer['channels'])} channel(s), {len(answer['rules'])} rule(s)", file=sys.stderr)
    return EXIT_OK


def _cmd_notify_test(args) -> int:
    with _client(args) as client:
        answer = client.json("POST", f"/notifications/channels/{args.channel}/test")
    if answer["status"] == "sent":
        print(f"test message sent to {answer['channel']} ({answer['outcome']})")
        return EXIT_OK
    print(f"test message to {answer['channel']} failed: {answer['error']}", file=sys.stderr)
    return EXIT_FAILED


def register(sub) -> None:
    from batchcore.cli.remote import _waiting

    common = _common()
    sched = sub.add_parser("schedule", help="list, add, pause, resume, run or remove schedules")
    ssub = sched.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)

    p = ssub.add_parser("list", parents=[common], help="every schedule with next and last run")
    p.add_argument("--json", action="store_true", help="print the API's JSON answer")
    p.set_defaults(func=_cmd_list)

    p = ssub.add_parser("add", parents=[common], help="save a job request as a schedule")
    p.add_argument("name", help="a unique name")
    p.add_argument("request", metavar="REQUEST.json", help="the job's JSON body (as for submit)")
    p.add_argument("--cron", required=True, help="5 fields, e.g. '0 6 * * 1-5'")
    p.add_argument("--tz", default="UTC", help="IANA time zone (default UTC)")
    p.add_argument(
        "--type", choices=[t.value for t in JobType], help="job type (default: from the request)"
    )
    p.add_argument("--catch-up", choices=["latest", "none"], default="latest")
    p.add_argument("--overlap", choices=["skip", "queue"], default="skip")
    p.add_argument("--tag", action="append", help="tag for its jobs (repeatable)")
    p.add_argument("--owner", help="who to ask about it (a note)")
    p.add_argument("--paused", action="store_true", help="save it paused")
    p.set_defaults(func=_cmd_add)

    for name, enabled, text in (
        ("pause", False, "stop firing"),
        ("resume", True, "fire again from the next planned time"),
    ):
        p = ssub.add_parser(name, parents=[common], help=text)
        p.add_argument("schedule", help="id or name")
        p.set_defaults(func=lambda a, e=enabled: _set_enabled(a, e))

    p = ssub.add_parser("run", parents=[common, _waiting()], help="create its job now")
    p.add_argument("schedule", help="id or name")
    p.set_defaults(func=_cmd_run)

    p = ssub.add_parser("rm", parents=[common], help="delete a schedule (its jobs stay)")
    p.add_argument("schedule", help="id or name")
    p.set_defaults(func=_cmd_rm)

    notify = sub.add_parser("notify", help="notification channels: list, send a test message")
    nsub = notify.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    p = nsub.add_parser("list", parents=[common], help="channels (no secrets) and rules")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_notify_list)
    p = nsub.add_parser("test", parents=[common], help="send a test message to a channel")
    p.add_argument("channel")
    p.set_defaults(func=_cmd_notify_test)
