"""Rendering of metadata snapshots and their diffs (Catalog page), and the pair of snapshot
pickers of its Compare tab.

Shapes come from `batchcore.metadata`: `list_snapshots` rows (snapshot_id, connection_name,
connection_type, schema_name, created_at, table_count, column_count, ...), a snapshot's
`catalog["tables"]` (name, kind, row_estimate, columns [ordinal, name, data_type, nullable,
default], primary_key {name, columns}, foreign_keys [...]) and `diff_rows` (change, object,
table, column, attribute, old, new).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from ui_components import fmt

OLDER_KEY, NEWER_KEY = "cat_a", "cat_b"
_OLDER_FOR = "cat_a_for"  # the "Newer" snapshot the "Older" picker was last defaulted for


def short_id(snapshot_id: str) -> str:
    """The random tail of a snapshot id (`snap-<UTC time>-<8 hex>` → the 8 hex digits)."""
    return snapshot_id[-8:]


def taken_at(s: dict[str, Any]) -> str:
    """When the snapshot was taken, to the second (UTC)."""
    value = s.get("created_at")
    if value is None or isinstance(value, datetime):
        return fmt.ts(value)
    return str(value)[:19]


def snapshot_label(s: dict[str, Any]) -> str:
    """`warehouse · main · 2026-11-30 06:00:12 · 1a2b3c4d · 12 tables`: unique per snapshot (the
    short id tells apart two snapshots taken in the same second)."""
    parts = [str(s["connection_name"])]
    if s.get("schema_name"):
        parts.append(str(s["schema_name"]))
    n = s.get("table_count")
    parts += [
        taken_at(s),
        short_id(s["snapshot_id"]),
        f"{fmt.count(n)} table{'' if n == 1 else 's'}",
    ]
    return " · ".join(parts)


def source_of(s: dict[str, Any]) -> tuple[str, str | None]:
    """(connection, schema) a snapshot was taken of."""
    return s["connection_name"], s.get("schema_name")


def source_text(s: dict[str, Any]) -> str:
    """`` `warehouse` (duckdb) · schema `main` `` (markdown; names in code spans, never cut)."""
    schema = s.get("schema_name") or "default"
    return f"`{s['connection_name']}` ({s.get('connection_type') or '?'}) · schema `{schema}`"


def _has_tables(s: dict[str, Any]) -> bool:
    return bool(s.get("table_count"))


def default_snapshot(snaps: list[dict[str, Any]]) -> str:
    """The snapshot Browse opens on: the newest one holding tables (an empty schema's snapshot
    only when every snapshot is empty). `snaps` is newest first."""
    return next((s for s in snaps if _has_tables(s)), snaps[0])["snapshot_id"]


def default_newer(snaps: list[dict[str, Any]]) -> str:
    """The snapshot Compare opens on as "Newer": the newest one holding tables that has an
    earlier snapshot of the same source (so the default diff is a source against itself, over
    time); else `default_snapshot`. `snaps` is newest first."""
    for i, s in enumerate(snaps):
        if _has_tables(s) and any(source_of(e) == source_of(s) for e in snaps[i + 1 :]):
            return s["snapshot_id"]
    return default_snapshot(snaps)


def default_older(snaps: list[dict[str, Any]], newer_id: str) -> str | None:
    """The snapshot to compare `newer_id` with: the previous one of the same connection and
    schema; else the previous one of any source; else the newest other one (None when there is
    no other). `snaps` is newest first, as `list_snapshots` returns them."""
    ids = [s["snapshot_id"] for s in snaps]
    newer = snaps[ids.index(newer_id)]
    earlier = snaps[ids.index(newer_id) + 1 :]
    same = [s for s in earlier if source_of(s) == source_of(newer)]
    if same or earlier:
        return (same or earlier)[0]["snapshot_id"]
    others = [i for i in ids if i != newer_id]
    return others[0] if others else None


def snapshot_pickers(snaps: list[dict[str, Any]]) -> tuple[str, str]:
    """The "Older" and "Newer" pickers side by side; returns (older, newer) snapshot ids.

    "Newer" defaults to `default_newer` (a source that has an earlier snapshot, so the first diff
    shown never compares unrelated schemas). "Older" never offers the snapshot chosen as
    "Newer", and moves to `default_older` whenever "Newer" changes. Needs two snapshots.
    """
    by_id = {s["snapshot_id"]: s for s in snaps}

    def label(i: str) -> str:
        return snapshot_label(by_id[i])

    left, right = st.columns(2)
    ids = list(by_id)
    newer = right.selectbox(
        "Newer", ids, index=ids.index(default_newer(snaps)), format_func=label, key=NEWER_KEY
    )
    others = [i for i in by_id if i != newer]
    state = st.session_state
    if state.get(_OLDER_FOR) != newer or state.get(OLDER_KEY) not in others:
        state[OLDER_KEY] = default_older(snaps, newer)
        state[_OLDER_FOR] = newer
    older = left.selectbox("Older", others, format_func=label, key=OLDER_KEY)
    return older, newer


def compare_notes(older: dict[str, Any], newer: dict[str, Any]) -> tuple[str | None, str | None]:
    """(info, caption) about a comparison, each None when there is nothing to say: the info when
    the two snapshots are of different sources, the caption when "Older" was taken after
    "Newer"."""
    info = caption = None
    if source_of(older) != source_of(newer):
        info = (
            f"These snapshots are of different sources: {source_text(older)} and "
            f"{source_text(newer)}. Tables that only one of them has show as added or removed."
        )
    taken_a, taken_b = older.get("created_at"), newer.get("created_at")
    if taken_a is not None and taken_b is not None and taken_a > taken_b:
        caption = (
            "The *Older* snapshot was taken after the *Newer* one: the diff still reads from "
            "*Older* to *Newer*."
        )
    return info, caption


def estimate_text(value: Any) -> str:
    """A row estimate as `12,345`; an em dash when the database gave none (views, NULL)."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    return fmt.count(value)


def tables_of(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The tables of a snapshot's catalog."""
    return list(snapshot["catalog"].get("tables", []))


def tables_frame(tables: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per table: name, kind, columns, row estimate (text: `—` when unknown), primary
    key, foreign keys."""
    return pd.DataFrame(
        [
            {
                "Table": t["name"],
                "Type": t.get("kind", ""),
                "Columns": len(t.get("columns", [])),
                "Row estimate": estimate_text(t.get("row_estimate")),
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
                "Default": "—" if c.get("default") is None else c["default"],
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
