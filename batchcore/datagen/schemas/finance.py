"""Finance star schema: customers, accounts, instruments, dates; facts transactions and balances.

Sizes for `n` = row_count (fact_transactions rows):

| table | rows |
|---|---|
| dim_date | 731 |
| dim_customer | n / 200, at least 100 |
| dim_account | n / 100, at least 150 (every customer has one; the rest go to random customers) |
| dim_instrument | n / 10,000, between 100 and 5,000 |
| fact_transactions | n |
| fact_balances | dim_account rows x 24 (one GL-style row per account and month end) |

Balances reconcile with transactions: for each account and month, total_debits and
total_credits are the sums of that month's transactions, opening = previous closing (the first
opening is the account's initial balance) and closing = opening + credits - debits.
"""

from __future__ import annotations

from batchcore.datagen import calendar as cal
from batchcore.datagen import values as V
from batchcore.datagen.schemas.common import birth_date, date_between, person
from batchcore.datagen.spec import Column, StarSchema, Streams, Table, TableBuilder, render_rows
from batchcore.datagen.sqlfn import (
    bucket_indices,
    choice,
    code,
    digits,
    list_lit,
    lognormal,
    lookup,
    money,
    pick_index,
    skewed_key,
    uniform_int,
)

# (account type, GL account, GL account name, share of accounts, typical opening balance; negative = owed)
ACCOUNT_TYPES = (
    ("Checking", "2010", "Customer deposits - checking", 35, 3_000.0),
    ("Savings", "2020", "Customer deposits - savings", 25, 15_000.0),
    ("Credit Card", "1310", "Card receivables", 20, -1_200.0),
    ("Mortgage", "1330", "Mortgage loans", 5, -250_000.0),
    ("Personal Loan", "1320", "Consumer loans", 7, -12_000.0),
    ("Brokerage", "2050", "Client brokerage cash", 8, 40_000.0),
)
# Per account type: 4 transaction types (name, direction D=debit/C=credit, weight, median amount).
TXN_TYPES = (
    (
        ("Card Payment", "D", 45, 45.0),
        ("Transfer Out", "D", 15, 400.0),
        ("Direct Deposit", "C", 20, 2_800.0),
        ("ATM Withdrawal", "D", 20, 80.0),
    ),
    (
        ("Deposit", "C", 45, 500.0),
        ("Withdrawal", "D", 25, 300.0),
        ("Interest", "C", 20, 12.0),
        ("Transfer Out", "D", 10, 400.0),
    ),
    (
        ("Purchase", "D", 75, 60.0),
        ("Payment", "C", 20, 900.0),
        ("Fee", "D", 3, 25.0),
        ("Interest", "D", 2, 30.0),
    ),
    (
        ("Repayment", "C", 85, 1_500.0),
        ("Interest", "D", 10, 700.0),
        ("Fee", "D", 3, 25.0),
        ("Disbursement", "D", 2, 20_000.0),
    ),
    (
        ("Repayment", "C", 85, 450.0),
        ("Interest", "D", 10, 80.0),
        ("Fee", "D", 3, 25.0),
        ("Disbursement", "D", 2, 8_000.0),
    ),
    (
        ("Buy", "D", 40, 2_500.0),
        ("Sell", "C", 30, 2_500.0),
        ("Dividend", "C", 15, 80.0),
        ("Deposit", "C", 15, 5_000.0),
    ),
)
TXN_NAMES = tuple(dict.fromkeys(name for group in TXN_TYPES for name, *_ in group))
CHANNELS = (
    ("Mobile", 42),
    ("Online", 25),
    ("Card", 18),
    ("Branch", 6),
    ("ATM", 5),
    ("Internal", 4),
)
# Amounts are drawn in USD-like units and scaled by a rough price level of the currency.
CURRENCY_SCALE = {
    "USD": 1.0,
    "EUR": 1.0,
    "GBP": 0.8,
    "CHF": 0.9,
    "CAD": 1.35,
    "JPY": 150.0,
    "SEK": 10.0,
    "SGD": 1.35,
    "HKD": 7.8,
    "AUD": 1.5,
}
SEGMENTS = (("Retail", 70), ("SME", 17), ("Private Banking", 8), ("Corporate", 5))
INSTRUMENT_TYPES = (
    ("Equity", 60),
    ("ETF", 15),
    ("Corporate Bond", 9),
    ("Government Bond", 8),
    ("Mutual Fund", 8),
)
EXCHANGES = (
    ("NYSE", "US", "USD", 30),
    ("NASDAQ", "US", "USD", 30),
    ("LSE", "GB", "GBP", 10),
    ("XETRA", "DE", "EUR", 8),
    ("Euronext Paris", "FR", "EUR", 7),
    ("SIX", "CH", "CHF", 5),
    ("TSE", "JP", "JPY", 7),
    ("HKEX", "HK", "HKD", 3),
)
SECTORS = (
    "Information Technology",
    "Health Care",
    "Financials",
    "Consumer Discretionary",
    "Industrials",
    "Communication Services",
    "Consumer Staples",
    "Energy",
    "Utilities",
    "Real Estate",
    "Materials",
)
NAME_STEMS = (
    "Atlas",
    "Summit",
    "Pioneer",
    "Harbor",
    "Evergreen",
    "Quantum",
    "Sterling",
    "Meridian",
    "Apex",
    "Horizon",
    "Vertex",
    "Nova",
    "Granite",
    "Beacon",
    "Cobalt",
    "Redwood",
    "Silverline",
    "Northstar",
)
NAME_SUFFIXES = (
    "Holdings",
    "Group",
    "Corp",
    "Industries",
    "Technologies",
    "Energy",
    "Bancorp",
    "Pharma",
    "Systems",
    "Partners",
    "Capital",
    "Logistics",
)
MONTHS = 24

