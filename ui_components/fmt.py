"""Formatting of durations, timestamps and counts for tables and captions (UTC everywhere)."""

from __future__ import annotations

from datetime import UTC, datetime


def duration(ms: float | None) -> str:
    """850 ms, 12.3 s, 4 m 05 s, 2 h 03 m; an em dash when unknown."""
    if ms is None:
        return "—"
    ms = float(ms)
    if ms < 1000:
        return f"{ms:.0f} ms"
    s = ms / 1000.0
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(round(s), 60)
    if m < 60:
        return f"{m} m {sec:02d} s"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h} h {m:02d} m"
    d, h = divmod(h, 24)
    return f"{d} d {h:02d} h"


def ts(value: datetime | None) -> str:
    """`2026-11-30 05:57:19` in UTC; an em dash when missing."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def pct(rate: float | None, digits: int = 1) -> str:
    """0.9751 → `97.5%`; an em dash when missing."""
    return "—" if rate is None else f"{rate * 100:.{digits}f}%"


def count(n: int | None) -> str:
    """12345 → `12,345`; an em dash when missing."""
    return "—" if n is None else f"{int(n):,}"


def ops_summary(
    done: int, total: int, failed: int = 0, skipped: int = 0, cancelled: int = 0
) -> str:
    """`7/10 done · 2 failed · 1 skipped` (zero counts left out)."""
    parts = [f"{done}/{total} done"]
    if failed:
        parts.append(f"{failed} failed")
    if skipped:
        parts.append(f"{skipped} skipped")
    if cancelled:
        parts.append(f"{cancelled} cancelled")
    return " · ".join(parts)
