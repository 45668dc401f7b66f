"""Bounded text for messages people read: a clipped string, a list that names a few items."""

from __future__ import annotations

from collections.abc import Sequence

ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters (`limit` ≥ 1), ending with "…" when it was cut."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1 (got {limit!r})")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def listing(items: Sequence[str], limit: int, *, sep: str = ", ") -> str:
    """The first `limit` items joined by `sep`, then `… and N more` for the rest:
    `a, b, c … and 4 more`."""
    shown = sep.join(items[:limit])
    rest = len(items) - limit
    return f"{shown} {ELLIPSIS} and {rest:,} more" if rest > 0 else shown
