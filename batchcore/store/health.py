"""Is the job store able to write and read now? One object shared by the writer, the readers and
the faces (`GET /batch/health`, the UI sidebar).

A write that fails because of the store itself (disk full, file not writable, the database
invalidated by a failed checkpoint) is a *store failure*: the writer keeps the commands and
retries them, creates answer 503 until a write succeeds again. A write that fails because of the
command (a bad value) is the command's own error and is delivered to its caller.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

# The store is degraded when fewer bytes than this are free on its disk (a checkpoint rewrites
# changed row groups, so it needs room beside the WAL), or when this many commands wait for the
# writer, or when queued commands have waited this long for a commit.
LOW_DISK_BYTES = 64 * 1024 * 1024
BACKLOG_COMMANDS = 10_000
STALLED_S = 10.0

_STORE_FAILURE_TEXT = (
    "no space left",
    "could not write",
    "disk full",
    "read-only file system",
    "permission denied",
    "has been invalidated",
    "failed to commit",
)
_DAMAGE_TEXT = ("corrupt database file", "could not read enough bytes", "not a valid duckdb")


def is_store_failure(exc: BaseException) -> bool:
    """True when `exc` says the store itself cannot write (disk, file, invalidated database),
    not that one command is wrong: the writer retries such commands instead of failing them."""
    if isinstance(
        exc,
        (
            duckdb.IOException,
            duckdb.FatalException,
            duckdb.TransactionException,
            duckdb.ConnectionException,  # the connection was closed by a reopen
            OSError,
        ),
    ):
        return True
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(t in text for t in _STORE_FAILURE_TEXT)


def needs_reopen(exc: BaseException) -> bool:
    """True when DuckDB invalidated the database (a failed checkpoint): only closing and opening
    the file again makes it usable (the committed changes are in its WAL)."""
    return isinstance(exc, duckdb.FatalException) or "has been invalidated" in str(exc).lower()


def is_damage(exc: BaseException) -> bool:
    """True when a read failed because the file is damaged (checksum, truncated block)."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and (
        isinstance(exc, (duckdb.IOException, duckdb.FatalException))
        or any(t in text for t in _DAMAGE_TEXT)
    )


def short_error(exc: BaseException, limit: int = 300) -> str:
    """The first line of an exception's text, without DuckDB's `X Error:` prefixes."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    for prefix in ("TransactionContext Error: ", "IO Error: ", "FATAL Error: ", "Failed: "):
        text = text.replace(prefix, "")
    return text[:limit]


@dataclass(frozen=True)
class HealthReport:
    """`status` "ok" or "degraded"; `reasons` one sentence each (empty when ok); `backlog`
    commands queued for the writer; `last_commit_s` seconds since the last commit (None before
    the first); `disk_free_bytes` free on the store's disk (None when unknown)."""

    status: str
    reasons: list[str]
    backlog: int
    last_commit_s: float | None
    disk_free_bytes: int | None
    writable: bool


class StoreHealth:
    """Thread-safe record of the store's recent writes and reads (see module doc).

    Texts it gives out (`/health` needs no token) name the store's folder `<jobs dir>`, never
    the server's path."""

    def __init__(self, folder: Path | None, *, low_disk_bytes: int = LOW_DISK_BYTES):
        self.folder = folder
        self.low_disk_bytes = low_disk_bytes
        self._lock = threading.Lock()
        self.write_error: str | None = None
        self.failing_since: float | None = None  # monotonic
        self.write_failures = 0
        self.recoveries = 0  # failing → ok transitions (the executor reconciles after each)
        self.read_error: str | None = None
        self.checkpoint_note: str | None = None
        self.last_commit: float | None = None  # monotonic

    # ---------------------------------------------------------------- writes
    @property
    def write_failing(self) -> bool:
        """True from a failed store write until the next successful one."""
        return self.failing_since is not None

    def write_failed(self, exc: BaseException) -> None:
        """A store write failed because of the store (see is_store_failure)."""
        with self._lock:
            self.write_error = self._hide_folder(short_error(exc))
            self.write_failures += 1
            if self.failing_since is None:
                self.failing_since = time.monotonic()

    def write_ok(self) -> None:
        """A store write committed."""
        with self._lock:
            self.last_commit = time.monotonic()
            if self.failing_since is not None:
                self.failing_since = None
                self.recoveries += 1
            self.write_error = None

    def read_failed(self, exc: BaseException) -> None:
        """A read failed on a damaged file."""
        with self._lock:
            self.read_error = self._hide_folder(short_error(exc))

    def unavailable_message(self) -> str:
        """Why the store cannot take a write now, for a 503."""
        err = self.write_error or "unknown error"
        free = self.disk_free()
        disk = f"; {_mb(free)} free on its disk" if free is not None else ""
        return (
            f"the job store cannot write now ({err}{disk}): nothing was changed; "
            "try again once GET /batch/health answers status ok"
        )

    def _hide_folder(self, text: str) -> str:
        if self.folder is None:
            return text
        for spelling in {str(self.folder.resolve()), str(self.folder)}:
            text = text.replace(spelling, "<jobs dir>")
        return text

    # ---------------------------------------------------------------- report
    def disk_free(self) -> int | None:
        """Bytes free on the store's disk (None for an in-memory store or when unknown)."""
        if self.folder is None:
            return None
        try:
            return shutil.disk_usage(self.folder).free
        except OSError:
            return None

    def report(self, backlog: int, oldest_wait_s: float | None) -> HealthReport:
        """The store's health now. `backlog`: commands queued for the writer; `oldest_wait_s`:
        how long the writer has had work without committing (None when idle)."""
        now = time.monotonic()
        reasons: list[str] = []
        free = self.disk_free()
        with self._lock:
            if self.failing_since is not None:
                reasons.append(
                    f"store write failing for {now - self.failing_since:.0f} s "
                    f"({self.write_failures} failed attempts, retrying): {self.write_error}"
                )
            if self.read_error:
                reasons.append(f"store read failed: {self.read_error}")
            if self.checkpoint_note:
                reasons.append(self.checkpoint_note)
            last = None if self.last_commit is None else now - self.last_commit
        if free is not None and free < self.low_disk_bytes:
            word = "disk full" if free < 1024 * 1024 else "disk almost full"
            reasons.append(f"{word}: {_mb(free)} free on the job store's disk")
        if backlog >= BACKLOG_COMMANDS:
            reasons.append(f"writer backlog: {backlog:,} store changes waiting")
        elif oldest_wait_s is not None and oldest_wait_s >= STALLED_S:
            reasons.append(
                f"writer backlog: {backlog:,} store changes waiting, none committed for "
                f"{oldest_wait_s:.0f} s"
            )
        return HealthReport(
            status="degraded" if reasons else "ok",
            reasons=reasons,
            backlog=backlog,
            last_commit_s=None if last is None else round(last, 3),
            disk_free_bytes=free,
            writable=not self.write_failing,
        )


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"
