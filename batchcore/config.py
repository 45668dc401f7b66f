"""Process settings read from the environment, in one place.

| variable | meaning | default |
|---|---|---|
| BATCH_JOBS_DIR | folder of the job store `batch.duckdb` | `./data` |
| BATCH_WORKSPACE | workspace folder (connections, projects, pipelines) | shipped `examples/workspace` |
| BATCH_MAX_WORKERS | threads in the global pool shared by all jobs | 10 |
| BATCH_CANCEL_TIMEOUT_S | seconds a graceful cancel waits before it forces | 60 |
| BATCH_RETENTION_DAYS | delete terminal jobs older than N days (unset: keep all) | unset |
| BATCH_API_TOKEN | bearer token the REST API requires when set (may do everything) | unset |
| BATCH_API_TOKEN_READ | a second token that may list, read and export, not change (needs BATCH_API_TOKEN) | unset |
| BATCH_ALLOWED_HOSTS | more names the Host header may carry (comma-separated; `*` = any) | loopback only |
| BATCH_MAX_GENERATE_ROWS | rows (all tables) one data generation job may write | 100,000,000 |
| BATCH_MAX_JOB_OPERATIONS | operations one job may hold | 10,000 |
| BATCH_MAX_QUEUED_JOBS | jobs waiting to start (pending) the server accepts before answering 429 | 1,000 |
| BATCH_AUTO_BUILD_EXAMPLE | build the example databases on first start when missing | 1 |
| BATCH_BASE_URL | the UI's address, for Job Details links in notifications | http://127.0.0.1:8501 |
| BATCH_SCHEDULER | 0 turns the schedule thread off (schedules then fire only by "run now") | 1 |
| BATCH_EXECUTOR | where operations run: `threads` (in this process) or `dask` (a Dask cluster) | threads |
| BATCH_DASK_SCHEDULER | with `dask`: `tcp://host:port` (an existing cluster) or `local:N` (N worker processes started here) | `local:2` |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from batchcore.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_WORKSPACE = PROJECT_ROOT / "examples" / "workspace"


def _int_env(name: str, default: int, lo: int, hi: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number", field=name, value=raw) from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value} is outside {lo}..{hi}", field=name, value=raw)
    return value


def _float_env(name: str, default: float | None, lo: float) -> float | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number", field=name, value=raw) from None
    if value < lo:
        raise ConfigError(f"{name}={value} is below {lo}", field=name, value=raw)
    return value


_DASK_SCHEDULER = re.compile(r"^(tls|tcp)://[^\s/:]+:\d{1,5}$|^local:([1-9]|[1-5][0-9]|6[0-4])$")


@dataclass(frozen=True)
class Settings:
    """Engine settings. Build with `Settings.from_env()`; tests pass explicit values."""

    jobs_dir: Path
    workspace: Path
    max_workers: int = 10
    cancel_timeout_s: float = 60.0
    retention_days: float | None = None
    api_token: str | None = None
    api_token_read: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    max_generate_rows: int = 100_000_000
    max_job_operations: int = 10_000
    max_queued_jobs: int = 1_000
    auto_build_example: bool = True
    base_url: str = "http://127.0.0.1:8501"
    scheduler_enabled: bool = True
    executor: str = "threads"
    dask_scheduler: str = "local:2"

    def __post_init__(self) -> None:
        if self.executor not in ("threads", "dask"):
            raise ConfigError(
                f"BATCH_EXECUTOR={self.executor!r} is not one of threads, dask",
                field="BATCH_EXECUTOR",
                value=self.executor,
            )
        if self.executor == "dask" and not _DASK_SCHEDULER.match(self.dask_scheduler):
            raise ConfigError(
                f"BATCH_DASK_SCHEDULER={self.dask_scheduler!r} is neither tcp://host:port nor "
                "local:N (N worker processes, 1..64)",
                field="BATCH_DASK_SCHEDULER",
                value=self.dask_scheduler,
            )
        if self.api_token_read and not self.api_token:
            raise ConfigError(
                "BATCH_API_TOKEN_READ is set without BATCH_API_TOKEN: set the full-access token "
                "too (the read token only narrows what its holder may do)",
                field="BATCH_API_TOKEN_READ",
            )
        if self.api_token_read and self.api_token_read == self.api_token:
            raise ConfigError(
                "BATCH_API_TOKEN_READ equals BATCH_API_TOKEN: give the read-only token its own value",
                field="BATCH_API_TOKEN_READ",
            )

    @property
    def db_path(self) -> Path:
        """The job store file: `<jobs_dir>/batch.duckdb`."""
        return self.jobs_dir / "batch.duckdb"

    @property
    def staging_dir(self) -> Path:
        """`<jobs_dir>/staging`: files operations stage (data generation's CSV files), emptied
        at every start (one process owns the jobs folder, so nothing in it is in use then)."""
        return self.jobs_dir / "staging"

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Read the BATCH_* variables; keyword overrides win. Raises ConfigError on bad values."""
        values = dict(
            jobs_dir=Path(os.environ.get("BATCH_JOBS_DIR") or "data").resolve(),
            workspace=Path(os.environ.get("BATCH_WORKSPACE") or EXAMPLE_WORKSPACE).resolve(),
            max_workers=_int_env("BATCH_MAX_WORKERS", 10, 1, 256),
            cancel_timeout_s=_float_env("BATCH_CANCEL_TIMEOUT_S", 60.0, 0.0),
            retention_days=_float_env("BATCH_RETENTION_DAYS", None, 0.0),
            api_token=os.environ.get("BATCH_API_TOKEN") or None,
            api_token_read=os.environ.get("BATCH_API_TOKEN_READ") or None,
            allowed_hosts=tuple(
                h.strip().lower()
                for h in os.environ.get("BATCH_ALLOWED_HOSTS", "").split(",")
                if h.strip()
            ),
            max_generate_rows=_int_env("BATCH_MAX_GENERATE_ROWS", 100_000_000, 1, 10**12),
            max_job_operations=_int_env("BATCH_MAX_JOB_OPERATIONS", 10_000, 1, 10_000_000),
            max_queued_jobs=_int_env("BATCH_MAX_QUEUED_JOBS", 1_000, 1, 10_000_000),
            auto_build_example=os.environ.get("BATCH_AUTO_BUILD_EXAMPLE", "1")
            not in ("0", "false", "no"),
            base_url=(os.environ.get("BATCH_BASE_URL") or "http://127.0.0.1:8501").rstrip("/"),
            scheduler_enabled=os.environ.get("BATCH_SCHEDULER", "1") not in ("0", "false", "no"),
            executor=(os.environ.get("BATCH_EXECUTOR") or "threads").strip().lower(),
            dask_scheduler=(os.environ.get("BATCH_DASK_SCHEDULER") or "local:2").strip(),
        )
        values.update(overrides)
        return cls(**values)
