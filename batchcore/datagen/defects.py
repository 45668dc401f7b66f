"""Defects to inject into generated tables: the request model, the row plan, the ground truth.

Request shape (`DataGenItem.defects`), per table (bare name or `schema.table`):

```json
{"fact_sales": {"nulls": {"customer_key": 100, "quantity": 0.001},
                "duplicate_keys": 50,
                "orphan_fks": {"product_key": 20},
                "out_of_range": {"quantity": 10}}}
```

An amount is a whole number (an exact count of rows) or a number with a fraction part strictly
between 0 and 1 (a rate of the table's rows, rounded half up to a whole row). Rules, checked
against the schema before anything runs:
- `nulls`: any written column except the primary key and columns that are NULL by design.
- `orphan_fks`: foreign-key columns; the value becomes a key that does not exist in the
  referenced table (its row count + 1, + 2, ...; for date keys 2030-01-01 onwards).
- `out_of_range`: columns with a declared valid range; the value becomes max + 1.
- `duplicate_keys`: extra rows that copy existing rows (so the key appears twice); the table
  grows by that many rows, each duplicated key occurs exactly twice.

Every defect lands on its own rows (no row carries two defects, duplicate sources are clean), so
each validation check sees exactly its own count: not_null = nulls, relationships = orphans,
between = out-of-range, unique = 2 x duplicates rows in `duplicate_keys` groups.
Rows are chosen by a permutation of the row index, p = (i * 2147483647 + b) mod n, b from the
seed and table name; defect kind k takes the rows whose p falls in its own slot range.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, ValidationInfo

from batchcore.datagen.sqlfn import PERMUTE_PRIME


def _amount(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"{value!r} is not an amount: give a whole number of rows or a rate between 0 and 1"
        )
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a count of rows cannot be negative (got {value})")
        return value
    if not 0 < value < 1:
        raise ValueError(
            f"a rate must be strictly between 0 and 1 (got {value}); give a whole number for an exact count"
        )
    return value


Amount = Annotated[int | float, BeforeValidator(_amount)]


class TableDefects(BaseModel):
    """Defects for one table: exact counts (int) or rates (0 < float < 1) per column / kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nulls: dict[str, Amount] = Field(default_factory=dict, description="column -> NULLs to inject")
    duplicate_keys: Amount | None = Field(
        None, description="extra rows repeating an existing primary key"
    )
    orphan_fks: dict[str, Amount] = Field(
        default_factory=dict, description="foreign-key column -> keys with no parent"
    )
    out_of_range: dict[str, Amount] = Field(
        default_factory=dict, description="ranged column -> values above its max"
    )


class DefectSpec(RootModel[dict[str, TableDefects]]):
    """`defects` of a generation item: table name -> TableDefects (see the module doc)."""

    model_config = ConfigDict(frozen=True)


def check_against_schema(spec: DefectSpec | None, info: ValidationInfo) -> DefectSpec | None:
    """Pydantic after-validator for `DataGenItem.defects`: tables, columns and counts must fit
    the item's `schema_type`, `row_count` and `table_name`. Raises ValueError naming the path."""
    if spec is None or not spec.root:
        return spec
    schema_type = info.data.get("schema_type")
    row_count = info.data.get("row_count")
    if schema_type is None or row_count is None:
        return spec  # their own errors are reported
    from batchcore.datagen.schemas import get_schema

    schema = get_schema(schema_type)
    tables = {t.name: t for t in schema.tables(row_count, 0)}
    plan_defects(schema.schema, tables, spec, seed=0)
    return spec


@dataclass(frozen=True)
class Slot:
    """One kind of defect on one column (or the key, for duplicates): rows with p in [lo, hi]."""

    kind: str
    column: str | None
    lo: int
    count: int

    @property
    def hi(self) -> int:
        """Last permuted position of the slot (inclusive)."""
        return self.lo + self.count - 1


@dataclass
class TablePlan:
    """Where the defects of one table go: its slots, the permutation and the ground truth."""

    table: str
    rows: int
    offset: int
    slots: list[Slot] = field(default_factory=list)

    @property
    def multiplier(self) -> int:
        """a in p = (i * a + b) mod n (the prime reduced mod n; coprime with n)."""
        return PERMUTE_PRIME % self.rows if self.rows else 0

    @property
    def inverse(self) -> int:
        """a**-1 mod n, to find the row index of a permuted position."""
        return pow(self.multiplier, -1, self.rows) if self.rows > 1 else 0

    def position_sql(self, index: str) -> str:
        """SQL for p of the row index expression `index`."""
        return f"(({index} * {self.multiplier} + {self.offset}) % {self.rows})"

    def index_of_sql(self, position: str) -> str:
        """SQL for the row index whose p is `position` (inverse permutation)."""
        return f"((({position} - {self.offset}) % {self.rows} + {self.rows}) % {self.rows} * {self.inverse}) % {self.rows}"

    def slots_for(self, column: str) -> list[Slot]:
        """The value-changing slots (nulls, orphans, out-of-range) of `column`."""
        return [s for s in self.slots if s.column == column and s.kind != "duplicate_keys"]

    @property
    def duplicates(self) -> Slot | None:
        """The duplicate-keys slot, if any."""
        return next((s for s in self.slots if s.kind == "duplicate_keys"), None)


def _count(amount: int | float, rows: int) -> int:
    return amount if isinstance(amount, int) else math.floor(amount * rows + 0.5)


