"""`freshness`: the newest value of a timestamp column is not older than `max_age`.

YAML: `{type: freshness, table: T, column: loaded_at, max_age: 24h}`; `max_age` is a number of
seconds or a duration like `90m`, `36h`, `7d`, `1d12h`. Age = the database's own clock minus
the newest value: a naive timestamp (or DATE) column holds the session's local time and is
compared with the session's local clock (PostgreSQL LOCALTIMESTAMP, MySQL NOW(), DuckDB
current_localtimestamp(); SQLite's clock is UTC); a TIMESTAMPTZ column (MySQL TIMESTAMP) is an
instant compared with the current instant; text with a UTC offset is an instant (Dialect.ts_text).
`observed.clock` names the clock and the session's zone as the database reports it. A newest
value more than FUTURE_SKEW_S ahead of that clock fails (`observed.future`): it was written on
another zone's clock, so its age cannot be known.
Passes by age, not by threshold. When stale, every non-NULL row is older than the limit: `failed_rows` = those rows
(pass rate 1 − failed ÷ every row, NULLs counting as not failed, like the value checks).
NULLs are ignored; an empty table (or only NULLs) passes with pass rate 1.0 and
`observed.max_value` null: pair it with `row_count: {min: 1}` to require rows.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import field_validator

from batchcore.dialects.types import TIME_FAMILIES
from batchcore.validation.checks.base import (
    ColumnCheckSpec,
    Outcome,
    QueryCheck,
    RunContext,
    as_int,
    ratio,
)

# a newest value up to this many seconds ahead of the database's clock is clock skew between
# writer and database (age counted as 0); further ahead, the column was written on another
# clock or zone than the one read: the check fails and says so
FUTURE_SKEW_S = 300.0

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)\s*([smhdw])\s*)+$")


def parse_duration(value: Any) -> float:
    """Seconds in `value`: a number (seconds) or `1d12h`, `90m`, `45s`. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 24h, 90m, 7d or a number of seconds")
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ValueError("must be greater than 0")
        return float(value)
    text = str(value).strip().lower()
    if not _DURATION.match(text):
        raise ValueError(
            f"{value!r} is not a duration such as 24h, 90m, 7d, 1d12h or a number of seconds"
        )
    total = sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)\s*([smhdw])", text))
    if total <= 0:
        raise ValueError("must be greater than 0")
    return total


def _human(seconds: float) -> str:
    """`4 d 3 h`, `90 s`: a duration for messages."""
    s = abs(seconds)
    if s >= 86400:
        return f"{s / 86400:,.1f} days"
    if s >= 3600:
        return f"{s / 3600:.1f} hours"
    if s >= 60:
        return f"{s / 60:.1f} minutes"
    return f"{s:.1f} seconds"


def parse_ts_text(value: Any) -> datetime | None:
    """A canonical timestamp text (Dialect.ts_text: `YYYY-MM-DD HH:MM:SS.ffffff`) as a naive
    datetime. Raises ValueError for a text that is not a timestamp."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None


class FreshnessSpec(ColumnCheckSpec):
    """Keys: table, column, max_age."""

    max_age: str | int | float

    @field_validator("max_age")
    @classmethod
    def _duration(cls, v):
        parse_duration(v)
        return v


class FreshnessCheck(QueryCheck):
    def __init__(self, spec: FreshnessSpec):
        super().__init__(
            spec,
            table=spec.table,
            columns=[spec.column],
            label=f"freshness({spec.table}.{spec.column})",
        )

    def _family(self, ctx: RunContext) -> str:
        fam = ctx.column("target", self.table, self.spec.column).family
        if fam not in (*TIME_FAMILIES, "string"):
            raise ValueError(
                f"freshness needs a date/time column (or text holding timestamps): "
                f"{self.spec.column!r} is {fam}"
            )
        return fam

    def sql_preview(self, ctx: RunContext) -> str:
        conn = ctx.target
        d = conn.dialect
        fam = self._family(ctx)
        c = d.quote(self.spec.column)
        clock = d.now_utc_text() if fam == "timestamptz" else d.now_local_text()
        zone = d.session_zone_sql() if fam != "timestamptz" and not d.local_clock_is_utc else None
        return (
            f"SELECT count(*), {d.extreme_ts_text('max', c, fam)}, {clock}, count({c})"
            f"{', ' + zone if zone else ''} "
            f"FROM {conn.table_ref(self.table)}{self.where_sql(conn)}"
        )

    @staticmethod
    def clock_name(fam: str, dialect, zone: Any) -> str:
        """`UTC` (an instant, or SQLite's clock), `session local time (ZONE)` with the zone the
        database reports for the session, or `session local time` where it reports none."""
        if fam == "timestamptz" or dialect.local_clock_is_utc:
            return "UTC"
        return f"session local time ({zone})" if zone else "session local time"

    def run(self, ctx: RunContext) -> Outcome:
        fam = self._family(ctx)
        sql = self.sql_preview(ctx)
        _, rows = ctx.query("target", sql)
        total, newest, now = (
            as_int(rows[0][0]),
            parse_ts_text(rows[0][1]),
            parse_ts_text(rows[0][2]),
        )
        non_null = as_int(rows[0][3])
        zone = rows[0][4] if len(rows[0]) > 4 else None
        limit = parse_duration(self.spec.max_age)
        observed = {
            "max_value": newest.isoformat(sep=" ") if newest else None,
            "now": now.isoformat(sep=" ") if now else None,
            "clock": self.clock_name(fam, ctx.target.dialect, zone),
            "max_age_seconds": limit,
        }
        if newest is None:
            return Outcome(
                total_rows=total,
                failed_rows=0,
                passed=True,
                uses_threshold=False,
                pass_rate=1.0,
                observed=observed,
                sql=sql,
                details={"note": "no non-NULL value: nothing to be stale"},
            )
        age = (now - newest).total_seconds()
        observed["age_seconds"] = round(age, 3)
        ok = age <= limit
        reason = f"newest value is {_human(age)} old (max {_human(limit)})"
        if age < -FUTURE_SKEW_S:  # not fresh: read on another clock than it was written on
            ok = False
            observed["future"] = True
            reason = (
                f"newest value is {_human(age)} in the future of the database's clock "
                f"({observed['clock']}, now {observed['now']}): the column was written in "
                "another time zone or clock; set the connection's options.time_zone to the "
                "writers' zone"
            )
        return Outcome(
            total_rows=total,
            failed_rows=0 if ok else non_null,
            non_null_rows=non_null,
            passed=ok,
            uses_threshold=False,
            pass_rate=ratio(0 if ok else non_null, total),
            observed=observed,
            sql=sql,
            details={"reason": reason},
        )


def plans(spec: FreshnessSpec) -> list[FreshnessCheck]:
    return [FreshnessCheck(spec)]
