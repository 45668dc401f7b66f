"""Optional bearer-token auth (DESIGN §5).

When a token is configured (BATCH_API_TOKEN), every endpoint except /health needs the header
`Authorization: Bearer <token>`; a missing or wrong token answers 401 with
`WWW-Authenticate: Bearer`. A second token, BATCH_API_TOKEN_READ, may list, read and export
(GET) but not create, cancel, retry or delete: those answer 403. Tokens are compared in
constant time.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from batchcore.errors import BatchError, Forbidden
from batchcore.netguard import token_role


class Unauthorized(BatchError):
    """The bearer token is missing or wrong (HTTP 401)."""

    http_status = 401


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_dependency(token: str, read_token: str | None = None) -> Callable[..., None]:
    """A FastAPI dependency that raises Unauthorized unless the request carries `token` (may do
    everything) or `read_token` (may read: GET; Forbidden for anything that changes state)."""
    scheme = HTTPBearer(auto_error=False, description="Set when the server has BATCH_API_TOKEN")

    def require_token(
        request: Request, creds: HTTPAuthorizationCredentials | None = Depends(scheme)
    ) -> None:
        if creds is None:
            raise Unauthorized(
                "this server requires a bearer token: send 'Authorization: Bearer <BATCH_API_TOKEN>'",
                field="Authorization",
            )
        role = token_role(creds.credentials, token, read_token)
        if role is None:
            raise Unauthorized(
                "the bearer token is wrong (it must equal the server's BATCH_API_TOKEN"
                + (" or BATCH_API_TOKEN_READ)" if read_token else ")"),
                field="Authorization",
            )
        if role == "read" and request.method not in READ_METHODS:
            raise Forbidden(
                "this token may only read (BATCH_API_TOKEN_READ): listing, reading and exporting "
                "jobs; creating, cancelling, retrying and deleting them needs BATCH_API_TOKEN",
                field="Authorization",
            )

    return require_token
