"""A hand-written corpus of bad requests: each gets its 4xx, the offending input's `loc`, and a
plain message naming the field — never a 500 (TestClient re-raises server errors)."""

from __future__ import annotations

import pytest

OK_PIPE = {
    "job_name": "ok",
    "pipelines": [{"pipeline_id": "pipeline1"}],
    "project_id": "my_project",
}
OK_GEN = {"job_name": "ok", "items": [{"schema_type": "Retail", "row_count": 10}]}
OK_META = {"job_name": "ok", "items": [{"connection_name": "warehouse"}]}
OK_MULTI = {"job_name": "ok", "projects": [{"project_id": "project1"}]}
BE, BG, MV, BX = (
    "/pipelines/bulk-execute",
    "/data/bulk-generate",
    "/projects/multi-validate",
    "/metadata/bulk-extract",
)


def w(base: dict, **changes) -> dict:
    """`base` with keys replaced (value None-sentinel `...` deletes the key)."""
    out = {**base, **changes}
    return {k: v for k, v in out.items() if v is not ...}


# (id, method, path, kwargs for the client, status, loc, message fragment)
CORPUS = [
    (
        "max_parallel_0",
        "POST",
        BE,
        {"json": w(OK_PIPE, max_parallel=0)},
        422,
        ["body", "max_parallel"],
        "max_parallel: Input should be greater than or equal to 1 (got 0)",
    ),
    (
        "max_parallel_11",
        "POST",
        BE,
        {"json": w(OK_PIPE, max_parallel=11)},
        422,
        ["body", "max_parallel"],
        "max_parallel: Input should be less than or equal to 10 (got 11)",
    ),
    (
        "max_parallel_string",
        "POST",
        BE,
        {"json": w(OK_PIPE, max_parallel="5")},
        422,
        ["body", "max_parallel"],
        "max_parallel: Input should be a valid integer (got '5')",
    ),
    (
        "parallel_execution_string",
        "POST",
        BE,
        {"json": w(OK_PIPE, parallel_execution="true")},
        422,
        ["body", "parallel_execution"],
        "parallel_execution: Input should be a valid boolean (got 'true')",
    ),
    (
        "negative_row_count",
        "POST",
        BG,
        {"json": w(OK_GEN, items=[{"schema_type": "Retail", "row_count": -5}])},
        422,
        ["body", "items", 0, "row_count"],
        "items.0.row_count: Input should be greater than or equal to 1 (got -5)",
    ),
    (
        "float_row_count",
        "POST",
        BG,
        {"json": w(OK_GEN, items=[{"schema_type": "Retail", "row_count": 1.5}])},
        422,
        ["body", "items", 0, "row_count"],
        "items.0.row_count: Input should be a valid integer",
    ),
    (
        "huge_row_count",
        "POST",
        BG,
        {"json": w(OK_GEN, items=[{"schema_type": "Retail", "row_count": 10**12}])},
        422,
        ["body", "items", 0, "row_count"],
        "less than or equal to 200000000",
    ),
    (
        "unknown_schema_type",
        "POST",
        BG,
        {"json": w(OK_GEN, items=[{"schema_type": "Crypto"}])},
        422,
        ["body", "items", 0, "schema_type"],
        "items.0.schema_type: Input should be 'Retail', 'Finance' or 'Healthcare' (got 'Crypto')",
    ),
    (
        "unknown_target_connection",
        "POST",
        BG,
        {"json": w(OK_GEN, items=[{"schema_type": "Retail", "target_connection": "nowhere"}])},
        422,
        ["body", "items", 0, "target_connection"],
        "items.0.target_connection: connection 'nowhere' is not in the workspace",
    ),
    (
        "unknown_pipeline",
        "POST",
        BE,
        {"json": w(OK_PIPE, pipelines=[{"pipeline_id": "nope"}])},
        422,
        ["body", "pipelines", 0, "pipeline_id"],
        "pipelines.0.pipeline_id: pipeline 'nope' not found in project 'my_project'",
    ),
    (
        "unknown_project",
        "POST",
        BE,
        {"json": w(OK_PIPE, project_id="nope")},
        422,
        ["body", "project_id"],
        "project_id: project 'nope' not found",
    ),
    (
        "ambiguous_free_pipeline_ok_but_unknown_second",
        "POST",
        BE,
        {
            "json": w(
                OK_PIPE,
                project_id=...,
                pipelines=[{"pipeline_id": "val1"}, {"pipeline_id": "ghost"}],
            )
        },
        422,
        ["body", "pipelines", 1, "pipeline_id"],
        "pipelines.1.pipeline_id: pipeline 'ghost' not found in any project of <workspace>",
    ),
    (
        "pipeline_id_with_slash",
        "POST",
        BE,
        {"json": w(OK_PIPE, pipelines=[{"pipeline_id": "../../etc/passwd"}])},
        422,
        ["body", "pipelines", 0, "pipeline_id"],
        "no spaces or path separators",
    ),
    (
        "pipeline_id_with_backslash",
        "POST",
        BE,
        {"json": w(OK_PIPE, pipelines=[{"pipeline_id": "a\\b"}])},
        422,
        ["body", "pipelines", 0, "pipeline_id"],
        "pipelines.0.pipeline_id: id 'a\\\\b' is not valid",
    ),
    (
        "project_id_with_slash",
        "POST",
        BE,
        {"json": w(OK_PIPE, project_id="../x")},
        422,
        ["body", "project_id"],
        "project_id: id '../x' is not valid",
    ),
    (
        "job_name_10000_chars",
        "POST",
        BE,
        {"json": w(OK_PIPE, job_name="x" * 10000)},
        422,
        ["body", "job_name"],
        "job_name: String should have at most 200 characters",
    ),
    (
        "job_name_blank",
        "POST",
        BE,
        {"json": w(OK_PIPE, job_name="   ")},
        422,
        ["body", "job_name"],
        "job_name: must not be empty",
    ),
    (
        "job_name_null",
        "POST",
        BE,
        {"json": w(OK_PIPE, job_name=None)},
        422,
        ["body", "job_name"],
        "job_name: Input should be a valid string (got None)",
    ),
    (
        "job_name_missing",
        "POST",
        BE,
        {"json": w(OK_PIPE, job_name=...)},
        422,
        ["body", "job_name"],
        "job_name: required field is missing",
    ),
    (
        "pipelines_missing",
        "POST",
        BE,
        {"json": w(OK_PIPE, pipelines=...)},
        422,
        ["body", "pipelines"],
        "pipelines: required field is missing",
    ),
    (
        "pipelines_empty",
        "POST",
        BE,
        {"json": w(OK_PIPE, pipelines=[])},
        422,
        ["body", "pipelines"],
        "pipelines: List should have at least 1 item",
    ),
    (
        "pipelines_not_a_list",
        "POST",
        BE,
        {"json": w(OK_PIPE, pipelines={"pipeline_id": "pipeline1"})},
        422,
        ["body", "pipelines"],
        "pipelines: Input should be a valid list",
    ),
    (
        "unknown_field",
        "POST",
        BE,
        {"json": w(OK_PIPE, pipeline="pipeline1")},
        422,
        ["body", "pipeline"],
        "pipeline: unknown field",
    ),
    (
        "tag_too_long",
        "POST",
        BE,
        {"json": w(OK_PIPE, tags=["t" * 51])},
        422,
        ["body", "tags", 0],
        "tags.0: String should have at most 50 characters",
    ),
    (
        "tags_not_a_list",
        "POST",
        BE,
        {"json": w(OK_PIPE, tags="daily")},
        422,
        ["body", "tags"],
        "tags: Input should be a valid list",
    ),
    (
        "max_retries_11",
        "POST",
        BE,
        {"json": w(OK_PIPE, max_retries=11)},
        422,
        ["body", "max_retries"],
        "max_retries: Input should be less than or equal to 10",
    ),
    (
        "timeout_zero",
        "POST",
        BE,
        {"json": w(OK_PIPE, timeout_s=0)},
        422,
        ["body", "timeout_s"],
        "timeout_s: Input should be greater than 0",
    ),
    (
        "threshold_above_1",
        "POST",
        BE,
        {
            "json": w(
                OK_PIPE,
                pipelines=[{"pipeline_id": "pipeline1", "config_override": {"threshold": 2}}],
            )
        },
        422,
        ["body", "pipelines", 0, "config_override", "threshold"],
        "pipelines.0.config_override.threshold: must be a number between 0 and 1, got 2",
    ),
    (
        "body_is_array",
        "POST",
        BE,
        {"json": [OK_PIPE]},
        422,
        ["body"],
        "request body must be a JSON object",
    ),
    (
        "body_not_json",
        "POST",
        BE,
        {"content": b'{"job_name": ', "headers": {"content-type": "application/json"}},
        422,
        None,
        "request body is not valid JSON",
    ),
    ("no_body", "POST", BE, {}, 422, ["body"], "request body is required"),
    (
        "multi_unknown_project",
        "POST",
        MV,
        {"json": w(OK_MULTI, projects=[{"project_id": "nope"}])},
        422,
        ["body", "projects", 0, "project_id"],
        "projects.0.project_id: project 'nope' not found",
    ),
    (
        "multi_unknown_pipeline",
        "POST",
        MV,
        {
            "json": w(
                OK_MULTI, projects=[{"project_id": "project1", "pipeline_ids": ["val1", "val9"]}]
            )
        },
        422,
        ["body", "projects", 0, "pipeline_ids", 1],
        "projects.0.pipeline_ids.1: pipeline 'val9' not found in project 'project1'",
    ),
    (
        "meta_item_without_source",
        "POST",
        BX,
        {"json": w(OK_META, items=[{"schema_name": "dbo"}])},
        422,
        ["body", "items", 0],
        "items.0: give connection_name or connection_type",
    ),
    (
        "meta_unknown_connection_type",
        "POST",
        BX,
        {"json": w(OK_META, items=[{"connection_type": "oracle"}])},
        422,
        ["body", "items", 0, "connection_type"],
        "items.0.connection_type: Input should be 'duckdb'",
    ),
    (
        "meta_type_absent_from_workspace",
        "POST",
        BX,
        {"json": w(OK_META, items=[{"connection_type": "postgres"}])},
        422,
        ["body", "items", 0, "connection_type"],
        "items.0.connection_type: the workspace has no postgres connection",
    ),
    (
        "meta_unknown_connection",
        "POST",
        BX,
        {"json": w(OK_META, items=[{"connection_name": "ghost"}])},
        422,
        ["body", "items", 0, "connection_name"],
        "items.0.connection_name: connection 'ghost' is not in the workspace",
    ),
    (
        "list_unknown_job_type",
        "GET",
        "/jobs",
        {"params": {"job_type": "bulk_everything"}},
        422,
        ["query", "job_type", 0],
        "job_type: Input should be 'bulk_pipeline_execution'",
    ),
    (
        "list_unknown_status",
        "GET",
        "/jobs",
        {"params": {"status": "done"}},
        422,
        ["query", "status", 0],
        "status: Input should be 'queued'",
    ),
    (
        "list_limit_0",
        "GET",
        "/jobs",
        {"params": {"limit": 0}},
        422,
        ["query", "limit"],
        "limit: Input should be greater than or equal to 1 (got '0')",
    ),
    (
        "list_limit_501",
        "GET",
        "/jobs",
        {"params": {"limit": 501}},
        422,
        ["query", "limit"],
        "limit: Input should be less than or equal to 500 (got '501')",
    ),
    (
        "list_limit_text",
        "GET",
        "/jobs",
        {"params": {"limit": "fifty"}},
        422,
        ["query", "limit"],
        "limit: Input should be a valid integer",
    ),
    (
        "list_negative_offset",
        "GET",
        "/jobs",
        {"params": {"offset": -1}},
        422,
        ["query", "offset"],
        "offset: Input should be greater than or equal to 0",
    ),
    (
        "list_project_with_slash",
        "GET",
        "/jobs",
        {"params": {"project_id": "../x"}},
        422,
        ["query", "project_id"],
        "project_id: String should match pattern",
    ),
    (
        "export_format_xml",
        "GET",
        "/jobs/abc/export",
        {"params": {"format": "xml"}},
        422,
        ["query", "format"],
        "format: Input should be 'json' or 'csv' (got 'xml')",
    ),
    (
        "job_id_with_space",
        "GET",
        "/jobs/a b",
        {},
        422,
        ["path", "job_id"],
        "job_id: String should match pattern",
    ),
    (
        "unknown_job",
        "GET",
        "/jobs/0192f3a4-0000-7000-8000-000000000000",
        {},
        404,
        ["path", "job_id"],
        "job 0192f3a4-0000-7000-8000-000000000000 not found",
    ),
    (
        "cancel_unknown_job",
        "POST",
        "/jobs/nope/cancel",
        {},
        404,
        ["path", "job_id"],
        "job nope not found",
    ),
    (
        "retry_unknown_job",
        "POST",
        "/jobs/nope/retry",
        {},
        404,
        ["path", "job_id"],
        "job nope not found",
    ),
    (
        "delete_unknown_job",
        "DELETE",
        "/jobs/nope",
        {},
        404,
        ["path", "job_id"],
        "job nope not found",
    ),
    (
        "progress_unknown_job",
        "GET",
        "/jobs/nope/progress",
        {},
        404,
        ["path", "job_id"],
        "job nope not found",
    ),
    (
        "cancel_force_string",
        "POST",
        "/jobs/nope/cancel",
        {"json": {"force": "yes"}},
        422,
        ["body", "force"],
        "force: Input should be a valid boolean (got 'yes')",
    ),
    (
        "cancel_reason_too_long",
        "POST",
        "/jobs/nope/cancel",
        {"json": {"reason": "r" * 501}},
        422,
        ["body", "reason"],
        "reason: String should have at most 500 characters",
    ),
    (
        "cancel_unknown_field",
        "POST",
        "/jobs/nope/cancel",
        {"json": {"why": "x"}},
        422,
        ["body", "why"],
        "why: unknown field",
    ),
    (
        "retry_negative_max_retries",
        "POST",
        "/jobs/nope/retry",
        {"json": {"max_retries": -1}},
        422,
        ["body", "max_retries"],
        "max_retries: Input should be greater than or equal to 0",
    ),
    (
        "retry_ids_not_a_list",
        "POST",
        "/jobs/nope/retry",
        {"json": {"operation_ids": "all"}},
        422,
        ["body", "operation_ids"],
        "operation_ids: Input should be a valid list",
    ),
    (
        "unknown_project_listing",
        "GET",
        "/pipelines",
        {"params": {"project_id": "ghost"}},
        404,
        ["query", "project_id"],
        "project 'ghost' not found",
    ),
    ("wrong_method", "PUT", "/jobs", {}, 405, None, "method PUT is not allowed on /jobs"),
    ("unknown_endpoint", "GET", "/jobz", {}, 404, None, "no endpoint GET /jobz"),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "loc", "fragment"),
    [c[1:] for c in CORPUS],
    ids=[c[0] for c in CORPUS],
)
def test_bad_request_gets_its_4xx_and_a_message(
    shared_client, method, path, kwargs, status, loc, fragment
):
    resp = shared_client.request(method, path, **kwargs)
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) >= {"error", "message", "detail"}
    assert fragment in body["message"], body["message"]
    if loc is not None:
        assert loc in [d["loc"] for d in body["detail"]], body["detail"]
    assert "Traceback" not in resp.text
    assert len(body["message"]) < 1000


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30
    assert len({c[0] for c in CORPUS}) == len(CORPUS)


