"""`partition_by` predicates: the partitions of a check cover every row exactly once (NULLs and
values outside the ranges included), for numbers, dates, value lists and explicit ranges."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest
from pydantic import ValidationError

from batchcore.dialects import dialect_for
from batchcore.validation.partition import PartitionBy, boundaries

D = dialect_for("duckdb")


def _counts(con, part: PartitionBy, bounds=None) -> list[int]:
    return [
        con.execute(f"SELECT count(*) FROM t WHERE {part.predicate(k, D, bounds)}").fetchall()[0][0]
        for k in range(part.count)
    ]


@pytest.mark.parametrize(
    "values_sql, n",
    [
        ("SELECT range AS c FROM range(1000) UNION ALL SELECT NULL", 8),
        ("SELECT range / 7.0 AS c FROM range(-500, 500) UNION ALL SELECT NULL", 5),
        ("SELECT DATE '2024-01-01' + INTERVAL (range) DAY AS c FROM range(400)", 12),
        ("SELECT 5 AS c FROM range(10)", 4),  # one value: all in partition 0
        ("SELECT range AS c FROM range(3)", 8),  # fewer values than partitions
    ],
)
def test_ranges_cover_every_row_once(values_sql, n):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS {values_sql}")
    total = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    lo, hi = con.execute("SELECT min(c), max(c) FROM t").fetchall()[0]
    part = PartitionBy(column="c", ranges=n)
    counts = _counts(con, part, (lo, hi))
    assert sum(counts) == total
    if lo != hi and total >= 100:
        assert all(c > 0 for c in counts), counts  # evenly spread: no empty partition


def test_values_and_explicit_ranges_get_a_rest_partition():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('AA'), ('UA'), ('DL'), ('ZZ'), (NULL), ('AA')) v(c)"
    )
    part = PartitionBy(column="c", values=["AA", "UA", "DL"])
    assert part.count == 4
    assert _counts(con, part) == [2, 1, 1, 2]  # rest: ZZ and NULL
    con.execute(
        "CREATE OR REPLACE TABLE t AS SELECT DATE '2024-01-01' + INTERVAL (range) DAY AS c FROM range(90)"
    )
    con.execute("INSERT INTO t VALUES (NULL)")
    part = PartitionBy(
        column="c", ranges=[["2024-01-01", "2024-02-01"], ["2024-02-01", "2024-03-01"]]
    )
    assert _counts(con, part) == [31, 29, 31]


def test_bad_partition_by_is_refused_naming_the_field():
    with pytest.raises(ValidationError, match="exactly one of 'ranges' or 'values'"):
        PartitionBy(column="c")
    with pytest.raises(ValidationError):
        PartitionBy(column="c", ranges=1)
    with pytest.raises(ValueError, match="number or date column"):
        boundaries(("a", "z"), 4)
    assert boundaries((dt.date(2024, 1, 1), dt.date(2024, 1, 1)), 4) == []


def test_anomaly_with_partition_by_is_refused_naming_the_check(tmp_path):
    from batchcore.validation.lint import lint_pipeline

    path = tmp_path / "split.yaml"
    path.write_text(
        "target: t\nchecks:\n"
        "  - {type: row_count, name: big_rows, table: t, min: 1,\n"
        "     anomaly: {metric: row_count}, partition_by: {column: id, ranges: 4}}\n"
        "  - {type: metric_anomaly, name: nulls, table: t, metric: row_count,\n"
        "     partition_by: {column: id, ranges: 4}}\n"
        "  - {type: row_count, name: fine, table: t, min: 1, partition_by: {column: id, ranges: 4}}\n"
    )
    problems = [str(p) for p in lint_pipeline(path, None, check_columns=False)]
    joined = "\n".join(problems)
    assert "check 'big_rows' cannot combine anomaly: with partition_by" in joined, joined
    assert "check 'nulls' cannot combine a metric_anomaly check with partition_by" in joined
    assert "'fine'" not in joined and len(problems) == 2, problems


def test_huge_float_bounds_give_finite_increasing_cuts_covering_inf_and_nan():
    cuts = boundaries((-1.7e308, 1.7e308), 6)
    assert len(cuts) == 5 and cuts == sorted(set(cuts))
    assert all(-1.7e308 < c < 1.7e308 for c in cuts)
    with pytest.raises(ValueError, match="finite"):
        boundaries((float("-inf"), 1.0), 4)
    part = PartitionBy(column="c", ranges=6)
    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE t AS SELECT unnest([-1.7e308, 1.7e308, 'inf'::DOUBLE, '-inf'::DOUBLE, "
            "'nan'::DOUBLE, NULL, 0.0, 1.0]) AS c"
        )
        counts = _counts(con, part, (-1.7e308, 1.7e308))
    assert sum(counts) == 8 and counts[0] == 3 and counts[-1] == 3  # -inf/NULL first; inf/NaN last
    for k in range(6):
        assert "nan" not in part.predicate(k, D, (-1.7e308, 1.7e308)).lower()


def test_narrow_float_range_has_empty_middle_partitions_not_index_errors():
    part = PartitionBy(column="c", ranges=8)
    lo, hi = 1.0, math.nextafter(1.0, 2.0)  # no room for 7 distinct cuts
    assert len(boundaries((lo, hi), 8)) < 7
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE t AS SELECT unnest([{lo!r}, {hi!r}, NULL]) AS c")
        counts = _counts(con, part, (lo, hi))
    assert sum(counts) == 3 and counts[0] == 2 and counts[-1] == 1


def test_text_dates_and_dates_merge_into_date_bounds_and_non_finite_values_are_refused():
    from batchcore.validation.partition import _merge_bounds

    lo, hi = _merge_bounds(["2024-01-05", dt.date(2024, 1, 1)], ["2024-12-31", dt.date(2024, 6, 1)])
    assert (lo, hi) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert boundaries(("2024-01-01", "2024-01-05"), 4) == [
        dt.date(2024, 1, 2),
        dt.date(2024, 1, 3),
        dt.date(2024, 1, 4),
    ]
    with pytest.raises(ValueError, match="cannot be compared"):
        _merge_bounds(["abc", 1], ["xyz", 5])
    with pytest.raises(ValidationError, match="finite"):
        PartitionBy(column="c", values=[1.0, float("nan")])
