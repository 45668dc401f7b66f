"""Every check type gives the same numbers on SQLite, DuckDB, PostgreSQL and MariaDB, and
comparisons agree for every (source, target) pair. PostgreSQL / MariaDB run for real (marked)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from batchcore.connections import open_connection
from tests.validation.vhelpers import by_name, figures, load_tables, make_ws, run_yaml

KINDS = ["sqlite", "duckdb", "postgres", "mysql", "snowflake"]
MARKS = {
    "postgres": [pytest.mark.postgres],
    "mysql": [pytest.mark.mysql],
    "snowflake": [pytest.mark.snowflake],
}
# Snowflake runs on fakesnow (its connector over an embedded DuckDB): compared with the two
# embedded databases, not with every server, to keep the pairs few.
SNOWFLAKE_PARTNERS = ("sqlite", "duckdb")


def conn_spec(kind: str, request, name: str) -> dict:
    """A connections.yaml entry for `kind`, on a fresh schema / database for this test."""
    if kind == "sqlite":
        return {"type": "sqlite", "path": f"{name}.sqlite", "options": {"create": True}}
    if kind == "duckdb":
        return {"type": "duckdb", "path": f"{name}.duckdb"}
    if kind == "postgres":
        return {
            "type": "postgres",
            "url": request.getfixturevalue("pg_url"),
            "options": {"schema": request.getfixturevalue("pg_schema")},
        }
    if kind == "snowflake":
        request.getfixturevalue("fake_snowflake")
        return {"type": "snowflake", "url": f"snowflake://user:pw@account/DB_{name.upper()}/PUBLIC"}
    return {"type": "mysql", "url": request.getfixturevalue("mysql_database")}


D = dt.datetime
ORDERS = (
    [
        ("id", "int"),
        ("user", "text"),
        ("status", "text"),
        ("amount", "float"),
        ("placed", "ts"),
        ("customer_id", "int"),
        ("code", "text"),
        ("day", "date"),
    ],
    [
        (1, "ann", "paid", 10.5, D(2024, 3, 28, 10), 1, "AB12", dt.date(2024, 3, 28)),
        (2, None, "paid", 0.36640625, D(2024, 3, 28, 11), 2, "AB13", dt.date(2024, 3, 29)),
        (3, "bob", "Paid", 200.0, D(2024, 3, 29), 9, "ab14", None),
        (4, "ann", "paid ", -1.0, None, None, "AB15", dt.date(2024, 3, 30)),
        (5, "Ann", None, None, D(2024, 3, 30, 12), 3, None, dt.date(2024, 3, 31)),
        (5, "cy", "new", 50.0, D(2024, 3, 31), 9, "AB16", dt.date(2024, 4, 1)),
        (7, "ann", "new", 1000.0, D(2024, 4, 1), 2, "AB16 ", dt.date(2024, 4, 2)),
        (8, "dee", "shipped", 0.0, D(2024, 4, 2), 1, "AB18", dt.date(2024, 4, 3)),
    ],
)

EXPECTED = {  # (status, total_rows, failed_rows, non_null_rows, duplicate_keys), the same everywhere
    "not_null(CustomerOrders.user)": ("failed", 8, 1, 7, None),
    "not_null(CustomerOrders.status)": ("failed", 8, 1, 7, None),
    "unique(CustomerOrders(id))": ("failed", 8, 2, 8, 1),
    "unique(CustomerOrders(user, status))": ("passed", 8, 0, 6, 0),
    "unique(CustomerOrders(user))": ("failed", 8, 3, 7, 1),
    "accepted_values(CustomerOrders.status)": ("failed", 8, 2, 7, None),
    "between(CustomerOrders.amount)": ("failed", 8, 1, 7, None),
    "regex(CustomerOrders.code)": ("failed", 8, 2, 7, None),
    "relationships(CustomerOrders.customer_id -> Customers.id)": ("failed", 8, 2, 7, None),
    "row_count(CustomerOrders)": ("passed", 8, 0, None, None),
    "freshness(CustomerOrders.placed)": ("passed", 8, 0, 7, None),
    "schema(CustomerOrders)": ("passed", 5, 0, None, None),
    "negative_amounts": ("failed", 8, 1, None, None),
    "users_of_non_negative_orders": ("failed", 6, 1, 5, None),
}


@pytest.mark.parametrize("kind", [pytest.param(k, marks=MARKS.get(k, [])) for k in KINDS])
def test_every_check_type_gives_the_same_numbers_in_every_dialect(kind, request, tmp_path):
    ws = make_ws(tmp_path / "ws", {"db": conn_spec(kind, request, "db")}, target="db")
    load_tables(
        ws, "db", {"CustomerOrders": ORDERS, "Customers": ([("id", "int")], [(1,), (2,), (3,)])}
    )
    with open_connection(ws.connection("db")) as conn:
        orders = conn.table_ref("CustomerOrders").replace("'", "''")
    res = run_yaml(
        ws,
        f"""
        checks:
          - {{type: not_null, table: CustomerOrders, columns: [user, status]}}
          - {{type: unique, table: CustomerOrders, column: id}}
          - {{type: unique, table: CustomerOrders, columns: [user, status]}}
          - {{type: unique, table: CustomerOrders, column: user}}
          - {{type: accepted_values, table: CustomerOrders, column: status, values: [paid, new, shipped]}}
          - {{type: between, table: CustomerOrders, column: amount, min: 0, max: 1000}}
          - {{type: regex, table: CustomerOrders, column: code, pattern: 'AB[0-9]{{2}}'}}
          - {{type: relationships, table: CustomerOrders, column: customer_id, to: Customers, field: id}}
          - {{type: row_count, table: CustomerOrders, min: 1, max: 10}}
          - {{type: freshness, table: CustomerOrders, column: placed, max_age: 36500d}}
          - type: schema
            table: CustomerOrders
            columns: [id, {{name: user, type: string}}, {{name: amount, type: float}}, {{name: placed, type: timestamp}}, {{name: day, type: date}}]
          - {{type: sql, name: negative_amounts, table: CustomerOrders, query: 'select * from {orders} where amount < 0'}}
          - {{type: not_null, table: CustomerOrders, column: user, where: amount >= 0, name: users_of_non_negative_orders}}
    """,
    )
    got = {c.check_name: figures(c) for c in res.checks}
    assert {k: v for k, v in got.items() if k in EXPECTED} == EXPECTED
    assert [c.check_name for c in res.checks if c.check_name not in EXPECTED] == []
    errors = [c.error for c in res.checks if c.error]
    assert errors == []


PAIR_COLS = [
    ("k1", "int"),
    ("k2", "text"),
    ("v_text", "text"),
    ("v_float", "float"),
    ("v_dec", "dec"),
    ("v_ts", "ts"),
    ("v_date", "date"),
]
PAIR_ROWS = [
    (1, "a", "x", 0.36640625, 12.5, D(2024, 3, 28), dt.date(2024, 3, 28)),
    (1, "b", None, -0.0, 0.1, D(2024, 3, 28, 10, 30, 0, 123000), dt.date(2024, 3, 29)),
    (11, "a", "", 1.0001, None, None, None),
    (2, "c", "Y", 3.0, 7.0, D(2024, 1, 1), dt.date(2024, 1, 1)),
]
PAIR_TARGET = [
    PAIR_ROWS[0],
    (1, "b", None, 0.0, 0.1, D(2024, 3, 28, 10, 30, 0, 123000), dt.date(2024, 3, 29)),
    (11, "a", None, 1.0, None, None, None),
    (3, "d", "z", 1.5, 2.0, D(2024, 2, 2), dt.date(2024, 2, 2)),
]
PAIRS = [
    pytest.param(s, t, marks=[*MARKS.get(s, []), *MARKS.get(t, [])], id=f"{s}-{t}")
    for s, t in itertools.permutations(KINDS, 2)
    if "snowflake" not in (s, t) or {s, t} & set(SNOWFLAKE_PARTNERS)
]


@pytest.mark.parametrize(("src", "tgt"), PAIRS)
def test_comparisons_agree_for_every_pair_of_databases(src, tgt, request, tmp_path):
    ws = make_ws(
        tmp_path / "ws",
        {"src": conn_spec(src, request, "src"), "tgt": conn_spec(tgt, request, "tgt")},
        source="src",
        target="tgt",
    )
    for side, rows in (("src", PAIR_ROWS), ("tgt", PAIR_TARGET)):
        load_tables(ws, side, {"pairs": (PAIR_COLS, rows), "same": (PAIR_COLS, PAIR_ROWS)})
    r = by_name(
        run_yaml(
            ws,
            """
        checks:
          - {type: row_diff, table: pairs, key: [k1, k2]}
          - {type: row_diff, table: pairs, key: [k1, k2], tolerance: 0.001, name: tolerant}
          - {type: row_diff, table: pairs, key: [k1, k2], max_pull_rows: 0, segment_rows: 100, name: segmented}
          - {type: row_diff, table: same, key: [k1, k2]}
          - {type: row_diff, table: same, key: [k1, k2], max_pull_rows: 0, segment_rows: 100, name: same_segmented}
          - {type: column_aggregates_match, table: same, columns: [k1, k2, v_text, v_float, v_dec, v_ts, v_date]}
          - {type: schema_match, table: same}
          - {type: row_count_match, table: pairs}
    """,
        )
    )
    diff = r["row_diff(pairs by k1, k2)"]
    assert {
        k: diff.observed[k]
        for k in ("missing_in_target", "extra_in_target", "changed", "column_differences")
    } == {
        "missing_in_target": 1,
        "extra_in_target": 1,
        "changed": 1,
        "column_differences": {"v_text": 1, "v_float": 1},
    }
    assert r["tolerant"].observed["column_differences"] == {"v_text": 1}
    assert r["segmented"].observed == diff.observed
    assert figures(r["row_diff(same by k1, k2)"])[:3] == ("passed", 4, 0)
    assert r["same_segmented"].status == "passed", r["same_segmented"].details
    agg = r["column_aggregates_match(same)"]
    assert agg.status == "passed", [m for m in agg.details["metrics"] if not m["match"]]
    assert r["schema_match(same)"].status == "passed", r["schema_match(same)"].details
    assert r["row_count_match(pairs)"].status == "passed"


@pytest.mark.postgres
def test_postgres_date_equals_duckdb_midnight_timestamp_and_doubles_match(request, tmp_path):
    ws = make_ws(
        tmp_path / "ws",
        {"src": conn_spec("postgres", request, "src"), "tgt": conn_spec("duckdb", request, "tgt")},
        source="src",
        target="tgt",
    )
    load_tables(
        ws,
        "src",
        {
            "d": (
                [("k", "int"), ("day", "date"), ("x", "float")],
                [(1, dt.date(2024, 3, 28), 0.36640625)],
            )
        },
    )
    load_tables(
        ws,
        "tgt",
        {"d": ([("k", "int"), ("day", "ts"), ("x", "float")], [(1, D(2024, 3, 28), 0.36640625)])},
    )
    c = run_yaml(ws, "checks: [{type: row_diff, table: d, key: k}]").checks[0]
    assert (c.status, c.failed_rows, c.total_rows) == ("passed", 0, 1)
