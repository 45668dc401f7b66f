"""No secret leaves a connection: URL, user, password and `${ENV}` values are redacted from every
error text (operation errors in the store, check errors, the API, exports), whatever the
driver's exception class; a malformed URL is refused without being echoed; operation errors
name no absolute server path. Real PostgreSQL and MariaDB accounts with passwords full of
URL-special characters, created for the test and dropped after it."""

from __future__ import annotations

import json
import secrets
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from fastapi.testclient import TestClient

from batchcore.api import create_api
from batchcore.connections import open_connection, url_problem
from batchcore.errors import ConnectionRejected
from batchcore.redact import connection_secrets, redact_exception, redact_paths, redact_secrets
from batchcore.workspace import ResolvedConnection

# the password from the break-it report: every URL-special character
PASSWORD = "p%2Fa:s@s/w#rd?&="
# fragments that would betray it (its URL-encoded form too)
LEAKS = [PASSWORD, quote(PASSWORD, safe=""), "p%2Fa", "p/a:s", "w#rd", "s@s/w", "rd?&="]


def _leaks(text: str, extra: list[str] = ()) -> list[str]:
    return [s for s in [*LEAKS, *extra] if s in text]


# ---------------------------------------------------------------- the redaction itself


def test_secrets_of_a_url_are_found_even_when_it_is_malformed():
    raw = f"postgresql://etl_bot:{PASSWORD}@db.internal:5432/sales"
    found = dict(connection_secrets("pg", [raw]))
    assert found[raw] == "<url of pg>"
    assert found["etl_bot"] == "<user>"
    # read up to the first '@' and up to the last one: both candidates are hidden
    assert found["p%2Fa:s"] == "***" and found["p/a:s"] == "***"
    assert found["p%2Fa:s@s/w#rd?&="] == "***"
    text = f"could not connect: invalid URI {raw}; user etl_bot; token p/a:s@s"
    out = redact_secrets(text, connection_secrets("pg", [raw]))
    assert _leaks(out, ["etl_bot"]) == []
    assert out == "could not connect: invalid URI <url of pg>; user <user>; token ***@s"


def test_short_secrets_are_replaced_as_whole_words_and_default_users_are_kept():
    found = connection_secrets("m", ["mysql://root:ab@h/db"])
    assert dict(found) == {"mysql://root:ab@h/db": "<url of m>", "ab": "***"}
    assert redact_secrets("table abc: bad value ab (user root)", found) == (
        "table abc: bad value *** (user root)"
    )


def test_malformed_urls_are_refused_naming_the_part_not_the_value():
    cases = {
        f"postgresql://u:{PASSWORD}@h/db": "it holds a '#'",
        "postgresql://u:pa%ss@h/db": "it holds a '%' not followed by two hex digits",
        "postgresql://u:p#w@h/db": "it holds a '#'",
        "postgresql://u:p@w@h/db": "it holds more than one '@'",
        "postgresql://u:p/w@h/db": "its user or password holds '/' or '?'",
    }
    for url, why in cases.items():
        assert url_problem(url).startswith(why)
        with pytest.raises(ConnectionRejected) as got:
            open_connection(ResolvedConnection("pg", "postgres", None, url, {}))
        assert got.value.message.startswith("connection pg: the url is not a valid URL: " + why)
        assert _leaks(str(got.value), ["pa%ss", "p#w", "p@w", "p/w"]) == []
    encoded = f"postgresql://u:{quote(PASSWORD, safe='')}@h:5432/db?sslmode=disable&x=1"
    assert url_problem(encoded) is None


def test_any_exception_class_is_rewritten_in_place_with_its_cause():
    class DriverError(Exception):
        pass

    try:
        try:
            raise sqlite3.OperationalError(f"bad token {PASSWORD}")
        except sqlite3.OperationalError as inner:
            raise DriverError(1045, f"denied for {PASSWORD}") from inner
    except DriverError as exc:
        raised = exc
        got = redact_exception(exc, lambda t: t.replace(PASSWORD, "***"))
    assert got is raised and isinstance(got, DriverError) and got.args == (1045, "denied for ***")
    assert str(got.__cause__) == "bad token ***"


