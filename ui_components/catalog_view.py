"""Rendering of metadata snapshots and their diffs (Catalog page).

Shapes come from `batchcore.metadata`: `list_snapshots` rows (snapshot_id, connection_name,
connection_type, schema_name, created_at, table_count, column_count, ...), a snapshot's
`catalog["tables"]` (name, kind, row_estimate, columns [ordinal, name, data_type, nullable,
default], primary_key {name, columns}, foreign_keys [...]) and `diff_rows` (change, object,
table, column, attribute, old, new).
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def snapshot_label(s: dict[str, Any]) -> str:
    """`warehouse · main · 2026-11-30 06:00 · 12 tables`."""
    parts = [str(s["connection_name"])]
    if s.get("schema_name"):
        parts.append(str(s["schema_name"]))
    if s.get("created_at") is not None:
        parts.append(str(s["created_at"])[:16])
    parts.append(f"{s['table_count']} tables")
    return " · ".join(parts)


def tables_of(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The tables of a snapshot's catalog."""
    return list(snapshot["catalog"].get("tables", []))


def tables_frame(tables: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per table: name, kind, columns, row estimate, primary key, foreign keys."""
    return pd.DataFrame(
        [
            {
                "Table": t["name"],
                "Type": t.get("kind", ""),
                "Columns": len(t.get("columns", [])),
                "Row estimate": t.get("row_estimate"),
                "Primary key": ", ".join((t.get("primary_key") or {}).get("columns", [])),
                "Foreign keys": len(t.get("foreign_keys") or []),
            }
            for t in tables
        ]
    )


def columns_frame(table: dict[str, Any]) -> pd.DataFrame:
    """One row per column of a table: position, name, type, nullable, default."""
    return pd.DataFrame(
        [
            {
                "#": c["ordinal"],
                "Column": c["name"],
                "Type": c["data_type"],
                "Nullable": c["nullable"],
                "Default": c.get("default"),
            }
            for c in table.get("columns", [])
        ]
    )


def diff_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The diff as a table, one row per change (from `batchcore.metadata.diff.diff_rows`)."""
    return pd.DataFrame(rows)


def change_counts(df: pd.DataFrame) -> dict[str, int]:
    """Rows per kind of change: added / removed / changed."""
    if df.empty:
        return {}
    return {str(k): int(v) for k, v in df["change"].value_counts().items()}
