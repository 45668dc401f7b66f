"""FastAPI application factory, and the standalone ASGI app that `serve` runs.

`create_api()` builds the API whose paths are relative to its mount point: app.py mounts it at
`/batch` inside Streamlit (st.App), `serve` mounts it at `/batch` in `standalone_app()`, so the
same URLs work against both. OpenAPI docs: `/batch/docs`, schema: `/batch/openapi.json`.

The docs page works offline: Swagger UI's JS, CSS and favicon are served from the
`swagger-ui-bundle-v2` package at `/batch/static/swagger/` (FastAPI's default page loads them
from a CDN). Its URLs start from the request's `root_path`, so they follow the mount point.

A mounted sub-app's own lifespan never runs (Starlette Mount), so the engine is started and
stopped by the outer app: st.App's lifespan in app.py, `standalone_app()`'s here.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from swagger_ui_bundle import swagger_ui_path

from batchcore import __version__
from batchcore.api.auth import bearer_dependency
from batchcore.api.deps import EngineSource, engine_source
from batchcore.api.errors import install_error_handlers
from batchcore.api.routes_catalog import catalog_router
from batchcore.api.routes_create import create_router
from batchcore.api.routes_history import history_router
from batchcore.api.routes_info import health_router, info_router
from batchcore.api.routes_jobs import jobs_router
from batchcore.api.routes_schedules import schedules_router
from batchcore.engine import Engine
from batchcore.errors import ConfigError
from batchcore.netguard import HostGuard, allowed_hosts
from batchcore.redact import redact_paths

MOUNT_PATH = "/batch"
SWAGGER_STATIC = "/static/swagger"  # Swagger UI's files, relative to the mount point
_FROM_ENV = object()

DESCRIPTION = """\
Launch, watch and keep batch jobs of validation pipelines, data generation, multi-project
validation and metadata extraction. Errors answer `{"error", "message", "detail": [{"loc", "msg",
"type"}]}`: 422 bad input (the message names the field), 404 unknown job, 409 wrong state (or an
`Idempotency-Key` reused for another request), 401 missing or wrong bearer token when the server
sets `BATCH_API_TOKEN`, 403 a read-only token (`BATCH_API_TOKEN_READ`) asking to create, cancel,
retry or delete, 429 too many jobs waiting, 503 the job store cannot write now (see `GET /health`).
"""


def workspace_redactor(source: EngineSource):
    """A function that rewrites error texts the way operation errors are (batchcore.redact): the
    server's workspace folder reads `<workspace>`, the job store folder `<jobs dir>`, any other
    absolute path `<path>/<name>` (clients need not learn the server's file layout)."""

    def redact(text: str) -> str:
        try:
            settings = source().settings
            roots = [
                (Path(settings.workspace), "<workspace>"),
                (Path(settings.jobs_dir), "<jobs dir>"),
            ]
        except Exception:  # no engine yet: no folders of its own to name
            roots = []
        return redact_paths(text, roots)

    return redact


def install_swagger_docs(api: FastAPI, path: str = "/docs") -> None:
    """Serve Swagger UI at `path` with its JS/CSS/favicon from the installed package (no CDN):
    the files are mounted at SWAGGER_STATIC and every URL in the page starts from the request's
    root_path (`/batch` under both servers)."""
    api.mount(SWAGGER_STATIC, StaticFiles(directory=str(swagger_ui_path)), name="swagger-static")

    @api.get(path, include_in_schema=False)
    async def swagger_docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        static = f"{root}{SWAGGER_STATIC}"
        return get_swagger_ui_html(
            openapi_url=f"{root}{api.openapi_url}",
            title=f"{api.title} - Swagger UI",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon-32x32.png",
            # no badge that calls validator.swagger.io (offline machines)
            swagger_ui_parameters={"validatorUrl": None},
        )


def create_api(
    engine: Engine | EngineSource | None = None,
    *,
    token: str | object | None = _FROM_ENV,
    read_token: str | object | None = _FROM_ENV,
) -> FastAPI:
    """The REST API (mount it at /batch).

    `engine`: an Engine, a zero-argument callable returning one, or None for the process
    singleton `batchcore.engine.get_engine` (what the Streamlit pages use). `token`: the bearer
    token every endpoint but /health requires; default BATCH_API_TOKEN (unset: no auth).
    `read_token`: a second token that may only read (GET): list, read, export; default
    BATCH_API_TOKEN_READ. Raises ConfigError for a read token without a token.
    """
    source = engine_source(engine)
    if token is _FROM_ENV:
        token = os.environ.get("BATCH_API_TOKEN") or None
    if read_token is _FROM_ENV:
        read_token = os.environ.get("BATCH_API_TOKEN_READ") or None
    if read_token and not token:
        raise ConfigError(
            "BATCH_API_TOKEN_READ is set without BATCH_API_TOKEN: set the full-access token too",
            field="BATCH_API_TOKEN_READ",
        )
    api = FastAPI(
        title="Batch Operations API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served by `swagger_docs` with local assets
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_swagger_docs(api)
    install_error_handlers(api, redact=workspace_redactor(source))
    protected = [Depends(bearer_dependency(token, read_token))] if token else []
    api.include_router(health_router(source, auth_required=bool(token)))
    api.include_router(create_router(source), dependencies=protected)
    api.include_router(jobs_router(source), dependencies=protected)
    api.include_router(info_router(source), dependencies=protected)
    api.include_router(catalog_router(source), dependencies=protected)
    api.include_router(schedules_router(source), dependencies=protected)
    api.include_router(history_router(source), dependencies=protected)
    return api


def standalone_app(
    engine_factory: EngineSource | None = None,
    shutdown=None,
    *,
    token: str | object | None = _FROM_ENV,
    read_token: str | object | None = _FROM_ENV,
    bind_host: str | None = "127.0.0.1",
) -> Starlette:
    """The API at /batch without the UI (`python -m batchcore serve`); `/` redirects to the docs.

    The lifespan opens the engine before serving and closes it on shutdown (defaults:
    `get_engine` / `shutdown_engine`). Requests must name an allowed host (netguard.HostGuard:
    loopback, `bind_host` when it is a specific address, BATCH_ALLOWED_HOSTS).
    """
    if engine_factory is None:
        from batchcore.engine import get_engine, shutdown_engine

        engine_factory, shutdown = get_engine, shutdown if shutdown is not None else shutdown_engine

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict]:
        eng = engine_factory()
        yield {"engine": eng}
        if shutdown is not None:
            shutdown()

    async def root(request):
        return RedirectResponse(url=f"{MOUNT_PATH}/docs")

    api = create_api(engine_factory, token=token, read_token=read_token)
    return Starlette(
        routes=[Route("/", root), Mount(MOUNT_PATH, app=api)],
        middleware=[Middleware(HostGuard, allowed=lambda: server_hosts(bind_host))],
        lifespan=lifespan,
    )


def server_hosts(bind_host: str | None) -> frozenset[str]:
    """The Host names a server listening on `bind_host` answers to: loopback, `bind_host`,
    BATCH_ALLOWED_HOSTS (netguard)."""
    configured = [h for h in os.environ.get("BATCH_ALLOWED_HOSTS", "").split(",") if h.strip()]
    return allowed_hosts(bind_host, configured)
