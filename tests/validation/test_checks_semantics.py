"""Check semantics on tiny hand-made tables (DuckDB and SQLite): NULLs, empty tables,
composite keys, thresholds, severities, samples, reserved words — with exact figures."""

from __future__ import annotations

import pytest

from tests.validation.vhelpers import by_name, figures, load_tables, make_ws, run_yaml

DIALECTS = ["duckdb", "sqlite"]


@pytest.fixture(params=DIALECTS)
def ws(request, tmp_path):
    kind = request.param
    path = "db.duckdb" if kind == "duckdb" else "db.sqlite"
    conns = {
        "db": {
            "type": kind,
            "path": path,
            **({"options": {"create": True}} if kind == "sqlite" else {}),
        }
    }
    return make_ws(tmp_path / kind, conns, target="db")


def test_reserved_word_column_user_not_null_fails_one_accepted_values_passes(ws):
    load_tables(ws, "db", {"accounts": ([("user", "text")], [("ann",), (None,)])})
    r = by_name(
        run_yaml(
            ws,
            """
        checks:
          - {type: not_null, table: accounts, column: user}
          - {type: accepted_values, table: accounts, column: user, values: [ann]}
    """,
        )
    )
    assert figures(r["not_null(accounts.user)"]) == ("failed", 2, 1, 1, None)
    assert figures(r["accepted_values(accounts.user)"]) == ("passed", 2, 0, 1, None)
    assert r["not_null(accounts.user)"].sample == {"columns": ["user"], "rows": [[None]]}


def test_unique_counts_rows_in_duplicated_groups_and_keys(ws):
    load_tables(
        ws,
        "db",
        {
            "v": (
                [("x", "text")],
                [("p",), ("p",), ("q",), ("q",), ("q",), ("r",), (None,), (None,)],
            )
        },
    )
    c = run_yaml(ws, "checks: [{type: unique, table: v, column: x}]").checks[0]
    assert figures(c) == ("failed", 8, 5, 6, 2)
    assert c.pass_rate == pytest.approx(1 - 5 / 8)
    assert sorted(c.sample["rows"]) == [["p", 2], ["q", 3]]


def test_composite_keys_are_tuples_and_null_parts_are_ignored(ws):
    load_tables(
        ws,
        "db",
        {
            "pairs": ([("a", "int"), ("b", "int")], [(1, 11), (11, 1)]),
            "addr": (
                [("line1", "text"), ("line2", "text")],
                [("1 Main St", None), ("1 Main St", None), ("2 Side St", "Apt 1")],
            ),
        },
    )
    r = by_name(
        run_yaml(
            ws,
            """
        checks:
          - {type: unique, table: pairs, columns: [a, b]}
          - {type: unique, table: addr, columns: [line1, line2]}
    """,
        )
    )
    assert figures(r["unique(pairs(a, b))"]) == ("passed", 2, 0, 2, 0)
    assert figures(r["unique(addr(line1, line2))"]) == ("passed", 3, 0, 1, 0)


def test_composite_unique_finds_duplicates_in_every_counting_method(ws):
    # integer keys take the bitmap path on DuckDB, text keys count distinct tuples
    rows = [
        (1, 1, "a"),
        (1, 1, "a"),
        (1, 2, "b"),
        (2, 1, "b"),
        (2, 1, "b"),
        (2, 1, "b"),
        (None, 1, "c"),
    ]
    load_tables(ws, "db", {"k": ([("a", "int"), ("b", "int"), ("s", "text")], rows)})
    r = by_name(
        run_yaml(
            ws,
            """
        checks:
          - {type: unique, table: k, columns: [a, b]}
          - {type: unique, table: k, columns: [s, b]}
          - {type: unique, table: k, column: a}
    """,
        )
    )
    assert figures(r["unique(k(a, b))"]) == ("failed", 7, 5, 6, 2)
    assert figures(r["unique(k(s, b))"]) == ("failed", 7, 5, 7, 2)
    assert figures(r["unique(k(a))"]) == ("failed", 7, 6, 6, 2)


