"""Plan a generation, compile each table to one SELECT (defects included) and write it into DuckDB.

A DuckDB target receives every table of the run in ONE transaction
(`CREATE OR REPLACE TABLE <schema>.<table> AS SELECT ...`), so readers see either the previous
tables or the new ones, never a mix; a failure or a cancel rolls back to the previous tables.
Two runs writing the same schema of the same file in this process take turns (a lock per file
and schema); runs for different schemas proceed in parallel.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from batchcore.datagen.defects import DefectSpec, TablePlan, ground_truth, plan_defects
from batchcore.datagen.ownership import mark_text
from batchcore.datagen.schemas import get_schema
from batchcore.datagen.spec import StarSchema, Table, quote, render_rows
from batchcore.dialects import DIALECTS
from batchcore.errors import ConfigError, validation_error

DEFAULT_SEED = 42  # used when a request gives no seed; recorded in the result


class Hooks(Protocol):
    """What the generator needs from its caller (an OperationContext satisfies it)."""

    def progress(self, message: str, *, force: bool = False) -> None:
        """Report what the run is doing now."""

    def check_cancelled(self) -> None:
        """Raise when a stop was requested."""

    def interruptible(self, hook: Callable[[], None]) -> Any:
        """Context manager calling `hook` if a stop is requested inside it."""


class NullHooks:
    """Hooks that do nothing (benchmarks, tests, scripts)."""

    def progress(self, message: str, *, force: bool = False) -> None:
        """Ignore the message."""

    def check_cancelled(self) -> None:
        """Never cancelled."""

    @contextmanager
    def interruptible(self, hook: Callable[[], None]) -> Iterator[None]:
        """Run the block; `hook` is never called."""
        yield


@dataclass
class GenerationPlan:
    """One run: the schema, sizes, seed, the tables to write (dependency order) and defects."""

    schema: StarSchema
    row_count: int
    seed: int
    seed_defaulted: bool
    tables: list[Table]
    all_tables: dict[str, Table]
    defects: dict[str, TablePlan] = field(default_factory=dict)
    requested_defects: dict[str, Any] | None = None

    @property
    def schema_name(self) -> str:
        """The target schema: `retail`, `finance` or `healthcare`."""
        return self.schema.schema

    def ground_truth(self) -> dict[str, Any]:
        """{"requested", "injected", "expected_failures"} (see defects.ground_truth)."""
        return {
            "requested": self.requested_defects or {},
            **ground_truth(self.schema_name, self.all_tables, self.defects),
        }


def select_tables(schema: StarSchema, tables: list[Table], table_name: str | None) -> list[Table]:
    """`tables` restricted to `table_name` and the tables it depends on (all when None).

    Accepts `table` or `<schema>.table`, case-insensitively. Raises ConfigError listing the tables.
    """
    if table_name is None:
        return tables
    by_name = {t.name: t for t in tables}
    want = table_name.strip()
    if want.lower().startswith(schema.schema + "."):
        want = want[len(schema.schema) + 1 :]
    match = next((n for n in by_name if n.lower() == want.lower()), None)
    if match is None:
        raise ConfigError(
            f"table_name {table_name!r} is not a table of the {schema.schema_type} schema "
            f"(tables: {list(by_name)})",
            field="table_name",
            value=table_name,
        )
    needed: set[str] = set()
    stack = [match]
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(by_name[name].depends_on)
    return [t for t in tables if t.name in needed]


def plan_generation(
    schema_type: str,
    row_count: int,
    seed: int | None = None,
    table_name: str | None = None,
    defects: DefectSpec | dict[str, Any] | None = None,
) -> GenerationPlan:
    """Build the tables of a run. `table_name` limits the run to that table and the tables it
    needs (the dimensions it references and, for returns and claims, their parent fact).

    Raises ConfigError naming `schema_type`, `row_count`, `table_name` or `defects.<...>`.
    """
    schema = get_schema(schema_type)
    if (
        not isinstance(row_count, int)
        or isinstance(row_count, bool)
        or not 1 <= row_count <= 200_000_000
    ):
        raise ConfigError(
            f"row_count {row_count!r} must be a whole number 1..200,000,000",
            field="row_count",
            value=row_count,
        )
    used_seed = DEFAULT_SEED if seed is None else seed
    tables = schema.tables(row_count, used_seed)
    selected = select_tables(schema, tables, table_name)
    all_tables = {t.name: t for t in tables}
    spec = None
    if defects:
        try:
            spec = (
                defects if isinstance(defects, DefectSpec) else DefectSpec.model_validate(defects)
            )
        except ValidationError as exc:
            raise validation_error(exc, ConfigError, prefix="defects.") from None
    try:
        plans = plan_defects(schema.schema, all_tables, spec, used_seed)
    except ValueError as exc:
        raise ConfigError(str(exc), field="defects") from None
    skipped = sorted(set(plans) - {t.name for t in selected})
    if skipped:
        raise ConfigError(
            f"defects for {skipped} but table_name={table_name!r} does not generate them",
            field="defects",
            value=skipped,
        )
    requested = spec.model_dump(mode="json", exclude_defaults=True) if spec else None
    return GenerationPlan(
        schema, row_count, used_seed, seed is None, selected, all_tables, plans, requested
    )


def _orphan_start(column_ref: str, tables: dict[str, Table]) -> int:
    ref_table, ref_col = column_ref.split(".")
    t = tables[ref_table]
    return t.column(ref_col).orphan_start or t.rows + 1


def compile_select(table: Table, plan: TablePlan | None, tables: dict[str, Table]) -> str:
    """One SELECT producing the table's written columns, defects injected as planned."""
    idx = table.index
    if table.base_sql is not None:
        rows = table.base_sql
        if plan is not None and plan.duplicates is not None:
            d = plan.duplicates
            rows = (
                f"WITH _base AS MATERIALIZED ({rows}) SELECT * FROM _base UNION ALL SELECT * FROM _base "
                f"WHERE {plan.position_sql('_i')} BETWEEN {d.lo} AND {d.hi}"
            )
    else:
        index = f"SELECT range AS {idx} FROM range({table.rows})"
        if plan is not None and plan.duplicates is not None:
            d = plan.duplicates
            index += (
                f" UNION ALL SELECT {plan.index_of_sql('_pos')} AS {idx} "
                f"FROM (SELECT range AS _pos FROM range({d.lo}, {d.hi + 1})) AS _d"
            )
        rows = render_rows(table, index)
    if plan is None:
        return f"SELECT {', '.join(quote(c.name) for c in table.columns)} FROM ({rows}) AS _rows"
    exprs = []
    for c in table.columns:
        e = quote(c.name)
        for s in plan.slots_for(c.name):
            if s.kind == "nulls":
                value = "NULL"
            elif s.kind == "orphan_fks":
                value = f"{_orphan_start(c.references, tables)} + (_p - {s.lo})"
            else:
                value = repr(c.valid[1] + 1)
            e = f"CASE WHEN _p BETWEEN {s.lo} AND {s.hi} THEN CAST({value} AS {c.type}) ELSE {e} END"
        exprs.append(f"{e} AS {quote(c.name)}")
    return (
        f"SELECT {', '.join(exprs)} FROM (SELECT *, {plan.position_sql(idx)} AS _p "
        f"FROM ({rows}) AS _rows) AS _rows_p"
    )


