"""Workspace YAML cannot exhaust the server: alias bombs, cycles, deep nesting and huge files are
refused with a clear error, in bounded memory, by every reader (lint, load, workspace, API)."""

from __future__ import annotations

import tracemalloc

import pytest

from batchcore.errors import ConfigError, WorkspaceError
from batchcore.validation import lint_pipeline, load_pipeline
from batchcore.workspace import Workspace
from batchcore.yamlfile import MAX_ALIAS_NODES, MAX_YAML_BYTES, parse_yaml
from tests.validation.vhelpers import make_ws

# the classic "billion laughs": 9 levels of 9 aliases each → 9^9 ≈ 387 million strings, < 400 bytes
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
# its node count: root + 9 keys + the 9 lists, list k holding 9 copies of list k-1
_SIZES = [10]
for _ in range(8):
    _SIZES.append(1 + 9 * _SIZES[-1])
BOMB_NODES, BOMB_WRITTEN = 1 + 9 + sum(_SIZES), 1 + 9 + 9 + 9
BOMB_MESSAGE = (
    f"aliases (*name) expand this document to {BOMB_NODES:,} nodes from {BOMB_WRITTEN} written; "
    f"at most {MAX_ALIAS_NODES:,} nodes may come from aliases"
)
MEMORY_BOUND = 20_000_000  # bytes of Python allocations a refused file may cost (peak)


def _peak(fn) -> tuple[object, int]:
    """(what fn returned or raised, peak bytes allocated while it ran)."""
    tracemalloc.start()
    try:
        try:
            got = fn()
        except Exception as exc:
            got = exc
        return got, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_billion_laughs_is_refused_in_bounded_memory(tmp_path):
    assert len(BOMB) < 1024
    got, peak = _peak(lambda: parse_yaml(BOMB, tmp_path / "bomb.yaml"))
    assert isinstance(got, ConfigError)
    assert BOMB_NODES > 400_000_000
    assert got.message == f"{tmp_path / 'bomb.yaml'}: {BOMB_MESSAGE}"
    assert peak < MEMORY_BOUND


def test_a_pipeline_bomb_is_one_problem_for_lint_load_and_the_api(tmp_path, make_engine):
    ws = make_ws(tmp_path / "ws", {"db": {"type": "duckdb", "path": "db.duckdb"}}, target="db")
    path = ws.root / "projects" / "p" / "pipelines" / "bomb.yaml"
    path.write_text(BOMB)
    problems, peak = _peak(lambda: lint_pipeline(path, ws))
    assert peak < MEMORY_BOUND
    assert [p.message for p in problems] == [BOMB_MESSAGE]
    got, peak = _peak(lambda: load_pipeline(path, ws))
    assert isinstance(got, ConfigError) and "aliases (*name) expand" in got.message
    assert peak < MEMORY_BOUND
    # as a job: the operation fails with the message (a config error: not retried)
    eng = make_engine(workspace=ws.root)
    job = eng.submit(
        "bulk_pipeline_execution",
        {"job_name": "bomb", "pipelines": [{"pipeline_id": "bomb"}], "max_retries": 2},
    )
    eng.wait(job.job_id, timeout=30)
    (op,) = eng.operations(job.job_id)
    assert op.status == "failed" and op.attempts == 1
    assert "aliases (*name) expand this document" in op.error


def test_connections_yaml_bomb_stops_the_workspace_with_one_message(tmp_path):
    (tmp_path / "connections.yaml").write_text(BOMB.replace("a: &a", "connections: &a", 1))
    with pytest.raises(WorkspaceError, match=r"aliases \(\*name\) expand"):
        Workspace.load(tmp_path)


def test_aliases_within_the_bound_still_work(tmp_path):
    text = """
    common: &cols [year, month, day]
    checks:
      - {type: not_null, table: flights, columns: *cols}
      - {type: unique, table: flights, columns: *cols}
    base: &base {table: flights, severity: warn}
    more:
      - {<<: *base, type: row_count}
    """
    doc = parse_yaml(text.replace("\n    ", "\n"), tmp_path / "ok.yaml")
    assert doc.data["checks"][1]["columns"] == ["year", "month", "day"]
    assert doc.data["more"] == [{"table": "flights", "severity": "warn", "type": "row_count"}]


def test_recursive_alias_and_deep_nesting_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"rec\.yaml:1: an alias is used inside its own anchor"):
        parse_yaml("a: &a [1, *a]", tmp_path / "rec.yaml")
    for depth in (300, 50_000):
        with pytest.raises(ConfigError, match="nest deeper than 200 levels"):
            parse_yaml("x: " + "[" * depth + "]" * depth, tmp_path / "deep.yaml")


def test_files_over_the_size_limit_are_refused_before_reading(tmp_path):
    ws = make_ws(tmp_path / "ws", {"db": {"type": "duckdb", "path": "db.duckdb"}}, target="db")
    path = ws.root / "projects" / "p" / "pipelines" / "huge.yaml"
    filler = "# " + "x" * 98 + "\n"
    path.write_text("checks: []\n" + filler * (MAX_YAML_BYTES // len(filler) + 1))
    size = path.stat().st_size
    problems = lint_pipeline(path, ws)
    assert [p.message for p in problems] == [
        f"the file is {size:,} bytes; workspace YAML files are limited to {MAX_YAML_BYTES:,} bytes"
    ]
    with pytest.raises(ConfigError, match="limited to 1,000,000 bytes"):
        parse_yaml("a: " + "é" * (MAX_YAML_BYTES // 2), "multibyte.yaml")
