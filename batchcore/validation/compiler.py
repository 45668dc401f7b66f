"""Compile the column-level checks of a pipeline into ONE aggregate scan per (table, where).

```sql
SELECT count(*),                                      -- the shared denominator
       count(*) FILTER (WHERE "dep_time" IS NULL),    -- not_null(dep_time)
       count("origin"), count(*) FILTER (WHERE "origin" IS NOT NULL AND "origin" NOT IN (...)),
       ...                                            -- one or more expressions per check
FROM "flights" WHERE (<where>)
```
Conditional counts are spelled per dialect (Dialect.count_if). Each check owns a slice of the
selected values (`ScanGroup.slots`). Checks with different `where` filters scan separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from batchcore.connections import DbConnection
from batchcore.validation.checks.base import ScanCheck


@dataclass
class ScanGroup:
    """The checks answered by one scan of `table` filtered by `where`."""

    table: str
    where: str | None
    checks: list[ScanCheck]
    slots: dict[int, list[int]] = field(default_factory=dict)
    _exprs: list[str] = field(default_factory=list)

    def sql(self, conn: DbConnection) -> str:
        """The scan's SQL for `conn`'s dialect; fills `slots` (value positions per check)."""
        exprs = ["count(*)"]
        self.slots = {}
        for c in self.checks:
            aggs = c.aggregates(conn)
            self.slots[id(c)] = list(range(len(exprs), len(exprs) + len(aggs)))
            exprs.extend(aggs)
        self._exprs = exprs
        where = f" WHERE ({self.where})" if self.where else ""
        select = ",\n       ".join(exprs)
        return f"SELECT {select}\nFROM {conn.table_ref(self.table)}{where}"


def group_scans(checks: list[ScanCheck]) -> list[ScanGroup]:
    """Group scan checks by (table, where), in order of first appearance."""
    groups: dict[tuple[str, str | None], ScanGroup] = {}
    for c in checks:
        key = (c.table, c.where)
        if key not in groups:
            groups[key] = ScanGroup(c.table, c.where, [])
        groups[key].checks.append(c)
    return list(groups.values())
