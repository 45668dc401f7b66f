"""Optional bearer-token auth: with a token every endpoint but /health answers 401 without it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from batchcore.api import create_api

TOKEN = "t0ken-for-tests"
PROTECTED = [
    ("GET", "/jobs"),
    ("GET", "/jobs/x"),
    ("GET", "/jobs/x/progress"),
    ("GET", "/jobs/x/operations"),
    ("GET", "/jobs/x/export"),
    ("POST", "/jobs/x/cancel"),
    ("POST", "/jobs/x/retry"),
    ("DELETE", "/jobs/x"),
    ("GET", "/statistics"),
    ("GET", "/projects"),
    ("GET", "/pipelines"),
    ("GET", "/connections"),
    ("GET", "/projects/my_project/pipelines"),
    ("POST", "/pipelines/bulk-execute"),
    ("POST", "/data/bulk-generate"),
    ("POST", "/projects/multi-validate"),
    ("POST", "/metadata/bulk-extract"),
]


@pytest.fixture(scope="module")
def secured(shared_engine):
    with TestClient(create_api(engine=shared_engine, token=TOKEN)) as c:
        yield c


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_every_endpoint_but_health_needs_the_token(secured, method, path):
    missing = secured.request(method, path)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"] == "Unauthorized"
    assert "requires a bearer token" in missing.json()["message"]
    wrong = secured.request(method, path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "token is wrong" in wrong.json()["message"]
    basic = secured.request(method, path, headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401


def test_health_answers_without_token_and_says_auth_is_on(secured):
    resp = secured.get("/health")
    assert resp.status_code == 200
    assert resp.json()["auth_required"] is True


def test_right_token_creates_and_reads(secured):
    """(The only test of this module that creates a job on the shared engine.)"""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    created = secured.post(
        "/pipelines/bulk-execute",
        headers=auth,
        json={"job_name": "with token", "pipelines": [{"pipeline_id": "test_pipeline"}]},
    )
    assert created.status_code == 200, created.text
    listed = secured.get("/jobs", headers=auth).json()
    assert [j["job_id"] for j in listed["jobs"]] == [created.json()["job_id"]]


def test_token_is_read_from_the_environment(api_engine, monkeypatch):
    monkeypatch.setenv("BATCH_API_TOKEN", "from-env")
    with TestClient(create_api(engine=api_engine)) as c:
        assert c.get("/jobs").status_code == 401
        assert c.get("/jobs", headers={"Authorization": "Bearer from-env"}).status_code == 200
    monkeypatch.delenv("BATCH_API_TOKEN")
    with TestClient(create_api(engine=api_engine)) as c:
        assert c.get("/jobs").status_code == 200


def test_openapi_declares_the_bearer_scheme_only_when_enabled(secured, shared_client):
    assert (
        secured.get("/openapi.json").json()["components"]["securitySchemes"]["HTTPBearer"]["scheme"]
        == "bearer"
    )
    assert "securitySchemes" not in shared_client.get("/openapi.json").json().get("components", {})
