"""Who may reach the server: loopback unless a token guards it, and only under known host names.

- `token_role(given, token, read_token)`: what a bearer token may do (write / read / nothing).
- `exposure_problem(host, token, insecure)`: a server listening on anything but loopback
  (`0.0.0.0`, a LAN address, Streamlit's empty `server.address`) without BATCH_API_TOKEN
  refuses to start, unless started with `--insecure` / BATCH_INSECURE=1 on purpose.
- `HostGuard`: an ASGI middleware answering 400 to a request (closing a websocket) whose `Host`
  header is not an allowed name: loopback names (`localhost`, `127.0.0.0/8`, `::1`), the
  address the server listens on when it is a specific one, and BATCH_ALLOWED_HOSTS
  (comma-separated; `*.example.com` matches subdomains; `*` allows any). A web page that
  rebinds its own DNS name to 127.0.0.1 sends its name, not these, so it cannot drive the local
  server from the user's browser (DNS rebinding).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Callable, Iterable

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_ANY_ADDRESS = ("", "0.0.0.0", "::", "*")


def token_role(given: str, token: str, read_token: str | None) -> str | None:
    """What a bearer token may do: "write" for the full token (BATCH_API_TOKEN), "read" for the
    read-only one (BATCH_API_TOKEN_READ), None for anything else; compared in constant time.
    The API and the UI's token gate both ask this."""
    g = given.encode()
    if hmac.compare_digest(g, token.encode()):
        return "write"
    if read_token and hmac.compare_digest(g, read_token.encode()):
        return "read"
    return None


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost (a listening address or a Host name)."""
    host = (host or "").strip().strip("[]").lower().rstrip(".")
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_problem(host: str | None, token: str | None, insecure: bool) -> str | None:
    """Why the server must not start listening on `host` (one line), or None."""
    if is_loopback(host) or token or insecure:
        return None
    shown = host or "every interface"
    return (
        f"refusing to listen on {shown} without BATCH_API_TOKEN: anyone who reaches this port "
        "could launch and delete jobs. Set BATCH_API_TOKEN (and BATCH_API_TOKEN_READ for "
        "read-only users), listen on 127.0.0.1, or start with --insecure (BATCH_INSECURE=1 for "
        "streamlit) if the network is trusted"
    )


def allowed_hosts(bind_host: str | None, configured: Iterable[str] = ()) -> frozenset[str]:
    """The Host names a server listening on `bind_host` answers to (see the module doc)."""
    names = set(LOOPBACK_NAMES)
    bind = (bind_host or "").strip().strip("[]").lower()
    if bind not in _ANY_ADDRESS:
        names.add(bind)
    names.update(h.strip().lower().rstrip(".") for h in configured if h.strip())
    return frozenset(names)


def host_of(header: str) -> str:
    """The host part of a Host header: `[::1]:8501` → `::1`, `Example.COM.:80` → `example.com`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:
        header = header.split(":", 1)[0]
    return header.rstrip(".")


def host_allowed(header: str | None, allowed: frozenset[str]) -> bool:
    """True when a request's Host header names an allowed host (a missing header is allowed:
    browsers always send one)."""
    if not header:
        return True
    host = host_of(header)
    if "*" in allowed or host in allowed or is_loopback(host):
        return True
    return any(a.startswith("*.") and host.endswith(a[1:]) for a in allowed)


class HostGuard:
    """ASGI middleware: refuse requests whose Host header is not in `allowed` (see module doc).

    `allowed`: the names, or a zero-argument callable answering them (read at the first request,
    when the server's own configuration is known)."""

    def __init__(self, app, allowed: Iterable[str] | Callable[[], Iterable[str]]):
        self.app = app
        self._source = allowed
        self._allowed: frozenset[str] | None = None

    @property
    def allowed(self) -> frozenset[str]:
        if self._allowed is None:
            source = self._source
            self._allowed = frozenset(source() if callable(source) else source)
        return self._allowed

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if host_allowed(header, self.allowed):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return None
        names = ", ".join(sorted(self.allowed))
        text = (
            f"host {host_of(header or '')!r} is not allowed: this server answers to {names} "
            "(add names with BATCH_ALLOWED_HOSTS)"
        )
        body = json.dumps(
            {
                "error": "HostNotAllowed",
                "message": text,
                "detail": [{"loc": ["header", "Host"], "msg": text, "type": "host_not_allowed"}],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return None
