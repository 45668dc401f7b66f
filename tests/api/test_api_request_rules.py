"""Request rules checked at submit: connections named in a config override must exist, repeats
are dropped (tags) or refused (projects, pipeline ids), a metadata item names one source."""

from __future__ import annotations

import pytest

from batchcore.engine import Engine

BE, MV, BX = "/pipelines/bulk-execute", "/projects/multi-validate", "/metadata/bulk-extract"
KNOWN = "(known: ['mssql', 'warehouse'])"


def refused(client, path: str, body: dict) -> tuple[str, list]:
    """POST a body that must be a 422 creating no job; its message and its locs."""
    before = client.get("/jobs").json()["total"]
    resp = client.post(path, json=body)
    assert resp.status_code == 422, resp.text
    assert client.get("/jobs").json()["total"] == before
    answer = resp.json()
    return answer["message"], [d["loc"] for d in answer["detail"]]


@pytest.mark.parametrize("key", ["target", "source"])
def test_unknown_connection_in_a_pipeline_override_is_a_422(client, key):
    body = {
        "job_name": "override",
        "pipelines": [
            {"pipeline_id": "pipeline1", "project_id": "my_project"},
            {
                "pipeline_id": "pipeline2",
                "project_id": "my_project",
                "config_override": {key: "ghost"},
            },
        ],
    }
    message, locs = refused(client, BE, body)
    assert (
        message
        == f"pipelines.1.config_override.{key}: connection 'ghost' is not in the workspace {KNOWN}"
    )
    assert locs == [["body", "pipelines", 1, "config_override", key]]


def test_unknown_connection_in_a_project_override_is_a_422(client):
    body = {
        "job_name": "override",
        "projects": [
            {"project_id": "project1", "config_override": {"target": "warehouse", "source": "nope"}}
        ],
    }
    message, locs = refused(client, MV, body)
    assert (
        message
        == f"projects.0.config_override.source: connection 'nope' is not in the workspace {KNOWN}"
    )
    assert locs == [["body", "projects", 0, "config_override", "source"]]


def test_known_connections_in_an_override_are_stored(client, api_engine: Engine):
    body = {
        "job_name": "override",
        "pipelines": [
            {
                "pipeline_id": "pipeline1",
                "project_id": "my_project",
                "config_override": {"target": "warehouse", "source": "warehouse", "threshold": 0.5},
            }
        ],
    }
    resp = client.post(BE, json=body)
    assert resp.status_code == 200, resp.text
    ops = client.get(f"/jobs/{resp.json()['job_id']}/operations").json()["operations"]
    assert ops[0]["metadata"]["config_override"] == {
        "threshold": 0.5,
        "source": "warehouse",
        "target": "warehouse",
    }


def test_repeated_tags_are_stored_once_in_first_order(client):
    body = {
        "job_name": "tags",
        "tags": ["ütf", "b", "ütf", " b ", "a"],
        "pipelines": [{"pipeline_id": "pipeline1", "project_id": "my_project"}],
    }
    resp = client.post(BE, json=body)
    assert resp.status_code == 200, resp.text
    job = client.get(f"/jobs/{resp.json()['job_id']}").json()["job"]
    assert job["tags"] == ["ütf", "b", "a"]
    listed = client.get("/jobs", params={"tag": "ütf"}).json()
    assert [j["tags"] for j in listed["jobs"]] == [["ütf", "b", "a"]]


def test_a_project_listed_twice_is_a_422(client):
    body = {
        "job_name": "twice",
        "projects": [
            {"project_id": "project1", "pipeline_ids": ["val1"]},
            {"project_id": "my_project"},
            {"project_id": "project1", "pipeline_ids": ["val2"]},
        ],
    }
    message, locs = refused(client, MV, body)
    assert message == (
        "projects.2.project_id: project 'project1' is listed twice (projects.0 and "
        "projects.2): list it once, with every pipeline_id to run"
    )
    assert locs == [["body", "projects", 2, "project_id"]]


def test_a_pipeline_listed_twice_in_a_project_is_a_422(client):
    body = {
        "job_name": "twice",
        "projects": [{"project_id": "project1", "pipeline_ids": ["val1", "val2", "val1"]}],
    }
    message, locs = refused(client, MV, body)
    assert message == (
        "projects.0.pipeline_ids.2: pipeline 'val1' is listed twice in project "
        "'project1' (pipeline_ids.0 and pipeline_ids.2)"
    )
    assert locs == [["body", "projects", 0, "pipeline_ids", 2]]


def test_each_project_once_runs_each_pipeline_once(client):
    body = {
        "job_name": "once",
        "projects": [{"project_id": "project1"}, {"project_id": "my_project"}],
    }
    resp = client.post(MV, json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["total_operations"] == 4
    ops = client.get(f"/jobs/{resp.json()['job_id']}/operations").json()["operations"]
    assert [o["operation_id"] for o in ops] == [
        "project_0_project1_val1",
        "project_1_project1_val2",
        "project_2_my_project_pipeline1",
        "project_3_my_project_pipeline2",
    ]


def test_metadata_item_with_name_and_type_is_a_422(client):
    body = {
        "job_name": "both",
        "items": [
            {"connection_name": "warehouse"},
            {"connection_name": "warehouse", "connection_type": "duckdb"},
        ],
    }
    message, locs = refused(client, BX, body)
    assert message == (
        "items.1: give connection_name or connection_type, not both "
        "(a name already has its type) "
        "(got {'connection_name': 'warehouse', 'connection_type': 'duckdb'})"
    )
    assert locs == [["body", "items", 1]]


def test_a_pipeline_listed_twice_in_bulk_execute_is_a_422_like_multi_validate(client):
    body = {
        "job_name": "twice",
        "project_id": "project1",
        "pipelines": [{"pipeline_id": "val1"}, {"pipeline_id": "val2"}, {"pipeline_id": "val1"}],
    }
    message, locs = refused(client, BE, body)
    assert message == (
        "pipelines.2.pipeline_id: pipeline 'val1' of project 'project1' is listed twice "
        "(pipelines.0 and pipelines.2): list each pipeline once"
    )
    assert locs == [["body", "pipelines", 2, "pipeline_id"]]
    # the same pipeline named once bare and once with its project is still the same pipeline
    body["pipelines"] = [{"pipeline_id": "val1"}, {"pipeline_id": "val1", "project_id": "project1"}]
    body.pop("project_id")
    message, _ = refused(client, BE, body)
    assert "is listed twice (pipelines.0 and pipelines.1)" in message


def test_an_unknown_pipeline_id_suggests_the_close_names(client):
    body = {"job_name": "typo", "project_id": "project1", "pipelines": [{"pipeline_id": "val"}]}
    message, locs = refused(client, BE, body)
    assert "pipeline 'val' not found in project 'project1' — did you mean 'val1' or 'val2'?" in (
        message
    )
    assert locs == [["body", "pipelines", 0, "pipeline_id"]]
    body = {"job_name": "typo", "projects": [{"project_id": "project1", "pipeline_ids": ["vall"]}]}
    message, _ = refused(client, MV, body)
    assert "did you mean 'val1'" in message
    body = {"job_name": "typo", "projects": [{"project_id": "project"}]}
    message, _ = refused(client, MV, body)
    assert "project 'project' not found" in message
