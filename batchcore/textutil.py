"""Bounded text for messages people read: a clipped string, a list that names a few items, a
short repr of a refused value and what kind of JSON value it is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def short_value(value: Any, limit: int = 60) -> str:
    """A short repr for messages: long strings are cut and their length given."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit + 20 else text[: limit + 20] + "…"


_JSON_KINDS = (
    (bool, "true/false"),
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "a list"),
    (dict, "an object"),
    (type(None), "null"),
)


def json_kind(value: Any) -> str:
    """What a JSON value is, for messages: `a string`, `a number`, `true/false`, `an object`..."""
    return next((name for cls, name in _JSON_KINDS if isinstance(value, cls)), type(value).__name__)


def one_line(text: str) -> str:
    """`text` on one line: every run of whitespace (newlines too) becomes one space."""
    return " ".join(str(text).split())


def did_you_mean(value: str, known: Sequence[str], limit: int = 3) -> str:
    """` — did you mean 'a' or 'b'?` naming up to `limit` of `known` close to `value` (names
    that start with or contain it first, then difflib's close matches), or "" when none is."""
    import difflib

    v = str(value).lower()
    pool = list(dict.fromkeys(str(k) for k in known))
    close = [k for k in pool if k.lower().startswith(v)] + [k for k in pool if v in k.lower()]
    score = {k: difflib.SequenceMatcher(None, v, k.lower()).ratio() for k in pool}
    close += sorted((k for k in pool if score[k] >= 0.6), key=lambda k: (-score[k], k))
    picked = list(dict.fromkeys(close))[:limit] if v else []
    if not picked:
        return ""
    names = [repr(p) for p in picked]
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f" — did you mean {text}?"
