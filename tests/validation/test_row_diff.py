"""Source-vs-target comparison between SQLite and DuckDB: NULLs, '', tolerance, dates,
multiplicity, composite keys, segmented mode, aggregates and schemas."""

from __future__ import annotations

import datetime as dt

import pytest

from batchcore.connections import open_connection
from tests.validation.vhelpers import by_name, load_tables, make_ws, run_yaml


@pytest.fixture
def ws(tmp_path):
    return make_ws(
        tmp_path / "ws",
        {
            "src": {"type": "sqlite", "path": "src.sqlite", "options": {"create": True}},
            "tgt": {"type": "duckdb", "path": "tgt.duckdb"},
        },
        source="src",
        target="tgt",
    )


def both(ws, name, cols, src_rows, tgt_rows=None, tgt_cols=None):
    load_tables(ws, "src", {name: (cols, src_rows)})
    load_tables(ws, "tgt", {name: (tgt_cols or cols, src_rows if tgt_rows is None else tgt_rows)})


def diff(ws, text):
    return run_yaml(ws, f"checks:\n  - {text}").checks[0]


def test_composite_key_tuples_never_collide(ws):
    both(ws, "p", [("a", "int"), ("b", "int"), ("v", "text")], [(1, 11, "x"), (11, 1, "y")])
    c = diff(ws, "{type: row_diff, table: p, key: [a, b]}")
    assert (c.status, c.failed_rows, c.total_rows) == ("passed", 0, 2)


def test_null_equals_null_and_null_differs_from_empty_string(ws):
    both(
        ws,
        "n",
        [("k", "int"), ("v", "text")],
        [(1, None), (2, ""), (3, "a")],
        [(1, None), (2, None), (3, "a")],
    )
    c = diff(ws, "{type: row_diff, table: n, key: k}")
    assert (c.status, c.failed_rows) == ("failed", 1)
    assert c.observed["changed"] == 1 and c.observed["column_differences"] == {"v": 1}
    assert c.sample["rows"] == [["changed", [2], {"v": {"source": "", "target": None}}]]


def test_float_tolerance(ws):
    both(
        ws,
        "f",
        [("k", "int"), ("x", "float")],
        [(1, 1.0001), (2, -0.0), (3, 0.36640625)],
        [(1, 1.0), (2, 0.0), (3, 0.36640625)],
    )
    strict = diff(ws, "{type: row_diff, table: f, key: k}")
    assert (strict.failed_rows, strict.observed["column_differences"]) == (1, {"x": 1})
    loose = diff(ws, "{type: row_diff, table: f, key: k, tolerance: 0.001}")
    assert (loose.status, loose.failed_rows) == ("passed", 0)


def test_date_equals_midnight_timestamp_in_the_other_database(ws):
    both(
        ws,
        "d",
        [("k", "int"), ("day", "date")],
        [(1, dt.date(2024, 3, 28)), (2, dt.date(2024, 3, 29))],
        [(1, dt.datetime(2024, 3, 28)), (2, dt.datetime(2024, 3, 29, 12))],
        tgt_cols=[("k", "int"), ("day", "ts")],
    )
    c = diff(ws, "{type: row_diff, table: d, key: k}")
    assert (c.failed_rows, c.observed["changed"]) == (1, 1)
    assert c.sample["rows"][0][1] == [2]


def test_duplicates_count_with_their_multiplicity(ws):
    both(ws, "m", [("c", "text"), ("n", "int")], [("x", 6)], [("x", 6), ("x", 6)])
    for key in ("[c, n]", "c"):
        c = diff(ws, f"{{type: row_diff, table: m, key: {key}}}")
        assert (
            c.observed["missing_in_target"],
            c.observed["extra_in_target"],
            c.observed["changed"],
        ) == (0, 1, 0)
        assert c.failed_rows == 1


