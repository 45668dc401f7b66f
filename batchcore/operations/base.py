"""What a handler receives (`OperationContext`) and returns (`OperationOutcome`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchcore.errors import OperationCancelled
from batchcore.models import FailureKind
from batchcore.redact import redact_paths, redact_secrets

# A stop request fires an attempt's cancel hooks again every REFIRE_S seconds while the attempt
# is still inside an interruptible block (at most REFIRE_MAX_S seconds).
REFIRE_S = 0.25
REFIRE_MAX_S = 600.0


@dataclass
class OperationOutcome:
    """The result of one attempt that ran to its end.

    `success` False means "ran, and the result is a failure" (e.g. checks failed): the
    operation becomes `failed` and is not retried automatically. `failure_kind` says why
    (ignored when `success`): `checks_failed` (default: the checks found bad data) or `error`
    (the work could not be done, e.g. a validation whose checks could not run; DESIGN §12). A
    handler that raises always fails with `error`. `result` is JSON-ready and
    stored on the operation; `check_results` are rows for the `check_results` table (keys of
    `batchcore.store.commands.CHECK_COLUMNS` minus job_id, operation_id, attempt, created_at);
    `snapshot` is a metadata catalog to store in `catalog_snapshots`.
    """

    success: bool
    summary: str
    failure_kind: FailureKind = FailureKind.CHECKS_FAILED
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    check_results: list[dict[str, Any]] = field(default_factory=list)
    snapshot: dict[str, Any] | None = None


class OperationContext:
    """Given to a handler for one attempt: ids, cancel token, progress, logger, workspace, and
    `staging_dir` (the engine's folder for temporary files, emptied at every start; None: the
    system's temp folder).

    Cancellation is cooperative: call `check_cancelled()` between steps, and wrap blocking
    database calls in `with ctx.interruptible(conn.cancel):` so a force cancel or a timeout
    stops the running query.
    """

    def __init__(
        self,
        *,
        job_id: str,
        operation_id: str,
        attempt: int,
        workspace_root: Path | None = None,
        on_progress: Callable[[str], None] | None = None,
        logger: logging.Logger | None = None,
        deadline: float | None = None,
        staging_dir: Path | None = None,
    ):
        self.job_id = job_id
        self.operation_id = operation_id
        self.attempt = attempt
        self.workspace_root = workspace_root
        self.staging_dir = staging_dir  # where the attempt may stage files (cleaned at start)
        self.deadline = deadline
        self.log = logger or logging.getLogger(f"batchcore.op.{operation_id}")
        self._on_progress = on_progress
        self._cancel = threading.Event()
        self.cancel_reason: str | None = None
        self._hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._workspace = None
        self._secrets: list[tuple[str, str]] | None = None
        self._last_progress = 0.0
        # the executor's check history source (batchcore.validation.anomaly.HistorySource) for
        # learned alert bands; None outside the engine
        self.history = None

    # ---------------------------------------------------------------- cancel
    @property
    def cancelled(self) -> bool:
        """True once the executor asked this attempt to stop (force cancel, timeout, shutdown)."""
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        """Raise OperationCancelled when a stop was requested."""
        if self._cancel.is_set():
            raise OperationCancelled(f"operation stopped: {self.cancel_reason or 'cancelled'}")

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking early on cancel. Returns True when cancelled."""
        return self._cancel.wait(seconds)

    @contextmanager
    def interruptible(self, hook: Callable[[], None]) -> Iterator[None]:
        """Call `hook()` (e.g. `conn.cancel`) if a stop is requested while inside the block.

        Raises OperationCancelled at entry when the stop was already requested (the block never
        starts its query). A stop requested inside the block fires `hook` at once and again
        every REFIRE_S seconds until the block is left: a cancel that lands after the block
        began but before the database received the query finds nothing to stop (MySQL
        KILL QUERY, a PostgreSQL cancel request, interrupt() are no-ops then), and the re-fire
        stops the query once it runs.
        """
        with self._lock:
            if self._cancel.is_set():
                raise OperationCancelled(f"operation stopped: {self.cancel_reason or 'cancelled'}")
            self._hooks.append(hook)
        try:
            yield
        finally:
            with self._lock:
                if hook in self._hooks:
                    self._hooks.remove(hook)

    def interrupt(self, reason: str) -> None:
        """Executor side: set the token and fire the registered hooks now, and again every
        REFIRE_S seconds while any remains registered (never raises)."""
        with self._lock:
            if self.cancel_reason is None:
                self.cancel_reason = reason
            first = not self._cancel.is_set()
            self._cancel.set()
            hooks = list(self._hooks)
        self._fire(hooks)
        if first:
            threading.Thread(
                target=self._refire, name=f"refire-{self.operation_id}", daemon=True
            ).start()

    def _fire(self, hooks: list[Callable[[], None]]) -> None:
        for h in hooks:
            try:
                h()
            except Exception:
                self.log.debug("cancel hook failed", exc_info=True)

    def _refire(self) -> None:
        """Fire the hooks still registered every REFIRE_S s, until none is (or REFIRE_MAX_S)."""
        deadline = time.monotonic() + REFIRE_MAX_S
        while time.monotonic() < deadline:
            time.sleep(REFIRE_S)
            with self._lock:
                hooks = list(self._hooks)
            if not hooks:
                return
            self._fire(hooks)

    # ---------------------------------------------------------------- progress, workspace
    def progress(self, message: str, *, force: bool = False) -> None:
        """Report what the attempt is doing now (shown live); at most ~4 writes per second."""
        now = time.monotonic()
        if self._on_progress is None or (not force and now - self._last_progress < 0.25):
            return
        self._last_progress = now
        try:
            self._on_progress(message)
        except Exception:
            self.log.debug("progress report failed", exc_info=True)

    def redact(self, text: str | None) -> str | None:
        """`text` as it may leave the operation (stored, shown, exported): without any workspace
        connection's URL, user, password or `${ENV}` values, and without server paths (the
        workspace folder reads `<workspace>`, other absolute paths `<path>/<name>`)."""
        if not text:
            return text
        if self._secrets is None:
            try:
                self._secrets = sorted(
                    (pair for c in self.workspace.connections.values() for pair in c.secrets()),
                    key=lambda kv: -len(kv[0]),
                )
            except Exception:  # no workspace, or one that cannot load: paths only
                self._secrets = []
        text = redact_secrets(text, self._secrets)
        return redact_paths(text, [(self.workspace_root, "<workspace>")])

    def error_text(self, error: BaseException) -> str:
        """How an error that ended an attempt is recorded: `Type: message`, redacted."""
        return self.redact(f"{type(error).__name__}: {error}") or type(error).__name__

    @property
    def workspace(self):
        """The workspace, loaded once per attempt (so edits apply to the next attempt)."""
        if self._workspace is None:
            from batchcore.workspace import Workspace

            if self.workspace_root is None:
                raise RuntimeError("this operation has no workspace")
            self._workspace = Workspace.load(self.workspace_root)
        return self._workspace
