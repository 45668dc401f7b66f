"""The background sender: evaluates finished jobs against the rules and delivers the messages.

Nothing here runs on a job's path: the executor hands the ids of finished jobs to
`jobs_finished()` (a queue append, from the store's writer thread after the commit), and this
module's own thread does the rest. Sends run on a small pool (SEND_THREADS), so a dead receiver
only holds its own delivery; each try is recorded; a retryable failure is tried again after the
executor's backoff rule (`RetryPolicy` with notifications.yaml's `delivery` settings) until
`max_attempts`. Pending deliveries are stored, so they are resumed after a restart; a job that
ended while the process was stopping is evaluated at the next start (RESCAN_WINDOW).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import secrets
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from batchcore.errors import ConfigError
from batchcore.executor import RetryPolicy
from batchcore.notify import channels
from batchcore.notify.config import ConfigCache, NotificationsConfig
from batchcore.notify.message import build_message, job_events, rule_matches
from batchcore.store import notifications as nq
from batchcore.store import schedules as sq
from batchcore.timeutil import utcnow, utcnow_naive

if TYPE_CHECKING:
    from batchcore.engine import Engine

log = logging.getLogger("batchcore.notify")

SEND_THREADS = 4
RESCAN_WINDOW = timedelta(hours=24)


def new_delivery_id() -> str:
    return f"dlv-{secrets.token_hex(8)}"


class Notifier:
    """Evaluates and delivers notifications for `engine` (see module doc). Thread-safe."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.config_cache = ConfigCache()
        self._cond = threading.Condition()
        self._jobs: deque[str] = deque()
        self._due: list[tuple[float, int, dict[str, Any]]] = []
        self._seq = itertools.count()
        self._stopping = False
        self._config_error: str | None = None
        self._busy = 0  # jobs being evaluated and deliveries being sent now
        self.pool = ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="batch-notify")
        self._thread = threading.Thread(target=self._loop, name="batch-notifier", daemon=True)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Resume stored pending deliveries, queue jobs whose end was never evaluated, start."""
        self.engine.store.call(nq.PruneOrphans())
        with self.engine.store.reader() as cur:
            pending = nq.pending_deliveries(cur)
            missed = nq.unevaluated_jobs(cur, RESCAN_WINDOW, utcnow_naive())
        now_wall, now_mono = utcnow(), time.monotonic()
        with self._cond:
            for d in pending:
                wait = 0.0
                if d["next_attempt_at"] is not None:
                    wait = max(0.0, (d["next_attempt_at"] - now_wall).total_seconds())
                heapq.heappush(self._due, (now_mono + wait, next(self._seq), d))
            self._jobs.extend(missed)
        self._thread.start()

    def stop(self) -> None:
        """Stop sending (pending deliveries stay stored and resume at the next start)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def jobs_finished(self, job_ids: list[str]) -> None:
        """Queue finished jobs for evaluation (never blocks; safe from any thread)."""
        with self._cond:
            self._jobs.extend(job_ids)
            self._cond.notify_all()

    def idle(self) -> bool:
        """Nothing queued, nothing due or waiting for a retry (for tests and shutdown)."""
        with self._cond:
            return not self._jobs and not self._due and not self._busy

    # ------------------------------------------------------------ config
    def config(self) -> NotificationsConfig:
        """The workspace's notifications.yaml. Raises ConfigError for a bad file."""
        return self.config_cache.get(self.engine.settings.workspace)

    def config_error(self) -> str | None:
        """The last problem found in notifications.yaml (None when it reads fine)."""
        try:
            self.config()
            return None
        except ConfigError as exc:
            return exc.message

    def policy(self, cfg: NotificationsConfig) -> RetryPolicy:
        return RetryPolicy(base_s=cfg.delivery.backoff_s, cap_s=cfg.delivery.backoff_cap_s)

    # ------------------------------------------------------------ thread
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._jobs and not self._ready():
                    timeout = (
                        0.5 if not self._due else max(0.001, self._due[0][0] - time.monotonic())
                    )
                    self._cond.wait(min(timeout, 0.5))
                if self._stopping:
                    return
                jobs = list(self._jobs)
                self._jobs.clear()
                due = []
                while self._ready():
                    due.append(heapq.heappop(self._due)[2])
                self._busy += len(jobs) + len(due)
            for job_id in jobs:
                if self._stopping:  # the store closes after stop(): leave the rest unevaluated
                    self._done()
                    continue
                queued = False  # its record is queued: the writer's callback calls _done
                try:
                    queued = self._evaluate(job_id)
                except Exception:
                    log.exception("notifications for job %s could not be evaluated", job_id)
                finally:
                    if not queued:
                        self._done()
            for d in due:
                try:
                    self.pool.submit(self._attempt, d)
                except RuntimeError:  # pool shut down: stopping; the delivery stays pending
                    self._done()

    def _ready(self) -> bool:
        return bool(self._due) and self._due[0][0] <= time.monotonic()

    def _done(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()

    # ------------------------------------------------------------ evaluate
    def _evaluate(self, job_id: str) -> bool:
        """Evaluate a finished job's rules; True when its record was queued to the writer."""
        try:
            cfg = self.config()
        except ConfigError as exc:
            if exc.message != self._config_error:
                log.error(
                    "notifications are off until notifications.yaml is fixed: %s", exc.message
                )
            self._config_error = exc.message
            return False
        self._config_error = None
        with self.engine.store.reader() as cur:
            job = nq.job_facts(cur, job_id)
            if job is None or job["status"] not in nq.TERMINAL or job["finished_at"] is None:
                return False
            run = sq.run_of_job(cur, job_id)
            schedule = None
            previous = None
            if run is not None:
                sch = sq.get_schedule(cur, run["schedule_id"])
                schedule = {
                    "schedule_id": run["schedule_id"],
                    "name": sch["name"] if sch else None,
                    "planned_at": run["planned_at"],
                }
                previous = sq.previous_outcome(cur, run["schedule_id"], run["planned_at"])
            checks, failed_checks = nq.worst_checks(cur, job_id)
            anomalies = nq.anomalous_checks(cur, job_id)
        events = job_events(job["status"], job["counts"]["could_not_run"], previous, anomalies)
        wanted: dict[str, list[str]] = {}
        for i, rule in enumerate(cfg.rules):
            if rule_matches(rule, job, events, schedule):
                for ch in rule.channels:
                    wanted.setdefault(ch, []).append(rule.name or f"rule {i + 1}")
        deliveries = []
        if wanted:
            message = build_message(
                job,
                events,
                checks,
                failed_checks,
                schedule,
                self.engine.settings.base_url,
                anomalies,
            )
            for ch, rules in wanted.items():
                deliveries.append(
                    {
                        "delivery_id": new_delivery_id(),
                        "job_id": job_id,
                        "channel": ch,
                        "channel_type": cfg.channels[ch].type,
                        "event": message["event"],
                        "rules": rules,
                        "max_attempts": cfg.delivery.max_attempts,
                        "message": message,
                        "attempts": 0,
                    }
                )

        def recorded(fresh: Any, exc: BaseException | None) -> None:  # on the writer thread
            try:
                if exc is not None:
                    log.error("notifications for job %s could not be recorded: %s", job_id, exc)
                elif fresh and deliveries:
                    with self._cond:
                        for d in deliveries:
                            heapq.heappush(self._due, (time.monotonic(), next(self._seq), d))
                        self._cond.notify_all()
            finally:
                self._done()

        # queued, not waited for: the evaluations of many finished jobs share the writer's
        # commits (one commit per job made many small jobs pay a commit each, issue 13 §3)
        self.engine.store.submit(
            nq.RecordEvaluation(job_id, job["finished_at"], [e.value for e in events], deliveries),
            callback=recorded,
        )
        return True

    # ------------------------------------------------------------ deliver
    def _attempt(self, d: dict[str, Any]) -> None:
        try:
            self._attempt_once(d, retry=True)
        except Exception:
            log.exception("delivery %s failed unexpectedly", d["delivery_id"])
        finally:
            self._done()

    def _attempt_once(self, d: dict[str, Any], *, retry: bool) -> dict[str, Any]:
        """One try of delivery `d`, recorded. Returns {"status", "outcome" | "error"}."""
        attempt = d["attempts"] + 1
        started = utcnow()
        t0 = time.perf_counter()
        next_at = None
        try:
            cfg = self.config()
            channel = cfg.channels.get(d["channel"])
            if channel is None:
                raise channels.DeliveryFailed(
                    f"channel {d['channel']!r} is no longer in notifications.yaml", retryable=False
                )
            outcome = channels.send(
                channel, d["message"], where=f"notifications.yaml: channels.{d['channel']}"
            )
            status, error = "sent", None
        except ConfigError as exc:
            outcome, status, error = None, "failed", exc.message
        except channels.DeliveryFailed as exc:
            outcome, error = None, exc.message
            status = "failed"
            if retry and exc.retryable and attempt < d["max_attempts"]:
                delay = self.policy(self.config_cache.get(self.engine.settings.workspace)).delay(
                    attempt
                )
                next_at = started + timedelta(seconds=delay)
                status = "retry"
        dur = (time.perf_counter() - t0) * 1000.0
        self.engine.store.call(
            nq.RecordAttempt(d["delivery_id"], attempt, started, dur, status, error, next_at)
        )
        if status == "retry":
            log.info(
                "notification %s to %s: try %d failed (%s); next in %.1f s",
                d["delivery_id"],
                d["channel"],
                attempt,
                error,
                (next_at - started).total_seconds(),
            )
            with self._cond:
                heapq.heappush(
                    self._due,
                    (
                        time.monotonic() + (next_at - started).total_seconds(),
                        next(self._seq),
                        {**d, "attempts": attempt},
                    ),
                )
                self._cond.notify_all()
        elif status == "failed":
            log.warning(
                "notification %s to %s failed for good: %s", d["delivery_id"], d["channel"], error
            )
        return {"status": status, "outcome": outcome, "error": error, "attempt": attempt}

    def send_test(self, channel: str) -> dict[str, Any]:
        """Send a test message to `channel` now (one try, recorded). Returns {"delivery_id",
        "status": sent | failed, "outcome", "error"}. Raises ConfigError (bad file), NotFound."""
        from batchcore.errors import NotFound
        from batchcore.notify.message import test_message

        cfg = self.config()
        if channel not in cfg.channels:
            known = (
                ", ".join(sorted(cfg.channels)) or "none: add notifications.yaml to the workspace"
            )
            raise NotFound(
                f"no notification channel {channel!r} (channels: {known})",
                field="channel",
                value=channel,
            )
        d = {
            "delivery_id": new_delivery_id(),
            "job_id": None,
            "channel": channel,
            "channel_type": cfg.channels[channel].type,
            "event": "test",
            "rules": [],
            "max_attempts": 1,
            "message": test_message(channel, self.engine.settings.base_url),
            "attempts": 0,
        }
        self.engine.store.call(nq.InsertDelivery(d))
        res = self._attempt_once(d, retry=False)
        return {"delivery_id": d["delivery_id"], "channel": channel, **res}
