"""Pipeline SQL is contained: one expression / one SELECT through the gate, read-only sessions
in every database, no server files. Each attack runs against the real database it targets."""

from __future__ import annotations

import textwrap

import duckdb
import pytest

from batchcore.connections import open_connection
from batchcore.errors import ConfigError
from batchcore.validation import lint_pipeline, load_pipeline, run_pipeline
from batchcore.validation.sqlguard import SqlRefused, safe_query, safe_where
from tests.validation.vhelpers import load_tables, make_ws

# the attack from the break-it report: closes the wrapper's parenthesis and adds statements
ATTACK = "1=1); CREATE TABLE pwned(a int); SELECT 1 WHERE (1=1"


def write(ws, text: str, name: str = "pl"):
    path = ws.root / "projects" / "p" / "pipelines" / f"{name}.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


# ---------------------------------------------------------------- the gate itself


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "mysql", "sqlite"])
def test_gate_refuses_statements_where_an_expression_belongs(dialect):
    refused = {
        ATTACK: "where cannot be read as one boolean expression in "
        f"{dialect} SQL (Invalid expression / Unexpected token at line 1, column 4)",
        "a = 1; DROP TABLE flights": "where holds 2 statements: give one boolean expression (no ';')",
        "SELECT 1": 'where is a statement (SELECT): give one boolean expression, e.g. "year = 2013"',
        "EXISTS (SELECT 1 FROM t FOR UPDATE)": "where may only read: LOCK is not allowed",
        "": "where is empty: give one boolean expression",
    }
    for text, message in refused.items():
        with pytest.raises(SqlRefused) as got:
            safe_where(text, dialect)
        assert str(got.value) == message


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "mysql", "sqlite"])
def test_gate_keeps_expressions_as_written_without_comments(dialect):
    assert safe_where("dep_time IS NULL -- why\n OR origin IN ('EWR','JFK')", dialect) == (
        "dep_time IS NULL OR origin IN ('EWR','JFK')"
    )
    assert safe_where("x = 'a--b' /* c */ AND y = 2", dialect) == "x = 'a--b' AND y = 2"
    assert safe_where("customer_id IN (SELECT id FROM active)", dialect) == (
        "customer_id IN (SELECT id FROM active)"
    )
    # MySQL runs the body of /*! ... */: it is a comment to the gate, so it is left out
    assert safe_where("1=1 /*!) INTO OUTFILE '/tmp/x' */", dialect) == "1=1"


def test_gate_sql_check_is_one_select():
    assert safe_query("with x as (select 1 a) select * from x", "postgres") == (
        "with x as (select 1 a) select * from x"
    )
    assert safe_query("select 1 union all select 2 -- both\n", "duckdb") == (
        "select 1 union all select 2"
    )
    refused = {
        "insert into t values (1)": "query is not a SELECT (INSERT): a sql check runs one SELECT",
        "select 1; select 2": "query holds 2 statements: give one SELECT statement (no ';')",
        "select * into copy from t": "query may only read: INTO is not allowed",
        "with d as (delete from t returning *) select * from d": "query may only read: DELETE is not allowed",
    }
    for text, message in refused.items():
        with pytest.raises(SqlRefused) as got:
            safe_query(text, "postgres")
        assert str(got.value) == message


@pytest.mark.parametrize(
    ("dialect", "call"),
    [
        ("postgres", "pg_read_file('/etc/passwd')"),
        ("postgres", "pg_catalog.pg_read_binary_file('/etc/passwd')"),
        ("postgres", "lo_import('/etc/passwd')"),
        ("postgres", "pg_ls_dir('/')"),
        ("postgres", "set_config('default_transaction_read_only', 'off', false)"),
        ("postgres", "query_to_xml('select 1', true, true, '')"),
        ("mysql", "load_file('/etc/passwd')"),
        ("duckdb", "read_csv('/etc/passwd')"),
        ("duckdb", "read_text('/etc/passwd')"),
        ("duckdb", "glob('/etc/*')"),
        ("duckdb", "query('select 1')"),
        ("sqlite", "load_extension('/tmp/x.so')"),
    ],
)
def test_gate_refuses_functions_that_reach_files_settings_or_dynamic_sql(dialect, call):
    name = call.split("(")[0].split(".")[-1].lower()
    with pytest.raises(SqlRefused, match=rf"^where calls {name}\(\), which pipelines may not use"):
        safe_where(f"length(CAST({call} AS TEXT)) > 0", dialect)
    with pytest.raises(SqlRefused, match=rf"^query calls {name}\(\)"):
        safe_query(f"SELECT * FROM (SELECT {call} AS x) q", dialect)


