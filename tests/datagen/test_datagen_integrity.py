"""Clean generations: keys join, declared ranges and value sets hold, documented sizes and
distributions are what the docs say."""

from __future__ import annotations

import pytest

from batchcore.datagen.generator import plan_generation, write_duckdb
from batchcore.datagen.schemas import finance, healthcare, retail
from batchcore.datagen.spec import quote

SIZES = {"Retail": retail.sizes, "Finance": finance.sizes, "Healthcare": healthcare.sizes}


def violations(cur, schema: str, tables) -> dict[str, int]:
    """Every declared rule of every table, as {rule: offending rows} computed in SQL."""
    out = {}
    for t in tables:
        q = f"{schema}.{quote(t.name)}"
        pk = ", ".join(quote(c) for c in t.primary_key)
        out[f"{t.name}: duplicate {pk}"] = cur.execute(
            f"SELECT count(*) - count(DISTINCT ({pk})) FROM {q}"
        ).fetchall()[0][0]
        for c in t.columns:
            col = quote(c.name)
            if not c.nullable:
                out[f"{t.name}.{c.name} NULL"] = cur.execute(
                    f"SELECT count(*) FROM {q} WHERE {col} IS NULL"
                ).fetchall()[0][0]
            if c.references:
                rt, rc = c.references.split(".")
                out[f"{t.name}.{c.name} orphan"] = cur.execute(
                    f"SELECT count(*) FROM {q} AS f WHERE f.{col} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {schema}.{quote(rt)} AS d WHERE d.{quote(rc)} = f.{col})"
                ).fetchall()[0][0]
            if c.valid:
                out[f"{t.name}.{c.name} out of range"] = cur.execute(
                    f"SELECT count(*) FROM {q} WHERE {col} NOT BETWEEN ? AND ?", list(c.valid)
                ).fetchall()[0][0]
            if c.values:
                out[f"{t.name}.{c.name} unexpected value"] = cur.execute(
                    f"SELECT count(*) FROM {q} WHERE {col} NOT IN (SELECT unnest(?))",
                    [list(c.values)],
                ).fetchall()[0][0]
    return out


@pytest.mark.parametrize("schema_type", ["Retail", "Finance", "Healthcare"])
def test_clean_generation_keeps_every_declared_rule(cur, schema_type):
    plan = plan_generation(schema_type, 6000, 11)
    stats = write_duckdb(cur, plan)
    assert {s.table.split(".")[1]: s.rows for s in stats} == SIZES[schema_type](6000)
    bad = {k: v for k, v in violations(cur, plan.schema_name, plan.tables).items() if v}
    assert bad == {}
    # the rules were really checked: one per key, column rule and reference
    assert len(violations(cur, plan.schema_name, plan.tables)) > 40


def test_documented_sizes_scale_with_row_count():
    assert retail.sizes(10_000_000) == {
        "dim_date": 731,
        "dim_customer": 500_000,
        "dim_product": 10_000,
        "dim_store": 100,
        "fact_sales": 10_000_000,
        "fact_returns": 400_000,
    }
    assert finance.sizes(1_000_000)["fact_balances"] == 10_000 * 24
    assert healthcare.sizes(1_000)["fact_claims"] == 900
    assert retail.sizes(10)["dim_customer"] == 100 and retail.sizes(10)["fact_returns"] == 0


