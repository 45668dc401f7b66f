"""Helpers for validation tests: build a workspace with real databases and run inline YAML.

`make_ws(tmp_path, connections)` writes connections.yaml (+ project `p` with source/target);
`load_tables(conn_spec, tables)` creates and fills tables in any dialect with quoted names;
`run_yaml(ws, text)` writes the pipeline and runs it, returning {check_name: CheckResult}.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

from batchcore.connections import open_connection
from batchcore.validation import load_pipeline, run_pipeline
from batchcore.validation.result import PipelineResult
from batchcore.workspace import Workspace

# portable column types per dialect: family -> SQL type
TYPES = {
    "duckdb": {
        "int": "BIGINT",
        "text": "VARCHAR",
        "float": "DOUBLE",
        "date": "DATE",
        "ts": "TIMESTAMP",
        "dec": "DECIMAL(12,2)",
        "tstz": "TIMESTAMPTZ",
    },
    "sqlite": {
        "int": "INTEGER",
        "text": "TEXT",
        "float": "REAL",
        "date": "DATE",
        "ts": "TIMESTAMP",
        "dec": "NUMERIC(12,2)",
        "tstz": "TEXT",
    },
    "postgres": {
        "int": "BIGINT",
        "text": "TEXT",
        "float": "DOUBLE PRECISION",
        "date": "DATE",
        "ts": "TIMESTAMP",
        "dec": "NUMERIC(12,2)",
        "tstz": "TIMESTAMPTZ",
    },
    "snowflake": {
        "int": "NUMBER(38,0)",
        "text": "VARCHAR",
        "float": "FLOAT",
        "date": "DATE",
        "ts": "TIMESTAMP_NTZ",
        "dec": "NUMBER(12,2)",
        "tstz": "TIMESTAMP_TZ",
    },
    "mysql": {
        "int": "BIGINT",
        "text": "VARCHAR(200)",
        "float": "DOUBLE",
        "date": "DATE",
        "ts": "DATETIME(6)",
        "dec": "DECIMAL(12,2)",
        "tstz": "TIMESTAMP(6) NULL",
    },
}


def make_ws(
    root: Path,
    connections: dict[str, dict],
    *,
    source: str | None = None,
    target: str | None = None,
) -> Workspace:
    """A workspace under `root` with the given connections and a project `p`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "connections.yaml").write_text(yaml.safe_dump({"connections": connections}))
    proj = root / "projects" / "p"
    (proj / "pipelines").mkdir(parents=True, exist_ok=True)
    meta = {"name": "p"}
    if source:
        meta["source"] = source
    if target:
        meta["target"] = target
    (proj / "project.yaml").write_text(yaml.safe_dump(meta))
    return Workspace.load(root)


def load_tables(
    ws: Workspace, conn_name: str, tables: dict[str, tuple[list[tuple[str, str]], list[tuple]]]
) -> None:
    """Create `tables` = {name: ([(column, type key of TYPES)], rows)} on the connection (dropping
    any existing table of that name)."""
    with open_connection(ws.connection(conn_name)) as conn:
        d = conn.dialect
        types = TYPES[d.name]
        for name, (cols, rows) in tables.items():
            ref = conn.table_ref(name)
            conn.execute(f"DROP TABLE IF EXISTS {ref}")
            conn.execute(
                f"CREATE TABLE {ref} ({', '.join(f'{d.quote(c)} {types[t]}' for c, t in cols)})"
            )
            if rows:
                values = ", ".join("(" + ", ".join(_lit(d, v) for v in r) + ")" for r in rows)
                conn.execute(f"INSERT INTO {ref} VALUES {values}")


def _lit(d, v: Any) -> str:
    import datetime as dt

    if isinstance(v, dt.datetime):
        return d.literal(v.strftime("%Y-%m-%d %H:%M:%S.%f"))
    if isinstance(v, dt.date):
        return d.literal(v.isoformat())
    return d.literal(v)


def run_yaml(
    ws: Workspace, text: str, *, name: str = "t", overrides: dict | None = None
) -> PipelineResult:
    """Write `text` as projects/p/pipelines/<name>.yaml, load and run it."""
    path = ws.root / "projects" / "p" / "pipelines" / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    ws = Workspace.load(ws.root)
    return run_pipeline(load_pipeline(path, ws), ws, overrides=overrides)


def by_name(result: PipelineResult) -> dict[str, Any]:
    """{check_name: CheckResult}."""
    return {c.check_name: c for c in result.checks}


def figures(c) -> tuple:
    """(status, total_rows, failed_rows, non_null_rows, duplicate_keys) of a CheckResult."""
    return (c.status, c.total_rows, c.failed_rows, c.non_null_rows, c.duplicate_keys)
