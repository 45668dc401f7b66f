"""Job endpoints through FastAPI's TestClient on noop jobs: list, details, progress, operations,
cancel, retry, delete, export, statistics; the workspace listings; health."""

from __future__ import annotations

import csv
import io
import time


def _wait(engine, job_id):
    return engine.wait(job_id, timeout=20)


def test_list_filters_pagination_and_page_numbers(client, api_engine, noop_job):
    done = [noop_job(f"ok {i}", [{}], tags=["nightly"] if i % 2 else []) for i in range(5)]
    bad = noop_job("bad", [{"fail": True}], project_id="project1")
    for j in [*done, bad]:
        _wait(api_engine, j)
    everything = client.get("/jobs").json()
    assert everything["total"] == 6
    assert (everything["page"], everything["page_size"]) == (1, 100)
    assert [j["job_id"] for j in everything["jobs"]] == [bad, *reversed(done)]  # newest first
    assert "operations" not in everything["jobs"][0]

    page = client.get("/jobs", params={"limit": 2, "offset": 2}).json()
    assert (page["total"], page["page"], page["page_size"]) == (6, 2, 2)
    assert [j["job_id"] for j in page["jobs"]] == [done[3], done[2]]

    failed = client.get("/jobs", params={"status": "failed"}).json()
    assert [j["job_id"] for j in failed["jobs"]] == [bad]
    both = client.get("/jobs", params=[("status", "failed"), ("status", "completed")]).json()
    assert both["total"] == 6
    assert client.get("/jobs", params={"project_id": "project1"}).json()["total"] == 1
    assert client.get("/jobs", params={"tag": "nightly"}).json()["total"] == 2
    assert client.get("/jobs", params={"job_type": "bulk_pipeline_execution"}).json()["total"] == 6
    assert client.get("/jobs", params={"job_type": "batch_data_generation"}).json()["total"] == 0


def test_queued_is_an_alias_of_pending(client, api_engine, noop_job):
    blocker = noop_job("long", [{"sleep_ms": 5000}] * 1, parallel_execution=False)
    jid = noop_job("waits", [{"sleep_ms": 5000}, {"sleep_ms": 5000}], parallel_execution=False)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        statuses = {j["job_id"]: j["status"] for j in client.get("/jobs").json()["jobs"]}
        if statuses[blocker] == "running" and statuses[jid] == "running":
            break
        time.sleep(0.02)
    queued = client.get("/jobs", params={"status": "queued"}).json()
    pending = client.get("/jobs", params={"status": "pending"}).json()
    assert queued == pending
    for j in (blocker, jid):
        client.post(f"/jobs/{j}/cancel", json={"force": True})


def test_details_progress_and_operations_of_a_finished_job(client, api_engine, noop_job):
    jid = noop_job("mixed", [{"sleep_ms": 10}, {"fail": True}, {"value": 3}], max_parallel=1)
    _wait(api_engine, jid)
    detail = client.get(f"/jobs/{jid}").json()
    job = detail["job"]
    assert job["status"] == "partial_success"
    assert [op["status"] for op in job["operations"]] == ["completed", "failed", "completed"]
    assert job["operations"][1]["error"] == "RuntimeError: noop failure on attempt 1"
    assert job["operations"][2]["result"] == {"value": 3, "attempt": 1}
    p = detail["current_progress"]
    assert p == job["progress"]
    assert (
        p["total_operations"],
        p["completed_operations"],
        p["failed_operations"],
        p["skipped_operations"],
    ) == (3, 2, 1, 0)
    assert p["percent_complete"] == 100.0

    prog = client.get(f"/jobs/{jid}/progress").json()
    assert prog["job_status"] == "partial_success"
    assert prog["is_terminal"] is True
    assert prog["progress"]["percent_complete"] == 100.0

    ops = client.get(f"/jobs/{jid}/operations").json()
    assert ops["total"] == 3
    assert [o["operation_id"] for o in ops["operations"]] == ["noop_0", "noop_1", "noop_2"]
    assert ops["operations"][0]["duration_ms"] >= 10


def test_progress_while_running_counts_add_up(client, api_engine, noop_job):
    jid = noop_job("slow", [{}, {}, {"sleep_ms": 3000}, {"sleep_ms": 3000}], max_parallel=2)
    deadline = time.monotonic() + 5
    while True:
        prog = client.get(f"/jobs/{jid}/progress").json()
        p = prog["progress"]
        if p["completed_operations"] == 2 and p["running_operations"] == 2:
            break
        assert time.monotonic() < deadline, prog
        time.sleep(0.02)
    assert prog["job_status"] == "running"
    assert prog["is_terminal"] is False
    assert p["percent_complete"] == 50.0
    assert p["current_operations"] == ["noop_2", "noop_3"]
    assert p["estimated_time_remaining_ms"] is not None
    parts = ("completed", "failed", "skipped", "cancelled", "running", "pending")
    assert sum(p[f"{k}_operations"] for k in parts) == p["total_operations"] == 4
    client.post(f"/jobs/{jid}/cancel", json={"force": True})


