"""Every request body of the Batch Operations guide, verbatim, against a copy of the shipped
example workspace (its synthetic data built as on first start): the validation and generation
bodies run to the end with every check passing; the bodies that name what the example does not
ship (SQL Server and Snowflake sources, the API section's placeholder ids) answer a 4xx that
names the field and what exists instead — never a 500."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from batchcore.api import create_api
from batchcore.example import ensure_synthetic_data

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "examples" / "workspace"
GUIDE_CANDIDATES = (
    ROOT.parent / "shared" / "guide" / "batch-operations-guide.md",  # CI: shared/ beside the clone
    Path("/work/shared/guide/batch-operations-guide.md"),
)

DAILY_SUITE = {
    "job_name": "Daily Validation Suite",
    "description": "Run all dimension and fact validations",
    "pipelines": [
        {"pipeline_id": "dim_customer_validation"},
        {"pipeline_id": "dim_product_validation"},
        {"pipeline_id": "dim_date_validation"},
        {"pipeline_id": "fact_sales_validation"},
    ],
    "parallel_execution": True,
    "max_parallel": 3,
    "stop_on_error": False,
    "project_id": "retail_migration",
}
GENERATE_ALL = {
    "job_name": "Generate All Test Data",
    "description": "Create sample data for all schemas",
    "items": [
        {"schema_type": "Retail", "row_count": 10000},
        {"schema_type": "Finance", "row_count": 5000},
        {"schema_type": "Healthcare", "row_count": 8000},
    ],
    "parallel_execution": True,
    "max_parallel": 2,
}
QUARTERLY = {
    "job_name": "Quarterly Multi-Project Validation",
    "description": "Validate all active migration projects",
    "projects": [
        {"project_id": "retail_migration", "pipeline_ids": ["dim_validation", "fact_validation"]},
        {"project_id": "finance_migration", "pipeline_ids": ["gl_validation", "ar_validation"]},
    ],
    "parallel_execution": False,
    "stop_on_error": False,
}
EXTRACT_ALL = {
    "job_name": "Extract All Database Metadata",
    "description": "Pull metadata from all connected sources",
    "items": [
        {"connection_type": "sqlserver", "schema_name": "dbo"},
        {"connection_type": "sqlserver", "schema_name": "staging"},
        {"connection_type": "snowflake", "schema_name": "PUBLIC"},
    ],
    "parallel_execution": True,
    "max_parallel": 2,
}
API_BULK = {
    "job_name": "Daily Validation",
    "pipelines": [{"pipeline_id": "pipeline1"}, {"pipeline_id": "pipeline2"}],
    "parallel_execution": True,
    "max_parallel": 5,
    "stop_on_error": False,
    "project_id": "my_project",
    "tags": ["daily", "automated"],
}
API_GENERATE = {
    "job_name": "Generate Test Data",
    "items": [{"schema_type": "Retail", "row_count": 10000}],
    "parallel_execution": True,
    "max_parallel": 2,
}
API_MULTI = {
    "job_name": "Weekly Multi-Project Check",
    "projects": [{"project_id": "project1", "pipeline_ids": ["val1", "val2"]}],
}
API_EXTRACT = {
    "job_name": "Metadata Sync",
    "items": [{"connection_type": "sqlserver", "schema_name": "dbo"}],
    "parallel_execution": True,
}
PYTHON_DAILY = {
    "job_name": "Automated Daily Validation",
    "pipelines": [
        {"pipeline_id": "dim_customer_validation"},
        {"pipeline_id": "fact_sales_validation"},
    ],
    "parallel_execution": True,
    "max_parallel": 3,
    "tags": ["automated", "daily"],
}
CURL_TEST = {
    "job_name": "Test Validation",
    "pipelines": [{"pipeline_id": "test_pipeline"}],
    "parallel_execution": False,
}
CUSTOM = {
    "job_name": "Custom Validation",
    "pipelines": [
        {"pipeline_id": "dim_customer", "config_override": {"threshold": 0.95, "sample_size": 1000}}
    ],
}
TAGS_FRAGMENT = {  # shows tags only: not a whole request (it names no pipelines)
    "job_name": "Production Validation",
    "tags": ["production", "scheduled", "high-priority"],
    "project_id": "retail_migration",
}
BODIES = [DAILY_SUITE, GENERATE_ALL, QUARTERLY, EXTRACT_ALL, API_BULK, API_GENERATE, API_MULTI]
BODIES += [API_EXTRACT, PYTHON_DAILY, CURL_TEST, CUSTOM, TAGS_FRAGMENT]
PATHS = {
    "pipelines": "/pipelines/bulk-execute",
    "projects": "/projects/multi-validate",
    "schema_type": "/data/bulk-generate",
    "connection_type": "/metadata/bulk-extract",
}


def _path(body: dict) -> str:
    if "items" not in body and "projects" not in body:
        return PATHS["pipelines"]
    if "pipelines" in body or "projects" in body:
        return PATHS["pipelines" if "pipelines" in body else "projects"]
    return PATHS["schema_type" if "schema_type" in body["items"][0] else "connection_type"]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """A TestClient over an engine on a copy of the shipped workspace with its synthetic data."""
    from batchcore.config import Settings
    from batchcore.engine import Engine

    root = tmp_path_factory.mktemp("guide") / "workspace"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("data"))
    assert ensure_synthetic_data(root) == ["Retail", "Finance", "Healthcare"]
    eng = Engine(
        Settings(
            jobs_dir=root.parent / "jobs", workspace=root, auto_build_example=False, max_workers=4
        )
    )
    with TestClient(create_api(engine=eng, token=None)) as client:
        yield client, eng
    eng.close(wait_s=5)


def test_the_bodies_here_are_the_guides_verbatim():
    guide = next((p for p in GUIDE_CANDIDATES if p.exists()), None)
    if guide is None:
        pytest.skip("the guide (shared/guide) is not beside this checkout")
    text = guide.read_text()
    found = []
    for start in (m.start() for m in re.finditer(r'\{\s*"job_name"', text)):
        depth, end = 0, start
        for end in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        raw = re.sub(r"//[^\n]*", "", text[start : end + 1])  # the guide's // comments
        raw = re.sub(r"\bTrue\b", "true", re.sub(r"\bFalse\b", "false", raw))  # its Python
        found.append(json.loads(raw))
    assert found == BODIES


@pytest.mark.parametrize(
    ("body", "pipelines"),
    [
        (
            DAILY_SUITE,
            [
                "dim_customer_validation",
                "dim_product_validation",
                "dim_date_validation",
                "fact_sales_validation",
            ],
        ),
        (QUARTERLY, ["dim_validation", "fact_validation", "gl_validation", "ar_validation"]),
        (PYTHON_DAILY, ["dim_customer_validation", "fact_sales_validation"]),
    ],
    ids=["daily-suite", "quarterly-multi-project", "python-daily"],
)
def test_guide_validation_bodies_pass_on_the_example(example, body, pipelines):
    client, eng = example
    resp = client.post(_path(body), json=body)
    assert resp.status_code == 200, resp.text
    job = eng.wait(resp.json()["job_id"], timeout=120)
    assert job.status.value == "completed", [(o.operation_id, o.error) for o in job.operations]
    assert [o.metadata["pipeline_id"] for o in job.operations] == pipelines
    checks = eng.check_results(job.job_id)
    assert len(checks) >= 9 * len(pipelines) and all(c["passed"] for c in checks)
    assert {c["pipeline_id"] for c in checks} == set(pipelines)


@pytest.mark.parametrize("body", [GENERATE_ALL, API_GENERATE], ids=["all-schemas", "api-retail"])
def test_guide_generation_bodies_write_the_schemas(example, body):
    client, eng = example
    resp = client.post(_path(body), json=body)
    assert resp.status_code == 200, resp.text
    job = eng.wait(resp.json()["job_id"], timeout=180)
    assert job.status.value == "completed", [(o.operation_id, o.error) for o in job.operations]
    assert len(job.operations) == len(body["items"])


@pytest.mark.parametrize(
    ("body", "status", "field", "says"),
    [
        (
            EXTRACT_ALL,
            422,
            "items.0.connection_type",
            "the workspace has no sqlserver connection (types present: ['duckdb', 'postgres', "
            "'sqlite'])",
        ),
        (API_EXTRACT, 422, "items.0.connection_type", "the workspace has no sqlserver connection"),
        (API_BULK, 422, "project_id", "my_project"),
        (API_MULTI, 422, "projects.0.project_id", "project1"),
        (CURL_TEST, 422, "pipelines.0.pipeline_id", "test_pipeline"),
        (CUSTOM, 422, "pipelines.0.pipeline_id", "dim_customer"),
        (TAGS_FRAGMENT, 422, "pipelines", "pipelines"),
    ],
    ids=[
        "extract-all",
        "api-extract",
        "api-bulk-placeholders",
        "api-multi-placeholders",
        "curl-placeholder",
        "custom-metadata-placeholder",
        "tags-fragment",
    ],
)
def test_guide_bodies_naming_what_the_example_lacks_answer_a_clear_4xx(
    example, body, status, field, says
):
    client, _ = example
    resp = client.post(_path(body), json=body)
    assert resp.status_code == status, resp.text
    answer = resp.json()
    assert says in answer["message"], answer
    assert field in json.dumps(answer), answer


def test_the_new_pipelines_find_injected_defects_exactly(tmp_path):
    """The retail and finance checks are real: on data with known defects (datagen's ground
    truth) they fail with exactly the injected counts."""
    from batchcore.connections import duckdb_instance_acquire, duckdb_instance_release
    from batchcore.datagen.generator import plan_generation, write_duckdb
    from batchcore.validation import run_pipeline_ref
    from batchcore.workspace import Workspace

    root = tmp_path / "workspace"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("data"))
    (root / "data").mkdir()
    path = str(root / "data" / "generated.duckdb")
    cur = duckdb_instance_acquire(path)
    try:
        for schema_type, defects in (
            (
                "Retail",
                {"fact_sales": {"duplicate_keys": 25, "orphan_fks": {"product_key": 40}}},
            ),
            ("Finance", {"fact_balances": {"duplicate_keys": 8}}),
        ):
            write_duckdb(cur, plan_generation(schema_type, 20_000, 7, defects=defects))
    finally:
        cur.close()
        duckdb_instance_release(path)
    ws = Workspace.load(root)
    sales = run_pipeline_ref(ws.projects["retail_migration"].pipelines["fact_sales_validation"], ws)
    failed = {c.check_name: c for c in sales.checks if not c.passed}
    assert set(failed) == {
        "unique(retail.fact_sales(sale_id))",
        "relationships(retail.fact_sales.product_key -> retail.dim_product.product_key)",
    }
    assert failed["unique(retail.fact_sales(sale_id))"].duplicate_keys == 25
    orphans = "relationships(retail.fact_sales.product_key -> retail.dim_product.product_key)"
    assert failed[orphans].failed_rows == 40
    gl = run_pipeline_ref(ws.projects["finance_migration"].pipelines["gl_validation"], ws)
    failed = {c.check_name: c for c in gl.checks if not c.passed}
    assert failed["one_balance_per_account_and_month_end"].duplicate_keys == 8
