"""Batch Operations: `streamlit run app.py` starts ONE process with the Streamlit UI (ui.py and
pages/), the REST API mounted at /batch, and the engine (job store + executor).

The engine starts in the st.App lifespan and stops with it (a mounted sub-app's own lifespan never
runs under Streamlit 1.67). Pages and API routes share it through batchcore.engine.get_engine().
"""

import os
import sys
from contextlib import asynccontextmanager

import streamlit as st
from starlette.routing import Mount

from batchcore.api import create_api
from batchcore.engine import get_engine, shutdown_engine
from batchcore.errors import BatchError


@asynccontextmanager
async def lifespan(app):
    """Open the engine before serving; close it on shutdown (running attempts are recovered).

    If the engine cannot open (another process owns the job store, bad settings), say so in one
    line and exit with code 2 instead of a start-up traceback.
    """
    try:
        engine = get_engine()
    except BatchError as exc:
        print(f"error: {exc.message}", file=sys.stderr, flush=True)
        os._exit(2)  # nothing is running yet: no engine, no jobs
    yield {"engine": engine}
    shutdown_engine()


app = st.App("ui.py", routes=[Mount("/batch", app=create_api())], lifespan=lifespan)
