"""A Dask LocalCluster worker is started by multiprocessing's spawn, which re-imports the
parent's main script as "__mp_main__"; while Streamlit runs ui.py, ui.py IS the process's main
script. Importing it that way must draw nothing and open no job store (it did: the worker then
failed on the store's lock and the cluster never started)."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ui_imported_as_a_spawned_workers_main_opens_no_store(tmp_path):
    jobs = tmp_path / "jobs"
    code = (
        "import runpy, sys; sys.path.insert(0, sys.argv[1]); "
        "runpy.run_path(sys.argv[2], run_name='__mp_main__'); print('imported')"
    )
    env = {**os.environ, "BATCH_JOBS_DIR": str(jobs)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(ROOT / "ui.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "imported"
    assert not (jobs / "batch.duckdb").exists()
    assert "Traceback" not in done.stderr


def test_ui_defines_its_drawing_without_running_it_under_mp_main():
    module = runpy.run_path(str(ROOT / "ui.py"), run_name="__mp_main__")
    assert callable(module["_draw"])
