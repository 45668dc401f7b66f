"""The gate for SQL written in a pipeline: a `where` is ONE expression, a `sql` check ONE SELECT.

Both are parsed with sqlglot in the dialect of the connection they run on, before anything runs
(spec load, lint) and again when the SQL is built (a `config_override` may switch connections).
Refused, with a message saying why:
- more than one statement, or a statement where an expression belongs (`1=1); DROP ...`);
- a `sql` query that is not a SELECT (WITH ... SELECT, UNION of SELECTs are fine), `SELECT ...
  INTO`, locking clauses (`FOR UPDATE`), and any statement nested inside (a PostgreSQL
  data-modifying CTE `WITH d AS (DELETE ...)`);
- functions that read or write server files, run SQL given as text, change session settings or
  take locks (`pg_read_file`, `lo_import`, `read_csv`, `LOAD_FILE`, `set_config`, `query`, ...:
  each Dialect's `denied_functions`), and DuckDB's `FROM 'file.csv'`.

What runs is the text rebuilt from sqlglot's own tokens with comments left out, so the database
executes exactly what was checked: a comment MySQL would execute (`/*! ... */`), or one the
database ends elsewhere than sqlglot, cannot hide code from the check.

This gate is one layer: validation sessions are also read-only at the database (see
batchcore.connections) and DuckDB files are opened without external access. docs/security.md
states the trust model.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as GlotDialect
from sqlglot.errors import ParseError, TokenError

from batchcore.dialects import DIALECTS

# statements and clauses that never belong inside a pipeline's SQL
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "AlterColumn",
        "TruncateTable",
        "Command",
        "Set",
        "Pragma",
        "Copy",
        "Use",
        "Transaction",
        "Commit",
        "Rollback",
        "Grant",
        "Revoke",
        "LoadData",
        "Into",
        "Lock",
        "Attach",
        "Detach",
        "Install",
        "Export",
        "Refresh",
        "Analyze",
        "Cache",
        "Uncache",
        "Describe",
        "Show",
        "Kill",
    )
    if hasattr(exp, name)
)


# DuckDB reads a file named where a table belongs (`FROM 'x.csv'`, `FROM "dir/x.parquet"`)
_FILE_NAME = re.compile(
    r"[/\\]|://|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|xlsx|arrow|db|duckdb|sqlite)(\.\w+)?$",
    re.IGNORECASE,
)


class SqlRefused(ValueError):
    """Pipeline SQL the gate refuses; the message names the field (`where`, `query`) and why."""


def _glot(dialect: str) -> str:
    name = DIALECTS[dialect].sqlglot_name if dialect in DIALECTS else ""
    if not name:
        raise SqlRefused(f"no SQL parser for the {dialect!r} dialect")
    return name


def _without_comments(text: str, dialect: str) -> str:
    """`text` rebuilt from sqlglot's tokens: each token as written, the whitespace between them
    kept, a comment replaced by one space. Adjacent tokens that would read as a comment once
    joined (`-` `-`, `/` `*`) get a space between them."""
    tokens = GlotDialect.get_or_raise(dialect).tokenize(text)
    out: list[str] = []
    prev_end = -1
    for tok in tokens:
        raw = text[tok.start : tok.end + 1]
        gap = text[prev_end + 1 : tok.start]
        if out:
            if gap and gap.strip(" \t\r\n") == "":
                out.append(gap)
            elif gap or (out[-1][-1] + raw[0]) in ("--", "/*", "*/"):
                out.append(" ")
        out.append(raw)
        prev_end = tok.end
    return "".join(out)


def _parse_one(text: str, dialect: str, field: str, what: str) -> tuple[str, exp.Expression]:
    """(comment-free text, its one parsed expression). Raises SqlRefused."""
    glot = _glot(dialect)
    try:
        clean = _without_comments(text, glot)
        trees = [t for t in sqlglot.parse(clean, read=glot) if t is not None]
    except (ParseError, TokenError) as exc:
        raise SqlRefused(
            f"{field} cannot be read as {what} in {dialect} SQL ({_parse_error_text(exc)})"
        ) from None
    if not trees:
        raise SqlRefused(f"{field} is empty: give {what}")
    if len(trees) > 1:
        raise SqlRefused(f"{field} holds {len(trees)} statements: give {what} (no ';')")
    return clean, trees[0]


def _parse_error_text(exc: Exception) -> str:
    """sqlglot's first error as a short sentence: `Invalid expression / Unexpected token at line
    1, column 4` (class paths shortened to their names)."""
    errors = getattr(exc, "errors", None) or []
    if errors:
        first = errors[0]
        text = str(first.get("description") or "syntax error")
        if first.get("line"):
            text += f" at line {first['line']}, column {first.get('col')}"
    else:
        text = (str(exc).strip().splitlines() or ["syntax error"])[0]
    return re.sub(r"<class '(?:[\w]+\.)*(\w+)'>", r"\1", text)


def _function_names(node: exp.Func) -> set[str]:
    if isinstance(node, exp.Anonymous):
        return {str(node.name).lower()}
    return {n.lower() for n in type(node).sql_names()} | {type(node).key.lower()}


def _denied(name: str, denied: frozenset[str]) -> bool:
    return name in denied or any(
        d.endswith(("_", "$")) and name.startswith(d) for d in denied if d.endswith(("_", "$"))
    )


def _check_tree(tree: exp.Expression, dialect: str, field: str) -> None:
    """Refuse statements nested anywhere in `tree` and calls of denied functions."""
    denied = DIALECTS[dialect].denied_functions
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            kind = node.key.upper().replace("_", " ")
            raise SqlRefused(f"{field} may only read: {kind} is not allowed")
        if isinstance(node, exp.Func):
            for name in _function_names(node):
                if _denied(name, denied):
                    raise SqlRefused(
                        f"{field} calls {name}(), which pipelines may not use (it reaches server files, "
                        "runs SQL given as text, changes settings or takes locks)"
                    )
        if (
            isinstance(node, exp.Table)
            and DIALECTS[dialect].file_named_tables
            and _FILE_NAME.search(node.name)
        ):
            raise SqlRefused(f"{field} reads the file {node.name!r}: pipelines read tables only")


@lru_cache(maxsize=4096)
def safe_where(text: str, dialect: str) -> str:
    """The `where` to run on a `dialect` connection: ONE boolean expression, comments left out.

    Raises SqlRefused (several statements, a query or statement instead of an expression, a
    denied function)."""
    clean, tree = _parse_one(text, dialect, "where", "one boolean expression")
    if isinstance(tree, (exp.Query, exp.Values, _FORBIDDEN_NODES)):
        raise SqlRefused(
            f"where is a statement ({tree.key.upper()}): give one boolean expression, "
            'e.g. "year = 2013"'
        )
    _check_tree(tree, dialect, "where")
    return clean


@lru_cache(maxsize=1024)
def safe_query(text: str, dialect: str) -> str:
    """The `sql` check's query to run on a `dialect` connection: ONE SELECT (WITH ... SELECT and
    set operations of SELECTs too), comments left out. Raises SqlRefused."""
    clean, tree = _parse_one(text, dialect, "query", "one SELECT statement")
    if not isinstance(tree, exp.Query):
        raise SqlRefused(f"query is not a SELECT ({tree.key.upper()}): a sql check runs one SELECT")
    _check_tree(tree, dialect, "query")
    return clean
