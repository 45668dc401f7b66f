"""Shared fixtures: a fresh engine on a temporary job store, and real PostgreSQL / MariaDB.

Database servers: tests marked `postgres` / `mysql` use BATCH_TEST_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test) and BATCH_TEST_MYSQL_URL (default
mysql://root@127.0.0.1:3306/test). When a server is absent they skip with the reason — except
when BATCH_REQUIRE_DBS=1 (set by .ci/run), where an absent server is a failure.
"""

from __future__ import annotations

import errno
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.executor import RetryPolicy

PG_URL = os.environ.get("BATCH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("BATCH_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
REQUIRE_DBS = os.environ.get("BATCH_REQUIRE_DBS") == "1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _absent(what: str, exc: Exception):
    msg = f"{what} is not reachable ({exc}); set BATCH_TEST_PG_URL / BATCH_TEST_MYSQL_URL or start the server"
    if REQUIRE_DBS:
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture
def make_engine(tmp_path: Path):
    """Factory: `make_engine(max_workers=.., workspace=.., **settings)` → a started Engine on a
    job store in tmp_path (the same store each call, so a second engine reloads it). Closed at the end."""
    engines: list[Engine] = []

    def factory(
        *, workspace: Path | None = None, retry_policy: RetryPolicy | None = None, **kw
    ) -> Engine:
        settings = Settings(
            jobs_dir=tmp_path / "jobs",
            workspace=workspace or (PROJECT_ROOT / "examples" / "workspace"),
            auto_build_example=False,
            **kw,
        )
        eng = Engine(settings, retry_policy=retry_policy or RetryPolicy(base_s=0.01, cap_s=0.05))
        engines.append(eng)
        return eng

    yield factory
    for eng in engines:
        eng.close(wait_s=5)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a PostgreSQL database (skips, or fails under BATCH_REQUIRE_DBS=1, when absent)."""
    import psycopg

    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:
        _absent("PostgreSQL", exc)
    yield PG_URL


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema `bt_<random>` for one test, dropped afterwards."""
    import psycopg

    name = f"bt_{secrets.token_hex(4)}"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    """URL of a MySQL/MariaDB server (skips, or fails under BATCH_REQUIRE_DBS=1, when absent)."""
    import pymysql

    from batchcore.connections import _mysql_params

    try:
        pymysql.connect(connect_timeout=3, **_mysql_params(MYSQL_URL)).close()
    except Exception as exc:
        _absent("MariaDB/MySQL", exc)
    yield MYSQL_URL


@pytest.fixture
def mysql_database(mysql_url: str) -> Iterator[str]:
    """A fresh MariaDB database `bt_<random>` for one test; yields its URL. Dropped afterwards."""
    import pymysql

    from batchcore.connections import _mysql_params

    name = f"bt_{secrets.token_hex(4)}"
    params = {**_mysql_params(mysql_url), "database": None}
    con = pymysql.connect(autocommit=True, **params)
    with con.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    con.close()
    base = mysql_url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    con = pymysql.connect(autocommit=True, **params)
    with con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    con.close()


# ---------------------------------------------------------------- real browser (Playwright + Debian Chromium)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_BINARY = Path(
    "/usr/lib/chromium/chromium"
)  # the real binary behind Debian's wrapper script
REQUIRE_BROWSER = os.environ.get("BATCH_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests (marker `e2e`) skip with the reason on a machine without Chromium, unless
    BATCH_REQUIRE_BROWSER=1 (CI), where they run and fail instead."""
    if CHROMIUM.exists() or REQUIRE_BROWSER:
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} not found: install Debian's Chromium (`apt-get install -y chromium`) "
        "to run the real-browser tests"
    )
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's Chromium (`playwright install` cannot download browsers here)."""
    exe = CHROMIUM_BINARY if CHROMIUM_BINARY.exists() else CHROMIUM
    return {
        **browser_type_launch_args,
        "executable_path": str(exe),
        "args": [
            "--no-sandbox",
            "--headless=new",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A desktop-sized window that accepts downloads."""
    return {
        **browser_context_args,
        "viewport": {"width": 1440, "height": 1000},
        "accept_downloads": True,
    }


@pytest.fixture
def fake_snowflake() -> Iterator[None]:
    """Snowflake's connector patched by fakesnow (an embedded DuckDB behind the real
    snowflake.connector API) for one test: fresh, in-memory databases."""
    import fakesnow

    with fakesnow.patch():
        yield


# ---------------------------------------------------------------- a disk that fills up (tmpfs)


class SmallDisk:
    """A tmpfs mounted at `path` for one test. `fill()` writes a file until the disk is full
    (ENOSPC), `free()` deletes it; `free_bytes()` is what the filesystem reports."""

    def __init__(self, path: Path):
        self.path = path
        self.filler = path / "filler.bin"

    def free_bytes(self) -> int:
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self, leave_bytes: int = 0) -> None:
        """Take every free byte, then give `leave_bytes` back."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (1 << 20, 4096, 1):  # megabytes, then the last blocks and bytes
                block = b"\0" * size
                try:
                    while True:
                        os.write(fd, block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
        finally:
            os.close(fd)
        assert self.free_bytes() < 64 * 1024, self.free_bytes()
        if leave_bytes:
            os.truncate(self.filler, max(0, self.filler.stat().st_size - leave_bytes))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 128 MB tmpfs (`mount -t tmpfs` needs root) for disk-full tests; unmounted afterwards.
    Without permission to mount it skips with the reason, or fails under BATCH_REQUIRE_DBS=1."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        msg = f"cannot mount a tmpfs ({res.stderr.strip()}): the disk-full tests need root"
        if REQUIRE_DBS:
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        yield SmallDisk(mnt)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
