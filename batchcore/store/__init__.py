"""The DuckDB job store: `$BATCH_JOBS_DIR/batch.duckdb`.

`Store(path)` opens (creating and migrating) the file; writes go through `store.writer`
(one thread, group commit, see writer.py), reads through short-lived cursors from
`store.reader()`. One process owns the file: a second process gets StoreLocked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from batchcore.errors import StoreLocked
from batchcore.store.schema import migrate
from batchcore.store.writer import Command, Writer
from batchcore.timeutil import utcnow_naive


def _locked_message(path: Path, exc: Exception) -> str:
    pid = re.search(r"PID (\d+)", str(exc))
    who = f"process {pid.group(1)}" if pid else "another process"
    return (
        f"the job store {path} is locked by {who} (DuckDB lets one process write a database file). "
        "Another `streamlit run app.py` or `python -m batchcore serve` owns it: talk to that server "
        "with `--url http://127.0.0.1:<port>/batch`, stop it, or set BATCH_JOBS_DIR to another folder."
    )


class Store:
    """Owns the DuckDB connection of the job store. Thread-safe: readers get their own cursors."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreLocked(
                    _locked_message(self.path, exc),
                    field="BATCH_JOBS_DIR",
                    value=str(self.path.parent),
                ) from None
            raise
        cur = self.con.cursor()
        try:
            self.schema_version = migrate(cur)
        finally:
            cur.close()
        self.writer = Writer(self.con)
        self._warm_up_arrow()
        self._lock = threading.Lock()
        self._closed = False
        with self.reader() as rc:
            self._next_op_key = (
                int(rc.execute("SELECT coalesce(max(op_key), 0) FROM operations").fetchall()[0][0])
                + 1
            )

    def _warm_up_arrow(self) -> None:
        """The first Arrow scan in a process costs ~0.4 s (measured); pay it at start-up, not in
        the first batch of state changes a user is waiting to see."""
        import pyarrow as pa

        cur = self.writer.cur
        cur.register("_warm_up", pa.table({"x": pa.array([1], pa.int64())}))
        try:
            cur.execute("SELECT count(*) FROM _warm_up").fetchall()
        finally:
            cur.unregister("_warm_up")

    def allocate_op_keys(self, n: int) -> range:
        """`n` new, unique, increasing operation keys (this process owns the file, so a counter
        started from the stored maximum is enough)."""
        with self._lock:
            start = self._next_op_key
            self._next_op_key += n
        return range(start, start + n)

    def start(self) -> None:
        """Start the writer thread."""
        self.writer.start()

    def call(self, cmd: Command, timeout: float | None = 60.0):
        """Apply a command through the writer and wait for its result."""
        return self.writer.call(cmd, timeout=timeout)

    def run_now(self, cmd: Command):
        """Apply an insert-only command (a new job) in its own transaction on the calling thread.

        New rows cannot conflict with the writer's compare-and-set updates (DuckDB appends never
        conflict), so a submission does not queue behind the executor's batches: its latency is
        one commit instead of up to two batch durations (measured ~80 ms under load).
        """
        if not getattr(cmd, "insert_only", False):
            raise TypeError(f"{type(cmd).__name__} must go through the writer")
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                result = cmd.apply(cur, utcnow_naive())
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return result
        finally:
            cur.close()

    def submit(self, cmd: Command, callback=None):
        """Queue a command without waiting (see Writer.submit)."""
        return self.writer.submit(cmd, callback)

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor for reads inside one read transaction, so every query in the block sees
        the same snapshot (a job row and its progress never disagree). Closed afterwards."""
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            yield cur
        finally:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            cur.close()

    def close(self) -> None:
        """Flush the writer and close the file (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.writer.stop()
        try:
            self.con.close()
        except duckdb.Error:
            pass
