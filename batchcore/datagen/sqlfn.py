"""SQL snippets for value distributions, built from a row's random bits (`Streams.bits`).

Everything here returns DuckDB SQL text; nothing touches data. Weighted choices use a bucket
list (each value repeated in proportion to its weight, largest-remainder rounding, 1,024
buckets by default) indexed by uniform bits: one list lookup per row, no join.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from batchcore.datagen.spec import Streams

# A prime above the largest row_count (200,000,000): multiplying by it modulo n permutes 0..n-1.
PERMUTE_PRIME = 2_147_483_647


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def list_lit(values: Sequence[object]) -> str:
    """A DuckDB list literal of str / int / float / None values."""
    parts = []
    for v in values:
        if v is None:
            parts.append("NULL")
        elif isinstance(v, str):
            parts.append(sql_str(v))
        else:
            parts.append(repr(v))
    return "[" + ", ".join(parts) + "]"


def lookup(values: Sequence[object], index0: str) -> str:
    """`values[index0]` with a 0-based SQL index expression."""
    return f"{list_lit(values)}[1 + {index0}]"


def bucket_indices(weights: Sequence[float], size: int = 1024) -> list[int]:
    """0-based value indices repeated in proportion to `weights`, `size` entries in all.

    Largest-remainder rounding; every value with a positive weight gets at least one bucket
    (so rare values still occur). Raises ValueError for an empty or all-zero weight list.
    """
    total = float(sum(weights))
    if not weights or total <= 0:
        raise ValueError("weights must hold at least one positive number")
    exact = [w / total * size for w in weights]
    counts = [max(1 if w > 0 else 0, math.floor(e)) for w, e in zip(weights, exact, strict=True)]
    order = sorted(range(len(weights)), key=lambda k: exact[k] - math.floor(exact[k]), reverse=True)
    k = 0
    while sum(counts) < size:
        counts[order[k % len(order)]] += 1
        k += 1
    while sum(counts) > size:
        big = max(range(len(counts)), key=lambda n: counts[n])
        counts[big] -= 1
    return [idx for idx, c in enumerate(counts) for _ in range(c)]


def _weighted(bits: str, results: Sequence[str], weights: Sequence[float], size: int = 1024) -> str:
    """SQL choosing results[k] with weights: a CASE over cumulative bucket counts for short
    lists (cheaper than a list lookup, measured ~2.5x), a bucket-list lookup for long ones."""
    counts = [0] * len(results)
    for b in bucket_indices(weights, size):
        counts[b] += 1
    if len(results) <= 16:
        branches, upto = [], 0
        live = [k for k, c in enumerate(counts) if c]
        for k in live[:-1]:
            upto += counts[k]
            branches.append(f"WHEN {bits} < {upto} THEN {results[k]}")
        return (
            f"(CASE {' '.join(branches)} ELSE {results[live[-1]]} END)"
            if branches
            else results[live[-1]]
        )
    expanded = [results[b] for b in bucket_indices(weights, size)]
    return f"[{', '.join(expanded)}][1 + {bits}]"


def pick_index(s: Streams, weights: Sequence[float]) -> str:
    """SQL for a 0-based index drawn with `weights` (10 random bits: 1,024 buckets, no modulo bias)."""
    return _weighted(s.bits(10), [str(k) for k in range(len(weights))], weights)


def choice(s: Streams, values: Sequence[object], weights: Sequence[float] | None = None) -> str:
    """SQL for one of `values`, uniformly or with `weights` (1,024 buckets)."""
    lits = [list_lit([v])[1:-1] for v in values]
    if weights is None:
        if len(values) <= 16:
            return _weighted(s.bits(10), lits, [1.0] * len(values))
        return lookup(values, f"{s.bits(20)} % {len(values)}")
    return _weighted(s.bits(10), lits, weights)


def uniform_int(s: Streams, lo: int, hi: int) -> str:
    """SQL for a uniform integer in [lo, hi]: (bits * span) >> k (multiply-shift, no division;
    bias below 2**-8 of a value). Spans up to 2**30."""
    span = hi - lo + 1
    if not 0 < span <= 1 << 30:
        raise ValueError(f"uniform_int: range {lo}..{hi} is empty or wider than 2**30")
    k = min(32, max(8, span.bit_length() + 8))
    return f"({lo} + (({s.bits(k)} * {span}) >> {k}))"


def unit(s: Streams, k: int = 24) -> str:
    """SQL for a uniform DOUBLE in (0, 1) (never exactly 0 or 1)."""
    return f"(({s.bits(k)} + 0.5) / {float(1 << k)!r})"


def skewed_key(s: Streams, n: int, power: int, *, scramble: bool = False) -> str:
    """SQL for a key in [1, n] where low keys are frequent: key = 1 + floor(n * u**power).

    Integer arithmetic only (24-bit u; ~2x cheaper than pow() on doubles). With power p the top
    20 % of keys receive 0.2**(1/p) of the rows (p=1: 20 % (uniform), p=2: 45 %, p=3: 58 %, a
    Pareto-like concentration). `scramble` maps ranks to keys through a fixed permutation
    (multiplication by a prime modulo n; costs a division per row, so fact tables skip it and
    their busiest keys are the lowest).
    """
    if power not in (1, 2, 3):
        raise ValueError(f"skewed_key: power must be 1, 2 or 3, got {power}")
    if n >= 1 << 30:
        raise ValueError(f"skewed_key: n={n} too large")
    x = s.bits(24)
    u = x if power == 1 else f"(({x} * {x}) >> 24)"
    if power == 3:
        u = f"(({u} * {x}) >> 24)"
    rank = f"(({u} * {n}) >> 24)"
    if not scramble or n == 1:
        return f"(1 + {rank})"
    return f"(1 + ({rank} * {PERMUTE_PRIME % n}) % {n})"


def normal(s: Streams) -> str:
    """SQL for an approximately standard normal DOUBLE (Irwin-Hall sum of 4 uniforms, |z| <= 3.46)."""
    return f"(({unit(s, 12)} + {unit(s, 12)} + {unit(s, 12)} + {unit(s, 12)} - 2.0) * 1.7320508075688772)"


def lognormal(s: Streams, median: float, sigma: float, lo: float, hi: float) -> str:
    """SQL for a right-skewed positive DOUBLE: median * exp(sigma * z), clamped to [lo, hi]."""
    return f"LEAST({hi!r}, GREATEST({lo!r}, {median!r} * exp({sigma!r} * {normal(s)})))"


def money(expr: str, precision: int = 12) -> str:
    """`expr` rounded to cents as DECIMAL(precision, 2)."""
    return f"round({expr}, 2)::DECIMAL({precision},2)"


def digits(s: Streams, n: int) -> str:
    """SQL for a string of `n` random decimal digits (leading zeros kept)."""
    return f"lpad(({s.bits(min(62, math.ceil(n * 3.33) + 8))} % {10**n})::VARCHAR, {n}, '0')"


def code(prefix: str, key: str, width: int) -> str:
    """A readable business key: `prefix` + zero-padded `key` (e.g. C0000042)."""
    return f"{sql_str(prefix)} || lpad(({key})::VARCHAR, {width}, '0')"
