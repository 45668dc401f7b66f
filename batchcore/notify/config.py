"""`<workspace>/notifications.yaml`: channels, rules and delivery settings.

```yaml
channels:
  team-chat: {type: webhook, url: "${SLACK_WEBHOOK_URL}", format: slack}
  dq-mail:
    type: email
    host: smtp.example.com
    port: 587
    security: starttls          # starttls | ssl | none
    username: "${SMTP_USER}"
    password: "${SMTP_PASSWORD}"
    from: batch@example.com
    to: [dq-team@example.com]
rules:
  - name: nightly failures
    channels: [team-chat, dq-mail]
    events: [failed, error, recovered]      # default: [failed, error]
    projects: [nycflights_migration]        # optional filters: all given must match,
    tags: [nightly]                         # any value of one filter matches
    job_types: [bulk_pipeline_execution]
    schedules: [sch-1a2b3c4d]               # schedule id or name
delivery: {max_attempts: 5, backoff_s: 2, backoff_cap_s: 300}
```

`${VAR}` (and `${VAR:-default}`) in any string value is expanded only when a message is sent
(`resolve_channel`), so secrets never reach the job store, logs or exports. A missing file means
no notifications. Errors are ConfigError `file:line: field: message`, all problems at once.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, model_validator

from batchcore.errors import ConfigError
from batchcore.models import JobType
from batchcore.workspace import _ENV_RE, expand_env
from batchcore.yamlfile import load_yaml

FILE_NAME = "notifications.yaml"


class Event(StrEnum):
    """What a rule can be notified of (one message per job, whatever the number of events)."""

    FAILED = "failed"  # the job ended failed (no operation completed)
    PARTIAL_SUCCESS = "partial_success"  # some operations failed
    ERROR = "error"  # an operation could not run (failure_kind 'error')
    RECOVERED = "recovered"  # a schedule's first completed job after failed ones
    ANOMALY = "anomaly"  # a learned alert band judged a check outside (issue 15)
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # every completed job (for channels that want them all)


DEFAULT_EVENTS = (Event.FAILED, Event.ERROR)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Text = Annotated[StrictStr, Field(min_length=1, max_length=2000)]


class WebhookChannel(_Strict):
    """POST JSON to `url` (`format: slack` writes Slack's incoming-webhook shape)."""

    type: Literal["webhook"]
    url: Text
    format: Literal["json", "slack"] = "json"
    headers: dict[str, StrictStr] = Field(default_factory=dict)
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0


class EmailChannel(_Strict):
    """Send through an SMTP server: `security` starttls (port 587), ssl (465) or none (25);
    `username`/`password` log in when given; `ca_file` trusts a private CA."""

    type: Literal["email"]
    host: Text
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: Text | None = None
    password: Text | None = None
    sender: Text = Field(alias="from")
    to: Annotated[list[Text], Field(min_length=1, max_length=100)]
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    ca_file: Text | None = None

    @property
    def default_port(self) -> int:
        return {"starttls": 587, "ssl": 465, "none": 25}[self.security]


Channel = Annotated[WebhookChannel | EmailChannel, Field(discriminator="type")]


class Rule(_Strict):
    """Which jobs (all given filters must match) and which events go to which channels."""

    name: Text | None = None
    channels: Annotated[list[Text], Field(min_length=1)]
    events: Annotated[list[Event], Field(min_length=1)] = Field(
        default_factory=lambda: list(DEFAULT_EVENTS)
    )
    projects: list[Text] | None = None
    tags: list[Text] | None = None
    job_types: list[JobType] | None = None
    schedules: list[Text] | None = None


class DeliverySettings(_Strict):
    """Tries per message and the backoff between them (exponential with jitter, seconds)."""

    max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    backoff_s: Annotated[float, Field(ge=0, le=600)] = 2.0
    backoff_cap_s: Annotated[float, Field(ge=0, le=3600)] = 300.0


class NotificationsConfig(_Strict):
    """The whole file."""

    channels: dict[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")], Channel
    ] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)

    @model_validator(mode="after")
    def _known_channels(self) -> NotificationsConfig:
        for i, rule in enumerate(self.rules):
            for j, name in enumerate(rule.channels):
                if name not in self.channels:
                    known = ", ".join(sorted(self.channels)) or "none"
                    raise ValueError(
                        f"rules.{i}.channels.{j}: unknown channel {name!r} (channels: {known})"
                    )
        return self


EMPTY = NotificationsConfig()


def parse_config(path: Path) -> NotificationsConfig:
    """Read and check `path`. Raises ConfigError listing every problem as `file:line: ...`."""
    doc = load_yaml(path)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError("must be a mapping with channels, rules, delivery", location=str(path))
    try:
        return NotificationsConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(
                p for p in err["loc"] if not (isinstance(p, str) and p in ("webhook", "email"))
            )
            where = doc.location(loc)
            field = ".".join(str(p) for p in loc)
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {field + ': ' if field else ''}{msg}")
        raise ConfigError("; ".join(problems), location=None, field="notifications.yaml") from None


class ConfigCache:
    """The workspace's notifications.yaml, re-read when its modification time changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, tuple[int, int]] | None = None
        self._value: NotificationsConfig = EMPTY

    def get(self, workspace: Path) -> NotificationsConfig:
        """The config (EMPTY without a file). Raises ConfigError for a bad file."""
        path = Path(workspace) / FILE_NAME
        try:
            st = path.stat()
            mtime = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            return EMPTY
        with self._lock:
            if self._key != (str(path), mtime):
                self._value = parse_config(path)
                self._key = (str(path), mtime)
            return self._value


def resolve_channel(channel: WebhookChannel | EmailChannel, where: str) -> tuple[Any, list[str]]:
    """The channel with every `${VAR}` expanded, and the secrets that expansion brought in (the
    values to hide from any error text). Raises ConfigError naming a missing variable."""
    secrets: list[str] = []

    def expand(value: Any) -> Any:
        if isinstance(value, str):
            if not _ENV_RE.search(value):
                return value
            out = expand_env(value, where=where)
            secrets.append(out)
            secrets.extend(expand_env(m.group(0), where=where) for m in _ENV_RE.finditer(value))
            return out
        if isinstance(value, list):
            return [expand(v) for v in value]
        if isinstance(value, dict):
            return {k: expand(v) for k, v in value.items()}
        return value

    data = {k: expand(v) for k, v in channel.model_dump(by_alias=True).items()}
    return type(channel).model_validate(data), [s for s in secrets if len(s) >= 3]
