"""The store's single writer thread: group commit of every state change.

All writes go through one thread and one DuckDB cursor, so there are no write-write conflicts
("Conflict on update!") and every compare-and-set sees the result of the ones before it. The
thread takes whatever commands are queued (up to `max_batch`), applies them in FIFO order in ONE
transaction — consecutive commands of one class as one multi-row statement — and commits.
Measured on this machine class: one single-row UPDATE per commit runs ~1,000/s, while one
statement of 100 rows runs ~24,000 rows/s (shared/notes/baselines.md), hence the grouping.

If a batch fails because of a command, it is rolled back and its commands are re-applied one per
transaction, so a bad command fails alone. If it fails because of the store (disk full, file not
writable: `health.is_store_failure`), nothing is lost: the writer keeps the batch, marks the
store as failing, and applies it again after a backoff (0.05 s doubling to 5 s) until it commits;
a database that DuckDB invalidated (a failed checkpoint) is first closed and opened again
(`reopen`). While the queue is empty and the store is failing, the writer probes it with a
one-row write every PROBE_S seconds, so the store reads writable again as soon as a write works.
Results reach callers through a `Future` and an optional callback, called on the writer thread
after the commit (callbacks must not block on the writer).

Checkpoints are the writer's: DuckDB's automatic checkpoint is off (a checkpoint that fails for
lack of disk space invalidates the database, and an automatic one fails the COMMIT that triggered
it after that transaction was durable — an ambiguity no retry can resolve). After a commit the
writer checkpoints when the WAL exceeds CHECKPOINT_WAL_BYTES and the disk has room for it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from batchcore.errors import StoreUnavailable
from batchcore.store.health import StoreHealth, is_store_failure, needs_reopen, short_error
from batchcore.timeutil import utcnow_naive

log = logging.getLogger("batchcore.store")

RETRY_FIRST_S = 0.05
RETRY_MAX_S = 5.0
PROBE_S = 1.0
CHECKPOINT_WAL_BYTES = 16 * 1024 * 1024  # DuckDB's own default threshold


class Command:
    """A unit of work for the writer. Subclasses implement `apply`; `apply_many` may group.

    A groupable command returns the op_keys it touches from `keys()` and has a `phase`; one
    returning None (the default) is a barrier, applied alone in queue order.
    """

    phase = 9

    def keys(self) -> set[int] | None:
        """Operations this command touches, or None when it must not be regrouped."""
        return None

    def __init__(self) -> None:
        self.future: Future = Future()
        self.callback: Callable[[Any, BaseException | None], None] | None = None

    def apply(self, cur: duckdb.DuckDBPyConnection, now: datetime) -> Any:
        """Do the work inside the open transaction; return the result for the caller."""
        raise TypeError(f"{type(self).__name__} must implement apply() or apply_many()")

    @classmethod
    def apply_many(
        cls, cur: duckdb.DuckDBPyConnection, cmds: list[Command], now: datetime
    ) -> list[Any]:
        """Apply consecutive commands of this class; default: one by one."""
        return [c.apply(cur, now) for c in cmds]


class FnCommand(Command):
    """Run `fn(cur, now)` in the writer's transaction (for rare, non-hot-path writes)."""

    def __init__(self, fn: Callable[[duckdb.DuckDBPyConnection, datetime], Any]):
        super().__init__()
        self.fn = fn

    def apply(self, cur, now):
        return self.fn(cur, now)


_STOP = object()


