"""The date window every schema uses, its `dim_date`, and seasonal day distributions.

Window: 2024-01-01 .. 2025-12-31 (731 days, fixed so that seeds reproduce across years).
`date_key` is the yyyymmdd integer of the day (Kimball convention). Seasonal profiles give a
weight per day (month, weekday, holiday and trend factors below); `seasonal_day` turns them into
a 4,096-bucket lookup so a fact row picks its day with one list lookup.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from batchcore.datagen.spec import Streams, Table, TableBuilder
from batchcore.datagen.sqlfn import bucket_indices, list_lit, lookup

START = date(2024, 1, 1)
DAYS = 731
DAY_BUCKETS = 4096
# First value of orphan date_key defects: 2030-01-01 and later never exist in dim_date.
ORPHAN_DATE_KEY = 20300101


def day(offset: int) -> date:
    """The date `offset` days after START."""
    return START + timedelta(days=offset)


@lru_cache(maxsize=1)
def date_keys() -> tuple[int, ...]:
    """yyyymmdd of each day of the window, by offset."""
    return tuple(int(day(k).strftime("%Y%m%d")) for k in range(DAYS))


def _thanksgiving(year: int) -> date:
    nov1 = date(year, 11, 1)
    return nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def holidays() -> dict[date, str]:
    """US federal holidays in the window (source: 5 U.S.C. 6103), observed on the day itself."""
    out: dict[date, str] = {}
    for y in (2024, 2025):
        out[date(y, 1, 1)] = "New Year's Day"
        out[_nth_weekday(y, 1, 0, 3)] = "Martin Luther King Jr. Day"
        out[_nth_weekday(y, 2, 0, 3)] = "Presidents' Day"
        out[_last_weekday(y, 5, 0)] = "Memorial Day"
        out[date(y, 6, 19)] = "Juneteenth"
        out[date(y, 7, 4)] = "Independence Day"
        out[_nth_weekday(y, 9, 0, 1)] = "Labor Day"
        out[_nth_weekday(y, 10, 0, 2)] = "Columbus Day"
        out[date(y, 11, 11)] = "Veterans Day"
        out[_thanksgiving(y)] = "Thanksgiving Day"
        out[date(y, 12, 25)] = "Christmas Day"
    return out


# Relative weights per month (Jan..Dec) and weekday (Mon..Sun) for each profile; sources are
# the usual shapes: US retail sales peak in Nov-Dec (Census monthly retail trade), respiratory
# visits peak in winter (CDC ILINet), bank transactions cluster on weekdays and month ends.
_PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "retail": (
        (0.80, 0.75, 0.90, 0.92, 1.00, 1.00, 1.00, 1.05, 0.95, 1.00, 1.30, 1.60),
        (0.90, 0.88, 0.90, 0.95, 1.05, 1.30, 1.15),
    ),
    "healthcare": (
        (1.30, 1.25, 1.10, 1.00, 0.95, 0.90, 0.85, 0.90, 1.00, 1.05, 1.10, 1.25),
        (1.25, 1.20, 1.15, 1.15, 1.05, 0.45, 0.35),
    ),
    "finance": (
        (1.00, 0.95, 1.05, 1.00, 1.00, 1.00, 0.95, 0.95, 1.00, 1.00, 1.00, 1.10),
        (1.15, 1.10, 1.10, 1.10, 1.20, 0.45, 0.30),
    ),
}


@lru_cache(maxsize=8)
def day_weights(profile: str) -> tuple[float, ...]:
    """Weight of each day of the window for `profile` (retail | healthcare | finance).

    Retail: Black Friday x3, the Saturday before Christmas x2, Christmas Day x0.1; healthcare:
    holidays x0.5; finance: the last two days of a month x1.6 (salaries, bills). All profiles grow
    6 % a year (a gentle trend). Raises KeyError for an unknown profile.
    """
    months, weekdays = _PROFILES[profile]
    hol = holidays()
    out = []
    for k in range(DAYS):
        d = day(k)
        w = months[d.month - 1] * weekdays[d.weekday()] * (1.0 + 0.06 * k / 365.0)
        if profile == "retail":
            if d == _thanksgiving(d.year) + timedelta(days=1):
                w *= 3.0
            elif d.month == 12 and d.day == 25:
                w *= 0.1
            elif d.month == 12 and 17 <= d.day <= 23 and d.weekday() == 5:
                w *= 2.0
        elif profile == "healthcare" and d in hol:
            w *= 0.5
        elif profile == "finance" and (d + timedelta(days=2)).month != d.month:
            w *= 1.6
        out.append(w)
    return tuple(out)


def seasonal_bucket(s: Streams) -> str:
    """SQL for a uniform bucket 0..4095 (12 random bits); map it with `bucket_day` / `bucket_date_key`."""
    return s.bits(12)


@lru_cache(maxsize=8)
def _buckets(profile: str) -> tuple[int, ...]:
    return tuple(bucket_indices(day_weights(profile), DAY_BUCKETS))


def bucket_day(bucket: str, profile: str) -> str:
    """SQL: the day offset (0..730) of a seasonal bucket for the profile's weights."""
    return f"{list_lit(_buckets(profile))}[1 + {bucket}]"


