"""Batch Operations: `streamlit run app.py` starts ONE process with the Streamlit UI (ui.py and
pages/), the REST API mounted at /batch, and the engine (job store + executor).

The engine starts in the st.App lifespan and stops with it (a mounted sub-app's own lifespan never
runs under Streamlit 1.67). Pages and API routes share it through batchcore.engine.get_engine().
"""

import os
import sys
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Mount

from batchcore.api import create_api
from batchcore.api.app import server_hosts
from batchcore.engine import get_engine, shutdown_engine
from batchcore.errors import BatchError
from batchcore.netguard import HostGuard, exposure_problem
from batchcore.textutil import one_line


def _stop(message: str) -> None:
    """Say why the app cannot start, in one line, and exit with code 2 (nothing runs yet)."""
    print(f"error: {one_line(message)}", file=sys.stderr, flush=True)
    os._exit(2)


@asynccontextmanager
async def lifespan(app):
    """Open the engine before serving; close it on shutdown (running attempts are recovered).

    If the engine cannot open (another process owns the job store, bad settings), or the app
    would listen beyond loopback without BATCH_API_TOKEN (set BATCH_INSECURE=1 to allow it on a
    trusted network), say so in one line and exit with code 2 instead of a start-up traceback.
    """
    problem = exposure_problem(
        st.config.get_option("server.address"),
        os.environ.get("BATCH_API_TOKEN"),
        os.environ.get("BATCH_INSECURE", "") in ("1", "true", "yes"),
    )
    if problem:
        _stop(problem)
    try:
        engine = get_engine()
    except BatchError as exc:
        _stop(exc.message)
    except Exception as exc:  # e.g. a damaged job store: still one line, the trace to the log
        _stop(f"the engine could not start: {exc}")
    yield {"engine": engine}
    shutdown_engine()


app = st.App(
    "ui.py",
    routes=[Mount("/batch", app=create_api())],
    lifespan=lifespan,
    # the Host header must name this server (DNS rebinding): read once the config is loaded
    middleware=[
        Middleware(HostGuard, allowed=lambda: server_hosts(st.config.get_option("server.address")))
    ],
)