def test_between_is_inclusive_and_ignores_nulls(ws):
    load_tables(
        ws, "db", {"w": ([("speed", "float")], [(0.0,), (200.0,), (200.5,), (-0.1,), (None,)])}
    )
    c = run_yaml(ws, "checks: [{type: between, table: w, column: speed, min: 0, max: 200}]").checks[
        0
    ]
    assert figures(c) == ("failed", 5, 2, 4, None)
    assert sorted(r[0] for r in c.sample["rows"]) == [-0.1, 200.5]


def test_relationships_ignores_nulls_and_counts_orphans(ws):
    load_tables(
        ws,
        "db",
        {
            "child": ([("pid", "text")], [("a",), ("b",), ("zz",), ("zz",), (None,)]),
            "parent": ([("id", "text")], [("a",), ("b",), (None,)]),
        },
    )
    c = run_yaml(
        ws, "checks: [{type: relationships, table: child, column: pid, to: parent, field: id}]"
    ).checks[0]
    assert figures(c) == ("failed", 5, 2, 4, None)
    assert c.observed == {"orphan_values": 1}


def test_regex_full_match_case_sensitive(ws):
    load_tables(
        ws,
        "db",
        {
            "planes": (
                [("tailnum", "text")],
                [("N123AB",), ("n123ab",), ("D942DN",), ("N1",), (None,)],
            )
        },
    )
    c = run_yaml(
        ws, "checks: [{type: regex, table: planes, column: tailnum, pattern: 'N[0-9A-Z]{1,5}'}]"
    ).checks[0]
    assert figures(c) == ("failed", 5, 2, 4, None)


def test_threshold_severity_and_where(ws):
    load_tables(
        ws,
        "db",
        {"f": ([("dep", "int"), ("kind", "text")], [(1, "x"), (None, "x"), (None, "y"), (4, "y")])},
    )
    res = run_yaml(
        ws,
        """
        threshold: 0.9
        checks:
          - {type: not_null, table: f, column: dep, threshold: 0.5, name: half_ok}
          - {type: not_null, table: f, column: dep, name: strict}
          - {type: not_null, table: f, column: dep, severity: warn, name: warn_only}
          - {type: not_null, table: f, column: dep, where: "kind = 'x'", name: only_x, threshold: 0.4}
    """,
    )
    r = by_name(res)
    assert (r["half_ok"].status, r["half_ok"].pass_rate, r["half_ok"].threshold) == (
        "passed",
        0.5,
        0.5,
    )
    assert (r["strict"].status, r["strict"].threshold) == ("failed", 0.9)
    assert r["warn_only"].status == "warned" and r["warn_only"].passed is False
    assert figures(r["only_x"]) == ("passed", 2, 1, 1, None)
    assert res.passed is False and res.summary().startswith(
        "2 of 4 checks passed; 1 failed: strict; 1 warned"
    )
    # a job's config_override lowers the pipeline default (explicit check thresholds stay)
    res2 = run_yaml(
        ws,
        "checks: [{type: not_null, table: f, column: dep}]",
        overrides={"threshold": 0.5, "sample_size": 1},
    )
    assert (
        res2.passed and res2.checks[0].threshold == 0.5 and len(res2.checks[0].sample["rows"]) == 1
    )


def test_every_check_on_an_empty_table_gives_pass_rate_one(ws):
    cols = [("id", "int"), ("name", "text"), ("ts", "ts")]
    load_tables(ws, "db", {"e": (cols, []), "e2": (cols, [])})
    res = run_yaml(
        ws,
        """
        checks:
          - {type: not_null, table: e, columns: [id, name]}
          - {type: unique, table: e, columns: [id, name]}
          - {type: unique, table: e, column: id}
          - {type: accepted_values, table: e, column: name, values: [a]}
          - {type: between, table: e, column: id, min: 0, max: 1}
          - {type: regex, table: e, column: name, pattern: 'a+'}
          - {type: relationships, table: e, column: id, to: e2, field: id}
          - {type: row_count, table: e, max: 10}
          - {type: freshness, table: e, column: ts, max_age: 1h}
          - {type: schema, table: e, columns: [id, name]}
          - {type: sql, query: "select * from e where id < 0", table: e}
    """,
    )
    assert len(res.checks) == 12
    for c in res.checks:
        assert (c.check_name, c.status, c.pass_rate) == (c.check_name, "passed", 1.0)
        assert c.error is None and c.sample is None


