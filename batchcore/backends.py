"""Where an operation's attempt runs: in the app process (`threads`, the default) or on a Dask
distributed cluster (`dask`). Chosen by BATCH_EXECUTOR / BATCH_DASK_SCHEDULER
(`batchcore.config`).

The executor (`batchcore.executor`) keeps every scheduling rule of DESIGN §4 on both backends:
it picks operations, holds one pool slot per operation in flight (BATCH_MAX_WORKERS = operations
in flight on the cluster), applies timeouts, cancels, retries and stop-on-error, and records
every state change through the job store's single writer. A backend only runs one attempt:
`run(kind, spec, ctx, op_key)` returns the handler's OperationOutcome or raises.

On Dask the attempt goes to a worker as a plain, picklable payload (`batchcore.worker`); its
outcome, check results, snapshot and progress messages come back to the app process. A stop
(force cancel, timeout, shutdown) reaches the worker through `Client.run` (the attempt's cancel
token and the database's query cancel fire there). Errors come back as `RemoteOperationError`
(the facts the executor records); an attempt whose worker died, or whose scheduler was lost,
raises `AttemptLost` (the executor records an `interrupted` attempt and runs it again, bounded
like crash recovery).
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchcore.operations.base import OperationContext, OperationOutcome

log = logging.getLogger("batchcore.backends")


def _band_history(
    kind: str, spec: dict[str, Any], ctx: OperationContext, workspace_root: Path | None
) -> dict[str, list[float]] | None:
    """The check history a validation's learned bands need, read here (workers never open the
    job store; batchcore.validation.anomaly.prefetch_history)."""
    if kind != "pipeline_execution" or ctx.history is None or workspace_root is None:
        return None
    from batchcore.timeutil import utcnow_naive
    from batchcore.validation.anomaly import prefetch_history

    return prefetch_history(spec, workspace_root, ctx.history, at=utcnow_naive())


class RemoteOperationError(Exception):
    """An attempt raised on a worker. `text`: the redacted `Type: message`; `etype`: the type
    name; `retryable`: the error class's attribute; `cancelled`: it was an OperationCancelled."""

    def __init__(self, text: str, etype: str, retryable: bool, cancelled: bool):
        super().__init__(text)
        self.text, self.etype, self.retryable, self.cancelled = text, etype, retryable, cancelled


class AttemptLost(Exception):
    """The attempt will never report: its worker process died, or the cluster's scheduler was
    lost while it ran."""


@dataclass(frozen=True)
class BackendStatus:
    """`up` False when operations cannot be sent now; `reason` one sentence (None when up);
    `workers` worker processes known (None for threads)."""

    name: str
    up: bool
    reason: str | None = None
    workers: int | None = None


class ThreadBackend:
    """Attempts run on the executor's pool threads, in this process."""

    name = "threads"

    def __init__(self, handler_lookup: Callable[[str], Callable]):
        self.get_handler = handler_lookup

    def start(self) -> None:
        """Nothing to start."""

    def run(
        self, kind: str, spec: dict[str, Any], ctx: OperationContext, op_key: int
    ) -> OperationOutcome:
        """Run the handler here (it raises what it raises)."""
        return self.get_handler(kind)(spec, ctx)

    def available(self) -> bool:
        return True

    def status(self) -> BackendStatus:
        return BackendStatus(self.name, True)

    def close(self) -> None:
        """Nothing to close."""


