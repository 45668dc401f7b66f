"""Benchmark: generate the Retail fact table (fact_sales) and compare, in one run, with
- the floor: DuckDB writing the same number of rows of nine plain numeric range()-derived columns,
- numpy: the same columns drawn with numpy, handed to DuckDB as Arrow, written to a file,
- Faker: the same columns made row by row with Faker, written through Arrow (sampled: Faker
  makes ~45k rows/s, so it runs on --faker-rows rows and its rate is reported).

Every method writes a fresh DuckDB file in a temporary folder. The product's figure is the
fact_sales statement of a real `write_duckdb` run (dimensions are written first, as in a job;
the full-run figure is printed too).

    python bench/datagen.py                      # sizes 1M, 3M, 10M
    python bench/datagen.py --sizes 1000000 --faker-rows 50000

Goals (issue 5): >= 3M fact rows/s (10M in < 3.5 s), >= 0.7x the floor, >= 60x Faker.
Needs Faker (requirements-bench.txt).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batchcore.datagen import calendar as cal
from batchcore.datagen.generator import plan_generation, write_duckdb
from batchcore.datagen.schemas import retail

COLUMNS = "sale_id, date_key, customer_key, product_key, store_key, quantity, unit_price, discount_pct, net_amount"


def _fresh(folder: Path, name: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(folder / f"{name}.duckdb"))


def floor(folder: Path, n: int) -> float:
    """Seconds to write n rows of nine range()-derived numeric columns (the floor)."""
    con = _fresh(folder, f"floor_{n}")
    t0 = time.perf_counter()
    con.execute(
        f"CREATE TABLE t AS SELECT range AS a, range * 2 AS b, range % 7 AS c, range % 13 AS d, range % 101 AS e, "
        f"range + 5 AS f, range % 1000 AS g, range // 3 AS h, range % 17 AS i FROM range({n})"
    )
    con.close()
    return time.perf_counter() - t0


def product(folder: Path, n: int) -> tuple[float, float, int]:
    """(fact_sales seconds, whole run seconds, rows) of the product writing Retail's fact_sales."""
    con = _fresh(folder, f"product_{n}")
    plan = plan_generation("Retail", n, 42, table_name="fact_sales")
    t0 = time.perf_counter()
    stats = write_duckdb(con.cursor(), plan)
    total = time.perf_counter() - t0
    con.close()
    fact = next(s for s in stats if s.table.endswith(".fact_sales"))
    return fact.duration_ms / 1000.0, total, fact.rows


def _write_arrow(con, table: pa.Table) -> None:
    con.register("src", table)
    con.execute(
        "CREATE TABLE fact_sales AS SELECT sale_id, date_key, customer_key, product_key, store_key, quantity, "
        "(cents * 0.01)::DECIMAL(10,2) AS unit_price, (disc * 0.01)::DECIMAL(4,2) AS discount_pct, "
        "(net_cents * 0.01)::DECIMAL(12,2) AS net_amount FROM src"
    )
    con.unregister("src")


def numpy_arrow(folder: Path, n: int) -> float:
    """Seconds to draw the columns with numpy (same distributions, vectorised) and write them."""
    z = retail.sizes(n)
    keys = np.array(cal.date_keys(), dtype=np.int32)
    w = np.array(cal.day_weights("retail"))
    t0 = time.perf_counter()
    rng = np.random.default_rng(42)
    qty_vals = np.array([q for q, _ in retail.QUANTITIES], dtype=np.int16)
    qty_p = np.array([p for _, p in retail.QUANTITIES], dtype=float)
    disc_vals = np.array([d for d, _ in retail.DISCOUNTS], dtype=np.int32)
    disc_p = np.array([p for _, p in retail.DISCOUNTS], dtype=float)
    product_key = (1 + np.floor(z["dim_product"] * rng.random(n) ** 2)).astype(np.int32)
    cents = (100 + (product_key.astype(np.int64) * 2654435761) % 50_000).astype(
        np.int64
    ) // 100 * 100 + 99
    qty = rng.choice(qty_vals, n, p=qty_p / qty_p.sum())
    disc = rng.choice(disc_vals, n, p=disc_p / disc_p.sum())
    table = pa.table(
        {
            "sale_id": np.arange(1, n + 1, dtype=np.int64),
            "date_key": keys[rng.choice(len(keys), n, p=w / w.sum())],
            "customer_key": (1 + np.floor(z["dim_customer"] * rng.random(n) ** 3)).astype(np.int32),
            "product_key": product_key,
            "store_key": (1 + np.floor(z["dim_store"] * rng.random(n) ** 2)).astype(np.int32),
            "quantity": qty,
            "cents": cents,
            "disc": disc,
            "net_cents": (qty * cents * (100 - disc) + 50) // 100,
        }
    )
    con = _fresh(folder, f"numpy_{n}")
    _write_arrow(con, table)
    con.close()
    return time.perf_counter() - t0


