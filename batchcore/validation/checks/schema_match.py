"""`schema_match`: source and target tables have the same columns with comparable types.

YAML: `{type: schema_match, table: flights}`; optional `source_table`, `check_types` (default
true: types compared by family, catalog.py, so BIGINT = int(11) = INTEGER and VARCHAR = TEXT),
`strict_order` (default false), `ignore_columns` (names skipped on both sides),
`ignore_case` (default false: names must match exactly). Units: columns. `total_rows` = columns
in source ∪ target, `failed_rows` = columns missing in target, extra in target, of another
type family, or (with `strict_order`) out of place; pass rate = 1 − failed ÷ total. Passes when
there is none.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StrictStr

from batchcore.validation.checks.base import (
    ColumnName,
    CompareCheck,
    Outcome,
    RunContext,
    TableCheckSpec,
    out_of_place,
    problems_outcome,
)


class SchemaMatchSpec(TableCheckSpec):
    """Keys: table, source_table, check_types, strict_order, ignore_columns, ignore_case."""

    unit: ClassVar[str] = "columns"
    source_table: Annotated[StrictStr, Field(min_length=1, max_length=256)] | None = None
    check_types: bool = True
    strict_order: bool = False
    ignore_case: bool = False
    ignore_columns: list[ColumnName] = []


class SchemaMatchCheck(CompareCheck):
    def __init__(self, spec: SchemaMatchSpec):
        super().__init__(
            spec,
            table=spec.table,
            source_table=spec.source_table,
            columns=[],
            label=f"schema_match({spec.table})",
        )

    def sql_preview(self, ctx: RunContext) -> str:
        return f"-- catalog: columns of source {self.source_table} and target {self.table}"

    def run(self, ctx: RunContext) -> Outcome:
        ignore = {c.lower() if self.spec.ignore_case else c for c in self.spec.ignore_columns}

        def norm(n: str) -> str:
            return n.lower() if self.spec.ignore_case else n

        src = [c for c in ctx.columns("source", self.source_table) if norm(c.name) not in ignore]
        tgt = [c for c in ctx.columns("target", self.table) if norm(c.name) not in ignore]
        s_by, t_by = {norm(c.name): c for c in src}, {norm(c.name): c for c in tgt}
        problems: list[dict] = []
        for c in src:
            t = t_by.get(norm(c.name))
            if t is None:
                problems.append(
                    {"column": c.name, "problem": "missing in target", "source_type": c.type}
                )
            elif self.spec.check_types and t.family != c.family:
                problems.append(
                    {
                        "column": c.name,
                        "problem": "type differs",
                        "source_type": f"{c.type} ({c.family})",
                        "target_type": f"{t.type} ({t.family})",
                    }
                )
        problems += [
            {"column": c.name, "problem": "extra in target", "target_type": c.type}
            for c in tgt
            if norm(c.name) not in s_by
        ]
        if self.spec.strict_order:
            common_s = [norm(c.name) for c in src if norm(c.name) in t_by]
            common_t = [norm(c.name) for c in tgt if norm(c.name) in s_by]
            if common_s != common_t:
                problems.append(
                    {
                        "column": None,
                        "problem": "column order differs",
                        "source_order": common_s,
                        "target_order": common_t,
                        "out_of_place": out_of_place(common_t, common_s),
                    }
                )
        bad = {norm(p["column"]) for p in problems if p["column"] is not None}
        bad.update(x for p in problems for x in p.get("out_of_place", []))
        total = len(set(s_by) | set(t_by))
        observed = {
            "source_columns": [[c.name, c.type] for c in src],
            "target_columns": [[c.name, c.type] for c in tgt],
        }
        return problems_outcome(
            total, len(bad), problems, sql=self.sql_preview(ctx), observed=observed
        )


def plans(spec: SchemaMatchSpec) -> list[SchemaMatchCheck]:
    return [SchemaMatchCheck(spec)]