def test_paths_become_labels_and_file_names():
    text = "cannot open /srv/ws/data/wh.duckdb; see /var/lib/x/y.log; url http://h/a/b; 3/4/5"
    assert redact_paths(text, [("/srv/ws", "<workspace>")]) == (
        "cannot open <workspace>/data/wh.duckdb; see <path>/y.log; url http://h/a/b; 3/4/5"
    )


# ---------------------------------------------------------------- end to end, real servers


@pytest.fixture
def pg_account(pg_url):
    """A PostgreSQL role `bt_<hex>` whose password is PASSWORD; dropped afterwards."""
    import psycopg

    role = f"bt_{secrets.token_hex(4)}"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(
            psycopg.sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                psycopg.sql.Identifier(role), psycopg.sql.Literal(PASSWORD)
            )
        )
    yield role
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def mysql_account(mysql_url, mysql_database):
    """A MariaDB user `bt_<hex>` (any host) whose password is PASSWORD, allowed to read the
    test's database; dropped afterwards."""
    import pymysql

    from batchcore.connections import _mysql_params

    user = f"bt_{secrets.token_hex(4)}"
    db = mysql_database.rsplit("/", 1)[1]
    con = pymysql.connect(autocommit=True, **{**_mysql_params(mysql_url), "database": None})
    with con.cursor() as cur:
        for host in ("%", "localhost", "127.0.0.1"):
            cur.execute("CREATE USER %s@%s IDENTIFIED BY %s", (user, host, PASSWORD))
            cur.execute(f"GRANT SELECT ON `{db}`.* TO %s@%s", (user, host))
    yield user
    with con.cursor() as cur:
        for host in ("%", "localhost", "127.0.0.1"):
            cur.execute("DROP USER IF EXISTS %s@%s", (user, host))
    con.close()


def _workspace(root: Path, connections: dict, pipelines: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "connections.yaml").write_text(yaml.safe_dump({"connections": connections}))
    pl = root / "projects" / "p" / "pipelines"
    pl.mkdir(parents=True)
    (root / "projects" / "p" / "project.yaml").write_text("name: p\n")
    for name, text in pipelines.items():
        (pl / f"{name}.yaml").write_text(text)
    return root


def _everything_said(eng, job_id: str, client: TestClient) -> str:
    """Every text the product shows about a job: store views, API answers, both exports."""
    parts = [json.dumps(eng.get_job(job_id).model_dump(mode="json"))]
    parts += [json.dumps([o.model_dump(mode="json") for o in eng.operations(job_id)])]
    parts += [json.dumps(eng.attempts(job_id), default=str)]
    parts += [json.dumps(eng.check_results(job_id), default=str)]
    for url in (
        f"/jobs/{job_id}",
        f"/jobs/{job_id}/operations",
        f"/jobs/{job_id}/export?format=json",
        f"/jobs/{job_id}/export?format=csv",
    ):
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text)
        parts.append(answer.text)
    return "\n".join(parts)


def _run_all(eng, client, pipelines: list[str], connections: list[str]) -> tuple[str, list]:
    job = eng.submit(
        "bulk_pipeline_execution",
        {"job_name": "leaks", "pipelines": [{"pipeline_id": p} for p in pipelines]},
    )
    meta = eng.submit(
        "bulk_metadata_extraction",
        {"job_name": "leaks-meta", "items": [{"connection_name": c} for c in connections]},
    )
    eng.wait(job.job_id, timeout=120)
    eng.wait(meta.job_id, timeout=120)
    said = _everything_said(eng, job.job_id, client) + _everything_said(eng, meta.job_id, client)
    ops = eng.operations(job.job_id) + eng.operations(meta.job_id)
    return said, ops


