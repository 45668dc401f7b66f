"""Engine methods for notifications (mixed into `batchcore.engine.Engine`): what the API, the
CLI and the pages call. Channel settings are shown without secrets: a `${VAR}` stays as written,
a literal webhook URL shows only its scheme and host."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from batchcore.errors import ConfigError
from batchcore.notify.config import EmailChannel, WebhookChannel
from batchcore.store import notifications as nq
from batchcore.workspace import _ENV_RE

if TYPE_CHECKING:
    from batchcore.notify.sender import Notifier
    from batchcore.store import Store


def _safe_url(url: str) -> str:
    if _ENV_RE.fullmatch(url.strip()):
        return url.strip()
    parts = urlsplit(_ENV_RE.sub("…", url))
    return f"{parts.scheme}://{parts.hostname or '…'}/…" if parts.scheme else "…"


def channel_summary(name: str, ch: WebhookChannel | EmailChannel) -> dict[str, Any]:
    """Name, type and where it goes, with nothing secret."""
    if isinstance(ch, WebhookChannel):
        target = f"{_safe_url(ch.url)} ({ch.format})"
    else:
        port = ch.port or ch.default_port
        target = f"{', '.join(ch.to)} via {ch.host}:{port} ({ch.security})"
    return {"name": name, "type": ch.type, "target": target}


class NotifyMethods:
    """Notification methods of the Engine (needs `store`, `notifier`)."""

    store: Store
    notifier: Notifier

    def notify_jobs_finished(self, job_ids: list[str]) -> None:
        """Hand finished jobs to the notifier (never blocks; the executor's finalisation hook)."""
        self.notifier.jobs_finished(list(job_ids))

    def notification_settings(self) -> dict[str, Any]:
        """{"channels": [name, type, target], "rules": [...], "delivery": {...}, "problem": text
        or None}: the workspace's notifications.yaml without secrets."""
        try:
            cfg = self.notifier.config()
        except ConfigError as exc:
            return {"channels": [], "rules": [], "delivery": None, "problem": exc.message}
        return {
            "channels": [channel_summary(n, c) for n, c in sorted(cfg.channels.items())],
            "rules": [r.model_dump(mode="json") for r in cfg.rules],
            "delivery": cfg.delivery.model_dump(mode="json"),
            "problem": None,
        }

    def send_test_message(self, channel: str) -> dict[str, Any]:
        """Send a test message to `channel` now and record it. Returns {"delivery_id", "channel",
        "status": sent | failed, "outcome", "error", "attempt"}. Raises NotFound, ConfigError."""
        return self.notifier.send_test(channel)

    def notification_deliveries(
        self, job_id: str | None = None, *, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Deliveries of a job (or the latest ones), newest first, each with every try (`tries`:
        attempt, started_at, finished_at, duration_ms, outcome, error)."""
        with self.store.reader() as cur:
            return nq.deliveries(cur, job_id=job_id, limit=limit)
