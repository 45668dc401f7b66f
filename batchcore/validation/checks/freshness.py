"""`freshness`: the newest value of a timestamp column is not older than `max_age`.

YAML: `{type: freshness, table: T, column: loaded_at, max_age: 24h}`; `max_age` is a number of
seconds or a duration like `90m`, `36h`, `7d`, `1d12h`. Age = the database's own clock (now, UTC)
minus max(column); timestamps without a time zone are read as UTC. Passes by age, not by
threshold. When stale, every non-NULL row is older than the limit: `failed_rows` = those rows
(pass rate 1 − failed ÷ every row, NULLs counting as not failed, like the value checks).
NULLs are ignored; an empty table (or only NULLs) passes with pass rate 1.0 and
`observed.max_value` null: pair it with `row_count: {min: 1}` to require rows.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import field_validator

from batchcore.validation.checks.base import (
    ColumnCheckSpec,
    Outcome,
    QueryCheck,
    RunContext,
    as_int,
    ratio,
)
from batchcore.validation.sqlgen import now_utc

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


def to_utc(value: Any) -> datetime | None:
    """A timestamp value from any driver as an aware UTC datetime (naive = UTC; ISO text parsed)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    raise ValueError(f"not a timestamp: {value!r}")


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

    def sql_preview(self, ctx: RunContext) -> str:
        conn = ctx.target
        c = conn.dialect.quote(self.spec.column)
        return f"SELECT count(*), max({c}), {now_utc(conn.dialect)}, count({c}) FROM {conn.table_ref(self.table)}{self.where_sql(conn)}"

    def run(self, ctx: RunContext) -> Outcome:
        ctx.column("target", self.table, self.spec.column)
        sql = self.sql_preview(ctx)
        _, rows = ctx.query("target", sql)
        total, newest, now = as_int(rows[0][0]), to_utc(rows[0][1]), to_utc(rows[0][2])
        non_null = as_int(rows[0][3])
        limit = parse_duration(self.spec.max_age)
        observed = {
            "max_value": newest.isoformat() if newest else None,
            "now": now.isoformat() if now else None,
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
