"""Check and pipeline results: what the store keeps, the API shows and the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchcore.jsonutil import to_jsonable
from batchcore.models import FailureKind
from batchcore.outcome import checks_failure_kind
from batchcore.textutil import ELLIPSIS, clip, listing
from batchcore.validation.checks import unit_of

STATUSES = ("passed", "failed", "warned", "error")

# Bounds of the one-line summary and the error message (a pipeline may hold hundreds of checks;
# every check stays in full in the check results).
MAX_NAMED = 5  # checks named per status in the summary, failed checks described in the error
MAX_REASONS = 3  # distinct reasons shown for checks that could not run
NAMES_PER_REASON = 3  # checks named per reason
MAX_NAME = 60  # characters of one check name
MAX_ITEM = 200  # characters of one check description or one reason
MAX_MESSAGE = 2000  # characters of the whole error message


@dataclass
class CheckResult:
    """One check's result (DESIGN §7). Counts in `unit` (rows, columns or metrics: `unit_of`);
    `duration_ms` in milliseconds; `status` in passed | failed | warned | error (warned = a
    `severity: warn` check that did not pass); `sample` = {"columns": [...], "rows": [[...]]}."""

    check_index: int
    check_name: str
    check_type: str
    table_name: str | None
    columns: list[str]
    severity: str
    threshold: float | None
    status: str
    passed: bool
    total_rows: int | None = None
    failed_rows: int | None = None
    non_null_rows: int | None = None
    pass_rate: float | None = None
    duplicate_keys: int | None = None
    observed: dict[str, Any] = field(default_factory=dict)
    sample: dict[str, Any] | None = None
    sql: str | None = None
    error: str | None = None
    duration_ms: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    project_id: str | None = None
    pipeline_id: str | None = None

    @property
    def unit(self) -> str:
        """What `failed_rows` and `total_rows` count: rows, columns or metrics."""
        return unit_of(self.check_type)

    def to_row(self) -> dict[str, Any]:
        """The `check_results` row: CHECK_COLUMNS minus job_id, operation_id, attempt, created_at."""
        return {
            "check_index": self.check_index,
            "project_id": self.project_id,
            "pipeline_id": self.pipeline_id,
            "check_name": self.check_name,
            "check_type": self.check_type,
            "table_name": self.table_name,
            "columns": list(self.columns),
            "severity": self.severity,
            "threshold": self.threshold,
            "status": self.status,
            "passed": self.passed,
            "total_rows": self.total_rows,
            "failed_rows": self.failed_rows,
            "non_null_rows": self.non_null_rows,
            "pass_rate": self.pass_rate,
            "duplicate_keys": self.duplicate_keys,
            "observed": to_jsonable(self.observed),
            "sample": to_jsonable(self.sample),
            "sql": self.sql,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 3),
            "details": to_jsonable(self.details),
        }

    def short(self) -> dict[str, Any]:
        """A record without sample and SQL, for the operation's stored result and `--json`."""
        out = {
            "index": self.check_index,
            "name": self.check_name,
            "type": self.check_type,
            "table": self.table_name,
            "columns": list(self.columns),
            "status": self.status,
            "passed": self.passed,
            "severity": self.severity,
            "threshold": self.threshold,
            "total_rows": self.total_rows,
            "failed_rows": self.failed_rows,
            "non_null_rows": self.non_null_rows,
            "pass_rate": self.pass_rate,
            "unit": self.unit,
            "duration_ms": round(self.duration_ms, 3),
        }
        if len(self.columns) == 1:
            out["column"] = self.columns[0]
        if self.check_type == "unique":
            out["duplicate_keys"] = self.duplicate_keys
        if self.error:
            out["error"] = self.error
        return out

    def describe(self, max_name: int | None = None) -> str:
        """`unique(weather(...)): 6 of 26,115 rows failed (pass rate 0.9998)` (counts in the
        check's `unit`: `schema(t): 1 of 3 columns failed (pass rate 0.6667)`), a check's own
        reason (`row_count(t): 3,322 rows: 22 above the max 3,300 (pass rate 0.9934)`), or
        `name: could not run: <error>` — for error messages and the CLI. `max_name` clips the
        check's name to that many characters."""
        name = self.check_name if max_name is None else clip(self.check_name, max_name)
        if self.status == "error":
            return f"{name}: could not run: {self.error}"
        reason = self.details.get("reason") if isinstance(self.details, dict) else None
        if reason:
            text = f"{name}: {reason}"
        elif self.failed_rows is not None and self.total_rows is not None:
            text = f"{name}: {self.failed_rows:,} of {self.total_rows:,} {self.unit} failed"
        elif self.failed_rows is not None:
            text = f"{name}: {self.failed_rows:,} {self.unit} failed"
        else:
            text = name
        if self.pass_rate is not None:
            text += f" (pass rate {_rate(self.pass_rate)})"
        return text


