"""What runs inside a Dask worker process: one attempt of one operation, from a plain spec.

`run_remote(payload)` is the task the app submits (`batchcore.backends.DaskBackend`). The
payload is a dict of plain values (picklable, no handles): `key` (the attempt's task key),
`kind`, `spec`, `job_id`, `operation_id`, `attempt`, `workspace_root` and `staging_dir`
(paths as strings, as seen on the worker's machine), `remaining_s` (seconds left before the
attempt's timeout, or None) and `progress_topic`. Nothing here opens the job store: the
outcome travels back to the app, which records it through the store's single writer.

Returns `("ok", OperationOutcome)` or `("error", {...facts})`: an exception never crosses the
process boundary (our error classes take keyword arguments and would not unpickle), only the
facts the executor records — the redacted `Type: message` text, the type name, whether it is
`retryable` (the error class's attribute, `batchcore.errors.as_batch_error`) and whether it was
a stop (OperationCancelled).

`interrupt(key, reason)` (run on every worker by the app for a force cancel, a timeout or a
shutdown) stops the attempt running under `key` in this process: it sets its cancel token and
fires its registered cancel hooks (the database's own query cancel). A stop that arrives before
the attempt started is kept and applied when it starts.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from batchcore.errors import OperationCancelled, as_batch_error
from batchcore.operations.base import OperationContext, OperationOutcome

_LOCK = threading.Lock()
_RUNNING: dict[str, OperationContext] = {}
_EARLY: OrderedDict[str, str] = OrderedDict()  # stops for attempts not started (yet) here
_EARLY_MAX = 10_000


def _publish(topic: str, key: str, message: str) -> None:
    from distributed import get_worker

    get_worker().log_event(topic, {"key": key, "message": message})


def run_remote(payload: dict[str, Any]) -> tuple[str, Any]:
    """Run one attempt on this worker (see module doc). Never raises for the operation's own
    errors."""
    from batchcore.operations import get_handler

    key = payload["key"]
    remaining = payload.get("remaining_s")
    topic = payload.get("progress_topic")
    ctx = OperationContext(
        job_id=payload["job_id"],
        operation_id=payload["operation_id"],
        attempt=payload["attempt"],
        workspace_root=Path(payload["workspace_root"]) if payload.get("workspace_root") else None,
        staging_dir=Path(payload["staging_dir"]) if payload.get("staging_dir") else None,
        deadline=None if remaining is None else time.monotonic() + remaining,
        on_progress=None if topic is None else (lambda msg: _publish(topic, key, msg)),
    )
    if payload.get("history") is not None:  # learned bands' history, read by the app process
        from batchcore.validation.anomaly import frozen_history

        ctx.history = frozen_history(payload["history"])
    with _LOCK:
        early = _EARLY.pop(key, None)
        _RUNNING[key] = ctx
    try:
        if early is not None:
            ctx.interrupt(early)
        ctx.check_cancelled()
        outcome = get_handler(payload["kind"])(payload["spec"], ctx)
        if not isinstance(outcome, OperationOutcome):
            raise TypeError(
                f"handler for {payload['kind']} returned {type(outcome).__name__}, not "
                "OperationOutcome"
            )
        return "ok", outcome
    except BaseException as exc:
        return "error", {
            "text": ctx.error_text(exc),
            "etype": type(exc).__name__,
            "retryable": bool(as_batch_error(exc).retryable),
            "cancelled": isinstance(exc, OperationCancelled),
        }
    finally:
        with _LOCK:
            _RUNNING.pop(key, None)


def warm_up() -> int:
    """Import every operation handler in this worker process (the app runs it on every worker
    at connect, so a first attempt does not pay seconds of imports). Returns the process id."""
    import os

    from batchcore.operations import HANDLER_PATHS, get_handler

    for kind in HANDLER_PATHS:
        get_handler(kind)
    return os.getpid()


def interrupt(key: str, reason: str) -> bool:
    """Stop the attempt `key` if it runs in this process (True), else remember the stop for
    when it starts here (False). Never raises."""
    with _LOCK:
        ctx = _RUNNING.get(key)
        if ctx is None:
            _EARLY[key] = reason
            while len(_EARLY) > _EARLY_MAX:
                _EARLY.popitem(last=False)
            return False
    # off the worker's event loop: cancel hooks may do network calls (a server query cancel)
    threading.Thread(target=ctx.interrupt, args=(reason,), daemon=True).start()
    return True


def forget(key: str) -> None:
    """Drop a remembered early stop (the attempt ended elsewhere)."""
    with _LOCK:
        _EARLY.pop(key, None)
