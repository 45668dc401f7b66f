"""The Streamlit UI of Batch Operations: st.navigation over the pages in pages/.

app.py serves this script (st.App) next to the REST API; the engine is started in app.py's
lifespan and shared through batchcore.engine.get_engine(). Pages are thin: they read widgets,
call batchcore and render with ui_components. When BATCH_API_TOKEN is set, `core.token_gate()`
asks for it before any page runs (the menu stays hidden until then).
"""

import streamlit as st

from ui_components import core
from ui_components.store_health import store_health


def _draw() -> None:
    """Draw the app: page config, the menu over pages/, the token gate, the sidebar, the page."""
    st.set_page_config(
        page_title="Batch Operations", page_icon=":material/dynamic_feed:", layout="wide"
    )

    BULK = st.Page(
        core.PAGE_BULK,
        title="Bulk Pipeline Execution",
        icon=":material/account_tree:",
        url_path="bulk-pipelines",
    )

    def _home() -> None:
        """The app's root URL opens Bulk Pipeline Execution at its own URL. Streamlit serves the
        default page at "/" only (its url_path is ignored), so a default Bulk page made
        /bulk-pipelines — the URL its menu entry and links show — a "Page not found"."""
        st.switch_page(BULK, query_params={k: st.query_params.get_all(k) for k in st.query_params})

    pages = {
        "Launch": [
            st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden"),
            BULK,
            st.Page(
                core.PAGE_DATAGEN,
                title="Batch Data Generation",
                icon=":material/dataset:",
                url_path="data-generation",
            ),
            st.Page(
                core.PAGE_MULTI,
                title="Multi-Project Validation",
                icon=":material/fact_check:",
                url_path="multi-project",
            ),
            st.Page(
                core.PAGE_METADATA,
                title="Bulk Metadata Extraction",
                icon=":material/schema:",
                url_path="metadata-extraction",
            ),
        ],
        "Monitor": [
            st.Page(
                core.PAGE_ACTIVE,
                title="Active Jobs",
                icon=":material/monitoring:",
                url_path="active",
            ),
            st.Page(
                core.PAGE_HISTORY,
                title="Job History",
                icon=":material/history:",
                url_path="history",
            ),
            st.Page(core.PAGE_DETAILS, title="Job Details", icon=":material/info:", url_path="job"),
            st.Page(
                core.PAGE_SCHEDULES,
                title="Schedules",
                icon=":material/schedule:",
                url_path="schedules",
            ),
        ],
        "Insight": [
            st.Page(
                core.PAGE_ANALYTICS,
                title="Analytics",
                icon=":material/insights:",
                url_path="analytics",
            ),
            st.Page(
                core.PAGE_CHECK_HISTORY,
                title="Check history",
                icon=":material/timeline:",
                url_path="check-history",
            ),
            st.Page(
                core.PAGE_CATALOG, title="Catalog", icon=":material/menu_book:", url_path="catalog"
            ),
            st.Page(
                core.PAGE_PIPELINES,
                title="Pipelines",
                icon=":material/description:",
                url_path="pipelines",
            ),
        ],
    }
    # st.navigation runs on every rerun (else Streamlit would fall back to listing pages/ itself)
    page = st.navigation(pages, position="sidebar" if core.signed_in() else "hidden")
    core.token_gate()
    _eng = core.engine()
    st.sidebar.caption(
        f"Engine {_eng.instance_id} · {_eng.settings.max_workers} workers · REST API at /batch",
        help=f"Job store {_eng.settings.db_path}; workspace {_eng.settings.workspace}",
    )
    with st.sidebar:
        store_health(_eng)
    try:
        page.run()
    except Exception as exc:  # never a traceback (st.stop / st.rerun are no Exception: they pass)
        core.log.exception("page %s failed", page.title)
        st.error(
            f"This page hit an unexpected error: {core.error_text(exc)}", icon=":material/error:"
        )


# A Dask worker process started by multiprocessing's spawn re-imports the parent's main script
# as "__mp_main__" (and Streamlit makes this script the process's __main__ while it runs, so a
# LocalCluster worker started or restarted then would draw the app and open the job store).
if __name__ != "__mp_main__":
    _draw()
