"""Comparison semantics of issue 11 on real databases, in full AND segmented row_diff:

- rows whose key has a NULL part are never paired: their own finding, failing unless
  `null_keys: ignore`;
- no value can pass for NULL in the segment checksums (`\\N`, `-`, '' and text that looks like
  the length framing);
- text with a UTC offset is an instant on every side (SQLite legacy text vs PostgreSQL /
  DuckDB TIMESTAMPTZ, MariaDB TIMESTAMP), whatever the reading session's time zone; naive
  timestamps compare as written.
"""

from __future__ import annotations

import pytest

from tests.validation.test_crossdb import MARKS, conn_spec
from tests.validation.vhelpers import by_name, load_tables, make_ws, run_yaml

KINDS = ["duckdb", "sqlite", "postgres", "mysql"]
PARAMS = [pytest.param(k, marks=MARKS.get(k, [])) for k in KINDS]
SEGMENTED = "max_pull_rows: 0, segment_rows: 100"
COUNTS = ("missing_in_target", "extra_in_target", "changed", "column_differences", "null_key_rows")


def pair_ws(kind, request, tmp_path, *, partner=None, tz=None):
    """`kind` as source, `partner` (default: DuckDB, or SQLite when kind is DuckDB) as target;
    `tz` sets the target connection's session time zone (PostgreSQL, MariaDB)."""
    partner = partner or ("sqlite" if kind == "duckdb" else "duckdb")
    tgt = conn_spec(partner, request, "tgt")
    if tz:
        tgt["options"] = {**tgt.get("options", {}), "time_zone": tz}
    return make_ws(
        tmp_path / "ws",
        {"src": conn_spec(kind, request, "src"), "tgt": tgt},
        source="src",
        target="tgt",
    )


def observed(check) -> dict:
    return {k: check.observed[k] for k in COUNTS}


@pytest.mark.parametrize("kind", PARAMS)
def test_null_key_rows_are_never_paired_and_fail_unless_ignored(kind, request, tmp_path):
    ws = pair_ws(kind, request, tmp_path)
    cols = [("k1", "int"), ("k2", "text"), ("v", "text")]
    load_tables(ws, "src", {"t": (cols, [(1, "a", "x"), (None, "b", "y"), (2, None, "z")])})
    load_tables(ws, "tgt", {"t": (cols, [(1, "a", "x"), (None, "b", "y")])})
    r = by_name(
        run_yaml(
            ws,
            f"""
            checks:
              - {{type: row_diff, table: t, key: [k1, k2], name: full}}
              - {{type: row_diff, table: t, key: [k1, k2], {SEGMENTED}, name: seg}}
              - {{type: row_diff, table: t, key: [k1, k2], null_keys: ignore, name: ignored}}
              - {{type: row_diff, table: t, key: [k1, k2], null_keys: ignore, {SEGMENTED}, name: ignored_seg}}
            """,
        )
    )
    want = {
        "missing_in_target": 0,
        "extra_in_target": 0,
        "changed": 0,
        "column_differences": {},
        "null_key_rows": {"source": 2, "target": 1},
    }
    for name in ("full", "seg", "ignored", "ignored_seg"):
        assert observed(r[name]) == want, name
    for name in ("full", "seg"):
        assert (r[name].status, r[name].failed_rows, r[name].total_rows) == ("failed", 3, 3)
        assert sorted(map(repr, r[name].sample["rows"])) == sorted(
            map(
                repr,
                [
                    ["null_key_in_source", [None, "b"], {"v": "y"}],
                    ["null_key_in_source", [2, None], {"v": "z"}],
                    ["null_key_in_target", [None, "b"], {"v": "y"}],
                ],
            )
        )
    assert r["seg"].details["mode"] == "segmented"
    for name in ("ignored", "ignored_seg"):
        assert (r[name].status, r[name].failed_rows) == ("passed", 0)


# Each pair alone in its table, so a segment checksum that equals cannot hide behind another
# difference in the same segment: (source a, b) vs (target a, b).
LOOKALIKES = [
    (("\\N", "x"), (None, "x")),  # the old NULL marker
    (("-", "x"), (None, "x")),  # the NULL marker now
    (("", "x"), (None, "x")),
    (("1:a", ""), ("1", ":a")),  # a value that looks like the length framing
    (("a", None), ("a", "")),
]


