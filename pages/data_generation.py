"""Batch Data Generation: synthetic Retail / Finance / Healthcare star schemas as one job."""

import streamlit as st

from batchcore.datagen.generator import DEFAULT_SEED
from batchcore.datagen.ownership import generation_refusal
from batchcore.models import JobType
from batchcore.planning import GENERATION_TARGET_TYPES
from batchcore.workspace import Workspace
from ui_components import core, forms

P = "datagen"
SCHEMAS = {
    "Retail": "Retail star schema: sales facts with their dimensions.",
    "Finance": "Finance star schema: transaction facts with their dimensions.",
    "Healthcare": "Healthcare star schema: encounter facts with their dimensions.",
}
MAX_ROWS = 200_000_000  # the request model's limit (models.BulkDataGenItem.row_count)


def max_rows() -> int:
    """The fact rows the form accepts: the request model's limit or this server's
    BATCH_MAX_GENERATE_ROWS (rows per generation job), whichever is lower."""
    return min(MAX_ROWS, core.engine().settings.max_generate_rows)


MAX_SEED = 2**31 - 1


def selection(ws: Workspace) -> None:
    """Per schema: use it, fact rows, seed and target connection (those generation may write:
    batchcore.datagen.ownership); then whether to replace tables it did not write."""
    connections = [
        name
        for name, c in ws.connections.items()
        if c.type in GENERATION_TARGET_TYPES and generation_refusal(c) is None
    ]
    if not connections:
        st.info(
            "No connection of this workspace may receive generated data: add `generated: {type: "
            "duckdb, path: data/generated.duckdb}` to its `connections.yaml`, or "
            "`allow_generate: true` to a connection.",
            icon=":material/lightbulb:",
        )
    default_target = connections.index("generated") if "generated" in connections else 0
    for schema, desc in SCHEMAS.items():
        with st.container(border=True):
            c0, c1, c2, c3 = st.columns([1.3, 1, 1, 1.3])
            c0.checkbox(
                f"**{schema}**",
                value=schema == "Retail",
                key=forms.key(P, f"use.{schema}"),
                persist_state=forms.PERSIST,
            )
            c0.caption(desc)
            c1.number_input(
                "Fact rows",
                value=10_000,
                step=1_000,
                key=forms.key(P, f"rows.{schema}"),
                help=f"Rows of the fact table, 1 to {max_rows():,} (this server's limit per "
                "job, all tables counted).",
                persist_state=forms.PERSIST,
            )
            c2.number_input(
                "Seed",
                value=None,
                step=1,
                key=forms.key(P, f"seed.{schema}"),
                placeholder=f"{DEFAULT_SEED} (default)",
                help=f"Same seed, same data. Empty uses the default seed {DEFAULT_SEED}, so every "
                "run without a seed writes the same data; enter another number (0 to "
                f"{MAX_SEED:,}) for a different data set.",
                persist_state=forms.PERSIST,
            )
            if connections:
                c3.selectbox(
                    "Target connection",
                    connections,
                    index=default_target,
                    key=forms.key(P, f"target.{schema}"),
                    persist_state=forms.PERSIST,
                )
            forms.field_error(P, f"schema.{schema}")
    st.checkbox(
        "Replace tables that data generation did not write",
        value=False,
        key=forms.key(P, "replace_existing"),
        help="Without it, a run whose tables already exist on the target and were not written "
        "by data generation (created by hand or by another tool) fails and leaves them alone.",
        persist_state=forms.PERSIST,
    )
    forms.field_error(P, "items")


def build() -> tuple[dict, dict]:
    """Request body: one item per ticked schema, with range errors."""
    items, errs = [], {}
    for schema in SCHEMAS:
        if not forms.value(P, f"use.{schema}"):
            continue
        rows, seed = forms.value(P, f"rows.{schema}"), forms.value(P, f"seed.{schema}")
        bad = {}
        limit = max_rows()
        if rows is None or not float(rows).is_integer() or not 1 <= rows <= limit:
            bad[f"schema.{schema}.rows"] = (
                f"{schema}: fact rows must be a whole number from 1 to {limit:,} {forms.got(rows)}."
            )
        if seed is not None and (not float(seed).is_integer() or not 0 <= seed <= MAX_SEED):
            bad[f"schema.{schema}.seed"] = (
                f"{schema}: the seed must be a whole number from 0 to {MAX_SEED:,} {forms.got(seed)}."
            )
        if bad:
            errs.update(bad)
            continue
        item = {
            "schema_type": schema,
            "row_count": int(rows),
            "seed": None if seed is None else int(seed),
        }
        target = forms.value(P, f"target.{schema}")
        if target:
            item["target_connection"] = target
        if forms.value(P, "replace_existing"):
            item["replace_existing"] = True
        items.append(item)
    if not items and not errs:
        errs["items"] = "Choose at least one schema to generate."
    return {"items": items}, errs


forms.launch_page(
    P,
    JobType.BATCH_DATA_GENERATION,
    title="Batch Data Generation",
    caption="Generate synthetic star schemas (dimensions scale with the fact rows) into a workspace connection.",
    placeholder="e.g. retail test data, 1M rows",
    section="Schemas",
    selection=selection,
    build=build,
    default_parallel=3,
)