def test_reserved_words_mixed_case_and_spaces_in_names(ws):
    cols = [("order", "int"), ("values", "text"), ("User Name", "text"), ("camelCase", "int")]
    load_tables(
        ws,
        "db",
        {
            "Order Items": (cols, [(1, "a", "Ann", 1), (1, "b", None, 2), (2, "c", "Bo", None)]),
            "user": ([("order", "int")], [(1,), (2,)]),
        },
    )
    r = by_name(
        run_yaml(
            ws,
            """
        checks:
          - {type: not_null, table: Order Items, columns: [User Name, camelCase, values]}
          - {type: unique, table: Order Items, column: order}
          - {type: accepted_values, table: Order Items, column: values, values: [a, b]}
          - {type: relationships, table: Order Items, column: order, to: user, field: order}
          - {type: between, table: Order Items, column: camelCase, min: 1, max: 1}
    """,
        )
    )
    assert figures(r["not_null(Order Items.User Name)"]) == ("failed", 3, 1, 2, None)
    assert figures(r["not_null(Order Items.camelCase)"]) == ("failed", 3, 1, 2, None)
    assert figures(r["not_null(Order Items.values)"])[:3] == ("passed", 3, 0)
    assert figures(r["unique(Order Items(order))"]) == ("failed", 3, 2, 3, 1)
    assert figures(r["accepted_values(Order Items.values)"])[:3] == ("failed", 3, 1)
    assert figures(r["relationships(Order Items.order -> user.order)"])[:3] == ("passed", 3, 0)
    assert figures(r["between(Order Items.camelCase)"])[:3] == ("failed", 3, 1)


def test_a_crashing_check_is_an_error_result_and_the_rest_still_run(ws):
    load_tables(ws, "db", {"t": ([("a", "int")], [(1,), (None,)])})
    res = run_yaml(
        ws,
        """
        checks:
          - {type: not_null, table: t, column: a}
          - {type: not_null, table: t, column: nope}
          - {type: not_null, table: t, column: a, where: "no_such_column > 1", name: bad_where}
          - {type: sql, name: bad_sql, query: "select * from missing_table"}
          - {type: row_count, table: t, min: 1}
    """,
    )
    r = by_name(res)
    assert figures(r["not_null(t.a)"]) == ("failed", 2, 1, 1, None)
    assert r["not_null(t.nope)"].status == "error"
    assert r["not_null(t.nope)"].error.startswith("column 'nope' not in table 't'")
    assert r["bad_where"].status == "error" and r["bad_sql"].status == "error"
    assert r["row_count(t)"].status == "passed" and r["row_count(t)"].total_rows == 2
    assert res.counts() == {"passed": 1, "failed": 1, "warned": 0, "error": 3}


def test_one_scan_per_table_and_samples_only_for_failures(ws):
    load_tables(
        ws,
        "db",
        {"t": ([("a", "int"), ("b", "text")], [(i, "x" if i % 3 else None) for i in range(30)])},
    )
    res = run_yaml(
        ws,
        """
        sample_size: 4
        checks:
          - {type: not_null, table: t, columns: [a, b]}
          - {type: unique, table: t, column: a}
          - {type: accepted_values, table: t, column: b, values: [x]}
          - {type: row_count, table: t, min: 30, max: 30}
    """,
    )
    r = by_name(res)
    assert {c.details.get("scan") for c in res.checks} == {"one scan of t answered 5 checks"}
    assert figures(r["not_null(t.b)"]) == ("failed", 30, 10, 20, None)
    assert len(r["not_null(t.b)"].sample["rows"]) == 4
    assert [c.sample for c in res.checks if c.status == "passed"] == [None] * 4
    row = r["not_null(t.b)"].to_row()
    from batchcore.store.commands import CHECK_COLUMNS

    assert set(row) == set(CHECK_COLUMNS) - {"job_id", "operation_id", "attempt", "created_at"}


