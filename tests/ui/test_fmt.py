"""Formatting: a rate under 1 never reads as 100 %, one above 0 never as 0 %; markdown escaping."""

from __future__ import annotations

import pytest

from ui_components import fmt


@pytest.mark.parametrize(
    ("rate", "digits", "text"),
    [
        (1.0, 1, "100%"),
        (1.0, 2, "100%"),
        (0.0, 1, "0%"),
        (0.96, 1, "96.0%"),
        (0.9751, 1, "97.5%"),
        (0.9751, 2, "97.51%"),
        (0.99949, 1, "99.9%"),
        (0.99996, 1, ">99.9%"),  # 1 failed row in 25,000: rounds to 100.0
        (0.99996, 2, ">99.99%"),
        (0.9995, 2, "99.95%"),
        (1 - 1 / 10_000_000, 2, ">99.99%"),
        (0.996, 0, ">99%"),  # 996 of 1,000 operations done
        (0.00004, 1, "<0.1%"),
        (0.004, 0, "<1%"),
        (0.5, 0, "50%"),
        (None, 1, "—"),
        (float("nan"), 1, "—"),
    ],
)
def test_pct(rate, digits, text):
    assert fmt.pct(rate, digits) == text


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        (1.0, 1.0),
        (0.0, 0.0),
        (0.96, 0.96),
        (0.99996, 0.9999),  # the browser's 2-decimal percent shows 99.99%, not 100%
        (0.99995, 0.9999),
        (0.99989, 0.99989),
        (0.00003, 0.0001),
        (None, None),
    ],
)
def test_shown_rate_keeps_a_rate_under_1_below_100_percent_in_tables(rate, shown):
    assert fmt.shown_rate(rate) == shown


def test_md_escape_keeps_text_as_written():
    assert fmt.md_escape("type 'not_a_check' at ${HOST}: *x* [a](b) <i>") == (
        "type 'not\\_a\\_check' at \\${HOST}\\: \\*x\\* \\[a\\](b) \\<i\\>"
    )
    assert fmt.md_escape("plain text, 3 rows") == "plain text, 3 rows"
