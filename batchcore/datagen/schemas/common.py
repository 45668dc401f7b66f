"""Building blocks shared by the three schemas: sizes, people, places, region of a US state."""

from __future__ import annotations

from batchcore.datagen import values as V
from batchcore.datagen.spec import Streams, TableBuilder
from batchcore.datagen.sqlfn import choice, list_lit, lookup, normal, pick_index, unit


def clamp(n: int, lo: int, hi: int) -> int:
    """`n` limited to [lo, hi]."""
    return max(lo, min(hi, n))


# US Census Bureau regions.
_REGIONS = {
    "Northeast": ("NY", "PA", "MA", "VT", "NJ", "CT", "NH", "ME", "RI"),
    "Midwest": ("IL", "MI", "MN", "MO", "OH", "IN", "WI", "IA", "KS", "NE", "ND", "SD"),
    "South": (
        "TX",
        "DC",
        "FL",
        "GA",
        "MD",
        "NC",
        "TN",
        "VA",
        "KY",
        "AL",
        "LA",
        "SC",
        "OK",
        "AR",
        "MS",
        "WV",
        "DE",
    ),
    "West": ("CA", "AZ", "WA", "CO", "OR", "NV", "UT", "ID", "NM", "MT", "WY", "AK", "HI"),
}
REGIONS = tuple(_REGIONS)


def region_of_state(state: str) -> str:
    """US Census region of a state code. Raises KeyError for an unknown code."""
    for region, states in _REGIONS.items():
        if state in states:
            return region
    raise KeyError(state)


def person(t: TableBuilder, key: str) -> None:
    """Add gender, first_name, last_name and email columns (email unique through `key`)."""
    s = t.row
    t.col(
        "gender",
        "VARCHAR",
        choice(s, [g for g, _ in V.GENDERS], [w for _, w in V.GENDERS]),
        "F / M / X",
        values=tuple(g for g, _ in V.GENDERS),
    )
    fn = t.hidden("_first", "BIGINT", s.bits(20))
    both = V.FIRST_NAMES_F + V.FIRST_NAMES_M
    t.col(
        "first_name",
        "VARCHAR",
        f"CASE gender WHEN 'F' THEN {lookup(V.FIRST_NAMES_F, f'{fn} % {len(V.FIRST_NAMES_F)}')} "
        f"WHEN 'M' THEN {lookup(V.FIRST_NAMES_M, f'{fn} % {len(V.FIRST_NAMES_M)}')} "
        f"ELSE {lookup(both, f'{fn} % {len(both)}')} END",
    )
    # Surnames follow a Zipf-like frequency: weight 1 / (rank + 8).
    t.col(
        "last_name",
        "VARCHAR",
        choice(s, V.LAST_NAMES, [1.0 / (r + 8) for r in range(len(V.LAST_NAMES))]),
    )
    dom = choice(s, [d for d, _ in V.EMAIL_DOMAINS], [w for _, w in V.EMAIL_DOMAINS])
    t.col(
        "email",
        "VARCHAR",
        f"lower(replace(first_name || '.' || last_name, '''', '')) || ({key})::VARCHAR || '@' || {dom}",
        "first.last<key>@domain (unique)",
    )


def us_city(t: TableBuilder, s: Streams, *, with_region: bool = True) -> None:
    """Add city and state (weighted by metro population), and optionally the Census region."""
    idx = t.hidden("_city", "BIGINT", pick_index(s, [w for _, _, w in V.US_CITIES]))
    t.col("city", "VARCHAR", lookup([c for c, _, _ in V.US_CITIES], idx))
    t.col("state", "VARCHAR", lookup([st for _, st, _ in V.US_CITIES], idx), "US state code")
    if with_region:
        t.col(
            "region",
            "VARCHAR",
            lookup([region_of_state(st) for _, st, _ in V.US_CITIES], idx),
            "US Census region",
            values=REGIONS,
        )


def birth_date(s: Streams, mean_age: float, sd: float, lo: int, hi: int) -> str:
    """SQL for a birth date giving an age (on 2024-01-01) ~ Normal(mean, sd) clamped to [lo, hi] years."""
    age_days = f"LEAST({hi * 365}, GREATEST({lo * 365}, ({mean_age!r} + {sd!r} * {normal(s)}) * 365.25))::INTEGER"
    return f"(DATE '2024-01-01' - {age_days})"


def date_between(s: Streams, first: str, last: str) -> str:
    """SQL for a uniform DATE between two ISO dates (inclusive)."""
    return f"(DATE '{first}' + floor({unit(s)} * (DATE '{last}' - DATE '{first}' + 1))::INTEGER)"


__all__ = [
    "REGIONS",
    "birth_date",
    "clamp",
    "date_between",
    "list_lit",
    "person",
    "region_of_state",
    "us_city",
]
