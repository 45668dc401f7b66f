"""Benchmark: generate the Retail fact table (fact_sales) and compare, in one run, with
- the floor: DuckDB writing the same number of rows with the same nine column types
  (BIGINT, 4 x INTEGER, SMALLINT, 3 x DECIMAL) filled with random() values — the same work as
  ours minus the distributions; also, for reference, nine BIGINT range() arithmetic columns
  (cheaper: no random values, no casts),
- numpy: the same columns drawn with numpy, handed to DuckDB as Arrow, written to a file,
- Faker: the same columns made row by row with Faker, written through Arrow (sampled: Faker
  makes ~45k rows/s, so it runs on --faker-rows rows and its rate is reported).

Every method writes a fresh DuckDB file in a temporary folder and is timed up to and including
its commit and the file's checkpoint (closing the connection). The product's figure is the
fact_sales statement of a real `write_duckdb` run plus that run's COMMIT and the checkpoint on
close (dimensions are written first, as in a job, and their few rows are in the commit and
checkpoint too; the full-run figure is printed as well). Every figure runs --repeat times (at
least 3): min/median seconds; ratios use the minimums. The output starts with the load average.

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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchutil import Timing, machine_line

from batchcore.datagen import calendar as cal
from batchcore.datagen.generator import NullHooks, plan_generation, write_duckdb
from batchcore.datagen.schemas import retail

COLUMNS = "sale_id, date_key, customer_key, product_key, store_key, quantity, unit_price, discount_pct, net_amount"


def _fresh(folder: Path, name: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(folder / f"{name}.duckdb"))


def floor_typed(folder: Path, n: int) -> float:
    """Seconds to write n rows of fact_sales's nine column types filled with random values,
    committed and checkpointed (the floor)."""
    con = _fresh(folder, f"floor_typed_{n}_{time.perf_counter_ns()}")
    t0 = time.perf_counter()
    con.execute(
        "CREATE TABLE t AS SELECT range AS sale_id, (20200101 + random() * 50000)::INTEGER AS date_key, "
        "(1 + random() * 100000)::INTEGER AS customer_key, (1 + random() * 5000)::INTEGER AS product_key, "
        "(1 + random() * 200)::INTEGER AS store_key, (1 + random() * 9)::SMALLINT AS quantity, "
        "(random() * 2500)::DECIMAL(10,2) AS unit_price, (random() * 0.5)::DECIMAL(4,2) AS discount_pct, "
        f"(random() * 25000)::DECIMAL(12,2) AS net_amount FROM range({n})"
    )
    con.close()
    return time.perf_counter() - t0


def floor(folder: Path, n: int) -> float:
    """Seconds to write n rows of nine BIGINT range()-derived columns (reference floor)."""
    con = _fresh(folder, f"floor_{n}_{time.perf_counter_ns()}")
    t0 = time.perf_counter()
    con.execute(
        f"CREATE TABLE t AS SELECT range AS a, range * 2 AS b, range % 7 AS c, range % 13 AS d, range % 101 AS e, "
        f"range + 5 AS f, range % 1000 AS g, range // 3 AS h, range % 17 AS i FROM range({n})"
    )
    con.close()
    return time.perf_counter() - t0


class _CommitClock(NullHooks):
    """Notes when write_duckdb starts its COMMIT (its last progress message)."""

    committing_at = 0.0

    def progress(self, message: str, *, force: bool = False) -> None:
        if message.startswith("committing"):
            self.committing_at = time.perf_counter()


def product(folder: Path, n: int, k: int = 0) -> tuple[float, float, int]:
    """(fact_sales seconds incl. the run's COMMIT and the checkpoint on close, whole run seconds
    incl. the checkpoint, rows) of the product writing Retail's fact_sales."""
    con = _fresh(folder, f"product_{n}_{k}")
    plan = plan_generation("Retail", n, 42, table_name="fact_sales")
    clock = _CommitClock()
    t0 = time.perf_counter()
    stats = write_duckdb(con.cursor(), plan, clock)
    con.close()
    end = time.perf_counter()
    fact = next(s for s in stats if s.table.endswith(".fact_sales"))
    return fact.duration_ms / 1000.0 + (end - clock.committing_at), end - t0, fact.rows