def test_cancel_without_body_as_curl_sends_it(client, api_engine, noop_job):
    jid = noop_job("to cancel", [{"sleep_ms": 10000}] * 3, parallel_execution=False)
    resp = client.post(f"/jobs/{jid}/cancel")  # no body, no content type (curl -X POST)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "success"
    assert body["job_id"] == jid
    assert body["force"] is False and body["reason"] is None
    assert body["job_status"] in ("cancelling", "cancelled")


def test_cancel_with_guide_body_then_force_then_conflict(client, api_engine, noop_job):
    jid = noop_job("to cancel", [{"sleep_ms": 10000}] * 3, parallel_execution=False)
    while client.get(f"/jobs/{jid}/progress").json()["progress"]["running_operations"] == 0:
        time.sleep(0.01)
    resp = client.post(
        f"/jobs/{jid}/cancel", json={"reason": "User cancelled - testing purposes", "force": False}
    )
    assert resp.status_code == 200
    assert resp.json()["job_status"] == "cancelling"
    assert resp.json()["message"] == "Batch job cancellation requested"
    forced = client.post(f"/jobs/{jid}/cancel", json={"force": True}).json()
    assert forced["job_status"] == "cancelled"
    job = client.get(f"/jobs/{jid}").json()["job"]
    assert job["cancel_reason"] == "User cancelled - testing purposes"
    assert [op["status"] for op in job["operations"]] == ["cancelled", "skipped", "skipped"]
    again = client.post(f"/jobs/{jid}/cancel")
    assert again.status_code == 409
    assert again.json()["current_status"] == "cancelled"
    assert "already cancelled" in again.json()["message"]


def test_a_second_cancel_says_the_first_stands_and_only_force_changes_it(
    client, api_engine, noop_job
):
    jid = noop_job("to cancel twice", [{"sleep_ms": 10000}] * 2, parallel_execution=False)
    while client.get(f"/jobs/{jid}/progress").json()["progress"]["running_operations"] == 0:
        time.sleep(0.01)
    first = client.post(f"/jobs/{jid}/cancel", json={"reason": "wrong input"})
    assert first.status_code == 200 and first.json()["job_status"] == "cancelling"

    second = client.post(f"/jobs/{jid}/cancel", json={"reason": "changed my mind"})
    assert second.status_code == 409, second.text
    body = second.json()
    assert body["current_status"] == "cancelling"
    assert "cancel was requested at" in body["message"]
    assert "with reason 'wrong input', and that request stands" in body["message"]
    assert "send force=true" in body["message"]

    forced = client.post(f"/jobs/{jid}/cancel", json={"reason": "hung", "force": True})
    assert forced.status_code == 200, forced.text
    assert forced.json()["job_status"] == "cancelled"
    assert "first cancel's reason 'wrong input' stays" in forced.json()["message"]
    job = client.get(f"/jobs/{jid}").json()["job"]
    assert job["cancel_reason"] == "wrong input"
    assert job["operations"][0]["status_reason"] == "force-cancelled: hung"
    assert client.post(f"/jobs/{jid}/cancel", json={"force": True}).status_code == 409


def test_retry_all_failed_with_null_body_and_selected_ids(client, api_engine, noop_job):
    jid = noop_job("flaky", [{"fail_attempts": 1}, {"fail_attempts": 1}, {}])
    _wait(api_engine, jid)
    assert client.get(f"/jobs/{jid}/progress").json()["job_status"] == "partial_success"

    only_one = client.post(
        f"/jobs/{jid}/retry", json={"operation_ids": ["noop_1"], "max_retries": 3}
    )
    assert only_one.status_code == 200, only_one.text
    assert only_one.json()["operation_ids"] == ["noop_1"]
    assert only_one.json()["retrying_operations"] == 1
    _wait(api_engine, jid)
    ops = {
        o["operation_id"]: o["status"]
        for o in client.get(f"/jobs/{jid}/operations").json()["operations"]
    }
    assert ops == {"noop_0": "failed", "noop_1": "completed", "noop_2": "completed"}

    rest = client.post(f"/jobs/{jid}/retry")  # no body: every failed operation
    assert rest.status_code == 200
    assert rest.json()["operation_ids"] == ["noop_0"]
    _wait(api_engine, jid)
    assert client.get(f"/jobs/{jid}/progress").json()["job_status"] == "completed"

    nothing = client.post(f"/jobs/{jid}/retry", json={"operation_ids": None, "max_retries": 3})
    assert nothing.status_code == 409
    assert "completed: it has no failed operations to retry" in nothing.json()["message"]


def test_retry_of_an_operation_that_did_not_fail_is_422(client, api_engine, noop_job):
    jid = noop_job("x", [{"fail": True}, {}])
    _wait(api_engine, jid)
    resp = client.post(f"/jobs/{jid}/retry", json={"operation_ids": ["noop_1"]})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "operation_ids", 0]
    assert resp.json()["message"].startswith("operation_ids.0: operation 'noop_1' is completed")


