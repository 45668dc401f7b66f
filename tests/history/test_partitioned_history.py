"""A partitioned check is ONE run per job in check history and ONE record in a comparison:
its partitions (one operation each) roll up — failed and total rows summed, status the worst."""

from __future__ import annotations

import duckdb
import pytest

from batchcore.models import JobStatus
from tests.validation.vhelpers import make_ws

N = 4000


def _setup(tmp_path):
    root = tmp_path / "ws"
    ws = make_ws(
        root,
        {
            "src": {"type": "duckdb", "path": "src.duckdb"},
            "tgt": {"type": "duckdb", "path": "tgt.duckdb"},
        },
        source="src",
        target="tgt",
    )
    for db in ("src", "tgt"):
        with duckdb.connect(str(root / f"{db}.duckdb")) as con:
            con.execute(f"CREATE TABLE t AS SELECT range AS id, range % 10 AS a FROM range({N})")
    pipes = ws.root / "projects" / "p" / "pipelines"
    (pipes / "split.yaml").write_text(
        "checks:\n"
        "  - {type: row_diff, name: diff, table: t, key: id, partition_by: {column: id, ranges: 4}}\n"
        "  - {type: row_count, name: rows, table: t, min: 1}\n"
    )
    return ws, root


def _run(eng, name):
    job = eng.submit(
        "bulk_pipeline_execution",
        {"job_name": name, "pipelines": [{"pipeline_id": "split", "project_id": "p"}]},
    )
    # the answer counts pipelines and, when partitions split one, the operations
    assert job.message == ("Batch pipeline execution job created with 1 pipeline (5 operations)"), (
        job.message
    )
    eng.wait(job.job_id, timeout=120)
    return job.job_id


def test_partitioned_check_is_one_run_per_job_with_summed_rows(tmp_path, make_engine):
    ws, root = _setup(tmp_path)
    eng = make_engine(workspace=ws.root, max_workers=2)
    j1 = _run(eng, "clean")
    # differences in 3 partitions (ids 0-999, 1000-1999, 3000-3999), none in the third
    with duckdb.connect(str(root / "tgt.duckdb")) as con:
        con.execute("UPDATE t SET a = a + 1 WHERE id IN (5, 6, 1500, 3100, 3200, 3999)")
    j2 = _run(eng, "dirty")
    assert eng.get_job(j2).status == JobStatus.PARTIAL_SUCCESS
    parts = [r for r in eng.check_results(j2) if r["check_name"] == "diff"]
    assert len(parts) == 4 and sum(p["failed_rows"] for p in parts) == 6
    assert sum(p["status"] == "passed" for p in parts) == 1

    h = eng.check_history("p/split/diff")
    assert h["total_runs"] == 2
    runs = h["runs"]  # newest first
    assert [r["job_id"] for r in runs] == [j2, j1]
    assert [r["status"] for r in runs] == ["failed", "passed"]
    assert [r["failed_rows"] for r in runs] == [6, 0]
    assert [r["total_rows"] for r in runs] == [N, N]
    assert runs[0]["pass_rate"] == pytest.approx(1 - 6 / N)
    assert runs[1]["pass_rate"] == 1.0
    assert runs[0]["passed"] is False
    # observed from the worst partition (ids 3000-3999 hold 3 of the 6)
    assert runs[0]["observed"]["changed"] == 3
    s = h["summary"]
    assert (s["runs"], s["passed_runs"], s["failed_runs"]) == (2, 1, 1)
    assert (s["status"], s["failed_rows"]) == ("failed", 6)
    listed = {c["check_name"]: c for c in eng.list_checks(pipeline_id="split")}
    assert (listed["diff"]["runs"], listed["diff"]["status"]) == (2, "failed")
    assert listed["rows"]["runs"] == 2

    cmp = eng.compare_jobs(j1, j2)
    names = sorted(c.check_name for c in cmp.checks)
    assert names == ["diff", "rows"]
    (diff,) = [c for c in cmp.checks if c.check_name == "diff"]
    assert (diff.status_a, diff.status_b) == ("passed", "failed")
    assert (diff.failed_rows_a, diff.failed_rows_b, diff.failed_rows_delta) == (0, 6, 6)
    assert (diff.total_rows_a, diff.total_rows_b) == (N, N)
    assert sum(cmp.check_counts.values()) == 2