@dataclass
class TableStat:
    """How one table was written: qualified name, rows, duration (ms) and rows per second."""

    table: str
    rows: int
    duration_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "duration_ms": round(self.duration_ms, 1),
            "rows_per_s": round(self.rows / (self.duration_ms / 1000.0))
            if self.duration_ms > 0
            else None,
        }


_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@contextmanager
def schema_lock(target: str, schema: str) -> Iterator[None]:
    """Serialise runs writing the same schema of the same target within this process."""
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault((target, schema), threading.Lock())
    with lock:
        yield


def write_duckdb(
    cur, plan: GenerationPlan, hooks: Hooks | None = None, *, target_key: str = ""
) -> list[TableStat]:
    """Write the plan's tables into `<schema>.<table>` of the DuckDB cursor, in one transaction,
    each with the generated-table mark as its comment (batchcore.datagen.ownership).

    Reports "<schema>.<table>: <rows> rows (k/N)" through `hooks.progress` after each table and
    checks for cancellation between tables; long statements are interrupted through
    `hooks.interruptible(cur.interrupt)`. Returns one TableStat per table. On any error the
    transaction is rolled back and the error re-raised (duckdb.Error, OperationCancelled...).
    """
    hooks = hooks or NullHooks()
    schema = quote(plan.schema_name)
    stats: list[TableStat] = []
    with schema_lock(target_key or str(id(cur)), plan.schema_name):
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for k, t in enumerate(plan.tables, 1):
                hooks.check_cancelled()
                qualified = f"{plan.schema_name}.{t.name}"
                hooks.progress(
                    f"writing {qualified} ({k}/{len(plan.tables)}, {t.rows:,} rows)", force=True
                )
                sql = compile_select(t, plan.defects.get(t.name), plan.all_tables)
                t0 = time.perf_counter()
                with hooks.interruptible(cur.interrupt):
                    cur.execute(f"CREATE OR REPLACE TABLE {schema}.{quote(t.name)} AS {sql}")
                cur.execute(
                    DIALECTS["duckdb"].table_comment_sql(
                        f"{schema}.{quote(t.name)}", mark_text(plan.schema.schema_type, plan.seed)
                    )
                )
                dur = (time.perf_counter() - t0) * 1000.0
                rows = cur.execute(f"SELECT count(*) FROM {schema}.{quote(t.name)}").fetchall()[0][
                    0
                ]
                stats.append(TableStat(qualified, int(rows), dur))
            hooks.check_cancelled()
            hooks.progress(f"committing {len(stats)} tables of {plan.schema_name}", force=True)
            cur.execute("COMMIT")
        except BaseException:
            try:
                cur.execute("ROLLBACK")
            except Exception:
                pass
            raise
    return stats


def table_checksum(cur, qualified: str) -> tuple[int, int]:
    """(rows, order-independent checksum) of a DuckDB table: the sum of each row's hash modulo 2**64."""
    schema, table = qualified.split(".", 1)
    rows, total = cur.execute(
        f"SELECT count(*), coalesce(sum(hash(t)), 0) % 18446744073709551616 FROM {quote(schema)}.{quote(table)} AS t"
    ).fetchall()[0]
    return int(rows), int(total)
