"""Child process for the crash test: runs a job of slow operations and prints progress lines.

Usage: python tests/engine/crash_child.py JOBS_DIR
Prints `JOB <id>` once the job is stored, then `RUNNING <n>` lines; it is killed with SIGKILL.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.planning import OpPlan

eng = Engine(
    Settings.from_env(  # BATCH_EXECUTOR / BATCH_DASK_SCHEDULER from the test's environment
        jobs_dir=Path(sys.argv[1]),
        workspace=Path(sys.argv[1]),
        max_workers=4,
        auto_build_example=False,
    )
)
ops = [OpPlan(f"slow{i}", "noop", {"sleep_ms": 700, "value": i}) for i in range(6)]
job = eng.submit_operations("crash-me", ops, max_parallel=2)
print(f"JOB {job.job_id}", flush=True)
while True:
    v = eng.get_job(job.job_id, with_operations=False)
    print(f"PROGRESS {v.progress.completed_operations} {v.progress.running_operations}", flush=True)
    time.sleep(0.05)
