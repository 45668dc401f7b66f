"""Python-side value normalisation for cross-database comparison (column_aggregates_match
values; row_diff normalises in SQL, Dialect.norm, and compares in DuckDB by the same rules).

Rules (issue 4, "comparison that does not lie"):
- NULL equals NULL; NULL differs from '' (strings are never trimmed or case-folded).
- Numbers: int, Decimal and float compare by value (1.50 = 1.5000, Decimal('0.1') = 0.1 via the
  float's shortest repr); `-0.0` equals `0`; with `tolerance` t, |a − b| ≤ t counts as equal.
- Booleans are 0/1 (MySQL has no boolean type).
- Timestamps: aware values (instants) compare in UTC, naive ones as written; a DATE is its
  midnight, so DATE '2024-03-28' equals TIMESTAMP '2024-03-28 00:00:00'. ISO text (the
  canonical text of Dialect.ts_text, SQLite's text dates) is parsed when the family is a
  date/time one.
- Composite keys are tuples of normalised values, never concatenated strings.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from batchcore.dialects.types import NUMERIC_FAMILIES, TIME_FAMILIES

__all__ = ["NUMERIC_FAMILIES", "TIME_FAMILIES", "common_family", "normalize", "values_equal"]


def common_family(a: str, b: str) -> str:
    """The family both sides are normalised to: date/time wins over text, numbers over text."""
    if a == b:
        return a
    if a in TIME_FAMILIES or b in TIME_FAMILIES:
        return "timestamp"
    if a in NUMERIC_FAMILIES or b in NUMERIC_FAMILIES:
        return "float" if "float" in (a, b) else "decimal"
    return a


def normalize(value: Any, family: str) -> Any:
    """A hashable, dialect-free form of `value` for a column of `family` (see module rules)."""
    if value is None:
        return None
    if family in TIME_FAMILIES:
        return _ts(value)
    if isinstance(value, bool):
        return int(value)
    if family == "float" and isinstance(value, (int, Decimal)):
        value = float(value)  # compared with a float column: as doubles, like row_diff
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return 0.0 if value == 0 else value
    if isinstance(value, Decimal):
        if value.is_zero():
            return 0
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, str) and family in NUMERIC_FAMILIES:
        if value == "NaN":  # SQLite's sum of inf and -inf (SQLiteDialect ExactSum)
            return "NaN"
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return value
        return normalize(d, "decimal")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return value


def _ts(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return (
            value.replace(tzinfo=None)
            if value.tzinfo is None
            else value.astimezone(UTC).replace(tzinfo=None)
        )
    if isinstance(value, date):
        return datetime.combine(value, time(0))
    return value


def values_equal(a: Any, b: Any, tolerance: float | None = None) -> bool:
    """Equality of two normalised values; numbers within `tolerance` (absolute) when given."""
    if a is None or b is None:
        return a is None and b is None
    if _is_num(a) and _is_num(b):
        if isinstance(a, float) or isinstance(b, float):
            fa, fb = float(a), float(b)
            if tolerance:
                return fa == fb or abs(fa - fb) <= tolerance  # inf − inf is NaN
            if isinstance(a, Decimal) or isinstance(b, Decimal):
                return _dec(a) == _dec(b)
            return fa == fb
        if tolerance:
            return abs(_dec(a) - _dec(b)) <= Decimal(str(tolerance))
        return a == b
    return a == b


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _dec(v: Any) -> Decimal:
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def aggregate_equal(a: Any, b: Any, tolerance: float | None, *, rel: float = 0.0) -> bool:
    """Equality of aggregate values: like `values_equal`, plus a relative tolerance `rel` for
    float sums (their last digits depend on the order each database adds the rows in)."""
    if _is_num(a) and _is_num(b) and rel:
        fa, fb = float(a), float(b)
        if math.isclose(fa, fb, rel_tol=rel, abs_tol=tolerance or 0.0):
            return True
    return values_equal(a, b, tolerance)
