"""Data generation into PostgreSQL and MariaDB stages CSV files in the engine's staging folder
(`<jobs dir>/staging`), never in the system's temp folder; they are gone when the write ends,
however it ends, and a process killed mid-write leaves them only until the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from batchcore.config import Settings
from batchcore.datagen.generator import plan_generation
from batchcore.datagen.loaders import write_external
from batchcore.engine import Engine
from batchcore.errors import OperationCancelled
from batchcore.workspace import Workspace

from .conftest import write_workspace

CHILD = Path(__file__).with_name("staging_child.py")


class WatchingHooks:
    """Hooks that list the staged CSV files each time a bulk load starts (inside
    `interruptible`, while the file is being streamed to the server), and can stop the run
    after `stop_after` tables the way a cancel does."""

    def __init__(self, staging: Path, stop_after: int | None = None):
        self.staging = staging
        self.stop_after = stop_after
        self.seen: list[list[Path]] = []
        self.tables = 0

    def progress(self, message: str, *, force: bool = False) -> None:
        if message.startswith("writing"):
            self.tables += 1

    def check_cancelled(self) -> None:
        if self.stop_after is not None and self.tables > self.stop_after:
            raise OperationCancelled("operation stopped: test")

    @contextmanager
    def interruptible(self, hook):
        self.seen.append(sorted(self.staging.rglob("*.csv")))
        yield


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # removed between listing and stat
        return 0


@pytest.mark.postgres
@pytest.mark.parametrize("stop_after", [None, 2])
def test_postgres_staging_is_ours_and_emptied(tmp_path, pg_database, stop_after):
    ws = Workspace.load(
        write_workspace(tmp_path / "ws", {"pg": {"type": "postgres", "url": pg_database}})
    )
    staging = tmp_path / "jobs" / "staging"
    hooks = WatchingHooks(staging, stop_after)
    plan = plan_generation("Retail", 2000, 3)
    if stop_after is None:
        write_external(ws.connection("pg"), plan, hooks, staging_dir=staging)
    else:  # stopped mid-write: the CSV of the table being loaded is removed too
        with pytest.raises(OperationCancelled):
            write_external(ws.connection("pg"), plan, hooks, staging_dir=staging)
    staged = [files for files in hooks.seen if files]
    assert staged, hooks.seen
    # one CSV at a time, in a datagen-* folder of the staging folder (not the system temp folder)
    for files in staged:
        assert len(files) == 1 and files[0].parent.parent == staging
        assert files[0].parent.name.startswith("datagen-")
    assert list(staging.iterdir()) == []


@pytest.mark.mysql
def test_mariadb_staging_is_ours_and_emptied(tmp_path, mysql_database):
    ws = Workspace.load(
        write_workspace(tmp_path / "ws", {"maria": {"type": "mysql", "url": mysql_database}})
    )
    staging = tmp_path / "jobs" / "staging"
    hooks = WatchingHooks(staging)
    write_external(ws.connection("maria"), plan_generation("Healthcare", 1000, 2), hooks, staging)
    assert any(files for files in hooks.seen)
    assert list(staging.iterdir()) == []


@pytest.mark.postgres
def test_files_left_by_a_killed_process_are_removed_at_the_next_start(tmp_path, pg_database):
    ws = write_workspace(tmp_path / "ws", {"pg": {"type": "postgres", "url": pg_database}})
    jobs = tmp_path / "jobs"
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(jobs), str(ws), "400000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    staged: list[Path] = []
    try:
        deadline = time.monotonic() + 120
        while not staged and time.monotonic() < deadline and proc.poll() is None:
            # the fact table's file (tens of MB: seconds to stream), not a dimension's
            staged = [p for p in (jobs / "staging").rglob("*.csv") if _size(p) > 4 * 2**20]
            time.sleep(0.005)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert staged, "the child never staged a CSV file"
    left = list((jobs / "staging").rglob("*"))
    assert any(p.suffix == ".csv" for p in left)  # what a crash leaves behind

    # start=False: the interrupted job is not resumed, so nothing stages a file again
    eng = Engine(Settings(jobs_dir=jobs, workspace=ws, auto_build_example=False), start=False)
    try:
        assert list((jobs / "staging").iterdir()) == []
        assert eng.recovery["interrupted"] == 1
    finally:
        eng.close()
