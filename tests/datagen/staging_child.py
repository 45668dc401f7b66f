"""Child process for the staging crash test: generates a Retail schema into PostgreSQL through
an engine on JOBS_DIR, and is killed (SIGKILL) by the test while a CSV file is staged.

Usage: python tests/datagen/staging_child.py JOBS_DIR WORKSPACE ROWS
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.models import JobType

eng = Engine(
    Settings(jobs_dir=Path(sys.argv[1]), workspace=Path(sys.argv[2]), auto_build_example=False)
)
job = eng.submit(
    JobType.BATCH_DATA_GENERATION,
    {
        "job_name": "staged",
        "items": [
            {"schema_type": "Retail", "row_count": int(sys.argv[3]), "target_connection": "pg"}
        ],
    },
)
print(f"JOB {job.job_id}", flush=True)
while True:
    time.sleep(1)
