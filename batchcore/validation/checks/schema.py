"""`schema`: the target table has the expected columns (and types, and optionally order).

YAML:
```yaml
- type: schema
  table: flights
  columns: [year, month, {name: dep_time, type: integer}, {name: time_hour, type: timestamp}]
  strict_order: false      # true: the listed columns appear in this order
  allow_extra: true        # false: columns not listed are failures
```
A `type` is a family (integer, decimal, float, string, boolean, date, timestamp, timestamptz,
time, binary, interval, json) or a database type name (BIGINT, VARCHAR(20)), compared by family.
Units: columns. `total_rows` = expected columns (plus the unexpected ones when
`allow_extra: false`), `failed_rows` = those columns with a problem (missing, other type family,
out of order, unexpected); pass rate = 1 − failed ÷ total. Passes when there is no problem; an
empty table is checked like any other.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from batchcore.dialects import Dialect
from batchcore.dialects.types import FAMILIES
from batchcore.validation.checks.base import (
    ColumnName,
    Outcome,
    QueryCheck,
    RunContext,
    TableCheckSpec,
    out_of_place,
    problems_outcome,
)


class ExpectedColumn(BaseModel):
    """One expected column: `name` and an optional `type`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ColumnName
    type: Annotated[StrictStr, Field(min_length=1)] | None = None


class SchemaSpec(TableCheckSpec):
    """Keys: table, columns (names or {name, type}), strict_order, allow_extra."""

    unit: ClassVar[str] = "columns"
    columns: Annotated[list[ColumnName | ExpectedColumn], Field(min_length=1)]
    strict_order: bool = False
    allow_extra: bool = True


def expected_family(dialect: Dialect, type_text: str) -> str:
    """The family an expected `type` names: a family itself, or a type name of `dialect`."""
    t = type_text.strip().lower()
    return t if t in FAMILIES else dialect.type_family(type_text)


class SchemaCheck(QueryCheck):
    def __init__(self, spec: SchemaSpec):
        self.expected = [
            c if isinstance(c, ExpectedColumn) else ExpectedColumn(name=c) for c in spec.columns
        ]
        super().__init__(
            spec,
            table=spec.table,
            columns=[c.name for c in self.expected],
            label=f"schema({spec.table})",
        )

    def referenced_columns(self):
        return []  # missing columns are this check's findings, not a pre-flight error

    def sql_preview(self, ctx: RunContext) -> str:
        return f"-- catalog: columns of {self.table} ({ctx.target.dialect.name})"

    def run(self, ctx: RunContext) -> Outcome:
        actual = ctx.columns("target", self.table)
        by_name = {c.name: c for c in actual}
        problems: list[str] = []
        bad: set[str] = set()
        for e in self.expected:
            col = by_name.get(e.name)
            if col is None:
                problems.append(f"missing column {e.name!r}")
                bad.add(e.name)
            elif e.type is not None:
                want = expected_family(ctx.target.dialect, e.type)
                if want != col.family:
                    problems.append(
                        f"column {e.name!r} is {col.type} ({col.family}), expected {e.type} ({want})"
                    )
                    bad.add(e.name)
        if self.spec.strict_order:
            present = [e.name for e in self.expected if e.name in by_name]
            order = [c.name for c in actual if c.name in set(present)]
            if order != present:
                problems.append(f"column order is {order}, expected {present}")
                bad.update(out_of_place(order, present))
        total = len(self.expected)
        if not self.spec.allow_extra:
            listed = {e.name for e in self.expected}
            extra = [c for c in actual if c.name not in listed]
            problems += [f"unexpected column {c.name!r} ({c.type})" for c in extra]
            bad.update(c.name for c in extra)
            total += len(extra)
        columns = [{"name": c.name, "type": c.type, "family": c.family} for c in actual]
        return problems_outcome(
            total, len(bad), problems, sql=self.sql_preview(ctx), observed={"columns": columns}
        )


def plans(spec: SchemaSpec) -> list[SchemaCheck]:
    return [SchemaCheck(spec)]
