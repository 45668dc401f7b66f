"""The store's single writer thread: group commit of every state change.

All writes go through one thread and one DuckDB cursor, so there are no write-write conflicts
("Conflict on update!") and every compare-and-set sees the result of the ones before it. The
thread takes whatever commands are queued (up to `max_batch`), applies them in FIFO order in ONE
transaction — consecutive commands of one class as one multi-row statement — and commits.
Measured on this machine class: one single-row UPDATE per commit runs ~1,000/s, while one
statement of 100 rows runs ~24,000 rows/s (shared/notes/baselines.md), hence the grouping.

If a batch fails, it is rolled back and its commands are re-applied one per transaction, so a
bad command fails alone. Results reach callers through a `Future` and an optional callback,
called on the writer thread after the commit (callbacks must not block on the writer).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

import duckdb

from batchcore.timeutil import utcnow_naive

log = logging.getLogger("batchcore.store")


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
    """Owns the write cursor. `submit(cmd)` queues; `call(cmd)` queues and waits for the result."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, *, max_batch: int = 2000, linger_s: float = 0.002
    ):
        self.cur = con.cursor()
        self.max_batch = max_batch
        self.linger_s = linger_s
        self.q: queue.SimpleQueue = queue.SimpleQueue()
        self.batches = 0
        self.commands = 0
        self._thread = threading.Thread(target=self._run, name="batch-store-writer", daemon=True)
        self._started = False
        self._stopped = False

    @property
    def closed(self) -> bool:
        """True once stop() was called: submit() would raise."""
        return self._stopped

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
        self.q.put(cmd)
        return cmd.future

    def call(self, cmd: Command, timeout: float | None = 60.0) -> Any:
        """Queue `cmd` and wait for its result (re-raises its exception)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("writer.call() from the writer thread would deadlock")
        return self.submit(cmd).result(timeout=timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Apply everything queued, then end the thread."""
        if self._stopped:
            return
        self._stopped = True
        if self._started:
            self.q.put(_STOP)
            self._thread.join(timeout)
        try:
            self.cur.close()
        except duckdb.Error:
            pass

    # ---------------------------------------------------------------- thread
    def _run(self) -> None:
        while True:
            first = self.q.get()
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
            self._apply_batch(batch)
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
            if any(touched.get(k, -1) >= cmd.phase for k in keys):
                close()
            rnd.setdefault(type(cmd), []).append(cmd)
            for k in keys:
                touched[k] = max(touched.get(k, -1), cmd.phase)
        close()
        return groups

    def _apply_batch(self, batch: list[Command]) -> None:
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
            if len(batch) == 1:
                self._deliver(batch[0], None, exc)
                return
            log.debug("batch of %d failed (%s); re-applying one by one", len(batch), exc)
            for cmd in batch:
                self._apply_batch([cmd])
            return
        self.batches += 1
        self.commands += len(batch)
        for cmd, res in results:
            self._deliver(cmd, res, None)

    def _rollback(self) -> None:
        try:
            self.cur.execute("ROLLBACK")
        except duckdb.Error:
            pass

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