def test_gate_refuses_duckdb_files_named_as_tables():
    for text in ("select * from '/etc/passwd'", 'select * from "flights.csv"'):
        with pytest.raises(SqlRefused, match=r"reads the file .*: pipelines read tables only"):
            safe_query(text, "duckdb")


# ---------------------------------------------------------------- the attack, end to end


def _tables(conn_spec) -> set[str]:
    with open_connection(conn_spec) as conn:
        if conn.dialect.name == "postgres":
            _, rows = conn.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (conn.schema,),
            )
        else:
            _, rows = conn.query("SELECT table_name FROM information_schema.tables")
    return {r[0] for r in rows}


def _attack_ws(tmp_path, request, kind):
    if kind == "duckdb":
        spec = {"type": "duckdb", "path": "db.duckdb"}
    else:
        schema = request.getfixturevalue("pg_schema")
        spec = {
            "type": "postgres",
            "url": request.getfixturevalue("pg_url"),
            "options": {"schema": schema},
        }
    ws = make_ws(tmp_path / "ws", {"db": spec}, target="db")
    load_tables(ws, "db", {"flights": ([("id", "int")], [(1,), (2,)])})
    return ws


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_statement_attack_is_refused_by_lint_load_and_run_and_creates_nothing(
    kind, tmp_path, request, make_engine
):
    ws = _attack_ws(tmp_path, request, kind)
    before = _tables(ws.connection("db"))
    path = write(
        ws,
        f"""
        checks:
          - {{type: not_null, table: flights, column: id, where: "{ATTACK}"}}
          - {{type: sql, name: sneaky, query: "select * from flights; create table pwned2(a int)"}}
        """,
    )
    # lint (the Pipelines page runs exactly this) reports both, at their lines, naming the field
    problems = [str(p) for p in lint_pipeline(path, ws)]
    assert problems == [
        f"{path}:2: check 1 (not_null): where: refused for target connection db ({kind}): where "
        f"cannot be read as one boolean expression in {kind} SQL (Invalid expression / "
        "Unexpected token at line 1, column 4)",
        f"{path}:3: check 2 (sql): query: refused for target connection db ({kind}): query "
        "holds 2 statements: give one SELECT statement (no ';')",
    ]
    with pytest.raises(ConfigError, match="2 problem"):
        load_pipeline(path, ws)
    eng = make_engine(workspace=ws.root)
    job = eng.submit(
        "bulk_pipeline_execution", {"job_name": "attack", "pipelines": [{"pipeline_id": "pl"}]}
    )
    eng.wait(job.job_id, timeout=60)
    (op,) = eng.operations(job.job_id)
    assert op.status == "failed" and "where cannot be read as one boolean expression" in op.error
    assert _tables(ws.connection("db")) == before  # nothing was created, by lint or by the run


def test_a_config_override_to_another_dialect_is_checked_again_at_run_time(tmp_path):
    ws = make_ws(
        tmp_path / "ws",
        {
            "db": {"type": "duckdb", "path": "db.duckdb"},
            "lite": {"type": "sqlite", "path": "lite.sqlite", "options": {"create": True}},
        },
        target="db",
    )
    for name in ("db", "lite"):
        load_tables(ws, name, {"t": ([("x", "text")], [("a",), ("b",)])})
    # `~` is a regex match in DuckDB, not SQL in SQLite: the file passes for its target
    path = write(ws, "checks: [{type: not_null, table: t, column: x, where: \"x ~ 'a'\"}]")
    spec = load_pipeline(path, ws)
    assert run_pipeline(spec, ws).checks[0].total_rows == 1
    res = run_pipeline(spec, ws, overrides={"target": "lite"})
    assert res.checks[0].status == "error"
    assert res.checks[0].error.startswith(
        "where cannot be read as one boolean expression in sqlite SQL"
    )


@pytest.mark.mysql
def test_mysql_executable_comment_does_not_run(tmp_path, mysql_url, mysql_database):
    url = mysql_database
    ws = make_ws(tmp_path / "ws", {"db": {"type": "mysql", "url": url}}, target="db")
    load_tables(ws, "db", {"f": ([("origin", "text")], [("EWR",), ("JFK",), ("LGA",)])})
    # MariaDB would run "OR 1=1" inside /*! ... */: the gate leaves the comment out
    path = write(
        ws,
        "checks: [{type: row_count, table: f, min: 0, where: \"origin = 'EWR' /*! OR 1=1 */\"}]",
    )
    res = run_pipeline(load_pipeline(path, ws), ws)
    assert res.checks[0].total_rows == 1
    assert "/*!" not in res.checks[0].sql and "origin = 'EWR'" in res.checks[0].sql


