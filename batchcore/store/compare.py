"""Compare two runs (issue 15 §3): what changed in the checks and operations from job A to job B.

A check's identity across jobs is project + pipeline + check name (as in the check history); a
pipeline that holds two checks of the same name pairs them by their order. Only the latest
attempt of each operation counts (what the job's page shows): a retried operation (manual retry
or automatic) keeps its operation id and gets attempt n+1, whose check results replace the
earlier attempts' — when the latest attempt left no check results, the operation has none. A check is *failing* when it did
not pass (status failed, warned or error). Each check of either job gets one `change`:

| change | A | B |
|---|---|---|
| `newly_failing` | passed | not passed |
| `fixed` | not passed | passed |
| `still_failing` | not passed | not passed (`figures_changed` when failed/total rows or status differ) |
| `passing` | passed | passed |
| `new` | — | present |
| `removed` | present | — while B ran that pipeline and has check results for it |
| `not_run` | present | — B did not run that pipeline, or its run left no check results (skipped, cancelled, could not run) |

Operations pair by what they run: `project/pipeline` for a validation, else the operation id
(`generate_0_retail`). Their `change`: `newly_errored` (B could not run it, failure_kind error;
A could), `still_errored`, `no_longer_errored`, `new`, `not_in_b`, `same` (neither errored).

The previous run of a job (`previous_job_id`): the newest earlier job (by creation time) that
has finished, started at least one operation and runs the same set of operations (same
pipelines); when no earlier job runs exactly that set, the newest earlier one that shares at
least one of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from batchcore import jsonutil
from batchcore.planning import operation_title
from batchcore.store.commands import TERMINAL_JOBS
from batchcore.store.partitions import ROLLED_CHECK_RESULTS
from batchcore.timeutil import from_db

CheckChangeKind = Literal[
    "newly_failing", "fixed", "still_failing", "passing", "new", "removed", "not_run"
]
OperationChangeKind = Literal[
    "newly_errored", "still_errored", "no_longer_errored", "new", "not_in_b", "same"
]
# the order a reader needs them in: what got worse first, the unchanged passing checks last
CHECK_CHANGE_ORDER: tuple[str, ...] = (
    "newly_failing",
    "still_failing",
    "new",
    "fixed",
    "removed",
    "not_run",
    "passing",
)
OPERATION_CHANGE_ORDER: tuple[str, ...] = (
    "newly_errored",
    "still_errored",
    "no_longer_errored",
    "new",
    "not_in_b",
    "same",
)
PREVIOUS_PAGE = 500  # earlier jobs examined per query when looking for the previous run


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class JobRef(_Record):
    """One side of a comparison: the job's id, name, status and times (UTC)."""

    job_id: str
    name: str
    job_type: str
    status: str
    created_at: datetime
    finished_at: datetime | None


class CheckChange(_Record):
    """One check of job A and/or job B. `*_a` / `*_b` are None on the side that lacks it.
    Counts are in the check's unit (rows, columns or metrics); rates 0–1.
    `failed_rows_delta` = failed_rows_b − failed_rows_a when both are known."""

    change: CheckChangeKind
    project_id: str | None
    pipeline_id: str | None
    check_name: str
    check_type: str
    table_name: str | None
    severity: str
    status_a: str | None
    status_b: str | None
    failed_rows_a: int | None
    failed_rows_b: int | None
    failed_rows_delta: int | None
    total_rows_a: int | None
    total_rows_b: int | None
    pass_rate_a: float | None
    pass_rate_b: float | None
    threshold: float | None
    figures_changed: bool
    operation_id_a: str | None
    operation_id_b: str | None
    error_b: str | None


class OperationChange(_Record):
    """One operation of job A and/or job B, paired by `key` (project/pipeline or operation id);
    `title` is readable (`project · pipeline`); `error_b` is B's error message."""

    change: OperationChangeKind
    key: str
    title: str
    operation_id_a: str | None
    operation_id_b: str | None
    status_a: str | None
    status_b: str | None
    failure_kind_a: str | None
    failure_kind_b: str | None
    error_b: str | None


class JobComparison(_Record):
    """Job A (the earlier or reference run) against job B. `check_counts` / `operation_counts`
    map every change kind to how many records have it (zeros included)."""

    job_a: JobRef
    job_b: JobRef
    check_counts: dict[str, int]
    operation_counts: dict[str, int]
    checks: list[CheckChange]
    operations: list[OperationChange]


def _ph(n: int) -> str:
    return ", ".join("?" * n)


def job_ref(cur, job_id: str) -> JobRef | None:
    """The job's reference record, or None when it does not exist."""
    rows = cur.execute(
        "SELECT job_id, name, job_type, status, created_at, finished_at FROM jobs WHERE job_id = ?",
        [job_id],
    ).fetchall()
    if not rows:
        return None
    jid, name, jt, status, created, finished = rows[0]
    return JobRef(
        job_id=jid,
        name=name,
        job_type=jt,
        status=status,
        created_at=from_db(created),
        finished_at=from_db(finished),
    )


