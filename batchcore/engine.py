"""The engine: job store + executor + handlers, and the process-wide singleton.

`get_engine()` returns the one Engine of this process (created on first call from the
environment, see batchcore.config); the Streamlit pages, the mounted REST API and the CLI all
share it. `shutdown_engine()` stops it (the st.App lifespan calls it on exit).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from batchcore import jsonutil
from batchcore.backends import BackendStatus, make_backend
from batchcore.config import Settings
from batchcore.errors import Conflict, NotFound, RequestError, StoreUnavailable, validation_error
from batchcore.executor import Executor, RetryPolicy
from batchcore.history import HistoryMethods, metric_history_source
from batchcore.limits import check_job_limits
from batchcore.models import (
    REQUEST_MODELS,
    JobCreateResponse,
    JobOptions,
    JobStatus,
    JobType,
    JobView,
    OperationView,
    Progress,
)
from batchcore.notify.sender import Notifier
from batchcore.notify.service import NotifyMethods
from batchcore.operations import get_handler
from batchcore.planning import JobPlan, OpPlan, plan_job
from batchcore.schedules.scheduler import Clock, Scheduler
from batchcore.schedules.service import ScheduleMethods
from batchcore.staging import clean_staging
from batchcore.store import Store, compare, reads
from batchcore.store.analytics import Analytics
from batchcore.store.commands import (
    CreateJob,
    CreateJobs,
    DeleteJob,
    DeleteJobs,
    RetentionSweep,
    RetryJob,
    cancel_conflict,
    second_cancel_conflict,
)
from batchcore.store.health import HealthReport
from batchcore.store.partitions import PartitionedCheck, partitioned_checks
from batchcore.store.recovery import Recover
from batchcore.store.requests import (
    CreateJobWithKey,
    RecordCancel,
    SweepIdempotencyKeys,
    cancel_state,
    find_key,
)
from batchcore.store.runs import job_status
from batchcore.store.snapshots import Snapshots
from batchcore.timeutil import utcnow_naive
from batchcore.workspace import Workspace

log = logging.getLogger("batchcore.engine")


def new_job_id() -> str:
    """A UUIDv7 string (RFC 9562): time-ordered, so ids sort by creation and prune scans."""
    ms = int(time.time() * 1000)
    rand = int.from_bytes(secrets.token_bytes(10), "big")
    value = (
        (ms & ((1 << 48) - 1)) << 80
        | (0x7 << 76)
        | ((rand >> 68) & 0xFFF) << 64
        | (0b10 << 62)
        | (rand & ((1 << 62) - 1))
    )
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Engine(ScheduleMethods, NotifyMethods, HistoryMethods):
    """Owns the job store file, the executor, the scheduler and the notifier. Thread-safe; one
    per process. `clock` (aware datetimes) drives the scheduler (tests pass a fake one).

    Raises StoreLocked when another process holds the job store.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
        start: bool = True,
        clock: Clock | None = None,
    ):
        self.settings = settings or Settings.from_env()
        self.store = Store(self.settings.db_path)
        clean_staging(self.settings.staging_dir)  # after the store's lock: nothing else uses it
        self.store.start()
        self.recovery = self.store.call(Recover())
        if self.recovery["interrupted"]:
            log.warning(
                "%d operation(s) were still running when the previous process stopped (shutdown or crash): "
                "recorded as interrupted attempts and queued to run again",
                self.recovery["interrupted"],
            )
        self.backend = make_backend(self.settings, get_handler)
        if start:
            try:
                self.backend.start()  # ConfigError when the Dask scheduler cannot be reached
            except BaseException:
                self.store.close()
                raise
        self.executor = Executor(
            self.store,
            max_workers=self.settings.max_workers,
            workspace_root=self.settings.workspace,
            cancel_timeout_s=self.settings.cancel_timeout_s,
            retry_policy=retry_policy,
            staging_dir=self.settings.staging_dir,
            on_jobs_finished=self.notify_jobs_finished,
            backend=self.backend,
        )
        self.executor.history_source = metric_history_source(self.store)
        self._key_locks = [threading.Lock() for _ in range(64)]
        self._keys_swept = 0.0
        self.notifier = Notifier(self)
        self.scheduler = Scheduler(self, clock)
        self._closed = False
        self.instance_id = f"{os.getpid()}-{id(self):x}"  # the same for every holder of this engine
        self._ws_cache: tuple[float, Workspace] | None = None
        if start:
            self.executor.start()
            for job_id in self.recovery["resumed_jobs"]:
                self.executor.add_job(job_id)
            self.apply_retention()
            self._sweep_keys()
            self.notifier.start()
            self.scheduler.recover()  # runs planned before a crash get their job
            if self.settings.scheduler_enabled:
                self.scheduler.start()

    # ---------------------------------------------------------------- workspace
    def workspace(self) -> Workspace:
        """The workspace, reloaded at most once a second (files may change while the app runs)."""
        now = time.monotonic()
        if self._ws_cache is None or now - self._ws_cache[0] > 1.0:
            self._ws_cache = (now, Workspace.load(self.settings.workspace))
        return self._ws_cache[1]

    # ---------------------------------------------------------------- submit
    def submit(
        self,
        job_type: JobType | str,
        request: JobOptions | dict[str, Any],
        *,
        job_id: str | None = None,
    ) -> JobCreateResponse:
        """Validate and plan a request of any job type, store the job and start it.

        `request` may be the pydantic model or the guide's JSON body as a dict; `job_id` an id
        chosen beforehand (a schedule's run). Raises RequestError (422-style, naming the field)
        for bad input or a request over a limit, TooManyRequests (429) when too many jobs wait
        to start (batchcore.limits), StoreUnavailable (503) when the job store cannot write.
        """
        job_type, request = self._validated(job_type, request)
        plan = self._planned(job_type, request)
        return self.create_job(plan, request, job_id=job_id)

    def _planned(self, job_type: JobType, request: JobOptions) -> JobPlan:
        """The request's plan, within the job limits (RequestError 422 / TooManyRequests 429)."""
        plan = plan_job(job_type, request, self.workspace())
        check_job_limits(plan, self.settings, self.pending_job_count)
        return plan

    def pending_job_count(self) -> int:
        """Jobs waiting to start (status pending)."""
        return self.list_jobs(reads.JobFilter(status=("pending",)), limit=1)[1]

    def submit_once(
        self, job_type: JobType | str, request: JobOptions | dict[str, Any], key: str
    ) -> tuple[JobCreateResponse, bool]:
        """`submit` under an idempotency key: returns (answer, replayed).

        The first request with `key` creates the job and stores the key with it (one
        transaction); a later request with the same key and the same request (same job type,
        same validated fields) within 24 h gets the first answer again, `replayed` True, and
        creates nothing. Raises Conflict (409) when the key was used with another request.
        """
        job_type, request = self._validated(job_type, request)
        digest = hashlib.sha256(
            jsonutil.dumps(
                {"job_type": job_type.value, "request": request.model_dump(mode="json")},
                sort_keys=True,
            ).encode()
        ).hexdigest()
        with self._key_locks[hash(key) % len(self._key_locks)]:
            with self.store.reader() as cur:
                seen = find_key(cur, key, utcnow_naive())
            if seen is not None:
                if seen.job_type != job_type.value or seen.request_hash != digest:
                    raise Conflict(
                        f"Idempotency-Key {key!r} was already used within 24 h for another "
                        f"request (job {seen.job_id}, {seen.job_type}): send a new key for a "
                        "new request",
                        field="Idempotency-Key",
                        value=key,
                    )
                return JobCreateResponse.model_validate(seen.response), True
            plan = self._planned(job_type, request)
            created = self.create_job(plan, request, key_row=(key, job_type.value, digest))
        self._sweep_keys()
        return created, False

    def _sweep_keys(self) -> None:
        """Delete expired idempotency keys, at most once an hour (queued, not waited for)."""
        now = time.monotonic()
        if now - self._keys_swept >= 3600 and not self.store.writer.closed:
            self._keys_swept = now
            self.store.submit(SweepIdempotencyKeys())

    def _validated(
        self, job_type: JobType | str, request: JobOptions | dict[str, Any]
    ) -> tuple[JobType, JobOptions]:
        job_type = JobType(job_type)
        model = REQUEST_MODELS[job_type]
        if isinstance(request, dict):
            try:
                request = model.model_validate(request)
            except ValidationError as exc:
                raise validation_error(exc) from None
        elif not isinstance(request, model):
            raise RequestError(
                f"a {job_type.value} job needs a {model.__name__}",
                field="job_type",
                value=job_type.value,
            )
        return job_type, request

    def create_job(
        self,
        plan: JobPlan,
        request: JobOptions,
        *,
        job_id: str | None = None,
        key_row: tuple[str, str, str] | None = None,
    ) -> JobCreateResponse:
        """Store a planned job with its operations (under `job_id` when given) and hand it to
        the executor.

        Concurrent submissions share one commit (`Store.insert_grouped`: group commit); it
        returns once the job is committed. `key_row` (idempotency key, job
        type, request hash) is stored with the job. Raises StoreUnavailable when the job store
        cannot write (nothing is stored or started), and RequestError (HTTP 422) for a plan
        without operations."""
        job, ops, answer = self._job_rows(plan, request, job_id or new_job_id())
        keys = list(self.store.allocate_op_keys(len(ops)))
        if key_row is None:
            self.store.insert_grouped(CreateJob(job, ops, keys))
        else:
            key_row = (*key_row, answer.model_dump(mode="json"))
            self.store.insert_grouped(CreateJobWithKey(job, ops, keys, key_row))
        self.executor.add_new_job(job["job_id"], job, ops, keys)
        return answer

    @staticmethod
    def _job_rows(
        plan: JobPlan, request: JobOptions, job_id: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]], JobCreateResponse]:
        """The job row, its operation rows and the answer for a planned request (RequestError
        for a plan without operations)."""
        if not plan.operations:
            raise RequestError(
                "a job needs at least one operation; this request planned none",
                field="operations",
                value=[],
            )
        job = {
            "job_id": job_id,
            "job_type": plan.job_type.value,
            "name": request.job_name,
            "description": request.description,
            "project_id": plan.project_id,
            "tags": list(request.tags),
            "parallel_execution": request.parallel_execution,
            "max_parallel": request.max_parallel if request.parallel_execution else 1,
            "stop_on_error": request.stop_on_error,
            "max_retries": request.max_retries,
            "timeout_s": request.timeout_s,
            "request": request.model_dump(mode="json"),
        }
        ops = [
            {
                "operation_id": op.operation_id,
                "seq": i,
                "kind": op.kind,
                "spec": op.spec,
                "max_attempts": 1 + request.max_retries,
            }
            for i, op in enumerate(plan.operations)
        ]
        answer = JobCreateResponse(job_id=job_id, message=plan.message, total_operations=len(ops))
        return job, ops, answer

    def create_jobs(self, planned: list[tuple[JobPlan, JobOptions]]) -> list[JobCreateResponse]:
        """Store many planned jobs in ONE transaction and hand them to the executor; answers in
        input order. All or nothing: RequestError (naming `requests[i]`) for a plan without
        operations, StoreUnavailable when the store cannot write (nothing stored)."""
        rows = []
        for i, (plan, request) in enumerate(planned):
            try:
                rows.append(self._job_rows(plan, request, new_job_id()))
            except RequestError as exc:
                raise _at_item(exc, i) from None
        if not rows:
            return []
        items = [(job, ops, list(self.store.allocate_op_keys(len(ops)))) for job, ops, _a in rows]
        self.store.insert_grouped(CreateJobs(items))
        for job, ops, keys in items:
            self.executor.add_new_job(job["job_id"], job, ops, keys)
        return [answer for _j, _o, answer in rows]

    def submit_many(
        self, requests: list[tuple[JobType | str, JobOptions | dict[str, Any]]]
    ) -> list[JobCreateResponse]:
        """Validate, plan and store many requests `(job_type, request)` in one transaction (a
        scheduler tick, a file of jobs). All or nothing: RequestError naming `requests[i].field`
        for the first bad request, TooManyRequests (429) when the jobs already waiting plus
        these would pass BATCH_MAX_QUEUED_JOBS, StoreUnavailable (503). Nothing is stored on
        any error. Returns the answers in input order."""
        waiting = self.pending_job_count()
        planned = []
        for i, (job_type, request) in enumerate(requests):
            try:
                jt, req = self._validated(job_type, request)
                plan = plan_job(jt, req, self.workspace())
                check_job_limits(plan, self.settings, lambda n=waiting + i: n)
            except RequestError as exc:
                raise _at_item(exc, i) from None
            planned.append((plan, req))
        return self.create_jobs(planned)

    def submit_operations(
        self,
        job_name: str,
        operations: list[OpPlan],
        *,
        job_type: JobType = JobType.BULK_PIPELINE_EXECUTION,
        **options: Any,
    ) -> JobCreateResponse:
        """Create a job from explicit operations (tests, benchmarks, `noop` operations)."""
        request = JobOptions(job_name=job_name, **options)
        plan = JobPlan(
            job_type,
            operations,
            request.project_id,
            f"job created with {len(operations)} operations",
        )
        return self.create_job(plan, request)

    # ---------------------------------------------------------------- control
    def cancel(self, job_id: str, reason: str | None = None, force: bool = False) -> dict[str, Any]:
        """Cancel a pending or running job. Raises NotFound, Conflict (already finished, or
        already asked to cancel: a second cancel is refused with the first request's time and
        reason, which stand — except a first `force` on a job cancelling without it, which
        interrupts the running operations and keeps the first reason as the job's).

        Answers within a fraction of a second whatever the store's writer backlog: the executor
        honours it first (nothing of the job starts any more; `force` interrupts running
        attempts now), the request is recorded (`cancel_requests`, one insert), and the writer
        applies it to the store's rows. While the store cannot write, the cancel is still honoured
        in memory and applied when the store writes again (the message says so).
        """
        self.executor.honour_cancel(job_id, force)  # first: nothing of it starts from now on
        with self.store.reader() as cur:
            before = job_status(cur, job_id)
            earlier = cancel_state(cur, job_id) if before is not None else None
        if before is None:
            raise NotFound(f"job {job_id} not found", field="job_id", value=job_id)
        if JobStatus(before).is_terminal:
            raise cancel_conflict(job_id, before)
        if earlier is not None and (earlier["force"] or not force):
            raise second_cancel_conflict(job_id, before, earlier)
        recorded = True
        try:
            self.store.run_now(RecordCancel(job_id, reason, force))
        except StoreUnavailable:
            recorded = False
        res = self.executor.cancel(job_id, reason, force)
        status = res["status"] or before
        if earlier is not None:
            kept = f" {earlier['reason']!r}" if earlier["reason"] else " (none)"
            message = (
                f"Batch job force-cancelled ({status}): it was already cancelling; the first "
                f"cancel's reason{kept} stays the job's cancel reason"
            )
        elif status == JobStatus.CANCELLING.value:
            message = "Batch job cancellation requested"
        elif status == JobStatus.CANCELLED.value:
            message = "Batch job cancelled"
        else:
            message = f"Batch job ended ({status}) before the cancel was applied"
        if not recorded:
            message += (
                "; the job store cannot write now: nothing more of the job starts, and the store "
                "records the cancel when it writes again"
            )
        return {
            "status": "success",
            "message": message,
            "job_id": job_id,
            "job_status": status,
            "reason": reason,
            "force": force,
        }

    def retry(
        self, job_id: str, operation_ids: list[str] | None = None, max_retries: int | None = None
    ) -> dict[str, Any]:
        """Put failed operations back to pending and run the job again. Raises NotFound,
        Conflict (job active or nothing failed), RequestError (an id not failed)."""
        moved = self.store.call(RetryJob(job_id, operation_ids, max_retries))
        self.executor.add_job(job_id)
        return {
            "status": "success",
            "message": f"Retrying {len(moved)} failed operations",
            "job_id": job_id,
            "retrying_operations": len(moved),
            "operation_ids": [m[1] for m in moved],
        }

    def delete(self, job_id: str) -> dict[str, Any]:
        """Delete a finished job with its operations, attempts and check results.
        Raises NotFound, or Conflict when the job is still active."""
        self.store.call(DeleteJob(job_id))
        return {"status": "success", "message": "Batch job deleted successfully", "job_id": job_id}

    def delete_many(self, job_ids: list[str]) -> tuple[list[str], dict[str, str]]:
        """Delete the finished jobs among `job_ids` in one transaction. Returns (deleted ids,
        {id: reason} for those not deleted: unknown or still active)."""
        return self.store.call(DeleteJobs(job_ids), timeout=600)

    def health(self) -> HealthReport:
        """Whether the job store writes and reads now, and why not (see store.health); with
        the Dask backend also whether its cluster takes operations (`degraded` with the reason
        when its scheduler is unreachable or it has no worker)."""
        report = self.store.health_report()
        cluster = self.backend.status()
        if cluster.up:
            return report
        return replace(report, status="degraded", reasons=[*report.reasons, cluster.reason])

    def cluster_status(self) -> BackendStatus:
        """Where operations run (`threads` or `dask`) and whether that works now."""
        return self.backend.status()

    def apply_retention(self) -> int:
        """Delete terminal jobs older than BATCH_RETENTION_DAYS (when set). Returns how many."""
        days = self.settings.retention_days
        if days is None:
            return 0
        n = self.store.call(RetentionSweep(utcnow_naive() - timedelta(days=days)), timeout=600)
        if n:
            log.info("retention: deleted %d job(s) older than %g days", n, days)
        return n

    # ---------------------------------------------------------------- reads
    def get_job(self, job_id: str, *, with_operations: bool = True) -> JobView:
        """The job with progress and operations. Raises NotFound."""
        with self.store.reader() as cur:
            view = reads.job_view(
                cur, job_id, max_workers=self.settings.max_workers, with_operations=with_operations
            )
        if view is None:
            raise NotFound(f"job {job_id} not found", field="job_id", value=job_id)
        return view

    def progress(self, job_id: str) -> tuple[JobStatus, Progress]:
        """(status, progress) of a job. Raises NotFound."""
        view = self.get_job(job_id, with_operations=False)
        return view.status, view.progress

    def operations(self, job_id: str) -> list[OperationView]:
        """Operations of a job in order. Raises NotFound."""
        return self.get_job(job_id).operations or []

    def list_jobs(
        self, flt: reads.JobFilter | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[JobView], int]:
        """A page of jobs (newest first) and the total matching `flt`."""
        with self.store.reader() as cur:
            return reads.list_jobs(
                cur,
                flt or reads.JobFilter(),
                limit=limit,
                offset=offset,
                max_workers=self.settings.max_workers,
            )

    def active_jobs(self) -> list[JobView]:
        """Pending, running and cancelling jobs, newest first."""
        jobs, _ = self.list_jobs(
            reads.JobFilter(status=("pending", "running", "cancelling")), limit=500
        )
        return jobs

    def check_results(self, job_id: str, operation_id: str | None = None) -> list[dict[str, Any]]:
        """Check results of the latest attempt of each validation operation of a job."""
        with self.store.reader() as cur:
            return reads.check_results(cur, job_id, operation_id)

    def attempts(self, job_id: str, operation_id: str | None = None) -> list[dict[str, Any]]:
        """Finished attempts of a job (or one operation)."""
        with self.store.reader() as cur:
            return reads.attempts(cur, job_id, operation_id)

    def compare_jobs(self, job_a: str, job_b: str) -> compare.JobComparison:
        """Job A (the reference run) against job B: checks newly failing, fixed, still failing
        (with their figures), new, removed and not run, and operations that errored (rules in
        `batchcore.store.compare`). Raises NotFound naming the missing job."""
        with self.store.reader() as cur:
            result = compare.compare(cur, job_a, job_b)
        if result is None:
            self.get_job(job_a, with_operations=False)  # raises NotFound for the missing one
            self.get_job(job_b, with_operations=False)
            raise NotFound(f"job {job_b} not found", field="job_id", value=job_b)
        return result

    def previous_run(self, job_id: str) -> str | None:
        """Id of the previous run of the same pipelines (rule in `batchcore.store.compare`), or
        None when no earlier finished job ran any of them. Raises NotFound for an unknown job."""
        self.get_job(job_id, with_operations=False)
        with self.store.reader() as cur:
            return compare.previous_job_id(cur, job_id)

    def compare_with_previous(self, job_id: str) -> compare.JobComparison:
        """`compare_jobs(previous_run(job_id), job_id)`. Raises NotFound for an unknown job, or
        when no earlier finished job ran the same pipelines (field `previous`)."""
        prev = self.previous_run(job_id)
        if prev is None:
            raise NotFound(
                f"job {job_id} has no previous run: no earlier finished job ran any of its "
                "pipelines or operations",
                field="previous",
                value=job_id,
            )
        return self.compare_jobs(prev, job_id)

    def statistics(self) -> dict[str, Any]:
        """The guide's statistics (see reads.statistics)."""
        with self.store.reader() as cur:
            return reads.statistics(cur, max_workers=self.settings.max_workers)

    def analytics(self) -> Analytics:
        """The analytics queries over this engine's job store (each call one read)."""
        return Analytics(self.store)

    def snapshots(self) -> Snapshots:
        """Metadata snapshot reads over this engine's job store (each call one read)."""
        return Snapshots(self.store)

    def partitioned_checks(self, job_id: str) -> list[PartitionedCheck]:
        """The job's checks split by `partition_by`, rolled up per check (Job Details)."""
        with self.store.reader() as cur:
            return partitioned_checks(cur, job_id)

    def filter_options(self) -> dict[str, Any]:
        """{projects, tags, first_created, last_created}: values for job filter widgets."""
        return self.analytics().filter_options()

    def wait(self, job_id: str, timeout: float | None = None, poll_s: float = 0.05) -> JobView:
        """Block until the job is terminal (or `timeout` seconds pass) and return it.
        Raises TimeoutError on timeout, NotFound for an unknown job."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            view = self.get_job(job_id, with_operations=False)
            if view.status.is_terminal:  # final status is written with the last operation's
                return self.get_job(job_id)
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {view.status.value} after {timeout} s")
            time.sleep(poll_s)

    # ---------------------------------------------------------------- shutdown
    def close(self, wait_s: float = 10.0) -> None:
        """Stop the executor (running attempts are interrupted and recovered at next start)
        and close the job store. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.scheduler.stop()
        self.executor.stop(wait_s=wait_s)
        self.backend.close()
        self.notifier.stop()
        self.store.close()


def _at_item(exc: RequestError, i: int) -> RequestError:
    """The same error, its message and field prefixed with `requests[i]` (submit_many)."""
    field = f"requests[{i}]" + (f".{exc.field}" if exc.field else "")
    return type(exc)(f"requests[{i}]: {exc.message}", field=field, value=exc.value, **exc.extra)


_ENGINE: Engine | None = None
_LOCK = threading.Lock()


def get_engine() -> Engine:
    """The process-wide engine, created from the environment on first call."""
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                settings = Settings.from_env()
                if settings.auto_build_example:
                    from batchcore.example import ensure_example_data

                    ensure_example_data(settings.workspace)
                _ENGINE = Engine(settings)
                log.info("engine started (pid %d, store %s)", os.getpid(), settings.db_path)
    return _ENGINE


def shutdown_engine() -> None:
    """Close the process-wide engine, if any (the next get_engine() builds a new one)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is not None:
            _ENGINE.close()
            _ENGINE = None