# ---------------------------------------------------------------- read-only sessions, bypassing the gate


def test_duckdb_read_only_session_and_no_file_access(tmp_path):
    ws = make_ws(tmp_path / "ws", {"db": {"type": "duckdb", "path": "db.duckdb"}}, target="db")
    load_tables(ws, "db", {"t": ([("x", "int")], [(1,)])})
    with open_connection(ws.connection("db")) as conn:
        conn.execute("CREATE SEQUENCE seq")
    with open_connection(ws.connection("db"), read_only=True) as conn:
        assert conn.query("SELECT count(*) FROM t") == (["count_star()"], [(1,)])
        with pytest.raises(duckdb.Error, match=r"one SELECT per call \(got CREATE\)"):
            conn.query("CREATE TABLE pwned AS SELECT 1")
        # a SELECT that would write (a sequence) meets the READ ONLY transaction
        with pytest.raises(duckdb.Error, match="read-only"):
            conn.query("SELECT nextval('seq')")
        with pytest.raises(duckdb.Error, match=r"one SELECT per call \(got SELECT, CREATE\)"):
            conn.query("SELECT 1; CREATE TABLE pwned(a int)")
        with pytest.raises(duckdb.Error, match="file system operations are disabled"):
            conn.query("SELECT * FROM read_csv('/etc/passwd')")
        assert conn.query("SELECT 2") == (["2"], [(2,)])  # the session still works
    # the same file, writable (the data generator's session), has no file access either
    with open_connection(ws.connection("db")) as conn:
        with pytest.raises(duckdb.Error, match="file system operations are disabled"):
            conn.query(f"COPY t TO '{tmp_path / 'out.csv'}'")
        conn.execute("CREATE TABLE made AS SELECT 1 AS a")
    assert "made" in _tables(ws.connection("db")) and "pwned" not in _tables(ws.connection("db"))
    assert not (tmp_path / "out.csv").exists()


def test_sqlite_read_only_session(tmp_path):
    ws = make_ws(
        tmp_path / "ws",
        {"lite": {"type": "sqlite", "path": "lite.sqlite", "options": {"create": True}}},
        target="lite",
    )
    load_tables(ws, "lite", {"t": ([("x", "int")], [(1,)])})
    with open_connection(ws.connection("lite"), read_only=True) as conn:
        assert conn.query("SELECT count(*) FROM t")[1] == [(1,)]
        for sql in ("CREATE TABLE pwned(a int)", "DELETE FROM t"):
            with pytest.raises(Exception, match="attempt to write a readonly database"):
                conn.query(sql)
        other = tmp_path / "other.db"
        with pytest.raises(Exception, match="too many attached databases - max 0"):
            conn.query(f"ATTACH '{other}' AS o")
        assert not other.exists()
    with open_connection(ws.connection("lite")) as conn:
        assert conn.query("SELECT count(*) FROM t")[1] == [(1,)]


@pytest.mark.postgres
def test_postgres_read_only_session_and_file_functions(tmp_path, pg_url, pg_schema, make_engine):
    ws = make_ws(
        tmp_path / "ws",
        {"pg": {"type": "postgres", "url": pg_url, "options": {"schema": pg_schema}}},
        target="pg",
    )
    load_tables(ws, "pg", {"t": ([("x", "int")], [(1,)])})
    with open_connection(ws.connection("pg"), read_only=True) as conn:
        with pytest.raises(Exception, match="read-only transaction"):
            conn.query(f'CREATE TABLE "{pg_schema}".pwned (a int)')
        with pytest.raises(Exception, match="cannot insert multiple commands"):
            conn.query(f'SELECT 1; CREATE TABLE "{pg_schema}".pwned (a int)')
        (large_objects,) = conn.query("SELECT count(*) FROM pg_largeobject_metadata")[1][0]
    # through a pipeline, the file functions never reach the server (the test user is a superuser)
    path = write(
        ws,
        """
        checks:
          - {type: sql, name: passwd, query: "select pg_read_file('/etc/passwd') as f"}
          - {type: sql, name: lo, query: "select lo_import('/etc/passwd') as o"}
          - {type: row_count, table: t, where: "length(pg_read_file('/etc/hostname')) > 0"}
        """,
    )
    messages = [p.message for p in lint_pipeline(path, ws)]
    assert [m.split(": ", 1)[1].split(",")[0] for m in messages] == [
        "query calls pg_read_file()",
        "query calls lo_import()",
        "where calls pg_read_file()",
    ]
    eng = make_engine(workspace=ws.root)
    job = eng.submit(
        "bulk_pipeline_execution", {"job_name": "files", "pipelines": [{"pipeline_id": "pl"}]}
    )
    eng.wait(job.job_id, timeout=60)
    (op,) = eng.operations(job.job_id)
    assert op.status == "failed" and "calls pg_read_file()" in op.error
    with open_connection(ws.connection("pg")) as conn:
        assert conn.query("SELECT count(*) FROM pg_largeobject_metadata")[1][0][0] == large_objects