# The operation's pairing key: what it runs. One expression, used for checks, operations and
# the previous-run search alike.
_OP_KEY = """CASE WHEN kind = 'pipeline_execution'
    THEN coalesce(json_extract_string(spec, '$.project_id'), '') || '/'
         || coalesce(json_extract_string(spec, '$.pipeline_id'), operation_id)
    ELSE operation_id END"""

_CHECKS_SQL = f"""
WITH ops AS (
    SELECT job_id, operation_id, seq, attempts, {_OP_KEY} AS op_key
    FROM operations WHERE job_id IN (?, ?)
),
current AS (  -- the operation's latest attempt only: a retry's earlier attempts are history
    SELECT c.*, o.op_key, o.seq
    FROM {ROLLED_CHECK_RESULTS} c JOIN ops o USING (job_id, operation_id)
    WHERE c.job_id IN (?, ?) AND c.attempt = o.attempts
),
latest AS (  -- numbered after the attempt filter, so a retried check is still occurrence 1
    SELECT *,
           row_number() OVER (PARTITION BY job_id, op_key, check_name
                              ORDER BY seq, check_index) AS occurrence
    FROM current
),
a AS (SELECT * FROM latest WHERE job_id = ?),
b AS (SELECT * FROM latest WHERE job_id = ?),
b_keys AS (SELECT DISTINCT op_key FROM b)
SELECT coalesce(b.project_id, a.project_id), coalesce(b.pipeline_id, a.pipeline_id),
       coalesce(b.check_name, a.check_name), coalesce(b.check_type, a.check_type),
       coalesce(b.table_name, a.table_name), coalesce(b.severity, a.severity),
       a.status, b.status, a.passed, b.passed,
       a.failed_rows, b.failed_rows, a.total_rows, b.total_rows, a.pass_rate, b.pass_rate,
       coalesce(b.threshold, a.threshold), a.operation_id, b.operation_id, b.error,
       a.op_key IN (SELECT op_key FROM b_keys) AS b_ran_pipeline,
       coalesce(b.op_key, a.op_key), coalesce(b.check_index, a.check_index)
FROM a FULL OUTER JOIN b
  ON a.op_key = b.op_key AND a.check_name = b.check_name AND a.occurrence = b.occurrence
"""


def _check_change(a_passed, b_passed, a_status, b_status, b_ran: bool) -> str:
    if a_status is None:
        return "new"
    if b_status is None:
        return "removed" if b_ran else "not_run"
    if a_passed and b_passed:
        return "passing"
    if a_passed:
        return "newly_failing"
    return "fixed" if b_passed else "still_failing"


def check_changes(cur, job_a: str, job_b: str) -> list[CheckChange]:
    """Every check of job A and job B, paired, with its change; sorted by CHECK_CHANGE_ORDER,
    then (newly and still failing) by failed-rows increase, largest first, then pipeline and
    position."""
    rows = cur.execute(_CHECKS_SQL, [job_a, job_b, job_a, job_b, job_a, job_b]).fetchall()
    out: list[tuple[tuple, CheckChange]] = []
    for (
        project,
        pipeline,
        name,
        ctype,
        table,
        severity,
        st_a,
        st_b,
        ok_a,
        ok_b,
        fr_a,
        fr_b,
        tr_a,
        tr_b,
        pr_a,
        pr_b,
        threshold,
        op_a,
        op_b,
        err_b,
        b_ran,
        op_key,
        index,
    ) in rows:
        change = _check_change(ok_a, ok_b, st_a, st_b, bool(b_ran))
        delta = None if fr_a is None or fr_b is None else int(fr_b) - int(fr_a)
        changed = (
            st_a is not None and st_b is not None and (fr_a != fr_b or tr_a != tr_b or st_a != st_b)
        )
        rec = CheckChange(
            change=change,
            project_id=project,
            pipeline_id=pipeline,
            check_name=name,
            check_type=ctype,
            table_name=table,
            severity=severity,
            status_a=st_a,
            status_b=st_b,
            failed_rows_a=fr_a,
            failed_rows_b=fr_b,
            failed_rows_delta=delta,
            total_rows_a=tr_a,
            total_rows_b=tr_b,
            pass_rate_a=pr_a,
            pass_rate_b=pr_b,
            threshold=threshold,
            figures_changed=changed,
            operation_id_a=op_a,
            operation_id_b=op_b,
            error_b=err_b,
        )
        key = (
            CHECK_CHANGE_ORDER.index(change),
            -(delta or 0) if change in ("newly_failing", "still_failing") else 0,
            op_key,
            index,
        )
        out.append((key, rec))
    out.sort(key=lambda kr: kr[0])
    return [r for _, r in out]


