"""Finance facts: transactions (the main fact) and month-end GL balances aggregated from them,
plus the keyed account / customer attributes both need (see finance.py for sizes and rules)."""

from __future__ import annotations

from batchcore.datagen import calendar as cal
from batchcore.datagen import values as V
from batchcore.datagen.schemas.finance_values import (
    ACCOUNT_TYPES,
    CHANNELS,
    CURRENCY_SCALE,
    MONTHS,
    SALT,
    TXN_NAMES,
    TXN_TYPES,
)
from batchcore.datagen.spec import Column, Streams, Table, TableBuilder, render_rows
from batchcore.datagen.sqlfn import (
    bucket_indices,
    choice,
    list_lit,
    lognormal,
    lookup,
    money,
    pick_index,
    skewed_key,
)


def customer_city(s: Streams) -> str:
    """Index into WORLD_CITIES of a customer (keyed on customer_key; population-weighted)."""
    return pick_index(s, [c[3] for c in V.WORLD_CITIES])


def currency_of_city(idx: str) -> str:
    """SQL: the ISO 4217 currency of a WORLD_CITIES index expression."""
    return lookup([c[2] for c in V.WORLD_CITIES], idx)


def account_attrs(t: TableBuilder, key: str, n_customers: int, seed: int) -> None:
    """Hidden columns _atype (ACCOUNT_TYPES index), _cust (owner) and _ccity (owner's city index),
    computed from the account key alone so dim_account and the facts agree."""
    a = t.streams(f"({key})::BIGINT", SALT["account_attrs"], "_a")
    t.hidden("_atype", "BIGINT", pick_index(a, [x[3] for x in ACCOUNT_TYPES]))
    t.hidden(
        "_cust",
        "BIGINT",
        f"CASE WHEN ({key}) <= {n_customers} THEN ({key}) ELSE 1 + {a.bits(40)} % {n_customers} END",
    )
    c = t.streams("_cust", SALT["customer_attrs"], "_c")
    t.hidden("_ccity", "BIGINT", customer_city(c))


def transactions_table(z: dict[str, int], seed: int) -> Table:
    """fact_transactions: `z["fact_transactions"]` postings; types and directions depend on the
    account type, amounts are lognormal around a per-type median scaled by currency."""
    t = TableBuilder(
        "fact_transactions",
        kind="fact",
        rows=z["fact_transactions"],
        rows_rule="row_count",
        description="Account postings (card payments, transfers, trades, interest, fees)",
        primary_key=("transaction_id",),
        seed=seed,
        salt=SALT["fact_transactions"],
    )
    r = t.row
    t.col("transaction_id", "BIGINT", "i + 1", "1..n")
    t.hidden("_day", "INTEGER", cal.seasonal_bucket(r))
    t.hidden("_month", "INTEGER", cal.month_index_of(cal.bucket_day("_day", "finance")))
    t.col(
        "date_key",
        "INTEGER",
        cal.bucket_date_key("_day", "finance"),
        "posting day (weekdays, month ends)",
        references="dim_date.date_key",
    )
    t.col(
        "account_key",
        "INTEGER",
        skewed_key(r, z["dim_account"], 2),
        references="dim_account.account_key",
    )
    account_attrs(t, "account_key", z["dim_customer"], seed)
    sub = f"{list_lit([b for g in TXN_TYPES for b in bucket_indices([x[2] for x in g], 256)])}[1 + _atype * 256 + {r.bits(20)} % 256]"
    t.hidden("_tt", "BIGINT", f"_atype * 4 + {sub}")
    t.col(
        "transaction_type",
        "VARCHAR",
        lookup([x[0] for g in TXN_TYPES for x in g], "_tt"),
        values=TXN_NAMES,
    )
    t.col(
        "direction",
        "VARCHAR",
        lookup([x[1] for g in TXN_TYPES for x in g], "_tt"),
        "D = debit, C = credit",
        values=("D", "C"),
    )
    t.col(
        "instrument_key",
        "INTEGER",
        f"CASE WHEN transaction_type IN ('Buy', 'Sell', 'Dividend') THEN "
        f"{skewed_key(r, z['dim_instrument'], 2)} END",
        "trades and dividends only (NULL otherwise)",
        references="dim_instrument.instrument_key",
        nullable=True,
    )
    t.col(
        "currency",
        "VARCHAR",
        currency_of_city("_ccity"),
        "the account's currency",
        values=tuple(sorted(CURRENCY_SCALE)),
    )
    median = lookup([x[3] for g in TXN_TYPES for x in g], "_tt")
    scale = lookup([CURRENCY_SCALE[c[2]] for c in V.WORLD_CITIES], "_ccity")
    t.col(
        "amount",
        "DECIMAL(14,2)",
        money(f"{median} * {scale} * {lognormal(r, 1.0, 0.9, 0.02, 40.0)}", 14),
        "positive; direction gives the sign",
        valid=(0.01, 1_000_000_000),
    )
    t.col(
        "channel",
        "VARCHAR",
        choice(r, [c for c, _ in CHANNELS], [w for _, w in CHANNELS]),
        values=tuple(c for c, _ in CHANNELS),
    )
    return t.build()


