"""Pipeline YAML parsing and lint: every problem at once, with file:line, check and field."""

from __future__ import annotations

import json
import textwrap

import pytest

from batchcore.cli import main
from batchcore.errors import ConfigError
from batchcore.ids import ID_RULE
from batchcore.validation import lint_pipeline, load_pipeline
from batchcore.workspace import Workspace
from tests.validation.vhelpers import load_tables, make_ws


@pytest.fixture
def ws(tmp_path):
    w = make_ws(
        tmp_path / "ws",
        {
            "db": {"type": "duckdb", "path": "db.duckdb"},
            "old": {"type": "sqlite", "path": "old.sqlite", "options": {"create": True}},
        },
        target="db",
    )
    load_tables(
        w,
        "db",
        {"flights": ([("dep_time", "int"), ("origin", "text")], [(1, "EWR"), (None, "JFK")])},
    )
    return w


def write(ws, text: str, name: str = "pl"):
    path = ws.root / "projects" / "p" / "pipelines" / f"{name}.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


BAD = """
description: bad one
treshold: 0.9
checks:
  - {type: not_null, table: flights, columns: [dep_time]}
  - type: uniq
    table: flights
  - type: between
    table: flights
    column: dep_time
    minimum: 0
  - {type: accepted_values, table: flights, column: origin, values: []}
  - {type: row_diff, table: flights, key: dep_time}
"""


def test_parse_reports_every_problem_with_line_check_and_field(ws):
    path = write(ws, BAD)
    problems = [str(p) for p in lint_pipeline(path, ws, check_columns=False)]
    f = str(path)
    assert problems == [
        f"{f}:2: treshold: unknown key; a pipeline accepts: description, source, target, threshold, sample_size, checks, name, owner, tags",
        f"{f}:5: check 2 (uniq): type: unknown check type 'uniq'; known types: accepted_values, between, column_aggregates_match, "
        "freshness, metric_anomaly, not_null, regex, relationships, row_count, row_count_match, row_diff, schema, schema_match, sql, unique",
        f"{f}:10: check 3 (between): minimum: unknown key; between accepts: anomaly, column, description, max, min, name, partition_by, severity, table, threshold, type, where",
        f"{f}:11: check 4 (accepted_values): values: List should have at least 1 item after validation, not 0 (got [])",
        f"{f}:12: check 5 (row_diff): source: a comparison check needs a source connection: set 'source' in the pipeline or project.yaml",
    ]
    with pytest.raises(ConfigError) as exc:
        load_pipeline(path, ws)
    assert exc.value.message.startswith(f"5 problem(s) in {path}:\n{problems[0]}")


def test_load_error_lists_ten_problems_and_keeps_them_all(ws):
    checks = ", ".join(f"{{type: not_null, table: t{i}, colums: [a]}}" for i in range(25))
    path = write(ws, f"checks: [{checks}]")
    with pytest.raises(ConfigError) as exc:
        load_pipeline(path, ws)
    lines = exc.value.message.split("\n")
    assert lines[0] == f"25 problem(s) in {path}:"
    assert lines[1].startswith(f"{path}:1: check 1 (not_null): colums: unknown key")
    assert len(lines) == 12 and lines[10].startswith(f"{path}:1: check 10 (not_null): colums:")
    assert lines[11] == f"… and 15 more: `python -m batchcore lint {path}` lists them all"
    assert len(exc.value.extra["problems"]) == 25


def test_lint_reports_missing_columns_and_tables_before_running(ws):
    path = write(
        ws,
        """
        checks:
          - {type: not_null, table: flights, columns: [dep_time, Dep_Time, arr_time]}
          - {type: unique, table: flights_old, column: id}
          - {type: relationships, table: flights, column: origin, to: flights, field: code}
          - {type: sql, name: bad, query: "select * from flights where nope > 1"}
          - {type: not_null, table: flights, column: origin, where: "nope = 1"}
    """,
    )
    f = str(path)
    problems = [str(p) for p in lint_pipeline(path, ws)]
    assert problems[:4] == [
        f"{f}:2: check 1 (not_null): columns.1: column 'Dep_Time' not in table 'flights'; did you mean 'dep_time'? "
        "(names are case-sensitive) (columns: dep_time, origin)",
        f"{f}:2: check 1 (not_null): columns.2: column 'arr_time' not in table 'flights' (columns: dep_time, origin)",
        f"{f}:3: check 2 (unique): table: table 'flights_old' not found in connection db (duckdb)",
        f"{f}:4: check 3 (relationships): field: column 'code' not in table 'flights' (columns: dep_time, origin)",
    ]
    assert problems[4].startswith(
        f"{f}:5: check 4 (sql): query: the database rejects it: Binder Error: "
        'Referenced column "nope" not found'
    )
    assert problems[5].startswith(
        f"{f}:6: check 5 (not_null): where: the database rejects it: Binder Error: "
        'Referenced column "nope" not found'
    )
    assert len(problems) == 6


