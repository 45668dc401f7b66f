"""Authoring tools: `lint_pipeline` (every problem at once, before anything runs) and
`preview_sql` (the SQL `validate --dry-run` prints).

Lint = parse problems (spec.py) + tables and columns that do not exist in the target (or the
source, for comparisons), each reported at the line of the check's field.
"""

from __future__ import annotations

from pathlib import Path

from batchcore.errors import BatchError, ConfigError
from batchcore.validation.checks.base import RunContext, ScanCheck, missing_column_message
from batchcore.validation.checks.coerce import ValueTypeMismatch
from batchcore.validation.compiler import group_scans
from batchcore.validation.spec import (
    LintProblem,
    PipelineSpec,
    parse_pipeline,
    ref_for_path,
    with_check_names,
)
from batchcore.validation.sqlguard import SqlRefused
from batchcore.workspace import PIPELINE_SUFFIXES, Workspace, pipeline_file_name_problem
from batchcore.yamlfile import load_yaml


def lint_pipeline(
    path: Path | str, workspace: Workspace | None, *, check_columns: bool = True
) -> list[LintProblem]:
    """All problems of the pipeline file at `path` (empty list = clean): a file name the
    workspace would skip, a YAML syntax error (at its line), then every problem of its content.

    With `check_columns`, opens the target (and source) connections to verify that every
    referenced table and column exists; a connection that cannot open is one problem.
    """
    path = Path(path)
    problems = _file_name_problems(path)
    try:
        doc = load_yaml(path)
    except ConfigError as exc:  # syntax error (at its line), missing or unreadable file
        line = exc.extra.get("line")
        return [*problems, LintProblem(str(path), line, None, None, None, exc.reason)]
    project_id, pipeline_id = ref_for_path(path, workspace)
    spec, parsed = parse_pipeline(doc, workspace, project_id=project_id, pipeline_id=pipeline_id)
    problems += parsed
    if spec is None or not check_columns or workspace is None:
        return problems
    return problems + with_check_names(
        _column_problems(spec, workspace, doc), (doc.data or {}).get("checks")
    )


def _file_name_problems(path: Path) -> list[LintProblem]:
    """The workspace would skip the file for its name: not .yaml / .yml, or not a valid id."""
    if path.suffix not in PIPELINE_SUFFIXES:
        why = f"pipeline files end in .yaml or .yml (got {path.name!r})"
    else:
        why = pipeline_file_name_problem(path)
    if why is None:
        return []
    return [LintProblem(str(path), None, None, None, None, f"{why}: the workspace skips this file")]


def _column_problems(spec: PipelineSpec, workspace: Workspace, doc) -> list[LintProblem]:
    from batchcore.validation.runner import expand, open_pipeline_connections

    plans = expand(spec)
    problems: list[LintProblem] = []
    try:
        with open_pipeline_connections(
            spec, workspace, None, need_source=spec.source is not None
        ) as (target, source):
            rctx = RunContext(target, source, sample_size=0)
            seen: set[tuple] = set()
            for p in plans:
                ln = spec.check_lines[p.position]
                before = len(problems)
                for side, table, column in p.referenced_columns():
                    key = (p.position, side, table, column)
                    if key in seen:
                        continue
                    seen.add(key)
                    field = _field_of(p, table, column)
                    try:
                        cols = [c.name for c in rctx.columns(side, table)]
                    except BatchError as exc:
                        problems.append(_problem(doc, p, "table", ln, exc.message))
                        continue
                    if column not in cols:
                        msg = missing_column_message(column, table, cols) + (
                            f" ({side})" if side == "source" else ""
                        )
                        problems.append(_problem(doc, p, field, ln, msg))
                if not p.referenced_columns() and p.table and p.type not in ("sql",):
                    try:
                        rctx.columns("target", p.table)
                    except BatchError as exc:
                        problems.append(_problem(doc, p, "table", ln, exc.message))
                if isinstance(p, ScanCheck) and len(problems) == before:
                    try:  # values written in the check, read in the column's type
                        p.prepare(rctx)
                    except ValueTypeMismatch as exc:
                        problems.append(_problem(doc, p, exc.field, ln, str(exc)))
                    except (ValueError, BatchError):
                        pass  # a missing table or column: reported above
                problems += _sql_problems(p, rctx, doc, ln)
    except BatchError as exc:
        problems.append(
            LintProblem(str(doc.path), doc.line(("target",)), None, None, "connection", exc.message)
        )
    # one problem per (check, field, message)
    unique: dict[str, LintProblem] = {}
    for pr in problems:
        unique.setdefault(str(pr), pr)
    return list(unique.values())