def test_schema_qualified_and_quoted_dotted_table_names(tmp_path):
    from batchcore.connections import open_connection

    ws = make_ws(tmp_path / "ws", {"db": {"type": "duckdb", "path": "db.duckdb"}}, target="db")
    with open_connection(ws.connection("db")) as conn:
        conn.execute("CREATE SCHEMA retail")
        conn.execute('CREATE TABLE retail."Sales" (id BIGINT)')
        conn.execute('CREATE TABLE "v1.2" (id BIGINT)')
        conn.execute('INSERT INTO retail."Sales" VALUES (1), (1), (NULL)')
        conn.execute('INSERT INTO "v1.2" VALUES (NULL)')
    r = by_name(
        run_yaml(
            ws,
            """
        checks:
          - {type: unique, table: retail.Sales, column: id}
          - {type: not_null, table: '"v1.2"', column: id}
          - {type: row_count, table: retail.missing}
          - {type: row_count, table: '"v1.3"'}
    """,
        )
    )
    assert figures(r["unique(retail.Sales(id))"]) == ("failed", 3, 2, 2, 1)
    assert figures(r['not_null("v1.2".id)']) == ("failed", 1, 1, 0, None)
    assert (
        r["row_count(retail.missing)"].error
        == "table 'retail.missing' not found in connection db (duckdb)"
    )
    assert r['row_count("v1.3")'].error == """table '"v1.3"' not found in connection db (duckdb)"""


def test_rule_based_checks_rate_is_one_minus_failed_over_total_in_their_unit(ws):
    load_tables(
        ws,
        "db",
        {
            "big": ([("id", "int"), ("name", "text")], [(i, f"n{i}") for i in range(3322)]),
            "small": ([("id", "int")], [(i,) for i in range(100)]),
        },
    )
    res = run_yaml(
        ws,
        """
        checks:
          - {type: row_count, table: big, max: 3300}
          - {type: row_count, table: small, min: 300}
          - {type: schema, table: big, columns: [id, name, email]}
          - type: schema
            table: big
            name: strict
            columns: [name, {name: id, type: string}]
            strict_order: true
            allow_extra: false
    """,
    )
    r = by_name(res)
    above, below = r["row_count(big)"], r["row_count(small)"]
    assert (above.status, above.failed_rows, above.total_rows) == ("failed", 22, 3322)
    assert above.pass_rate == pytest.approx(1 - 22 / 3322)
    assert (below.failed_rows, below.total_rows) == (200, 100)
    assert below.pass_rate == pytest.approx(1 - 200 / 300)  # of the larger: the min
    schema = r["schema(big)"]
    assert (schema.status, schema.failed_rows, schema.total_rows) == ("failed", 1, 3)
    assert schema.pass_rate == pytest.approx(2 / 3) and schema.unit == "columns"
    # id has the wrong type and sits out of place, name sits out of place: 2 of 2 columns
    strict = r["strict"]
    assert (strict.failed_rows, strict.total_rows, strict.pass_rate) == (2, 2, 0.0)
    assert len(strict.details["problems"]) == 2
    assert res.error_message() == (
        "4 of 4 checks failed: row_count(big): 3,322 rows: 22 above the max 3,300 "
        "(pass rate 0.9934); row_count(small): 100 rows: 200 below the min 300 (pass rate 0.3333); "
        "schema(big): 1 of 3 columns failed (pass rate 0.6667); strict: 2 of 2 columns failed "
        "(pass rate 0.0)"
    )
