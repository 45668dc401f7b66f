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