def test_several_problems_in_one_message(client):
    body = {"job_name": "", "pipelines": [], "max_parallel": 0, "stop_on_error": "no", "extra": 1}
    resp = client.post(BE, json=body)
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert {tuple(d["loc"]) for d in detail} == {
        ("body", "job_name"),
        ("body", "pipelines"),
        ("body", "max_parallel"),
        ("body", "stop_on_error"),
        ("body", "extra"),
    }
    assert resp.json()["message"].endswith("(and 2 more problems)")


def test_server_folders_do_not_leak_into_errors(client, api_workspace):
    resp = client.post(BE, json=w(OK_PIPE, project_id=..., pipelines=[{"pipeline_id": "ghost"}]))
    assert resp.status_code == 422
    assert str(api_workspace) not in resp.text
    assert (
        resp.json()["message"]
        == "pipelines.0.pipeline_id: pipeline 'ghost' not found in any project of <workspace>"
    )


def test_no_job_is_created_by_a_bad_request(client):
    client.post(
        BE, json=w(OK_PIPE, pipelines=[{"pipeline_id": "pipeline1"}, {"pipeline_id": "ghost"}])
    )
    assert client.get("/jobs").json()["total"] == 0


def test_a_job_without_operations_is_a_422_and_the_store_keeps_working(
    client, api_engine, monkeypatch
):
    """engine.submit_operations(name, []) used to reach the store with an empty VALUES list and
    crash it; every create path now refuses a plan without operations before the store."""
    from batchcore import engine as engine_module
    from batchcore.errors import RequestError

    with pytest.raises(RequestError) as info:
        api_engine.submit_operations("nothing", [])
    assert info.value.field == "operations"
    assert "at least one operation" in info.value.message

    real = engine_module.plan_job  # a planner that plans nothing: the API answers 422
    monkeypatch.setattr(
        engine_module,
        "plan_job",
        lambda *a, **k: engine_module.JobPlan(real(*a, **k).job_type, [], None, "nothing"),
    )
    resp = client.post(BE, json=OK_PIPE)
    assert resp.status_code == 422, resp.text
    assert resp.json()["message"] == (
        "operations: a job needs at least one operation; this request planned none"
    )
    monkeypatch.undo()
    ok = client.post(BE, json=OK_PIPE)
    assert ok.status_code == 200, ok.text
    assert api_engine.wait(ok.json()["job_id"], timeout=30).status.value == "completed"