SALT = {
    "dim_date": 101,
    "dim_customer": 110,
    "customer_attrs": 111,
    "dim_account": 120,
    "account_attrs": 121,
    "dim_instrument": 130,
    "fact_transactions": 140,
    "fact_balances": 150,
}


def sizes(n: int) -> dict[str, int]:
    """Rows per table for `n` transactions (see the module table)."""
    acc = max(150, n // 100)
    return {
        "dim_date": cal.DAYS,
        "dim_customer": max(100, n // 200),
        "dim_account": acc,
        "dim_instrument": max(100, min(5_000, n // 10_000)),
        "fact_transactions": n,
        "fact_balances": acc * MONTHS,
    }


def _customer_city(s: Streams) -> str:
    """Index into WORLD_CITIES of a customer (keyed on customer_key; population-weighted)."""
    return pick_index(s, [c[3] for c in V.WORLD_CITIES])


def _currency_of_city(idx: str) -> str:
    return lookup([c[2] for c in V.WORLD_CITIES], idx)


def _account_attrs(t: TableBuilder, key: str, n_customers: int, seed: int) -> None:
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
    t.hidden("_ccity", "BIGINT", _customer_city(c))


def _transactions(z: dict[str, int], seed: int) -> Table:
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
    _account_attrs(t, "account_key", z["dim_customer"], seed)
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
        _currency_of_city("_ccity"),
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


def _balances(z: dict[str, int], seed: int, tx: Table) -> Table:
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
    _account_attrs(g, "account_key", z["dim_customer"], seed)
    g.col(
        "gl_account",
        "VARCHAR",
        lookup([a[1] for a in ACCOUNT_TYPES], "_atype"),
        values=tuple(dict.fromkeys(a[1] for a in ACCOUNT_TYPES)),
    )
    g.col("currency", "VARCHAR", _currency_of_city("_ccity"), values=tuple(sorted(CURRENCY_SCALE)))
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


def build(n: int, seed: int) -> list[Table]:
    """The Finance tables for `n` transactions, in dependency order."""
    z = sizes(n)
    tables = [cal.dim_date(seed, SALT["dim_date"])]

    t = TableBuilder(
        "dim_customer",
        kind="dimension",
        rows=z["dim_customer"],
        rows_rule="row_count / 200, at least 100",
        description="Bank customers with segment, risk rating and home city",
        primary_key=("customer_key",),
        seed=seed,
        salt=SALT["dim_customer"],
    )
    t.col("customer_key", "INTEGER", "i + 1", "surrogate key 1..n")
    t.col("customer_number", "VARCHAR", code("CU", "customer_key", 8), "business key")
    person(t, "customer_key")
    t.col("birth_date", "DATE", birth_date(t.row, 45, 16, 18, 95))
    t.col(
        "segment",
        "VARCHAR",
        choice(t.row, [s for s, _ in SEGMENTS], [w for _, w in SEGMENTS]),
        values=tuple(s for s, _ in SEGMENTS),
    )
    c = t.streams("(i + 1)::BIGINT", SALT["customer_attrs"], "_c")
    t.hidden("_ccity", "BIGINT", _customer_city(c))
    t.col("city", "VARCHAR", lookup([x[0] for x in V.WORLD_CITIES], "_ccity"))
    t.col(
        "country_code",
        "VARCHAR",
        lookup([x[1] for x in V.WORLD_CITIES], "_ccity"),
        "ISO 3166-1 alpha-2",
    )
    t.col(
        "home_currency",
        "VARCHAR",
        _currency_of_city("_ccity"),
        "ISO 4217",
        values=tuple(sorted(CURRENCY_SCALE)),
    )
    t.col(
        "risk_rating",
        "VARCHAR",
        choice(t.row, ("Low", "Medium", "High"), (70, 24, 6)),
        values=("Low", "Medium", "High"),
    )
    t.col(
        "kyc_status",
        "VARCHAR",
        choice(t.row, ("Verified", "Pending", "Expired"), (93, 5, 2)),
        values=("Verified", "Pending", "Expired"),
    )
    t.col("onboarding_date", "DATE", date_between(t.row, "2005-01-01", "2023-12-31"))
    tables.append(t.build())

    t = TableBuilder(
        "dim_account",
        kind="dimension",
        rows=z["dim_account"],
        rows_rule="row_count / 100, at least 150",
        description="Deposit, card, loan and brokerage accounts with their GL account",
        primary_key=("account_key",),
        seed=seed,
        salt=SALT["dim_account"],
    )
    t.col("account_key", "INTEGER", "i + 1", "surrogate key 1..n")
    _account_attrs(t, "i + 1", z["dim_customer"], seed)
    t.col(
        "account_number",
        "VARCHAR",
        f"{lookup([x[1] for x in V.WORLD_CITIES], '_ccity')} || {digits(t.row, 2)} || "
        f"lpad(account_key::VARCHAR, 12, '0')",
        "IBAN-shaped: country, 2 digits, 12-digit number",
    )
    t.col("customer_key", "INTEGER", "_cust", references="dim_customer.customer_key")
    t.col(
        "account_type",
        "VARCHAR",
        lookup([a[0] for a in ACCOUNT_TYPES], "_atype"),
        values=tuple(a[0] for a in ACCOUNT_TYPES),
    )
    t.col(
        "gl_account",
        "VARCHAR",
        lookup([a[1] for a in ACCOUNT_TYPES], "_atype"),
        "general-ledger account",
        values=tuple(dict.fromkeys(a[1] for a in ACCOUNT_TYPES)),
    )
    t.col("gl_account_name", "VARCHAR", lookup([a[2] for a in ACCOUNT_TYPES], "_atype"))
    t.col(
        "currency",
        "VARCHAR",
        _currency_of_city("_ccity"),
        "the owner's home currency",
        values=tuple(sorted(CURRENCY_SCALE)),
    )
    t.col(
        "status",
        "VARCHAR",
        choice(t.row, ("Open", "Dormant", "Closed"), (88, 7, 5)),
        values=("Open", "Dormant", "Closed"),
    )
    t.col("opened_date", "DATE", date_between(t.row, "2005-01-01", "2023-12-31"))
    t.col(
        "credit_limit",
        "DECIMAL(12,2)",
        f"CASE WHEN account_type = 'Credit Card' THEN "
        f"{lookup([1000, 2500, 5000, 7500, 10000, 15000, 25000], f'{t.row.bits(12)} % 7')} END",
        "credit cards only (NULL otherwise)",
        nullable=True,
    )
    t.col(
        "interest_rate",
        "DECIMAL(6,4)",
        f"{lookup([0.0005, 0.0350, 0.2199, 0.0650, 0.0990, 0.0], '_atype')} + "
        f"{uniform_int(t.row, 0, 150)} / 10000.0",
        "annual rate",
        valid=(0, 0.30),
    )
    tables.append(t.build())

    t = TableBuilder(
        "dim_instrument",
        kind="dimension",
        rows=z["dim_instrument"],
        rows_rule="row_count / 10,000, 100..5,000",
        description="Tradable securities (equities, ETFs, bonds, funds)",
        primary_key=("instrument_key",),
        seed=seed,
        salt=SALT["dim_instrument"],
    )
    r = t.row
    t.col("instrument_key", "INTEGER", "i + 1", "surrogate key 1..n")
    t.hidden("_ex", "BIGINT", pick_index(r, [e[3] for e in EXCHANGES]))
    letters = " || ".join(f"chr((65 + {r.bits(10)} % 26)::INTEGER)" for _ in range(4))
    t.col("symbol", "VARCHAR", f"left({letters}, 3 + {r.bits(1)})", "3-4 letters (not unique)")
    t.col(
        "isin",
        "VARCHAR",
        f"{lookup([e[1] for e in EXCHANGES], '_ex')} || {digits(r, 10)}",
        "ISIN-shaped",
    )
    t.col(
        "instrument_type",
        "VARCHAR",
        choice(r, [x for x, _ in INSTRUMENT_TYPES], [w for _, w in INSTRUMENT_TYPES]),
        values=tuple(x for x, _ in INSTRUMENT_TYPES),
    )
    t.col(
        "instrument_name",
        "VARCHAR",
        f"{choice(r, NAME_STEMS)} || ' ' || {choice(r, NAME_SUFFIXES)} || "
        f"CASE instrument_type WHEN 'ETF' THEN ' Index ETF' WHEN 'Corporate Bond' THEN ' 4.25% 2031' "
        f"WHEN 'Government Bond' THEN ' Treasury 3.5% 2034' WHEN 'Mutual Fund' THEN ' Growth Fund' ELSE '' END",
    )
    t.col(
        "exchange",
        "VARCHAR",
        lookup([e[0] for e in EXCHANGES], "_ex"),
        values=tuple(e[0] for e in EXCHANGES),
    )
    t.col(
        "currency",
        "VARCHAR",
        lookup([e[2] for e in EXCHANGES], "_ex"),
        values=tuple(sorted(CURRENCY_SCALE)),
    )
    t.col("sector", "VARCHAR", choice(r, SECTORS), "GICS sector")
    tables.append(t.build())

    tx = _transactions(z, seed)
    tables.append(tx)
    tables.append(_balances(z, seed, tx))
    return tables


FINANCE = StarSchema(
    "Finance",
    "finance",
    "fact_transactions",
    "Banking: customers, accounts, instruments, dates; transactions and month-end balances",
    build,
)