def _grouped_errors(checks: list[CheckResult]) -> str:
    """`a, b … and 105 more: <error>; c: <other error>`: checks that could not run grouped by
    their error, most checks first, at most MAX_REASONS errors."""
    groups: dict[str, list[str]] = {}
    for c in checks:
        groups.setdefault(c.error or "no error message", []).append(clip(c.check_name, MAX_NAME))
    ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))  # stable: file order on ties
    text = "; ".join(
        f"{listing(names, NAMES_PER_REASON)}: {clip(reason, MAX_ITEM)}"
        for reason, names in ordered[:MAX_REASONS]
    )
    rest = ordered[MAX_REASONS:]
    if rest:
        n = sum(len(names) for _, names in rest)
        text += (
            f"; {ELLIPSIS} and {n:,} more checks with {len(rest):,} other "
            f"error{'s' if len(rest) > 1 else ''}"
        )
    return text


def _rate(r: float) -> str:
    """A pass rate that never prints as 1.0000 or 0.0000 when it is not exactly that."""
    if r in (0.0, 1.0):
        return f"{r:.1f}"
    text = f"{r:.4f}"
    if text in ("1.0000", "0.0000"):
        text = f"{r:.8f}".rstrip("0")
    return text


@dataclass
class PipelineResult:
    """A pipeline run: its checks in order, `passed` when every error-severity check passed."""

    project_id: str | None
    pipeline_id: str
    source: str | None
    target: str | None
    checks: list[CheckResult]
    duration_ms: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks if c.severity == "error")

    @property
    def failure_kind(self) -> FailureKind | None:
        """None when it passed, else `checks_failed` or `error` (`checks_failure_kind`)."""
        return checks_failure_kind(self.checks)

    def counts(self) -> dict[str, int]:
        """Checks per status: passed, failed, warned, error."""
        out = dict.fromkeys(STATUSES, 0)
        for c in self.checks:
            out[c.status] += 1
        return out

    @property
    def blocking(self) -> list[CheckResult]:
        """Error-severity checks that did not pass (they fail the pipeline)."""
        return [c for c in self.checks if c.severity == "error" and not c.passed]

    def summary(self) -> str:
        """One short line: `11 of 14 checks passed; 2 failed: a, b; 1 could not run: c; 1 warned`.

        At most MAX_NAMED checks are named per status (`a, b, c, d, e … and 103 more`)."""
        n = self.counts()
        text = f"{n['passed']} of {len(self.checks)} checks passed"
        for status, label in (("failed", "failed"), ("error", "could not run")):
            names = [clip(c.check_name, MAX_NAME) for c in self.checks if c.status == status]
            if names:
                text += f"; {len(names)} {label}: " + listing(names, MAX_NAMED)
        if n["warned"]:
            text += f"; {n['warned']} warned"
        return text

    def error_message(self) -> str | None:
        """Why a failed pipeline failed (None when it passed), bounded for any number of checks.

        `3 of 14 checks failed: a: 40 of 1,000 rows failed (pass rate 0.96); b: ...` describes at most
        MAX_NAMED failed checks; `108 of 108 checks could not run: a, b, c … and 105 more: table
        'nycflights.flights' not found in ...` groups the checks that could not run by their
        error (at most MAX_REASONS errors, NAMES_PER_REASON checks named each). Only
        error-severity checks count; at most MAX_MESSAGE characters."""
        bad = self.blocking
        if not bad:
            return None
        total = len(self.checks)
        parts = []
        failed = [clip(c.describe(MAX_NAME), MAX_ITEM) for c in bad if c.status != "error"]
        if failed:
            parts.append(
                f"{len(failed)} of {total} checks failed: " + listing(failed, MAX_NAMED, sep="; ")
            )
        errored = [c for c in bad if c.status == "error"]
        if errored:
            parts.append(
                f"{len(errored)} of {total} checks could not run: " + _grouped_errors(errored)
            )
        return clip(". ".join(parts), MAX_MESSAGE)

    def to_result_dict(self) -> dict[str, Any]:
        """JSON-ready summary stored on the operation (no samples, no SQL)."""
        n = self.counts()
        return {
            "pipeline_id": self.pipeline_id,
            "project_id": self.project_id,
            "source": self.source,
            "target": self.target,
            "passed": self.passed,
            "failure_kind": None if self.failure_kind is None else self.failure_kind.value,
            "checks_total": len(self.checks),
            "checks_passed": n["passed"],
            "checks_failed": n["failed"],
            "checks_warned": n["warned"],
            "checks_errored": n["error"],
            "duration_ms": round(self.duration_ms, 3),
            "checks": to_jsonable([c.short() for c in self.checks]),
        }
