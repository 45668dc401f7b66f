"""Sending one message to one channel: a webhook (HTTP POST of JSON) or an email (SMTP).

`send(channel, message, where)` raises DeliveryFailed with `retryable` and a message that never
holds a secret: the channel's expanded `${VAR}` values, its URL and password are replaced by
`***` (errors are built from status codes and exception types, then redacted again).
Retryable: connection problems, timeouts, HTTP 408/425/429/5xx, SMTP 4xx answers. Not
retryable: other HTTP 4xx, SMTP 5xx answers, a refused login, a missing `${VAR}`.
"""

from __future__ import annotations

import email.policy
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

from batchcore import __version__
from batchcore.errors import BatchError, ConfigError
from batchcore.notify.config import EmailChannel, WebhookChannel, resolve_channel
from batchcore.notify.message import as_json, as_slack, as_text
from batchcore.redact import redact_secrets, redact_url_credentials, value_secrets

RETRYABLE_HTTP = {408, 425, 429}


class DeliveryFailed(BatchError):
    """A message could not be delivered; `retryable` says whether another try may succeed."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def send(channel: WebhookChannel | EmailChannel, message: dict[str, Any], where: str) -> str:
    """Deliver `message` once. Returns a short outcome (`HTTP 200`, `250 accepted`).
    Raises DeliveryFailed."""
    try:
        resolved, secrets = resolve_channel(channel, where)
    except ConfigError as exc:
        raise DeliveryFailed(exc.message, retryable=False) from None
    if isinstance(resolved, WebhookChannel):
        secrets = [*secrets, resolved.url, *resolved.headers.values()]
        return _guarded(lambda: _webhook(resolved, message), secrets)
    secrets = [*secrets, *(v for v in (resolved.password, resolved.username) if v)]
    return _guarded(lambda: _email(resolved, message), secrets)


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret value shown as `***` and URL credentials hidden
    (batchcore.redact, the product's one redaction)."""
    return redact_url_credentials(redact_secrets(text, value_secrets(secrets)))


def _guarded(fn, secrets: list[str]) -> str:
    try:
        return fn()
    except DeliveryFailed as exc:
        raise DeliveryFailed(redact(exc.message, secrets), retryable=exc.retryable) from None
    except Exception as exc:  # a bug or an odd library error: never its text unredacted
        raise DeliveryFailed(
            redact(f"{type(exc).__name__}: {exc}", secrets), retryable=True
        ) from None


def _webhook(ch: WebhookChannel, message: dict[str, Any]) -> str:
    """POST with urllib (httpx would log the URL, which may hold a token, at INFO level)."""
    body = as_slack(message) if ch.format == "slack" else as_json(message)
    headers = {
        "User-Agent": f"batch-operations/{__version__}",
        "Content-Type": "application/json",
        **ch.headers,
    }
    req = urllib.request.Request(
        ch.url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=ch.timeout_s) as resp:
            return f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        text = exc.read(400).decode(errors="replace").strip().replace("\n", " ")[:200]
        raise DeliveryFailed(
            f"the webhook answered HTTP {exc.code} {exc.reason}" + (f": {text}" if text else ""),
            retryable=exc.code >= 500 or exc.code in RETRYABLE_HTTP,
        ) from None
    except TimeoutError:
        raise DeliveryFailed(
            f"the webhook did not answer within {ch.timeout_s:g} s", retryable=True
        ) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise DeliveryFailed(
                f"the webhook did not answer within {ch.timeout_s:g} s", retryable=True
            ) from None
        raise DeliveryFailed(f"cannot reach the webhook ({reason})", retryable=True) from None
    except (OSError, ValueError) as exc:  # connection reset, a malformed URL
        raise DeliveryFailed(
            f"cannot reach the webhook ({type(exc).__name__}: {exc})",
            retryable=not isinstance(exc, ValueError),
        ) from None


def _email(ch: EmailChannel, message: dict[str, Any]) -> str:
    # long lines are allowed up to 998 (RFC 5322): the default of 78 folds a long subject at
    # its very start, which leaves a leading space in some readers
    mail = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    mail["Subject"] = f"[Batch Operations] {message['title']}"
    mail["From"] = ch.sender
    mail["To"] = ", ".join(ch.to)
    mail.set_content(as_text(message))
    port = ch.port or ch.default_port
    context = ssl.create_default_context(cafile=ch.ca_file) if ch.security != "none" else None
    try:
        if ch.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                ch.host, port, timeout=ch.timeout_s, context=context
            )
        else:
            smtp = smtplib.SMTP(ch.host, port, timeout=ch.timeout_s)
        with smtp:
            if ch.security == "starttls":
                smtp.starttls(context=context)
            if ch.username:
                smtp.login(ch.username, ch.password or "")
            refused = smtp.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryFailed(
            f"the SMTP server refused the login ({exc.smtp_code})", retryable=False
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(
            f"the SMTP server refused every recipient ({', '.join(exc.recipients)})",
            retryable=False,
        ) from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise DeliveryFailed(
            f"the SMTP server answered {exc.smtp_code} {text[:200]}",
            retryable=400 <= exc.smtp_code < 500,
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryFailed(
            "the SMTP server does not offer STARTTLS or AUTH (set security: ssl or none, or "
            "remove username)",
            retryable=False,
        ) from None
    except ssl.SSLError as exc:
        raise DeliveryFailed(
            f"TLS with the SMTP server failed ({exc.reason or exc})", retryable=False
        ) from None
    except TimeoutError:
        raise DeliveryFailed(
            f"the SMTP server did not answer within {ch.timeout_s:g} s", retryable=True
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(
            f"cannot reach the SMTP server {ch.host}:{port} ({type(exc).__name__}: {exc})",
            retryable=True,
        ) from None
    if refused:
        raise DeliveryFailed(
            f"the SMTP server refused {', '.join(sorted(refused))}", retryable=False
        )
    return f"accepted for {len(ch.to)} recipient(s)"
