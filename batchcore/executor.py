"""The executor: one global thread pool shared by all jobs, and the lifecycle of every attempt.

Scheduling rules (DESIGN §4):
- at most `max_workers` operation threads run at once across all jobs — a thread abandoned by a
  force cancel or a timeout keeps its slot until it really returns;
- a job runs at most `max_parallel` operations at once (`parallel_execution=false`: one at a
  time, strictly in the given order);
- `stop_on_error`: after the first operation fails for good, pending ones are skipped;
- cancel wins: once requested, nothing more starts and no retry fires;
- an operation that raised is retried with exponential backoff and jitter while attempts
  remain (`max_attempts = 1 + max_retries`); a failed *result* is not retried;
- a failed operation carries `failure_kind` (DESIGN §12): the handler's when it returned a
  failed outcome, `error` when it raised or timed out (`batchcore.outcome`);
- per-operation `timeout_s`;
- an attempt that never reports (its Dask worker died, the scheduler was lost) is recorded
  `interrupted` and runs again, bounded like crash recovery (`store.recovery`).

Where an attempt runs is the backend's business (`batchcore.backends`: this process's threads,
or a Dask cluster); every rule above is applied here, in the app process, on both.

The executor keeps an in-memory view of active jobs for scheduling; the job store is the truth
for everything shown, and every state change reaches it as a compare-and-set command through the
store's single writer. Claims (pending → running) are batched and committed before a handler
starts; results are queued to the writer without blocking the worker thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from batchcore.backends import AttemptLost, RemoteOperationError, ThreadBackend
from batchcore.errors import NotFound, OperationCancelled, as_batch_error
from batchcore.models import AttemptStatus as A
from batchcore.models import FailureKind
from batchcore.models import OperationStatus as O
from batchcore.operations import get_handler
from batchcore.operations.base import OperationContext, OperationOutcome
from batchcore.store import Store
from batchcore.store.commands import (
    CancelJob,
    Claim,
    ClaimOps,
    FinalizeJobs,
    Finish,
    FinishOps,
    SetProgress,
    SkipOps,
)
from batchcore.store.recovery import MAX_INTERRUPTIONS, InterruptOp, Recover, after_interruption
from batchcore.store.runs import job_schedule
from batchcore.timeutil import utcnow_naive

log = logging.getLogger("batchcore.executor")

RECONCILE_EVERY_S = 30.0  # how often the store is checked for operations without a thread
ORPHAN_NOTE = (
    "no thread was running it (its result could not be recorded in the job store); it runs again"
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with "equal jitter": delay n is uniform in [d/2, d] where
    d = min(cap_s, base_s × 2^(n−1)) (AWS Architecture Blog, "Exponential Backoff and Jitter")."""

    base_s: float = 1.0
    cap_s: float = 60.0

    def delay(self, attempt: int) -> float:
        d = min(self.cap_s, self.base_s * (2 ** max(0, attempt - 1)))
        return d / 2 + random.random() * d / 2


@dataclass
class OpRun:
    """In-memory state of one operation of an active job."""

    op_key: int
    operation_id: str
    seq: int
    kind: str
    spec: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    attempt: int | None = None
    started_at: Any = None
    started_mono: float = 0.0
    deadline: float | None = None
    ctx: OperationContext | None = None
    due: float = 0.0  # monotonic time before which a retry must not start
    interruptions: int = 0  # attempts that never reported (crash, lost worker)


@dataclass
class JobRun:
    """In-memory state of one active job."""

    job_id: str
    parallel: bool
    max_parallel: int
    stop_on_error: bool
    timeout_s: float | None
    ops: list[OpRun]
    cancel_requested: bool = False
    cancel_force: bool = False
    cancel_deadline: float | None = None
    stopped: bool = False
    ready: deque = field(default_factory=deque)  # pending OpRuns ready to start, in order
    delayed: list = field(default_factory=list)  # heap of (due, seq, OpRun) waiting for backoff
    active: int = 0  # live threads of this job (abandoned ones included)
    remaining: int = 0  # operations not terminal
    order: int = 0

    @property
    def lanes(self) -> int:
        return self.max_parallel if self.parallel else 1


