"""Finance value lists: account types with their GL accounts, transaction types per account type,
channels, currencies, customer segments, instruments, exchanges and sectors.

Sources: GICS sector names (MSCI/S&P); exchange and currency codes (ISO 10383 MIC names,
ISO 4217); medians and shares are rounded retail-banking orders of magnitude chosen for
realistic skew.
"""

from __future__ import annotations

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
