"""A server that refuses (unknown role or database) is not retried; one that is unreachable is."""

from __future__ import annotations

import pytest

from batchcore.connections import open_connection
from batchcore.errors import ConnectionFailed, ConnectionRejected
from batchcore.models import JobStatus
from batchcore.workspace import ResolvedConnection
from tests.engine.conftest import noops


def _open(kind: str, url: str):
    return open_connection(ResolvedConnection("x", kind, None, url, {}))


@pytest.mark.postgres
def test_postgres_refusals_are_rejections_and_a_closed_port_is_a_failure(pg_url):
    base = pg_url.rsplit("/", 1)[0]
    with pytest.raises(ConnectionRejected, match='database "no_such_db_bt" does not exist'):
        _open("postgres", f"{base}/no_such_db_bt")
    # the user name is part of the connection's secrets: redacted from the server's answer
    with pytest.raises(ConnectionRejected, match='role "<user>" does not exist'):
        _open("postgres", "postgresql://no_such_role_bt@" + base.split("@", 1)[1] + "/test")
    with pytest.raises(ConnectionFailed, match="cannot connect to PostgreSQL"):
        _open("postgres", "postgresql://postgres@127.0.0.1:1/test")


@pytest.mark.mysql
def test_mysql_unknown_database_is_a_rejection(mysql_url):
    base = mysql_url.rsplit("/", 1)[0]
    with pytest.raises(ConnectionRejected, match="Unknown database 'no_such_db_bt'"):
        _open("mysql", f"{base}/no_such_db_bt")
    with pytest.raises(ConnectionFailed, match="cannot connect to MySQL"):
        _open("mysql", "mysql://root@127.0.0.1:1/test")


@pytest.mark.parametrize(
    "exc,attempts", [(ConnectionRejected("refused"), 1), (ConnectionFailed("down"), 3)]
)
def test_rejections_are_not_retried_and_failures_are(make_engine, monkeypatch, exc, attempts):
    from batchcore import operations

    def raise_it(spec, ctx):
        raise exc

    monkeypatch.setitem(operations._CACHE, "noop", raise_it)
    eng = make_engine()
    job = eng.submit_operations("conn", noops(1), max_retries=2)
    view = eng.wait(job.job_id, timeout=10)
    assert view.status == JobStatus.FAILED
    assert view.operations[0].attempts == attempts
    assert view.operations[0].error == f"{type(exc).__name__}: {exc}"