class Writer:
    """Owns the write cursor. `submit(cmd)` queues; `call(cmd)` queues and waits for the result.

    `health`: where store failures and commits are recorded; `reopen`: closes and opens the
    database again, returning the new connection (after DuckDB invalidated it); `probe_sql`: a
    one-row write used to test a failing store; `wal_path`: the WAL file watched for checkpoints.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        health: StoreHealth | None = None,
        reopen: Callable[[], duckdb.DuckDBPyConnection] | None = None,
        probe_sql: str | None = None,
        wal_path: Path | None = None,
        max_batch: int = 2000,
        linger_s: float = 0.002,
    ):
        self.cur = con.cursor()
        self.health = health or StoreHealth(None)
        self.reopen = reopen
        self.probe_sql = probe_sql
        self.wal_path = wal_path
        self.max_batch = max_batch
        self.linger_s = linger_s
        self.q: queue.SimpleQueue = queue.SimpleQueue()
        self.batches = 0
        self.commands = 0
        self.in_flight = 0  # commands taken from the queue and not yet delivered
        self._busy_since: float | None = None  # monotonic: work waiting since, without a commit
        self._thread = threading.Thread(target=self._run, name="batch-store-writer", daemon=True)
        self._started = False
        self._stopped = False
        self._give_up = threading.Event()  # set by stop(): a failing store is not retried again

    @property
    def closed(self) -> bool:
        """True once stop() was called: submit() would raise."""
        return self._stopped

    def backlog(self) -> int:
        """Commands queued or being applied."""
        return self.q.qsize() + self.in_flight

    def waiting_s(self) -> float | None:
        """Seconds the writer has had work waiting without a commit (None when idle)."""
        since = self._busy_since
        if since is None:
            return None
        last = self.health.last_commit
        return time.monotonic() - (since if last is None else max(since, last))

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def submit(
        self, cmd: Command, callback: Callable[[Any, BaseException | None], None] | None = None
    ) -> Future:
        """Queue `cmd`; returns its Future. Raises RuntimeError after stop()."""
        if self._stopped:
            raise RuntimeError("the job store is closed")
        cmd.callback = callback
        if self._busy_since is None:
            self._busy_since = time.monotonic()
        self.q.put(cmd)
        return cmd.future

    def call(self, cmd: Command, timeout: float | None = 60.0) -> Any:
        """Queue `cmd` and wait for its result (re-raises its exception)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("writer.call() from the writer thread would deadlock")
        return self.submit(cmd).result(timeout=timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Apply everything queued, then end the thread. A store that is failing is not retried
        any more: what it could not write is failed with StoreUnavailable (crash recovery at the
        next start re-runs the attempts whose results were lost)."""
        if self._stopped:
            return
        self._stopped = True
        if self._started:
            self.q.put(_STOP)
            deadline = time.monotonic() + timeout
            while self._thread.is_alive() and time.monotonic() < deadline:
                if self.health.write_failing:
                    self._give_up.set()
                self._thread.join(0.05)
            self._give_up.set()
        try:
            self.cur.close()
        except duckdb.Error:
            pass

    # ---------------------------------------------------------------- thread
    def _run(self) -> None:
        while True:
            try:
                first = self.q.get(timeout=PROBE_S)
            except queue.Empty:
                if self.health.write_failing:
                    self._probe()
                continue
            if first is _STOP:
                return
            batch = [first]
            stop_after = False
            lingered = False
            while len(batch) < self.max_batch:
                try:
                    nxt = self.q.get_nowait()
                except queue.Empty:
                    if lingered or len(batch) >= 64 or self.linger_s <= 0:
                        break
                    lingered = True  # a small batch waits once, briefly, for company
                    try:
                        nxt = self.q.get(timeout=self.linger_s)
                    except queue.Empty:
                        break
                if nxt is _STOP:
                    stop_after = True
                    break
                batch.append(nxt)
            self.in_flight = len(batch)
            try:
                self._apply_until_stored(batch)
            finally:
                self.in_flight = 0
                if self.q.empty():
                    self._busy_since = None
            self._maybe_checkpoint()
            if stop_after:
                return

    @staticmethod
    def _groups(batch: list[Command]) -> list[list[Command]]:
        """Order of application: queue order, except that groupable commands are collected into
        rounds applied as one multi-row statement per command class, in `phase` order (claims,
        then finishes, then progress). A command may join the open round only if none of its
        operations was already touched there by a command of the same or a later phase (so an
        operation's claim and finish share a round, but a retry's second claim does not); a
        barrier command closes the round and is applied alone."""
        groups: list[list[Command]] = []
        rnd: dict[type, list[Command]] = {}
        touched: dict[int, int] = {}

        def close() -> None:
            for cls in sorted(rnd, key=lambda c: c.phase):
                groups.append(rnd[cls])
            rnd.clear()
            touched.clear()

        for cmd in batch:
            keys = cmd.keys()
            if keys is None:
                close()
                groups.append([cmd])
                continue
            if any(k in touched and touched[k] >= cmd.phase for k in keys):
                close()
            rnd.setdefault(type(cmd), []).append(cmd)
            for k in keys:
                touched[k] = max(touched.get(k, cmd.phase), cmd.phase)
        close()
        return groups

    def _apply_until_stored(self, batch: list[Command]) -> None:
        """Apply `batch`; on a store failure wait and apply it again (see module doc)."""
        delay = RETRY_FIRST_S
        while True:
            exc = self._apply_batch(batch)
            if exc is None:
                return
            self.health.write_failed(exc)
            log.error(
                "the job store cannot write (%s); keeping %d change(s) and retrying in %.2f s",
                short_error(exc),
                len(batch),
                delay,
            )
            if needs_reopen(exc):
                self._reopen()
            if self._give_up.wait(delay):
                lost = StoreUnavailable(
                    f"the job store stopped while it could not write ({short_error(exc)})"
                )
                for cmd in batch:
                    self._deliver(cmd, None, lost)
                return
            delay = min(delay * 2, RETRY_MAX_S)

    def _apply_batch(self, batch: list[Command]) -> BaseException | None:
        """Apply `batch` in one transaction and deliver the results. Returns the exception when
        the store itself failed (nothing delivered, batch to retry), else None."""
        now = utcnow_naive()
        results: list[tuple[Command, Any]] = []
        try:
            self.cur.execute("BEGIN TRANSACTION")
            for group in self._groups(batch):
                out = type(group[0]).apply_many(self.cur, group, now)
                results.extend(zip(group, out, strict=True))
            self.cur.execute("COMMIT")
        except BaseException as exc:
            self._rollback()
            if is_store_failure(exc):
                return exc
            if len(batch) == 1:
                self._deliver(batch[0], None, exc)
                return None
            log.debug("batch of %d failed (%s); re-applying one by one", len(batch), exc)
            for i, cmd in enumerate(batch):
                failed = self._apply_batch([cmd])
                if failed is not None:  # the store broke meanwhile: the rest waits for it
                    self.health.write_failed(failed)
                    self._apply_until_stored(batch[i:])
                    break
            return None
        self.health.write_ok()
        self.batches += 1
        self.commands += len(batch)
        for cmd, res in results:
            self._deliver(cmd, res, None)
        return None

    def _rollback(self) -> None:
        try:
            self.cur.execute("ROLLBACK")
        except duckdb.Error:
            pass

    def _reopen(self) -> None:
        """Close the invalidated database (this cursor first: DuckDB frees an instance when its
        last connection closes) and open it again; on failure the next attempt retries."""
        if self.reopen is None:
            return
        try:
            self.cur.close()
        except duckdb.Error:
            pass
        try:
            self.cur = self.reopen().cursor()
        except Exception as exc:
            log.error("the job store could not be opened again: %s", short_error(exc))
            return
        log.warning("the job store was closed and opened again after a fatal error")

    def _probe(self) -> None:
        """One-row write to test a failing store while no command is queued."""
        if self.probe_sql is None:
            return
        try:
            self.cur.execute("BEGIN TRANSACTION")
            self.cur.execute(self.probe_sql, [utcnow_naive()])
            self.cur.execute("COMMIT")
        except Exception as exc:
            self._rollback()
            self.health.write_failed(exc)
            if needs_reopen(exc):
                self._reopen()
            return
        self.health.write_ok()
        log.warning("the job store writes again")

    def _maybe_checkpoint(self) -> None:
        """CHECKPOINT when the WAL is large and the disk has room for it (see module doc)."""
        if self.wal_path is None:
            return
        try:
            wal = os.stat(self.wal_path).st_size
        except OSError:
            return
        if wal < CHECKPOINT_WAL_BYTES:
            return
        free = self.health.disk_free()
        needed = 2 * wal + self.health.low_disk_bytes
        if free is not None and free < needed:
            self.health.checkpoint_note = (
                f"checkpoint postponed: the WAL holds {wal / 2**20:.0f} MB and the disk has "
                f"{free / 2**20:.0f} MB free (needs {needed / 2**20:.0f} MB)"
            )
            return
        try:
            self.cur.execute("CHECKPOINT")
            self.health.checkpoint_note = None
        except Exception as exc:
            log.error("checkpoint failed: %s", short_error(exc))
            if needs_reopen(exc):
                self.health.write_failed(exc)
                self._reopen()

    @staticmethod
    def _deliver(cmd: Command, result: Any, exc: BaseException | None) -> None:
        if exc is None:
            cmd.future.set_result(result)
        else:
            cmd.future.set_exception(exc)
        if cmd.callback is not None:
            try:
                cmd.callback(result, exc)
            except Exception:
                log.exception("writer callback of %s failed", type(cmd).__name__)
