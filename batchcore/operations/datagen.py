"""The `data_generation` operation: one star schema written into one target connection.

spec = `DataGenItem.model_dump(mode="json")`: schema_type (Retail | Finance | Healthcare),
row_count (main fact rows), seed (None → 42, recorded), target_connection (None → the
workspace connection `generated`), table_name (None → every table; else that table and the
tables it needs), defects (see batchcore.datagen.defects), replace_existing (replace tables of
the same names data generation did not write; refused without it: batchcore.datagen.ownership).

Result (JSON): schema_type, schema, target, target_type, seed, seed_defaulted, row_count,
tables [{table, rows, duration_ms, rows_per_s}], total_rows, duration_ms, rows_per_s and
defects {requested, injected, expected_failures} — the ground truth validation must find.
Raises ConfigError / NotFound (bad spec, unknown connection, a target the permission rule forbids,
tables it did not write: not retried), ConnectionFailed
(target unreachable: retried when the job allows), OperationCancelled.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from batchcore.connections import open_connection
from batchcore.datagen.generator import GenerationPlan, plan_generation, write_duckdb
from batchcore.datagen.loaders import table_name, write_external
from batchcore.datagen.ownership import (
    SHIPPED_TARGET,
    check_may_generate,
    foreign_tables,
    marks_sql,
)
from batchcore.errors import ConfigError
from batchcore.operations.base import OperationContext, OperationOutcome
from batchcore.workspace import ConnectionSpec

DEFAULT_TARGET = SHIPPED_TARGET


def refuse_foreign_tables(conn_spec: ConnectionSpec, plan: GenerationPlan) -> None:
    """Raise ConfigError (not retried) naming the tables the run would replace on the target that
    data generation did not write (batchcore.datagen.ownership), unless there are none."""
    dialect = conn_spec.type
    if dialect in ("duckdb", "sqlite"):
        path = conn_spec.resolve().path or ":memory:"
        if path != ":memory:" and not Path(path).exists():
            return  # a new file: nothing to replace
    in_schema = dialect in ("duckdb", "postgres")
    names = [t.name if in_schema else table_name(plan, t, dialect) for t in plan.tables]
    sql, params = marks_sql(dialect, plan.schema_name if in_schema else None)
    with open_connection(conn_spec, read_only=True) as conn:
        existing = {str(r[0]): r[1] for r in conn.query(sql, params)[1]}
    foreign = foreign_tables(existing, names)
    if foreign:
        where = f"schema {plan.schema_name!r} of " if in_schema else ""
        shown = ", ".join(foreign[:10]) + (
            f" and {len(foreign) - 10} more" if len(foreign) > 10 else ""
        )
        raise ConfigError(
            f"{where}connection {conn_spec.name!r} already holds {shown}, not written by data "
            "generation: set replace_existing: true to replace "
            f"{'them' if len(foreign) > 1 else 'it'}",
            field="replace_existing",
            value=foreign,
        )


def run(spec: dict, ctx: OperationContext) -> OperationOutcome:
    """Generate `spec`'s schema into its target; see the module doc for the spec and result."""
    plan = plan_generation(
        spec["schema_type"],
        spec.get("row_count", 10_000),
        spec.get("seed"),
        spec.get("table_name"),
        spec.get("defects"),
    )
    target = spec.get("target_connection") or DEFAULT_TARGET
    conn_spec = ctx.workspace.connection(target, field="target_connection")
    check_may_generate(conn_spec)  # readonly / allow_generate (ConfigError: not retried)
    if not spec.get("replace_existing"):
        refuse_foreign_tables(conn_spec, plan)
    ctx.progress(
        f"{plan.schema.schema_type}: {len(plan.tables)} tables into {target} (seed {plan.seed})",
        force=True,
    )
    t0 = time.perf_counter()
    try:
        if conn_spec.type == "duckdb":
            conn = open_connection(conn_spec)
            try:
                stats = write_duckdb(conn.cur, plan, ctx, target_key=f"duckdb:{conn.path}")
            finally:
                conn.close()
        else:
            stats = write_external(conn_spec, plan, ctx, staging_dir=ctx.staging_dir)
    except duckdb.InterruptException:
        ctx.check_cancelled()
        raise
    duration_ms = (time.perf_counter() - t0) * 1000.0
    total = sum(s.rows for s in stats)
    result = {
        "schema_type": plan.schema.schema_type,
        "schema": plan.schema_name,
        "target": target,
        "target_type": conn_spec.type,
        "seed": plan.seed,
        "seed_defaulted": plan.seed_defaulted,
        "row_count": plan.row_count,
        "table_name": spec.get("table_name"),
        "tables": [s.to_dict() for s in stats],
        "total_rows": total,
        "duration_ms": round(duration_ms, 1),
        "rows_per_s": round(total / (duration_ms / 1000.0)) if duration_ms > 0 else None,
        "defects": plan.ground_truth(),
    }
    injected = sum(d["count"] for d in result["defects"]["injected"])
    summary = (
        f"{plan.schema.schema_type}: {len(stats)} table{'s' if len(stats) != 1 else ''}, {total:,} rows in {duration_ms / 1000:.1f} s "
        f"({result['rows_per_s'] or 0:,} rows/s) into {target}"
        + (f", {injected:,} defects injected" if injected else "")
    )
    return OperationOutcome(success=True, summary=summary, result=result)
