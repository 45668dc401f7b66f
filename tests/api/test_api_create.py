"""The four creation endpoints with the guide's example bodies verbatim: answer shape, message,
operation ids, and the stored job. (The operations' handlers are not needed: assertions are on
what the API returns at creation and on the stored plan.)"""

from __future__ import annotations

import pytest

GUIDE_BULK_EXECUTE = {
    "job_name": "Daily Validation",
    "pipelines": [{"pipeline_id": "pipeline1"}, {"pipeline_id": "pipeline2"}],
    "parallel_execution": True,
    "max_parallel": 5,
    "stop_on_error": False,
    "project_id": "my_project",
    "tags": ["daily", "automated"],
}
GUIDE_BULK_GENERATE = {
    "job_name": "Generate Test Data",
    "items": [{"schema_type": "Retail", "row_count": 10000}],
    "parallel_execution": True,
    "max_parallel": 2,
}
GUIDE_MULTI_VALIDATE = {
    "job_name": "Weekly Multi-Project Check",
    "projects": [{"project_id": "project1", "pipeline_ids": ["val1", "val2"]}],
}
GUIDE_BULK_EXTRACT = {
    "job_name": "Metadata Sync",
    "items": [{"connection_type": "sqlserver", "schema_name": "dbo"}],
    "parallel_execution": True,
}

CASES = [
    (
        "/pipelines/bulk-execute",
        GUIDE_BULK_EXECUTE,
        "bulk_pipeline_execution",
        "Batch pipeline execution job created with 2 pipelines",
        ["pipeline_0_pipeline1", "pipeline_1_pipeline2"],
    ),
    (
        "/data/bulk-generate",
        GUIDE_BULK_GENERATE,
        "batch_data_generation",
        "Batch data generation job created with 1 item",
        ["generate_0_retail"],
    ),
    (
        "/projects/multi-validate",
        GUIDE_MULTI_VALIDATE,
        "multi_project_validation",
        "Multi-project validation job created with 1 project (2 pipelines)",
        ["project_0_project1_val1", "project_1_project1_val2"],
    ),
    (
        "/metadata/bulk-extract",
        GUIDE_BULK_EXTRACT,
        "bulk_metadata_extraction",
        "Bulk metadata extraction job created with 1 source",
        ["extract_0_mssql_dbo"],
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "job_type", "message", "op_ids"), CASES, ids=[c[2] for c in CASES]
)
def test_guide_example_body_creates_the_job(
    client, api_engine, path, body, job_type, message, op_ids
):
    resp = client.post(path, json=body)
    assert resp.status_code == 200, resp.text
    created = resp.json()
    assert set(created) == {"job_id", "status", "message", "total_operations"}
    assert created["status"] == "queued"
    assert created["message"] == message
    assert created["total_operations"] == len(op_ids)

    job = client.get(f"/jobs/{created['job_id']}").json()["job"]
    assert job["job_type"] == job_type
    assert job["name"] == body["job_name"]
    assert [op["operation_id"] for op in job["operations"]] == op_ids
    assert job["progress"]["total_operations"] == len(op_ids)
    assert job["max_parallel"] == body.get("max_parallel", 5)
    assert job["tags"] == body.get("tags", [])
    # the same job, seen by the engine the UI pages use
    assert api_engine.get_job(created["job_id"]).name == body["job_name"]


def test_bulk_execute_stores_project_and_pipeline_specs(client):
    created = client.post("/pipelines/bulk-execute", json=GUIDE_BULK_EXECUTE).json()
    job = client.get(f"/jobs/{created['job_id']}").json()["job"]
    assert job["project_id"] == "my_project"
    assert [
        (op["metadata"]["project_id"], op["metadata"]["pipeline_id"]) for op in job["operations"]
    ] == [("my_project", "pipeline1"), ("my_project", "pipeline2")]


def test_pipeline_without_project_resolves_when_unique(client):
    body = {
        "job_name": "Test Validation",
        "pipelines": [{"pipeline_id": "test_pipeline"}],
        "parallel_execution": False,
    }
    created = client.post("/pipelines/bulk-execute", json=body).json()
    job = client.get(f"/jobs/{created['job_id']}").json()["job"]
    assert job["parallel_execution"] is False
    assert job["max_parallel"] == 1
    assert job["operations"][0]["metadata"]["project_id"] == "guide_examples"


def test_multi_validate_without_pipeline_ids_takes_every_pipeline(client):
    body = {"job_name": "All of nycflights", "projects": [{"project_id": "nycflights_migration"}]}
    created = client.post("/projects/multi-validate", json=body).json()
    assert created["total_operations"] == 3
    assert created["message"] == "Multi-project validation job created with 1 project (3 pipelines)"


def test_schema_type_is_case_insensitive_and_seed_kept(client):
    body = {"job_name": "gen", "items": [{"schema_type": "finance", "row_count": 5, "seed": 7}]}
    created = client.post("/data/bulk-generate", json=body).json()
    op = client.get(f"/jobs/{created['job_id']}/operations").json()["operations"][0]
    assert op["operation_id"] == "generate_0_finance"
    assert op["metadata"]["schema_type"] == "Finance"
    assert op["metadata"]["seed"] == 7
