"""Learned alert bands (issue 15 §2): the band from REAL stored history (runs through the
executor) against a hand computation, learning before 5 runs, metric_anomaly, weekday."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from batchcore.errors import ConfigError
from batchcore.validation.anomaly import AnomalySpec, judge
from batchcore.validation.spec import load_pipeline
from tests.ui.seed import seed_check_history, write_workspace

PIPELINE = """\
target: warehouse
checks:
  - type: row_count
    table: orders
    min: 1
    anomaly: {metric: row_count, window: 6, sensitivity: 2}
  - type: metric_anomaly
    table: orders
    column: email
    metric: null_rate
    window: 5
"""


def _ws(tmp_path: Path) -> Path:
    ws = write_workspace(tmp_path / "ws")
    (ws / "projects/retail_migration/pipelines/orders_validation.yaml").write_text(PIPELINE)
    return ws


def _run(eng, ws: Path, rows: int, nulls: int = 0) -> dict:
    with duckdb.connect(str(ws / "data" / "warehouse.duckdb")) as con:
        con.execute(
            "CREATE OR REPLACE TABLE orders AS SELECT range AS id, "
            f"CASE WHEN range < {nulls} THEN NULL ELSE 'a@b' END AS email FROM range({rows})"
        )
    job = eng.submit(
        "bulk_pipeline_execution",
        {
            "job_name": "orders",
            "pipelines": [{"pipeline_id": "orders_validation", "project_id": "retail_migration"}],
        },
    )
    eng.wait(job.job_id, timeout=60)
    return {c["check_name"]: c for c in eng.check_results(job.job_id)}


def test_band_matches_a_hand_computation_on_real_history(tmp_path, make_engine):
    ws = _ws(tmp_path)
    eng = make_engine(workspace=ws)
    rc = "row_count(orders)"
    # five runs: learning (k of 5), passing on their own rule
    for k, n in enumerate([100, 104, 98, 101, 103]):
        got = _run(eng, ws, n)[rc]
        assert got["status"] == "passed"
        assert got["observed"]["anomaly"]["state"] == "learning"
        assert got["observed"]["anomaly"]["reason"] == f"learning ({k} of 5 runs)"
    got = _run(eng, ws, 99)[rc]  # 5 runs stored: the band decides from now on
    assert got["observed"]["anomaly"]["state"] == "normal"
    # run 7: history = the six stored counts 100 104 98 101 103 99 (window 6)
    # by hand: sorted 98 99 100 101 103 104 -> median 100.5; |x - 100.5| = 0.5 3.5 2.5 0.5 2.5
    # 1.5 -> sorted 0.5 0.5 1.5 2.5 2.5 3.5 -> MAD 2.0; band = 100.5 +- 2 * 1.4826 * 2.0
    # = 100.5 +- 5.9304 = [94.5696, 106.4304]; 102 is inside
    a = _run(eng, ws, 102)[rc]["observed"]["anomaly"]
    assert (a["state"], a["runs"], a["median"], a["mad"]) == ("normal", 6, 100.5, 2.0)
    assert a["lower"] == pytest.approx(94.5696) and a["upper"] == pytest.approx(106.4304)
    # run 8: the last six are 104 98 101 103 99 102 -> median 101.5, |x - 101.5| = 2.5 3.5 0.5
    # 1.5 2.5 0.5 -> MAD 2.0; band 101.5 +- 5.9304 = [95.5696, 107.4304]; 130 is 22.5696 above
    got = _run(eng, ws, 130)[rc]
    a = got["observed"]["anomaly"]
    assert got["status"] == "failed" and not got["passed"]
    assert a["state"] == "anomaly" and a["value"] == 130
    assert (a["median"], a["mad"]) == (101.5, 2.0)
    assert a["lower"] == pytest.approx(95.5696) and a["upper"] == pytest.approx(107.4304)
    assert got["details"]["reason"].startswith(
        "row_count 130 is above the band 95.57 – 107.43 by 22.57 (median 101.5 ± 2 × 1.4826 × "
        "MAD 2 over the last 6 runs)"
    )
    # the check history shows the failure of the row count check on the latest run
    h = eng.check_history(f"retail_migration/orders_validation/{rc}", limit=1)
    assert h["runs"][0]["status"] == "failed" and h["total_runs"] == 8


def test_metric_anomaly_null_rate(tmp_path, make_engine):
    ws = _ws(tmp_path)
    eng = make_engine(workspace=ws)
    name = "metric_anomaly(orders.email:null_rate)"
    for k, nulls in enumerate([1, 2, 1, 2, 1]):
        got = _run(eng, ws, 100, nulls)[name]
        assert got["status"] == "passed"
        assert got["details"]["reason"] == f"learning ({k} of 5 runs)"
        assert got["observed"]["null_rate"] == pytest.approx(nulls / 100)
    # history 0.01 0.02 0.01 0.02 0.01: median 0.01, |x - 0.01| = 0 .01 0 .01 0 -> MAD 0:
    # the band is exactly [0.01, 0.01]; 0.01 passes, 0.30 fails
    assert _run(eng, ws, 100, 1)[name]["status"] == "passed"
    got = _run(eng, ws, 100, 30)[name]
    a = got["observed"]["anomaly"]
    assert got["status"] == "failed" and got["pass_rate"] == 0.0
    assert (a["lower"], a["upper"], a["mad"]) == (pytest.approx(0.01), pytest.approx(0.01), 0)
    assert "null_rate 0.3 is above the band 0.01 – 0.01" in got["details"]["reason"]


def test_weekday_seasonality_learns_from_the_same_weekday_only(make_engine, tmp_path):
    eng = make_engine(workspace=write_workspace(tmp_path / "ws"))
    seed_check_history(eng.store, days=60, runs_per_day=1)
    key = "retail_migration/dim_store_validation/row_count(dim_store)"
    runs = eng.check_history(key, limit=None)["runs"]  # newest first
    at = runs[0]["run_at"] + timedelta(hours=1)
    same_day = [float(r["total_rows"]) for r in runs if r["run_at"].isoweekday() == at.isoweekday()]
    source = eng.executor.history_source
    spec = AnomalySpec(metric="row_count", window=5, seasonality="weekday")
    got = source(
        "retail_migration",
        "dim_store_validation",
        "row_count(dim_store)",
        "row_count",
        before=at.replace(tzinfo=None),
        limit=5,
        isoweekday=at.isoweekday(),
    )
    assert [v for _, v in got] == same_day[:5]
    assert all(t.isoweekday() == at.isoweekday() for t, _ in got)
    v = judge(same_day[0], [v for _, v in got][1:], spec, weekday=at.isoweekday())
    assert v.state == "learning" and v.reason.endswith("runs on " + at.strftime("%A") + "s)")


def test_bad_anomaly_keys_are_reported(tmp_path):
    ws = write_workspace(tmp_path / "ws")
    p = ws / "projects/retail_migration/pipelines/bad_validation.yaml"
    p.write_text(
        "target: warehouse\nchecks:\n"
        "  - {type: row_count, table: t, anomaly: {metric: row_count, window: 2, sesonality: weekday}}\n"
        "  - {type: metric_anomaly, table: t, metric: mean}\n"
    )
    from batchcore.workspace import Workspace

    w = Workspace.load(ws)
    with pytest.raises(ConfigError) as exc:
        load_pipeline(w.resolve_pipeline("bad_validation", "retail_migration"), w)
    text = str(exc.value)
    assert "anomaly.window" in text and "greater than or equal to 5" in text
    assert "anomaly.sesonality: unknown key; anomaly accepts: metric, seasonality" in text
    assert "metric mean needs 'column'" in text
