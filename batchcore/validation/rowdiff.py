"""The row comparison behind `row_diff`: pairing rows by key across two databases.

`diff_rows(src, tgt, n_keys, tolerance)` takes rows already normalised (compare.py) as tuples
(key columns first) and answers missing / extra / changed counts with multiplicity: a key that
appears once in the source and twice in the target with equal values is one extra row; unequal
leftovers on both sides of a key pair up as changed rows. Nothing here depends on a database's
collation or sort order: keys are hashed tuples.

`segment_plan` is the large-table path: both databases compute per-segment row counts and
checksums (md5 of a canonical text of each row, sqlgen.py) grouped by a hash bucket of the key;
only segments whose figures differ are pulled and diffed here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from batchcore.validation.compare import values_equal


@dataclass
class DiffResult:
    """Counts in rows; `column_diffs` = changed values per compared column; samples as lists."""

    source_rows: int = 0
    target_rows: int = 0
    missing: int = 0
    extra: int = 0
    changed: int = 0
    column_diffs: dict[str, int] = field(default_factory=dict)
    missing_sample: list[list[Any]] = field(default_factory=list)
    extra_sample: list[list[Any]] = field(default_factory=list)
    changed_sample: list[dict[str, Any]] = field(default_factory=list)


def _row_equal(a: tuple, b: tuple, tol: float | None) -> bool:
    return all(values_equal(x, y, tol) for x, y in zip(a, b, strict=True))


def diff_rows(
    src: list[tuple],
    tgt: list[tuple],
    n_keys: int,
    value_names: list[str],
    *,
    tolerance: float | None = None,
    sample_size: int = 10,
    key_names: list[str] | None = None,
    out: DiffResult | None = None,
) -> DiffResult:
    """Compare two row lists keyed by their first `n_keys` values (see module doc)."""
    res = out or DiffResult()
    res.source_rows += len(src)
    res.target_rows += len(tgt)
    for name in value_names:
        res.column_diffs.setdefault(name, 0)
    by_key: dict[tuple, tuple[list[tuple], list[tuple]]] = defaultdict(lambda: ([], []))
    for r in src:
        by_key[r[:n_keys]][0].append(r[n_keys:])
    for r in tgt:
        by_key[r[:n_keys]][1].append(r[n_keys:])
    for key, (s_vals, t_vals) in by_key.items():
        if len(s_vals) == 1 and len(t_vals) == 1:
            if not _row_equal(s_vals[0], t_vals[0], tolerance):
                _changed(
                    res, key, s_vals[0], t_vals[0], value_names, tolerance, sample_size, key_names
                )
            continue
        left = list(t_vals)
        unmatched_s = []
        for sv in s_vals:
            for i, tv in enumerate(left):
                if _row_equal(sv, tv, tolerance):
                    del left[i]
                    break
            else:
                unmatched_s.append(sv)
        pairs = min(len(unmatched_s), len(left))
        for sv, tv in zip(unmatched_s[:pairs], left[:pairs], strict=True):
            _changed(res, key, sv, tv, value_names, tolerance, sample_size, key_names)
        for sv in unmatched_s[pairs:]:
            res.missing += 1
            if len(res.missing_sample) < sample_size:
                res.missing_sample.append([*key, *sv])
        for tv in left[pairs:]:
            res.extra += 1
            if len(res.extra_sample) < sample_size:
                res.extra_sample.append([*key, *tv])
    return res


def _changed(
    res: DiffResult,
    key: tuple,
    sv: tuple,
    tv: tuple,
    names: list[str],
    tol: float | None,
    sample_size: int,
    key_names: list[str] | None,
) -> None:
    res.changed += 1
    diffs = {}
    for name, a, b in zip(names, sv, tv, strict=True):
        if not values_equal(a, b, tol):
            res.column_diffs[name] += 1
            diffs[name] = {"source": a, "target": b}
    if len(res.changed_sample) < sample_size:
        res.changed_sample.append(
            {
                "key": dict(zip(key_names or [f"k{i}" for i in range(len(key))], key, strict=True)),
                "columns": diffs,
            }
        )
