"""Who may reach the server: a read-only token reads but cannot change (403), requests must name
an allowed host (DNS rebinding), a server beyond loopback needs a token to start, and 500
answers name no exception class."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from batchcore.api import create_api
from batchcore.api.app import standalone_app
from batchcore.api.errors import install_error_handlers
from batchcore.config import Settings
from batchcore.errors import ConfigError
from batchcore.netguard import allowed_hosts, host_allowed, host_of
from tests.servers import PROJECT_ROOT, free_port

TOKEN = "full-t0ken"
READ = "read-t0ken"


@pytest.fixture(scope="module")
def roles(shared_engine):
    with TestClient(create_api(engine=shared_engine, token=TOKEN, read_token=READ)) as c:
        yield c


WRITES = [
    (
        "POST",
        "/pipelines/bulk-execute",
        {"job_name": "x", "pipelines": [{"pipeline_id": "test_pipeline"}]},
    ),
    ("POST", "/data/bulk-generate", {"job_name": "x", "items": [{"schema_type": "Retail"}]}),
    ("POST", "/projects/multi-validate", {"job_name": "x", "projects": [{"project_id": "p"}]}),
    ("POST", "/metadata/bulk-extract", {"job_name": "x", "items": [{"connection_name": "c"}]}),
    ("POST", "/jobs/some-job/cancel", {}),
    ("POST", "/jobs/some-job/retry", {}),
    ("DELETE", "/jobs/some-job", None),
    (
        "POST",
        "/schedules",
        {"name": "x", "job_type": "bulk_pipeline_execution", "request": {}, "cron": "@daily"},
    ),
    ("PATCH", "/schedules/some-schedule", {"cron": "@hourly"}),
    ("DELETE", "/schedules/some-schedule", None),
    ("POST", "/schedules/some-schedule/run", {}),
    ("POST", "/notifications/channels/some-channel/test", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_read_token_cannot_change_anything(roles, method, path, body):
    answer = roles.request(method, path, json=body, headers={"Authorization": f"Bearer {READ}"})
    assert answer.status_code == 403
    assert answer.json()["error"] == "Forbidden"
    assert answer.json()["message"] == (
        "this token may only read (BATCH_API_TOKEN_READ): listing, reading and exporting jobs; "
        "creating, cancelling, retrying and deleting them needs BATCH_API_TOKEN"
    )
    assert answer.json()["detail"][0]["loc"] == ["header", "Authorization"]
    # the full token gets past authorization (an unknown job is then a 404, not a 403)
    full = roles.request(method, path, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert full.status_code not in (401, 403)


def test_read_token_lists_reads_and_exports(roles, shared_engine):
    from batchcore.planning import OpPlan

    job_id = shared_engine.submit_operations("readable", [OpPlan("noop_0", "noop", {})]).job_id
    auth = {"Authorization": f"Bearer {READ}"}
    for path in (
        "/jobs",
        f"/jobs/{job_id}",
        f"/jobs/{job_id}/operations",
        f"/jobs/{job_id}/progress",
        f"/jobs/{job_id}/export?format=csv",
        "/statistics",
        "/connections",
    ):
        assert roles.get(path, headers=auth).status_code == 200, path
    wrong = roles.get("/jobs", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "BATCH_API_TOKEN or BATCH_API_TOKEN_READ" in wrong.json()["message"]


def test_a_read_token_alone_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="BATCH_API_TOKEN_READ is set without BATCH_API_TOKEN"):
        create_api(engine=lambda: None, token=None, read_token=READ)
    with pytest.raises(ConfigError, match="BATCH_API_TOKEN_READ is set without BATCH_API_TOKEN"):
        Settings(jobs_dir=tmp_path, workspace=tmp_path, api_token_read=READ)
    with pytest.raises(ConfigError, match="equals BATCH_API_TOKEN"):
        Settings(jobs_dir=tmp_path, workspace=tmp_path, api_token=READ, api_token_read=READ)


# ---------------------------------------------------------------- Host header (DNS rebinding)


def test_host_names_are_checked_against_the_allow_list(monkeypatch):
    assert host_of("[::1]:8501") == "::1" and host_of("Example.COM.:80") == "example.com"
    plain = allowed_hosts("127.0.0.1")
    for ok in ("localhost:8501", "127.0.0.1", "127.0.0.7:80", "[::1]:8501", "app.localhost"):
        assert host_allowed(ok, plain), ok
    for bad in (
        "evil.example",
        "127.0.0.1.evil.example",
        "localhost.evil.example:8501",
        "10.0.0.5",
    ):
        assert not host_allowed(bad, plain), bad
    lan = allowed_hosts("10.0.0.5", ["batch.corp.example", "*.apps.example"])
    for ok in ("10.0.0.5:8000", "batch.corp.example", "x.apps.example"):
        assert host_allowed(ok, lan), ok
    assert not host_allowed("apps.example.evil", lan)
    assert not host_allowed("0.0.0.0", allowed_hosts("0.0.0.0"))


def test_standalone_app_refuses_a_foreign_host(shared_engine, monkeypatch):
    monkeypatch.setenv("BATCH_ALLOWED_HOSTS", "batch.corp.example")
    app = standalone_app(lambda: shared_engine, lambda: None, token=None)
    with TestClient(app, base_url="http://rebound.evil.example") as evil:
        answer = evil.get("/batch/jobs")
        assert answer.status_code == 400
        assert answer.json()["error"] == "HostNotAllowed"
        assert answer.json()["message"].startswith(
            "host 'rebound.evil.example' is not allowed: this server answers to"
        )
        assert evil.post("/batch/jobs/x/cancel").status_code == 400
        with pytest.raises(WebSocketDisconnect) as ws, evil.websocket_connect("/batch/ws"):
            pass
        assert ws.value.code == 1008
    for base in (
        "http://127.0.0.1:8000",
        "http://localhost",
        "http://[::1]:8000",
        "http://batch.corp.example",
    ):
        with TestClient(app, base_url=base) as ok:
            assert ok.get("/batch/health").status_code == 200, base


# ---------------------------------------------------------------- 500 bodies


def test_a_500_names_no_exception_class():
    api = FastAPI()
    install_error_handlers(api)

    @api.get("/boom")
    def boom():
        raise KeyError("internal detail /srv/secret/path")

    with TestClient(api, raise_server_exceptions=False) as c:
        answer = c.get("/boom")
    assert answer.status_code == 500
    assert answer.json()["error"] == "InternalError"
    assert "KeyError" not in answer.text and "/srv/secret" not in answer.text


# ---------------------------------------------------------------- real processes


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCH_API_TOKEN")}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        BATCH_JOBS_DIR=str(tmp_path / "jobs"),
        BATCH_WORKSPACE=str(tmp_path / "ws"),
        BATCH_AUTO_BUILD_EXAMPLE="0",
        **extra,
    )
    (tmp_path / "ws").mkdir(exist_ok=True)
    return env


@pytest.mark.slow
def test_serve_refuses_a_public_address_without_a_token(tmp_path):
    argv = [sys.executable, "-m", "batchcore", "serve", "--host", "0.0.0.0", "--port", "0"]
    done = subprocess.run(
        argv, env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(
        "error: refusing to listen on 0.0.0.0 without BATCH_API_TOKEN: anyone who reaches this "
        "port could launch and delete jobs."
    )


@pytest.mark.slow
def test_serve_with_a_token_on_a_public_address_checks_the_host(tmp_path):
    port = free_port()
    argv = [sys.executable, "-m", "batchcore", "serve", "--host", "0.0.0.0", "--port", str(port)]
    proc = subprocess.Popen(
        argv,
        env=_env(tmp_path, BATCH_API_TOKEN=TOKEN),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/batch/health"
        for _ in range(300):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail(proc.stderr.read())
            time.sleep(0.1)
        rebound = httpx.get(url, headers={"Host": f"rebound.evil.example:{port}"}, timeout=5)
        assert rebound.status_code == 400 and rebound.json()["error"] == "HostNotAllowed"
        assert httpx.get(url, headers={"Host": f"localhost:{port}"}, timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.slow
def test_streamlit_refuses_a_public_address_without_a_token(tmp_path):
    argv = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.address",
        "0.0.0.0",
        "--server.port",
        str(free_port()),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    done = subprocess.run(
        argv, env=_env(tmp_path), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and errors[0].startswith(
        "error: refusing to listen on 0.0.0.0 without BATCH_API_TOKEN"
    )
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.slow
def test_streamlit_checks_the_host_of_the_ui_and_the_api(streamlit_starter, tmp_path):
    server = streamlit_starter(tmp_path)
    try:
        base = server.url.removesuffix("/batch")
        for path in ("/", "/batch/health", "/_stcore/health"):
            evil = httpx.get(base + path, headers={"Host": "rebound.evil.example"}, timeout=10)
            assert evil.status_code == 400, path
            assert httpx.get(base + path, timeout=10).status_code == 200, path
    finally:
        server.stop()
