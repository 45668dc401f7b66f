"""Freshness uses the database's clock: a naive timestamp column holds the writing session's
local time and is compared with the reading session's local clock; a TIMESTAMPTZ column (MariaDB
TIMESTAMP) is an instant compared with the current instant, whatever the session's zone.

Writers here run in UTC−5 and store "10 minutes ago" in both kinds of column; the product reads
in the same zone (PostgreSQL `-c TimeZone=...` in the URL or `options.time_zone`; MariaDB
`options.time_zone`) or in its default zone.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.validation.vhelpers import by_name, make_ws, run_yaml

CHECKS = """
checks:
  - {type: freshness, table: f, column: ts, max_age: 1h, name: naive}
  - {type: freshness, table: f, column: tstz, max_age: 1h, name: instant}
"""


def ages(ws) -> dict[str, tuple[str, float, str]]:
    r = by_name(run_yaml(ws, CHECKS))
    return {
        n: (c.status, c.observed.get("age_seconds"), c.observed.get("clock")) for n, c in r.items()
    }


def near_10_min(age: float) -> bool:
    return 590 <= age <= 900  # 10 minutes, plus however long the test took to get here


@pytest.mark.postgres
def test_postgres_naive_column_against_the_sessions_local_clock(pg_url, pg_schema, tmp_path):
    import psycopg

    zone = "America/New_York"
    with psycopg.connect(pg_url, autocommit=True, options=f"-c TimeZone={zone}") as con:
        con.execute(f'CREATE TABLE "{pg_schema}".f (ts timestamp, tstz timestamptz)')
        con.execute(
            f"""INSERT INTO "{pg_schema}".f VALUES
            (localtimestamp - interval '10 minutes', now() - interval '10 minutes'), (NULL, NULL)"""
        )
    sep = "&" if "?" in pg_url else "?"
    url_tz = f"{pg_url}{sep}options=-c%20TimeZone%3D{zone.replace('/', '%2F')}"
    conns = {
        "url": {"type": "postgres", "url": url_tz, "options": {"schema": pg_schema}},
        "opt": {
            "type": "postgres",
            "url": pg_url,
            "options": {"schema": pg_schema, "time_zone": zone},
        },
        "utc": {
            "type": "postgres",
            "url": pg_url,
            "options": {"schema": pg_schema, "time_zone": "UTC"},
        },
    }
    for name in conns:
        ws = make_ws(tmp_path / name, conns, target=name)
        got = ages(ws)
        assert got["instant"][0] == "passed" and near_10_min(got["instant"][1]), (name, got)
        assert got["instant"][2] == "UTC"
        if name == "utc":  # New York wall time read as UTC wall time: 5 hours older
            assert got["naive"][0] == "failed" and near_10_min(got["naive"][1] - 5 * 3600), got
        else:
            assert got["naive"][0] == "passed" and near_10_min(got["naive"][1]), (name, got)
            assert got["naive"][2] == f"session local time ({zone})", got


@pytest.mark.mysql
def test_mariadb_datetime_against_the_sessions_time_zone(mysql_database, tmp_path):
    import pymysql

    from batchcore.connections import _mysql_params

    con = pymysql.connect(autocommit=True, **_mysql_params(mysql_database))
    with con.cursor() as cur:
        cur.execute("SET time_zone = '-05:00'")
        cur.execute("CREATE TABLE f (ts DATETIME(6), tstz TIMESTAMP(6) NULL)")
        cur.execute(
            "INSERT INTO f VALUES (NOW(6) - INTERVAL 10 MINUTE, NOW(6) - INTERVAL 10 MINUTE), "
            "(NULL, NULL)"
        )
    con.close()
    conns = {
        "writers_zone": {
            "type": "mysql",
            "url": mysql_database,
            "options": {"time_zone": "-05:00"},
        },
        "default": {"type": "mysql", "url": mysql_database},
    }
    ws = make_ws(tmp_path / "a", conns, target="writers_zone")
    got = ages(ws)
    assert got["naive"][0] == "passed" and near_10_min(got["naive"][1]), got
    assert got["instant"][0] == "passed" and near_10_min(got["instant"][1]), got
    # the product's default session is UTC: a DATETIME written as UTC−5 wall time is 5 h older
    ws = make_ws(tmp_path / "b", conns, target="default")
    got = ages(ws)
    assert got["naive"][0] == "failed" and near_10_min(got["naive"][1] - 5 * 3600), got
    assert got["instant"][0] == "passed" and near_10_min(got["instant"][1]), got


def test_sqlite_text_with_offsets_is_compared_as_instants(tmp_path):
    """Lexically the +05:00 value is the newest; as instants the −05:00 one is (10 min old)."""
    import sqlite3

    now = dt.datetime.now(dt.UTC)
    minus5, plus5 = dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=5))
    recent = (now - dt.timedelta(minutes=10)).astimezone(minus5).isoformat(sep=" ")
    old = (now - dt.timedelta(hours=3)).astimezone(plus5).isoformat(sep=" ")
    assert old > recent  # the trap: a text max() picks the older instant
    path = tmp_path / "f.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE f (ts TEXT, tstz TIMESTAMP)")
    con.executemany("INSERT INTO f VALUES (?, ?)", [(recent, recent), (old, old), (None, None)])
    con.commit()
    con.close()
    ws = make_ws(tmp_path / "ws", {"lite": {"type": "sqlite", "path": str(path)}}, target="lite")
    got = ages(ws)
    assert got["naive"][0] == "passed" and near_10_min(got["naive"][1]), got
    assert got["instant"][0] == "passed" and near_10_min(got["instant"][1]), got


_DUCK_RUN = """
import json, sys
from pathlib import Path
from tests.validation.vhelpers import make_ws
from tests.validation.test_freshness_clock import ages
root, path, zone = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
options = {"time_zone": zone} if zone else {}
ws = make_ws(root, {"duck": {"type": "duckdb", "path": path, "options": options}}, target="duck")
print(json.dumps(ages(ws)))
"""


def _duck_ages(tmp_path, name: str, path, process_tz: str, zone: str = "") -> dict:
    """Run the two checks in a server process whose TZ environment is `process_tz`."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TZ": process_tz, "PYTHONPATH": str(repo)}
    out = subprocess.run(
        [sys.executable, "-c", _DUCK_RUN, str(tmp_path / name), str(path), zone],
        env=env,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_duckdb_naive_column_states_the_session_zone_and_a_future_value_fails(tmp_path):
    """A DuckDB TIMESTAMP written as UTC wall time 30 minutes ago, max_age 1h. DuckDB's session
    clock follows its TimeZone setting, which defaults from the server process's TZ: the result
    names that zone; read in New York the value lies 4.5 h in the future — it fails (it used to
    pass with a negative age) — read in Tokyo it is 9.5 h old; with options.time_zone UTC it is
    30 minutes old and passes in any process zone."""
    import duckdb

    path = tmp_path / "f.duckdb"
    utc_30 = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=30)
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE f (ts TIMESTAMP, tstz TIMESTAMPTZ)")
    con.execute(
        "INSERT INTO f VALUES (?, ?), (NULL, NULL)", [utc_30, utc_30.replace(tzinfo=dt.UTC)]
    )
    con.close()

    def near(age: float, expected: float) -> bool:
        return expected - 10 <= age <= expected + 300

    ny = _duck_ages(tmp_path, "ny", path, "America/New_York")
    status, age, clock = ny["naive"]
    assert (status, clock) == ("failed", "session local time (America/New_York)"), ny
    assert age < -4 * 3600, ny  # 30 min old in UTC = 4.5 h ahead of New York wall time
    assert ny["instant"][0] == "passed" and near(ny["instant"][1], 1800), ny
    assert ny["instant"][2] == "UTC"

    tokyo = _duck_ages(tmp_path, "tokyo", path, "Asia/Tokyo")
    assert tokyo["naive"][0] == "failed" and near(tokyo["naive"][1], 9.5 * 3600), tokyo
    assert tokyo["naive"][2] == "session local time (Asia/Tokyo)"

    pinned = _duck_ages(tmp_path, "pinned", path, "Asia/Tokyo", zone="UTC")
    assert pinned["naive"][0] == "passed" and near(pinned["naive"][1], 1800), pinned
    assert pinned["naive"][2] == "session local time (UTC)"


def test_sqlite_naive_text_is_aged_against_utc_and_says_so(tmp_path):
    import sqlite3

    utc_10 = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=10)
    path = tmp_path / "f.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE f (ts TEXT, tstz TEXT)")
    con.execute("INSERT INTO f VALUES (?, ?)", (utc_10.isoformat(sep=" "), None))
    con.commit()
    con.close()
    ws = make_ws(tmp_path / "ws", {"lite": {"type": "sqlite", "path": str(path)}}, target="lite")
    got = ages(ws)
    assert got["naive"][0] == "passed" and near_10_min(got["naive"][1]), got
    assert got["naive"][2] == "UTC"
