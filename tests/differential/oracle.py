"""The oracle: plain Python over the rows fetched from both sides, normalised by the rules of
docs/checks.md ("Migration comparisons"), written without the product's code.

- NULL equals NULL and nothing else; text is compared exactly (no trim, no case folding);
- numbers by value (int / decimal / float; -0 = 0); with a float on either side, as doubles;
  decimals exactly; with a tolerance t, |a − b| ≤ t is equal;
- date/time: an instant (aware value, or text with a UTC offset) in UTC; a naive value as
  written (naive = UTC beside an instant); a DATE is its midnight; text is read as a date/time
  when the column compares with a date/time column;
- booleans are 0/1; keys are tuples; a row whose key has a NULL part is never paired;
- duplicates count with their multiplicity: within a key, equal rows pair first.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext
from typing import Any

TIME = ("date", "timestamp", "timestamptz")
NUMERIC = ("integer", "decimal", "float", "boolean")


def common(a: str, b: str) -> str:
    """The family two columns compare in (docs: date/time wins over text, numbers over text)."""
    if a == b:
        return a
    if a in TIME or b in TIME:
        return "timestamp"
    if a in NUMERIC or b in NUMERIC:
        return "float" if "float" in (a, b) else "decimal"
    return a


def norm(v: Any, fam: str) -> Any:
    """A value in its comparison form for the common family `fam` (None stays None)."""
    if v is None:
        return None
    if fam in TIME:
        if isinstance(v, str):
            v = dt.datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
        if isinstance(v, dt.datetime):
            if v.tzinfo is not None:
                v = v.astimezone(dt.UTC).replace(tzinfo=None)
            return v
        if isinstance(v, dt.date):
            return dt.datetime(v.year, v.month, v.day)
        raise AssertionError(f"not a date/time: {v!r}")
    if fam == "float":
        f = float(Decimal(v.strip()) if isinstance(v, str) else v)
        return 0.0 if f == 0 else f
    if fam in ("decimal", "integer", "boolean"):
        if isinstance(v, bool):
            return Decimal(int(v))
        if isinstance(v, float):
            return Decimal(repr(v)) if v != 0 else Decimal(0)
        d = Decimal(v.strip()) if isinstance(v, str) else Decimal(v)
        return Decimal(0) if d == 0 else d
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8")
    return v


def equal(a: Any, b: Any, fam: str, tolerance: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True  # NaN equals NaN (docs/checks.md), with or without a tolerance
    if a == b:
        return True  # inf = inf, whatever the tolerance (inf − inf is NaN)
    if fam in NUMERIC and tolerance:
        return _within(a, b, fam, tolerance)
    return a == b


def _within(a: Any, b: Any, fam: str, tolerance: float) -> bool:
    """|a − b| ≤ tolerance: floats as doubles, integers and decimals exactly."""
    if fam == "float" or isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= tolerance
    with localcontext(Context(prec=80)):
        return abs(Decimal(a) - Decimal(b)) <= Decimal(repr(tolerance))


@dataclass
class RowDiffAnswer:
    missing: int = 0
    extra: int = 0
    changed_min: int = 0
    changed_max: int = 0
    column_differences: dict[str, int] | None = field(default_factory=dict)
    null_key_rows: dict[str, int] = field(default_factory=dict)
    source_rows: int = 0
    target_rows: int = 0


def row_diff(
    src: list[tuple],
    tgt: list[tuple],
    nkeys: int,
    fams: list[str],
    names: list[str],
    tolerance: float | None,
) -> RowDiffAnswer:
    """row_diff's counts. `fams` = the common family of each column (keys first). `changed`
    is a range when duplicates within a key pair up differently under a tolerance;
    `column_differences` is None when duplicates make it ambiguous."""
    ans = RowDiffAnswer(source_rows=len(src), target_rows=len(tgt))
    groups: dict[Any, tuple[list, list]] = defaultdict(lambda: ([], []))
    for side, rows in ((0, src), (1, tgt)):
        nulls = 0
        for r in rows:
            if any(x is None for x in r[:nkeys]):
                nulls += 1
                continue
            n = tuple(norm(x, f) for x, f in zip(r, fams, strict=True))
            groups[n[:nkeys]][side].append(n[nkeys:])
        ans.null_key_rows["source" if side == 0 else "target"] = nulls
    vfams = fams[nkeys:]
    vnames = names[nkeys:]
    diffs: Counter = Counter()
    ambiguous = False
    for s_rows, t_rows in groups.values():
        ans.missing += max(0, len(s_rows) - len(t_rows))
        ans.extra += max(0, len(t_rows) - len(s_rows))
        pairs = min(len(s_rows), len(t_rows))
        if len(s_rows) == 1 and len(t_rows) == 1:
            cols = [
                vnames[j]
                for j in range(len(vfams))
                if not equal(s_rows[0][j], t_rows[0][j], vfams[j], tolerance)
            ]
            if cols:
                ans.changed_min += 1
                ans.changed_max += 1
                diffs.update(cols)
            continue
        # exact (normalised) equal rows pair first
        left = Counter(_hashable(r) for r in s_rows)
        right = Counter(_hashable(r) for r in t_rows)
        exact = sum((left & right).values())
        rest_s = list((left - right).elements())
        rest_t = list((right - left).elements())
        unmatched = pairs - exact
        ans.changed_max += unmatched
        ans.changed_min += max(0, unmatched - _max_tol_pairs(rest_s, rest_t, vfams, tolerance))
        if unmatched:
            ambiguous = True
    ans.column_differences = None if ambiguous else dict(diffs)
    return ans


def _hashable(r: tuple) -> tuple:
    return tuple(("nan",) if isinstance(x, float) and math.isnan(x) else x for x in r)


def _max_tol_pairs(a: list, b: list, fams: list[str], tol: float | None) -> int:
    """Most pairs of rows equal within the tolerance (bipartite matching; the lists are tiny)."""
    match: dict[int, int] = {}

    def ok(i, j):
        return all(equal(x, y, f, tol) for x, y, f in zip(a[i], b[j], fams, strict=True))

    def augment(i, seen):
        for j in range(len(b)):
            if j in seen or not ok(i, j):
                continue
            seen.add(j)
            if j not in match or augment(match[j], seen):
                match[j] = i
                return True
        return False

    return sum(1 for i in range(len(a)) if augment(i, set()))


def aggregates(rows: list[tuple], col: int, fam: str) -> dict[str, Any]:
    """count, null_count, distinct_count, min, max, sum of one column (normalised values)."""
    vals = [norm(r[col], fam) for r in rows]
    nn = [v for v in vals if v is not None]
    out: dict[str, Any] = {
        "count": len(nn),
        "null_count": len(vals) - len(nn),
        "distinct_count": len(set(nn)),
    }
    nan = [v for v in nn if _isnan(v)]
    if nan:  # NaN is one value, greater than every number (PostgreSQL, DuckDB)
        nn = [v for v in nn if not _isnan(v)]
        out["distinct_count"] = len(set(nn)) + 1
    if fam not in ("boolean",):
        out["min"] = min(nn) if nn else (math.nan if nan else None)
        out["max"] = math.nan if nan else (max(nn) if nn else None)
    if fam in NUMERIC:
        if fam == "float":
            inf = {v for v in nn if math.isinf(v)}
            finite = [v for v in nn if not math.isinf(v)]
            if nan or len(inf) == 2:
                out["sum"] = math.nan
            elif inf:
                out["sum"] = inf.pop()
            else:
                out["sum"] = math.fsum(finite) if finite else None
        else:
            with localcontext(Context(prec=80)):  # exact: 38-digit decimals add up
                out["sum"] = sum(nn, Decimal(0)) if nn else None
    return out


def _isnan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def metric_equal(
    metric: str, a: Any, b: Any, fam: str, tolerance: float | None, doubles: bool = False
) -> bool:
    """Whether two sides' metric values match (docs: sums added in doubles — a float column,
    or `doubles`: stored as doubles, SQLite's NUMERIC — with a relative 1e-9)."""
    if a is None or b is None:
        return a is None and b is None
    if metric in ("count", "null_count", "distinct_count"):
        return a == b
    if _isnan(a) or _isnan(b) or a == b:
        return _isnan(a) == _isnan(b) and (_isnan(a) or a == b)
    tol = tolerance if metric in ("min", "max", "sum") else None
    if fam in NUMERIC:
        if metric == "sum" and (fam == "float" or doubles):
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=tol or 0.0)
        if tol:
            return _within(a, b, fam, tol)
        return a == b
    return a == b
