"""Optional bearer-token auth (DESIGN §5).

When a token is configured (BATCH_API_TOKEN), every endpoint except /health needs the header
`Authorization: Bearer <token>`; a missing or wrong token answers 401 with
`WWW-Authenticate: Bearer`. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from batchcore.errors import BatchError


class Unauthorized(BatchError):
    """The bearer token is missing or wrong (HTTP 401)."""

    http_status = 401


def bearer_dependency(token: str) -> Callable[..., None]:
    """A FastAPI dependency that raises Unauthorized unless the request carries `token`."""
    scheme = HTTPBearer(auto_error=False, description="Set when the server has BATCH_API_TOKEN")
    expected = token.encode()

    def require_token(creds: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:
        if creds is None:
            raise Unauthorized(
                "this server requires a bearer token: send 'Authorization: Bearer <BATCH_API_TOKEN>'",
                field="Authorization",
            )
        if not hmac.compare_digest(creds.credentials.encode(), expected):
            raise Unauthorized(
                "the bearer token is wrong (it must equal the server's BATCH_API_TOKEN)",
                field="Authorization",
            )

    return require_token
