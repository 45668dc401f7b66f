"""Batch Operations: `streamlit run app.py` starts ONE process with the Streamlit UI (ui.py and
pages/), the REST API mounted at /batch, and the engine (job store + executor).

The engine starts in the st.App lifespan and stops with it (a mounted sub-app's own lifespan never
runs under Streamlit 1.67). Pages and API routes share it through batchcore.engine.get_engine().
"""

from contextlib import asynccontextmanager

import streamlit as st
from starlette.routing import Mount

from batchcore.api import create_api
from batchcore.engine import get_engine, shutdown_engine


@asynccontextmanager
async def lifespan(app):
    """Open the engine before serving; close it on shutdown (running attempts are recovered)."""
    engine = get_engine()
    yield {"engine": engine}
    shutdown_engine()


app = st.App("ui.py", routes=[Mount("/batch", app=create_api())], lifespan=lifespan)
