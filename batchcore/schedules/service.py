"""Engine methods for schedules (mixed into `batchcore.engine.Engine`): what the API, the CLI and
the pages call. Every read and write goes through `batchcore.store.schedules`.

A schedule's request is checked when it is saved (the strict request model, then planned
against the workspace, so a typo is a 422 naming `request.<field>`), and again each time it
fires (the workspace may have changed since: then the job fails with the reason).
Jobs it creates get the schedule's tags and the tag `schedule:<schedule_id>`.
"""

from __future__ import annotations

import secrets
from datetime import UTC
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from batchcore.errors import BatchError, NotFound, RequestError, validation_error
from batchcore.models import REQUEST_MODELS, JobCreateResponse, JobOptions, JobType
from batchcore.planning import plan_job
from batchcore.schedules.cron import CronSchedule
from batchcore.schedules.model import (
    RunView,
    ScheduleCreate,
    ScheduleDetail,
    SchedulePatch,
    ScheduleRunResponse,
    ScheduleView,
)
from batchcore.store import schedules as q

if TYPE_CHECKING:
    from batchcore.schedules.scheduler import Scheduler
    from batchcore.store import Store
    from batchcore.workspace import Workspace

MAX_JOB_TAGS = 20


def schedule_tag(schedule_id: str) -> str:
    """The tag every job of a schedule carries (Job History can filter on it)."""
    return f"schedule:{schedule_id}"


def new_schedule_id() -> str:
    """`sch-` and 8 hex digits."""
    return f"sch-{secrets.token_hex(4)}"


def _request_error(exc: BatchError | ValidationError) -> RequestError:
    """The error of a saved request, its field under `request.`."""
    if isinstance(exc, ValidationError):
        return validation_error(exc, prefix="request.")
    field = f"request.{exc.field}" if exc.field else "request"
    text = exc.message
    if exc.field and text.startswith(exc.field):
        text = text[len(exc.field) :].lstrip(": ")
    return RequestError(f"{field}: {text}", field=field, value=exc.value)


def job_request(
    job_type: JobType | str, request: dict[str, Any], schedule_id: str, tags: list[str]
) -> JobOptions:
    """The job request a schedule fires: its saved body plus the schedule's tags and tag.
    Raises RequestError naming `request.<field>`."""
    if not isinstance(request, dict):
        raise RequestError("request: must be a JSON object", field="request", value=request)
    merged = list(dict.fromkeys([*(request.get("tags") or []), *tags, schedule_tag(schedule_id)]))
    if len(merged) > MAX_JOB_TAGS:
        raise RequestError(
            f"tags: a job has at most {MAX_JOB_TAGS} tags, and the request's tags, the schedule's "
            f"and `{schedule_tag(schedule_id)}` make {len(merged)}",
            field="tags",
            value=len(merged),
        )
    try:
        return REQUEST_MODELS[JobType(job_type)].model_validate({**request, "tags": merged})
    except ValidationError as exc:
        raise _request_error(exc) from None