def _sql_problems(p, rctx: RunContext, doc, default_line: int | None) -> list[LintProblem]:
    """`EXPLAIN` a `sql` check's query and a check's `where` on the target: bad SQL is reported
    before anything runs (with the database's own message). Only SQL that passed the gate
    (sqlguard: one SELECT, one expression) is explained, on the read-only lint session; EXPLAIN
    plans without executing."""
    conn = rctx.target
    tests = []
    try:
        if p.type == "sql":
            tests.append(("query", f"SELECT count(*) FROM ({p.query_sql(rctx)}) q"))
        if p.where and p.table and p.type not in ("sql",):
            tests.append(
                ("where", f"SELECT count(*) FROM {conn.table_ref(p.table)}{p.where_sql(conn)}")
            )
    except SqlRefused as exc:  # the parse (spec.py) reports it first; kept for odd connections
        field = "query" if str(exc).startswith("query") else "where"
        return [_problem(doc, p, field, default_line, str(exc))]
    out = []
    for field, sql in tests:
        try:
            conn.query(f"EXPLAIN {sql}")
        except Exception as exc:
            msg = " ".join(str(exc).split())[:300] or type(exc).__name__
            out.append(_problem(doc, p, field, default_line, f"the database rejects it: {msg}"))
    return out


def _field_of(p, table: str, column: str) -> str:
    spec = p.spec
    for name in ("column", "field", "key", "columns"):
        v = getattr(spec, name, None)
        if v == column or (isinstance(v, list) and column in v):
            if name == "field" and table != getattr(spec, "to", None):
                continue
            return f"{name}.{v.index(column)}" if isinstance(v, list) else name
    return "columns"


def _problem(doc, p, field: str, default_line: int | None, message: str) -> LintProblem:
    """A problem of check `p` in its `field`, at that field's line (else `default_line`)."""
    return LintProblem(
        str(doc.path),
        _line(doc, p.position, field, default_line),
        p.position + 1,
        p.type,
        field,
        message,
    )


def _line(doc, position: int, field: str, default: int | None) -> int | None:
    parts = tuple(int(x) if x.isdigit() else x for x in field.split("."))
    ln = doc.line(("checks", position, *parts))
    return ln or default


def preview_sql(spec: PipelineSpec, workspace: Workspace) -> list[tuple[str, str]]:
    """[(label, SQL)] the pipeline would run: one scan per (table, where) group, then each other
    check's query. Opens the connections (column types decide some SQL). Raises BatchError."""
    from batchcore.validation.runner import expand, open_pipeline_connections

    plans = expand(spec)
    out: list[tuple[str, str]] = []
    with open_pipeline_connections(spec, workspace, None, need_source=spec.source is not None) as (
        target,
        source,
    ):
        rctx = RunContext(target, source, sample_size=spec.sample_size)
        scans = []
        for p in plans:
            if isinstance(p, ScanCheck):
                try:
                    p.prepare(rctx)
                    scans.append(p)
                except Exception as exc:
                    out.append((f"{p.name} (cannot run)", f"-- {exc}"))
        for g in group_scans(scans):
            names = ", ".join(c.name for c in g.checks)
            out.append((f"scan of {g.table} for {len(g.checks)} checks: {names}", g.sql(target)))
        for p in plans:
            if not isinstance(p, ScanCheck):
                try:
                    out.append((p.name, p.sql_preview(rctx)))
                except Exception as exc:
                    out.append((f"{p.name} (cannot run)", f"-- {exc}"))
    return out