def balances_table(z: dict[str, int], seed: int, tx: Table) -> Table:
    """fact_balances: one row per account and month end, aggregated from the clean rows of `tx`
    (so debits, credits and counts reconcile with fact_transactions); opening = previous
    closing, the first opening is a keyed initial balance by account type."""
    n_acc = z["dim_account"]
    g = TableBuilder(
        "fact_balances",
        kind="fact",
        rows=z["fact_balances"],
        rows_rule="dim_account rows x 24",
        description="Month-end GL-style balances per account, reconciled with the transactions",
        primary_key=("account_key", "date_key"),
        seed=seed,
        salt=SALT["fact_balances"],
    )
    g.col("account_key", "INTEGER", f"i // {MONTHS} + 1", references="dim_account.account_key")
    g.hidden("_month", "INTEGER", f"i % {MONTHS}")
    g.col(
        "date_key",
        "INTEGER",
        lookup(cal.month_end_keys(), "_month"),
        "month end",
        references="dim_date.date_key",
    )
    account_attrs(g, "account_key", z["dim_customer"], seed)
    g.col(
        "gl_account",
        "VARCHAR",
        lookup([a[1] for a in ACCOUNT_TYPES], "_atype"),
        values=tuple(dict.fromkeys(a[1] for a in ACCOUNT_TYPES)),
    )
    g.col("currency", "VARCHAR", currency_of_city("_ccity"), values=tuple(sorted(CURRENCY_SCALE)))
    i = g.streams("account_key::BIGINT", SALT["account_attrs"] + 1000, "_o")
    scale = lookup([CURRENCY_SCALE[c[2]] for c in V.WORLD_CITIES], "_ccity")
    g.hidden(
        "_initial",
        "DECIMAL(16,2)",
        money(
            f"{lookup([a[4] for a in ACCOUNT_TYPES], '_atype')} * {scale} * "
            f"{lognormal(i, 1.0, 0.8, 0.05, 20.0)}",
            16,
        ),
    )
    grid = render_rows(g.build(), f"SELECT range AS i FROM range({n_acc * MONTHS})")
    txs = render_rows(tx, f"SELECT range AS i FROM range({tx.rows})")
    base = f"""
        SELECT i AS _i, account_key, date_key, gl_account, currency, opening_balance,
               total_debits, total_credits,
               CAST(opening_balance + total_credits - total_debits AS DECIMAL(18,2)) AS closing_balance,
               transaction_count
        FROM (
            SELECT g.i, g.account_key, g.date_key, g.gl_account, g.currency,
                   CAST(g._initial + coalesce(sum(coalesce(a.credits, 0) - coalesce(a.debits, 0)) OVER (
                        PARTITION BY g.account_key ORDER BY g._month
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS DECIMAL(18,2)) AS opening_balance,
                   CAST(coalesce(a.debits, 0) AS DECIMAL(18,2)) AS total_debits,
                   CAST(coalesce(a.credits, 0) AS DECIMAL(18,2)) AS total_credits,
                   CAST(coalesce(a.n, 0) AS INTEGER) AS transaction_count
            FROM ({grid}) AS g
            LEFT JOIN (SELECT account_key, _month, sum(amount) FILTER (WHERE direction = 'D') AS debits,
                              sum(amount) FILTER (WHERE direction = 'C') AS credits, count(*) AS n
                       FROM ({txs}) AS t GROUP BY account_key, _month) AS a
              ON a.account_key = g.account_key AND a._month = g._month
        ) AS b"""
    cols = [g.build().column(c) for c in ("account_key", "date_key", "gl_account", "currency")]
    money_col = "DECIMAL(18,2)"
    cols += [
        Column("opening_balance", money_col, "opening_balance", "previous month's closing balance"),
        Column(
            "total_debits", money_col, "total_debits", "sum of the month's debits", valid=(0, 1e12)
        ),
        Column(
            "total_credits",
            money_col,
            "total_credits",
            "sum of the month's credits",
            valid=(0, 1e12),
        ),
        Column("closing_balance", money_col, "closing_balance", "opening + credits - debits"),
        Column("transaction_count", "INTEGER", "transaction_count", valid=(0, 10_000_000)),
    ]
    return Table(
        "fact_balances",
        "fact",
        g.description,
        g.rows,
        g.rows_rule,
        g.primary_key,
        tuple(cols),
        index="_i",
        base_sql=base,
    )
