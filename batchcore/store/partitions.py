"""Partitioned checks of a job rolled up per check (issue 14 §3): what Job Details shows for a
check split by `partition_by` into one operation per partition."""

from __future__ import annotations

from dataclasses import dataclass, field

from batchcore import jsonutil


@dataclass(frozen=True)
class PartitionRow:
    """One partition's result (the latest attempt of its operation). `predicate`: the SQL that
    selected its rows; `status`: the check's status (None while it has not run)."""

    index: int
    operation_id: str
    operation_status: str
    predicate: str | None
    status: str | None
    failed_rows: int | None
    total_rows: int | None


@dataclass(frozen=True)
class PartitionedCheck:
    """A check split into `count` partitions: totals over the partitions that ran, the worst
    partition (most failed rows; None when none failed) and every partition in order."""

    pipeline_id: str
    check_index: int
    check_name: str | None
    count: int
    failed_rows: int
    total_rows: int
    worst: PartitionRow | None
    partitions: list[PartitionRow] = field(default_factory=list)


def partitioned_checks(cur, job_id: str) -> list[PartitionedCheck]:
    """The job's partitioned checks, in operation order (empty when it has none)."""
    rows = cur.execute(
        """SELECT o.operation_id, o.status, o.spec, o.result, c.check_name, c.status,
                  c.failed_rows, c.total_rows
           FROM operations o
           LEFT JOIN check_results c
             ON c.job_id = o.job_id AND c.operation_id = o.operation_id AND c.attempt = o.attempts
           WHERE o.job_id = ? AND json_extract(o.spec, '$.partition') IS NOT NULL
           ORDER BY o.seq, c.check_index""",
        [job_id],
    ).fetchall()
    groups: dict[tuple[str, int], dict] = {}
    for op_id, op_status, spec, result, name, status, failed, total in rows:
        spec = jsonutil.loads(spec) if isinstance(spec, str) else spec
        result = jsonutil.loads(result) if isinstance(result, str) else (result or {})
        part = spec["partition"]
        g = groups.setdefault(
            (spec["pipeline_id"], part["check"]),
            {"name": None, "count": part["count"], "rows": []},
        )
        g["name"] = g["name"] or name
        g["rows"].append(
            PartitionRow(
                part["index"],
                op_id,
                op_status,
                ((result or {}).get("partition") or {}).get("predicate"),
                status,
                failed,
                total,
            )
        )
    out = []
    for (pipeline_id, check_index), g in groups.items():
        parts = sorted(g["rows"], key=lambda r: r.index)
        failing = [p for p in parts if p.failed_rows]
        out.append(
            PartitionedCheck(
                pipeline_id,
                check_index,
                g["name"],
                g["count"],
                sum(p.failed_rows or 0 for p in parts),
                sum(p.total_rows or 0 for p in parts),
                max(failing, key=lambda p: p.failed_rows) if failing else None,
                parts,
            )
        )
    return out


# Status order of a roll-up, worst first (the same order as history's period status:
# error > failed > warned > passed); the worst partition is the first by this rank, then by
# most failed rows.
STATUS_RANK_SQL = (
    "CASE {s} WHEN 'error' THEN 0 WHEN 'failed' THEN 1 WHEN 'warned' THEN 2 "
    "WHEN 'passed' THEN 3 ELSE 4 END"
)

# pass_rate from summed rows: the rule of batchcore.validation.checks.base.ratio in SQL
# (1 − failed ÷ total, 1.0 for an empty table or unknown failed rows, clamped to [0, 1]).
PASS_RATE_SQL = (
    "CASE WHEN {t} IS NULL OR {t} = 0 OR {f} IS NULL THEN 1.0 "
    "ELSE greatest(0.0, least(1.0, 1.0 - {f} / {t})) END"
)

_ROLL = "PARTITION BY c.job_id, c.project_id, c.pipeline_id, c.check_name"

# `check_results` with the partitions of a partitioned check rolled up: within one job, the
# results of one check key (project_id, pipeline_id, check_name) of the latest attempt of each
# partition operation become ONE row — failed_rows, total_rows, non_null_rows, duplicate_keys
# and duration_ms summed (duration: the work of all partitions, not wall time), status the
# worst, passed only when every partition passed, pass_rate recomputed from the sums, created_at
# the last partition's; every other column (operation_id, attempt, observed, sample, sql, error,
# details …) from the worst partition. Rows of unpartitioned operations pass through unchanged
# (every attempt). Same columns as check_results; use as `FROM {ROLLED_CHECK_RESULTS} c`.
ROLLED_CHECK_RESULTS = f"""(
    SELECT * FROM check_results c
    WHERE NOT EXISTS (
        SELECT 1 FROM operations o WHERE o.job_id = c.job_id AND o.operation_id = c.operation_id
          AND json_extract(o.spec, '$.partition') IS NOT NULL)
    UNION ALL BY NAME
    SELECT * EXCLUDE (_rn, _failed, _total, _non_null, _dup, _dur, _passed, _created)
             REPLACE (_failed AS failed_rows, _total AS total_rows, _non_null AS non_null_rows,
                      _dup AS duplicate_keys, _dur AS duration_ms, _passed AS passed,
                      _created AS created_at,
                      {PASS_RATE_SQL.format(t="_total", f="_failed")} AS pass_rate)
    FROM (
        SELECT c.*,
               row_number() OVER ({_ROLL} ORDER BY {STATUS_RANK_SQL.format(s="c.status")},
                   c.failed_rows DESC NULLS LAST, o.seq, c.check_index) AS _rn,
               sum(c.failed_rows) OVER ({_ROLL}) AS _failed,
               sum(c.total_rows) OVER ({_ROLL}) AS _total,
               sum(c.non_null_rows) OVER ({_ROLL}) AS _non_null,
               sum(c.duplicate_keys) OVER ({_ROLL}) AS _dup,
               sum(c.duration_ms) OVER ({_ROLL}) AS _dur,
               bool_and(c.passed) OVER ({_ROLL}) AS _passed,
               max(c.created_at) OVER ({_ROLL}) AS _created
        FROM check_results c JOIN operations o
          ON o.job_id = c.job_id AND o.operation_id = c.operation_id AND c.attempt = o.attempts
        WHERE json_extract(o.spec, '$.partition') IS NOT NULL
    ) WHERE _rn = 1
)"""
