"""Fixtures of the API, CLI and live-server tests.

`api_workspace`: a tiny workspace in tmp_path with the ids the guide's examples use
(my_project/pipeline1+2, project1/val1+2, dim_customer_validation, fact_sales_validation,
test_pipeline) and the example workspace's nycflights_migration ids, a DuckDB warehouse with
three small tables, and a SQL Server connection whose URL holds a `${VAR}` secret.
`api_engine`: an engine on that workspace. `client`: FastAPI's TestClient over create_api().
`live_url`: the same API served by uvicorn in a thread on a free 127.0.0.1 port.
Jobs whose operations need no handler beyond `noop` come from `submit_noop`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import uvicorn

with warnings.catch_warnings():  # starlette 1.10 warns that its TestClient wants httpx2
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from batchcore.api import create_api
from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.planning import OpPlan
from tests.servers import (
    PROJECT_ROOT,
    free_port,
    start_streamlit_process,
    stop_process,
    wait_ready,
)

SECRET = "s3cr3t-password-do-not-leak"

PIPELINES = {
    "nycflights_migration": ["airlines_validation", "airports_validation", "flights_validation"],
    "my_project": ["pipeline1", "pipeline2"],
    "project1": ["val1", "val2"],
    "guide_examples": ["dim_customer_validation", "fact_sales_validation", "test_pipeline"],
}


def _pipeline_yaml(table: str, column: str) -> str:
    return (
        f"description: {table} after migration\ntarget: warehouse\nchecks:\n"
        f"  - {{type: not_null, table: {table}, columns: [{column}]}}\n"
    )


def build_workspace(root: Path) -> Path:
    """Write the test workspace under `root` and return it."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    con.execute(
        "CREATE TABLE airlines AS SELECT * FROM (VALUES ('AA', 'American'), ('UA', 'United')) t(carrier, name)"
    )
    con.execute(
        "CREATE TABLE flights AS SELECT * FROM (VALUES (1, 'AA'), (2, NULL)) t(id, carrier)"
    )
    con.execute("CREATE TABLE customers AS SELECT range AS id FROM range(5)")
    con.close()
    (root / "connections.yaml").write_text(
        "connections:\n"
        "  warehouse: {type: duckdb, path: data/warehouse.duckdb, description: test warehouse}\n"
        "  mssql:\n    type: sqlserver\n"
        f"    url: mssql+pyodbc://batch:${{BATCH_TEST_MSSQL_PASSWORD:-{SECRET}}}@127.0.0.1:1/sales\n"
    )
    for project, ids in PIPELINES.items():
        pdir = root / "projects" / project
        (pdir / "pipelines").mkdir(parents=True, exist_ok=True)
        (pdir / "project.yaml").write_text(
            f"name: {project.replace('_', ' ').title()}\ntarget: warehouse\n"
        )
        for pid in ids:
            table, column = ("flights", "carrier") if "flights" in pid else ("airlines", "carrier")
            (pdir / "pipelines" / f"{pid}.yaml").write_text(_pipeline_yaml(table, column))
    return root


@pytest.fixture
def api_workspace(tmp_path: Path) -> Path:
    return build_workspace(tmp_path / "ws")


@pytest.fixture
def api_engine(make_engine, api_workspace: Path) -> Engine:
    return make_engine(workspace=api_workspace, max_workers=4, cancel_timeout_s=5.0)


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory) -> Iterator[Engine]:
    """One engine for a whole module (for tests that create no state they rely on)."""
    root = tmp_path_factory.mktemp("shared")
    engine = Engine(
        Settings(
            jobs_dir=root / "jobs",
            workspace=build_workspace(root / "ws"),
            max_workers=4,
            auto_build_example=False,
        )
    )
    yield engine
    engine.close(wait_s=5)


@pytest.fixture(scope="module")
def shared_client(shared_engine: Engine) -> Iterator[TestClient]:
    """A TestClient over shared_engine without auth."""
    with TestClient(create_api(engine=shared_engine, token=None)) as c:
        yield c


@pytest.fixture
def client(api_engine: Engine) -> Iterator[TestClient]:
    """A TestClient over create_api(engine=api_engine), without auth."""
    with TestClient(create_api(engine=api_engine, token=None)) as c:
        yield c


def submit_noop(engine: Engine, name: str, specs: list[dict], **options) -> str:
    """Create a job of `noop` operations (`specs`: sleep_ms, fail, ...) and return its id."""
    ops = [OpPlan(f"noop_{i}", "noop", spec) for i, spec in enumerate(specs)]
    return engine.submit_operations(name, ops, **options).job_id


