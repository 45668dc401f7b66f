"""Fixtures for data generation tests: a temporary workspace and a DuckDB cursor."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def write_workspace(root: Path, extra: dict | None = None) -> Path:
    """A workspace in `root`: `generated` (DuckDB in root/data), `extra` connections (generation
    targets: `allow_generate: true` unless they say otherwise), and the shipped synthetic_data
    project (its pipelines validate the generated schemas)."""
    targets = {name: {"allow_generate": True, **body} for name, body in (extra or {}).items()}
    conns = {"generated": {"type": "duckdb", "path": "data/generated.duckdb"}, **targets}
    root.mkdir(parents=True, exist_ok=True)
    (root / "connections.yaml").write_text(yaml.safe_dump({"connections": conns}), encoding="utf-8")
    shutil.copytree(
        PROJECT_ROOT / "examples" / "workspace" / "projects" / "synthetic_data",
        root / "projects" / "synthetic_data",
    )
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A temporary workspace whose `generated` connection is tmp_path/ws/data/generated.duckdb."""
    return write_workspace(tmp_path / "ws")


@pytest.fixture
def cur():
    """A cursor on a fresh in-memory DuckDB database."""
    con = duckdb.connect()
    c = con.cursor()
    yield c
    c.close()
    con.close()


@pytest.fixture
def pg_database(pg_url: str):
    """A fresh PostgreSQL database `bt_<random>` for one test (generation writes schema-per-type
    layouts such as `retail.*`, which must not collide with other tests); yields its URL."""
    import secrets

    import psycopg

    name = f"bt_{secrets.token_hex(4)}"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    yield pg_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
