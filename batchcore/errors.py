"""One exception family. Each error carries structured fields and builds a readable message.

Faces map them: the API to HTTP codes (`http_status`), the CLI to exit code 2, the pages to
`st.error`. `transient=True` marks errors worth an automatic retry (connection drops, lock
timeouts); everything else is terminal for that attempt's classification.
"""

from __future__ import annotations

from typing import Any


class BatchError(Exception):
    """Base of every error the product raises on purpose.

    Attributes: `message` (plain sentence), `field` (dotted path of the offending input, or None),
    `value` (the offending value, or None), `http_status` (used by the API), `transient`.
    """

    http_status = 400
    transient = False

    def __init__(self, message: str, *, field: str | None = None, value: Any = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: {"error": class name, "message", "field", "value", ...extra}."""
        out: dict[str, Any] = {"error": type(self).__name__, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = _jsonable(self.value)
        out.update({k: _jsonable(v) for k, v in self.extra.items()})
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value if not isinstance(value, str) or len(value) <= 200 else value[:200] + "…"
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value[:20]]
    return repr(value)[:200]


class ConfigError(BatchError):
    """Bad settings, workspace files or pipeline YAML. `location` is `file:line` when known;
    `message` starts with it, `reason` is the message without it."""

    http_status = 422

    def __init__(self, message: str, *, location: str | None = None, **kw: Any):
        full = f"{location}: {message}" if location else message
        super().__init__(full, **kw)
        self.location = location
        self.reason = message


class WorkspaceError(ConfigError):
    """The server's workspace cannot be read (folder missing, bad connections.yaml): a problem of
    the server's configuration, not of the request (HTTP 503)."""

    http_status = 503


class RequestError(BatchError):
    """A job request that cannot be accepted (unknown pipeline, bad id). `field` names the path."""

    http_status = 422


class NotFound(BatchError):
    """An unknown job, operation, project, pipeline or connection."""

    http_status = 404


class Conflict(BatchError):
    """The object is in the wrong state for the action (delete an active job, cancel a finished one)."""

    http_status = 409


class Forbidden(BatchError):
    """The caller is known but may not do this (a read-only token asking to change something)."""

    http_status = 403


class TooManyRequests(BatchError):
    """The server is at a limit that frees up with time (jobs waiting to start): try later."""

    http_status = 429


class StoreLocked(BatchError):
    """Another process holds the job store file. Talk to that process's API with `--url` instead."""

    http_status = 503


class ConnectionFailed(BatchError):
    """A database connection could not be opened or dropped mid-query (transient)."""

    transient = True


class ConnectionRejected(BatchError):
    """The server answered and refused: unknown user or database, bad password, no privilege.
    Retrying cannot help, so it is not retried (unlike ConnectionFailed)."""

    http_status = 422


class OperationCancelled(BatchError):
    """Raised inside an operation when its cancel token is set (force cancel or timeout)."""


class OperationTimeout(BatchError):
    """The operation ran longer than its `timeout_s`."""

    transient = True
