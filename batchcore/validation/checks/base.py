"""What every check kind shares: the YAML model base and the three ways a check runs.

A check kind (one module in this package) declares a frozen pydantic model (its YAML keys,
`extra="forbid"`) and a `plans(spec) -> list[Check]` function: one `Check` per result row (a
`not_null` on four columns gives four). A `Check` is one of:

- `ScanCheck`: contributes aggregate expressions to the ONE scan of its (table, where) group
  (runner.py builds it) and turns the answered values into an `Outcome`; `ValueScanCheck` is
  the scan check that tests each non-NULL value of one column (accepted_values, between, regex);
- `QueryCheck`: runs its own queries on the target (relationships, freshness, schema, sql);
- `CompareCheck`: runs on both source and target (row_count_match, column_aggregates_match,
  schema_match, row_diff).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from batchcore.connections import DbConnection
from batchcore.validation.anomaly import AnomalySpec
from batchcore.validation.catalog import ColumnInfo, describe_table
from batchcore.validation.compare import common_family
from batchcore.validation.partition import PartitionBy
from batchcore.validation.sqlguard import safe_where

ColumnName = Annotated[StrictStr, Field(min_length=1, max_length=256)]
Scalar = StrictStr | int | float | bool


class CheckSpec(BaseModel):
    """Keys every check accepts (DESIGN §7): `type`, optional `name`, `severity`, `threshold`,
    `where`, and `anomaly` (a learned alert band, batchcore.validation.anomaly).

    `unit` is what the check's `failed_rows` and `total_rows` count (`rows` unless the kind
    overrides it: `columns` for schema checks, `metrics` for column_aggregates_match); the UI,
    the CLI and the summaries label the counts with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    unit: ClassVar[str] = "rows"

    type: str
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)] | None = None
    description: StrictStr | None = None
    severity: Literal["error", "warn"] = "error"
    threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    where: Annotated[StrictStr, Field(min_length=1)] | None = None
    anomaly: AnomalySpec | None = None
    # split the check into partitions, one operation each (batchcore.validation.partition)
    partition_by: PartitionBy | None = None

    @model_validator(mode="after")
    def _partition_needs_a_table(self):
        if self.partition_by is not None and not getattr(self, "table", None):
            raise ValueError(f"partition_by: a {self.type} check has no table to split")
        if self.partition_by is not None and (
            self.anomaly is not None or self.type == "metric_anomaly"
        ):
            # a band would learn from every partition's value mixed together (docs/checks.md)
            what = "a metric_anomaly check" if self.type == "metric_anomaly" else "anomaly:"
            raise ValueError(
                f"partition_by: check {self.name or self.type!r} cannot combine {what} with "
                "partition_by (the band would learn from all partitions mixed); remove one of them"
            )
        return self

    @property
    def band_spec(self) -> AnomalySpec | None:
        """The learned band this check is judged by as well (`anomaly:`), or None."""
        return self.anomaly


class TableCheckSpec(CheckSpec):
    """A check on one table of the target connection."""

    table: Annotated[StrictStr, Field(min_length=1, max_length=256)]


