"""How a star schema is declared: columns as SQL expressions of a row index, tables, schemas.

Every generated value is a pure function of (seed, table, row index): a table's rows come from
`range(n)` (column `i`, 0-based), each row draws independent random bits from
`hash(i, <stream seed>)` (see `Streams`), and columns are DuckDB expressions over those bits,
earlier columns (DuckDB lateral column aliases) and small value lists. Nothing is random in
Python and nothing is generated row by row, so the same seed gives the same rows on any machine
running the same DuckDB hash function (DuckDB 2.x; pinned by a checksum test).

Derived tables (`Source`) re-evaluate another table's row function at computed indices, so a
return row can reuse the sale it refers to (its date, product, quantity) without a join.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

# Stream seeds stay below 2**63: seed <= 2**31 - 1 (DataGenItem), salt < 10**5.
_SEED_STRIDE = 1_000_003


def stream_seed(seed: int, salt: int, n: int = 0) -> int:
    """The hash seed of stream `n` of (seed, salt): unique per triple for n < 16."""
    return seed * _SEED_STRIDE + salt * 16 + n


@dataclass(frozen=True)
class Column:
    """One column: name, DuckDB type and the SQL expression computing it.

    `references` ("dim_customer.customer_key") makes it a foreign key (orphan defects, and the
    `relationships` check); `valid` is the inclusive (min, max) every generated value respects
    (out-of-range defects, the `between` check); `values` is its closed set of values
    (`accepted_values`); `nullable` means NULL by design (no NULL defects, no not_null check);
    `hidden` columns help compute others and are not written. `orphan_start` (on a key column)
    is the first value known not to exist, for orphan defects of columns referencing it
    (default: the table's row count + 1).
    """

    name: str
    type: str
    expr: str
    description: str = ""
    references: str | None = None
    valid: tuple[float, float] | None = None
    values: tuple[str, ...] | None = None
    nullable: bool = False
    hidden: bool = False
    orphan_start: int | None = None


class Streams:
    """Independent uniform random bits for one row: `hash(<index>, <stream seed>) >> 1` (63 bits).

    `bits(k)` hands out the next k unused bits of the current stream, opening a new stream
    (one more `hash()` per row) when it runs out, so no two columns share bits. The stream
    columns are hidden BIGINT columns named `<prefix><n>`. Two `Streams` with the same index
    expression, salt and seed produce the same bits: dimensions and facts use that to compute
    a dimension attribute (a product's price) from its key alone.
    """

    def __init__(self, index: str, seed: int, salt: int, prefix: str):
        self.index, self.seed, self.salt, self.prefix = index, seed, salt, prefix
        self.count = 0
        self._left = 0

    def stream_seed(self, n: int) -> int:
        """The hash seed of stream `n` (1-based): unique per (seed, salt, n)."""
        return stream_seed(self.seed, self.salt, n)

    def bits(self, k: int) -> str:
        """SQL for a uniform integer in [0, 2**k) (1 <= k <= 63)."""
        if not 1 <= k <= 63:
            raise ValueError(f"bits(k): k must be 1..63, got {k}")
        if k > self._left:
            self.count += 1
            self._left = 63
        off = 63 - self._left
        self._left -= k
        name = f"{self.prefix}{self.count}"
        shifted = name if off == 0 else f"({name} >> {off})"
        return shifted if k == 63 else f"({shifted} & {(1 << k) - 1})"

    def columns(self) -> list[Column]:
        """The hidden stream columns drawn so far."""
        return [
            Column(
                f"{self.prefix}{n}",
                "BIGINT",
                f"(hash({self.index}, {self.stream_seed(n)}::BIGINT) >> 1)::BIGINT",
                hidden=True,
            )
            for n in range(1, self.count + 1)
        ]


@dataclass(frozen=True)
class Source:
    """A derived table's rows come from `table`'s row function at `index` (SQL over `j`).

    The parent's columns (hidden ones too) are visible to the child as `src_<name>`.
    """

    table: Table
    index: str


@dataclass(frozen=True)
class Table:
    """A generated table: `rows` rows (before duplicate-key defects) and its columns.

    `columns` are the written ones in order; `items` every computed column (streams and hidden
    helpers included) in evaluation order. `index` is the row-index column (`i`; `j` for
    derived tables; `_i` for `base_sql` tables). `base_sql`, when set, is a complete SELECT
    producing the visible columns plus a deterministic 0-based `_i` (used for aggregates such as
    GL balances); otherwise the rows come from `range(rows)` or from `source`.
    """

    name: str
    kind: Literal["dimension", "fact"]
    description: str
    rows: int
    rows_rule: str
    primary_key: tuple[str, ...]
    items: tuple[Column, ...]
    index: str = "i"
    source: Source | None = None
    base_sql: str | None = None

    @property
    def columns(self) -> list[Column]:
        """Written columns, in table order."""
        return [c for c in self.items if not c.hidden]

    def column(self, name: str) -> Column:
        """The written column `name`. Raises KeyError listing the columns."""
        for c in self.items:
            if c.name == name and not c.hidden:
                return c
        raise KeyError(
            f"{self.name} has no column {name!r} (columns: {[c.name for c in self.columns]})"
        )

    @property
    def depends_on(self) -> list[str]:
        """Tables this one needs: referenced tables and its source table."""
        deps = [c.references.split(".")[0] for c in self.columns if c.references]
        if self.source is not None:
            deps.append(self.source.table.name)
        return list(dict.fromkeys(d for d in deps if d != self.name))


def quote(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def render_rows(table: Table, index_relation: str, passthrough: tuple[str, ...] = ()) -> str:
    """SQL SELECT of `table`'s row function (every item, hidden ones included) over the rows of
    `index_relation` (a SELECT yielding the table's index column and `passthrough` columns).

    A derived table's parent rows are rendered first at the computed indices, their columns
    renamed `src_<name>`. Raises ValueError for a `base_sql` table (it has no row function).
    """
    if table.base_sql is not None:
        raise ValueError(f"{table.name} is computed by base_sql, not by a row function")
    keep = ", ".join((table.index, *passthrough))
    source = index_relation
    if table.source is not None:
        parent = table.source.table
        parent_index = (
            f"SELECT {keep}, {table.source.index} AS {parent.index} FROM ({index_relation}) AS _ix"
        )
        parent_rows = render_rows(parent, parent_index, (table.index, *passthrough))
        renamed = ", ".join(f"{quote(c.name)} AS {quote('src_' + c.name)}" for c in parent.items)
        source = f"SELECT {keep}, {renamed} FROM ({parent_rows}) AS _parent"
    items = ", ".join(f"CAST({c.expr} AS {c.type}) AS {quote(c.name)}" for c in table.items)
    return f"SELECT {keep}, {items} FROM ({source}) AS _src"


class TableBuilder:
    """Collects a table's columns in evaluation order; `row` is the row's random stream."""

    def __init__(
        self,
        name: str,
        *,
        kind: Literal["dimension", "fact"],
        rows: int,
        rows_rule: str,
        description: str,
        primary_key: tuple[str, ...],
        seed: int,
        salt: int,
        index: str = "i",
    ):
        self.name, self.kind, self.rows, self.rows_rule = name, kind, rows, rows_rule
        self.description, self.primary_key, self.seed, self.salt, self.index = (
            description,
            primary_key,
            seed,
            salt,
            index,
        )
        self._items: list[Column | Streams] = []
        self.row = self.streams(index, salt, "_r")

    def streams(self, index: str, salt: int, prefix: str) -> Streams:
        """Open a random stream keyed on `index` (an expression or an earlier column)."""
        s = Streams(index, self.seed, salt, prefix)
        self._items.append(s)
        return s

    def col(self, name: str, type_: str, expr: str, description: str = "", **kw) -> str:
        """Add a written column; returns its name for use in later expressions."""
        self._items.append(Column(name, type_, expr, description, **kw))
        return name

    def hidden(self, name: str, type_: str, expr: str) -> str:
        """Add a helper column other columns (or derived tables) use; not written."""
        self._items.append(Column(name, type_, expr, hidden=True))
        return name

    def build(self, *, source: Source | None = None, base_sql: str | None = None) -> Table:
        """The finished Table (stream columns placed where their Streams was opened)."""
        items: list[Column] = []
        for it in self._items:
            items.extend(it.columns() if isinstance(it, Streams) else [it])
        return Table(
            self.name,
            self.kind,
            self.description,
            self.rows,
            self.rows_rule,
            self.primary_key,
            tuple(items),
            self.index,
            source,
            base_sql,
        )


@dataclass(frozen=True)
class StarSchema:
    """A schema type: its DuckDB schema name, how table sizes follow `row_count`, and its tables.

    `build(row_count, seed)` returns the tables in dependency order (dimensions first).
    `main_fact` is the table whose rows `row_count` sets.
    """

    schema_type: str
    schema: str
    main_fact: str
    description: str
    build: Callable[[int, int], list[Table]] = field(repr=False)

    def tables(self, row_count: int, seed: int) -> list[Table]:
        """Tables for `row_count` main-fact rows and `seed`, in dependency order."""
        return self.build(row_count, seed)

    def table_names(self) -> list[str]:
        """Names of the tables (built at a nominal size; cheap, no SQL runs)."""
        return [t.name for t in self.tables(1000, 0)]
