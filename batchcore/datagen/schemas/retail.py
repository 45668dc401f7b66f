"""Retail star schema: customers, products, stores, dates; facts sales and returns.

Sizes for `n` = row_count (fact_sales rows):

| table | rows |
|---|---|
| dim_date | 731 |
| dim_customer | n / 20, at least 100 |
| dim_product | n / 1,000, between 50 and 50,000 |
| dim_store | n / 100,000, between 10 and 2,000 |
| fact_sales | n |
| fact_returns | n / 25 (4 % of sales lines, at most one return per line) |
"""

from __future__ import annotations

from batchcore.datagen import calendar as cal
from batchcore.datagen.schemas.common import birth_date, clamp, date_between, person, us_city
from batchcore.datagen.spec import Source, StarSchema, Streams, Table, TableBuilder, stream_seed
from batchcore.datagen.sqlfn import (
    bucket_indices,
    choice,
    code,
    list_lit,
    lognormal,
    lookup,
    money,
    skewed_key,
    uniform_int,
    unit,
)

# (category, subcategory, product nouns, typical price low, high, share of the catalogue)
CATALOGUE = (
    ("Electronics", "Headphones", ("Headphones", "Earbuds"), 15, 400, 5),
    ("Electronics", "Phones", ("Smartphone", "Phone Case"), 10, 1300, 4),
    ("Electronics", "Computers", ("Laptop", "Monitor", "Keyboard"), 20, 2500, 4),
    ("Electronics", "Accessories", ("USB-C Cable", "Charger", "Power Bank"), 5, 90, 6),
    ("Home & Kitchen", "Cookware", ("Frying Pan", "Saucepan", "Knife Set"), 12, 350, 6),
    ("Home & Kitchen", "Bedding", ("Duvet", "Pillow", "Sheet Set"), 15, 300, 5),
    ("Home & Kitchen", "Lighting", ("Desk Lamp", "LED Bulb", "Floor Lamp"), 4, 250, 4),
    ("Apparel", "Tops", ("T-Shirt", "Sweater", "Hoodie"), 8, 120, 9),
    ("Apparel", "Bottoms", ("Jeans", "Chinos", "Shorts"), 15, 150, 7),
    ("Apparel", "Footwear", ("Sneakers", "Boots", "Sandals"), 20, 250, 6),
    ("Apparel", "Outerwear", ("Jacket", "Raincoat", "Parka"), 35, 450, 4),
    ("Grocery", "Coffee & Tea", ("Coffee Beans", "Green Tea", "Espresso Pods"), 3, 40, 8),
    ("Grocery", "Snacks", ("Granola Bar", "Crisps", "Trail Mix"), 1, 15, 9),
    ("Beauty", "Skincare", ("Moisturiser", "Cleanser", "Sunscreen"), 5, 120, 6),
    ("Beauty", "Fragrance", ("Eau de Parfum", "Body Mist"), 15, 200, 3),
    ("Sports", "Fitness", ("Yoga Mat", "Dumbbell", "Resistance Band"), 8, 300, 5),
    ("Sports", "Cycling", ("Bike Helmet", "Bike Light", "Road Bike"), 10, 2200, 3),
    ("Toys", "Toys & Games", ("Board Game", "Building Blocks", "Puzzle"), 8, 150, 6),
)
BRANDS = (
    "Acme",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Wonka",
    "Oscorp",
    "Aperture",
)
ADJECTIVES = (
    "Classic",
    "Pro",
    "Eco",
    "Ultra",
    "Essential",
    "Premium",
    "Compact",
    "Deluxe",
    "Smart",
    "Everyday",
)
STORE_TYPES = (("Flagship", 4), ("Mall", 38), ("High Street", 34), ("Outlet", 12), ("Online", 12))
LOYALTY_TIERS = (("Bronze", 60), ("Silver", 25), ("Gold", 12), ("Platinum", 3))
QUANTITIES = ((1, 55), (2, 20), (3, 10), (4, 6), (5, 4), (6, 2), (8, 1.5), (10, 1), (12, 0.5))
DISCOUNTS = ((0, 70), (5, 8), (10, 10), (15, 5), (20, 5), (30, 2))  # percent
RETURN_REASONS = (
    ("Wrong size", 30),
    ("Damaged", 18),
    ("Not as described", 17),
    ("Changed mind", 25),
    ("Late delivery", 6),
    ("Defective", 4),
)
RETURN_EVERY = 25  # one return per 25 sales lines (4 %)

