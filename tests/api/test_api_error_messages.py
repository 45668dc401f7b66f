"""Validation messages name the field and the value, never pydantic's union members
(`threshold.float: …; threshold.int: …`), and the OpenAPI schema states the limits the models
enforce."""

from __future__ import annotations

import warnings
from typing import Annotated, Literal

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

from batchcore.api.errors import install_error_handlers

BE = "/pipelines/bulk-execute"


def with_override(override: dict) -> dict:
    return {
        "job_name": "t",
        "project_id": "my_project",
        "pipelines": [{"pipeline_id": "pipeline1", "config_override": override}],
    }


@pytest.mark.parametrize(
    ("threshold", "got"),
    [
        ("0.5", "'0.5' (a string)"),
        (True, "True (true/false)"),
        ([0.5], "[0.5] (a list)"),
        (2, "2"),
        (-0.1, "-0.1"),
    ],
)
def test_threshold_errors_name_the_field_and_the_value(shared_client, threshold, got):
    resp = shared_client.post(BE, json=with_override({"threshold": threshold}))
    assert resp.status_code == 422
    body = resp.json()
    message = f"pipelines.0.config_override.threshold: must be a number between 0 and 1, got {got}"
    assert body["message"] == message
    assert body["detail"] == [
        {
            "loc": ["body", "pipelines", 0, "config_override", "threshold"],
            "msg": f"must be a number between 0 and 1, got {got}",
            "type": "number_range",
        }
    ]


def test_integer_threshold_and_timeout_are_numbers(shared_client):
    body = {**with_override({"threshold": 1}), "timeout_s": 5}
    resp = shared_client.post(BE, json=body)
    assert resp.status_code == 200, resp.text
    job = shared_client.get(f"/jobs/{resp.json()['job_id']}").json()["job"]
    assert job["timeout_s"] == 5.0
    assert job["operations"][0]["metadata"]["config_override"] == {"threshold": 1.0}


def test_timeout_as_a_string_is_one_problem(shared_client):
    resp = shared_client.post(BE, json={**with_override({}), "timeout_s": "5"})
    assert resp.status_code == 422
    assert resp.json()["message"] == "timeout_s: Input should be a valid number (got '5')"
    assert [d["loc"] for d in resp.json()["detail"]] == [["body", "timeout_s"]]


def test_schema_states_name_and_threshold_limits(shared_client):
    schema = shared_client.get("/openapi.json").json()["components"]["schemas"]
    job_name = schema["BulkPipelineRequest"]["properties"]["job_name"]
    assert (job_name["type"], job_name["minLength"], job_name["maxLength"]) == ("string", 1, 200)
    tag = schema["BulkPipelineRequest"]["properties"]["tags"]["items"]
    assert (tag["minLength"], tag["maxLength"]) == (1, 50)
    threshold = schema["ConfigOverride"]["properties"]["threshold"]["anyOf"][0]
    assert threshold == {"type": "number", "minimum": 0, "maximum": 1}
    timeout = schema["BulkPipelineRequest"]["properties"]["timeout_s"]["anyOf"][0]
    assert timeout == {"type": "number", "exclusiveMinimum": 0, "maximum": 86400}


def test_empty_job_name_breaks_the_stated_min_length(shared_client):
    resp = shared_client.post(BE, json={**with_override({}), "job_name": ""})
    assert resp.status_code == 422
    assert resp.json()["message"] == "job_name: String should have at least 1 character (got '')"


# ---------------------------------------------------------------- any union, in any request


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: Annotated[StrictInt, Field(ge=1)]


class UnionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: StrictFloat | StrictInt | None = None
    pick: StrictInt | list[StrictInt] | None = None
    obj: Inner | StrictStr | None = None
    mode: Literal["a", "b"] | StrictInt | None = None


@pytest.fixture(scope="module")
def union_client():
    api = FastAPI()
    install_error_handlers(api)

    @api.post("/u")
    def accept(body: UnionBody) -> dict:
        return {}

    with TestClient(api) as client:
        yield client


@pytest.mark.parametrize(
    ("body", "message", "locs"),
    [
        ({"limit": "0.5"}, "limit: must be a number, got '0.5' (a string)", [["body", "limit"]]),
        (
            {"pick": "5"},
            "pick: must be an integer or a list, got '5' (a string)",
            [["body", "pick"]],
        ),
        # the value is a list: the list member's own problem, at its item, without the tag
        (
            {"pick": [1, "x"]},
            "pick.1: Input should be a valid integer (got 'x')",
            [["body", "pick", 1]],
        ),
        (
            {"obj": {"n": 0}},
            "obj.n: Input should be greater than or equal to 1 (got 0)",
            [["body", "obj", "n"]],
        ),
        ({"obj": 5}, "obj: must be an object or a string, got 5 (a number)", [["body", "obj"]]),
        (
            {"mode": "c"},
            "mode: must be 'a' or 'b' or an integer, got 'c' (a string)",
            [["body", "mode"]],
        ),
        (
            {"limit": "1", "pick": True, "extra": 1},
            "limit: must be a number, got '1' (a string); pick: must be an integer or a list, got "
            "True (true/false); extra: unknown field (not part of this request; see /batch/docs)",
            [["body", "limit"], ["body", "pick"], ["body", "extra"]],
        ),
    ],
)
def test_union_errors_are_one_problem_of_the_field(union_client, body, message, locs):
    resp = union_client.post("/u", json=body)
    assert resp.status_code == 422
    assert resp.json()["message"] == message
    assert [d["loc"] for d in resp.json()["detail"]] == locs
