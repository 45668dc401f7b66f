"""`python -m batchcore serve` as its own process: a job survives a SIGTERM stop and a restart
(the lifespan closed the store, releasing its lock); a busy port is a one-line error (exit 2)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from batchcore.cli.serve import is_loopback

pytestmark = pytest.mark.slow


def test_sigterm_stops_cleanly_and_a_restart_keeps_the_jobs(serve_processes):
    first = serve_processes()
    body = {
        "job_name": "survives restarts",
        "pipelines": [{"pipeline_id": "test_pipeline"}],
        "parallel_execution": False,
    }
    job_id = httpx.post(f"{first.url}/pipelines/bulk-execute", json=body).json()["job_id"]
    rc = first.stop()
    assert rc in (0, -15), (
        first.log.read_text()
    )  # uvicorn re-raises SIGTERM after its graceful shutdown
    assert "Traceback" not in first.log.read_text()

    second = serve_processes(
        first.workspace, first.jobs_dir
    )  # would exit 2 if the lock were still held
    job = httpx.get(f"{second.url}/jobs/{job_id}").json()["job"]
    assert job["name"] == "survives restarts"
    assert second.proc.pid != first.proc.pid


def test_busy_port_is_a_one_line_error(serve_processes, tmp_path):
    running = serve_processes()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "batchcore",
            "serve",
            "--port",
            str(running.port),
            "--jobs-dir",
            str(tmp_path / "other-jobs"),
        ],
        env=running.env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        done.stderr == f"error: cannot listen on 127.0.0.1:{running.port}: Address already in use\n"
    )


def test_loopback_detection():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.5", "example.com"))
