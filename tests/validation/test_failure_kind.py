"""Could not run ≠ failed (DESIGN §12, docs/checks.md): the verdict of a validation on a real
DuckDB warehouse, and `validate`'s exit code from the same rule (0 passed, 1 checks found bad
data, 2 could not run)."""

from __future__ import annotations

import pytest

from batchcore.cli import main
from batchcore.models import FailureKind
from tests.validation.vhelpers import load_tables, make_ws, run_yaml

NULLS = "  - {type: not_null, name: email_present, table: customers, columns: [email]}\n"
IDS = "  - {type: not_null, name: id_present, table: customers, columns: [id]}\n"
UNKNOWN_TABLE = "  - {type: not_null, name: ghost_ids, table: ghost, columns: [id]}\n"
SQL_ERROR = (
    '  - {type: sql, name: broken_sql, query: "select * from customers where no_such_column > 0"}\n'
)


@pytest.fixture
def ws(tmp_path):
    ws = make_ws(tmp_path / "ws", {"wh": {"type": "duckdb", "path": "wh.duckdb"}}, target="wh")
    load_tables(
        ws,
        "wh",
        {"customers": ([("id", "int"), ("email", "text")], [(1, "a@x"), (2, None), (3, "c@x")])},
    )
    return ws


def _pipeline(*checks: str) -> str:
    return "target: wh\nchecks:\n" + "".join(checks)


def _validate(capsys, ws, name: str, text: str) -> int:
    path = ws.root / "projects" / "p" / "pipelines" / f"{name}.yaml"
    path.write_text(text)
    rc = main(["validate", str(path), "--workspace", str(ws.root)])
    capsys.readouterr()
    return rc


@pytest.mark.parametrize(
    ("checks", "kind", "exit_code"),
    [
        ((IDS,), None, 0),
        ((NULLS, IDS), FailureKind.CHECKS_FAILED, 1),  # a check that finds NULLs: bad data
        ((UNKNOWN_TABLE,), FailureKind.ERROR, 2),  # an unknown table: nothing could be checked
        ((IDS, SQL_ERROR), FailureKind.ERROR, 2),  # one SQL error beside a passing check
        ((NULLS, SQL_ERROR), FailureKind.ERROR, 2),  # error wins over failed: verdict unknown
    ],
    ids=["passes", "finds-nulls", "unknown-table", "sql-error-beside-pass", "error-and-failure"],
)
def test_verdict_and_validate_exit_code(capsys, ws, checks, kind, exit_code):
    text = _pipeline(*checks)
    result = run_yaml(ws, text)
    assert result.failure_kind == kind
    assert result.to_result_dict()["failure_kind"] == (None if kind is None else kind.value)
    assert _validate(capsys, ws, "v", text) == exit_code


def test_the_statuses_behind_the_verdict(ws):
    result = run_yaml(ws, _pipeline(NULLS, IDS, SQL_ERROR))
    statuses = {c.check_name: c.status for c in result.checks}
    assert statuses == {"email_present": "failed", "id_present": "passed", "broken_sql": "error"}
    email = next(c for c in result.checks if c.check_name == "email_present")
    assert (email.failed_rows, email.total_rows) == (1, 3)


def test_a_warn_check_that_could_not_run_decides_nothing(capsys, ws):
    warn_error = UNKNOWN_TABLE.replace("columns: [id]}", "columns: [id], severity: warn}")
    passing = run_yaml(ws, _pipeline(IDS, warn_error))
    assert [c.status for c in passing.checks] == ["passed", "error"]
    assert passing.failure_kind is None and passing.passed
    assert _validate(capsys, ws, "w", _pipeline(IDS, warn_error)) == 0
    failing = run_yaml(ws, _pipeline(NULLS, warn_error))
    assert failing.failure_kind == FailureKind.CHECKS_FAILED
    assert _validate(capsys, ws, "w", _pipeline(NULLS, warn_error)) == 1


def test_validate_says_could_not_run_in_its_last_line(capsys, ws):
    path = ws.root / "projects" / "p" / "pipelines" / "u.yaml"
    path.write_text(_pipeline(UNKNOWN_TABLE))
    assert main(["validate", str(path), "--workspace", str(ws.root)]) == 2
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("COULD NOT RUN: 0 of 1 checks passed; 1 could not run: ghost_ids")
