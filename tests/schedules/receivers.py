"""Receivers the notification tests start on 127.0.0.1: an HTTP webhook receiver with scripted
answers and an SMTP server (aiosmtpd) that keeps every message, optionally with TLS and login."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class WebhookReceiver:
    """Records each POST (`requests`: parsed JSON bodies, `paths`); answers the statuses in
    `script` in turn, then 200. With `hold` set, every request waits until `release()`."""

    def __init__(self, script: list[int] | None = None, hold: bool = False):
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.script = list(script or [])
        self.arrived = threading.Event()
        self.released = threading.Event()
        if not hold:
            self.released.set()
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner.lock:
                    owner.requests.append(json.loads(body))
                    owner.paths.append(self.path)
                    status = owner.script.pop(0) if owner.script else 200
                owner.arrived.set()
                owner.released.wait(60)
                reply = b"fail: token s3cr3t-token in echo" if status >= 400 else b"ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collect:
    def __init__(self):
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        )
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), as (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class SmtpServer:
    """aiosmtpd on 127.0.0.1: `mode` none | starttls | ssl; login required when `user` is set."""

    def __init__(
        self,
        mode: str = "none",
        user: str | None = None,
        password: str | None = None,
        cert: tuple[Path, Path] | None = None,
    ):
        self.handler = _Collect()
        self.logins: list[str] = []
        self.port = closed_port()
        kw: dict = {"hostname": "127.0.0.1", "port": self.port}
        context = None
        if cert is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
        if mode == "starttls":
            kw.update(tls_context=context, require_starttls=True)
        elif mode == "ssl":
            kw.update(ssl_context=context)
        if user is not None:

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and (
                    auth_data.login.decode() == user and auth_data.password.decode() == password
                )
                if ok:
                    self.logins.append(user)
                return AuthResult(success=ok)

            kw.update(
                authenticator=authenticator, auth_required=True, auth_require_tls=mode == "starttls"
            )
        self.controller = Controller(self.handler, **kw)
        self.controller.start()

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def close(self) -> None:
        self.controller.stop()
