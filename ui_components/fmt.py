"""Formatting of durations, timestamps and counts for tables and captions (UTC everywhere)."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd

PERCENT_COLUMN_STEP = 0.0001  # the smallest step a `format="percent"` column shows: 0.01 %
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$:&!@])")
# Streamlit turns bare `https://…`, `www.…` and `a@b.cc` into links even when escaped (its
# autolinker reads the text after escapes are resolved): an invisible WORD JOINER breaks them
WORD_JOINER = "\u2060"
_MD_AUTOLINK = re.compile(r"(?i)(?<=\\:)(?=//)|(?<=\bwww)(?=\\\.)|(?=\\@)")


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
    """A rate 0–1 as a percentage with `digits` decimals: 0.9751 → `97.5%`.

    Exactly 1 and 0 are `100%` and `0%`. Rounding never makes a rate that is not 1 read as
    100 % (or one above 0 read as 0 %): 0.99996 → `>99.9%`, 0.00004 → `<0.1%`. An em dash when
    missing.
    """
    if rate is None or math.isnan(rate):
        return "—"
    if rate in (0, 1):
        return f"{rate * 100:.0f}%"
    text = f"{rate * 100:.{digits}f}"
    step = 10.0**-digits
    if 0 < rate < 1 and float(text) >= 100:
        return f">{100 - step:.{digits}f}%"
    if 0 < rate < 1 and float(text) <= 0:
        return f"<{step:.{digits}f}%"
    return f"{text}%"


def shown_rate(rate: float | None) -> float | None:
    """`rate` for a table column with `format="percent"` (Streamlit rounds it to 2 decimals in the
    browser): a rate just under 1 is lowered to 0.9999 (`99.99%`), one just above 0 raised to
    0.0001 (`0.01%`), so that only exactly 1 shows as 100 % and only 0 as 0 %. Exports keep the
    exact values."""
    if rate is None or math.isnan(rate) or not 0 < rate < 1:
        return rate
    return min(max(rate, PERCENT_COLUMN_STEP), 1 - PERCENT_COLUMN_STEP)


def count(n: int | None) -> str:
    """12345 → `12,345`; an em dash when missing."""
    return "—" if n is None else f"{int(n):,}"


def ops_summary(
    done: int, total: int, failed: int = 0, skipped: int = 0, cancelled: int = 0, errors: int = 0
) -> str:
    """`7/10 done · 1 failed · 1 error · 1 skipped` (zero counts left out): `failed` operations
    whose checks found bad data, `errors` operations that could not run."""
    parts = [f"{done}/{total} done"]
    if failed:
        parts.append(f"{failed} failed")
    if errors:
        parts.append(f"{errors} error{'s' if errors > 1 else ''}")
    if skipped:
        parts.append(f"{skipped} skipped")
    if cancelled:
        parts.append(f"{cancelled} cancelled")
    return " · ".join(parts)


def md_escape(text: str) -> str:
    """`text` shown as it is in Streamlit markdown (st.markdown, st.success, st.warning, dialogs,
    page-link and expander labels, help tooltips): the characters of markdown, HTML (`<`, `&`),
    LaTeX (`$`), `:emoji:` / `:red[...]` and links (`[`, `www.`, `@`) are backslash-escaped
    (a line's leading `- ` or `1. ` still makes a list item: multi-line reasons use them), and
    an invisible WORD_JOINER (U+2060) splits what Streamlit would still turn into a link
    (`://`, `www.`, `@`), so a user's job name shows as typed."""
    out = _MD_SPECIAL.sub(r"\\\1", str(text))
    out = re.sub(r"(?i)\b(www)\.", r"\1\\.", out)
    return _MD_AUTOLINK.sub(WORD_JOINER, out)


def arrow_safe(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with every column Arrow can type, for st.dataframe (which otherwise logs an
    ArrowTypeError traceback and guesses): in a column of Python objects, lists and dicts become
    their JSON text, and a column mixing types (12 and 'EWR') becomes text. NULLs stay NULL;
    columns of one type are left as they are."""
    out = df.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if col.dtype != object:
            continue
        types = {type(v) for v in col if v is not None and not _isnan(v)}
        if types & {list, tuple, dict}:
            out.iloc[:, i] = col.map(_json_text).astype(object)
        elif len(types) > 1:
            out.iloc[:, i] = col.map(lambda v: None if v is None or _isnan(v) else str(v))
    return out


def _isnan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _json_text(v: Any) -> str | None:
    if v is None or _isnan(v):
        return None
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, default=str)


def dash_missing(df: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`df` with each listed count column that has a missing value (a check that could not
    run) as text — `7,602`, `—` — instead of Streamlit's grey "None"; columns without a
    missing value stay numbers (sortable). Returns (frame, column_config overrides for the
    columns turned to text: right-aligned text columns)."""
    import streamlit as st

    out, config = df, {}
    for col in columns:
        if col in df.columns and df[col].isna().any():
            if out is df:
                out = df.copy()
            out[col] = [count(None if pd.isna(v) else v) for v in df[col]]
            config[col] = st.column_config.TextColumn(col, alignment="right")
    return out, config
