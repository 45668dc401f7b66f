"""UTC time helpers. The store keeps naive UTC; everything shown or returned is timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def utcnow_naive() -> datetime:
    """Now as naive UTC (the store's representation)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_db(ts: datetime | None) -> datetime | None:
    """Aware (any zone) or naive-UTC datetime -> naive UTC for the store."""
    if ts is None:
        return None
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts


def from_db(ts: datetime | None) -> datetime | None:
    """Naive UTC from the store -> aware UTC."""
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def duration_ms(start: datetime | None, end: datetime | None) -> float | None:
    """Milliseconds from `start` to `end`; None (blank) when either is missing or end < start."""
    if start is None or end is None:
        return None
    ms = (to_db(end) - to_db(start)).total_seconds() * 1000.0
    return ms if ms >= 0 else None


def duration_ms_sql(start: str, end: str) -> str:
    """`duration_ms` as a SQL expression over two naive-UTC timestamp expressions (DuckDB):
    milliseconds as a DOUBLE, microsecond precision."""
    return f"date_diff('microsecond', {start}, {end}) / 1000.0"


# A datetime as every API and view model returns it: timezone-aware UTC. A naive value (the store's
# representation) is read as UTC, so no response can carry a time without its zone (OpenAPI's
# `date-time` format requires one).
UtcDateTime = Annotated[datetime, AfterValidator(from_db)]