class ColumnsCheckSpec(TableCheckSpec):
    """A check on one or more columns: `columns: [a, b]`, or `column: a` as a shorthand."""

    column: ColumnName | None = None
    columns: Annotated[list[ColumnName], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_of(self):
        if (self.column is None) == (self.columns is None):
            raise ValueError("give exactly one of 'column' or 'columns'")
        return self

    @property
    def column_list(self) -> list[str]:
        return list(self.columns) if self.columns is not None else [self.column]


class ColumnCheckSpec(TableCheckSpec):
    """A check on exactly one column."""

    column: ColumnName


@dataclass
class Outcome:
    """What a check measured. `passed=None` means "decide by pass_rate >= threshold".

    Units: the check spec's `unit` (rows, except schema checks: columns, and
    column_aggregates_match: metrics).
    """

    total_rows: int | None = None
    failed_rows: int | None = None
    non_null_rows: int | None = None
    duplicate_keys: int | None = None
    observed: dict[str, Any] = field(default_factory=dict)
    sample: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    sql: str | None = None
    passed: bool | None = None
    uses_threshold: bool = True
    pass_rate: float | None = None


class RunContext:
    """Connections and caches of one pipeline run, given to every check.

    `query(side, sql)` runs a statement on "target" or "source" through `runner`, which wraps it
    in the operation's interrupt hook; `columns(side, table)` caches `describe_table`.
    """

    def __init__(
        self,
        target: DbConnection | None,
        source: DbConnection | None,
        *,
        sample_size: int,
        runner: Callable[[DbConnection, str], tuple[list[str], list[tuple]]] | None = None,
    ):
        self.target = target
        self.source = source
        self.sample_size = sample_size
        self._runner = runner or (lambda conn, sql, call=None: call() if call else conn.query(sql))
        self._columns: dict[tuple[str, str], list[ColumnInfo]] = {}

    def conn(self, side: str) -> DbConnection:
        c = self.target if side == "target" else self.source
        if c is None:
            raise ValueError(
                f"this check needs a {side} connection: set '{side}' in the pipeline or project.yaml"
            )
        return c

    def query(self, side: str, sql: str) -> tuple[list[str], list[tuple]]:
        return self._runner(self.conn(side), sql)

    def query_arrow(self, side: str, sql: str):
        """Run a SELECT on `side` and answer a pyarrow Table with columns c0, c1, ..."""
        conn = self.conn(side)
        box: list = []
        self._runner(conn, sql, lambda: box.append(conn.query_arrow(sql)))
        return box[0]

    def columns(self, side: str, table: str) -> list[ColumnInfo]:
        key = (side, table)
        if key not in self._columns:
            self._columns[key] = describe_table(self.conn(side), table)
        return self._columns[key]

    def column(self, side: str, table: str, name: str) -> ColumnInfo:
        """The column `name` of `table`. Raises ValueError naming close matches."""
        cols = self.columns(side, table)
        for c in cols:
            if c.name == name:
                return c
        raise ValueError(missing_column_message(name, table, [c.name for c in cols]))

    def sample(self, side: str, sql: str) -> dict[str, Any] | None:
        """Run a sample query (already limited) → {"columns": [...], "rows": [[...]]}, or None if size 0."""
        if self.sample_size <= 0:
            return None
        from batchcore.jsonutil import to_jsonable

        cols, rows = self.query(side, sql)
        return {
            "columns": list(cols),
            "rows": to_jsonable([list(r) for r in rows[: self.sample_size]]),
        }


def missing_column_message(name: str, table: str, known: list[str]) -> str:
    """`column 'X' not in table T (columns: ...)`, with a did-you-mean for a case-only difference."""
    close = [k for k in known if k.lower() == name.lower()]
    hint = f"; did you mean {close[0]!r}? (names are case-sensitive)" if close else ""
    shown = ", ".join(known[:30]) + (" ..." if len(known) > 30 else "")
    return f"column {name!r} not in table {table!r}{hint} (columns: {shown})"


class Check:
    """One result row to produce. Subclasses set `type`, `table`, `columns`, `where`."""

    kind = "query"

    def __init__(self, spec: CheckSpec, *, table: str | None, columns: list[str], label: str):
        self.spec = spec
        self.type = spec.type
        self.table = table
        self.columns = columns
        self.where = spec.where
        self.name = spec.name or label
        self.severity = spec.severity

    def referenced_columns(self) -> list[tuple[str, str, str]]:
        """(side, table, column) triples that must exist before the check runs (lint, pre-flight)."""
        return [("target", self.table, c) for c in self.columns] if self.table else []

    def where_sql(self, conn: DbConnection, extra: str | None = None) -> str:
        """` WHERE (<where>) AND (<extra>)` for `conn` (empty when neither is set). The pipeline's
        `where` passes the SQL gate for conn's dialect first (raises SqlRefused)."""
        parts = [f"({safe_where(self.where, conn.dialect.name)})"] if self.where else []
        if extra:
            parts.append(f"({extra})")
        return f" WHERE {' AND '.join(parts)}" if parts else ""


class ScanCheck(Check, ABC):
    """A check answered by aggregate expressions inside the shared scan of its table."""

    kind = "scan"
    families: dict[str, str]

    def prepare(self, ctx: RunContext) -> None:
        """Look up the checked columns before the scan is compiled (raises ValueError when one is
        missing, so the check becomes an `error` result and the others still run)."""
        ctx.columns("target", self.table)  # a missing table is named as such, not as an SQL error
        self.families = {c: ctx.column("target", self.table, c).family for c in self.columns}

    def col(self, conn: DbConnection, name: str) -> str:
        """The quoted column, compared byte-exactly: MySQL text columns get `BINARY` so results
        never depend on a case- or pad-insensitive collation."""
        family = getattr(self, "families", {}).get(name, "")
        return conn.dialect.column_for(conn.dialect.quote(name), family)

    def aggregates(self, conn: DbConnection) -> list[str]:
        """SQL aggregate expressions over the table's rows (aliased by the compiler)."""
        return []

    def failing_filter(self, conn: DbConnection) -> str | None:
        """Predicate selecting failing rows (for samples), or None when rows cannot fail."""
        return None

    @abstractmethod
    def evaluate(self, total: int, values: list[Any], ctx: RunContext) -> Outcome:
        """Turn the scan's `total` and this check's aggregate values into an Outcome."""

    def standalone_sql(self, conn: DbConnection) -> str:
        """The query that answers this check alone (shown in results and `--dry-run`)."""
        aggs = self.aggregates(conn)
        names = ["total_rows", *(f"m{i}" for i in range(len(aggs)))]
        exprs = ["count(*)", *aggs]
        select = ", ".join(
            f"{e} AS {conn.dialect.quote(n)}" for e, n in zip(exprs, names, strict=True)
        )
        return f"SELECT {select} FROM {conn.table_ref(self.table)}{self.where_sql(conn)}"

    def sample_sql(self, conn: DbConnection, limit: int) -> str | None:
        pred = self.failing_filter(conn)
        if pred is None:
            return None
        return conn.dialect.limit(
            f"SELECT * FROM {conn.table_ref(self.table)}{self.where_sql(conn, pred)}", limit
        )


class ValueScanCheck(ScanCheck):
    """A scan check of one column's non-NULL values, each of which passes or fails `bad()`.

    Aggregates: count(column), the failing rows, then `extra_aggregates`. The failing rows are
    the sample; the Outcome has every row as denominator and `non_null_rows` beside it, and
    `observed(extra values)` as `observed`. The result is named `<type>(<table>.<column>)`.
    """

    def __init__(self, spec: ColumnCheckSpec):
        super().__init__(
            spec,
            table=spec.table,
            columns=[spec.column],
            label=f"{spec.type}({spec.table}.{spec.column})",
        )

    @abstractmethod
    def bad(self, conn: DbConnection) -> str:
        """Predicate TRUE for a failing row (NULL or FALSE for a NULL value: NULLs never fail)."""

    def extra_aggregates(self, conn: DbConnection) -> list[str]:
        """Aggregates after the two counts, answered to `observed`."""
        return []

    @abstractmethod
    def observed(self, extra: list[Any]) -> dict[str, Any]:
        """The Outcome's `observed`, given the values of `extra_aggregates`."""

    def aggregates(self, conn: DbConnection) -> list[str]:
        return [
            f"count({conn.dialect.quote(self.spec.column)})",
            conn.dialect.count_if(self.bad(conn)),
            *self.extra_aggregates(conn),
        ]

    def failing_filter(self, conn: DbConnection) -> str:
        return self.bad(conn)

    def evaluate(self, total: int, values: list[Any], ctx: RunContext) -> Outcome:
        return Outcome(
            total_rows=total,
            non_null_rows=as_int(values[0]),
            failed_rows=as_int(values[1]),
            observed=self.observed(values[2:]),
        )


class QueryCheck(Check, ABC):
    """A check that runs its own queries on the target."""

    kind = "query"

    def sql_preview(self, ctx: RunContext) -> str:
        """The SQL the check would run (for `--dry-run`)."""
        return ""

    @abstractmethod
    def run(self, ctx: RunContext) -> Outcome:
        """Run the check's own queries and return its Outcome."""


class CompareCheck(QueryCheck):
    """A check that compares the source and the target connection."""

    kind = "compare"

    def __init__(
        self,
        spec: CheckSpec,
        *,
        table: str,
        source_table: str | None,
        columns: list[str],
        label: str,
    ):
        super().__init__(spec, table=table, columns=columns, label=label)
        self.source_table = source_table or table

    def referenced_columns(self) -> list[tuple[str, str, str]]:
        return [
            (side, t, c)
            for side, t in (("target", self.table), ("source", self.source_table))
            for c in self.columns
        ]

    def stored_families(
        self, ctx: RunContext, families: dict[str, tuple[str, str, str]]
    ) -> dict[str, tuple[str, str, str]]:
        """`families` ({column: (source family, target family, common family)}) corrected for
        what the values really are where a database may store another type than the declared
        one (`Dialect.stored_kinds`: SQLite's type affinity lets an INTEGER, NUMERIC or untyped
        column hold REAL 4.5 or TEXT '4.5'). For a column compared as numbers: some TEXT (or
        BLOB) → the side is read like a declared text column (numbers as written, anything
        else refused: `refuse_text_that_is_not_a_number`); else some REAL in an integer,
        decimal or untyped column → that side is a float column (4.5 is 4.5, never rounded to
        the other side's scale); an untyped column of integers only → integer. The common
        family follows (`common_family`; float when TEXT and REAL are mixed). One scan per
        such side; nothing runs for databases whose values have their declared type."""
        numeric = ("decimal", "float", "integer")
        probes: dict[str, dict[str, int]] = {}
        for side, own in (("source", 0), ("target", 1)):
            conn = ctx.conn(side)
            d = conn.dialect
            cols = [
                c
                for c, f in families.items()
                if f[2] in (*numeric, "binary")
                and f[own] in (*numeric, "binary")
                and d.stored_kinds(d.quote(c)) is not None
            ]
            if not cols:
                continue
            table = self.table if side == "target" else self.source_table
            sel = ", ".join(f"coalesce({d.stored_kinds(d.quote(c))}, 0)" for c in cols)
            row = ctx.query(
                side, f"SELECT {sel} FROM {conn.table_ref(table)}{self.where_sql(conn)}"
            )[1][0]
            probes[side] = {c: int(v or 0) for c, v in zip(cols, row, strict=True)}
        out = dict(families)
        for c, (s_fam, t_fam, common) in families.items():
            fams = [s_fam, t_fam]
            mixed = False
            for own, side in enumerate(("source", "target")):
                kinds = probes.get(side, {}).get(c)
                if kinds is None:
                    continue
                if kinds & 2:
                    fams[own] = "string"
                    mixed = mixed or bool(kinds & 1)
                elif kinds & 1 and fams[own] in ("integer", "decimal", "binary"):
                    fams[own] = "float"
                elif fams[own] == "binary":
                    fams[own] = "integer"
            if fams != [s_fam, t_fam]:
                new = common_family(fams[0], fams[1])
                if new == "string" and common in numeric:
                    new = "decimal" if common == "integer" else common  # both read from text
                out[c] = (fams[0], fams[1], "float" if mixed and new == "decimal" else new)
        return out

    def refuse_text_that_is_not_a_number(
        self, ctx: RunContext, families: dict[str, tuple[str, str, str]]
    ) -> None:
        """A text column compared with a number column (`families[c]` = (source family,
        target family, common family)) is read as numbers (Dialect.text_to_number): raise
        ValueError naming the column, the side and a value when it holds text that is not a
        number (MySQL and SQLite would read it as 0; the others fail with a cast error)."""
        numeric = ("decimal", "float", "integer")
        for c, (s_fam, t_fam, common) in families.items():
            for side, own in (("source", s_fam), ("target", t_fam)):
                if own != "string" or common not in numeric:
                    continue
                conn = ctx.conn(side)
                d = conn.dialect
                table = self.table if side == "target" else self.source_table
                sql = d.limit(
                    f"SELECT {d.quote(c)} FROM {conn.table_ref(table)}"
                    f"{self.where_sql(conn, d.not_number_text(d.quote(c)))}",
                    1,
                )
                rows = ctx.query(side, sql)[1]
                if rows:
                    raise ValueError(
                        f"column {c!r} of the {side} table {table!r} is compared with a number "
                        "column and holds text that is not a number: "
                        f"{str(rows[0][0])[:50]!r} "
                        "(numbers are written like -12.5, without spaces or exponent)"
                    )


def problems_outcome(
    total: int, failed: int, problems: list, *, sql: str, observed: dict[str, Any]
) -> Outcome:
    """No threshold: passed when `problems` is empty; `failed_rows` = `failed` columns with a
    problem of `total` columns, pass rate 1 − failed ÷ total; details lists the problems."""
    ok = not problems
    return Outcome(
        total_rows=total,
        failed_rows=failed,
        passed=ok,
        uses_threshold=False,
        pass_rate=ratio(failed, total),
        sql=sql,
        observed=observed,
        details={"problems": problems},
    )


def out_of_place(order: list[str], expected: list[str]) -> list[str]:
    """The names of `expected` not at their expected position in `order` (same names, other
    order): [a, b, c] read as [b, a, c] → [a, b]."""
    return [e for e, o in zip(expected, order, strict=True) if e != o]


def ratio(failed: int | None, total: int | None) -> float:
    """pass_rate = 1 − failed ÷ total, 1.0 for an empty table (DESIGN §7), clamped to [0, 1]."""
    if not total or failed is None:
        return 1.0
    return max(0.0, min(1.0, 1.0 - failed / total))


def as_int(v: Any) -> int:
    """An aggregate value (int, Decimal, float, None) as int; None → 0."""
    return 0 if v is None else int(v)
