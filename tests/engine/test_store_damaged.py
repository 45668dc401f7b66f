"""A damaged job store (truncated, garbage in a data block, not a DuckDB file at all) is refused
at start with ONE line naming the file and what to do — by the engine, `python -m batchcore
serve`, `python -m batchcore run` and `streamlit run app.py` — instead of a traceback, or of a
server that opens it anyway and answers 500s behind a healthy /health."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.errors import StoreDamaged
from batchcore.models import JobStatus
from tests.engine.conftest import noops
from tests.servers import PROJECT_ROOT, free_port

HEADER_BYTES = 3 * 4096  # DuckDB's file headers, before the first block


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    """A real job store with a finished job of 3,000 operations (closed)."""
    root = tmp_path_factory.mktemp("good")
    eng = Engine(
        Settings(jobs_dir=root / "jobs", workspace=root, max_workers=4, auto_build_example=False)
    )
    job = eng.submit_operations("kept", noops(3000))
    assert eng.wait(job.job_id, timeout=120).status == JobStatus.COMPLETED
    eng.close()
    return root / "jobs" / "batch.duckdb"


def truncate(path: Path, fraction: float) -> None:
    os.truncate(path, int(path.stat().st_size * fraction))


def garbage_in_a_data_block(path: Path, table: str = "operations") -> None:
    """Overwrite bytes inside the last block holding `table`'s data: the file still opens (its
    headers and catalog are intact) but reading that table fails its checksum."""
    con = duckdb.connect(str(path), read_only=True)
    block_size = con.execute("PRAGMA database_size").fetchall()[0][2]
    block = con.execute(
        f"SELECT max(block_id) FROM pragma_storage_info('{table}') WHERE persistent AND block_id >= 0"
    ).fetchall()[0][0]
    con.close()
    with open(path, "r+b") as f:
        f.seek(HEADER_BYTES + block * block_size + 512)
        f.write(b"\xa5" * 2048)


def not_duckdb(path: Path) -> None:
    path.write_text("job_id,status\n1,completed\n" * 200)


DAMAGES = {
    "empty": lambda p: truncate(p, 0.0),
    "truncated": lambda p: truncate(p, 0.4),
    "garbage_in_a_block": garbage_in_a_data_block,
    "not_duckdb": not_duckdb,
}


@pytest.fixture(params=sorted(DAMAGES))
def damaged(request, good_store, tmp_path) -> tuple[str, Path]:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    path = jobs / "batch.duckdb"
    shutil.copy(good_store, path)
    DAMAGES[request.param](path)
    return request.param, path


def _assert_one_clear_line(text: str, path: Path) -> None:
    assert "\n" not in text.strip(), text
    assert f"the job store {path} is damaged and cannot be used (" in text
    assert "restore it from a backup, or move it aside" in text
    assert f"`mv {path} {path}.damaged`" in text


def test_a_damaged_store_is_refused_at_start_in_one_line(damaged, tmp_path):
    kind, path = damaged
    with pytest.raises(StoreDamaged) as err:
        Engine(Settings(jobs_dir=path.parent, workspace=tmp_path, auto_build_example=False))
    _assert_one_clear_line(err.value.message, path)
    if kind == "garbage_in_a_block":  # it opens: only reading every table finds the damage
        duckdb.connect(str(path), read_only=True).close()
        assert "checksum" in err.value.message


def test_the_intact_copy_opens_and_keeps_its_job(good_store, tmp_path):
    path = tmp_path / "jobs" / "batch.duckdb"
    path.parent.mkdir()
    shutil.copy(good_store, path)
    eng = Engine(Settings(jobs_dir=path.parent, workspace=tmp_path, auto_build_example=False))
    try:
        (job,), total = eng.list_jobs()
        assert total == 1 and job.progress.completed_operations == 3000
    finally:
        eng.close()


def _env(jobs: Path, workspace: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCH_")}
    return {
        **env,
        "BATCH_JOBS_DIR": str(jobs),
        "BATCH_WORKSPACE": str(workspace),
        "BATCH_AUTO_BUILD_EXAMPLE": "0",
    }


def _one_error_line(output: str, path: Path) -> None:
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, output
    _assert_one_clear_line(errors[0], path)


@pytest.mark.parametrize("command", ["serve", "run"])
def test_cli_refuses_a_damaged_store_in_one_line(command, good_store, tmp_path):
    path = tmp_path / "jobs" / "batch.duckdb"
    path.parent.mkdir()
    shutil.copy(good_store, path)
    garbage_in_a_data_block(path)
    request = tmp_path / "job.json"
    request.write_text(json.dumps({"job_name": "x", "pipelines": [{"pipeline_id": "p"}]}))
    argv = {
        "serve": ["serve", "--port", "0", "--jobs-dir", str(path.parent)],
        "run": ["run", "--job", str(request), "--jobs-dir", str(path.parent)],
    }[command]
    res = subprocess.run(
        [sys.executable, "-m", "batchcore", *argv],
        cwd=PROJECT_ROOT,
        env=_env(path.parent, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    _one_error_line(res.stderr, path)
    assert res.stdout == ""


def test_streamlit_app_refuses_a_damaged_store_in_one_line(good_store, tmp_path):
    path = tmp_path / "jobs" / "batch.duckdb"
    path.parent.mkdir()
    shutil.copy(good_store, path)
    truncate(path, 0.4)
    argv = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(free_port())]
    argv += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    argv += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    res = subprocess.run(
        argv,
        cwd=PROJECT_ROOT,
        env=_env(path.parent, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2, res.stdout + res.stderr
    _one_error_line(res.stdout + res.stderr, path)