class Executor:
    """Schedules operations of active jobs onto one shared pool. Thread-safe.

    `store`: the job store; `max_workers`: global pool size; `workspace_root`: handed to
    handlers; `cancel_timeout_s`: how long a graceful cancel waits before forcing.
    """

    def __init__(
        self,
        store: Store,
        *,
        max_workers: int = 10,
        workspace_root: Path | None = None,
        cancel_timeout_s: float = 60.0,
        retry_policy: RetryPolicy | None = None,
        handler_lookup: Callable[[str], Callable] = get_handler,
        staging_dir: Path | None = None,
        on_jobs_finished: Callable[[list[str]], None] | None = None,
        backend: Any = None,
    ):
        self.store = store
        self.staging_dir = staging_dir
        # check history for learned alert bands (batchcore.validation.anomaly), given to every
        # attempt as ctx.history; the engine sets it (None: bands stay learning)
        self.history_source = None
        self.max_workers = max_workers
        self.workspace_root = workspace_root
        self.cancel_timeout_s = cancel_timeout_s
        self.retry_policy = retry_policy or RetryPolicy()
        self.get_handler = handler_lookup
        # where attempts run (batchcore.backends); started and closed by its owner (the engine)
        self.backend = backend or ThreadBackend(handler_lookup)
        # called with the ids of jobs that ended, after their final status is committed (on the
        # store's writer thread: it must not block)
        self.on_jobs_finished = on_jobs_finished
        self.pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="batch-op")
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.jobs: dict[str, JobRun] = {}
        self.running_ops: dict[int, tuple[JobRun, OpRun]] = {}  # status running in memory
        self.busy = 0  # live operation threads (abandoned ones included)
        self.alive: set[int] = set()  # op_keys whose thread has not returned yet
        self.max_busy_seen = 0
        self.max_backlog = 20000  # queued store commands above which no new attempt starts
        self._order = itertools.count()
        self._reconcile: Future | None = None
        self.reconcile_every_s = RECONCILE_EVERY_S
        self._last_reconcile = time.monotonic()
        self._seen_recoveries = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="batch-scheduler", daemon=True)

    # ================================================================ lifecycle
    def start(self) -> None:
        self._thread.start()

    def stop(self, wait_s: float = 10.0) -> None:
        """Stop scheduling, interrupt running attempts and wait up to `wait_s` for their threads.

        Attempts interrupted by the shutdown are not recorded: they stay `running` in the store and
        crash recovery re-runs them at the next start (at-least-once).
        """
        with self.cond:
            if self._stopping:
                return
            self._stopping = True
            for _job, op in list(self.running_ops.values()):
                if op.ctx is not None:
                    op.ctx.interrupt("shutdown")
            self.cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        deadline = time.monotonic() + wait_s
        with self.cond:
            while self.alive and time.monotonic() < deadline:
                self.cond.wait(0.05)
        self.pool.shutdown(wait=False, cancel_futures=True)

    # ================================================================ state of one operation
    def _move(self, job: JobRun, op: OpRun, new: O) -> None:
        """The only place that changes an in-memory operation status (keeps the counts right)."""
        old = O(op.status)
        if old == new:
            return
        if old == O.RUNNING:
            self.running_ops.pop(op.op_key, None)
        if new == O.RUNNING:
            self.running_ops[op.op_key] = (job, op)
        if not old.is_terminal and new.is_terminal:
            job.remaining -= 1
        elif old.is_terminal and not new.is_terminal:
            job.remaining += 1
        op.status = new.value

    # ================================================================ jobs in
    def add_new_job(
        self, job_id: str, job: dict[str, Any], ops: list[dict[str, Any]], op_keys: list[int]
    ) -> None:
        """Schedule a job just stored by CreateJob from the same rows (no read back)."""
        run = JobRun(
            job_id,
            job["parallel_execution"],
            job["max_parallel"],
            job["stop_on_error"],
            job["timeout_s"],
            [
                OpRun(
                    k,
                    o["operation_id"],
                    o["seq"],
                    o["kind"],
                    o["spec"],
                    O.PENDING.value,
                    0,
                    o["max_attempts"],
                )
                for k, o in zip(op_keys, ops, strict=True)
            ],
        )
        with self.cond:
            if job_id in self.jobs:  # a reconciliation found it in the store first
                return
            run.order = next(self._order)
            run.remaining = len(run.ops)
            run.ready.extend(run.ops)
            if run.remaining:
                self.jobs[job_id] = run
            self.cond.notify_all()

    def add_job(self, job_id: str) -> None:
        """Load a job from the store and schedule its pending operations (new, resumed or retried)."""
        with self.store.reader() as cur:
            found = job_schedule(cur, job_id)
        if found is None:
            raise NotFound(f"job {job_id} not found", field="job_id", value=job_id)
        sched, rows = found
        now_wall, now_mono = utcnow_naive(), time.monotonic()
        with self.cond:
            job = self.jobs.get(job_id)
            if job is None:
                job = JobRun(
                    job_id,
                    sched.parallel_execution,
                    sched.max_parallel,
                    sched.stop_on_error,
                    sched.timeout_s,
                    [],
                    order=next(self._order),
                )
                by_key: dict[int, OpRun] = {}
            else:  # a retry while threads of the earlier run are still alive: refresh in place
                by_key = {op.op_key: op for op in job.ops}
                job.max_parallel, job.stopped = sched.max_parallel, False
            job.cancel_requested = sched.cancel_requested_at is not None
            job.cancel_force = sched.cancel_force
            ops = []
            for row in rows:
                op = by_key.get(row.op_key)
                if op is None:
                    op = OpRun(
                        row.op_key,
                        row.operation_id,
                        row.seq,
                        row.kind,
                        row.spec,
                        O.PENDING.value,
                        row.attempts,
                        row.max_attempts,
                    )
                    job.remaining += 1
                op.interruptions = row.interruptions
                if op.status == O.RUNNING.value:
                    ops.append(op)
                    continue
                self._move(job, op, O(row.status))
                op.attempts, op.max_attempts = row.attempts, row.max_attempts
                next_at = row.next_attempt_at
                op.due = (
                    now_mono + max(0.0, (next_at - now_wall).total_seconds())
                    if next_at is not None
                    else 0.0
                )
                ops.append(op)
            job.ops = ops
            job.ready.clear()
            job.delayed.clear()
            for op in ops:
                if op.status == O.PENDING.value:
                    self._queue_pending(job, op)
            if job.cancel_requested and job.cancel_deadline is None:
                job.cancel_deadline = now_mono + self.cancel_timeout_s
            if job.remaining > 0 or self._job_busy(job):
                self.jobs[job_id] = job
            self.cond.notify_all()

    def _queue_pending(self, job: JobRun, op: OpRun) -> None:
        if op.due > time.monotonic():
            heapq.heappush(job.delayed, (op.due, op.seq, op.op_key, op))
        else:
            job.ready.append(op)

    def is_active(self, job_id: str) -> bool:
        """True while the executor still tracks the job (operations left or threads alive)."""
        with self.lock:
            return job_id in self.jobs

    def running_count(self) -> int:
        """Threads holding a pool slot now (abandoned ones included)."""
        with self.lock:
            return len(self.alive)

    # ================================================================ cancel
    def honour_cancel(self, job_id: str, force: bool) -> bool:
        """The first step of a cancel, before anything else: from now on nothing of the job
        starts, its pending operations are skipped and, with `force`, its running attempts are
        interrupted (in memory; `cancel` then has the store apply it). Returns whether the
        executor runs the job."""
        with self.cond:
            job = self.jobs.get(job_id)
            if job is None:
                return False
            job.cancel_requested = True
            job.cancel_force = job.cancel_force or force
            self._apply_cancel_in_memory(job, force)
            self._forget_finished_jobs()
            self.cond.notify_all()
            return True

    def cancel(
        self, job_id: str, reason: str | None, force: bool, *, answer_within_s: float = 0.25
    ) -> dict[str, Any]:
        """Cancel a job whose existence and state the caller checked.

        Honoured in memory at once: nothing of the job starts any more, its pending operations
        are skipped, and with `force` its running attempts are interrupted now. The store applies
        it through the writer (CancelJob, queued after every change already queued, so the
        store's rows move in order). Waits up to `answer_within_s` seconds for the store's
        result ({"status", "running", "already"}); behind a writer backlog it answers the state
        in memory instead, with "queued": True — the store catches up without the caller.
        """
        with self.cond:
            job = self.jobs.get(job_id)
            already, running = False, []
            if job is not None:
                already = job.cancel_requested
                job.cancel_requested = True
                job.cancel_force = job.cancel_force or force
                self._apply_cancel_in_memory(job, force)
                running = [op.op_key for op in job.ops if op.status == O.RUNNING.value]
            applied = self.store.submit(CancelJob(job_id, reason, force, strict=False))
            self._forget_finished_jobs()
            self.cond.notify_all()
        if self.store.writer.backlog() > self.store.writer.max_batch:
            answer_within_s = 0  # more than one batch ahead of it: the answer cannot come in time
        try:
            return applied.result(timeout=answer_within_s)
        except FutureTimeout:
            return {"status": "cancelling", "running": running, "already": already, "queued": True}

    def _apply_cancel_in_memory(self, job: JobRun, force: bool) -> None:
        job.ready.clear()
        job.delayed.clear()
        for op in job.ops:
            if op.status == O.PENDING.value:
                self._move(job, op, O.SKIPPED)
            elif op.status == O.RUNNING.value and force:
                if op.ctx is not None:
                    op.ctx.interrupt("force cancel")
                self._move(job, op, O.CANCELLED)
        if not force and job.cancel_deadline is None:
            job.cancel_deadline = time.monotonic() + self.cancel_timeout_s

    # ================================================================ reconcile with the store
    def _start_reconcile(self, now: float) -> None:
        """Queue a reconciliation (holds the lock): after the store recovered from failing
        writes, and every `reconcile_every_s`. The snapshot of live threads is taken under the
        lock that also queues claims and results, so every change of an attempt whose thread
        is not in it is applied before the reconciliation reads the store (writer FIFO)."""
        health = self.store.health
        due = (
            health.recoveries != self._seen_recoveries
            or now >= self._last_reconcile + self.reconcile_every_s
        )
        if not due or self._reconcile is not None or health.write_failing or self._stopping:
            return
        self._seen_recoveries = health.recoveries
        self._last_reconcile = now
        self._reconcile = self.store.submit(Recover(alive=frozenset(self.alive), note=ORPHAN_NOTE))

    def _finish_reconcile(self) -> None:
        """Schedule what the reconciliation found active in the store but not running here
        (called without the lock)."""
        fut = self._reconcile
        if fut is None or not fut.done():
            return
        self._reconcile = None
        try:
            res = fut.result()
        except Exception:
            log.exception("reconciling the executor with the job store failed")
            return
        with self.lock:
            tracked = set(self.jobs)
        again = (set(res["resumed_jobs"]) - tracked) | set(res["touched_jobs"])
        if res["interrupted"]:
            log.warning(
                "reconcile: %d running operation(s) had no thread behind them; queued again",
                res["interrupted"],
            )
        for job_id in sorted(again & set(res["resumed_jobs"])):
            try:
                self.add_job(job_id)
            except Exception:
                log.exception("reconcile: could not schedule job %s", job_id)

    # ================================================================ scheduler thread
    def _loop(self) -> None:
        while True:
            with self.cond:
                if self._stopping:
                    return
                now = time.monotonic()
                self._promote_delayed(now)
                self._check_timeouts(now)
                escalate = [
                    j.job_id
                    for j in self.jobs.values()
                    if j.cancel_requested
                    and not j.cancel_force
                    and j.cancel_deadline is not None
                    and now >= j.cancel_deadline
                ]
                self._start_reconcile(now)
                # nothing starts while the store cannot record it
                # nothing starts while the store cannot record it, nor while the cluster is down
                backlog = (
                    self.store.writer.q.qsize() > self.max_backlog
                    or self.store.health.write_failing
                    or not self.backend.available()
                )
                started = [] if backlog else self._start_picked(self._pick())
                if not started and not escalate:
                    self.cond.wait(0.005 if backlog else self._next_wakeup(now))
                    reconciled = self._reconcile is not None and self._reconcile.done()
                    if not reconciled:
                        continue
            self._finish_reconcile()
            for job, op in started:
                try:
                    self.pool.submit(self._work, job, op, op.ctx, op.attempt)
                except (
                    RuntimeError
                ):  # the pool is shut down: it stays running in the store for recovery
                    with self.cond:
                        self._release(job, op)
            for job_id in escalate:
                log.warning(
                    "job %s: graceful cancel timed out after %.0f s; forcing",
                    job_id,
                    self.cancel_timeout_s,
                )
                try:
                    self.cancel(job_id, "cancel timeout reached", True, answer_within_s=0)
                except Exception:
                    log.exception("forced cancel of job %s failed", job_id)
                    with self.cond:
                        job = self.jobs.get(job_id)
                        if job is not None:
                            job.cancel_force = True

    def _next_wakeup(self, now: float) -> float:
        t = 0.5
        for job in self.jobs.values():
            if job.delayed:
                t = min(t, max(0.001, job.delayed[0][0] - now))
            if job.cancel_requested and not job.cancel_force and job.cancel_deadline is not None:
                t = min(t, max(0.001, job.cancel_deadline - now))
        for _job, op in self.running_ops.values():
            if op.deadline is not None:
                t = min(t, max(0.001, op.deadline - now))
        return t

    def _promote_delayed(self, now: float) -> None:
        for job in self.jobs.values():
            while job.delayed and job.delayed[0][0] <= now:
                _due, _seq, _key, op = heapq.heappop(job.delayed)
                if op.status == O.PENDING.value:
                    job.ready.appendleft(op)

    def _pick(self) -> list[tuple[JobRun, OpRun]]:
        """Reserve ready operations, round-robin over jobs, within the global and per-job caps."""
        picked: list[tuple[JobRun, OpRun]] = []
        free = self.max_workers - self.busy
        jobs = [
            j for j in self.jobs.values() if not j.cancel_requested and not j.stopped and j.ready
        ]
        while free > 0 and jobs:
            still = []
            for job in jobs:
                if free <= 0:
                    break
                if job.active >= job.lanes or (not job.parallel and job.delayed):
                    continue
                op = self._next_ready(job)
                if op is None:
                    continue
                job.active += 1
                self.busy += 1
                free -= 1
                picked.append((job, op))
                if job.ready:
                    still.append(job)
            jobs = still
        self.max_busy_seen = max(self.max_busy_seen, self.busy)
        return picked

    def _next_ready(self, job: JobRun) -> OpRun | None:
        held: list[OpRun] = []
        found = None
        while job.ready:
            op = job.ready.popleft()
            if op.status != O.PENDING.value:
                continue
            if (
                op.op_key in self.alive
            ):  # its previous attempt's thread still runs: never twice at once
                held.append(op)
                if not job.parallel:
                    break
                continue
            found = op
            break
        for op in reversed(held):
            job.ready.appendleft(op)
        return found

    def _check_timeouts(self, now: float) -> None:
        for job, op in list(self.running_ops.values()):
            if op.deadline is not None and now >= op.deadline:
                if op.ctx is not None:
                    op.ctx.interrupt("timeout")
                elapsed = (now - op.started_mono) * 1000.0
                self._after_error(
                    job,
                    op,
                    op.attempt or op.attempts,
                    f"OperationTimeout: exceeded timeout_s={job.timeout_s:g} s",
                    "OperationTimeout",
                    retryable=True,
                    attempt_status=A.TIMED_OUT,
                    duration_ms=elapsed,
                )

    # ================================================================ claims and workers
    def _start_picked(self, picked: list[tuple[JobRun, OpRun]]) -> list[tuple[JobRun, OpRun]]:
        """Mark picked operations running and queue their claim (write-behind). Holds the lock.

        The claim is queued under the lock, so a cancel (which sets its flag under the lock first)
        is either ordered after it in the writer's FIFO or prevented the pick altogether.
        """
        if not picked:
            return []
        now = utcnow_naive()
        claims = []
        for job, op in picked:
            attempt = op.attempts + 1
            op.attempt, op.attempts, op.started_at = attempt, attempt, now
            op.started_mono = time.monotonic()
            op.deadline = op.started_mono + job.timeout_s if job.timeout_s else None
            self._move(job, op, O.RUNNING)
            op.ctx = OperationContext(
                job_id=job.job_id,
                operation_id=op.operation_id,
                attempt=attempt,
                workspace_root=self.workspace_root,
                staging_dir=self.staging_dir,
                deadline=op.deadline,
                on_progress=lambda msg, k=op.op_key, a=attempt: self.store.submit(
                    SetProgress(k, a, msg)
                ),
            )
            op.ctx.history = self.history_source
            self.alive.add(op.op_key)
            claims.append(Claim(op.op_key, job.job_id, attempt, now))
        self.store.submit(ClaimOps(claims))
        return picked

    def _work(self, job: JobRun, op: OpRun, ctx: OperationContext, attempt: int) -> None:
        t0 = time.perf_counter()
        outcome: OperationOutcome | None = None
        error: BaseException | None = None
        try:
            ctx.check_cancelled()
            outcome = self.backend.run(op.kind, op.spec, ctx, op.op_key)
            if not isinstance(outcome, OperationOutcome):
                raise TypeError(
                    f"handler for {op.kind} returned {type(outcome).__name__}, not OperationOutcome"
                )
        except BaseException as exc:
            error = exc
        dur = (time.perf_counter() - t0) * 1000.0
        try:
            self._finished(job, op, ctx, attempt, outcome, error, dur)
        except Exception:
            log.exception("recording the end of %s/%s failed", job.job_id, op.operation_id)
        finally:
            with self.cond:
                self._release(job, op)

    def _release(self, job: JobRun, op: OpRun) -> None:
        """A worker thread returned: free its pool slot and its job lane. Holds the lock."""
        self.alive.discard(op.op_key)
        self.busy -= 1
        job.active -= 1
        self._forget_finished_jobs()
        self.cond.notify_all()

    def _finished(
        self,
        job: JobRun,
        op: OpRun,
        ctx: OperationContext,
        attempt: int,
        outcome: OperationOutcome | None,
        error: BaseException | None,
        dur_ms: float,
    ) -> None:
        with self.cond:
            if self.store.writer.closed:
                log.info(
                    "result of %s/%s attempt %d arrived after the store closed; recovery re-runs it",
                    job.job_id,
                    op.operation_id,
                    attempt,
                )
                return
            if op.status != O.RUNNING.value or op.attempt != attempt:
                log.warning(
                    "late result discarded: job %s operation %s attempt %d ended after it was %s",
                    job.job_id,
                    op.operation_id,
                    attempt,
                    op.status,
                )
                return
            if self._stopping and ctx.cancel_reason == "shutdown" and error is not None:
                return  # stays running in the store: recovery re-runs it at the next start
            if isinstance(error, AttemptLost):
                self._after_lost(job, op, attempt, str(error))
                return
            if error is None:
                assert outcome is not None
                new = O.COMPLETED if outcome.success else O.FAILED
                item = Finish(
                    op.op_key,
                    job.job_id,
                    op.operation_id,
                    attempt,
                    new.value,
                    (A.COMPLETED if outcome.success else A.FAILED).value,
                    op.started_at,
                    dur_ms,
                    summary=outcome.summary,
                    result=outcome.result,
                    error=outcome.error,
                    failure_kind=None
                    if outcome.success
                    else FailureKind(outcome.failure_kind).value,
                    check_rows=[
                        {
                            **r,
                            "job_id": job.job_id,
                            "operation_id": op.operation_id,
                            "attempt": attempt,
                        }
                        for r in outcome.check_results
                    ],
                    snapshot=outcome.snapshot,
                )
                self._move(job, op, new)
                self._after_terminal(job, op, item)
                return
            if isinstance(error, RemoteOperationError):  # raised on a worker: its facts
                text, etype, cancelled = error.text, error.etype, error.cancelled
                retryable = error.retryable
            else:
                text = ctx.error_text(error)  # secrets and server paths redacted
                etype, cancelled = type(error).__name__, isinstance(error, OperationCancelled)
                retryable = as_batch_error(error).retryable
            stopped_by_user = cancelled and ctx.cancel_reason in ("force cancel", "shutdown")
            self._after_error(
                job,
                op,
                attempt,
                text,
                etype,
                retryable=retryable and not stopped_by_user,
                attempt_status=A.ERROR,
                duration_ms=dur_ms,
            )

    def _after_error(
        self,
        job: JobRun,
        op: OpRun,
        attempt: int,
        msg: str,
        etype: str,
        *,
        retryable: bool,
        attempt_status: A,
        duration_ms: float,
    ) -> None:
        """Retry with backoff while attempts remain and no cancel was asked, else fail. Holds the lock."""
        if (
            retryable
            and op.attempts < op.max_attempts
            and not job.cancel_requested
            and not self._stopping
        ):
            delay = self.retry_policy.delay(attempt)
            self._move(job, op, O.PENDING)
            op.due = time.monotonic() + delay
            reason = (
                f"attempt {attempt} of {op.max_attempts} failed ({msg[:300]}); "
                f"retrying in {delay:.1f} s, {op.max_attempts - attempt} attempt(s) left"
            )
            heapq.heappush(job.delayed, (op.due, op.seq, op.op_key, op))
            self._store_finish(
                Finish(
                    op.op_key,
                    job.job_id,
                    op.operation_id,
                    attempt,
                    O.PENDING.value,
                    attempt_status.value,
                    op.started_at,
                    duration_ms,
                    error=msg,
                    error_type=etype,
                    failure_kind=FailureKind.ERROR.value,
                    status_reason=reason,
                    next_attempt_at=utcnow_naive() + timedelta(seconds=delay),
                )
            )
            self.cond.notify_all()
            return
        if not retryable:
            note = (
                f" (not retried: {etype} fails the same way every time)"
                if op.max_attempts > attempt
                else ""
            )
        else:
            note = f" (attempt {attempt} of {op.max_attempts})" if op.max_attempts > 1 else ""
        self._move(job, op, O.FAILED)
        self._after_terminal(
            job,
            op,
            Finish(
                op.op_key,
                job.job_id,
                op.operation_id,
                attempt,
                O.FAILED.value,
                attempt_status.value,
                op.started_at,
                duration_ms,
                summary=f"error{note}",
                error=msg,
                error_type=etype,
                failure_kind=FailureKind.ERROR.value,
                status_reason=f"failed{note}",
            ),
        )

    def _after_lost(self, job: JobRun, op: OpRun, attempt: int, note: str) -> None:
        """The attempt will never report (its worker died, the scheduler was lost): record an
        `interrupted` attempt and move the operation as crash recovery would
        (`store.recovery.after_interruption`: again, or failed after MAX_INTERRUPTIONS, or
        cancelled when its job's cancel was requested). Holds the lock."""
        new = after_interruption(job.cancel_requested, op.interruptions, MAX_INTERRUPTIONS)
        log.warning(
            "job %s operation %s attempt %d: %s; %s",
            job.job_id,
            op.operation_id,
            attempt,
            note,
            "runs again" if new == O.PENDING else f"now {new.value}",
        )
        op.interruptions += 1
        self.store.submit(
            InterruptOp(op.op_key, attempt, note),
            callback=lambda _r, e: e and log.error("recording the interruption failed: %s", e),
        )
        self._move(job, op, new)
        if new == O.PENDING:
            op.max_attempts += 1  # the interruption does not eat the retry budget
            op.due = 0.0
            job.ready.appendleft(op)
        self._forget_finished_jobs()
        self.cond.notify_all()

    def _store_finish(self, item: Finish) -> None:
        """Queue a finished attempt. If storing it fails (a payload the store rejects), store it
        again without payload — as failed, with the storage error — so it never stays running."""

        def stored(_result: Any, exc: BaseException | None) -> None:
            if exc is None or (
                not item.check_rows and item.snapshot is None and item.result is None
            ):
                if exc is not None:
                    log.error(
                        "could not record %s/%s attempt %d: %s",
                        item.job_id,
                        item.operation_id,
                        item.attempt,
                        exc,
                    )
                return
            log.error(
                "storing the result of %s/%s failed (%s); recording it without its payload",
                item.job_id,
                item.operation_id,
                exc,
            )
            bare = replace(
                item,
                check_rows=[],
                snapshot=None,
                result=None,
                new_status=O.FAILED.value
                if item.new_status == O.COMPLETED.value
                else item.new_status,
                failure_kind=item.failure_kind or FailureKind.ERROR.value,
                error=f"the result could not be stored: {type(exc).__name__}: {exc}"[:2000],
            )
            if not self.store.writer.closed:
                self.store.submit(
                    FinishOps([bare]),
                    callback=lambda _r, e: (
                        e and log.error("giving up on %s: %s", item.operation_id, e)
                    ),
                )

        self.store.submit(FinishOps([item]), callback=stored)

    def _after_terminal(self, job: JobRun, op: OpRun, item: Finish) -> None:
        """Queue the result; apply stop_on_error. Holds the lock."""
        item.finalize = (
            job.remaining <= 0
        )  # the last one: the final status lands in its transaction
        self._store_finish(item)
        if (
            op.status == O.FAILED.value
            and job.stop_on_error
            and not job.stopped
            and not job.cancel_requested
        ):
            job.stopped = True
            keys = []
            for other in job.ops:
                if other.status == O.PENDING.value:
                    self._move(job, other, O.SKIPPED)
                    keys.append(other.op_key)
            job.ready.clear()
            job.delayed.clear()
            if keys:
                self.store.submit(
                    SkipOps(
                        job.job_id, f"skipped: stop_on_error after {op.operation_id} failed", keys
                    )
                )
        self._forget_finished_jobs()
        self.cond.notify_all()

    def _job_busy(self, job: JobRun) -> bool:
        return job.active > 0

    def _forget_finished_jobs(self) -> None:
        done = [j.job_id for j in self.jobs.values() if j.remaining <= 0 and j.active <= 0]
        for job_id in done:
            del self.jobs[job_id]
        if done and not self.store.writer.closed:
            # normally a no-op (the last result already finalized the job); it also covers a last
            # result that lost its compare-and-set
            hook = self.on_jobs_finished
            self.store.submit(
                FinalizeJobs(done),
                callback=None if hook is None else (lambda _r, _e, ids=done: hook(ids)),
            )