class DaskBackend:
    """Attempts run on a Dask distributed cluster: `address` `tcp://host:port` (an existing
    scheduler) or `local:N` (a LocalCluster of N worker processes started here, listening on
    127.0.0.1). `threads_per_worker` (local only): each worker's thread count.

    Raises ConfigError from `start()` when the scheduler cannot be reached.
    """

    name = "dask"

    def __init__(
        self,
        address: str,
        *,
        workspace_root: Path | None,
        staging_dir: Path | None,
        threads_per_worker: int = 10,
        connect_timeout_s: float = 10.0,
    ):
        self.address = address
        self.workspace_root = workspace_root
        self.staging_dir = staging_dir
        self.threads_per_worker = threads_per_worker
        self.connect_timeout_s = connect_timeout_s
        self.token = secrets.token_hex(4)
        self.topic = f"batch-progress-{self.token}"
        self.cluster = None
        self.client = None
        self._progress: dict[str, OperationContext] = {}
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._closed = False
        self._reconnecting = False
        self._last_reconnect = 0.0

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        import dask
        from distributed import Client, LocalCluster

        from batchcore.errors import ConfigError

        # a worker that dies mid-attempt must surface here (KilledWorker), not be re-run by
        # the scheduler behind the executor's back: the executor records the interruption
        dask.config.set({"distributed.scheduler.allowed-failures": 0})
        try:
            if self.address.startswith("local:"):
                n = int(self.address.split(":", 1)[1])
                self.cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=self.threads_per_worker,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.WARNING,
                )
                self.client = Client(self.cluster, set_as_default=False)
            else:
                self.client = Client(
                    self.address, set_as_default=False, timeout=self.connect_timeout_s
                )
        except Exception as exc:
            self.close()
            raise ConfigError(
                f"BATCH_DASK_SCHEDULER={self.address}: cannot reach the Dask scheduler "
                f"({type(exc).__name__}: {str(exc)[:200]})",
                field="BATCH_DASK_SCHEDULER",
                value=self.address,
            ) from None
        self.client.subscribe_topic(self.topic, self._on_progress)
        from batchcore import worker

        try:
            self.client.run(worker.warm_up, on_error="ignore")
        except Exception:
            log.warning("warming up the Dask workers failed", exc_info=True)

    def close(self) -> None:
        """Close the client (and the LocalCluster this backend started). Idempotent."""
        self._closed = True
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        for thing in (client, cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:
                    log.debug("closing %s failed", type(thing).__name__, exc_info=True)

    # ---------------------------------------------------------------- attempts
    def run(
        self, kind: str, spec: dict[str, Any], ctx: OperationContext, op_key: int
    ) -> OperationOutcome:
        """Send the attempt to a worker and wait for its outcome.

        Raises RemoteOperationError (the attempt raised there), AttemptLost (its worker or the
        scheduler was lost), OperationCancelled (stopped before it was sent)."""
        from distributed import KilledWorker

        client = self.client
        if client is None:
            raise AttemptLost("the Dask client is closed")
        key = f"batch-op-{self.token}-{op_key}-{ctx.attempt}-{next(self._seq)}"
        remaining = None
        if ctx.deadline is not None:
            remaining = max(0.0, ctx.deadline - time.monotonic())
        payload = {
            "key": key,
            "kind": kind,
            "spec": spec,
            "job_id": ctx.job_id,
            "operation_id": ctx.operation_id,
            "attempt": ctx.attempt,
            "workspace_root": None if self.workspace_root is None else str(self.workspace_root),
            "staging_dir": None if self.staging_dir is None else str(self.staging_dir),
            "remaining_s": remaining,
            "progress_topic": self.topic,
            "history": _band_history(kind, spec, ctx, self.workspace_root),
        }
        from batchcore import worker

        with self._lock:
            self._progress[key] = ctx
        fut = None
        try:
            with ctx.interruptible(lambda: self._interrupt(key, ctx)):
                fut = client.submit(worker.run_remote, payload, key=key, pure=False, retries=0)
                try:
                    status, value = self._wait(fut)
                except KilledWorker:
                    raise AttemptLost("the Dask worker running it died") from None
        finally:
            with self._lock:
                self._progress.pop(key, None)
            if fut is not None:
                try:
                    fut.release()
                except Exception:
                    pass
        if status == "ok":
            return value
        raise RemoteOperationError(**value)

    def _wait(self, fut) -> tuple[str, Any]:
        from distributed import KilledWorker

        while True:
            try:
                return fut.result(timeout=1.0)
            except KilledWorker:
                raise
            except TimeoutError:
                if self.client is None or self.client.status in ("closed", "closing"):
                    raise AttemptLost("the Dask client closed while it ran") from None
                if fut.status in ("cancelled", "lost"):
                    raise AttemptLost(
                        f"the Dask scheduler was lost while it ran (state {fut.status})"
                    ) from None
                continue
            except Exception as exc:
                if fut.status == "error":
                    raise  # not ours: run_remote never raises for the operation's errors
                raise AttemptLost(
                    f"the Dask cluster lost it ({type(exc).__name__}: {str(exc)[:200]})"
                ) from None

    def _interrupt(self, key: str, ctx: OperationContext) -> None:
        """Cancel hook: stop the attempt on whichever worker runs it (or will)."""
        client = self.client
        if client is None:
            return
        from batchcore import worker

        reason = ctx.cancel_reason or "cancelled"

        def send() -> None:
            try:
                client.run(worker.interrupt, key, reason, on_error="ignore")
            except Exception:
                log.debug("sending the stop of %s to the workers failed", key, exc_info=True)

        # never on the caller's thread: it may hold the executor's lock, and an unreachable
        # scheduler would block it
        threading.Thread(target=send, name=f"stop-{key}", daemon=True).start()

    def _on_progress(self, event) -> None:
        """A progress message published by a worker (runs on the client's event loop)."""
        try:
            _ts, msg = event
            with self._lock:
                ctx = self._progress.get(msg["key"])
            if ctx is not None:
                ctx.progress(msg["message"], force=True)
        except Exception:
            log.debug("bad progress event %r", event, exc_info=True)

    # ---------------------------------------------------------------- state
    def available(self) -> bool:
        """True while operations can be sent (the client is connected to the scheduler). A
        client that gave up on a lost `tcp://` scheduler is replaced by a new one, tried in the
        background at most every RECONNECT_EVERY_S seconds, so the engine reconnects when the
        scheduler is back."""
        client = self.client
        if client is not None and client.status == "running":
            return True
        self._maybe_reconnect()
        return False

    RECONNECT_EVERY_S = 5.0

    def _maybe_reconnect(self) -> None:
        if self.address.startswith("local:") or self._closed:
            return
        client = self.client
        if client is not None and client.status not in ("closed", "closing"):
            return  # still trying by itself
        now = time.monotonic()
        with self._lock:
            if self._reconnecting or now - self._last_reconnect < self.RECONNECT_EVERY_S:
                return
            self._reconnecting, self._last_reconnect = True, now
        threading.Thread(target=self._reconnect, name="dask-reconnect", daemon=True).start()

    def _reconnect(self) -> None:
        from distributed import Client

        try:
            fresh = Client(self.address, set_as_default=False, timeout=self.connect_timeout_s)
            fresh.subscribe_topic(self.topic, self._on_progress)
            old, self.client = self.client, fresh
            log.warning("reconnected to the Dask scheduler at %s", self.address)
            if old is not None:
                try:
                    old.close()
                except Exception:
                    pass
        except Exception as exc:
            log.info("the Dask scheduler at %s is still unreachable: %s", self.address, exc)
        finally:
            with self._lock:
                self._reconnecting = False

    def status(self) -> BackendStatus:
        """Whether the cluster takes operations now, and why not."""
        client = self.client
        where = "a local cluster" if self.address.startswith("local:") else self.address
        if client is None or client.status != "running":
            state = "closed" if client is None else client.status
            return BackendStatus(
                self.name,
                False,
                f"the Dask cluster ({where}) is down: its scheduler cannot be reached "
                f"(client {state}); operations wait until it is back",
            )
        try:
            workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        except Exception:
            workers = None
        if workers == 0:
            return BackendStatus(
                self.name,
                False,
                f"the Dask cluster ({where}) has no worker: operations wait until one joins",
                0,
            )
        return BackendStatus(self.name, True, None, workers)


def make_backend(settings, handler_lookup: Callable[[str], Callable]):
    """The backend `settings.executor` names (not started)."""
    if settings.executor == "dask":
        return DaskBackend(
            settings.dask_scheduler,
            workspace_root=settings.workspace,
            staging_dir=settings.staging_dir,
            threads_per_worker=settings.max_workers,
        )
    return ThreadBackend(handler_lookup)
