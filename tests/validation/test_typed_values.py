"""Values written in a check are compared in the column's type, the same in every dialect:
MariaDB used to compare an INT column with 'A' as with 0 and accept every 0."""

from __future__ import annotations

import pytest

from batchcore.validation import lint_pipeline
from tests.validation.test_sql_containment import write
from tests.validation.vhelpers import by_name, load_tables, make_ws, run_yaml

KINDS = ["duckdb", "sqlite", "postgres", "mysql"]
MARKS = {"postgres": [pytest.mark.postgres], "mysql": [pytest.mark.mysql]}


def _ws(kind, request, tmp_path):
    if kind == "duckdb":
        spec = {"type": "duckdb", "path": "db.duckdb"}
    elif kind == "sqlite":
        spec = {"type": "sqlite", "path": "db.sqlite", "options": {"create": True}}
    elif kind == "postgres":
        spec = {
            "type": "postgres",
            "url": request.getfixturevalue("pg_url"),
            "options": {"schema": request.getfixturevalue("pg_schema")},
        }
    else:
        spec = {"type": "mysql", "url": request.getfixturevalue("mysql_database")}
    ws = make_ws(tmp_path / "ws", {"db": spec}, target="db")
    # status codes 0..3 (0 = 2 rows), and codes as text ("01" is not "1")
    rows = [(0, "0"), (0, "01"), (1, "1"), (2, "2"), (3, "3"), (None, None)]
    load_tables(ws, "db", {"t": ([("code", "int"), ("label", "text")], rows)})
    return ws


@pytest.mark.parametrize("kind", [pytest.param(k, marks=MARKS.get(k, [])) for k in KINDS])
def test_accepted_values_and_between_read_values_in_the_column_type(kind, request, tmp_path):
    ws = _ws(kind, request, tmp_path)
    r = by_name(
        run_yaml(
            ws,
            """
            checks:
              - {name: int_as_text, type: accepted_values, table: t, column: code, values: ['1', '2', '3']}
              - {name: text_as_int, type: accepted_values, table: t, column: label, values: [0, 1, 2]}
              - {name: int_vs_letters, type: accepted_values, table: t, column: code, values: [A, B]}
              - {name: between_text_bounds, type: between, table: t, column: code, min: '1', max: '2'}
              - {name: between_number_on_text, type: between, table: t, column: label, min: 1}
            """,
        )
    )
    # '1','2','3' on an INT column are the numbers: the two 0 rows fail
    assert (r["int_as_text"].status, r["int_as_text"].failed_rows) == ("failed", 2)
    # 0,1,2 on a text column are '0','1','2': '01' and '3' fail (not 0 and 3 as numbers)
    assert (r["text_as_int"].status, r["text_as_int"].failed_rows) == ("failed", 2)
    assert r["text_as_int"].sample["rows"] and {
        row[1] for row in r["text_as_int"].sample["rows"]
    } == {"01", "3"}
    # letters on an INT column: refused everywhere (MariaDB would have accepted the 0 rows)
    assert r["int_vs_letters"].status == "error"
    assert (
        r["int_vs_letters"].error.startswith("values.0 'A' is text, but column 'code' (")
        and "holds numbers: write numbers" in r["int_vs_letters"].error
    )
    assert (r["between_text_bounds"].status, r["between_text_bounds"].failed_rows) == ("failed", 3)
    assert r["between_number_on_text"].status == "error"
    assert "min 1 is a number, but column 'label'" in r["between_number_on_text"].error


def test_lint_reports_a_value_of_the_wrong_type_at_its_field(tmp_path, request):
    ws = _ws("duckdb", request, tmp_path)
    path = write(
        ws,
        """
        checks:
          - type: accepted_values
            table: t
            column: code
            values: [1, 'two']
        """,
    )
    (problem,) = lint_pipeline(path, ws)
    assert (problem.line, problem.field) == (5, "values.1")
    assert problem.message.startswith(
        "values.1 'two' is text, but column 'code' (BIGINT) holds numbers"
    )
