"""Tables never show Streamlit's grey "None": a missing count or default reads "—"."""

from __future__ import annotations

import pandas as pd

from ui_components import fmt
from ui_components.catalog_view import columns_frame


def test_catalog_column_without_a_default_reads_a_dash():
    df = columns_frame(
        {
            "columns": [
                {"ordinal": 1, "name": "id", "data_type": "INTEGER", "nullable": False},
                {
                    "ordinal": 2,
                    "name": "ts",
                    "data_type": "TIMESTAMP",
                    "nullable": True,
                    "default": "now()",
                },
                {"ordinal": 3, "name": "x", "data_type": "INT", "nullable": True, "default": None},
            ]
        }
    )
    assert list(df["Default"]) == ["—", "now()", "—"]


def test_dash_missing_turns_only_columns_with_a_gap_to_text():
    df = pd.DataFrame({"a": [1200, None], "b": [3, 4], "c": ["x", "y"]})
    out, config = fmt.dash_missing(df, ["a", "b", "missing"])
    assert list(out["a"]) == ["1,200", "—"]
    assert list(out["b"]) == [3, 4]  # no gap: still numbers (sortable)
    assert set(config) == {"a"}
    assert list(df["a"].isna()) == [False, True]  # the caller's frame is untouched
