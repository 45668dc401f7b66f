"""Cron expressions in an IANA time zone: the planned times of a schedule, DST included.

`croniter` parses the 5-field expression and walks *wall-clock* times (naive, no zone, so it
never meets a DST edge); this module maps each wall time to real instants with `zoneinfo`,
following Vixie cron's rule for the two DST edges (man 8 cron):

- a wall time that does not exist (spring forward, e.g. 02:30 in Europe/Berlin on the last
  Sunday of March): a job at a fixed time runs once, at the instant the clocks jump (03:00
  local); a job with `*` in its minute or hour field has nothing to run there (the real minutes
  around the gap are matched by its other wall times);
- a wall time that occurs twice (fall back): a job at a fixed time runs once, at the first
  occurrence; a job with `*` in its minute or hour field runs at both (every real minute or
  hour keeps its run).

Every planned time is an aware UTC datetime; `next_after(t)` is strictly increasing in `t`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from croniter.croniter import CroniterError

from batchcore.errors import RequestError

FIELDS = ("minute", "hour", "day of month", "month", "day of week")
ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# a DST fold or gap is at most this long (3 h: what Vixie cron treats as a DST change)
_FOLD = timedelta(hours=3)
_MAX_STEPS = 2000  # wall times examined by one search (a fold of 3 h at one run a minute: 360)


def parse_timezone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone `name` (e.g. `Europe/Berlin`, `UTC`). Raises RequestError naming `field`."""
    if not isinstance(name, str) or not name.strip():
        raise RequestError(
            f"{field}: give an IANA time zone name such as 'Europe/Berlin' or 'UTC'",
            field=field,
            value=name,
        )
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise RequestError(
            f"{field}: unknown IANA time zone {name!r} (use names like 'Europe/Berlin', "
            "'America/New_York' or 'UTC')",
            field=field,
            value=name,
        ) from None


def normalise_cron(expr: str, *, field: str = "cron") -> str:
    """The 5-field form of `expr` (aliases like `@daily` expanded, spaces collapsed).

    Raises RequestError naming `field` with the reason (wrong number of fields, a value out of
    range, a bad step or name)."""
    if not isinstance(expr, str) or not expr.strip():
        raise RequestError(
            f"{field}: give a cron expression of 5 fields (minute hour day-of-month month "
            "day-of-week), e.g. '0 6 * * 1-5'",
            field=field,
            value=expr,
        )
    text = " ".join(expr.split())
    text = ALIASES.get(text.lower(), text)
    parts = text.split(" ")
    if len(parts) != 5:
        raise RequestError(
            f"{field}: a cron expression has 5 fields ({' '.join(f.replace(' ', '-') for f in FIELDS)}), "
            f"got {len(parts)} in {expr!r}",
            field=field,
            value=expr,
        )
    try:
        croniter(text, datetime(2000, 1, 1))
    except (CroniterError, ValueError, KeyError) as exc:
        raise RequestError(
            f"{field}: {expr!r} is not valid: {exc}", field=field, value=expr
        ) from None
    return text


class CronSchedule:
    """The planned times of `expr` in `timezone`. Raises RequestError for a bad expression or zone.

    `next_after(t)` / `latest_at_or_before(t)` take and return aware datetimes (UTC out).
    """

    def __init__(self, expr: str, timezone: str):
        self.expr = normalise_cron(expr)
        self.zone = parse_timezone(timezone)
        minute, hour = self.expr.split(" ")[:2]
        # Vixie cron: only jobs at a particular time are moved by DST; '*' jobs follow the clock
        self.wildcard = minute.startswith("*") or hour.startswith("*")

    # ------------------------------------------------------------ wall time -> instants
    def _wall(self, t: datetime) -> datetime:
        return t.astimezone(self.zone).replace(tzinfo=None)

    def instants(self, wall: datetime) -> list[datetime]:
        """The real instants (aware UTC, ascending) at which wall time `wall` fires."""
        first = wall.replace(tzinfo=self.zone, fold=0)
        second = wall.replace(tzinfo=self.zone, fold=1)
        a, b = first.astimezone(UTC), second.astimezone(UTC)
        if a.astimezone(self.zone).replace(tzinfo=None) != wall:  # in a spring-forward gap
            return [] if self.wildcard else [self._transition(min(a, b), max(a, b))]
        if a != b:  # occurs twice (fall back)
            return [min(a, b), max(a, b)] if self.wildcard else [min(a, b)]
        return [a]

    def _transition(self, lo: datetime, hi: datetime) -> datetime:
        """The instant in (lo, hi] where the zone's UTC offset changes (the clocks jump)."""
        before = lo.astimezone(self.zone).utcoffset()
        while hi - lo > timedelta(seconds=1):
            mid = lo + (hi - lo) / 2
            if mid.astimezone(self.zone).utcoffset() == before:
                lo = mid
            else:
                hi = mid
        return hi.replace(microsecond=0)

    def _margin(self, t: datetime) -> timedelta:
        """How far wall-clock order may differ from real order near `t`: the size of a DST
        change within 3 h of `t` (0 elsewhere)."""
        before = (t - _FOLD).astimezone(self.zone).utcoffset()
        after = (t + _FOLD).astimezone(self.zone).utcoffset()
        return abs(after - before) if before is not None and after is not None else _FOLD

    # ------------------------------------------------------------ searches
    def next_after(self, t: datetime) -> datetime:
        """The first planned time strictly after `t` (aware). Raises RuntimeError if the
        expression never fires (e.g. `0 0 31 2 *`)."""
        margin = self._margin(t)
        it = croniter(self.expr, self._wall(t) - margin)
        best: datetime | None = None
        for _ in range(_MAX_STEPS):
            try:
                wall = it.get_next(datetime)
            except CroniterError:
                break
            if best is not None and wall > self._wall(best) + margin:
                break
            for inst in self.instants(wall):
                if inst > t and (best is None or inst < best):
                    best = inst
            if best is not None and margin == timedelta(0):
                break
        if best is None:
            raise RuntimeError(f"cron {self.expr!r} has no planned time after {t.isoformat()}")
        return best

    def latest_at_or_before(self, t: datetime) -> datetime | None:
        """The last planned time at or before `t` (aware), or None when there is none."""
        margin = self._margin(t)
        it = croniter(self.expr, self._wall(t) + margin + timedelta(minutes=1))
        best: datetime | None = None
        for _ in range(_MAX_STEPS):
            try:
                wall = it.get_prev(datetime)
            except CroniterError:
                break
            if best is not None and wall < self._wall(best) - margin:
                break
            for inst in self.instants(wall):
                if inst <= t and (best is None or inst > best):
                    best = inst
            if best is not None and margin == timedelta(0):
                break
        return best

    def between(self, start: datetime, end: datetime, limit: int = 10_000) -> list[datetime]:
        """Planned times in (start, end], ascending, at most `limit` of them (the first ones)."""
        it = croniter(self.expr, self._wall(start) - _FOLD)
        last_wall = self._wall(end) + _FOLD
        found: set[datetime] = set()
        while True:
            try:
                wall = it.get_next(datetime)
            except CroniterError:
                break
            if wall > last_wall:
                break
            found.update(i for i in self.instants(wall) if start < i <= end)
            if len(found) > limit + 400:  # enough: later walls cannot come before these
                break
        return sorted(found)[:limit]