def _write_arrow(con, table: pa.Table) -> None:
    con.register("src", table)
    con.execute(
        "CREATE TABLE fact_sales AS SELECT sale_id, date_key, customer_key, product_key, store_key, quantity, "
        "(cents * 0.01)::DECIMAL(10,2) AS unit_price, (disc * 0.01)::DECIMAL(4,2) AS discount_pct, "
        "(net_cents * 0.01)::DECIMAL(12,2) AS net_amount FROM src"
    )
    con.unregister("src")


def numpy_arrow(folder: Path, n: int, k: int = 0) -> float:
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
    con = _fresh(folder, f"numpy_{n}_{k}")
    _write_arrow(con, table)
    con.close()
    return time.perf_counter() - t0


def faker_rows(folder: Path, n: int, run: int = 0) -> float:
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
    con = _fresh(folder, f"faker_{n}_{run}")
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
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (at least 3)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rep = max(3, args.repeat)
    print(machine_line())
    print(
        f"duckdb {duckdb.__version__}, numpy {np.__version__}, pyarrow {pa.__version__}; {len(sizes)} sizes; "
        f"every figure min/median of {rep} runs, ratios of the minimums\n"
    )
    with tempfile.TemporaryDirectory(prefix="bench-datagen-") as tmp:
        folder = Path(tmp)
        t_faker = Timing()
        for k in range(rep):
            t_faker.add(faker_rows(folder, args.faker_rows, k))
        faker_rate = args.faker_rows / t_faker.min
        print(
            f"Faker, row by row: {args.faker_rows:,} rows in {t_faker} s (min/median) = {faker_rate:,.0f} rows/s\n"
        )
        print(
            f"{'rows':>11} {'floor s':>12} {'product s':>12} {'prod r/s':>11} {'x floor':>7} {'x Faker':>7} "
            f"{'numpy s':>12} {'x numpy':>7} {'range floor s':>13} {'x range':>7} {'full run s':>12}"
        )
        results = []
        for n in sizes:
            tf, tr, tp, trun, tn = Timing(), Timing(), Timing(), Timing(), Timing()
            rows = n
            for k in range(rep):  # interleaved: load hits every method alike
                tf.add(floor_typed(folder, n))
                tr.add(floor(folder, n))
                fact_s, run_s, rows = product(folder, n, k)
                tp.add(fact_s)
                trun.add(run_s)
                tn.add(numpy_arrow(folder, n, k))
                for f in folder.glob("*.duckdb*"):
                    f.unlink()
            r_prod = rows / tp.min
            x_floor = tf.min / tp.min
            results.append((n, tp.min, r_prod, x_floor, r_prod / faker_rate))
            print(
                f"{n:>11,} {tf!s:>12} {tp!s:>12} {r_prod:>11,.0f} {x_floor:>7.2f} {r_prod / faker_rate:>7.0f} "
                f"{tn!s:>12} {tn.min / tp.min:>7.2f} {tr!s:>13} {tr.min / tp.min:>7.2f} {trun!s:>12}"
            )
        n, t_fact, r_prod, x_floor, x_faker = results[-1]
        print(
            "\n(floor = same nine column types, random values, committed + checkpointed; x floor = floor s / "
            "product s, so 1.0 means as fast as the floor; range floor = nine BIGINT range() columns)"
        )
        print(
            f"goals at {n:,} rows: >= 3M rows/s: {r_prod / 1e6:.2f}M ({'met' if r_prod >= 3e6 else 'NOT met'}); "
            f"10M < 3.5 s: {t_fact * 10_000_000 / n:.2f} s ({'met' if t_fact * 10_000_000 / n < 3.5 else 'NOT met'}); "
            f">= 0.7x floor: {x_floor:.2f} ({'met' if x_floor >= 0.7 else 'NOT met'}); "
            f">= 60x Faker: {x_faker:.0f} ({'met' if x_faker >= 60 else 'NOT met'})"
        )
        print(machine_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
