"""Without `schema_name`, extraction reads the connection's `options.schema` (the schema its
pipelines use), not the database's default schema."""

from __future__ import annotations

import duckdb


def test_options_schema_is_the_default_schema_of_an_extraction(make_engine, tmp_path):
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    with duckdb.connect(str(ws / "data" / "wh.duckdb")) as con:
        con.execute("CREATE SCHEMA sales")
        con.execute("CREATE TABLE sales.orders (id INTEGER PRIMARY KEY, amount DECIMAL(10, 2))")
        con.execute("CREATE TABLE main.other (x INTEGER)")
    (ws / "connections.yaml").write_text(
        "connections:\n  wh: {type: duckdb, path: data/wh.duckdb, options: {schema: sales}}\n"
        "  wh_main: {type: duckdb, path: data/wh.duckdb}\n"
    )
    eng = make_engine(workspace=ws)
    job = eng.submit(
        "bulk_metadata_extraction",
        {
            "job_name": "defaults",
            "items": [{"connection_name": "wh"}, {"connection_name": "wh_main"}],
        },
    )
    view = eng.wait(job.job_id, timeout=60)
    assert view.status.value == "completed"
    with eng.store.reader() as cur:
        rows = cur.execute(
            "SELECT connection_name, schema_name, table_count FROM catalog_snapshots "
            "ORDER BY connection_name"
        ).fetchall()
    assert rows == [("wh", "sales", 1), ("wh_main", "main", 1)]


def test_an_empty_schema_names_the_schemas_that_hold_tables(make_engine, tmp_path):
    """Data generation writes to schemas retail/finance; extracting `main` finds nothing and says
    where the tables are instead of a silent "0 tables"."""
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    with duckdb.connect(str(ws / "data" / "gen.duckdb")) as con:
        for schema in ("retail", "finance"):
            con.execute(f"CREATE SCHEMA {schema}")
            con.execute(f"CREATE TABLE {schema}.t (x INTEGER)")
    (ws / "connections.yaml").write_text(
        "connections:\n  gen: {type: duckdb, path: data/gen.duckdb}\n"
    )
    eng = make_engine(workspace=ws)
    job = eng.submit(
        "bulk_metadata_extraction",
        {
            "job_name": "empty",
            "items": [
                {"connection_name": "gen"},
                {"connection_name": "gen", "schema_name": "retail"},
            ],
        },
    )
    view = eng.wait(job.job_id, timeout=60)
    assert view.status.value == "completed"
    empty, retail = sorted(view.operations, key=lambda o: o.operation_id)
    assert empty.result["table_count"] == 0
    assert empty.result["hint"] == (
        "schema 'main' has no tables or views; other schemas here: finance, retail (set schema_name)"
    )
    assert empty.summary.endswith(empty.result["hint"])
    assert retail.result["table_count"] == 1 and "hint" not in retail.result
