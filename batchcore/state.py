"""The state machine: the one table of allowed status moves for jobs and operations, the status
sets as SQL, and the final-status rule (Python and SQL, one definition).

Every status write in the store is a compare-and-set whose `WHERE status IN (...)` comes from
`job_sources()` / `operation_sources()`, so an illegal move cannot be written. Terminal states are write-once, with one
exception each, the explicit retry: a failed operation may go back to `pending`, and a finished
job with failed operations may go back to `pending` (DESIGN §4).
"""

from __future__ import annotations

from batchcore.models import (
    ACTIVE_JOB_STATUSES,
    TERMINAL_JOB_STATUSES,
    TERMINAL_OPERATION_STATUSES,
)
from batchcore.models import JobStatus as J
from batchcore.models import OperationStatus as O

JOB_MOVES: dict[J, frozenset[J]] = {
    J.PENDING: frozenset({J.RUNNING, J.CANCELLING, J.CANCELLED}),
    J.RUNNING: frozenset({J.CANCELLING, J.COMPLETED, J.PARTIAL_SUCCESS, J.FAILED, J.CANCELLED}),
    J.CANCELLING: frozenset({J.CANCELLED}),
    J.COMPLETED: frozenset(),
    J.PARTIAL_SUCCESS: frozenset({J.PENDING}),  # retry of failed operations
    J.FAILED: frozenset({J.PENDING}),  # retry
    J.CANCELLED: frozenset({J.PENDING}),  # retry of failed operations
}

OPERATION_MOVES: dict[O, frozenset[O]] = {
    O.PENDING: frozenset({O.RUNNING, O.SKIPPED}),
    # running -> pending: automatic retry after an error, or recovery after a crash
    # running -> cancelled: force cancel, or recovery of a job whose cancel was requested
    O.RUNNING: frozenset({O.COMPLETED, O.FAILED, O.CANCELLED, O.PENDING}),
    O.FAILED: frozenset({O.PENDING}),  # retry endpoint
    O.COMPLETED: frozenset(),
    O.SKIPPED: frozenset(),
    O.CANCELLED: frozenset(),
}


def job_sources(new: J) -> tuple[str, ...]:
    """Statuses a job may leave to enter `new` (for the CAS `WHERE status IN (...)`)."""
    return tuple(sorted(s.value for s, moves in JOB_MOVES.items() if new in moves))


def operation_sources(new: O) -> tuple[str, ...]:
    """Statuses an operation may leave to enter `new`."""
    return tuple(sorted(s.value for s, moves in OPERATION_MOVES.items() if new in moves))


def sql_in(values: tuple[str, ...]) -> str:
    """`('a', 'b')` for a WHERE clause (values are enum names, never user input)."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# the status sets of models.py as SQL lists, for `WHERE status IN ...`
ACTIVE_JOBS = sql_in(tuple(sorted(s.value for s in ACTIVE_JOB_STATUSES)))
TERMINAL_JOBS = sql_in(tuple(sorted(s.value for s in TERMINAL_JOB_STATUSES)))
TERMINAL_OPS = sql_in(tuple(sorted(s.value for s in TERMINAL_OPERATION_STATUSES)))


def final_job_status(total: int, completed: int, cancel_requested: bool) -> J:
    """DESIGN §4: cancelled if the user cancelled; else completed when every operation completed,
    failed when none completed, partial_success otherwise. `final_status_sql` is the same rule
    for the store's UPDATE (tests check that both agree)."""
    if cancel_requested:
        return J.CANCELLED
    if completed == total:
        return J.COMPLETED
    if completed == 0:
        return J.FAILED
    return J.PARTIAL_SUCCESS


def final_status_sql(cancel_requested: str, total: str, completed: str) -> str:
    """`final_job_status` as a SQL CASE over the given column expressions (a cancel-requested
    timestamp, the operation count and the completed operation count)."""
    return (
        f"CASE WHEN {cancel_requested} IS NOT NULL THEN '{J.CANCELLED.value}' "
        f"WHEN {completed} = {total} THEN '{J.COMPLETED.value}' "
        f"WHEN {completed} = 0 THEN '{J.FAILED.value}' "
        f"ELSE '{J.PARTIAL_SUCCESS.value}' END"
    )