def _table_name(name: str, schema: str, tables: dict[str, Any]) -> str:
    bare = name.split(".", 1)[1] if name.startswith(f"{schema}.") else name
    if bare not in tables:
        raise ValueError(
            f"defects: {name!r} is not a table of schema {schema} (tables: {sorted(tables)})"
        )
    return bare


def plan_defects(
    schema: str, tables: dict[str, Any], spec: DefectSpec | None, seed: int
) -> dict[str, TablePlan]:
    """Check `spec` against the tables and lay out each table's defect rows.

    `tables`: name -> spec.Table. Returns {table: TablePlan} for tables with at least one
    defect. Raises ValueError naming `defects.<table>.<kind>.<column>` and the allowed values.
    """
    plans: dict[str, TablePlan] = {}
    if spec is None:
        return plans
    for raw_name, td in spec.root.items():
        name = _table_name(raw_name, schema, tables)
        t = tables[name]
        where = f"defects.{raw_name}"
        cols = {c.name: c for c in t.columns}
        asks: list[tuple[str, str | None, int | float]] = []
        for col, amount in td.nulls.items():
            c = cols.get(col)
            allowed = [k for k, v in cols.items() if k not in t.primary_key and not v.nullable]
            if c is None or col in t.primary_key or c.nullable:
                why = (
                    "is NULL by design"
                    if c is not None and c.nullable
                    else (
                        "is the primary key (use duplicate_keys)"
                        if c is not None
                        else "does not exist"
                    )
                )
                raise ValueError(
                    f"{where}.nulls.{col}: column {col!r} of {schema}.{name} {why}; allowed: {allowed}"
                )
            asks.append(("nulls", col, amount))
        for col, amount in td.orphan_fks.items():
            allowed = [k for k, v in cols.items() if v.references]
            if col not in allowed:
                raise ValueError(
                    f"{where}.orphan_fks.{col}: {schema}.{name}.{col} is not a foreign key; allowed: {allowed}"
                )
            asks.append(("orphan_fks", col, amount))
        for col, amount in td.out_of_range.items():
            allowed = [k for k, v in cols.items() if v.valid is not None and k not in t.primary_key]
            if col not in allowed:
                raise ValueError(
                    f"{where}.out_of_range.{col}: {schema}.{name}.{col} has no declared range; allowed: {allowed}"
                )
            asks.append(("out_of_range", col, amount))
        if td.duplicate_keys is not None:
            asks.append(("duplicate_keys", None, td.duplicate_keys))
        plan = TablePlan(
            name, t.rows, (seed * 7919 + zlib.crc32(name.encode())) % t.rows if t.rows else 0
        )
        pos = 0
        for kind, col, amount in asks:
            n = _count(amount, t.rows)
            if n:
                plan.slots.append(Slot(kind, col, pos, n))
                pos += n
        if pos > t.rows:
            raise ValueError(
                f"{where}: {pos} defect rows asked for, but {schema}.{name} has only {t.rows} rows "
                "(each defect takes its own row)"
            )
        if plan.slots:
            plans[name] = plan
    return plans


def ground_truth(
    schema: str, tables: dict[str, Any], plans: dict[str, TablePlan]
) -> dict[str, Any]:
    """What was injected, and the failed_rows each validation check must report.

    Returns {"injected": [{table, kind, column(s), count, ...}], "expected_failures":
    [{check_type, table, columns, failed_rows[, duplicate_keys][, to, field][, min, max]}]}.
    Checks not listed expect 0 failed rows.
    """
    injected: list[dict[str, Any]] = []
    expected: list[dict[str, Any]] = []
    for name, plan in plans.items():
        t = tables[name]
        qname = f"{schema}.{name}"
        for s in plan.slots:
            if s.kind == "duplicate_keys":
                pk = list(t.primary_key)
                injected.append(
                    {
                        "table": qname,
                        "kind": s.kind,
                        "columns": pk,
                        "count": s.count,
                        "rows_added": s.count,
                    }
                )
                expected.append(
                    {
                        "check_type": "unique",
                        "table": qname,
                        "columns": pk,
                        "failed_rows": 2 * s.count,
                        "duplicate_keys": s.count,
                    }
                )
                continue
            c = t.column(s.column)
            item = {"table": qname, "kind": s.kind, "column": s.column, "count": s.count}
            if s.kind == "nulls":
                expected.append(
                    {
                        "check_type": "not_null",
                        "table": qname,
                        "columns": [s.column],
                        "failed_rows": s.count,
                    }
                )
            elif s.kind == "orphan_fks":
                ref_table, ref_col = c.references.split(".")
                item["references"] = f"{schema}.{ref_table}.{ref_col}"
                expected.append(
                    {
                        "check_type": "relationships",
                        "table": qname,
                        "columns": [s.column],
                        "to": f"{schema}.{ref_table}",
                        "field": ref_col,
                        "failed_rows": s.count,
                    }
                )
            else:
                lo, hi = c.valid
                item.update(valid_min=lo, valid_max=hi, injected_value=hi + 1)
                expected.append(
                    {
                        "check_type": "between",
                        "table": qname,
                        "columns": [s.column],
                        "min": lo,
                        "max": hi,
                        "failed_rows": s.count,
                    }
                )
            injected.append(item)
    return {"injected": injected, "expected_failures": expected}
