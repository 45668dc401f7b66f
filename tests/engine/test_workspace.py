"""Workspace loading: what is fatal (no folder, bad connections.yaml) and what only skips a
project or a pipeline file (listed in `problems`)."""

from __future__ import annotations

import pytest

from batchcore.errors import WorkspaceError
from batchcore.workspace import Workspace


def _ws(tmp_path, connections="connections:\n  wh: {type: duckdb, path: data/wh.duckdb}\n"):
    (tmp_path / "connections.yaml").write_text(connections)
    for project, files in {
        "good": ["a.yaml", "b.yaml"],
        "odd": ["ünï cødé.yaml", "ok.yaml"],
    }.items():
        d = tmp_path / "projects" / project / "pipelines"
        d.mkdir(parents=True)
        for f in files:
            (d / f).write_text("target: wh\nchecks: []\n")
    return tmp_path


def test_a_bad_pipeline_file_name_skips_only_that_file(tmp_path):
    ws = Workspace.load(_ws(tmp_path))
    assert sorted(ws.projects) == ["good", "odd"]
    assert sorted(ws.projects["odd"].pipelines) == ["ok"]
    assert len(ws.problems) == 1
    assert "pipeline file name 'ünï cødé.yaml' does not give a valid id" in ws.problems[0]
    assert ws.problems[0].endswith("skipped")
    assert ws.resolve_pipeline("a").project_id == "good"


def test_a_bad_project_yaml_or_folder_name_skips_that_project(tmp_path):
    root = _ws(tmp_path)
    (root / "projects" / "good" / "project.yaml").write_text("target: nowhere\n")
    (root / "projects" / "bad name").mkdir()
    ws = Workspace.load(root)
    assert sorted(ws.projects) == ["odd"]
    assert any(
        "target: connection 'nowhere' is not in connections.yaml" in p
        and "project good skipped" in p
        for p in ws.problems
    )
    assert any("project folder name 'bad name' is not a valid id" in p for p in ws.problems)


def test_a_missing_folder_or_bad_connections_file_is_a_server_error(tmp_path):
    with pytest.raises(WorkspaceError, match="workspace folder not found") as missing:
        Workspace.load(tmp_path / "nope")
    assert missing.value.http_status == 503
    root = _ws(tmp_path, connections="connections:\n  wh: {type: oracle, path: x}\n")
    with pytest.raises(WorkspaceError, match="type 'oracle' is not one of"):
        Workspace.load(root)