SALT = {
    "dim_date": 1,
    "dim_customer": 10,
    "dim_product": 20,
    "product_attrs": 21,
    "dim_store": 30,
    "fact_sales": 40,
    "fact_returns": 50,
    "return_pick": 51,
}


def sizes(n: int) -> dict[str, int]:
    """Rows per table for `n` fact_sales rows (see the module table)."""
    return {
        "dim_date": cal.DAYS,
        "dim_customer": max(100, n // 20),
        "dim_product": clamp(n // 1000, 50, 50_000),
        "dim_store": clamp(n // 100_000, 10, 2_000),
        "fact_sales": n,
        "fact_returns": n // RETURN_EVERY,
    }


def _price_buckets() -> tuple[list[int], list[int]]:
    """1,024 (subcategory index, list price in cents) buckets.

    Subcategories get buckets in proportion to their share of the catalogue; the k-th of a
    subcategory's m buckets costs low + (high - low) * q**3 whole dollars + .99 with
    q = (k + 0.5) / m (right-skewed: the median item costs ~1/8 of the way up the range).
    """
    subs = bucket_indices([c[5] for c in CATALOGUE])
    cents, seen = [], [0] * len(CATALOGUE)
    count = [subs.count(k) for k in range(len(CATALOGUE))]
    for b in subs:
        lo, hi = CATALOGUE[b][3], CATALOGUE[b][4]
        q = (seen[b] + 0.5) / count[b]
        seen[b] += 1
        cents.append((lo + int((hi - 1 - lo) * q**3)) * 100 + 99)
    return subs, cents


def _product_attrs(s: Streams) -> tuple[str, str]:
    """(subcategory index, list price in cents) of a product, from its keyed stream `s`.

    Shared by dim_product and fact_sales (the same 10 bits), so a sale's unit price is the
    product's list price without a join: one 1,024-entry list lookup (measured cheaper than
    computing a price per row). Money is computed in integer cents and converted to DECIMAL
    once (DECIMAL products wider than 18 digits fall back to 128-bit arithmetic).
    """
    subs, cents = _price_buckets()
    b = s.bits(10)
    return f"{list_lit(subs)}[1 + {b}]", f"{list_lit(cents)}[1 + {b}]"


def build(n: int, seed: int) -> list[Table]:
    """The Retail tables for `n` sales lines, in dependency order."""
    z = sizes(n)
    tables = [cal.dim_date(seed, SALT["dim_date"])]

    t = TableBuilder(
        "dim_customer",
        kind="dimension",
        rows=z["dim_customer"],
        rows_rule="row_count / 20, at least 100",
        description="Shoppers with loyalty tier and home city",
        primary_key=("customer_key",),
        seed=seed,
        salt=SALT["dim_customer"],
    )
    t.col("customer_key", "INTEGER", "i + 1", "surrogate key 1..n")
    t.col("customer_code", "VARCHAR", code("C", "customer_key", 9), "business key")
    person(t, "customer_key")
    t.col("birth_date", "DATE", birth_date(t.row, 42, 15, 18, 90))
    us_city(t, t.row)
    t.col(
        "loyalty_tier",
        "VARCHAR",
        choice(t.row, [v for v, _ in LOYALTY_TIERS], [w for _, w in LOYALTY_TIERS]),
        values=tuple(v for v, _ in LOYALTY_TIERS),
    )
    t.col("signup_date", "DATE", date_between(t.row, "2012-01-01", "2023-12-31"))
    tables.append(t.build())

    t = TableBuilder(
        "dim_product",
        kind="dimension",
        rows=z["dim_product"],
        rows_rule="row_count / 1,000, 50..50,000",
        description="Catalogue items with category, brand, price and cost",
        primary_key=("product_key",),
        seed=seed,
        salt=SALT["dim_product"],
    )
    t.col("product_key", "INTEGER", "i + 1", "surrogate key 1..n")
    t.col("sku", "VARCHAR", code("SKU-", "product_key", 7), "business key")
    p = t.streams("(i + 1)::BIGINT", SALT["product_attrs"], "_p")
    sub, price = _product_attrs(p)
    t.hidden("_sub", "BIGINT", sub)
    t.hidden("_cents", "INTEGER", price)
    noun_idx = t.hidden("_noun", "BIGINT", t.row.bits(16))
    nouns = [c[2][k % len(c[2])] for c in CATALOGUE for k in range(6)]
    t.col(
        "product_name",
        "VARCHAR",
        f"{choice(t.row, BRANDS)} || ' ' || {choice(t.row, ADJECTIVES)} || ' ' || "
        f"{lookup(nouns, f'_sub * 6 + {noun_idx} % 6')}",
    )
    t.col(
        "category",
        "VARCHAR",
        lookup([c[0] for c in CATALOGUE], "_sub"),
        values=tuple(dict.fromkeys(c[0] for c in CATALOGUE)),
    )
    t.col("subcategory", "VARCHAR", lookup([c[1] for c in CATALOGUE], "_sub"))
    t.col("brand", "VARCHAR", "split_part(product_name, ' ', 1)")
    t.col("list_price", "DECIMAL(10,2)", "_cents * 0.01", "USD, ends in .99", valid=(0.01, 10000))
    t.col(
        "unit_cost",
        "DECIMAL(10,2)",
        money(f"list_price * (0.35 + 0.35 * {unit(t.row)})", 10),
        "USD, 35-70 % of list price",
        valid=(0.0, 10000),
    )
    t.col("launch_date", "DATE", date_between(t.row, "2015-01-01", "2025-06-30"))
    t.col("is_active", "BOOLEAN", f"{t.row.bits(7)} < 118", "92 % active")
    tables.append(t.build())

    t = TableBuilder(
        "dim_store",
        kind="dimension",
        rows=z["dim_store"],
        rows_rule="row_count / 100,000, 10..2,000",
        description="Stores (and the online shop) by city and region",
        primary_key=("store_key",),
        seed=seed,
        salt=SALT["dim_store"],
    )
    t.col("store_key", "INTEGER", "i + 1", "surrogate key 1..n")
    t.col("store_code", "VARCHAR", code("S", "store_key", 5), "business key")
    t.col(
        "store_type",
        "VARCHAR",
        choice(t.row, [v for v, _ in STORE_TYPES], [w for _, w in STORE_TYPES]),
        values=tuple(v for v, _ in STORE_TYPES),
    )
    us_city(t, t.row)
    t.col(
        "store_name",
        "VARCHAR",
        f"city || ' ' || CASE store_type WHEN 'Online' THEN 'Web Shop' WHEN 'Outlet' THEN 'Outlet' "
        f"ELSE {choice(t.row, ('Downtown', 'Plaza', 'Center', 'Crossing', 'Galleria', 'Market'))} END",
    )
    t.col(
        "square_meters",
        "INTEGER",
        f"CASE WHEN store_type = 'Online' THEN 0 ELSE "
        f"round({lognormal(t.row, 1400.0, 0.5, 150.0, 12000.0)})::INTEGER * CASE store_type WHEN 'Flagship' THEN 3 ELSE 1 END END",
        valid=(0, 36000),
    )
    t.col("opened_date", "DATE", date_between(t.row, "1998-01-01", "2023-12-31"))
    tables.append(t.build())

    t = TableBuilder(
        "fact_sales",
        kind="fact",
        rows=z["fact_sales"],
        rows_rule="row_count",
        description="One row per sales line",
        primary_key=("sale_id",),
        seed=seed,
        salt=SALT["fact_sales"],
    )
    r = t.row
    t.col("sale_id", "BIGINT", "i + 1", "1..n")
    t.hidden("_day", "INTEGER", cal.seasonal_bucket(r))
    t.hidden("day_offset", "INTEGER", cal.bucket_day("_day", "retail"))
    t.col(
        "date_key",
        "INTEGER",
        cal.bucket_date_key("_day", "retail"),
        "sale day (retail seasonality)",
        references="dim_date.date_key",
    )
    t.col(
        "customer_key",
        "INTEGER",
        skewed_key(r, z["dim_customer"], 3),
        "top 20 % of customers buy ~58 % of lines",
        references="dim_customer.customer_key",
    )
    t.col(
        "product_key",
        "INTEGER",
        skewed_key(r, z["dim_product"], 2),
        "top 20 % of products sell ~45 % of lines",
        references="dim_product.product_key",
    )
    t.col(
        "store_key", "INTEGER", skewed_key(r, z["dim_store"], 2), references="dim_store.store_key"
    )
    t.col(
        "quantity",
        "SMALLINT",
        choice(r, [q for q, _ in QUANTITIES], [w for _, w in QUANTITIES]),
        "1..12, 55 % are 1",
        valid=(1, 50),
    )
    p = t.streams("product_key::BIGINT", SALT["product_attrs"], "_p")
    _, price = _product_attrs(p)
    t.hidden("_cents", "INTEGER", price)
    t.col(
        "unit_price",
        "DECIMAL(10,2)",
        "_cents * 0.01",
        "the product's list price",
        valid=(0.01, 10000),
    )
    t.hidden("_disc", "INTEGER", choice(r, [d for d, _ in DISCOUNTS], [w for _, w in DISCOUNTS]))
    t.col("discount_pct", "DECIMAL(4,2)", "_disc * 0.01", "0..0.30", valid=(0, 0.5))
    t.col(
        "net_amount",
        "DECIMAL(12,2)",
        "(quantity * _cents * (100 - _disc))::INTEGER * 0.0001",
        "quantity x price x (1 - discount), rounded to cents",
        valid=(0, 1_000_000),
    )
    sales = t.build()
    tables.append(sales)

    t = TableBuilder(
        "fact_returns",
        kind="fact",
        rows=z["fact_returns"],
        rows_rule="row_count / 25",
        description="Returned sales lines (at most one return per line)",
        primary_key=("return_id",),
        seed=seed,
        salt=SALT["fact_returns"],
        index="j",
    )
    r = t.row
    t.col("return_id", "BIGINT", "j + 1", "1..n")
    t.col("sale_id", "BIGINT", "src_sale_id", references="fact_sales.sale_id")
    t.col(
        "date_key",
        "INTEGER",
        cal.date_key_of(f"LEAST({cal.DAYS - 1}, src_day_offset + {uniform_int(r, 1, 30)})"),
        "1-30 days after the sale",
        references="dim_date.date_key",
    )
    t.col("customer_key", "INTEGER", "src_customer_key", references="dim_customer.customer_key")
    t.col("product_key", "INTEGER", "src_product_key", references="dim_product.product_key")
    t.col("store_key", "INTEGER", "src_store_key", references="dim_store.store_key")
    t.col(
        "return_quantity",
        "SMALLINT",
        f"1 + {r.bits(16)} % src_quantity",
        "1..the quantity sold",
        valid=(1, 50),
    )
    t.col(
        "refund_amount",
        "DECIMAL(12,2)",
        "(return_quantity * src__cents * (100 - src__disc))::INTEGER * 0.0001",
        "what the customer paid for the returned units",
        valid=(0, 1_000_000),
    )
    t.col(
        "reason",
        "VARCHAR",
        choice(r, [v for v, _ in RETURN_REASONS], [w for _, w in RETURN_REASONS]),
        values=tuple(v for v, _ in RETURN_REASONS),
    )
    pick = f"(hash(j, {stream_seed(seed, SALT['return_pick'])}::BIGINT) % {RETURN_EVERY})::BIGINT"
    tables.append(t.build(source=Source(sales, f"j * {RETURN_EVERY} + {pick}")))
    return tables


RETAIL = StarSchema(
    "Retail",
    "retail",
    "fact_sales",
    "Retail sales: customers, products, stores, dates; sales and returns",
    build,
)
