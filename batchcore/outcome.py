"""Could not run ≠ failed (DESIGN §12): the one rule that says why something failed.

An operation that ends `failed` carries a `FailureKind`:

- `checks_failed`: it ran to its end and its checks found bad data (the handler RETURNED a
  failed `OperationOutcome`);
- `error`: it could not run, so nobody knows whether the data is good: the handler raised
  (unknown pipeline, unreachable connection, bad file, timeout, an interrupted process given
  up on), or a validation had an error-severity check that could not run (`checks_failure_kind`).

`checks_failure_kind` decides for a validation (the `validate` command, the pipeline operation);
`job_failure_kind` decides for a finished job (`run`, `submit|status|retry --wait`). The CLI maps
the answer to its exit code in one place (`batchcore.cli.exit_code`: None 0, checks_failed 1,
error 2). The store, the API, JUnit, analytics and the UI read the stored `failure_kind`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from batchcore.models import FailureKind, JobStatus, OperationStatus


class CheckVerdict(Protocol):
    """What the rule reads of a check result (`batchcore.validation.result.CheckResult`)."""

    status: str  # passed | failed | warned | error
    severity: str  # error | warn
    passed: bool


def checks_failure_kind(checks: Iterable[CheckVerdict]) -> FailureKind | None:
    """The verdict of a validation run over its check results.

    - None (passed) when every `severity: error` check passed;
    - `error` when any `severity: error` check has status `error` (it could not run: unknown
      table or column, SQL error, ...), even beside checks that failed: one unknown verdict
      makes the pipeline's verdict unknown;
    - else `checks_failed` (every error-severity check ran; some found bad data).

    `severity: warn` checks never decide, whether they warned or could not run."""
    blocking = [c for c in checks if c.severity == "error" and not c.passed]
    if not blocking:
        return None
    if any(c.status == "error" for c in blocking):
        return FailureKind.ERROR
    return FailureKind.CHECKS_FAILED


def job_failure_kind(
    job_status: str, operations: Iterable[tuple[str, str | None]]
) -> FailureKind | None:
    """The verdict of a finished job over its operations' (status, failure_kind) pairs.

    - None when every operation completed;
    - `error` when any operation failed with `error`, was cancelled or has not finished, or
      the job was cancelled (its verdict is incomplete), or operations were skipped with no
      failed operation to explain it;
    - else `checks_failed`: some operation's checks found bad data (operations skipped after
      it by `stop_on_error` do not change that). A failed operation without a failure_kind
      (an export from a server older than this rule) counts as `checks_failed`."""
    ops = [(str(status), kind) for status, kind in operations]
    if all(status == OperationStatus.COMPLETED for status, _ in ops):
        return None
    unfinished = {OperationStatus.CANCELLED, OperationStatus.PENDING, OperationStatus.RUNNING}
    if str(job_status) == JobStatus.CANCELLED or any(
        status in unfinished or (status == OperationStatus.FAILED and kind == FailureKind.ERROR)
        for status, kind in ops
    ):
        return FailureKind.ERROR
    if any(status == OperationStatus.FAILED for status, _ in ops):
        return FailureKind.CHECKS_FAILED
    return FailureKind.ERROR  # skipped, and no failure explains it


def shown_status(status: str, failure_kind: str | None) -> str:
    """The status people read for an operation: `error` for a failed operation that could not
    run, its own status otherwise (`failed` then means its checks found bad data). The chip of
    the UI and the operation lines of the CLI use it; the stored status stays `failed`."""
    if str(status) == OperationStatus.FAILED and failure_kind == FailureKind.ERROR:
        return FailureKind.ERROR.value
    return str(status)
