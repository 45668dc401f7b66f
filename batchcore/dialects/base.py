"""The `Dialect` base class: every piece of SQL whose spelling depends on the database.

A Dialect is stateless (one shared instance per database family, `batchcore.dialects.DIALECTS`).
Methods take SQL expressions (text) and answer SQL expressions; none runs a query except
`describe_columns`, which is given an open connection. The base class spells ANSI SQL; each
subclass overrides what its database spells differently. Adding a database means writing one
subclass (and its driver wrapper in batchcore.connections).

Canonical forms for comparison (docs/checks.md, "Migration comparisons"):

- `norm(expr, own, common)` is THE normalisation of a column for comparison: both row_diff
  modes pull it (full mode) or hash its canonical text (segmented mode), so the two can never
  disagree. Date/time families become the text `YYYY-MM-DD HH:MM:SS.ffffff` — an instant
  (TIMESTAMPTZ, or a text value with a UTC offset) in UTC, a naive timestamp as written, a DATE
  at midnight; booleans become 0/1; everything else is pulled as stored.
- `row_checksum_text` writes several normalised values as one unambiguous text: a NULL is `-`,
  a value is `<length>:<canonical text>`. A value never starts with `-`, so no value (not even
  the text `\\N` or `-`) can equal a NULL, and length prefixes keep ('a:', 'b') apart from
  ('a', ':b').
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from batchcore.dialects.types import TIME_FAMILIES, generic_family

if TYPE_CHECKING:
    from batchcore.connections import DbConnection

# A time part followed by a UTC offset or Z: "13:00:00+01:00", "13:00Z", "13:00:00.5 -0500".
# (A date alone, "2024-03-01", must not read as an offset of -01.)
OFFSET_REGEX = r"[0-9]:[0-9][0-9](:[0-9][0-9](\.[0-9]+)?)? ?(Z|[+-][0-9][0-9](:?[0-9][0-9])?)$"
SCALE_DIGITS = 6  # decimals enter segment checksums with at least 6 decimals (decimal_text)
MAX_CHECKSUM_SCALE = 18  # ... and at most 18 (the in-memory diff compares DECIMAL(38, ≤18))


class Dialect:
    """SQL spelling of one database family (ANSI here; subclasses override).

    `name` is the connection type (connections.yaml `type`); `file_based` is True when the
    connection is a local file that opening would create (DuckDB, SQLite).
    """

    name = "ansi"
    quote_char = '"'
    file_based = False
    bitmap_distinct = False  # bitmap_distinct_count answers (DuckDB)
    native_timestamps = True  # date/time columns hold typed values (SQLite: text)
    current_schema = "current_schema()"  # SQL of the current schema (describe_columns)
    describe_filter = ""  # extra information_schema.columns condition (describe_columns)
    # the pipeline SQL gate (batchcore.validation.sqlguard): sqlglot's name of this dialect,
    # and the functions a pipeline may not call (lower-case names; a name ending in "_" or "$"
    # is a prefix): they read or write server files, reach other servers, run SQL given as
    # text, change settings or take locks
    sqlglot_name = ""
    denied_functions: frozenset[str] = frozenset()
    file_named_tables = False  # a table name that looks like a file reads the file (DuckDB)
    # row_diff's choice of mode (checks/row_diff.py): measured microseconds per value (row ×
    # column) to read rows into Arrow, and to checksum them in the database (bench/rowdiff.py,
    # 200,000 flights rows x 20 columns, load average ~10; only their ratios matter)
    pull_us_per_value = 0.5
    checksum_us_per_value = 1.5

    # ------------------------------------------------------------ names and literals
    def quote(self, ident: str) -> str:
        """Quote an identifier, doubling embedded quote characters (reserved words, mixed case,
        spaces all work)."""
        q = self.quote_char
        return f"{q}{str(ident).replace(q, q + q)}{q}"

    def table(self, name: str, schema: str | None = None) -> str:
        """Qualified, quoted table reference."""
        return f"{self.quote(schema)}.{self.quote(name)}" if schema else self.quote(name)

    def literal(self, value: Any) -> str:
        """A SQL literal for str/int/float/bool/None."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)):
            return repr(value)
        return "'" + str(value).replace("'", "''") + "'"

    # ------------------------------------------------------------ text
    def to_text(self, expr: str) -> str:
        """`expr` cast to the dialect's text type."""
        return f"CAST({expr} AS VARCHAR)"

    def char_length(self, expr: str) -> str:
        """Length of a text in characters (code points)."""
        return f"length({expr})"

    def concat(self, parts: Sequence[str]) -> str:
        """Text concatenation of `parts` (none of them NULL)."""
        if len(parts) == 1:
            return parts[0]
        return " || ".join(f"({p})" for p in parts)

    def limit(self, select: str, n: int) -> str:
        """`select` (a SELECT statement) returning at most `n` rows."""
        return f"{select} LIMIT {int(n)}"

    def group_by_position(self, position: int, expr: str) -> str:
        """How GROUP BY names the select list's `position`-th expression `expr`."""
        return str(int(position))

    def substr(self, expr: str, start: int, length: int) -> str:
        """`length` characters of a text from position `start` (1-based)."""
        return f"substr({expr}, {int(start)}, {int(length)})"

    def exact_text(self, expr: str) -> str:
        """`expr` (a text column) in a form that compares, groups and counts distinct
        byte-exactly, whatever the column's collation."""
        return expr

    def column_for(self, expr: str, family: str) -> str:
        """A column as value checks compare it: text columns byte-exactly."""
        return self.exact_text(expr) if family == "string" else expr

    # ------------------------------------------------------------ aggregates and predicates
    def count_if(self, cond: str) -> str:
        """Rows where `cond` is TRUE (NULL counts as not true). 0 on an empty input, never NULL."""
        return f"coalesce(sum(CASE WHEN {cond} THEN 1 ELSE 0 END), 0)"

    def regex_full_match(self, expr: str, pattern: str) -> str:
        """TRUE when the whole text of `expr` matches `pattern` (case-sensitive); NULL when
        `expr` is NULL. The pattern is anchored as `^(?:pattern)$`."""
        anchored = self.literal(f"^(?:{pattern})$")
        return f"regexp_like({self.to_text(expr)}, {anchored})"

    def min_max_expr(self, expr: str, family: str) -> str:
        """`expr` prepared for min()/max() so that text orders by code point."""
        return expr

    def distinct_expr(self, expr: str, family: str) -> str:
        """`expr` prepared for count(DISTINCT ...): byte-exact text."""
        return self.column_for(expr, family)

    def bitmap_distinct_count(self, packed: str, bits: int) -> str | None:
        """Distinct values of the non-negative integer `packed` < `bits` counted with a bitmap;
        None when the database has no bitmap aggregate."""
        return None

    def anti_join(self, left: str, right: str, on: str) -> str | None:
        """`left ANTI JOIN right ON on` where the database has the syntax, else None."""
        return None

    def sum_expr(self, expr: str) -> str:
        """sum() of a number column, exact for integers however big the total."""
        return f"sum({expr})"

    def bool_to_int(self, expr: str) -> str:
        """A boolean column as 1/0 (NULL stays NULL)."""
        return f"CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} THEN 1 ELSE 0 END"

    # ------------------------------------------------------------ hashing
    def md5(self, text: str) -> str:
        """Lower-case hex md5 of the UTF-8 bytes of `text`."""
        return f"md5({text})"

    def hex_to_int(self, hex_expr: str) -> str:
        """An up-to-8-hex-digit lower-case text as an integer, the same number everywhere.
        Portable spelling: one POSITION per digit."""
        digits = "'0123456789abcdef'"
        terms = [
            f"(POSITION(SUBSTR({hex_expr}, {i + 1}, 1) IN {digits}) - 1) * {16 ** (7 - i)}"
            for i in range(8)
        ]
        return "(" + " + ".join(terms) + ")"

    # ------------------------------------------------------------ normalisation for comparison
    def ts_text(self, expr: str, family: str) -> str:
        """Canonical text `YYYY-MM-DD HH:MM:SS.ffffff` of a value of `family` (date, timestamp,
        timestamptz or string): an instant (timestamptz, text with an offset) in UTC, a naive
        timestamp as written, a DATE at midnight."""
        raise NotImplementedError(f"{self.name}: timestamps as text")

    def norm(self, expr: str, own: str, common: str) -> str:
        """THE normalised value of column `expr` (its family `own`) for comparison with a column
        of the other side in family `common` (compare.common_family). See the module doc."""
        if common in TIME_FAMILIES:
            return self.ts_text(expr, own if own in (*TIME_FAMILIES, "string") else "timestamp")
        if own == "boolean":
            return self.bool_to_int(expr)
        if own == "string" and common in ("decimal", "float", "integer"):
            return self.text_to_number(expr, "float" if common == "float" else "decimal")
        return expr

    # a text the comparisons read as a number (no spaces, no exponent: every database casts it
    # alike); other text beside a number column is refused
    # (CompareCheck.refuse_text_that_is_not_a_number)
    NUMBER_TEXT = r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"

    def text_to_number(self, expr: str, family: str) -> str:
        """A text column holding numbers (NUMBER_TEXT) as a DECIMAL(38,6) (`family` decimal)
        or a double (`family` float). Text that is not a number must be refused first: MySQL
        and SQLite cast it to 0."""
        return f"CAST({expr} AS {'DOUBLE PRECISION' if family == 'float' else 'DECIMAL(38,6)'})"

    def not_number_text(self, expr: str) -> str:
        """TRUE for a non-NULL text value that is not a number as NUMBER_TEXT writes one."""
        return f"({expr} IS NOT NULL AND NOT {self.regex_full_match(expr, self.NUMBER_TEXT)})"

    def decimal_text(self, expr: str, scale: int = SCALE_DIGITS) -> str:
        """A number as fixed-point text with exactly `scale` decimals (`-2.2500000000` at
        scale 10, `0.0000000000` for -0; NULL stays NULL), identical across dialects for equal
        values at that scale, for decimal checksums. Exact for a value of at most `scale`
        decimals (the caller passes the column pair's common scale). Cast, never multiplied:
        a BIGINT or DECIMAL(38,s) times 10^s overflows (MySQL, DuckDB), and SQLite saturates."""
        return self.to_text(f"CAST({expr} AS DECIMAL(38,{scale}))")

    def float_text(self, expr: str) -> str:
        """The EXACT text of a number read as the database's double (NULL stays NULL): `0` for
        ±0, `nan`, `inf`, `-inf` (`float_special_text`), else `<e>:<s>` with
        e = floor(log2 |x|) and s = x · 2^(53 − e), an integer below 2^55 (x = s · 2^(e − 53):
        different doubles never share a text). Powers of two scale a double exactly; e is
        computed with the database's logarithm, so two databases may disagree on e for a value
        next to a power of two: that only reads its segment (the exact diff then finds the
        values equal), never hides a difference."""
        x = self.text_to_number(expr, "float")
        two = self.text_to_number("2", "float")
        special = self.float_special_text(x) or ""
        # the logarithm's argument: 1 where the value has a text of its own (no log of 0 or inf)
        guard = re.sub(r"THEN '[^']*'", "THEN 1", special)
        safe = f"CASE {guard} WHEN {x} = 0 THEN 1 ELSE abs({x}) END"
        e = f"floor({self.ln(safe)} / {self.ln(two)})"
        h = f"floor((53 - {e}) / 2)"
        s = f"{x} * power({two}, {h}) * power({two}, 53 - {e} - {h})"
        text = self.concat([self.int_text(e), "':'", self.int_text(s)])
        return f"CASE {special} WHEN {x} = 0 THEN '0' ELSE {text} END"

    def ln(self, expr: str) -> str:
        """The natural logarithm of a positive double."""
        return f"ln({expr})"

    def float_special_text(self, expr: str) -> str | None:
        """A CASE branch list (`WHEN ... THEN 'nan' ...`) giving the canonical text of the
        special doubles a float column can hold: 'nan', 'inf', '-inf' (they have no decimal
        text); None where the database stores none (MySQL)."""
        return None

    def stored_kinds(self, expr: str) -> str | None:
        """An aggregate telling how the values of column `expr` are really stored, where that
        can differ from its declared type (SQLite's type affinity): 1 when some value is a
        REAL, + 2 when some value is TEXT or BLOB (0 when neither, NULL on no row). None where
        every value has the declared type."""
        return None

    def int_text(self, expr: str) -> str:
        """An integer as decimal digits."""
        return self.to_text(f"CAST({expr} AS BIGINT)")

    def canonical_text(self, normed: str, common: str, scale: int | None = None) -> str:
        """The text of a normalised value (`norm`) that is identical across dialects when the
        values are equal (NULL stays NULL). Floats exactly (`float_text`); decimals as
        fixed-point text with `scale` decimals (`decimal_text`; default SCALE_DIGITS): exact
        when `scale` is the column pair's common scale."""
        if common in TIME_FAMILIES:
            return normed
        if common == "float":
            return self.float_text(normed)
        if common == "decimal":
            return self.decimal_text(normed, SCALE_DIGITS if scale is None else scale)
        if common == "integer":
            return self.int_text(normed)
        return self.to_text(normed)

    def row_checksum_text(self, parts: Sequence[tuple[str, str, int | None]]) -> str:
        """One unambiguous text of several normalised values [(normed expr, common family,
        decimal scale or None)]: NULL → `-`, a value → `<length>:<text>` (module doc)."""
        return self.concat([self.frame(self.canonical_text(n, fam, sc)) for n, fam, sc in parts])

    def framed_concat(self, texts: Sequence[str]) -> str:
        """`row_checksum_text` of values already in canonical text (`canonical_text`), given as
        column references (an inner query computes the texts, so no value is computed twice):
        each framed, then concatenated."""
        return self.concat([self.frame(t) for t in texts])

    def frame(self, text: str) -> str:
        """`<length>:<text>`, or `-` when `text` is NULL (concatenation with NULL is NULL)."""
        framed = self.concat([self.to_text(self.char_length(text)), "':'", text])
        return f"coalesce({framed}, '-')"

    # ------------------------------------------------------------ the session clock (freshness)
    def now_local_text(self) -> str:
        """The session's local wall-clock time as canonical timestamp text (naive columns hold
        the session's local time)."""
        return self.ts_text("LOCALTIMESTAMP", "timestamp")

    def session_zone_sql(self) -> str | None:
        """An expression naming the time zone of the session's local clock (now_local_text), as
        the database reports it, or None where it cannot be read in a SELECT."""
        return None

    # True where the "local" clock is UTC whatever the session (SQLite has no session zone)
    local_clock_is_utc = False

    def now_utc_text(self) -> str:
        """The database's current instant, in UTC, as canonical timestamp text."""
        return self.ts_text("CURRENT_TIMESTAMP", "timestamptz")

    def extreme_ts_text(self, fn: str, expr: str, family: str) -> str:
        """Aggregate `fn` (min or max) of a date/time (or text) column, as canonical text.
        Text is normalised row by row first (a text max is not the latest instant when offsets
        differ); a native date/time type is normalised after the aggregate."""
        if family == "string" or not self.native_timestamps:
            return f"{fn}({self.ts_text(expr, family)})"
        return self.ts_text(f"{fn}({expr})", family)

    def distinct_ts(self, expr: str, family: str) -> str:
        """`expr` for count(DISTINCT ...) as a date/time: text normalised row by row."""
        if family == "string" or not self.native_timestamps:
            return self.ts_text(expr, family)
        return expr

    # ------------------------------------------------------------ catalog
    def type_family(self, raw_type: str) -> str:
        """The family (batchcore.dialects.types.FAMILIES) of a type name of this database."""
        return generic_family(raw_type) or "other"

    def describe_columns(
        self, conn: DbConnection, schema: str | None, table: str
    ) -> list[tuple[str, str]]:
        """[(column name, type text)] of a table in ordinal order ([] when it does not exist),
        from information_schema.columns (schema None = the current schema)."""
        lit = self.literal
        cond = (
            f"table_schema = {lit(schema)}" if schema else f"table_schema = {self.current_schema}"
        )
        _, rows = conn.query(
            "SELECT column_name, data_type, numeric_precision, numeric_scale FROM "
            f"information_schema.columns WHERE {cond} AND table_name = {lit(table)}"
            f"{self.describe_filter} ORDER BY ordinal_position"
        )
        return [(str(r[0]), self.type_text(str(r[1]), r[2], r[3])) for r in rows]

    def type_text(self, data_type: str, precision: Any, scale: Any) -> str:
        """information_schema's data_type with the precision and scale it leaves out."""
        return data_type

    def catalog_extractor(self) -> Callable:
        """The metadata extractor function `(conn, q, schema, table_names) -> Catalog`."""
        from batchcore.metadata.extract_sqlalchemy import extract

        return extract

    # ------------------------------------------------------------ generated data (datagen)
    schemas_in_database = True  # a database holds schemas (PostgreSQL); else tables get a prefix

    def column_type(self, duck_type: str) -> str:
        """The column type to declare for a generated DuckDB type (BIGINT, INTEGER, SMALLINT,
        DATE, BOOLEAN, VARCHAR, DECIMAL(p,s))."""
        return duck_type

    def generated_value(self, duck_expr: str, duck_type: str) -> str:
        """The DuckDB expression that writes a generated value of `duck_type` in the form this
        database's bulk load reads (e.g. booleans as 0/1 where it has no boolean)."""
        return duck_expr

    # ------------------------------------------------------------ session and cancel
    def session_sql(self, options: dict[str, Any]) -> list[str]:
        """Statements run once when a connection opens (connection `options`: `time_zone`)."""
        return []

    def cancel_sql(self, session_id: Any) -> str | None:
        """The statement that stops the running query of session `session_id` from another
        session, where the database cancels that way (None: the driver cancels)."""
        return None

    # ------------------------------------------------------------ table comments (datagen's mark)
    def create_table_sql(self, table: str, columns: str, comment: str = "") -> str:
        """CREATE TABLE `table` (`columns`), carrying `comment` where the statement itself can
        (MySQL's table COMMENT; SQLite keeps a comment written inside the statement)."""
        return f"CREATE TABLE {table} ({columns})"

    def table_comment_sql(self, table: str, comment: str) -> str | None:
        """The statement that gives an existing `table` its `comment` (None where
        `create_table_sql` carries it)."""
        return f"COMMENT ON TABLE {table} IS {self.literal(comment)}"

    def table_comments_sql(self, schema: str | None) -> tuple[str, tuple] | None:
        """(SQL, params) answering (name, comment) of every table and view of `schema` (the
        connection's database where schemas are databases), or None where unsupported."""
        return None

    system_schemas: tuple[str, ...] = ("information_schema",)  # never offered as a source

    def schemas_sql(self) -> str | None:
        """SQL answering (schema name, tables and views in it) for every user schema of the
        connection, by name; None when the database has a single unnamed one (SQLite)."""
        hidden = ", ".join(self.literal(s) for s in self.system_schemas)
        return (
            "SELECT table_schema, count(*) FROM information_schema.tables "
            f"WHERE table_schema NOT IN ({hidden}){self.describe_filter} "
            "GROUP BY table_schema ORDER BY table_schema"
        )

    def read_only_sql(self) -> list[str]:
        """Statements that make a session read-only (validation, lint, metadata), run after
        `session_sql`; empty where the database has no such mode (docs/security.md)."""
        return []