@pytest.mark.parametrize("kind", PARAMS)
def test_no_value_passes_for_null_or_for_another_framing_in_segment_checksums(
    kind, request, tmp_path
):
    ws = pair_ws(kind, request, tmp_path)
    cols = [("k", "int"), ("a", "text"), ("b", "text")]
    checks = []
    for i, (src, tgt) in enumerate(LOOKALIKES):
        load_tables(ws, "src", {f"m{i}": (cols, [(1, *src), (2, "same", None)])})
        load_tables(ws, "tgt", {f"m{i}": (cols, [(1, *tgt), (2, "same", None)])})
        checks += [
            f"  - {{type: row_diff, table: m{i}, key: k, name: full{i}}}",
            f"  - {{type: row_diff, table: m{i}, key: k, {SEGMENTED}, name: seg{i}}}",
        ]
    r = by_name(run_yaml(ws, "checks:\n" + "\n".join(checks)))
    for i, (src, tgt) in enumerate(LOOKALIKES):
        cols_differing = {c: 1 for c, s, t in zip("ab", src, tgt, strict=True) if s != t}
        want = {
            "missing_in_target": 0,
            "extra_in_target": 0,
            "changed": 1,
            "column_differences": cols_differing,
            "null_key_rows": {"source": 0, "target": 0},
        }
        assert observed(r[f"full{i}"]) == want, src
        assert observed(r[f"seg{i}"]) == want, src
        assert r[f"seg{i}"].details["segments_differing"] == 1


# The same instants written four ways: SQLite legacy text with offsets (source) and, on the
# target, a real TIMESTAMPTZ / MariaDB TIMESTAMP holding them (loaded as UTC text).
OFFSET_TEXT = [
    (1, "2024-03-01 13:00:00+01:00"),
    (2, "2024-03-01T12:30:00Z"),
    (3, "2024-03-02 00:00:00.250000+05:30"),
    (4, "2024-03-01 14:00:00+01:00"),  # 13:00 UTC: differs from the target's 12:00
    (5, None),
]
UTC_TEXT = [
    (1, "2024-03-01 12:00:00"),
    (2, "2024-03-01 12:30:00"),
    (3, "2024-03-01 18:30:00.25"),
    (4, "2024-03-01 12:00:00"),
    (5, None),
]
TZ = {"postgres": "America/New_York", "mysql": "+05:00"}


@pytest.mark.parametrize("kind", [p for p in PARAMS if p.values[0] != "sqlite"])
def test_text_with_an_offset_is_an_instant_on_every_side(kind, request, tmp_path):
    # source: SQLite text with offsets; target: `kind`'s timestamp-with-time-zone type, read in
    # a non-UTC session where the database has one
    tgt = conn_spec(kind, request, "tgt")
    tz = {"time_zone": TZ[kind]} if kind in TZ else {}
    tgt_tz = {**tgt, "options": {**tgt.get("options", {}), **tz}}
    ws = make_ws(
        tmp_path / "ws",
        {"src": conn_spec("sqlite", request, "src"), "tgt": tgt, "tgt_tz": tgt_tz},
        source="src",
        target="tgt_tz",
    )
    load_tables(ws, "src", {"e": ([("k", "int"), ("at", "text")], OFFSET_TEXT)})
    load_tables(ws, "tgt", {"e": ([("k", "int"), ("at", "tstz")], UTC_TEXT)})
    r = by_name(
        run_yaml(
            ws,
            f"""
            checks:
              - {{type: row_diff, table: e, key: k, name: full}}
              - {{type: row_diff, table: e, key: k, {SEGMENTED}, name: seg}}
              - {{type: row_diff, table: e, key: k, where: "k <> 4", name: equal}}
              - {{type: row_diff, table: e, key: k, where: "k <> 4", {SEGMENTED}, name: equal_seg}}
              - {{type: column_aggregates_match, table: e, columns: [at], where: "k <> 4", name: aggs}}
            """,
        )
    )
    want = {
        "missing_in_target": 0,
        "extra_in_target": 0,
        "changed": 1,
        "column_differences": {"at": 1},
        "null_key_rows": {"source": 0, "target": 0},
    }
    assert observed(r["full"]) == want and observed(r["seg"]) == want
    assert r["full"].sample["rows"] == [
        [
            "changed",
            [4],
            {
                "at": {
                    "source": "2024-03-01 13:00:00.000000",
                    "target": "2024-03-01 12:00:00.000000",
                }
            },
        ]
    ]
    assert r["equal"].status == "passed" and r["equal_seg"].status == "passed"
    aggs = r["aggs"]
    assert aggs.status == "passed", [m for m in aggs.details["metrics"] if not m["match"]]
    assert {m["metric"]: m["source"] for m in aggs.details["metrics"] if m["column"]} == {
        "count": 3,
        "null_count": 1,
        "distinct_count": 3,
        "min": "2024-03-01T12:00:00",
        "max": "2024-03-01T18:30:00.250000",
    }
