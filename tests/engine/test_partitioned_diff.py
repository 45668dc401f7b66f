"""Partitioned checks (issue 14 §3): a row_diff over 2,000,000 rows split into 8 partitions
finds exactly the differences of the unpartitioned run, and Job Details' rollup adds up."""

from __future__ import annotations

import duckdb
import pytest

from batchcore.models import JobStatus
from tests.validation.vhelpers import make_ws

N = 2_000_000


def _build(root):
    src, tgt = root / "src.duckdb", root / "tgt.duckdb"
    with duckdb.connect(str(src)) as con:
        con.execute(
            f"CREATE TABLE t AS SELECT range AS id, (range * 7) % 1000 AS a, "
            f"'v' || (range % 97) AS b FROM range({N})"
        )
    with duckdb.connect(str(tgt)) as con:
        con.execute(f"ATTACH '{src}' AS s (READ_ONLY)")
        con.execute("CREATE TABLE t AS SELECT * FROM s.t")
        con.execute("DETACH s")
        # 37 missing, 23 extra (beyond the source's max id), 51 + 7 changed, 2 NULL keys
        con.execute("DELETE FROM t WHERE id % 54001 = 5")
        con.execute(f"INSERT INTO t SELECT {N} + range * 3, 1, 'x' FROM range(23)")
        con.execute("UPDATE t SET a = a + 1 WHERE id % 39157 = 11")
        con.execute("UPDATE t SET b = 'changed' WHERE id % 285000 = 100")
        con.execute("INSERT INTO t VALUES (NULL, 1, 'nullkey'), (NULL, 2, 'nullkey')")
        missing, changed = con.execute(
            f"SELECT count(*) FILTER (WHERE range % 54001 = 5), "
            f"count(*) FILTER (WHERE range % 54001 <> 5 "
            f"AND (range % 39157 = 11 OR range % 285000 = 100)) FROM range({N})"
        ).fetchall()[0]
    return missing, changed


@pytest.mark.slow
def test_partitioned_row_diff_finds_exactly_the_unpartitioned_differences(tmp_path, make_engine):
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
    missing, changed = _build(root)
    pipes = ws.root / "projects" / "p" / "pipelines"
    check = "{type: row_diff, name: diff, table: t, key: id"
    (pipes / "whole.yaml").write_text(f"checks:\n  - {check}}}\n")
    (pipes / "split.yaml").write_text(
        f"checks:\n  - {check}, partition_by: {{column: id, ranges: 8}}}}\n"
        "  - {type: row_count, name: rows, table: t, min: 1}\n"
    )
    eng = make_engine(workspace=ws.root, max_workers=4)
    job = eng.submit(
        "bulk_pipeline_execution",
        {
            "job_name": "partitioned",
            "pipelines": [
                {"pipeline_id": "whole", "project_id": "p"},
                {"pipeline_id": "split", "project_id": "p"},
            ],
            "max_parallel": 4,
        },
    )
    view = eng.wait(job.job_id, timeout=280)
    assert view.status == JobStatus.PARTIAL_SUCCESS  # the diffs fail, the row count passes
    ids = [o.operation_id for o in view.operations]
    assert ids == ["pipeline_0_whole", "pipeline_1_split"] + [
        f"pipeline_1_split_c0_p{k}" for k in range(8)
    ]
    results = eng.check_results(job.job_id)
    whole = [r for r in results if r["operation_id"] == "pipeline_0_whole"]
    parts = [r for r in results if r["operation_id"].startswith("pipeline_1_split_c0_p")]
    assert len(whole) == 1 and len(parts) == 8
    w = whole[0]
    expected = missing + 23 + changed + 2  # missing, extra, changed, NULL keys
    assert w["failed_rows"] == sum(p["failed_rows"] for p in parts) == expected
    assert w["total_rows"] == sum(p["total_rows"] for p in parts) == N
    observed = {
        k: sum(p["observed"][k] for p in parts)
        for k in w["observed"]
        if k in ("missing_in_target", "extra_in_target", "changed")
    }
    assert observed == {k: w["observed"][k] for k in observed}, (observed, w["observed"])
    assert len(observed) == 3, w["observed"]
    # the row count check of the split pipeline ran in its own operation, once
    other = [r for r in results if r["operation_id"] == "pipeline_1_split"]
    assert [r["check_name"] for r in other] == ["rows"]
    (rolled,) = eng.partitioned_checks(job.job_id)
    assert (rolled.pipeline_id, rolled.check_name, rolled.count) == ("split", "diff", 8)
    assert rolled.failed_rows == expected and rolled.total_rows == N
    assert [p.index for p in rolled.partitions] == list(range(8))
    assert rolled.worst.failed_rows == max(p["failed_rows"] for p in parts)
    assert rolled.partitions[0].predicate.endswith('OR "id" IS NULL)')
