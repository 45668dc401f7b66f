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
from batchcore.datagen.schemas.finance_facts import (
    account_attrs,
    balances_table,
    currency_of_city,
    customer_city,
    transactions_table,
)
from batchcore.datagen.schemas.finance_values import (
    ACCOUNT_TYPES,
    CURRENCY_SCALE,
    EXCHANGES,
    INSTRUMENT_TYPES,
    MONTHS,
    NAME_STEMS,
    NAME_SUFFIXES,
    SALT,
    SECTORS,
    SEGMENTS,
)
from batchcore.datagen.spec import StarSchema, Table, TableBuilder
from batchcore.datagen.sqlfn import (
    choice,
    code,
    digits,
    lookup,
    pick_index,
    uniform_int,
)


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
    t.hidden("_ccity", "BIGINT", customer_city(c))
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
        currency_of_city("_ccity"),
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
    account_attrs(t, "i + 1", z["dim_customer"], seed)
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
        currency_of_city("_ccity"),
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

    tx = transactions_table(z, seed)
    tables.append(tx)
    tables.append(balances_table(z, seed, tx))
    return tables


FINANCE = StarSchema(
    "Finance",
    "finance",
    "fact_transactions",
    "Banking: customers, accounts, instruments, dates; transactions and month-end balances",
    build,
)