def test_missing_extra_changed_and_segmented_mode_agree(ws):
    src = [(i, f"name {i}", i * 1.5) for i in range(2000)]
    tgt = [r for r in src if r[0] not in (5, 6)] + [(5000, "new", 0.0)]
    tgt = [(k, "renamed" if k == 100 else n, x + (1 if k == 200 else 0)) for k, n, x in tgt]
    both(ws, "big", [("id", "int"), ("name", "text"), ("x", "float")], src, tgt)
    full = diff(ws, "{type: row_diff, table: big, key: id}")
    seg = diff(ws, "{type: row_diff, table: big, key: id, max_pull_rows: 100, segment_rows: 100}")
    expected = {
        "source_rows": 2000,
        "target_rows": 1999,
        "missing_in_target": 2,
        "extra_in_target": 1,
        "changed": 2,
        "column_differences": {"name": 1, "x": 1},
        "null_key_rows": {"source": 0, "target": 0},
    }
    assert full.observed == expected and seg.observed == expected
    assert full.details["mode"] == "full"
    assert seg.details["mode"] == "segmented" and seg.details["segments"] == 20
    assert seg.details["segments_differing"] in range(1, 6)  # 5 changed rows in 1..5 segments
    assert seg.failed_rows == full.failed_rows == 5


def test_row_count_match_with_where_on_both_sides_and_tolerances(ws):
    both(ws, "r", [("k", "int")], [(i,) for i in range(100)], [(i,) for i in range(97)])
    r = by_name(
        run_yaml(
            ws,
            """
        checks:
          - {type: row_count_match, table: r}
          - {type: row_count_match, table: r, tolerance: 3, name: abs3}
          - {type: row_count_match, table: r, tolerance_percent: 2, name: pct2}
          - {type: row_count_match, table: r, where: "k < 50", name: filtered}
    """,
        )
    )
    assert (r["row_count_match(r)"].status, r["row_count_match(r)"].failed_rows) == ("failed", 3)
    assert r["abs3"].status == "passed" and r["pct2"].status == "failed"
    assert r["filtered"].status == "passed" and r["filtered"].observed["source_rows"] == 50


def test_column_aggregates_and_schema_match_across_dialects(ws):
    cols = [("id", "int"), ("name", "text"), ("amount", "dec"), ("at", "ts")]
    rows = [
        (1, "b", 1.5, dt.datetime(2024, 1, 1, 10)),
        (2, "B", None, dt.datetime(2024, 1, 2)),
        (3, "a", 2.25, None),
    ]
    both(ws, "s", cols, rows, [(*rows[0][:2], 1.5, rows[0][3]), rows[1], (3, "a", 2.26, None)])
    r = by_name(
        run_yaml(
            ws,
            """
        checks:
          - {type: column_aggregates_match, table: s, columns: [id, name, amount, at]}
          - {type: column_aggregates_match, table: s, columns: [amount], tolerance: 0.05, name: tolerant}
          - {type: schema_match, table: s}
    """,
        )
    )
    agg = r["column_aggregates_match(s)"]
    assert agg.status == "failed"
    assert [(m["column"], m["metric"]) for m in agg.details["metrics"] if not m["match"]] == [
        ("amount", "max"),
        ("amount", "sum"),
    ]
    mins = {(m["column"], m["metric"]): m["source"] for m in agg.details["metrics"]}
    assert mins[("name", "min")] == "B" and mins[("at", "max")] == "2024-01-02T00:00:00"
    assert r["tolerant"].status == "passed"  # 2.25 vs 2.26 and 3.75 vs 3.76 are within 0.05
    assert r["schema_match(s)"].status == "passed"


def test_schema_match_reports_missing_extra_and_type_changes(ws):
    load_tables(ws, "src", {"t": ([("a", "int"), ("b", "text"), ("c", "float")], [])})
    load_tables(ws, "tgt", {"t": ([("a", "text"), ("c", "float"), ("d", "int")], [])})
    c = diff(ws, "{type: schema_match, table: t}")
    assert (c.status, c.total_rows, c.failed_rows) == ("failed", 4, 3)
    assert [(p["column"], p["problem"]) for p in c.details["problems"]] == [
        ("a", "type differs"),
        ("b", "missing in target"),
        ("d", "extra in target"),
    ]