def test_retail_distributions(cur):
    write_duckdb(cur, plan_generation("Retail", 200_000, 3))
    q1, top20, nov_dec, feb, busiest = cur.execute("""
        WITH c AS (SELECT customer_key, count(*) AS n FROM retail.fact_sales GROUP BY ALL),
             d AS (SELECT date_key, count(*) AS n FROM retail.fact_sales GROUP BY ALL)
        SELECT (SELECT avg((quantity = 1)::INT) FROM retail.fact_sales),
               (SELECT sum(n) FILTER (WHERE customer_key <= 2000) / sum(n) FROM c),
               (SELECT avg((date_key % 10000 // 100 IN (11, 12))::INT) FROM retail.fact_sales),
               (SELECT avg((date_key % 10000 // 100 = 2)::INT) FROM retail.fact_sales),
               (SELECT date_key FROM d ORDER BY n DESC LIMIT 1)""").fetchall()[0]
    assert 0.52 < q1 < 0.58  # QUANTITIES: 55 % single units
    assert 0.54 < top20 < 0.62  # power 3: the top 20 % of 10,000 customers buy 0.2**(1/3) = 58 %
    assert nov_dec > 2.5 * feb  # holiday season (two months) vs February
    # Black Friday (x3) or the Saturday before Christmas (x2 on a December Saturday)
    assert busiest in (20241129, 20251128, 20241221, 20251220)
    price_ok = cur.execute("""SELECT count(*) FROM retail.fact_sales s JOIN retail.dim_product p USING (product_key)
                              WHERE s.unit_price <> p.list_price""").fetchall()[0][0]
    assert price_ok == 0
    refunds = cur.execute("""SELECT count(*) FROM retail.fact_returns r JOIN retail.fact_sales s USING (sale_id)
                             WHERE r.return_quantity > s.quantity OR r.date_key <= s.date_key AND s.date_key < 20251231
                                OR r.product_key <> s.product_key""").fetchall()[0][0]
    assert refunds == 0


def test_finance_balances_reconcile_with_transactions(cur):
    write_duckdb(cur, plan_generation("Finance", 30_000, 5))
    mismatches = cur.execute("""
        WITH t AS (SELECT account_key, date_key // 100 AS ym,
                          coalesce(sum(amount) FILTER (WHERE direction = 'D'), 0) AS d,
                          coalesce(sum(amount) FILTER (WHERE direction = 'C'), 0) AS c, count(*) AS n
                   FROM finance.fact_transactions GROUP BY ALL),
             b AS (SELECT *, lag(closing_balance) OVER (PARTITION BY account_key ORDER BY date_key) AS prev_close
                   FROM finance.fact_balances)
        SELECT count(*) FILTER (WHERE b.closing_balance <> b.opening_balance + b.total_credits - b.total_debits),
               count(*) FILTER (WHERE b.total_debits <> coalesce(t.d, 0) OR b.total_credits <> coalesce(t.c, 0)
                                OR b.transaction_count <> coalesce(t.n, 0)),
               count(*) FILTER (WHERE b.opening_balance <> coalesce(b.prev_close, b.opening_balance)),
               sum(b.transaction_count)
        FROM b LEFT JOIN t ON t.account_key = b.account_key AND t.ym = b.date_key // 100""").fetchall()[
        0
    ]
    assert mismatches == (0, 0, 0, 30_000)
    trades = cur.execute("""SELECT count(*) FILTER (WHERE (instrument_key IS NULL) = (transaction_type IN ('Buy', 'Sell', 'Dividend'))),
                                   count(*) FILTER (WHERE t.currency <> a.currency)
                            FROM finance.fact_transactions t JOIN finance.dim_account a USING (account_key)""").fetchall()[
        0
    ]
    assert trades == (0, 0)


def test_healthcare_coherence(cur):
    write_duckdb(cur, plan_generation("Healthcare", 30_000, 9))
    row = cur.execute("""
        SELECT (SELECT count(*) FROM healthcare.fact_encounters e JOIN healthcare.dim_provider p USING (provider_key)
                WHERE e.facility_key <> p.facility_key),
               (SELECT count(*) FROM healthcare.fact_claims c JOIN healthcare.dim_patient p USING (patient_key)
                WHERE c.payer <> p.insurance_type),
               (SELECT avg((insurance_type = 'Medicare')::INT) FROM healthcare.dim_patient
                WHERE birth_date <= DATE '1958-12-31'),
               (SELECT count(*) FROM healthcare.fact_encounters WHERE (length_of_stay_days > 0) <> (encounter_type = 'Inpatient')),
               (SELECT count(*) FROM healthcare.fact_claims WHERE paid_amount > allowed_amount OR allowed_amount > billed_amount),
               (SELECT count(*) FROM healthcare.fact_claims c JOIN healthcare.fact_encounters e USING (encounter_id)
                WHERE c.billed_amount <> e.total_charge OR c.service_date_key <> e.date_key)
        """).fetchall()[0]
    assert row[0] == row[1] == row[3] == row[4] == row[5] == 0
    assert row[2] > 0.9  # 94 % of patients aged 65+ are on Medicare
