"""The state machine: the one table of allowed status moves for jobs and operations.

Every status write in the store is a compare-and-set whose `WHERE status IN (...)` comes from
`sources()`, so an illegal move cannot be written. Terminal states are write-once, with one
exception each, the explicit retry: a failed operation may go back to `pending`, and a finished
job with failed operations may go back to `pending` (DESIGN §4).
"""

from __future__ import annotations

from batchcore.models import JobStatus as J
from batchcore.models import OperationStatus as O


class IllegalTransition(ValueError):
    """A move the table does not allow (a bug in the caller: raised, never swallowed)."""


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


def check_job_move(old: J, new: J) -> None:
    """Raise IllegalTransition unless a job may move from `old` to `new`."""
    if new not in JOB_MOVES[J(old)]:
        raise IllegalTransition(f"job status {old} -> {new} is not allowed")


def check_operation_move(old: O, new: O) -> None:
    """Raise IllegalTransition unless an operation may move from `old` to `new`."""
    if new not in OPERATION_MOVES[O(old)]:
        raise IllegalTransition(f"operation status {old} -> {new} is not allowed")


def job_sources(new: J) -> tuple[str, ...]:
    """Statuses a job may leave to enter `new` (for the CAS `WHERE status IN (...)`)."""
    return tuple(sorted(s.value for s, moves in JOB_MOVES.items() if new in moves))


def operation_sources(new: O) -> tuple[str, ...]:
    """Statuses an operation may leave to enter `new`."""
    return tuple(sorted(s.value for s, moves in OPERATION_MOVES.items() if new in moves))


def sql_in(values: tuple[str, ...]) -> str:
    """`('a', 'b')` for a WHERE clause (values are enum names, never user input)."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def final_job_status(total: int, completed: int, cancel_requested: bool) -> J:
    """DESIGN §4: cancelled if the user cancelled; else completed when every operation completed,
    failed when none completed, partial_success otherwise."""
    if cancel_requested:
        return J.CANCELLED
    if completed == total:
        return J.COMPLETED
    if completed == 0:
        return J.FAILED
    return J.PARTIAL_SUCCESS
