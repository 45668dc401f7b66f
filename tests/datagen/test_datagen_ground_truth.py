"""Generate with defects, run the shipped validation pipelines: each check finds exactly the
ground truth the generation recorded (and 0 where nothing was injected).
"""

from __future__ import annotations

from batchcore.validation import run_pipeline_ref
from batchcore.workspace import Workspace

DEFECTS = {
    "Retail": {
        "fact_sales": {
            "nulls": {"customer_key": 11, "net_amount": 0.001},
            "duplicate_keys": 4,
            "orphan_fks": {"product_key": 6, "date_key": 2},
            "out_of_range": {"quantity": 3, "discount_pct": 5},
        },
        "dim_customer": {"duplicate_keys": 2, "nulls": {"email": 3}},
        "fact_returns": {"orphan_fks": {"sale_id": 4}, "out_of_range": {"return_quantity": 1}},
    },
    "Finance": {
        "fact_transactions": {
            "nulls": {"amount": 5},
            "orphan_fks": {"account_key": 3, "instrument_key": 2},
            "out_of_range": {"amount": 4},
        },
        "fact_balances": {"duplicate_keys": 6, "nulls": {"gl_account": 2}},
        "dim_account": {"orphan_fks": {"customer_key": 3}, "out_of_range": {"interest_rate": 1}},
    },
    "Healthcare": {
        "fact_encounters": {
            "nulls": {"diagnosis_key": 7},
            "out_of_range": {"length_of_stay_days": 2},
            "orphan_fks": {"facility_key": 3},
        },
        "fact_claims": {
            "orphan_fks": {"encounter_id": 5},
            "duplicate_keys": 3,
            "out_of_range": {"paid_amount": 2},
        },
        "dim_patient": {"nulls": {"insurance_type": 4}},
    },
}


def _key(check_type: str, table: str, columns) -> tuple:
    return check_type, table, tuple(columns or ())


def _generate(make_engine, workspace) -> tuple[object, dict[str, list[dict]]]:
    eng = make_engine(workspace=workspace)
    created = eng.submit(
        "batch_data_generation",
        {
            "job_name": "defects",
            "items": [
                {"schema_type": s, "row_count": 20_000, "seed": 99, "defects": d}
                for s, d in DEFECTS.items()
            ],
        },
    )
    job = eng.wait(created.job_id, timeout=300)
    assert job.status.value == "completed", [op.error for op in job.operations]
    truth = {
        op.result["schema_type"]: op.result["defects"]["expected_failures"] for op in job.operations
    }
    assert all(truth.values())
    return eng, truth


def _compare(rows: list[dict], expected: list[dict]) -> None:
    want = {_key(e["check_type"], e["table"], e["columns"]): e for e in expected}
    seen = set()
    mismatches = []
    for r in rows:
        k = _key(r["check_type"], r["table_name"], r["columns"])
        e = want.get(k)
        if e is not None:
            seen.add(k)
        exp = e["failed_rows"] if e else 0
        if r["failed_rows"] != exp or (
            e and "duplicate_keys" in e and r.get("duplicate_keys") != e["duplicate_keys"]
        ):
            mismatches.append((k, r["failed_rows"], exp))
    assert mismatches == []
    assert set(want) - seen == set(), "expected failures no check reported"


def test_validation_finds_exactly_the_injected_defects(make_engine, workspace):
    _, truth = _generate(make_engine, workspace)
    ws = Workspace.load(workspace)
    for schema_type, expected in truth.items():
        ref = ws.resolve_pipeline(f"{schema_type.lower()}_validation", "synthetic_data")
        result = run_pipeline_ref(ref, ws)
        rows = [c.to_row() for c in result.checks]
        assert len(rows) > 30
        _compare(rows, expected)


def test_pipeline_jobs_store_check_results_equal_to_the_ground_truth(make_engine, workspace):
    eng, truth = _generate(make_engine, workspace)
    created = eng.submit(
        "bulk_pipeline_execution",
        {
            "job_name": "validate generated",
            "project_id": "synthetic_data",
            "pipelines": [{"pipeline_id": f"{s.lower()}_validation"} for s in truth],
        },
    )
    job = eng.wait(created.job_id, timeout=300)
    assert [op.status.value for op in job.operations] == [
        "failed"
    ] * 3  # checks failed: a result, not an error
    rows = eng.check_results(created.job_id)
    for schema_type, expected in truth.items():
        _compare(
            [r for r in rows if r["pipeline_id"] == f"{schema_type.lower()}_validation"], expected
        )
