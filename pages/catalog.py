"""Catalog: metadata snapshots taken by Bulk Metadata Extraction jobs; browse one, diff two."""

import streamlit as st

from batchcore.metadata import diff as catalog_diff
from ui_components import catalog_view as cv
from ui_components import core, fmt

st.title("Catalog")
st.caption(
    "Snapshots of tables, columns and keys taken by metadata extraction jobs. Compare two to see what changed."
)
eng = core.engine()


def show_diff(older: str, newer: str) -> None:
    """The diff of two snapshots: counts, the changes table, JSON and CSV downloads."""
    a, b = eng.snapshots().resolve(older, newer)
    d = catalog_diff.diff(a, b)
    as_csv, as_json = catalog_diff.diff_to_csv(d), catalog_diff.diff_to_json(d)
    df = cv.diff_frame(catalog_diff.diff_rows(d))
    if df.empty:
        st.success("No differences: both snapshots have the same tables and columns.")
    else:
        counts = cv.change_counts(df)
        if counts:
            cols = st.columns(len(counts))
            for col, (k, n) in zip(cols, counts.items(), strict=True):
                col.metric(k, n)
        st.dataframe(df, hide_index=True)
    e = st.columns(4)
    core.download(e[0], "Diff JSON", as_json, "catalog-diff.json", "cat_json")
    core.download(e[1], "Diff CSV", as_csv, "catalog-diff.csv", "cat_csv")


with core.guard("Reading snapshots"):
    snaps = eng.snapshots().list_snapshots()
    if not snaps:
        st.info(
            "No snapshots yet. Run a **Bulk Metadata Extraction** job: each source it reads becomes a snapshot "
            "here.",
            icon=":material/menu_book:",
        )
        st.page_link(core.PAGE_METADATA, label="Bulk Metadata Extraction", icon=":material/schema:")
        st.stop()

    by_id = {s["snapshot_id"]: s for s in snaps}
    ids = list(by_id)
    browse, compare = st.tabs(["Browse", "Compare two snapshots"])

    with browse:
        sid = st.selectbox(
            "Snapshot",
            ids,
            index=ids.index(
                cv.default_snapshot(snaps)
            ),  # never an empty one when others hold tables
            format_func=lambda i: cv.snapshot_label(by_id[i]),
            key="cat_snapshot",
        )
        snap = eng.snapshots().get_snapshot(sid)
        meta = by_id[sid]
        st.markdown(cv.source_text(meta))
        st.caption(f"Taken {cv.taken_at(meta)} UTC · snapshot `{sid}`")
        m = st.columns(4)
        m[0].metric("Tables", fmt.count(meta.get("table_count")))
        m[1].metric("Columns", fmt.count(meta.get("column_count")))
        tables = cv.tables_of(snap)
        if not tables:
            st.info("This snapshot holds no tables (the schema was empty or filtered out).")
        else:
            st.dataframe(cv.tables_frame(tables), hide_index=True)
            names = [t["name"] for t in tables]
            t = st.selectbox("Columns of", names, key="cat_table")
            st.dataframe(cv.columns_frame(tables[names.index(t)]), hide_index=True)
        if meta.get("job_id"):
            core.details_link(meta["job_id"], "Job that took this snapshot")

    with compare:
        if len(ids) < 2:
            st.info(
                "Take a second snapshot (run the extraction again later) to compare two.",
                icon=":material/compare_arrows:",
            )
        else:
            older, newer = cv.snapshot_pickers(snaps)
            info, caption = cv.compare_notes(by_id[older], by_id[newer])
            if info:
                st.info(info, icon=":material/compare_arrows:")
            if caption:
                st.caption(caption)
            unrelated = cv.source_of(by_id[older]) != cv.source_of(by_id[newer])
            if not unrelated or st.toggle(
                "Compare these different sources anyway",
                key="cat_anyway",
                help="Every table that only one of them has shows as added or removed.",
            ):
                show_diff(older, newer)
