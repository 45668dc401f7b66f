"""Bulk Metadata Extraction: catalog snapshots of many connections (or connection types) at once."""

import streamlit as st

from batchcore.models import JobType
from batchcore.workspace import Workspace
from ui_components import forms

P = "meta"
BY_NAME, BY_TYPE = "Named connections", "Connection types"


def selection(ws: Workspace) -> None:
    """Named connections or connection types, each with an optional schema and tables."""
    if not ws.connections:
        st.info(
            f"The workspace `{ws.root}` has no connections yet: add them to `connections.yaml` "
            "(`name: {type: duckdb|sqlite|postgres|mysql|sqlserver|snowflake, path: ... | url: ...}`).",
            icon=":material/lightbulb:",
        )
    mode = st.radio(
        "Extract from",
        [BY_NAME, BY_TYPE],
        horizontal=True,
        key=forms.key(P, "mode"),
        persist_state=forms.PERSIST,
        help="A connection type stands for every workspace connection of that type.",
    )
    if mode == BY_NAME:
        options = list(ws.connections)
        label = {n: f"{n} ({c.type})" for n, c in ws.connections.items()}
        sources = st.multiselect(
            "Connections",
            options,
            key=forms.key(P, "names"),
            persist_state=forms.PERSIST,
            format_func=lambda n: label.get(n, n),
            placeholder="Choose connections",
        )
    else:
        counts: dict[str, int] = {}
        for c in ws.connections.values():
            counts[c.type] = counts.get(c.type, 0) + 1
        sources = st.multiselect(
            "Connection types",
            sorted(counts),
            key=forms.key(P, "types"),
            persist_state=forms.PERSIST,
            placeholder="Choose connection types",
            format_func=lambda t: (
                f"{t} ({counts.get(t, 0)} connection{'s' if counts.get(t) != 1 else ''})"
            ),
        )
    for src in sources:
        c1, c2 = st.columns(2)
        c1.text_input(
            f"Schema of {src}",
            key=forms.key(P, f"schema.{mode}.{src}"),
            placeholder="default schema",
            persist_state=forms.PERSIST,
        )
        c2.text_input(
            f"Tables of {src}",
            key=forms.key(P, f"tables.{mode}.{src}"),
            placeholder="all tables (or a comma-separated list)",
            persist_state=forms.PERSIST,
        )
    forms.field_error(P, "items")


def build() -> tuple[dict, dict]:
    """Request body: one item per chosen connection or connection type."""
    mode_now = forms.value(P, "mode", BY_NAME)
    chosen = forms.value(P, "names" if mode_now == BY_NAME else "types", []) or []
    items = []
    for src in chosen:
        item = {"connection_name": src} if mode_now == BY_NAME else {"connection_type": src}
        schema = str(forms.value(P, f"schema.{mode_now}.{src}", "") or "").strip()
        tables = [
            t.strip()
            for t in str(forms.value(P, f"tables.{mode_now}.{src}", "") or "").split(",")
            if t.strip()
        ]
        if schema:
            item["schema_name"] = schema
        if tables:
            item["table_names"] = tables
        items.append(item)
    return {"items": items}, (
        {} if items else {"items": "Choose at least one connection or connection type."}
    )


forms.launch_page(
    P,
    JobType.BULK_METADATA_EXTRACTION,
    title="Bulk Metadata Extraction",
    caption="Snapshot tables, columns, keys and row estimates of many sources; browse and diff them on the Catalog page.",
    placeholder="e.g. warehouse catalog snapshot",
    section="Sources",
    selection=selection,
    build=build,
)
