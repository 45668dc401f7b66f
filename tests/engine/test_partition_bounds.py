"""`partition_by: {ranges: N}` on awkward data (SQLite source, DuckDB target): a float column
holding NaN, +-inf and +-1.7e308, and a date column stored as TEXT in SQLite and DATE in
DuckDB. The partitioned row_diff finds exactly the differences of the unpartitioned run."""

from __future__ import annotations

import datetime as dt
import sqlite3

import duckdb

from tests.validation.vhelpers import make_ws

FLOATS = [-1.7e308, 1.7e308, float("inf"), float("-inf"), 0.0, -2.5, 3.25, 1e-300]


def _x(i: int) -> float:
    return FLOATS[i % len(FLOATS)] if i % 3 == 0 else i * 1.5 - 100


def _build(root) -> None:
    rows = [
        (i, _x(i), (dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat(), f"v{i}")
        for i in range(300)
    ]
    with sqlite3.connect(root / "src.sqlite") as con:
        con.execute("CREATE TABLE t (id INTEGER, x REAL, d TEXT, v TEXT)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    with duckdb.connect(str(root / "tgt.duckdb")) as con:
        con.execute("CREATE TABLE t (id BIGINT, x DOUBLE, d DATE, v VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
        con.execute("DELETE FROM t WHERE id IN (0, 3, 50, 299)")  # 4 missing
        con.execute("UPDATE t SET v = 'changed' WHERE id IN (1, 6, 9, 100, 150)")  # 5 changed
        # 4 extra, one NaN (SQLite cannot store NaN: it reads back NULL)
        con.execute(
            "INSERT INTO t VALUES (1000, 'nan'::DOUBLE, DATE '2020-01-01', 'e'), "
            "(1001, 'inf'::DOUBLE, DATE '2030-01-01', 'e'), (1002, NULL, NULL, 'e'), "
            "(1003, -1.7e308, DATE '2024-03-01', 'e')"
        )


def test_partitioned_diff_on_nan_inf_huge_floats_and_text_dates(tmp_path, make_engine):
    root = tmp_path / "ws"
    ws = make_ws(
        root,
        {
            "src": {"type": "sqlite", "path": "src.sqlite"},
            "tgt": {"type": "duckdb", "path": "tgt.duckdb"},
        },
        source="src",
        target="tgt",
    )
    _build(root)
    pipes = ws.root / "projects" / "p" / "pipelines"
    check = "{type: row_diff, name: diff, table: t, key: id"
    (pipes / "whole.yaml").write_text(f"checks:\n  - {check}}}\n")
    (pipes / "split.yaml").write_text(
        f"checks:\n  - {check}, partition_by: {{column: x, ranges: 6}}}}\n"
        f"  - {check}, partition_by: {{column: d, ranges: 5}}}}\n"
    )
    eng = make_engine(workspace=ws.root, max_workers=2)
    job = eng.submit(
        "bulk_pipeline_execution",
        {
            "job_name": "bounds",
            "pipelines": [
                {"pipeline_id": "whole", "project_id": "p"},
                {"pipeline_id": "split", "project_id": "p"},
            ],
            "max_parallel": 2,
        },
    )
    view = eng.wait(job.job_id, timeout=240)
    errors = [o.error for o in view.operations if o.error and "failed" not in (o.error or "")]
    results = eng.check_results(job.job_id)
    whole = [r for r in results if r["operation_id"] == "pipeline_0_whole"]
    assert len(whole) == 1, [(o.operation_id, o.error) for o in view.operations]
    (w,) = whole
    assert w["failed_rows"] == 4 + 5 + 4, (w, errors)
    for c, n in ((0, 6), (1, 5)):
        parts = [r for r in results if r["operation_id"].startswith(f"pipeline_1_split_c{c}_p")]
        assert len(parts) == n, (c, parts, errors)
        assert all(p["status"] != "error" for p in parts), (c, parts)
        assert sum(p["failed_rows"] for p in parts) == w["failed_rows"], (c, parts)
        assert sum(p["total_rows"] for p in parts) == w["total_rows"], (c, parts)
        for k in ("missing_in_target", "extra_in_target", "changed"):
            assert sum(p["observed"][k] for p in parts) == w["observed"][k], (c, k, parts)
    for rolled in eng.partitioned_checks(job.job_id):
        for p in rolled.partitions:
            assert "nan" not in p.predicate.lower() and "inf" not in p.predicate.lower()