def test_cli_exit_codes_json_and_dry_run(ws, capsys):
    ok = write(ws, "checks: [{type: not_null, table: flights, column: origin}]", "ok")
    bad = write(ws, "checks: [{type: not_null, table: flights, column: dep_time}]", "bad")
    broken = write(ws, "checks: [{type: nope}]", "broken")
    w = ["--workspace", str(ws.root)]
    assert main(["validate", str(ok), *w]) == 0
    capsys.readouterr()
    assert main(["validate", str(bad), *w, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    c = doc["checks"][0]
    assert (
        c["type"],
        c["table"],
        c["column"],
        c["total_rows"],
        c["failed_rows"],
        c["pass_rate"],
        c["passed"],
    ) == ("not_null", "flights", "dep_time", 2, 1, 0.5, False)
    assert c["unit"] == "rows"
    assert c["details"] == {
        "position": 1,
        "scan": "one scan of flights answered 1 checks",
        "sample_sql": 'SELECT * FROM "flights" WHERE ("dep_time" IS NULL) LIMIT 10',
    }
    assert main(["validate", str(broken), *w]) == 2
    assert "unknown check type 'nope'" in capsys.readouterr().err
    assert main(["validate", "p/ok", *w, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert 'count(*) FILTER (WHERE "origin" IS NULL)' in out and 'FROM "flights"' in out
    assert main(["lint", str(ok), str(broken), *w]) == 1
    assert main(["lint", str(ok), *w]) == 0


def test_lint_reports_a_yaml_syntax_error_once_at_its_line(ws):
    path = write(
        ws,
        """
        target: db
        checks:
          - {type: not_null, table: flights, columns: [origin]
          - {type: unique, table: flights, column: origin}
        """,
        "broken_syntax",
    )
    (problem,) = lint_pipeline(path, ws)
    assert (problem.file, problem.line, problem.field) == (str(path), 4, None)
    assert str(problem) == f"{path}:4: YAML syntax error: expected ',' or '}}', but got '-'"


def test_lint_messages_do_not_cite_the_design_document(ws):
    for name, text, got in (("a_list", "- a\n- b\n", "a list"), ("empty", "", "an empty file")):
        (problem,) = lint_pipeline(write(ws, text, name), ws)
        assert problem.message == f"a pipeline file must be a mapping with 'checks' (got {got})"


def test_lint_reports_a_file_name_the_workspace_skips(ws, capsys):
    text = "target: db\nchecks: [{type: not_null, table: flights, column: origin}]\n"
    bad = write(ws, text, "Bad Name!")
    skipped = Workspace.load(ws.root)
    assert "Bad Name!" not in skipped.projects["p"].pipelines
    assert skipped.problems[0].startswith(f"{bad}: pipeline file name 'Bad Name!.yaml'")
    (problem,) = lint_pipeline(bad, ws)
    assert str(problem) == (
        f"{bad}: pipeline file name 'Bad Name!.yaml' does not give a valid id ({ID_RULE}): "
        "the workspace skips this file"
    )
    other = bad.with_name("flights.txt")
    other.write_text(text)
    assert [p.message for p in lint_pipeline(other, ws)] == [
        "pipeline files end in .yaml or .yml (got 'flights.txt'): the workspace skips this file"
    ]
    assert main(["lint", str(bad), "--workspace", str(ws.root)]) == 1
    assert capsys.readouterr().out == f"{problem}\n"


def test_config_override_rejects_unknown_keys(ws):
    spec = load_pipeline(
        write(ws, "checks: [{type: not_null, table: flights, column: origin}]"), ws
    )
    with pytest.raises(ConfigError, match=r"config_override: unknown key\(s\) \['tresh'\]"):
        spec.with_overrides({"tresh": 1})
    with pytest.raises(ConfigError, match=r"config_override\.threshold"):
        spec.with_overrides({"threshold": 2})
    assert spec.with_overrides({"sample_size": 3}).sample_size == 3