def faker_rows(folder: Path, n: int) -> float:
    """Seconds to make n rows with Faker, one row at a time, and write them (through Arrow).

    Six cheap provider calls per row (random_int for keys and the day, random_element for the
    weighted quantity and discount): the usual way to fake a fact row, not a strawman.
    """
    from faker import Faker

    z = retail.sizes(n)
    fake = Faker()
    Faker.seed(42)
    keys = cal.date_keys()
    quantities = OrderedDict(retail.QUANTITIES)
    discounts = OrderedDict(retail.DISCOUNTS)
    t0 = time.perf_counter()
    cols: dict[str, list] = {
        k: []
        for k in (
            "sale_id",
            "date_key",
            "customer_key",
            "product_key",
            "store_key",
            "quantity",
            "cents",
            "disc",
            "net_cents",
        )
    }
    for i in range(n):
        q = fake.random_element(quantities)
        disc = fake.random_element(discounts)
        cents = fake.random_int(100, 250_000) // 100 * 100 + 99
        row = (
            i + 1,
            keys[fake.random_int(0, len(keys) - 1)],
            fake.random_int(1, z["dim_customer"]),
            fake.random_int(1, z["dim_product"]),
            fake.random_int(1, z["dim_store"]),
            q,
            cents,
            disc,
            (q * cents * (100 - disc) + 50) // 100,
        )
        for k, v in zip(cols, row, strict=True):
            cols[k].append(v)
    con = _fresh(folder, f"faker_{n}")
    _write_arrow(con, pa.table(cols))
    con.close()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes", default="1000000,3000000,10000000", help="comma-separated fact row counts"
    )
    ap.add_argument(
        "--faker-rows", type=int, default=100_000, help="rows Faker makes (its rate is per row)"
    )
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"duckdb {duckdb.__version__}, numpy {np.__version__}, pyarrow {pa.__version__}; {len(sizes)} sizes\n"
    )
    with tempfile.TemporaryDirectory(prefix="bench-datagen-") as tmp:
        folder = Path(tmp)
        t_faker = faker_rows(folder, args.faker_rows)
        faker_rate = args.faker_rows / t_faker
        print(
            f"Faker, row by row: {args.faker_rows:,} rows in {t_faker:.2f} s = {faker_rate:,.0f} rows/s\n"
        )
        print(
            f"{'rows':>12} {'floor s':>8} {'floor r/s':>12} {'product s':>10} {'product r/s':>12} {'x floor':>8} "
            f"{'x Faker':>8} {'numpy s':>8} {'numpy r/s':>12} {'x numpy':>8} {'full run s':>10}"
        )
        results = []
        for n in sizes:
            t_floor = floor(folder, n)
            t_fact, t_run, rows = product(folder, n)
            t_np = numpy_arrow(folder, n)
            r_floor, r_prod, r_np = n / t_floor, rows / t_fact, n / t_np
            results.append((n, t_fact, r_prod, r_prod / r_floor, r_prod / faker_rate))
            print(
                f"{n:>12,} {t_floor:>8.2f} {r_floor:>12,.0f} {t_fact:>10.2f} {r_prod:>12,.0f} {r_prod / r_floor:>8.2f} "
                f"{r_prod / faker_rate:>8.0f} {t_np:>8.2f} {r_np:>12,.0f} {r_prod / r_np:>8.2f} {t_run:>10.2f}"
            )
        n, t_fact, r_prod, x_floor, x_faker = results[-1]
        print(
            f"\ngoals at {n:,} rows: >= 3M rows/s: {r_prod / 1e6:.2f}M ({'met' if r_prod >= 3e6 else 'NOT met'}); "
            f"10M < 3.5 s: {t_fact * 10_000_000 / n:.2f} s ({'met' if t_fact * 10_000_000 / n < 3.5 else 'NOT met'}); "
            f">= 0.7x floor: {x_floor:.2f} ({'met' if x_floor >= 0.7 else 'NOT met'}); "
            f">= 60x Faker: {x_faker:.0f} ({'met' if x_faker >= 60 else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
