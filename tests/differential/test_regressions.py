"""Named regression tests for every bug the differential harness found (tests/differential/
BUGS.md), on real databases. Each runs the product's check on a fixed pair of tables and
asserts its figures; `check_pair` also compares every comparison with the oracle."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.differential.harness import check_pair, run_check
from tests.differential.strategies import Example
from tests.differential.tables import NumText

PG, MY = pytest.mark.postgres, pytest.mark.mysql
SEGMENTED = {"max_pull_rows": 0, "segment_rows": 1}


def _counts(out) -> tuple:
    o = out.observed
    return (o["missing_in_target"], o["extra_in_target"], o["changed"], o["column_differences"])


@pytest.mark.parametrize(
    "pair", [("duckdb", "sqlite"), pytest.param(("postgres", "mysql"), marks=[PG, MY])]
)
@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
def test_duplicate_keys_pair_identical_rows_first(diff_dbs, pair, forced):
    # source key 0 holds (0, NULL) and (0, 0); target only (0, NULL): one row missing, none
    # changed (sorting NULLS LAST used to pair 0 with NULL: 1 changed + 1 missing)
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("v", "dec", "dec", "dec")],
        nkeys=1,
        source=[(0, None), (0, Decimal("0"))],
        target=[(0, None)],
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "row_diff", "key": "k0"}, **forced)
    assert _counts(out) == (1, 0, 0, {})
    assert check_pair(diff_dbs, ex, *pair) == []


@pytest.mark.parametrize(
    "pair", [("sqlite", "duckdb"), pytest.param(("mysql", "postgres"), marks=[PG, MY])]
)
@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
def test_tolerance_never_makes_null_equal_to_a_number(diff_dbs, pair, forced):
    # (0, 0) vs (0, NULL) with tolerance 0.01 used to pass: abs(0 - NULL) <= t is NULL, and
    # NOT NULL is not TRUE, so the row was not counted as changed
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("v", "dec", "dec", "dec")],
        nkeys=1,
        source=[(0, Decimal("0"))],
        target=[(0, None)],
    )
    fields = {"type": "row_diff", "key": "k0", "tolerance": 0.01}
    out = run_check(diff_dbs, ex, *pair, fields, **forced)
    assert _counts(out) == (0, 0, 1, {"v": 1})
    assert out.failed_rows == 1


@pytest.mark.parametrize(
    "pair", [("duckdb", "duckdb"), pytest.param(("postgres", "mysql"), marks=[PG, MY])]
)
def test_tolerance_compares_big_integers_exactly(diff_dbs, pair):
    # 2^53 and 2^53 + 1 are one apart: as doubles they were 0 apart, "equal" within 0.01
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("v", "int", "int", "int")],
        nkeys=1,
        source=[(1, 2**53)],
        target=[(1, 2**53 + 1)],
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "row_diff", "key": "k0", "tolerance": 0.01})
    assert _counts(out) == (0, 0, 1, {"v": 1})


@pytest.mark.parametrize(
    "pair",
    [
        ("duckdb", "duckdb"),
        ("sqlite", "sqlite"),
        pytest.param(("mysql", "postgres"), marks=[PG, MY]),
    ],
)
def test_segmented_checksums_of_big_numbers_neither_overflow_nor_saturate(diff_dbs, pair):
    # MySQL: BIGINT 2^62 * 10^6 is out of range; DuckDB: DECIMAL(38,6) 1.2e29 * 10^6 overflows;
    # SQLite: CAST(round(x * 10^6) AS INTEGER) saturates at 2^63 - 1, so two different big
    # values had the same checksum and a changed row went unseen
    big = Decimal("123456789012345678901234567890.5")
    ex = Example(
        columns=[
            ("k0", "int", "int", "int"),
            ("i", "int", "int", "dec"),
            ("d", "dec", "dec", "dec"),
        ],
        nkeys=1,
        source=[(1, 2**62, big), (2, 5, Decimal("12345678901234.5"))],
        target=[(1, 2**62, big), (2, 5, Decimal("12345678901299.5"))],
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "row_diff", "key": "k0"}, **SEGMENTED)
    assert out.details["mode"] == "segmented"
    assert _counts(out) == (0, 0, 1, {"d": 1})


@pytest.mark.parametrize(
    "pair", [("duckdb", "sqlite"), pytest.param(("postgres", "duckdb"), marks=[PG])]
)
def test_aggregates_of_decimal_beside_float_compare_as_doubles(diff_dbs, pair):
    # a DECIMAL 12345678901234.123456 and the DOUBLE holding it compare as doubles (row_diff
    # says equal); min/max used to compare the exact decimal with the double and differ
    d = Decimal("12345678901234.123456")
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("v", "dec", "dec", "float")],
        nkeys=1,
        source=[(0, d)],
        target=[(0, d)],
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "column_aggregates_match", "columns": ["v"]})
    assert out.passed, [m for m in out.details["metrics"] if not m["match"]]


@pytest.mark.parametrize(
    "pair", [("sqlite", "duckdb"), pytest.param(("duckdb", "postgres"), marks=[PG])]
)
def test_aggregates_of_boolean_beside_integer(diff_dbs, pair):
    # PostgreSQL / DuckDB have no min(boolean): a BOOLEAN beside an INT column compares as 0/1
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("b", "bool", "bool", "int")],
        nkeys=1,
        source=[(0, True), (1, False), (2, None)],
        target=[(0, True), (1, False), (2, None)],
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "column_aggregates_match", "columns": ["b"]})
    assert out.passed, out.details["metrics"]
    by = {
        m["metric"]: (m["source"], m["target"])
        for m in out.details["metrics"]
        if m["column"] == "b"
    }
    assert by["min"] == (0, 0) and by["max"] == (1, 1) and by["sum"] == (1, 1)


NUMTEXT = Example(
    columns=[("k0", "int", "int", "int"), ("n", "numtext", "int", "text")],
    nkeys=1,
    source=[
        (0, NumText(Decimal(5), "5")),
        (1, NumText(Decimal(0), "0")),
        (2, NumText(Decimal(10), "10")),
        (3, NumText(Decimal(6), "6")),
    ],
    target=[
        (0, NumText(Decimal(5), "5.0")),
        (1, NumText(Decimal(0), "-0")),
        (2, NumText(Decimal(9), "9")),
        (3, NumText(Decimal("5.5"), "5.5")),
    ],
)
BOTH = [
    ("duckdb", "sqlite"),
    ("sqlite", "duckdb"),
    pytest.param(("duckdb", "postgres"), marks=[PG]),
    pytest.param(("postgres", "mysql"), marks=[PG, MY]),
    pytest.param(("mysql", "sqlite"), marks=[MY]),
]


@pytest.mark.parametrize("pair", BOTH)
@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
def test_number_beside_text_compares_by_value(diff_dbs, pair, forced):
    # INT 5 = TEXT '5.0', 0 = '-0'; 10 vs '9' and 6 vs '5.5' differ (6 vs '5.5' used to be
    # equal: the text was cast to the INT column's scale 0). Segmented mode used to fail on
    # PostgreSQL / DuckDB (text * 10^6)
    out = run_check(diff_dbs, NUMTEXT, *pair, {"type": "row_diff", "key": "k0"}, **forced)
    assert _counts(out) == (0, 0, 2, {"n": 2})


@pytest.mark.parametrize("pair", BOTH)
def test_aggregates_of_number_beside_text_by_value(diff_dbs, pair):
    # sum(text) used to fail; distinct counts counted '5' and '5.0' apart; min/max by text order
    same = Example(
        columns=NUMTEXT.columns,
        nkeys=1,
        source=[(0, NumText(Decimal(5), "5")), (1, NumText(Decimal(10), "10"))],
        target=[(0, NumText(Decimal(5), "5.0")), (1, NumText(Decimal(10), "10"))],
    )
    out = run_check(diff_dbs, same, *pair, {"type": "column_aggregates_match", "columns": ["n"]})
    assert out.passed, [m for m in out.details["metrics"] if not m["match"]]
    assert check_pair(diff_dbs, NUMTEXT, *pair) == []


@pytest.mark.parametrize(
    "pair", [("duckdb", "sqlite"), pytest.param(("mysql", "duckdb"), marks=[MY])]
)
@pytest.mark.parametrize("check", ["row_diff", "column_aggregates_match"])
def test_text_that_is_not_a_number_beside_a_number_is_refused(diff_dbs, pair, check):
    # MySQL and SQLite read CAST('abc' AS DECIMAL) as 0: 'abc' would equal 0 — refused instead
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("n", "text", "int", "text")],
        nkeys=1,
        source=[(0, 0)],
        target=[(0, "abc")],
    )
    fields = (
        {"type": check, "key": "k0"} if check == "row_diff" else {"type": check, "columns": ["n"]}
    )
    with pytest.raises(ValueError, match=r"column 'n' of the target table .* not a number: 'abc'"):
        run_check(diff_dbs, ex, *pair, fields)


@pytest.mark.parametrize("pair", [("sqlite", "duckdb"), ("duckdb", "duckdb")])
@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
def test_a_double_beside_a_decimal_keeps_its_digits(diff_dbs, pair, forced):
    # SQLite stores NUMERIC -98765432109876.5 as that exact double; DuckDB's DOUBLE → DECIMAL
    # cast made it -98765432109876.494336, a "changed" row beside the exact DECIMAL
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("v", "dec", "dec", "dec")],
        nkeys=1,
        source=[(0, Decimal("-98765432109876.5"))],
        target=[(0, Decimal("-98765432109876.5"))],
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "row_diff", "key": "k0"}, **forced)
    assert _counts(out) == (0, 0, 0, {})


@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(("postgres", "mysql"), marks=[PG, MY]),
        pytest.param(("mysql", "duckdb"), marks=[MY]),
    ],
)
def test_text_max_is_byte_exact_on_mysql(diff_dbs, pair):
    # utf8mb4_bin pads with spaces: max('', ' ') was '' on MariaDB, ' ' elsewhere
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("t", "text", "text", "text")],
        nkeys=1,
        source=[(0, ""), (1, " "), (2, "a ")],
        target=[(0, ""), (1, " "), (2, "a")],
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "column_aggregates_match", "columns": ["t"]})
    by = {m["metric"]: (m["source"], m["target"], m["match"]) for m in out.details["metrics"]}
    assert by["min"] == ("", "", True)
    assert by["max"] == ("a ", "a", False)
    assert by["distinct_count"] == (3, 3, True)


@pytest.mark.parametrize(
    "pair", [("sqlite", "duckdb"), pytest.param(("sqlite", "postgres"), marks=[PG])]
)
def test_a_sum_added_in_doubles_matches_within_the_relative_tolerance(diff_dbs, pair):
    # SQLite's NUMERIC holds REALs: -98765432109876.5 + 0.000001 adds to -98765432109876.5 in
    # doubles, -98765432109876.499999 in DECIMAL; the sums used to "differ"
    rows = [(0, Decimal("0.000001")), (1, Decimal("-98765432109876.5"))]
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("v", "dec", "dec", "dec")],
        nkeys=1,
        source=rows,
        target=rows,
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "column_aggregates_match", "columns": ["v"]})
    assert out.passed, [m for m in out.details["metrics"] if not m["match"]]


@pytest.mark.parametrize(
    "pair", [("sqlite", "duckdb"), pytest.param(("sqlite", "mysql"), marks=[MY])]
)
def test_a_sum_of_big_integers_on_sqlite_is_exact(diff_dbs, pair):
    # SQLite's sum() raised "integer overflow" on 2^62 + 2^62: the check could not run
    rows = [(0, 2**62), (1, 2**62), (2, 1)]
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("v", "int", "int", "int")],
        nkeys=1,
        source=rows,
        target=rows,
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "column_aggregates_match", "columns": ["v"]})
    assert out.passed, [m for m in out.details["metrics"] if not m["match"]]
    (s,) = [m for m in out.details["metrics"] if m["metric"] == "sum"]
    assert int(s["source"]) == int(s["target"]) == 2**63 + 1


# ---- SQLite values by their storage class; exact float checksums; NaN and infinities


@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
def test_sqlite_reals_in_integer_numeric_and_untyped_columns_are_not_rounded(diff_dbs, forced):
    # SQLite's affinity keeps REAL 19.99 in a column declared INTEGER, NUMERIC or untyped: it
    # was read at the declared type's scale (DECIMAL(38,0): 19.99 = 20, 100.5 shown as 101)
    cols = [("q", "mixnum", "intaff", "int"), ("n", "mixnum", "numaff", "int")]
    ex = Example(
        columns=[("k0", "int", "int", "int"), *cols, ("u", "mixnum", "untyped", "int")],
        nkeys=1,
        source=[
            (1, 19.99, 19.99, 19.99),
            (2, 4.5, 4.5, 4.5),
            (3, 100.5, 100.5, 100.5),
            (4, 5, 5, 5),
        ],
        target=[(1, 20, 20, 20), (2, 4, 4, 4), (3, 100, 100, 100), (4, 5, 5, 5)],
    )
    out = run_check(diff_dbs, ex, "sqlite", "duckdb", {"type": "row_diff", "key": "k0"}, **forced)
    assert _counts(out) == (0, 0, 3, {"q": 3, "n": 3, "u": 3})
    shown = {r[1][0]: r[2]["n"]["source"] for r in out.sample["rows"]}
    assert shown == {1: 19.99, 2: 4.5, 3: 100.5}
    assert check_pair(diff_dbs, ex, "sqlite", "duckdb") == []


@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
@pytest.mark.parametrize(
    ("type_key", "text"),
    [("intaff", "abc"), ("intaff", "0x10"), ("untyped", " 3"), ("untyped", "5 ")],
)
def test_sqlite_text_in_a_number_column_is_refused_in_both_modes(diff_dbs, forced, type_key, text):
    # INTEGER 'abc' beside DuckDB 0: segmented passed (SQLite reads 'abc' as 0), full raised a
    # raw DuckDB conversion error; untyped ' 3' beside 3 passed although text is never trimmed
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("n", "mixnum", type_key, "int")],
        nkeys=1,
        source=[(0, text), (1, 7)],
        target=[(0, 0), (1, 7)],
    )
    with pytest.raises(
        ValueError, match=rf"column 'n' of the source table .* not a number: {text!r}"
    ):
        run_check(diff_dbs, ex, "sqlite", "duckdb", {"type": "row_diff", "key": "k0"}, **forced)


@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
def test_sqlite_number_text_in_an_untyped_column_reads_as_the_number(diff_dbs, forced):
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("n", "mixnum", "untyped", "int")],
        nkeys=1,
        source=[(0, NumText(Decimal(2), "02")), (1, NumText(Decimal("4.5"), "4.5")), (2, 7)],
        target=[(0, 2), (1, 4), (2, 7)],
    )
    out = run_check(diff_dbs, ex, "sqlite", "duckdb", {"type": "row_diff", "key": "k0"}, **forced)
    assert _counts(out) == (0, 0, 1, {"n": 1})
    assert check_pair(diff_dbs, ex, "sqlite", "duckdb") == []


@pytest.mark.parametrize(
    "pair",
    [
        ("duckdb", "duckdb"),
        ("sqlite", "duckdb"),
        pytest.param(("postgres", "mysql"), marks=[PG, MY]),
        pytest.param(("mysql", "sqlite"), marks=[MY]),
    ],
)
@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
def test_floats_apart_by_less_than_a_millionth_differ_in_both_modes(diff_dbs, pair, forced):
    # segment checksums rounded doubles to 10^-6: 0.1 + 0.2 vs 0.3 passed segmented (chosen
    # automatically above max_pull_rows) while full mode reported it
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("f", "float", "float", "float")],
        nkeys=1,
        source=[(0, 0.1 + 0.2), (1, 1.0000001), (2, 1e-300), (3, 2.5)],
        target=[(0, 0.3), (1, 1.0), (2, 0.0), (3, 2.5)],
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "row_diff", "key": "k0"}, **forced)
    assert _counts(out) == (0, 0, 3, {"f": 3})
    assert check_pair(diff_dbs, ex, *pair) == []


@pytest.mark.parametrize(
    "pair", [("duckdb", "duckdb"), pytest.param(("postgres", "duckdb"), marks=[PG])]
)
@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
@pytest.mark.parametrize("tolerance", [None, 0.01])
def test_nan_and_infinities_compare_alike_in_both_modes(diff_dbs, pair, forced, tolerance):
    # segmented mode failed on a DOUBLE holding inf or nan ('Could not convert string "inf" to
    # DECIMAL(38,6)'); NaN equals NaN, inf equals inf (also within a tolerance)
    inf, nan = float("inf"), float("nan")
    ex = Example(
        columns=[("k0", "int", "int", "int"), ("f", "float", "float", "float")],
        nkeys=1,
        source=[(0, inf), (1, -inf), (2, nan), (3, nan), (4, inf), (5, 1.0)],
        target=[(0, inf), (1, -inf), (2, nan), (3, 1.0), (4, -inf), (5, 1.0)],
        tolerance=tolerance,
    )
    fields = {"type": "row_diff", "key": "k0"} | ({"tolerance": tolerance} if tolerance else {})
    out = run_check(diff_dbs, ex, *pair, fields, **forced)
    assert _counts(out) == (0, 0, 2, {"f": 2})
    assert check_pair(diff_dbs, ex, *pair) == []


ALL_PAIRS = [
    ("duckdb", "sqlite"),
    ("sqlite", "duckdb"),
    pytest.param(("postgres", "mysql"), marks=[PG, MY]),
    pytest.param(("mysql", "postgres"), marks=[PG, MY]),
    pytest.param(("duckdb", "postgres"), marks=[PG]),
    pytest.param(("sqlite", "mysql"), marks=[MY]),
]


@pytest.mark.parametrize("pair", ALL_PAIRS)
@pytest.mark.parametrize("forced", [{}, SEGMENTED], ids=["full", "segmented"])
def test_decimals_apart_by_less_than_a_millionth_differ_in_both_modes(diff_dbs, pair, forced):
    # segment checksums rounded decimals to 10^-6: DECIMAL(38,10) 1.000000001 vs 1.000000002
    # passed segmented (forced above max_pull_rows) while full mode reported it; now the
    # checksum text has the pair's common scale (Dialect.decimal_text): NUMERIC(30,12) beside
    # DECIMAL(38,10) at 12, an integer beside DECIMAL(38,10) at 10; -0 = 0
    d = Decimal
    ex = Example(
        columns=[
            ("k0", "int", "int", "int"),
            ("x", "finedec", "dec10", "dec12"),
            ("i", "int", "int", "dec10"),
        ],
        nkeys=1,
        source=[
            (0, d("1.000000001"), 5),
            (1, d("0.000000001"), 7),
            (2, d("12345.6789012345"), -3),
            (3, d("-0"), 2**40),
            (4, d("-98765.4321098765"), 0),
        ],
        target=[
            (0, d("1.000000002"), 5),
            (1, d("-0.000000001"), d("7.0000000001")),
            (2, d("12345.6789012346"), -3),
            (3, d("0"), 2**40),
            (4, d("-98765.4321098765"), d("-0")),
        ],
    )
    out = run_check(diff_dbs, ex, *pair, {"type": "row_diff", "key": "k0"}, **forced)
    assert _counts(out) == (0, 0, 3, {"x": 3, "i": 1})
    assert "not_compared" not in out.details
    assert check_pair(diff_dbs, ex, *pair) == []


@pytest.mark.parametrize(
    "pair",
    [
        ("duckdb", "sqlite"),
        pytest.param(("postgres", "mysql"), marks=[PG, MY]),
        pytest.param(("sqlite", "postgres"), marks=[PG]),
    ],
)
def test_decimal_checksum_text_is_the_same_in_every_database(diff_dbs, pair):
    # equal decimals must give one checksum text (Dialect.decimal_text at the common scale),
    # else segmented mode reads segments of equal rows; SQLite's printf('%.12f') wrote the
    # double 99999.9999999999 as 99999.999999999880
    values = ["0", "-0", "1.000000001", "-0.000000001", "12345.6789012345", "99999.9999999999"]
    texts = []
    for db in pair:
        table = diff_dbs.load(
            db, "s", [("k", "int"), ("x", "dec12")], [(i, Decimal(v)) for i, v in enumerate(values)]
        )
        conn = diff_dbs.dbs[db].reader
        d = conn.dialect
        sql = f"SELECT {d.decimal_text(d.quote('x'), 12)} FROM {conn.table_ref(table)} ORDER BY k"
        texts.append([r[0] for r in conn.query(sql)[1]])
    want = ["0.000000000000", "0.000000000000", "1.000000001000", "-0.000000001000"]
    assert texts[0] == texts[1] == [*want, "12345.678901234500", "99999.999999999900"]
