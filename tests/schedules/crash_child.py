"""Child process of the schedule crash test: records a planned run, then stops before the job.

Usage: python tests/schedules/crash_child.py JOBS_DIR WORKSPACE SCHEDULE_ID NOW_ISO
The engine's clock is fixed at NOW_ISO; the scheduler's `on_planned` hook prints
`PLANNED <job_id>` once the run is committed and blocks, so the parent can SIGKILL the process
between "planned" and "job created".
"""

import sys
import threading
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from batchcore.config import Settings
from batchcore.engine import Engine

jobs_dir, workspace, schedule_id, now = sys.argv[1:5]
eng = Engine(
    Settings(
        jobs_dir=Path(jobs_dir),
        workspace=Path(workspace),
        auto_build_example=False,
        scheduler_enabled=False,
    ),
    clock=lambda: datetime.fromisoformat(now),
)


def planned(run):
    print(f"PLANNED {run['job_id']}", flush=True)
    threading.Event().wait()  # until killed


eng.scheduler.on_planned = planned
eng.scheduler.tick()
print("NOT KILLED", flush=True)
