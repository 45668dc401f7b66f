"""Bulk Metadata Extraction: catalog snapshots of many connections (or connection types) at once.

A named connection offers its schemas to choose from (read from the database, with their table
counts); when its default schema holds no table, the schemas that do are chosen for you. Each
chosen schema becomes one item (one snapshot).
"""

import streamlit as st

from batchcore.connections import open_connection
from batchcore.metadata.extract import list_schemas
from batchcore.models import JobType
from batchcore.workspace import Workspace
from ui_components import core, fmt, forms

P = "meta"
BY_NAME, BY_TYPE = "Named connections", "Connection types"
DEFAULT_SCHEMAS = {"main", "public", "dbo"}  # what "default schema" means on most databases


@st.cache_data(ttl=60, show_spinner=False)
def schemas_of(root: str, name: str, version: float) -> tuple[list[tuple[str, int]], str]:
    """(schemas with their table counts, error text) of connection `name` of the workspace at
    `root` (`version`: connections.yaml's modification time, so an edit is seen at once)."""
    ws = Workspace.load(root)
    try:
        with open_connection(ws.connections[name], read_only=True) as conn:
            return list_schemas(conn), ""
    except Exception as exc:
        return [], core.error_text(exc)


def schema_picker(ws: Workspace, src: str, where) -> bool:
    """The schemas of named connection `src` as a multiselect in `where`; False when they
    cannot be listed (the caller offers a text field instead)."""
    try:
        version = (ws.root / "connections.yaml").stat().st_mtime
    except OSError:
        version = 0.0
    found, error = schemas_of(str(ws.root), src, version)
    if error or not found:
        if error:
            where.caption(f"Could not list the schemas of {src}: {fmt.md_escape(error)}")
        return False
    counts = dict(found)
    k = forms.key(P, f"schemas.{src}")
    if k not in st.session_state and not (DEFAULT_SCHEMAS & {s.lower() for s in counts}):
        st.session_state[k] = [s for s, n in found if n]  # the default schema holds nothing
    where.multiselect(
        f"Schemas of {src}",
        list(counts),
        key=k,
        format_func=lambda s: f"{s} ({counts[s]} table{'s' if counts[s] != 1 else ''})",
        placeholder="default schema",
        help="One snapshot per schema chosen; none chosen = the connection's default schema.",
    )
    return True


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
        if mode != BY_NAME or not schema_picker(ws, src, c1):
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
        picked = forms.value(P, f"schemas.{src}", None) if mode_now == BY_NAME else None
        typed = str(forms.value(P, f"schema.{mode_now}.{src}", "") or "").strip()
        tables = [
            t.strip()
            for t in str(forms.value(P, f"tables.{mode_now}.{src}", "") or "").split(",")
            if t.strip()
        ]
        for schema in picked or [typed]:
            one = dict(item)
            if schema:
                one["schema_name"] = schema
            if tables:
                one["table_names"] = tables
            items.append(one)
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
