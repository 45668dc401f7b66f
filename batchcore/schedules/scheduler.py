"""The scheduler: a thread of the engine that turns due planned times into ordinary jobs.

Each `tick()` (about once a second, or sooner when a schedule changes) looks at every enabled
schedule: the latest planned time at or before now that is after the schedule's cursor is due.

- Catch-up: if planned times were missed (the app was down), `catch_up: latest` runs one job
  for the latest of them; `none` runs nothing when the latest is more than MISFIRE_GRACE late
  (recorded as a skipped run that says how many were missed). Never a burst.
- Overlap: while the schedule's previous job is active, `skip` records the planned time as
  skipped with the reason; `queue` keeps it waiting (one at most) and creates its job when the
  previous one ends.
- Exactly once: the run `(schedule_id, planned_at)` is recorded with its future job id first
  (the primary key refuses a second record), then the job is created under that id, then the run
  is marked created. A crash in between is repaired by `recover()` at start: the same job id
  is created if it is missing. (`on_planned`, a test hook, is called between the two steps.)
- A request that no longer validates creates a job that failed with the reason (it could not
  run) and flags the schedule; the scheduler goes on.

The clock is injectable: `clock()` returns an aware datetime (tests pass a fake one and call
`tick()` themselves instead of starting the thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from batchcore.errors import BatchError
from batchcore.schedules.cron import CronSchedule
from batchcore.schedules.model import CatchUp, Overlap
from batchcore.store import schedules as q
from batchcore.timeutil import to_db

if TYPE_CHECKING:
    from batchcore.engine import Engine

log = logging.getLogger("batchcore.scheduler")

Clock = Callable[[], datetime]
MISFIRE_GRACE = timedelta(seconds=60)  # later than this after its planned time, a run was "missed"
MAX_SLEEP_S = 30.0  # re-read the schedules at least this often (a clock change, a new schedule)
MISSED_COUNT_LIMIT = 10_000


def system_clock() -> datetime:
    """Now, aware UTC."""
    return datetime.now(UTC)


class Scheduler:
    """Fires due schedules of `engine` (see module doc). Thread-safe; `tick()` is serialised."""

    def __init__(self, engine: Engine, clock: Clock | None = None):
        self.engine = engine
        self.clock = clock or system_clock
        self.on_planned: Callable[[dict[str, Any]], None] | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="batch-schedules", daemon=True)

    # ------------------------------------------------------------ thread
    def start(self) -> None:
        """Repair runs left half-done by a crash, then start the thread."""
        self.recover()
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def wake(self) -> None:
        """Re-read the schedules now (one was created, changed or resumed)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping:
            try:
                wait = self.tick()
            except Exception:  # one bad tick must not end the scheduler
                log.exception("scheduler tick failed")
                wait = 5.0
            self._wake.wait(max(0.01, min(MAX_SLEEP_S, wait)))
            self._wake.clear()

    # ------------------------------------------------------------ the work
    def tick(self, now: datetime | None = None) -> float:
        """Fire what is due at `now` (default: the clock). Returns seconds until the next
        planned time of any enabled schedule (MAX_SLEEP_S when there is none)."""
        with self._lock:
            now = now or self.clock()
            with self.engine.store.reader() as cur:
                schedules = q.list_schedules(cur, enabled_only=True)
            next_due: datetime | None = None
            for sch in schedules:
                try:
                    self._promote_queued(sch)
                    self._fire_due(sch, now)
                    nxt = CronSchedule(sch["cron"], sch["timezone"]).next_after(
                        max(now, sch["cursor_at"])
                    )
                    next_due = nxt if next_due is None else min(next_due, nxt)
                except Exception:
                    log.exception(
                        "schedule %s (%s) could not be handled", sch["schedule_id"], sch["name"]
                    )
            if next_due is None:
                return MAX_SLEEP_S
            return max(0.0, (next_due - now).total_seconds())

    def _fire_due(self, sch: dict[str, Any], now: datetime) -> None:
        cron = CronSchedule(sch["cron"], sch["timezone"])
        latest = cron.latest_at_or_before(now)
        cursor = sch["cursor_at"]
        if latest is None or latest <= cursor:
            return
        sid, catch_up = sch["schedule_id"], sch["catch_up"]
        missed = len(cron.between(cursor, latest - timedelta(microseconds=1), MISSED_COUNT_LIMIT))
        late = now - latest > MISFIRE_GRACE
        note = None
        if missed or late:
            first = cron.next_after(cursor)
            what = (
                f"{missed + (1 if late else 0)} planned time(s) from {first:%Y-%m-%d %H:%M} UTC "
                "were missed while the scheduler was not running"
            )
            if catch_up == CatchUp.NONE.value and late:
                self._record(sid, latest, q.SKIPPED, f"{what} (catch_up: none)")
                return
            note = (
                f"{what} and were not run (catch_up: none)"
                if catch_up == CatchUp.NONE.value
                else f"{what}; this one run stands for them (catch_up: latest)"
            )
        with self.engine.store.reader() as cur:
            busy = q.active_runs(cur, sid)
        if busy:
            queued = [r for r in busy if r["state"] == q.QUEUED]
            held = next((r for r in busy if r["state"] != q.QUEUED), busy[0])
            why = (
                f"previous job {held['job_id']} is still {held['job_status']}"
                if held["job_status"]
                else f"the run planned for {held['planned_at']:%Y-%m-%d %H:%M} UTC is still {held['state']}"
            )
            if sch["overlap"] == Overlap.QUEUE.value and not queued:
                self._record(sid, latest, q.QUEUED, f"waiting: {why} (overlap: queue)")
            elif queued:
                self._record(
                    sid,
                    latest,
                    q.SKIPPED,
                    f"the run planned for {queued[0]['planned_at']:%Y-%m-%d %H:%M} UTC is already "
                    f"waiting behind job {held['job_id']} (overlap: queue)",
                )
            else:
                self._record(sid, latest, q.SKIPPED, f"{why} (overlap: skip)")
            return
        self._plan_and_create(sch, latest, "cron", note, advance=True)

    def _promote_queued(self, sch: dict[str, Any]) -> None:
        """Create the job of the schedule's waiting run once its previous job has ended."""
        with self.engine.store.reader() as cur:
            busy = q.active_runs(cur, sch["schedule_id"])
        queued = [r for r in busy if r["state"] == q.QUEUED]
        if not queued or len(busy) > len(queued):
            return
        run = queued[-1]  # the oldest waiting run
        job_id = self.engine.new_job_id()
        if self.engine.store.call(
            q.MoveRun(sch["schedule_id"], run["planned_at"], q.QUEUED, q.PLANNED, job_id=job_id)
        ):
            self._create(sch, {**run, "state": q.PLANNED, "job_id": job_id})

    def _record(self, sid: str, planned: datetime, state: str, reason: str) -> None:
        """Record a cron run without a job (skipped or queued) and move the cursor past it."""
        self.engine.store.call(
            q.RecordRun(sid, planned, trigger="cron", state=state, job_id=None, reason=reason)
        )

    def _plan_and_create(
        self,
        sch: dict[str, Any],
        planned: datetime,
        trigger: str,
        note: str | None,
        *,
        advance: bool,
    ) -> dict[str, Any]:
        """Record the run with its job id, then create the job. Returns the run."""
        inserted, run = self.engine.store.call(
            q.RecordRun(
                sch["schedule_id"],
                planned,
                trigger=trigger,
                state=q.PLANNED,
                job_id=self.engine.new_job_id(),
                reason=note,
                advance=advance,
            )
        )
        if not inserted:  # recorded before (a second tick at the same time): never a second job
            return run
        if self.on_planned is not None:
            self.on_planned(run)
        self._create(sch, run)
        return run

    def _create(self, sch: dict[str, Any], run: dict[str, Any]) -> None:
        """Create the run's job under its recorded id (a failed job when the request is refused)
        and mark the run created. Safe to repeat: an existing job is not created again."""
        job_id = run["job_id"]
        with self.engine.store.reader() as cur:
            exists = q.job_exists(cur, job_id)
        if not exists:
            try:
                self.engine.submit_scheduled(sch, job_id)
                problem = None
            except BatchError as exc:
                problem = (
                    exc.message
                    if not exc.field or exc.field in exc.message
                    else f"{exc.field}: {exc.message}"
                )
                log.warning("schedule %s: planned job refused: %s", sch["schedule_id"], problem)
                self.engine.store_refused_job(sch, job_id, problem, type(exc).__name__)
            self.engine.store.call(q.SetProblem(sch["schedule_id"], problem))
        self.engine.store.call(
            q.MoveRun(sch["schedule_id"], run["planned_at"], q.PLANNED, q.CREATED)
        )

    def recover(self) -> int:
        """Finish runs that were planned but whose job was not (fully) created when the process
        stopped. Returns how many runs were repaired."""
        with self._lock:
            with self.engine.store.reader() as cur:
                half = q.runs_in_state(cur, q.PLANNED)
                schedules = {s["schedule_id"]: s for s in q.list_schedules(cur)}
            done = 0
            for run in half:
                sch = schedules.get(run["schedule_id"])
                if sch is None or run["job_id"] is None:
                    self.engine.store.call(
                        q.MoveRun(
                            run["schedule_id"],
                            run["planned_at"],
                            q.PLANNED,
                            q.SKIPPED,
                            reason="the schedule was deleted before its job was created",
                        )
                    )
                    continue
                log.warning(
                    "schedule %s: run planned for %s had no job after a restart; creating job %s",
                    sch["schedule_id"],
                    run["planned_at"],
                    run["job_id"],
                )
                self._create(sch, run)
                done += 1
            return done

    def run_now(self, schedule_id: str) -> dict[str, Any]:
        """Create the schedule's job now (a manual run: the overlap policy does not apply and the
        cron cursor does not move). Returns the run. Raises NotFound."""
        from batchcore.errors import NotFound

        with self._lock:
            with self.engine.store.reader() as cur:
                sch = q.get_schedule(cur, schedule_id)
            if sch is None:
                raise NotFound(
                    f"schedule {schedule_id} not found", field="schedule_id", value=schedule_id
                )
            planned = self.clock().astimezone(UTC)
            return self._plan_and_create(sch, planned, "manual", "run now", advance=False)


def initial_cursor(now: datetime) -> datetime:
    """Where a new (or resumed) schedule starts: planned times after `now` only."""
    return to_db(now).replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
