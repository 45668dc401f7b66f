"""One exception family. Each error carries structured fields and builds a readable message.

Faces map them: the API to HTTP codes (`http_status`), the CLI to exit code 2, the pages to
`st.error`. `retryable` is the ONE rule of automatic retries: the executor maps whatever an
operation raised with `as_batch_error()` (the one place where driver and Python exceptions get a
class) and retries it, while attempts remain, only when the class says `retryable = True`.
"""

from __future__ import annotations

import re
from typing import Any


class BatchError(Exception):
    """Base of every error the product raises on purpose.

    Attributes: `message` (plain sentence), `field` (dotted path of the offending input, or None),
    `value` (the offending value, or None), `http_status` (used by the API), `retryable` (the
    same attempt may succeed later: the executor retries it while attempts remain).
    """

    http_status = 400
    retryable = False

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
    retryable = True


class StoreUnavailable(BatchError):
    """The job store cannot take a write now (disk full, write failing, writer backlog) or a read
    failed on a damaged file. The API answers 503; the change was not made (unless the message
    says it may still be applied)."""

    http_status = 503
    retryable = True


class StoreDamaged(BatchError):
    """The job store file cannot be opened or read at start (truncated, corrupted, not a DuckDB
    file). The message names the file and what to do; the engine does not start."""

    http_status = 503


class ConnectionFailed(BatchError):
    """A database connection could not be opened, or was lost mid-query (server down, restarted,
    network): the same attempt may succeed later."""

    retryable = True


class ConnectionRejected(BatchError):
    """The server answered and refused: unknown user or database, bad password, no privilege.
    Retrying cannot help, so it is not retried (unlike ConnectionFailed)."""

    http_status = 422


class OperationCancelled(BatchError):
    """Raised inside an operation when its cancel token is set (force cancel or timeout)."""


class OperationTimeout(BatchError):
    """The operation ran longer than its `timeout_s`."""

    retryable = True


class OperationError(BatchError):
    """An exception of no class of ours raised by an operation (a driver's, Python's), wrapped by
    `as_batch_error`. Retried (DESIGN §4: an error that raised may pass next time) unless it is a
    programming error (`KeyError`, `TypeError`, `AttributeError`, `NameError`), which fails the same
    way every time."""

    retryable = True

    def __init__(self, message: str, *, retryable: bool = True, **kw: Any):
        super().__init__(message, **kw)
        self.retryable = retryable


# ---------------------------------------------------------------- driver exceptions, mapped once

# The server answered and said no: retrying cannot help (PostgreSQL FATAL messages; MySQL error
# codes 1044/1045/1698 access denied, 1049 unknown database, 1227 no privilege).
PG_REJECTED = re.compile(
    r"FATAL:\s+(role .* does not exist|database .* does not exist|password authentication failed"
    r"|no pg_hba.conf entry|permission denied)",
    re.IGNORECASE,
)
MYSQL_REJECTED = {1044, 1045, 1049, 1227, 1698}
# MySQL/MariaDB client and server codes of a lost or impossible connection: 2003 cannot connect,
# 2006 server has gone away, 2013 lost connection during query, 2055 lost connection (system
# error), 1053 server shutdown in progress, 1927 connection killed, 2002 no local socket.
MYSQL_LOST = {1053, 1927, 2002, 2003, 2006, 2013, 2055}


def validation_error(exc: Any, cls: type[BatchError] | None = None, prefix: str = "") -> BatchError:
    """The first error of a pydantic `ValidationError` as a `cls` (default RequestError) whose
    field is the error's location dotted and prefixed (`prefix` like "request."), e.g.
    `request.pipelines.0.pipeline_id: Field required`, with the rejected input as its value."""
    err = exc.errors()[0]
    field = prefix + ".".join(str(p) for p in err["loc"])
    return (cls or RequestError)(f"{field}: {err['msg']}", field=field, value=err.get("input"))


# PostgreSQL SQLSTATEs of a connection that ended: class 08 (connection exception), 57P01 admin
# shutdown, 57P02 crash shutdown, 57P03 cannot connect now.
_PG_LOST_STATES = ("08", "57P01", "57P02", "57P03")
_PROGRAMMING_ERRORS = (KeyError, TypeError, AttributeError, NameError)


def driver_error(exc: BaseException, context: str | None = None) -> BatchError | None:
    """The class of a database driver's exception, or None when it is no connection problem.

    ConnectionRejected when the server refused the login or the database (never retried),
    ConnectionFailed when the connection could not be made or was lost mid-query (server down,
    restarted, network: retried). `context` prefixes the message (`cannot connect to PostgreSQL
    (name)`). A query's own error (bad SQL, cancelled statement) is None: it is no connection
    problem. Drivers are recognised by module, so none is imported here.
    """
    module = type(exc).__module__.split(".")[0]
    text = str(exc).strip() or type(exc).__name__
    message = f"{context}: {text}" if context else f"{type(exc).__name__}: {text}"
    if module == "psycopg":
        import psycopg

        if PG_REJECTED.search(text):
            return ConnectionRejected(message, field="url")
        state = getattr(exc, "sqlstate", None) or ""
        lost = isinstance(exc, psycopg.InterfaceError) or (
            isinstance(exc, psycopg.OperationalError)
            and (not state or state.startswith(_PG_LOST_STATES))
        )
        return ConnectionFailed(message, field="url") if lost else None
    if module == "pymysql":
        import pymysql

        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        if code in MYSQL_REJECTED:
            return ConnectionRejected(message, field="url")
        if code in MYSQL_LOST or isinstance(exc, pymysql.err.InterfaceError):
            return ConnectionFailed(message, field="url")
        return None
    return None


def as_batch_error(exc: BaseException) -> BatchError:
    """Whatever an operation raised, as one of our classes (its `retryable` decides a retry).

    A BatchError is itself; a driver's connection problem becomes ConnectionFailed or
    ConnectionRejected (`driver_error`); anything else an OperationError, not retryable for
    programming errors.
    """
    if isinstance(exc, BatchError):
        return exc
    mapped = driver_error(exc)
    if mapped is not None:
        return mapped
    text = f"{type(exc).__name__}: {str(exc).strip() or type(exc).__name__}"
    return OperationError(text, retryable=not isinstance(exc, _PROGRAMMING_ERRORS))
