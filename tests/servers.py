"""Servers in their own process, for tests and benchmarks: `streamlit run app.py` from the
project root, and the readiness wait and shutdown that any server process needs.

Used by tests/api/conftest.py (the API served by `streamlit run` and by `python -m batchcore
serve`), tests/ui/e2e/conftest.py (the real-browser tests) and bench/ui_page_load.py (which puts
the repository root on sys.path to import `tests.servers`). `ThrowawayPostgres` is a PostgreSQL
server of a test's own, for tests that stop a database server mid-run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

STREAMLIT_HEALTH = "/_stcore/health"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:  # refused, not yet listening, or an HTTP error status
        return False


def _log_tail(log: Path | None) -> str:
    return log.read_text()[-3000:] if log is not None else "(output not kept)"


def wait_ready(
    proc: subprocess.Popen,
    log: Path | None,
    url_of: Callable[[], str | None],
    health: str,
    *,
    label: str = "server",
    timeout: float = 60.0,
) -> str:
    """Poll until `url_of()` gives a base URL whose `health` path answers 200; return that URL.

    Raises RuntimeError with the tail of `log` when the process exits first, or kills it and
    raises when `timeout` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{label} exited with {proc.returncode}:\n{_log_tail(log)}")
        url = url_of()
        if url and _answers_200(url + health):
            return url
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{label} not ready after {timeout} s:\n{_log_tail(log)}")


def stop_process(proc: subprocess.Popen, timeout: float = 15.0) -> int:
    """SIGTERM, wait `timeout` seconds, SIGKILL if needed; returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode


def start_streamlit_process(
    env: dict[str, str],
    log: Path | None,
    *,
    port: int | None = None,
    health: str = STREAMLIT_HEALTH,
    timeout: float = 60.0,
) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` (the project's, in place) on 127.0.0.1:`port` (default: a free
    port), headless, usage statistics and file watcher off, with `env`; output to `log` (None:
    discarded). Returns the process and its base URL once `health` answers 200 (see wait_ready).
    """
    port = port or free_port()
    argv = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    argv += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    argv += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log, "w") if log is not None else nullcontext(subprocess.DEVNULL) as out:
        proc = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    return proc, wait_ready(proc, log, lambda: base, health, label="streamlit", timeout=timeout)


class ThrowawayPostgres:
    """A PostgreSQL server of its own for one test (initdb into a temporary folder, its own
    port, trust authentication), for tests that stop a server mid-run: never the shared one.

    `start()` (again after `stop()`), `stop(mode)` (`fast` ends every session the way a server
    shutdown does), `url`, `remove()`. Runs the server as the `postgres` user when the tests
    run as root (PostgreSQL refuses to run as root). Raises RuntimeError when it cannot start.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="bt-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def _run(self, *argv: str) -> None:
        res = subprocess.run([*self._as, *argv], capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {res.stderr.strip() or res.stdout.strip()}")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        subprocess.run(
            [*self._as, "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)