def _operations(cur, job_id: str) -> dict[str, tuple]:
    rows = cur.execute(
        f"SELECT {_OP_KEY}, operation_id, kind, spec, status, failure_kind, error, seq "
        "FROM operations WHERE job_id = ? ORDER BY seq",
        [job_id],
    ).fetchall()
    out: dict[str, tuple] = {}
    for key, *rest in rows:
        k, n = key, 2
        while k in out:  # the same pipeline twice in one job: pair by order
            k, n = f"{key}#{n}", n + 1
        out[k] = tuple(rest)
    return out


def operation_changes(cur, job_a: str, job_b: str) -> list[OperationChange]:
    """Every operation of job A and job B paired by what it runs, with its change; sorted by
    OPERATION_CHANGE_ORDER, then B's (else A's) order."""
    ops_a, ops_b = _operations(cur, job_a), _operations(cur, job_b)
    out: list[tuple[tuple, OperationChange]] = []
    for key in list(ops_b) + [k for k in ops_a if k not in ops_b]:
        a, b = ops_a.get(key), ops_b.get(key)
        err_a = a is not None and a[4] == "error"
        err_b = b is not None and b[4] == "error"
        if a is None:
            change = "new"
        elif b is None:
            change = "not_in_b"
        elif err_b:
            change = "still_errored" if err_a else "newly_errored"
        else:
            change = "no_longer_errored" if err_a else "same"
        src = b or a
        assert src is not None
        op_id, kind, spec, _status, _fk, _err, seq = src
        rec = OperationChange(
            change=change,
            key=key,
            title=operation_title(kind, jsonutil.loads(spec) or {}, op_id),
            operation_id_a=None if a is None else a[0],
            operation_id_b=None if b is None else b[0],
            status_a=None if a is None else a[3],
            status_b=None if b is None else b[3],
            failure_kind_a=None if a is None else a[4],
            failure_kind_b=None if b is None else b[4],
            error_b=None if b is None else b[5],
        )
        out.append(((OPERATION_CHANGE_ORDER.index(change), b is None, seq), rec))
    out.sort(key=lambda kr: kr[0])
    return [r for _, r in out]


def compare(cur, job_a: str, job_b: str) -> JobComparison | None:
    """Job A against job B in one read snapshot; None when either job does not exist."""
    ref_a, ref_b = job_ref(cur, job_a), job_ref(cur, job_b)
    if ref_a is None or ref_b is None:
        return None
    checks = check_changes(cur, job_a, job_b)
    ops = operation_changes(cur, job_a, job_b)
    return JobComparison(
        job_a=ref_a,
        job_b=ref_b,
        check_counts={k: sum(1 for c in checks if c.change == k) for k in CHECK_CHANGE_ORDER},
        operation_counts={k: sum(1 for o in ops if o.change == k) for k in OPERATION_CHANGE_ORDER},
        checks=checks,
        operations=ops,
    )


def _key_sets(cur, job_ids: list[str]) -> dict[str, frozenset[str]]:
    rows = cur.execute(
        f"SELECT job_id, list(DISTINCT {_OP_KEY}) FROM operations "
        f"WHERE job_id IN ({_ph(len(job_ids))}) GROUP BY job_id",
        job_ids,
    ).fetchall()
    return {jid: frozenset(keys or ()) for jid, keys in rows}


def previous_job_id(cur, job_id: str) -> str | None:
    """The previous run of `job_id` (rule in the module docstring), or None when there is none
    (or the job does not exist). Reads earlier jobs newest first, PREVIOUS_PAGE at a time."""
    ref = cur.execute("SELECT created_at FROM jobs WHERE job_id = ?", [job_id]).fetchall()
    if not ref:
        return None
    created = ref[0][0]
    mine = _key_sets(cur, [job_id]).get(job_id, frozenset())
    if not mine:
        return None
    overlapping: str | None = None
    offset = 0
    while True:
        page = [
            r[0]
            for r in cur.execute(
                f"""SELECT job_id FROM jobs
                    WHERE (created_at < ? OR (created_at = ? AND job_id < ?))
                      AND status IN {TERMINAL_JOBS} AND started_at IS NOT NULL
                    ORDER BY created_at DESC, job_id DESC LIMIT ? OFFSET ?""",
                [created, created, job_id, PREVIOUS_PAGE, offset],
            ).fetchall()
        ]
        if not page:
            return overlapping
        sets = _key_sets(cur, page)
        for jid in page:
            keys = sets.get(jid, frozenset())
            if keys == mine:
                return jid
            if overlapping is None and keys & mine:
                overlapping = jid
        offset += PREVIOUS_PAGE
