"""A small HTTP client of the REST API for the CLI (`--url`, BATCH_API_URL, BATCH_API_TOKEN).

Every failure becomes a `RemoteError` (a BatchError, so the CLI prints one line and exits 2):
unreachable server, timeout, a non-JSON answer (usually a `--url` without `/batch`), or a 4xx/5xx
answer, whose `message` is quoted.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from batchcore import __version__
from batchcore.errors import BatchError

DEFAULT_URL = "http://127.0.0.1:8501/batch"


class RemoteError(BatchError):
    """The API could not be reached or answered an error; `status` is the HTTP status (or None).
    `retryable`: the same request may work later (no answer, a timeout, a 503)."""

    def __init__(
        self, message: str, *, status: int | None = None, retryable: bool = False, **kw: Any
    ):
        super().__init__(message, **kw)
        self.status = status
        self.retryable = retryable or status == 503


def default_url() -> str:
    """BATCH_API_URL, else the Streamlit app's default http://127.0.0.1:8501/batch."""
    return os.environ.get("BATCH_API_URL") or DEFAULT_URL


class ApiClient:
    """Calls `<url><path>` with the bearer token when one is set. `timeout` is per request (s)."""

    def __init__(self, url: str | None = None, *, token: str | None = None, timeout: float = 30.0):
        self.url = (url or default_url()).rstrip("/")
        token = token if token is not None else os.environ.get("BATCH_API_TOKEN") or None
        headers = {"User-Agent": f"batchcore-cli/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def raw(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """The response of one request (status < 400). Raises RemoteError."""
        target = f"{self.url}{path}"
        try:
            resp = self.http.request(method, target, **kw)
        except httpx.TimeoutException:
            raise RemoteError(
                f"the API at {self.url} did not answer {method} {path} within "
                f"{self.http.timeout.read} s",
                field="url",
                value=self.url,
                retryable=True,
            ) from None
        except httpx.HTTPError as exc:
            raise RemoteError(
                f"cannot reach the Batch Operations API at {self.url} ({exc}); start it with "
                "`streamlit run app.py` or `python -m batchcore serve`, or give --url / "
                "BATCH_API_URL",
                field="url",
                value=self.url,
                retryable=True,
            ) from None
        if resp.status_code >= 400:
            raise RemoteError(
                self._error_text(resp, method, path),
                status=resp.status_code,
                field="url",
                value=target,
            )
        return resp

    def json(self, method: str, path: str, **kw: Any) -> Any:
        """The JSON body of one request. Raises RemoteError (also for a non-JSON answer)."""
        resp = self.raw(method, path, **kw)
        try:
            return resp.json()
        except ValueError:
            raise RemoteError(
                f"{self.url}{path} did not answer JSON (got {resp.headers.get('content-type')}): "
                "does --url end with /batch?",
                field="url",
                value=self.url,
            ) from None

    def _error_text(self, resp: httpx.Response, method: str, path: str) -> str:
        try:
            body = resp.json()
            message = body.get("message") or body.get("detail")
        except (ValueError, AttributeError):
            message = None
        if resp.status_code == 404 and not message:
            return f"{self.url}{path} is not an endpoint of the Batch Operations API: does --url end with /batch?"
        return f"{method} {path} answered {resp.status_code}: {message or resp.text[:300] or resp.reason_phrase}"
