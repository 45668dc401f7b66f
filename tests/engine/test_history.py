"""History at scale: filters, pagination, statistics, exports, retention."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from batchcore.export import job_export_csv, job_export_json, neutralise
from batchcore.models import JobType
from batchcore.planning import OpPlan
from batchcore.store.reads import JobFilter
from batchcore.store.writer import FnCommand
from tests.engine.conftest import noops


@pytest.fixture
def history(make_engine):
    """An engine with 12 finished jobs of several types, projects, tags and outcomes."""
    eng = make_engine(max_workers=6)
    made = []
    for i in range(12):
        jt = [
            JobType.BULK_PIPELINE_EXECUTION,
            JobType.BATCH_DATA_GENERATION,
            JobType.BULK_METADATA_EXTRACTION,
        ][i % 3]
        ops = noops(2) if i % 4 else noops(1) + noops(1, prefix="f", fail=True)
        j = eng.submit_operations(
            f"job {i:02d}",
            ops,
            job_type=jt,
            project_id=f"proj{i % 2}",
            tags=["nightly"] if i % 2 == 0 else ["adhoc", "x"],
        )
        made.append(j.job_id)
    for j in made:
        eng.wait(j, 20)
    return eng, made


def test_filters_and_pagination(history):
    eng, made = history
    jobs, total = eng.list_jobs(JobFilter(), limit=5, offset=0)
    assert total == 12 and [j.job_id for j in jobs] == list(reversed(made))[:5]  # newest first
    page3, _ = eng.list_jobs(JobFilter(), limit=5, offset=10)
    assert [j.job_id for j in page3] == list(reversed(made))[10:]
    _, n = eng.list_jobs(JobFilter(status=("partial_success",)))
    assert n == 3  # jobs 0, 4, 8 had a failing operation
    _, n = eng.list_jobs(
        JobFilter(status=("completed",), job_type=(JobType.BATCH_DATA_GENERATION.value,))
    )
    assert n == 3  # generation jobs are 1, 4, 7, 10; job 4 ended partial_success
    _, n = eng.list_jobs(JobFilter(project_id="proj1", tag="adhoc"))
    assert n == 6
    _, n = eng.list_jobs(JobFilter(status=("queued", "running")))
    assert n == 0
    found, n = eng.list_jobs(JobFilter(search="JOB 1"))
    assert n == 2 and sorted(j.name for j in found) == [
        "job 10",
        "job 11",
    ]  # case-insensitive substring
    now = datetime.now(UTC)
    _, n = eng.list_jobs(
        JobFilter(created_from=now - timedelta(minutes=5), created_to=now + timedelta(minutes=1))
    )
    assert n == 12
    _, n = eng.list_jobs(JobFilter(created_to=now - timedelta(days=1)))
    assert n == 0


def test_statistics(history):
    eng, _ = history
    st = eng.statistics()
    assert st["total_jobs"] == 12
    assert st["status_distribution"] == {"completed": 9, "partial_success": 3}
    assert st["type_distribution"] == {
        "batch_data_generation": 4,
        "bulk_metadata_extraction": 4,
        "bulk_pipeline_execution": 4,
    }
    assert st["active_jobs"] == 0
    assert len(st["recent_jobs"]) == 10
    bp = st["by_job_type"]["bulk_pipeline_execution"]  # jobs 0, 3, 6, 9: job 0 failed partly
    assert bp["jobs"] == 4 and bp["failure_rate"] == 0.25 and bp["operation_failure_rate"] == 0.125
    assert bp["mean_duration_ms"] is not None and bp["mean_duration_ms"] >= 0


def test_export_json_and_csv(make_engine):
    eng = make_engine()
    ops = [
        OpPlan("=cmd|' /C calc'!A0", "noop", {"value": "+1"}),
        OpPlan("plain", "noop", {"fail": True}),
    ]
    j = eng.submit_operations('=HYPERLINK("x")', ops, description="@risk", tags=["-t"])
    eng.wait(j.job_id, 10)
    data = json.loads(job_export_json(eng, j.job_id))
    assert data["job"]["name"] == '=HYPERLINK("x")'  # JSON keeps values exact
    assert [o["operation_id"] for o in data["job"]["operations"]] == ["=cmd|' /C calc'!A0", "plain"]
    assert [a["status"] for a in data["attempts"]] in (
        ["completed", "error"],
        ["error", "completed"],
    )
    rows = list(csv.DictReader(io.StringIO(job_export_csv(eng, j.job_id))))
    assert len(rows) == 2
    assert rows[0]["job_name"] == '\'=HYPERLINK("x")'
    assert rows[0]["operation_id"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["error"] == "RuntimeError: noop failure on attempt 1"
    stored = {o.operation_id: o.duration_ms for o in eng.get_job(j.job_id).operations}
    assert float(rows[0]["duration_ms"]) == round(stored["=cmd|' /C calc'!A0"], 3)  # not just >= 0
    assert neutralise("-2+3") == "'-2+3" and neutralise(5) == 5 and neutralise("ok") == "ok"


def test_retention_deletes_old_finished_jobs_only(make_engine):
    eng = make_engine(retention_days=7)
    old = eng.submit_operations("old", noops(1))
    new = eng.submit_operations("new", noops(1))
    eng.wait(old.job_id, 10)
    eng.wait(new.job_id, 10)
    running = eng.submit_operations("running", noops(1, sleep_ms=3000))

    def age(cur, now):
        cur.execute(
            "UPDATE jobs SET created_at = created_at - INTERVAL 30 DAY, finished_at = finished_at - INTERVAL 30 DAY "
            "WHERE job_id IN (?, ?)",
            [old.job_id, running.job_id],
        )

    eng.store.call(FnCommand(age))
    assert eng.apply_retention() == 1
    _, total = eng.list_jobs()
    assert total == 2
    ids = {j.job_id for j in eng.list_jobs()[0]}
    assert ids == {new.job_id, running.job_id}


def test_delete_many_and_job_id_filter(make_engine):
    eng = make_engine()
    done = [eng.submit_operations(f"d{i}", noops(1)).job_id for i in range(3)]
    for j in done:
        eng.wait(j, 10)
    busy = eng.submit_operations("busy", noops(1, sleep_ms=2000)).job_id
    jobs, total = eng.list_jobs(JobFilter(job_ids=(done[0], busy)))
    assert total == 2 and {j.job_id for j in jobs} == {done[0], busy}
    deleted, refused = eng.delete_many([*done, busy, "nope"])
    assert deleted == done
    assert set(refused) == {busy, "nope"}
    assert "cancel it and wait" in refused[busy] and "not found" in refused["nope"]
    assert eng.list_jobs()[1] == 1