@pytest.fixture
def noop_job(api_engine: Engine):
    """`noop_job(name, specs, **options)` → job id of a noop job on api_engine (see submit_noop)."""
    return lambda name, specs, **options: submit_noop(api_engine, name, specs, **options)


@pytest.fixture
def secret() -> str:
    """The password in the test workspace's SQL Server URL: must never appear in an answer."""
    return SECRET


class ThreadedServer:
    """uvicorn serving `app` in a daemon thread on 127.0.0.1 (a free port); stop() ends it."""

    def __init__(self, app) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def serve_api(api_engine: Engine):
    """`serve_api(token=None)` → base URL (…/batch) of the API over api_engine, served for real
    over HTTP by uvicorn in a thread; stopped at the end of the test."""
    servers: list[ThreadedServer] = []

    def start(token: str | None = None) -> str:
        app = Starlette(routes=[Mount("/batch", app=create_api(engine=api_engine, token=token))])
        servers.append(ThreadedServer(app).start())
        return f"http://127.0.0.1:{servers[-1].port}/batch"

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def live_url(serve_api) -> str:
    """Base URL (…/batch) of the API over api_engine, without auth."""
    return serve_api()


@pytest.fixture
def unused_url() -> str:
    """A …/batch URL on a 127.0.0.1 port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}/batch"


# ---------------------------------------------------------------- servers in their own process


def server_env(workspace: Path, jobs_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of a server process on `workspace` and `jobs_dir` (no token, no example build)."""
    env = {k: v for k, v in os.environ.items() if k not in ("BATCH_API_TOKEN", "BATCH_API_URL")}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        BATCH_WORKSPACE=str(workspace),
        BATCH_JOBS_DIR=str(jobs_dir),
        BATCH_AUTO_BUILD_EXAMPLE="0",
        BATCH_MAX_WORKERS="4",
        **extra,
    )
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass
class ProcessServer:
    """A server process: base URL (…/batch), its Popen, env, folders and log file."""

    kind: str
    url: str
    proc: subprocess.Popen
    env: dict[str, str]
    workspace: Path
    jobs_dir: Path
    log: Path

    @property
    def port(self) -> int:
        return int(self.url.split(":")[2].split("/")[0])

    def stop(self) -> int:
        """SIGTERM, wait (15 s), SIGKILL if needed; returns the exit code."""
        return stop_process(self.proc)


def start_serve(
    root: Path, workspace: Path | None = None, jobs_dir: Path | None = None
) -> ProcessServer:
    """`python -m batchcore serve --port 0` on a workspace/job store under `root`."""
    workspace = workspace or build_workspace(root / "ws")
    jobs_dir = jobs_dir or root / "jobs"
    env = server_env(workspace, jobs_dir)
    log = root / f"serve-{time.monotonic_ns()}.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "batchcore", "serve", "--port", "0"],
            cwd=root,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )

    def url_of() -> str | None:
        m = re.search(r"serving the Batch Operations API on (http://\S+/batch)", log.read_text())
        return m.group(1) if m else None

    url = wait_ready(proc, log, url_of, "/health")
    return ProcessServer("serve", url, proc, env, workspace, jobs_dir, log)


def start_streamlit(root: Path) -> ProcessServer:
    """`streamlit run app.py` (the project's, in place) on a free port, headless, file watcher off."""
    workspace, jobs_dir = build_workspace(root / "ws"), root / "jobs"
    env = server_env(workspace, jobs_dir)
    log = root / "streamlit.log"
    proc, base = start_streamlit_process(env, log, health="/batch/health")
    return ProcessServer("streamlit", f"{base}/batch", proc, env, workspace, jobs_dir, log)


@pytest.fixture(scope="module", params=["serve", "streamlit"])
def process_server(request, tmp_path_factory) -> Iterator[ProcessServer]:
    """The API in a real server process: `python -m batchcore serve`, then `streamlit run app.py`."""
    root = tmp_path_factory.mktemp(request.param)
    server = start_serve(root) if request.param == "serve" else start_streamlit(root)
    yield server
    server.stop()


@pytest.fixture
def serve_processes(tmp_path: Path):
    """`serve_processes(workspace=None, jobs_dir=None)` → a started `serve` ProcessServer under
    tmp_path (pass the folders of an earlier one to restart on them). All stopped at the end."""
    started: list[ProcessServer] = []

    def start(workspace: Path | None = None, jobs_dir: Path | None = None) -> ProcessServer:
        started.append(start_serve(tmp_path, workspace, jobs_dir))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def streamlit_starter():
    """`start_streamlit` as a fixture (test modules cannot import conftest)."""
    return start_streamlit
