"""The DuckDB job store: `$BATCH_JOBS_DIR/batch.duckdb`.

`Store(path)` opens (creating and migrating) the file and reads every table once (a damaged file
is refused at start with one line, StoreDamaged); writes go through `store.writer` (one thread,
group commit, retried while the store cannot write, see writer.py), reads through short-lived
cursors from `store.reader()`. One process owns the file: a second process gets StoreLocked.
`store.health` says whether the store writes and reads now (`GET /batch/health`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path

import duckdb

from batchcore.errors import ConfigError, StoreDamaged, StoreLocked, StoreUnavailable
from batchcore.store.health import (
    LOW_DISK_BYTES,
    HealthReport,
    StoreHealth,
    is_damage,
    is_store_failure,
    short_error,
)
from batchcore.store.schema import SCHEMA_VERSION, SchemaTooNew, migrate
from batchcore.store.writer import Command, Writer
from batchcore.timeutil import utcnow_naive

# DuckDB's automatic checkpoint is off: the writer checkpoints itself (see writer.py)
_CONFIG = {"checkpoint_threshold": "1000 GB"}


def _locked_message(path: Path, exc: Exception) -> str:
    pid = re.search(r"PID (\d+)", str(exc))
    who = f"process {pid.group(1)}" if pid else "another process"
    return (
        f"the job store {path} is locked by {who} (DuckDB lets one process write a database file). "
        "Another `streamlit run app.py` or `python -m batchcore serve` owns it: talk to that server "
        "with `--url http://127.0.0.1:<port>/batch` (`run --job FILE --url ...` and `submit` "
        "accept it), stop it, or set BATCH_JOBS_DIR to another folder."
    )


def _damaged_message(path: Path, exc: BaseException) -> str:
    wal = path.with_name(path.name + ".wal")
    aside = f"`mv {path} {path}.damaged`" + (
        f" and `mv {wal} {wal}.damaged`" if wal.exists() else ""
    )
    return (
        f"the job store {path} is damaged and cannot be used ({short_error(exc, 200)}): restore "
        f"it from a backup, or move it aside ({aside}) to start with an empty job store"
    )


def check_integrity(cur: duckdb.DuckDBPyConnection) -> None:
    """Read every column of every table once (DuckDB verifies each block's checksum as it reads
    it), so a damaged file fails here at start instead of answering 500s later. ~0.2 s for a
    store of 1M operations (measured). Raises the driver's error."""
    tables = cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY table_name"
    ).fetchall()
    for (table,) in tables:
        cur.execute(f'SELECT count(*), max(hash(COLUMNS(*))) FROM "{table}"').fetchall()