class ScheduleMethods:
    """Schedule methods of the Engine (needs `store`, `scheduler`, `workspace()`, `submit`)."""

    store: Store
    scheduler: Scheduler

    def workspace(self) -> Workspace: ...  # provided by Engine

    # ------------------------------------------------------------ checks
    def _check_schedule(self, sid: str, fields: dict[str, Any]) -> None:
        cron = CronSchedule(fields["cron"], fields["timezone"])  # RequestError: cron / timezone
        try:
            cron.next_after(self.scheduler.clock())
        except RuntimeError:
            raise RequestError(
                f"cron: {fields['cron']!r} never fires (no such date)",
                field="cron",
                value=fields["cron"],
            ) from None
        model = job_request(fields["job_type"], fields["request"], sid, fields["tags"])
        try:
            plan_job(JobType(fields["job_type"]), model, self.workspace())
        except BatchError as exc:
            raise _request_error(exc) from None

    def _view(self, row: dict[str, Any], last: dict[str, Any] | None) -> dict[str, Any]:
        nxt = None
        if row["enabled"]:
            now = self.scheduler.clock()
            nxt = CronSchedule(row["cron"], row["timezone"]).next_after(max(now, row["cursor_at"]))
        return {
            **{k: v for k, v in row.items() if k != "cursor_at"},
            "next_run_at": nxt,
            "last_run": RunView(**last) if last else None,
        }

    # ------------------------------------------------------------ API
    def create_schedule(self, body: ScheduleCreate | dict[str, Any]) -> ScheduleView:
        """Save a schedule. Raises RequestError (bad cron, zone or request: 422 naming the
        field), Conflict (name taken)."""
        if isinstance(body, dict):
            try:
                body = ScheduleCreate.model_validate(body)
            except ValidationError as exc:
                raise validation_error(exc) from None
        sid = new_schedule_id()
        fields = body.model_dump(mode="json")
        fields["cron"] = CronSchedule(fields["cron"], fields["timezone"]).expr
        fields["timezone"] = fields["timezone"].strip()
        self._check_schedule(sid, fields)
        row = {**fields, "schedule_id": sid, "cursor_at": self.scheduler.clock().astimezone(UTC)}
        self.store.call(q.InsertSchedule(row))
        self.scheduler.wake()
        return self.get_schedule(sid, runs=0)

    def list_schedules(self) -> list[ScheduleView]:
        """Every schedule (by name) with its next planned time and last run."""
        with self.store.reader() as cur:
            rows = q.list_schedules(cur)
            last = q.last_runs(cur)
        return [ScheduleView(**self._view(r, last.get(r["schedule_id"]))) for r in rows]

    def get_schedule(self, schedule_id: str, *, runs: int = 50) -> ScheduleDetail:
        """One schedule with its latest `runs` runs (newest first). Raises NotFound."""
        with self.store.reader() as cur:
            row = q.get_schedule(cur, schedule_id)
            if row is None:
                raise NotFound(
                    f"schedule {schedule_id} not found", field="schedule_id", value=schedule_id
                )
            history = q.runs(cur, schedule_id, limit=max(runs, 1))
        last = next((r for r in history if r["state"] != q.SKIPPED), None)
        return ScheduleDetail(**self._view(row, last), runs=[RunView(**r) for r in history[:runs]])

    def update_schedule(
        self, schedule_id: str, patch: SchedulePatch | dict[str, Any]
    ) -> ScheduleView:
        """Change a schedule. A new cron, time zone, or a resume starts from now (planned times
        before are not caught up). Raises NotFound, RequestError, Conflict."""
        if isinstance(patch, dict):
            try:
                patch = SchedulePatch.model_validate(patch)
            except ValidationError as exc:
                raise _request_error(exc) from None
        changes = patch.model_dump(mode="json", exclude_unset=True)
        changes = {k: v for k, v in changes.items() if v is not None}
        current = self.get_schedule(schedule_id, runs=0).model_dump(mode="json")
        merged = {**current, **changes}
        if "cron" in changes:
            changes["cron"] = merged["cron"] = CronSchedule(merged["cron"], merged["timezone"]).expr
        if changes.keys() & {"cron", "timezone", "request", "job_type", "tags"}:
            self._check_schedule(schedule_id, merged)
        restart = ("cron" in changes and changes["cron"] != current["cron"]) or (
            "timezone" in changes and changes["timezone"] != current["timezone"]
        )
        if restart or (changes.get("enabled") and not current["enabled"]):
            changes["cursor_at"] = self.scheduler.clock().astimezone(UTC)
        if changes.keys() & {"request", "job_type"}:
            changes["problem"] = None  # a fixed request: the next run tells again
        self.store.call(q.UpdateSchedule(schedule_id, changes))
        self.scheduler.wake()
        return self.get_schedule(schedule_id, runs=0)

    def pause_schedule(self, schedule_id: str) -> ScheduleView:
        """Stop firing (planned times while paused are never run). Raises NotFound."""
        return self.update_schedule(schedule_id, {"enabled": False})

    def resume_schedule(self, schedule_id: str) -> ScheduleView:
        """Fire again, from the next planned time after now. Raises NotFound."""
        return self.update_schedule(schedule_id, {"enabled": True})

    def delete_schedule(self, schedule_id: str) -> dict[str, Any]:
        """Delete a schedule; the jobs it created stay. Raises NotFound."""
        self.store.call(q.DeleteSchedule(schedule_id))
        return {"status": "success", "message": "Schedule deleted", "schedule_id": schedule_id}

    def run_schedule(self, schedule_id: str) -> ScheduleRunResponse:
        """Create the schedule's job now (even while paused, even if its last job still runs).
        Raises NotFound."""
        run = self.scheduler.run_now(schedule_id)
        with self.store.reader() as cur:
            done = q.get_run(cur, schedule_id, run["planned_at"])
        return ScheduleRunResponse(
            schedule_id=schedule_id,
            job_id=run["job_id"],
            planned_at=run["planned_at"],
            message=(
                "job created"
                if done and done["job_status"] != "failed"
                else "job created; it failed at once: the schedule's request no longer validates"
            ),
        )

    def schedule_of_job(self, job_id: str) -> dict[str, Any] | None:
        """{"schedule_id", "name" (None if deleted), "planned_at", "trigger"} of a job a
        schedule created, else None."""
        with self.store.reader() as cur:
            run = q.run_of_job(cur, job_id)
            if run is None:
                return None
            sch = q.get_schedule(cur, run["schedule_id"])
        return {
            "schedule_id": run["schedule_id"],
            "name": sch["name"] if sch else None,
            "planned_at": run["planned_at"],
            "trigger": run["trigger"],
        }

    # ------------------------------------------------------------ used by the scheduler
    def new_job_id(self) -> str:
        """A fresh job id (UUIDv7), chosen before the job is stored."""
        from batchcore.engine import new_job_id

        return new_job_id()

    def submit_scheduled(self, sch: dict[str, Any], job_id: str) -> JobCreateResponse:
        """Validate, plan and start the schedule's job under `job_id`. Raises BatchError."""
        model = job_request(sch["job_type"], sch["request"], sch["schedule_id"], sch["tags"])
        return self.submit(sch["job_type"], model, job_id=job_id)  # type: ignore[attr-defined]

    def store_refused_job(
        self, sch: dict[str, Any], job_id: str, reason: str, error_type: str
    ) -> None:
        """Store the failed job of a run whose request was refused (the reason is its error)."""
        req = sch["request"] if isinstance(sch["request"], dict) else {}
        job = {
            "job_id": job_id,
            "job_type": sch["job_type"],
            "name": str(req.get("job_name") or sch["name"])[:200],
            "description": str(req.get("description") or "")[:2000],
            "project_id": req.get("project_id") if isinstance(req.get("project_id"), str) else None,
            "tags": list(dict.fromkeys([*sch["tags"], schedule_tag(sch["schedule_id"])])),
            "request": req,
            "schedule_id": sch["schedule_id"],
            "op_key": self.store.allocate_op_keys(1)[0],
        }
        self.store.run_now(
            q.CreateRefusedJob(job, f"the schedule's request was refused: {reason}", error_type)
        )
        self.notify_jobs_finished([job_id])  # type: ignore[attr-defined]