@pytest.mark.postgres
def test_postgres_passwords_never_leak(tmp_path, pg_url, pg_account, make_engine, monkeypatch):
    host = pg_url.split("@", 1)[1].rsplit("/", 1)[0]
    enc = quote(PASSWORD, safe="")
    monkeypatch.setenv("BT_PG_SECRET", enc)
    monkeypatch.setenv("BT_PG_HOST", "secret-host-bt.invalid")
    conns = {
        # right password, a failing query (unknown table) and an unknown database
        "good": {"type": "postgres", "url": f"postgresql://{pg_account}:{enc}@{host}/test"},
        "nodb": {"type": "postgres", "url": f"postgresql://{pg_account}:{enc}@{host}/nodb_bt"},
        # the password written raw: a malformed URL; and a raw '%'
        "raw": {"type": "postgres", "url": f"postgresql://{pg_account}:{PASSWORD}@{host}/test"},
        "pct": {"type": "postgres", "url": f"postgresql://{pg_account}:pa%ss@{host}/test"},
        # from the environment: the password, and a host that does not resolve
        "env": {
            "type": "postgres",
            "url": f"postgresql://{pg_account}:${{BT_PG_SECRET}}@${{BT_PG_HOST}}/test",
        },
        "badpw": {"type": "postgres", "url": f"postgresql://{pg_account}:wrong{enc}@{host}/test"},
    }
    pipelines = {
        name: f"target: {name}\nchecks: [{{type: row_count, table: no_such_table_bt, min: 1}}]\n"
        for name in conns
    }
    root = _workspace(tmp_path / "ws", conns, pipelines)
    eng = make_engine(workspace=root)
    with TestClient(create_api(engine=eng, token=None)) as client:
        said, ops = _run_all(eng, client, list(pipelines), list(conns))
    assert _leaks(said, [pg_account, "secret-host-bt.invalid", enc]) == []
    errors = {o.operation_id: o.error or "" for o in ops}
    assert any("could not run" in e or "no_such_table_bt" in e for e in errors.values())
    assert "${BT_PG_HOST}" in said  # the env value is named by its variable, not its value
    assert "the url is not a valid URL: it holds a '%' not followed by two hex digits" in said
    assert errors["pipeline_1_nodb"].endswith('FATAL:  database "nodb_bt" does not exist')
    assert str(root) not in said and str(tmp_path) not in said


@pytest.mark.mysql
def test_mariadb_passwords_never_leak(
    tmp_path, mysql_url, mysql_database, mysql_account, make_engine
):
    host = mysql_url.split("@", 1)[1].rsplit("/", 1)[0]
    db = mysql_database.rsplit("/", 1)[1]
    enc = quote(PASSWORD, safe="")
    conns = {
        "good": {"type": "mysql", "url": f"mysql://{mysql_account}:{enc}@{host}/{db}"},
        "nodb": {"type": "mysql", "url": f"mysql://{mysql_account}:{enc}@{host}/nodb_bt"},
        "raw": {"type": "mysql", "url": f"mysql://{mysql_account}:{PASSWORD}@{host}/{db}"},
        "pct": {"type": "mysql", "url": f"mysql://{mysql_account}:pa%ss@{host}/{db}"},
        "badpw": {"type": "mysql", "url": f"mysql://{mysql_account}:x{enc}@{host}/{db}"},
    }
    pipelines = {
        name: f"target: {name}\nchecks: [{{type: row_count, table: no_such_table_bt, min: 1}}]\n"
        for name in conns
    }
    root = _workspace(tmp_path / "ws", conns, pipelines)
    eng = make_engine(workspace=root)
    with TestClient(create_api(engine=eng, token=None)) as client:
        said, ops = _run_all(eng, client, list(pipelines), list(conns))
    assert _leaks(said, [mysql_account, enc]) == []
    assert "Access denied for user '<user>'" in said
    assert "the url is not a valid URL" in said
    good = next(o for o in ops if o.operation_id == "pipeline_0_good")
    assert good.status == "failed"  # it connected (the password works) and the check errored


def test_file_connections_hide_env_values_and_server_paths(tmp_path, make_engine, monkeypatch):
    data = tmp_path / "secret_dir_bt"
    data.mkdir()
    monkeypatch.setenv("BT_DATA_DIR", str(data))
    conns = {"lite": {"type": "sqlite", "path": "${BT_DATA_DIR}/missing.sqlite"}}
    root = _workspace(
        tmp_path / "ws", conns, {"pl": "target: lite\nchecks: [{type: row_count, table: t}]\n"}
    )
    eng = make_engine(workspace=root)
    with TestClient(create_api(engine=eng, token=None)) as client:
        said, _ = _run_all(eng, client, ["pl"], ["lite"])
    assert "secret_dir_bt" not in said and str(tmp_path) not in said
    assert "${BT_DATA_DIR}/missing.sqlite" in said