def test_every_comparison_on_empty_tables_passes_with_rate_one(ws):
    both(ws, "e", [("id", "int"), ("name", "text"), ("x", "float")], [])
    res = run_yaml(
        ws,
        """
        checks:
          - {type: row_count_match, table: e}
          - {type: column_aggregates_match, table: e, columns: [id, name, x]}
          - {type: schema_match, table: e}
          - {type: row_diff, table: e, key: id}
          - {type: row_diff, table: e, key: id, max_pull_rows: 0, name: segmented}
    """,
    )
    assert [(c.check_type, c.status, c.pass_rate, c.error) for c in res.checks] == [
        ("row_count_match", "passed", 1.0, None),
        ("column_aggregates_match", "passed", 1.0, None),
        ("schema_match", "passed", 1.0, None),
        ("row_diff", "passed", 1.0, None),
        ("row_diff", "passed", 1.0, None),
    ]


def test_comparison_rates_follow_their_counts_and_units(ws):
    both(
        ws,
        "u",
        [("id", "int"), ("v", "int"), ("w", "text")],
        [(1, 10, "a"), (2, 20, "b")],
        [("a", 1, 10.0), ("b", 2, 21.0)],
        tgt_cols=[("w", "text"), ("id", "int"), ("v", "float")],
    )
    res = run_yaml(
        ws,
        """
        checks:
          - {type: column_aggregates_match, table: u, columns: [v], metrics: [sum, min, max]}
          - {type: schema_match, table: u, strict_order: true}
    """,
    )
    agg, sm = res.checks
    assert (agg.failed_rows, agg.total_rows, agg.unit) == (2, 4, "metrics")  # row count + 3
    assert agg.pass_rate == 0.5
    assert agg.describe() == "column_aggregates_match(u): 2 of 4 metrics failed (pass rate 0.5000)"
    # v: other family; the order id, v, w vs w, id, v puts all three out of place
    assert (sm.failed_rows, sm.total_rows, sm.unit, sm.pass_rate) == (3, 3, "columns", 0.0)


def test_segmented_row_diff_shows_the_sql_that_ran(ws):
    src = [(i, f"name {i}", i * 1.5) for i in range(2000)]
    tgt = [(k, "renamed" if k == 100 else n, x) for k, n, x in src if k != 5]
    both(ws, "big", [("id", "int"), ("name", "text"), ("x", "float")], src, tgt)
    seg = diff(ws, "{type: row_diff, table: big, key: id, max_pull_rows: 100, segment_rows: 100}")
    pulled = seg.details["segments_pulled"]
    assert seg.details["segments"] == 20 and len(pulled) == seg.details["segments_differing"]
    ids = ", ".join(map(str, pulled))
    assert seg.sql.startswith(
        "-- segmented row_diff: 2,000 source / 1,999 target rows exceed max_pull_rows 100.\n"
        "-- Rows were split into 20 segments by an md5 hash of the key; each side answered per "
        "segment a row count and two md5 checksums (the queries below).\n"
        f"-- {len(pulled)} of them differed ({ids}): only their rows were read from both sides "
        "and diffed.\n-- source: row count and checksums per segment\nSELECT "
    )
    statements = {}  # each statement under its comment line
    for chunk in seg.sql.rstrip(";").split(";\n"):
        lines = chunk.split("\n")
        at = max(i for i, line in enumerate(lines) if line.startswith("-- "))
        statements[lines[at]] = "\n".join(lines[at + 1 :])
    assert list(statements) == [
        "-- source: row count and checksums per segment",
        "-- target: row count and checksums per segment",
        f"-- source: rows of segments {ids}",
        f"-- target: rows of segments {ids}",
    ]
    # the shown pull query is the one that ran: run on the source, it reads the differing rows
    # (ids 5 and 100) and only the rows of those segments
    with open_connection(ws.connection("src")) as conn:
        _, rows = conn.query(statements[f"-- source: rows of segments {ids}"])
    got = {r[0] for r in rows}
    assert {5, 100} <= got and len(got) < 2000 and len(pulled) <= 2


