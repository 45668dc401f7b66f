"""The interactive docs work offline: /batch/docs loads Swagger UI from the server itself, at
URLs that hold under the /batch mount, and never from a CDN."""

from __future__ import annotations

import re
import warnings

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from batchcore.api import create_api
from batchcore.engine import Engine

ASSET = re.compile(r"""(?:href|src)="([^"]+)\"""")


def docs_assets(html: str) -> list[str]:
    """The URLs of the stylesheet, favicon and scripts the docs page loads."""
    return ASSET.findall(html)


def check_docs_page(get) -> None:
    """`get(url)` → response; the docs page and every asset it names (served, not from a CDN)."""
    page = get("/batch/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "http" not in page.text
    assets = docs_assets(page.text)
    assert assets == [
        "/batch/static/swagger/swagger-ui.css",
        "/batch/static/swagger/favicon-32x32.png",
        "/batch/static/swagger/swagger-ui-bundle.js",
    ]
    assert "url: '/batch/openapi.json'" in page.text
    types = {}
    for url in assets:
        answer = get(url)
        assert answer.status_code == 200, url
        assert len(answer.content) > 500, url
        types[url.rsplit(".", 1)[1]] = answer.headers["content-type"].split(";")[0]
    # Streamlit registers application/javascript for .js; both run in every browser
    assert types.pop("js") in ("text/javascript", "application/javascript")
    assert types == {"css": "text/css", "png": "image/png"}
    assert b"SwaggerUIBundle" in get(assets[2]).content
    assert get("/batch/openapi.json").json()["openapi"].startswith("3.1")


@pytest.mark.parametrize("token", [None, "t0ken"])
def test_docs_page_loads_swagger_ui_from_the_mount(api_engine: Engine, token):
    """Under a /batch mount as both servers use; with a token the docs stay readable."""
    app = Starlette(routes=[Mount("/batch", app=create_api(engine=api_engine, token=token))])
    with TestClient(app) as client:
        check_docs_page(client.get)
        assert client.get("/batch/static/swagger/missing.js").status_code == 404


@pytest.mark.slow
def test_docs_page_loads_swagger_ui_in_a_server_process(process_server):
    """`python -m batchcore serve` and `streamlit run app.py` (st.App's mount)."""
    origin = process_server.url.removesuffix("/batch")
    with httpx.Client(base_url=origin) as http:
        check_docs_page(http.get)


@pytest.mark.e2e
@pytest.mark.slow
def test_docs_render_in_a_browser_without_internet(page, serve_api):
    """Chromium with every request off this machine refused: Swagger UI still lists the
    endpoints (it rendered a blank page when its files came from a CDN)."""
    base = serve_api()
    origin = base.removesuffix("/batch")
    outside: list[str] = []

    def only_local(route):
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{base}/docs")
    page.locator(".opblock-summary-path", has_text="/pipelines/bulk-execute").wait_for(
        timeout=20_000
    )
    schema = httpx.get(f"{base}/openapi.json").json()
    operations = sum(len(methods) for methods in schema["paths"].values())
    assert page.locator(".opblock").count() == operations > 15
    assert outside == []