def bucket_date_key(bucket: str, profile: str) -> str:
    """SQL: the date_key of a seasonal bucket (one lookup, no intermediate day offset)."""
    keys = date_keys()
    return f"{list_lit([keys[d] for d in _buckets(profile)])}[1 + {bucket}]"


def date_key_of(offset: str) -> str:
    """SQL: the date_key of a day offset expression."""
    return lookup(date_keys(), offset)


def date_of(offset: str) -> str:
    """SQL: the DATE of a day offset expression."""
    return f"(DATE '{START.isoformat()}' + ({offset})::INTEGER)"


def month_index_of(offset: str) -> str:
    """SQL: 0-based month of the window (0..23) of a day offset expression."""
    return lookup([(day(k).year - START.year) * 12 + day(k).month - 1 for k in range(DAYS)], offset)


def month_end_keys() -> list[int]:
    """date_key of the last day of each of the 24 months of the window."""
    keys = []
    for m in range(24):
        y, mo = START.year + m // 12, m % 12 + 1
        keys.append(
            int((date(y + mo // 12, mo % 12 + 1, 1) - timedelta(days=1)).strftime("%Y%m%d"))
        )
    return keys


def dim_date(seed: int, salt: int) -> Table:
    """`dim_date`: one row per day of the window (731 rows, whatever row_count is)."""
    hol = holidays()
    t = TableBuilder(
        "dim_date",
        kind="dimension",
        rows=DAYS,
        rows_rule="731 (2024-01-01 .. 2025-12-31)",
        description="Calendar: one row per day, keyed by yyyymmdd",
        primary_key=("date_key",),
        seed=seed,
        salt=salt,
    )
    t.col(
        "date_key",
        "INTEGER",
        date_key_of("i"),
        "yyyymmdd",
        valid=(20240101, 20251231),
        orphan_start=ORPHAN_DATE_KEY,
    )
    t.col("full_date", "DATE", date_of("i"))
    t.col("year", "SMALLINT", "year(full_date)::SMALLINT", valid=(2024, 2025))
    t.col("quarter", "SMALLINT", "quarter(full_date)::SMALLINT", valid=(1, 4))
    t.col("month", "SMALLINT", "month(full_date)::SMALLINT", valid=(1, 12))
    t.col("month_name", "VARCHAR", "monthname(full_date)")
    t.col("day_of_month", "SMALLINT", "day(full_date)::SMALLINT", valid=(1, 31))
    t.col(
        "day_of_week",
        "SMALLINT",
        "isodow(full_date)::SMALLINT",
        "ISO: 1 = Monday .. 7 = Sunday",
        valid=(1, 7),
    )
    t.col("day_name", "VARCHAR", "dayname(full_date)")
    t.col("week_of_year", "SMALLINT", "weekofyear(full_date)::SMALLINT", "ISO week", valid=(1, 53))
    t.col("is_weekend", "BOOLEAN", "isodow(full_date) >= 6")
    t.col(
        "holiday_name",
        "VARCHAR",
        lookup([hol.get(day(k)) for k in range(DAYS)], "i"),
        "US federal holiday, NULL on other days",
        nullable=True,
    )
    t.col("is_holiday", "BOOLEAN", "holiday_name IS NOT NULL")
    return t.build()
