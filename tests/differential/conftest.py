"""Session fixture for the differential harness: the four databases, opened once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from batchcore.workspace import ConnectionSpec
from tests.differential.harness import Databases


@pytest.fixture(scope="session")
def diff_dbs(request, tmp_path_factory) -> Iterator[Databases]:
    """DuckDB and SQLite files in a temporary folder, PostgreSQL's and MariaDB's `test`
    databases (tables `harness_<random>_s` / `_t`, dropped at the end). PostgreSQL and MariaDB
    come from the shared fixtures (skipped, or failed under BATCH_REQUIRE_DBS=1, when absent)."""
    root = tmp_path_factory.mktemp("differential")
    specs = {
        "duckdb": ConnectionSpec("duckdb", "duckdb", path=str(root / "diff.duckdb")),
        "sqlite": ConnectionSpec(
            "sqlite", "sqlite", path=str(root / "diff.sqlite"), options={"create": True}
        ),
        "postgres": ConnectionSpec("postgres", "postgres", url=request.getfixturevalue("pg_url")),
        "mysql": ConnectionSpec("mysql", "mysql", url=request.getfixturevalue("mysql_url")),
    }
    dbs = Databases(specs)
    yield dbs
    dbs.close()