def test_mode_chosen_by_cost_never_hides_a_small_float_change(ws, monkeypatch):
    # reading SQLite made to look expensive: within max_pull_rows, checksums are chosen by cost
    # (same findings as a full pull: a float change of 10^-9 too)
    from batchcore.dialects.sqlite import SQLiteDialect
    from batchcore.validation.checks import row_diff

    monkeypatch.setattr(row_diff, "COST_MIN_ROWS", 10)
    monkeypatch.setattr(SQLiteDialect, "pull_us_per_value", 100.0)
    rows = [(i, f"v{i}", i * 0.5) for i in range(200)]
    changed = [(k, "other" if k == 17 else v, x + (1e-9 if k == 42 else 0)) for k, v, x in rows]
    both(ws, "c", [("k", "int"), ("v", "text"), ("x", "float")], rows, changed)
    text_only = diff(ws, "{type: row_diff, table: c, key: k, columns: [v]}")
    assert text_only.details["mode"] == "segmented" and text_only.details["chosen_by"] == "cost"
    assert text_only.observed["changed"] == 1 and text_only.sample["rows"][0][1] == [17]
    exact = diff(ws, "{type: row_diff, table: c, key: k}")
    # floats enter segment checksums exactly (Dialect.float_text): 1e-9 apart is seen
    assert exact.details["mode"] == "segmented" and exact.details["chosen_by"] == "cost"
    assert exact.observed["changed"] == 2 and exact.observed["column_differences"] == {
        "v": 1,
        "x": 1,
    }
    tolerant = diff(ws, "{type: row_diff, table: c, key: k, tolerance: 0.001}")
    assert tolerant.details["mode"] == "segmented" and tolerant.observed["changed"] == 1
    monkeypatch.setattr(SQLiteDialect, "pull_us_per_value", 0.01)
    cheap_reads = diff(ws, "{type: row_diff, table: c, key: k, columns: [v]}")
    assert cheap_reads.details["mode"] == "full" and cheap_reads.observed["changed"] == 1


def test_segmented_mode_sees_decimals_of_more_than_6_decimals_exactly(tmp_path):
    # decimals enter segment checksums at the column pair's common scale (Dialect.decimal_text):
    # 10^-10 apart in DECIMAL(38,10) is seen in both modes; only past 18 decimals the
    # checksum rounds, and the result says so
    ws = make_ws(
        tmp_path / "ws",
        {"a": {"type": "duckdb", "path": "a.duckdb"}, "b": {"type": "duckdb", "path": "b.duckdb"}},
        source="a",
        target="b",
    )
    for name, v, w in (("a", "1.0000000001", "0.1"), ("b", "1.0000000000", "0.1")):
        with open_connection(ws.connection(name)) as conn:
            conn.execute("CREATE TABLE d (k INTEGER, x DECIMAL(38,10), f DOUBLE, i BIGINT)")
            conn.execute(f"INSERT INTO d VALUES (1, {v}, 0.5, 7), (2, 2.5, 1.0, 8)")
            conn.execute("CREATE TABLE e (k INTEGER, y DECIMAL(38,20))")
            conn.execute(f"INSERT INTO e VALUES (1, {w})")
            # an integer beside DECIMAL(38,10) compares at scale 10
            m_i = (
                "CAST(i + CASE WHEN k = 2 THEN 0.0000000001 ELSE 0 END AS DECIMAL(38,10))"
                if name == "a"
                else "i"
            )
            conn.execute(f"CREATE TABLE m AS SELECT k, {m_i} AS i FROM d")
    full = diff(ws, "{type: row_diff, table: d, key: k}")
    assert full.observed["column_differences"] == {"x": 1}
    seg = diff(ws, "{type: row_diff, table: d, key: k, max_pull_rows: 0, segment_rows: 100}")
    assert seg.details["mode"] == "segmented" and seg.details["segments_differing"] == 1
    assert seg.observed["column_differences"] == {"x": 1}
    assert "not_compared" not in seg.details and "NOT COMPARED" not in seg.sql
    mixed = diff(ws, "{type: row_diff, table: m, key: k, max_pull_rows: 0, segment_rows: 100}")
    assert mixed.details["segments_differing"] == 1
    assert mixed.observed["changed"] == 1 and mixed.sample["rows"][0][1] == [2]
    past = diff(ws, "{type: row_diff, table: e, key: k, max_pull_rows: 0, segment_rows: 100}")
    assert "differences below 10^-18 in y" in past.details["not_compared"]
    assert "-- NOT COMPARED: differences below 10^-18 in y" in past.sql
    tolerant = diff(
        ws,
        "{type: row_diff, table: e, key: k, max_pull_rows: 0, segment_rows: 100, tolerance: 0.001}",
    )
    assert "not_compared" not in tolerant.details
