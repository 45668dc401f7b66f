"""Planned times of cron expressions across DST changes, against a brute-force oracle.

The oracle looks at every real minute of a window and decides from the rule alone (Vixie cron,
see batchcore.schedules.cron) whether it is a planned time; `next_after` must list exactly those.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from batchcore.errors import RequestError
from batchcore.schedules.cron import CronSchedule, normalise_cron, parse_timezone

# (zone, a UTC instant a day before a DST change)
CHANGES = [
    ("Europe/Berlin", datetime(2026, 3, 28, 12, 0, tzinfo=UTC)),  # spring forward 29 Mar 01:00Z
    ("Europe/Berlin", datetime(2026, 10, 24, 12, 0, tzinfo=UTC)),  # fall back 25 Oct 01:00Z
    ("America/New_York", datetime(2026, 3, 7, 12, 0, tzinfo=UTC)),  # spring forward 8 Mar 07:00Z
    ("America/New_York", datetime(2026, 10, 31, 12, 0, tzinfo=UTC)),  # fall back 1 Nov 06:00Z
]
EXPRESSIONS = ["* * * * *", "*/15 * * * *", "30 2 * * *", "0 * * * *", "5 1-3 * * *", "0 6 * * 1-5"]


def oracle(expr: str, zone: ZoneInfo, start: datetime, minutes: int) -> list[datetime]:
    minute, hour = expr.split()[:2]
    wildcard = minute.startswith("*") or hour.startswith("*")
    out = []
    for k in range(1, minutes + 1):
        i = start + timedelta(minutes=k)
        local = i.astimezone(zone)
        wall = local.replace(tzinfo=None)
        prev_off = (i - timedelta(seconds=1)).astimezone(zone).utcoffset()
        fires = False
        if croniter.match(expr, wall):
            twice = (
                wall.replace(tzinfo=zone, fold=0).utcoffset()
                != wall.replace(tzinfo=zone, fold=1).utcoffset()
            )
            fires = wildcard or not twice or local.fold == 0
        if (
            not fires and not wildcard and local.utcoffset() > prev_off
        ):  # clocks jumped forward here
            gap_start = (i + prev_off).replace(tzinfo=None)
            w = gap_start
            while w < wall:
                if croniter.match(expr, w):
                    fires = True
                    break
                w += timedelta(minutes=1)
        if fires:
            out.append(i)
    return out


@pytest.mark.parametrize("zone,start", CHANGES, ids=[f"{z}-{s:%m}" for z, s in CHANGES])
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_planned_times_match_the_oracle_across_dst(expr, zone, start):
    cron = CronSchedule(expr, zone)
    minutes = 48 * 60
    expected = oracle(expr, ZoneInfo(zone), start, minutes)
    got = list(cron.between(start, start + timedelta(minutes=minutes)))
    assert got == expected
    # next_after steps through the same times around the change (start + 11 h .. + 15 h)
    near = [t for t in expected if start + timedelta(hours=11) <= t <= start + timedelta(hours=15)]
    for prev, want in itertools.pairwise(near):
        assert cron.next_after(prev) == want
        assert cron.next_after(prev + (want - prev) / 2) == want
    # the latest planned time at or before each expected time is that time
    for t in expected[:: max(1, len(expected) // 50)]:
        assert cron.latest_at_or_before(t) == t
        assert cron.latest_at_or_before(t + timedelta(seconds=59)) == t


def test_daily_0230_runs_once_on_both_change_days_in_berlin():
    cron = CronSchedule("30 2 * * *", "Europe/Berlin")
    spring = list(
        cron.between(datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 30, 12, tzinfo=UTC))
    )
    # 28 Mar 02:30 CET is before the window; 29 Mar 02:30 does not exist: run at the jump (01:00Z)
    assert spring == [
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
    ]
    autumn = list(
        cron.between(datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC))
    )
    # 25 Oct 02:30 happens twice (CEST, then CET): once, at the first (00:30Z)
    assert autumn == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
    ]


def test_every_minute_keeps_every_real_minute_across_fall_back_in_new_york():
    cron = CronSchedule("* * * * *", "America/New_York")
    start = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    got = list(cron.between(start, start + timedelta(hours=4)))
    assert got == [
        start + timedelta(minutes=k) for k in range(1, 241)
    ]  # 240 real minutes, none twice


@pytest.mark.parametrize(
    "expr,fragment",
    [
        ("0 6 * *", "5 fields"),
        ("0 6 * * * *", "got 6"),
        ("61 * * * *", "not valid"),
        ("0 25 * * *", "not valid"),
        ("", "give a cron expression"),
        ("0 6 * * mon-xyz", "not valid"),
    ],
)
def test_bad_cron_names_the_field_with_the_reason(expr, fragment):
    with pytest.raises(RequestError) as info:
        normalise_cron(expr)
    assert info.value.field == "cron"
    assert fragment in info.value.message


def test_aliases_and_zones():
    assert normalise_cron("@daily") == "0 0 * * *"
    assert normalise_cron("  0   6 * *  1-5 ") == "0 6 * * 1-5"
    with pytest.raises(RequestError) as info:
        parse_timezone("Europe/Berln")
    assert info.value.field == "timezone" and "Europe/Berln" in info.value.message
