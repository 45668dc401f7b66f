"""The REST API (FastAPI), mounted at `/batch` by app.py or served headless by `serve`."""

from batchcore.api.app import create_api

__all__ = ["create_api"]
