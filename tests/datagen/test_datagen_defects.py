"""Defects: exactly the requested counts land in the tables, and the ground truth says so."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from batchcore.datagen.generator import plan_generation, write_duckdb
from batchcore.errors import ConfigError
from batchcore.models import DataGenItem


def _count(cur, sql: str) -> int:
    return cur.execute(sql).fetchall()[0][0]


def measured(cur, expected: dict) -> int:
    """failed_rows of one expected check, computed in SQL with DESIGN §7 semantics."""
    t, cols = expected["table"], expected["columns"]
    kind = expected["check_type"]
    if kind == "not_null":
        return _count(cur, f"SELECT count(*) FROM {t} WHERE {cols[0]} IS NULL")
    if kind == "unique":
        key = ", ".join(cols)
        return _count(
            cur,
            f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {t} GROUP BY {key} HAVING n > 1)",
        )
    if kind == "relationships":
        return _count(
            cur,
            f"SELECT count(*) FROM {t} AS f WHERE f.{cols[0]} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {expected['to']} AS d WHERE d.{expected['field']} = f.{cols[0]})",
        )
    return _count(
        cur,
        f"SELECT count(*) FROM {t} WHERE {cols[0]} NOT BETWEEN {expected['min']} AND {expected['max']}",
    )


def test_retail_defects_exact_counts_and_ground_truth(cur):
    defects = {
        "fact_sales": {
            "nulls": {"customer_key": 17, "quantity": 0.002},
            "duplicate_keys": 9,
            "orphan_fks": {"product_key": 5, "date_key": 3},
            "out_of_range": {"quantity": 4, "discount_pct": 2},
        },
        "retail.dim_customer": {"duplicate_keys": 3, "nulls": {"email": 2}},
        "fact_returns": {"orphan_fks": {"sale_id": 6}},
    }
    plan = plan_generation("Retail", 10_000, 5, defects=defects)
    stats = {s.table: s.rows for s in write_duckdb(cur, plan)}
    assert stats["retail.fact_sales"] == 10_009 and stats["retail.dim_customer"] == 503
    truth = plan.ground_truth()
    assert truth["requested"]["retail.dim_customer"]["duplicate_keys"] == 3
    by_key = {
        (e["check_type"], e["table"], tuple(e["columns"])): e for e in truth["expected_failures"]
    }
    assert {k: e["failed_rows"] for k, e in by_key.items()} == {
        ("not_null", "retail.fact_sales", ("customer_key",)): 17,
        ("not_null", "retail.fact_sales", ("quantity",)): 20,  # 0.2 % of 10,000
        ("relationships", "retail.fact_sales", ("product_key",)): 5,
        ("relationships", "retail.fact_sales", ("date_key",)): 3,
        ("between", "retail.fact_sales", ("quantity",)): 4,
        ("between", "retail.fact_sales", ("discount_pct",)): 2,
        ("unique", "retail.fact_sales", ("sale_id",)): 18,
        ("not_null", "retail.dim_customer", ("email",)): 2,
        ("unique", "retail.dim_customer", ("customer_key",)): 6,
        ("relationships", "retail.fact_returns", ("sale_id",)): 6,
    }
    assert by_key[("unique", "retail.fact_sales", ("sale_id",))]["duplicate_keys"] == 9
    for e in truth["expected_failures"]:
        assert measured(cur, e) == e["failed_rows"], e
    # nothing else broke: other columns are still clean
    assert (
        _count(
            cur,
            "SELECT count(*) FROM retail.fact_sales WHERE store_key IS NULL OR net_amount IS NULL",
        )
        == 0
    )
    assert _count(cur, "SELECT count(*) - count(DISTINCT return_id) FROM retail.fact_returns") == 0
    injected = {(i["table"], i["kind"], i.get("column")): i for i in truth["injected"]}
    assert injected[("retail.fact_sales", "out_of_range", "quantity")]["injected_value"] == 51
    assert (
        injected[("retail.fact_sales", "orphan_fks", "product_key")]["references"]
        == "retail.dim_product.product_key"
    )


def test_defects_on_aggregated_and_derived_tables(cur):
    plan = plan_generation(
        "Finance",
        5_000,
        2,
        defects={
            "fact_balances": {
                "duplicate_keys": 7,
                "nulls": {"currency": 4},
                "out_of_range": {"transaction_count": 1},
            },
            "fact_transactions": {"orphan_fks": {"instrument_key": 3, "account_key": 2}},
        },
    )
    write_duckdb(cur, plan)
    for e in plan.ground_truth()["expected_failures"]:
        assert measured(cur, e) == e["failed_rows"], e
    assert (
        _count(cur, "SELECT count(*) FROM finance.fact_balances") == 150 * 24 + 7
    )  # 150 accounts at least
    plan = plan_generation(
        "Healthcare",
        5_000,
        2,
        defects={
            "fact_claims": {
                "orphan_fks": {"encounter_id": 4},
                "duplicate_keys": 2,
                "nulls": {"procedure_code": 0.001},
            },
        },
    )
    write_duckdb(cur, plan)
    assert [e["failed_rows"] for e in plan.ground_truth()["expected_failures"]] == [5, 4, 4]
    for e in plan.ground_truth()["expected_failures"]:
        assert measured(cur, e) == e["failed_rows"], e


def test_same_defect_spec_and_seed_give_the_same_defective_rows(cur):
    spec = {"fact_sales": {"nulls": {"store_key": 10}, "duplicate_keys": 3}}
    rows = []
    for _ in range(2):
        write_duckdb(cur, plan_generation("Retail", 2_000, 1, defects=spec))
        rows.append(
            cur.execute(
                "SELECT list(sale_id ORDER BY sale_id) FILTER (WHERE store_key IS NULL), "
                "(SELECT list(sale_id ORDER BY sale_id) FROM (SELECT sale_id FROM retail.fact_sales "
                "GROUP BY ALL HAVING count(*) > 1)) FROM retail.fact_sales"
            ).fetchall()[0]
        )
    assert rows[0] == rows[1]
    assert len(rows[0][0]) == 10 and len(rows[0][1]) == 3


@pytest.mark.parametrize(
    ("defects", "message"),
    [
        ({"fact_sale": {}}, "'fact_sale' is not a table of schema retail"),
        (
            {"fact_sales": {"nulls": {"sale_id": 1}}},
            "defects.fact_sales.nulls.sale_id: column 'sale_id' of retail.fact_sales is the primary key",
        ),
        (
            {"fact_sales": {"nulls": {"colour": 1}}},
            "column 'colour' of retail.fact_sales does not exist",
        ),
        (
            {"fact_sales": {"orphan_fks": {"quantity": 2}}},
            "retail.fact_sales.quantity is not a foreign key; allowed: ['date_key', 'customer_key'",
        ),
        (
            {"fact_sales": {"out_of_range": {"store_key": 2}}},
            "retail.fact_sales.store_key has no declared range",
        ),
        (
            {"fact_sales": {"duplicate_keys": 600, "nulls": {"quantity": 500}}},
            "1100 defect rows asked for, but retail.fact_sales has only 1000 rows",
        ),
    ],
)
def test_bad_defects_are_rejected_naming_the_field(defects, message):
    with pytest.raises(ConfigError) as exc:
        plan_generation("Retail", 1000, 1, defects=defects)
    assert message in exc.value.message
    with pytest.raises(ValidationError) as verr:
        DataGenItem.model_validate({"schema_type": "Retail", "row_count": 1000, "defects": defects})
    assert message in str(verr.value)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (1.5, "a rate must be strictly between 0 and 1 (got 1.5)"),
        (-2, "a count of rows cannot be negative (got -2)"),
        ("3", "'3' is not an amount"),
        (True, "True is not an amount"),
    ],
)
def test_amounts_are_counts_or_rates(amount, message):
    with pytest.raises(ValidationError) as verr:
        DataGenItem.model_validate(
            {"schema_type": "Retail", "defects": {"fact_sales": {"nulls": {"quantity": amount}}}}
        )
    err = verr.value.errors()[0]
    assert err["loc"] == ("defects", "fact_sales", "nulls", "quantity") and message in err["msg"]
    with pytest.raises(ValidationError):
        DataGenItem.model_validate(
            {"schema_type": "Retail", "defects": {"fact_sales": {"nullz": {}}}}
        )


def test_table_name_generates_that_table_and_what_it_needs(cur):
    plan = plan_generation("Retail", 1000, 1, table_name="retail.fact_returns")
    assert [t.name for t in plan.tables] == [
        "dim_date",
        "dim_customer",
        "dim_product",
        "dim_store",
        "fact_sales",
        "fact_returns",
    ]
    plan = plan_generation("Healthcare", 1000, 1, table_name="DIM_PROVIDER")
    assert [t.name for t in plan.tables] == ["dim_facility", "dim_provider"]
    write_duckdb(cur, plan)
    assert cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'healthcare' ORDER BY 1"
    ).fetchall() == [("dim_facility",), ("dim_provider",)]
    with pytest.raises(
        ConfigError,
        match=r"table_name 'fact_sale' is not a table of the Retail schema \(tables: \['dim_date'",
    ):
        plan_generation("Retail", 1000, 1, table_name="fact_sale")
    with pytest.raises(
        ConfigError,
        match=r"defects for \['fact_sales'\] but table_name='dim_store' does not generate them",
    ):
        plan_generation(
            "Retail", 1000, 1, table_name="dim_store", defects={"fact_sales": {"duplicate_keys": 1}}
        )