def test_delete_finished_job_then_404_and_active_job_409(client, api_engine, noop_job):
    active = noop_job("busy", [{"sleep_ms": 10000}])
    resp = client.delete(f"/jobs/{active}")
    assert resp.status_code == 409
    assert resp.json()["error"] == "Conflict"
    client.post(f"/jobs/{active}/cancel", json={"force": True})

    jid = noop_job("done", [{}])
    _wait(api_engine, jid)
    resp = client.delete(f"/jobs/{jid}")
    assert resp.status_code == 200
    assert resp.json() == {
        "status": "success",
        "message": "Batch job deleted successfully",
        "job_id": jid,
    }
    for path in (
        f"/jobs/{jid}",
        f"/jobs/{jid}/progress",
        f"/jobs/{jid}/operations",
        f"/jobs/{jid}/export",
    ):
        gone = client.get(path)
        assert gone.status_code == 404, path
        assert gone.json()["detail"][0]["loc"] == ["path", "job_id"]
        assert gone.json()["message"] == f"job {jid} not found"
    assert client.delete(f"/jobs/{jid}").status_code == 404


def test_export_json_and_csv(client, api_engine, noop_job):
    jid = noop_job("=export me", [{"value": 1}, {"fail": True}])
    _wait(api_engine, jid)
    as_json = client.get(f"/jobs/{jid}/export", params={"format": "json"})
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.headers["content-disposition"] == f'attachment; filename="job_{jid}.json"'
    data = as_json.json()
    assert data["job"]["job_id"] == jid
    assert [o["status"] for o in data["job"]["operations"]] == ["completed", "failed"]
    assert len(data["attempts"]) == 2

    as_csv = client.get(f"/jobs/{jid}/export", params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["operation_id"], r["status"]) for r in rows] == [
        ("noop_0", "completed"),
        ("noop_1", "failed"),
    ]
    assert rows[0]["job_name"] == "'=export me"  # formula neutralised
    assert (
        client.get(f"/jobs/{jid}/export").headers["content-type"] == "application/json"
    )  # json by default


def test_statistics_shape_and_values(client, api_engine, noop_job):
    a = noop_job("a", [{}])
    b = noop_job("b", [{"fail": True}])
    for j in (a, b):
        _wait(api_engine, j)
    running = noop_job("c", [{"sleep_ms": 10000}])
    body = client.get("/statistics").json()
    assert body["status"] == "success"
    s = body["statistics"]
    assert s["total_jobs"] == 3
    assert s["status_distribution"]["completed"] == 1
    assert s["status_distribution"]["failed"] == 1
    assert s["type_distribution"] == {"bulk_pipeline_execution": 3}
    assert s["active_jobs"] == 1
    assert [j["job_id"] for j in s["recent_jobs"]] == [running, b, a]
    client.post(f"/jobs/{running}/cancel", json={"force": True})


def test_workspace_listings_show_names_and_types_never_secrets(client, secret):
    projects = client.get("/projects").json()
    assert projects["total"] == 4
    nyc = next(p for p in projects["projects"] if p["project_id"] == "nycflights_migration")
    assert nyc["pipeline_ids"] == [
        "airlines_validation",
        "airports_validation",
        "flights_validation",
    ]
    assert nyc["target"] == "warehouse"

    pipes = client.get("/pipelines", params={"project_id": "project1"}).json()
    assert [p["qualified_id"] for p in pipes["pipelines"]] == ["project1/val1", "project1/val2"]
    assert client.get("/pipelines").json()["total"] == 10
    assert client.get("/projects/my_project/pipelines").json()["total"] == 2
    unknown = client.get("/projects/nope/pipelines")
    assert unknown.status_code == 404
    assert unknown.json()["detail"][0]["loc"] == ["path", "project_id"]

    conns = client.get("/connections")
    assert conns.json()["connections"] == [
        {"name": "warehouse", "type": "duckdb"},
        {"name": "mssql", "type": "sqlserver"},
    ]
    everything = "".join(client.get(p).text for p in ("/connections", "/projects", "/pipelines"))
    assert secret not in everything
    assert "127.0.0.1:1" not in everything and "warehouse.duckdb" not in everything


def test_health_reports_process_and_engine(client, api_engine):
    import os

    from batchcore.api.deps import engine_identity

    body = client.get("/health").json()
    store = body.pop("store")
    assert store["writable"] is True and store["backlog"] == 0
    assert store["disk_free_bytes"] > 0 and store["last_commit_s"] >= 0
    assert body == {
        "status": "ok",
        "reasons": [],
        "pid": os.getpid(),
        "version": "0.1.0",
        "engine_id": engine_identity(api_engine),
        "auth_required": False,
    }


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {
        "/pipelines/bulk-execute",
        "/jobs/{job_id}/cancel",
        "/statistics",
        "/jobs/{job_id}/export",
    } <= set(schema["paths"])


def test_retry_of_an_unknown_operation_suggests_the_close_ids(client, api_engine, noop_job):
    jid = noop_job("x", [{"fail": True}, {}])
    _wait(api_engine, jid)
    resp = client.post(f"/jobs/{jid}/retry", json={"operation_ids": ["nop_0"]})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "operation_ids", 0]
    message = resp.json()["message"]
    assert f"operation 'nop_0' is not part of job {jid}" in message
    assert "did you mean 'noop_0'" in message