@pytest.mark.mysql
def test_mariadb_read_only_session_and_load_file(tmp_path, mysql_url, mysql_database):
    url = mysql_database
    ws = make_ws(tmp_path / "ws", {"db": {"type": "mysql", "url": url}}, target="db")
    load_tables(ws, "db", {"t": ([("x", "int")], [(1,)])})
    with open_connection(ws.connection("db"), read_only=True) as conn:
        assert conn.query("SELECT count(*) FROM t")[1] == [(1,)]
        with pytest.raises(Exception, match="READ ONLY transaction"):
            conn.query("CREATE TABLE pwned (a int)")
    # a FILE-privileged account (root here) could still read and write server files with one
    # SELECT (LOAD_FILE, INTO OUTFILE: a READ ONLY transaction does not stop these): the gate does
    outfile = tmp_path / "never.txt"
    path = write(
        ws,
        f"""
        checks:
          - {{type: sql, name: f, query: "select load_file('/etc/passwd') as f"}}
          - {{type: sql, name: o, query: "select * from t into outfile '{outfile}'"}}
          - {{type: row_count, table: t, where: "1=1) into outfile '{outfile}' -- "}}
        """,
    )
    problems = lint_pipeline(path, ws)
    expected = [
        ("query", "query calls load_file(), which pipelines may not use"),
        ("query", "query cannot be read as one SELECT statement in mysql SQL"),
        ("where", "where cannot be read as one boolean expression in mysql SQL"),
    ]
    assert [p.field for p in problems] == [f for f, _ in expected]
    for p, (_, start) in zip(problems, expected, strict=True):
        assert p.message.startswith(f"refused for target connection db (mysql): {start}")
    assert not outfile.exists()


# ---------------------------------------------------------------- one DuckDB instance per file


def test_generation_writes_a_duckdb_file_a_validation_session_holds_open(tmp_path, make_engine):
    """Validation and the data generator share the process's one instance of a DuckDB file (one
    configuration: no external access). The generator needs no file access, so it writes while
    a read-only session is open, and that session reads what it wrote."""
    from tests.datagen.conftest import write_workspace

    root = write_workspace(tmp_path / "ws")
    eng = make_engine(workspace=root)
    ws = eng.workspace()
    (root / "data").mkdir(exist_ok=True)
    with open_connection(ws.connection("generated"), read_only=True) as reader:
        assert reader.query("SELECT count(*) FROM information_schema.tables")[1] == [(0,)]
        job = eng.submit(
            "batch_data_generation",
            {
                "job_name": "gen",
                "items": [{"schema_type": "Retail", "row_count": 2_000, "seed": 7}],
            },
        )
        assert eng.wait(job.job_id, timeout=120).status.value == "completed"
        _, rows = reader.query("SELECT count(*) FROM retail.fact_sales")
        assert rows == [(2_000,)]
        with pytest.raises(duckdb.Error, match="file system operations are disabled"):
            reader.query("SELECT * FROM read_csv('/etc/passwd')")
    # and the shipped pipeline validates the generated schema on that same file afterwards
    pipe = eng.submit(
        "bulk_pipeline_execution",
        {
            "job_name": "check",
            "project_id": "synthetic_data",
            "pipelines": [{"pipeline_id": "retail_validation"}],
        },
    )
    assert eng.wait(pipe.job_id, timeout=120).status.value == "completed"


def test_a_workspace_connection_cannot_open_the_job_store(tmp_path, make_engine):
    """The job store is open in this process with another configuration: a connection naming
    its file is refused (not retried), and the store is untouched."""
    jobs = tmp_path / "jobs"
    ws = make_ws(
        tmp_path / "ws",
        {"store": {"type": "duckdb", "path": str(jobs / "batch.duckdb")}},
        target="store",
    )
    write(ws, "checks: [{type: row_count, table: jobs, min: 0}]", "peek")
    eng = make_engine(workspace=ws.root)
    job = eng.submit(
        "bulk_pipeline_execution",
        {"job_name": "peek", "pipelines": [{"pipeline_id": "peek"}], "max_retries": 2},
    )
    eng.wait(job.job_id, timeout=60)
    (op,) = eng.operations(job.job_id)
    assert op.status == "failed" and op.attempts == 1
    assert "this process already has it open with other settings" in op.error
