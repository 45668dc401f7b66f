"""Rendering of metadata snapshots and their diffs (Catalog page).

The snapshot API (`batchcore.metadata.snapshots`) returns records; these helpers accept dicts,
DataFrames or objects with attributes, so the page only depends on the field names of the
job store's `catalog_snapshots` table and of DESIGN §9 (tables, columns, keys, row estimates).
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

CHANGE_COLUMNS = ("change", "change_type", "kind", "action", "status")


def records(value: Any) -> list[dict[str, Any]]:
    """A list of dicts from a DataFrame, a list of dicts, or objects (pydantic / dataclass)."""
    if value is None:
        return []
    if isinstance(value, pd.DataFrame):
        return value.to_dict("records")
    out = []
    for item in value:
        out.append(as_dict(item))
    return out


def as_dict(item: Any) -> dict[str, Any]:
    """One record as a dict."""
    if isinstance(item, dict):
        return item
    if hasattr(item, "model_dump"):
        return item.model_dump()
    if hasattr(item, "_asdict"):
        return item._asdict()
    if hasattr(item, "__dict__"):
        return dict(vars(item))
    return {"value": item}


def _first(d: dict[str, Any], *names: str, default: Any = None) -> Any:
    for n in names:
        if n in d and d[n] is not None:
            return d[n]
    return default


def snapshot_label(s: dict[str, Any]) -> str:
    """`warehouse · main · 2026-11-30 06:00 · 12 tables`."""
    parts = [str(_first(s, "connection_name", default="?"))]
    if s.get("schema_name"):
        parts.append(str(s["schema_name"]))
    created = s.get("created_at")
    if created is not None:
        parts.append(str(created)[:16])
    if s.get("table_count") is not None:
        parts.append(f"{s['table_count']} tables")
    return " · ".join(parts)


def tables_of(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The tables of a snapshot's catalog (list or name → table mapping), each a dict."""
    catalog = snapshot.get("catalog", snapshot)
    if isinstance(catalog, dict):
        tables = catalog.get("tables", catalog.get("objects", []))
    else:
        tables = catalog
    if isinstance(tables, dict):
        tables = [
            {"name": k, **(v if isinstance(v, dict) else {"value": v})} for k, v in tables.items()
        ]
    return [as_dict(t) for t in tables or []]


def tables_frame(tables: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per table: name, type, columns, row estimate, primary key, foreign keys."""
    rows = []
    for t in tables:
        pk = _first(t, "primary_key", "primary_keys", default=[])
        fks = _first(t, "foreign_keys", default=[])
        rows.append(
            {
                "Table": _first(t, "name", "table_name", default="?"),
                "Type": _first(t, "table_type", "type", "kind", default=""),
                "Columns": len(_first(t, "columns", default=[]) or []),
                "Row estimate": _first(t, "row_estimate", "row_count", "rows"),
                "Primary key": ", ".join(map(str, pk)) if isinstance(pk, list) else str(pk or ""),
                "Foreign keys": len(fks) if isinstance(fks, list) else 0,
            }
        )
    return pd.DataFrame(rows)


def columns_frame(table: dict[str, Any]) -> pd.DataFrame:
    """One row per column of a table: position, name, type, nullable, default."""
    cols = [as_dict(c) for c in _first(table, "columns", default=[]) or []]
    return pd.DataFrame(
        [
            {
                "#": _first(c, "ordinal", "ordinal_position", "position"),
                "Column": _first(c, "name", "column_name", default="?"),
                "Type": _first(c, "data_type", "type", default=""),
                "Nullable": _first(c, "nullable", "is_nullable"),
                "Default": _first(c, "default", "column_default"),
            }
            for c in cols
        ]
    )


def diff_frame(csv_text: str) -> pd.DataFrame:
    """The diff as a table (from the snapshot module's CSV export)."""
    if not csv_text.strip():
        return pd.DataFrame()
    return pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)


def change_counts(df: pd.DataFrame) -> dict[str, int]:
    """Rows per kind of change (added / removed / changed), when the diff has such a column."""
    for col in CHANGE_COLUMNS:
        if col in df.columns:
            return {str(k): int(v) for k, v in df[col].value_counts().items()}
    return {}
