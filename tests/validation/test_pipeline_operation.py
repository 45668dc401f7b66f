"""The pipeline_execution handler and the per-connection concurrency limit."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from batchcore.connections import connection_slot
from batchcore.errors import ConfigError, ConnectionFailed, OperationCancelled
from batchcore.operations.base import OperationContext
from batchcore.operations.pipeline import run
from batchcore.workspace import ConnectionSpec
from tests.validation.vhelpers import load_tables, make_ws


@pytest.fixture
def ws(tmp_path):
    w = make_ws(
        tmp_path / "ws",
        {
            "db": {"type": "duckdb", "path": "db.duckdb"},
            "gone": {"type": "sqlite", "path": "missing.sqlite"},
        },
        target="db",
    )
    load_tables(w, "db", {"t": ([("a", "int")], [(1,), (None,), (3,)])})
    return w


def ctx_for(ws) -> OperationContext:
    return OperationContext(job_id="j", operation_id="op", attempt=1, workspace_root=ws.root)


def write(ws, name, text):
    (ws.root / "projects" / "p" / "pipelines" / f"{name}.yaml").write_text(text)


def test_failed_checks_are_a_failed_outcome_with_rows(ws):
    write(
        ws,
        "v",
        "checks: [{type: not_null, table: t, column: a}, {type: row_count, table: t, min: 1}]",
    )
    out = run({"project_id": "p", "pipeline_id": "v", "config_override": {}}, ctx_for(ws))
    assert (out.success, out.summary) == (False, "1 of 2 checks passed; 1 failed: not_null(t.a)")
    assert out.error == "1 of 2 checks failed: not_null(t.a): 1 of 3 rows failed (pass rate 0.6667)"
    assert [r["status"] for r in out.check_results] == ["failed", "passed"]
    assert out.result["checks_failed"] == 1 and "sample" not in out.result["checks"][0]
    ok = run(
        {"project_id": "p", "pipeline_id": "v", "config_override": {"threshold": 0.5}}, ctx_for(ws)
    )
    assert ok.success and ok.error is None


def test_a_check_that_could_not_run_is_not_called_failed(ws):
    write(
        ws,
        "v",
        "checks: [{type: not_null, table: t, column: a}, {type: not_null, table: t, column: zz},"
        " {type: row_count, table: t, min: 1}]",
    )
    out = run({"project_id": "p", "pipeline_id": "v"}, ctx_for(ws))
    assert out.summary == (
        "1 of 3 checks passed; 1 failed: not_null(t.a); 1 could not run: not_null(t.zz)"
    )
    assert out.error == (
        "1 of 3 checks failed: not_null(t.a): 1 of 3 rows failed (pass rate 0.6667). "
        "1 of 3 checks could not run: not_null(t.zz): column 'zz' not in table 't' (columns: a)"
    )


def test_108_checks_on_a_missing_table_give_a_short_error_and_keep_every_result(tmp_path):
    root = tmp_path / "ws2"
    root.mkdir()
    with duckdb.connect(str(root / "wh.duckdb")) as con:
        con.execute("CREATE SCHEMA nycflights")
    wh = {"type": "duckdb", "path": "wh.duckdb", "options": {"schema": "nycflights"}}
    ws2 = make_ws(root, {"wh": wh}, target="wh")
    columns = ", ".join(f"c{i}" for i in range(106))
    write(
        ws2,
        "v",
        f"checks: [{{type: not_null, table: flights, columns: [{columns}]}},"
        " {type: unique, table: flights, column: id}, {type: between, table: flights, column: x, min: 0}]",
    )
    out = run({"project_id": "p", "pipeline_id": "v"}, ctx_for(ws2))
    missing = "table 'nycflights.flights' not found in connection wh (duckdb)"
    assert out.error == (
        "108 of 108 checks could not run: not_null(flights.c0), not_null(flights.c1), "
        f"not_null(flights.c2) … and 105 more: {missing}"
    )
    assert out.summary == (
        "0 of 108 checks passed; 108 could not run: not_null(flights.c0), not_null(flights.c1), "
        "not_null(flights.c2), not_null(flights.c3), not_null(flights.c4) … and 103 more"
    )
    # every check keeps its own row and full error
    assert len(out.check_results) == 108 and out.result["checks_errored"] == 108
    assert out.check_results[-1]["check_name"] == "between(flights.x)"
    assert {r["error"] for r in out.check_results} == {missing}


def test_the_error_of_a_pipeline_is_bounded_whatever_its_checks(ws):
    """Long names, long and many different errors: at most 5 failed checks described, 3 errors."""
    checks = [f"{{type: not_null, table: t, column: a, name: {'n' * 190}{i}}}" for i in range(20)]
    checks += [f"{{type: not_null, table: t, column: missing_{i}_{'m' * 220}}}" for i in range(20)]
    write(ws, "v", "checks: [" + ", ".join(checks) + "]")
    out = run({"project_id": "p", "pipeline_id": "v"}, ctx_for(ws))
    assert len(out.error) <= 2000 and len(out.summary) <= 1000
    assert out.error.startswith(f"20 of 40 checks failed: {'n' * 59}…: 1 of 3 rows failed")
    assert "… and 15 more. 20 of 40 checks could not run: not_null(t.missing_0_" in out.error
    assert out.error.endswith("… and 17 more checks with 17 other errors")
    assert out.summary.endswith("… and 15 more")
    assert len({r["error"] for r in out.check_results if r["error"]}) == 20


def test_bad_yaml_raises_config_error_and_missing_database_connection_failed(ws):
    write(ws, "bad", "checks: [{type: not_null, table: t}]")
    with pytest.raises(ConfigError, match="give exactly one of 'column' or 'columns'"):
        run({"project_id": "p", "pipeline_id": "bad"}, ctx_for(ws))
    write(ws, "gone", "target: gone\nchecks: [{type: row_count, table: t}]")
    with pytest.raises(ConnectionFailed, match=r"missing\.sqlite does not exist"):
        run({"project_id": "p", "pipeline_id": "gone"}, ctx_for(ws))


def test_a_cancelled_operation_stops_between_checks(ws):
    write(ws, "v", "checks: [{type: row_count, table: t}]")
    ctx = ctx_for(ws)
    ctx.interrupt("force cancel")
    with pytest.raises(OperationCancelled):
        run({"project_id": "p", "pipeline_id": "v"}, ctx)


def test_connection_slots_bound_concurrent_users():
    spec = ConnectionSpec(name="slot_test_db", type="duckdb", path=":memory:", max_concurrency=2)
    active, peak, lock = [0], [0], threading.Lock()

    def use():
        with connection_slot(spec):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.05)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2
    with (
        connection_slot(spec),
        connection_slot(spec),
        pytest.raises(
            OperationCancelled, match="waiting for a free slot of connection slot_test_db"
        ),
        connection_slot(spec, cancelled=lambda: True),
    ):
        pass


def test_same_source_and_target_takes_one_slot_and_named_not_null_per_column(tmp_path):
    w = make_ws(
        tmp_path / "w2",
        {"db": {"type": "duckdb", "path": "db.duckdb", "max_concurrency": 1}},
        source="db",
        target="db",
    )
    load_tables(w, "db", {"t": ([("a", "int"), ("b", "int")], [(1, None)])})
    write(
        w,
        "v",
        "checks: [{type: row_count_match, table: t}, {type: not_null, table: t, columns: [a, b], name: filled}]",
    )
    out = run({"project_id": "p", "pipeline_id": "v"}, ctx_for(w))
    assert [(r["check_name"], r["status"]) for r in out.check_results] == [
        ("row_count_match(t)", "passed"),
        ("filled.a", "passed"),
        ("filled.b", "failed"),
    ]