class Store:
    """Owns the DuckDB connection of the job store. Thread-safe: readers get their own cursors."""

    def __init__(self, path: Path | str, *, low_disk_bytes: int = LOW_DISK_BYTES):
        self.path = Path(path)
        self.in_memory = str(path) == ":memory:"
        if not self.in_memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.health = StoreHealth(
            None if self.in_memory else self.path.parent, low_disk_bytes=low_disk_bytes
        )
        self._con_lock = threading.Lock()
        self.con = self._open()
        self.writer = Writer(
            self.con,
            health=self.health,
            reopen=self._reopen,
            probe_sql="UPDATE store_probe SET written_at = ?",
            wal_path=None if self.in_memory else self.path.with_name(self.path.name + ".wal"),
        )
        self._warm_up_arrow()
        self._lock = threading.Lock()
        # group commit of submissions (insert_grouped): queued commands, leader flag
        self._group_cond = threading.Condition()
        self._group_queue: list[Command] = []
        self._group_leader = False
        self._closed = False
        with self.reader() as rc:
            self._next_op_key = (
                int(rc.execute("SELECT coalesce(max(op_key), 0) FROM operations").fetchall()[0][0])
                + 1
            )

    def _open(self) -> duckdb.DuckDBPyConnection:
        """Connect, migrate and check every table. Raises StoreLocked, StoreDamaged,
        StoreUnavailable (disk full at start) or ConfigError (a newer schema), each one line."""
        try:
            con = duckdb.connect(str(self.path), config=_CONFIG)
        except duckdb.Error as exc:
            raise self._open_error(exc) from None
        cur = con.cursor()
        try:
            self.schema_version = migrate(cur)
            check_integrity(cur)
        except (SchemaTooNew, duckdb.Error) as exc:
            for c in (cur, con):
                try:
                    c.close()
                except duckdb.Error:
                    pass
            if isinstance(exc, SchemaTooNew):
                raise ConfigError(
                    f"the job store {self.path} was written by a newer batchcore (schema "
                    f"v{exc.version}, this program reads up to v{SCHEMA_VERSION}): upgrade "
                    "batchcore, or set BATCH_JOBS_DIR to another folder",
                    field="BATCH_JOBS_DIR",
                    value=str(self.path.parent),
                ) from None
            raise self._open_error(exc) from None
        cur.close()
        return con

    def _open_error(self, exc: duckdb.Error) -> Exception:
        text = str(exc).lower()
        where = dict(field="BATCH_JOBS_DIR", value=str(self.path.parent))
        if isinstance(exc, duckdb.IOException) and "lock" in text:
            return StoreLocked(_locked_message(self.path, exc), **where)
        if "no space left" in text or "could not write" in text or "read-only" in text:
            return StoreUnavailable(
                f"the job store {self.path} cannot be written ({short_error(exc, 200)}): free "
                f"disk space in {self.path.parent} (or make it writable) and start again",
                **where,
            )
        return StoreDamaged(_damaged_message(self.path, exc), **where)

    def _reopen(self) -> duckdb.DuckDBPyConnection:
        """Close the connection and open the file again (the writer calls this after DuckDB
        invalidated the database; committed changes come back from the WAL)."""
        with self._con_lock:
            try:
                self.con.close()
            except duckdb.Error:
                pass
            self.con = duckdb.connect(str(self.path), config=_CONFIG)
            return self.con

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._con_lock:
            try:
                return self.con.cursor()
            except duckdb.Error as exc:
                raise StoreUnavailable(
                    f"the job store is being opened again after an error ({short_error(exc)}): "
                    "try again in a moment"
                ) from None

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

    def health_report(self) -> HealthReport:
        """The store's health now (writes failing, disk space, writer backlog, read errors)."""
        return self.health.report(self.writer.backlog(), self.writer.waiting_s())

    def ensure_writable(self) -> None:
        """Raise StoreUnavailable (503) while the store's writes are failing."""
        if self.health.write_failing:
            raise StoreUnavailable(self.health.unavailable_message())

    def call(self, cmd: Command, timeout: float | None = 60.0):
        """Apply a command through the writer and wait for its result.

        Raises StoreUnavailable at once while the store cannot write, or after `timeout` seconds
        (the command stays queued and may still be applied; the message says so).
        """
        self.ensure_writable()
        try:
            return self.writer.call(cmd, timeout=timeout)
        except FutureTimeout:
            raise StoreUnavailable(
                f"the job store did not apply the change within {timeout:g} s "
                f"({self.writer.backlog():,} changes queued): it may still be applied; check "
                "before repeating it"
            ) from None

    def run_now(self, cmd: Command):
        """Apply an insert-only command (a new job) in its own transaction on the calling thread.

        New rows cannot conflict with the writer's compare-and-set updates (DuckDB appends never
        conflict), so a submission does not queue behind the executor's batches: its latency is
        one commit instead of up to two batch durations (measured ~80 ms under load).
        Raises StoreUnavailable when the store cannot write (nothing was stored).
        """
        if not getattr(cmd, "insert_only", False):
            raise TypeError(f"{type(cmd).__name__} must go through the writer")
        self.ensure_writable()
        cur = self._cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                result = cmd.apply(cur, utcnow_naive())
                cur.execute("COMMIT")
            except BaseException as exc:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                if is_store_failure(exc):
                    self.health.write_failed(exc)
                    raise StoreUnavailable(self.health.unavailable_message()) from None
                raise
            self.health.write_ok()
            return result
        finally:
            cur.close()

    def insert_grouped(self, cmd: Command):
        """Apply an insert-only command (a new job) and return its result once it is committed;
        concurrent callers share one transaction (group commit).

        Leader/follower: a caller finding no commit in progress takes every queued command and
        commits them on its own thread in one transaction (consecutive commands of one class as
        one multi-row statement, `apply_many`); callers arriving meanwhile queue and wait, and
        one of them leads the next group. A lone caller therefore pays one commit (as
        `run_now`), and N concurrent ones about one commit each group, without queueing behind
        the writer's batches (new rows never conflict with its updates). If the group fails
        because of a command, each command is applied again alone, so a bad one fails alone.
        Raises the command's own error, or StoreUnavailable when the store cannot write
        (nothing of the group was stored).
        """
        if not getattr(cmd, "insert_only", False):
            raise TypeError(f"{type(cmd).__name__} must go through the writer")
        self.ensure_writable()
        batch = None
        with self._group_cond:
            self._group_queue.append(cmd)
            while self._group_leader and not cmd.future.done():
                self._group_cond.wait()
            if not cmd.future.done():
                self._group_leader = True
                batch, self._group_queue = self._group_queue, []
        if batch is not None:
            try:
                self._commit_group(batch)
            finally:
                for c in batch:  # never leave a caller waiting
                    if not c.future.done():
                        c.future.set_exception(StoreUnavailable("the job store could not write"))
                with self._group_cond:
                    self._group_leader = False
                    self._group_cond.notify_all()
        return cmd.future.result()

    def _commit_group(self, batch: list[Command]) -> None:
        """Apply `batch` in one transaction, or each alone when that fails; set every future."""
        cur = self._cursor()
        try:
            exc = self._apply_group(cur, batch)
            if exc is None:
                return
            if is_store_failure(exc) or len(batch) == 1:
                self._fail_group(batch, exc)
                return
            for c in batch:
                one = self._apply_group(cur, [c])
                if one is not None:
                    self._fail_group([c], one)
        finally:
            cur.close()

    def _apply_group(self, cur, batch: list[Command]) -> BaseException | None:
        now = utcnow_naive()
        results = []
        try:
            cur.execute("BEGIN TRANSACTION")
            i = 0
            while i < len(batch):
                j = i
                while j < len(batch) and type(batch[j]) is type(batch[i]):
                    j += 1
                cmds = batch[i:j]
                results.extend(zip(cmds, type(cmds[0]).apply_many(cur, cmds, now), strict=True))
                i = j
            cur.execute("COMMIT")
        except BaseException as exc:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            return exc
        self.health.write_ok()
        for c, r in results:
            c.future.set_result(r)
        return None

    def _fail_group(self, batch: list[Command], exc: BaseException) -> None:
        if is_store_failure(exc):
            self.health.write_failed(exc)
            exc = StoreUnavailable(self.health.unavailable_message())
        for c in batch:
            c.future.set_exception(exc)

    def submit(self, cmd: Command, callback=None):
        """Queue a command without waiting (see Writer.submit)."""
        return self.writer.submit(cmd, callback)

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor for reads inside one read transaction, so every query in the block sees
        the same snapshot (a job row and its progress never disagree). Closed afterwards.

        A read that fails on a damaged file (checksum, truncated block) or an invalidated
        database raises StoreUnavailable (the API's 503) and shows in `health`.
        """
        cur = self._cursor()
        try:
            try:
                cur.execute("BEGIN TRANSACTION")
            except duckdb.Error as exc:
                raise self._read_error(exc) from None
            try:
                yield cur
            except duckdb.Error as exc:
                if is_damage(exc) or is_store_failure(exc):
                    raise self._read_error(exc) from None
                raise
        finally:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            cur.close()

    def _read_error(self, exc: duckdb.Error) -> StoreUnavailable:
        if is_damage(exc):
            self.health.read_failed(exc)
        return StoreUnavailable(
            f"the job store could not be read ({short_error(exc)}); the server log has details"
        )

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
