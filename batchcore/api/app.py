"""FastAPI application factory. Routes use the process engine (`batchcore.engine.get_engine`)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from batchcore import __version__


def create_api() -> FastAPI:
    """A FastAPI app with the guide's endpoints (mount it at /batch)."""
    api = FastAPI(title="Batch Operations API", version=__version__)

    @api.get("/health")
    def health() -> dict:
        """Liveness: answers without touching the job store."""
        return {"status": "ok", "pid": os.getpid(), "version": __version__}

    return api
