"""Job Details page: metadata, operations, failures and every check result of a job."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest

from batchcore.store.writer import FnCommand
from tests.ui import fragment_runs
from tests.ui.conftest import open_page, wait_until
from tests.ui.seed import add_checks, check_row, create_pending_job, new_gate, noop_job
from tests.validation.vhelpers import load_tables, make_ws, run_yaml
from ui_components import checks_view
from ui_components.fmt import md_escape

PAGE = "pages/job_details.py"


def _job_with_checks(engine) -> str:
    job_id = noop_job(
        engine,
        "nightly checks",
        2,
        result_failed=(1,),
        tags=["nightly", "retail"],
        description="after the migration",
        project_id="retail_migration",
    )
    engine.wait(job_id, timeout=10)
    add_checks(
        engine.store,
        job_id,
        [
            check_row("op_0", 0, passed=True, name="not_null_id", columns=("id",)),
            check_row(
                "op_1", 0, passed=False, name="not_null_email", failed_rows=40, total_rows=1000
            ),
            check_row(
                "op_1", 1, passed=True, name="unique_id", check_type="unique", columns=("id",)
            ),
        ],
    )
    return job_id


def _frame(at, column: str, index: int = 0):
    """The `index`-th table of the page that has `column`."""
    return [d.value for d in at.dataframe if column in d.value.columns][index]


def test_details_show_metadata_operations_and_failures(engine):
    job_id = _job_with_checks(engine)
    at = open_page(PAGE, job_id=job_id)
    md = [m.value for m in at.markdown]
    assert any("nightly checks" in m and "partial success" in m for m in md)
    assert any("nightly, retail" in m for m in md) and any("retail\\_migration" in m for m in md)
    assert "after the migration" in md
    assert at.progress[0].value == 100
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Completed"], metrics["Failed"]) == ("1", "1")
    assert at.subheader[0].value == "Needs attention"  # before Progress
    assert at.error[0].value == "**op\\_1** failed: requested failed result"
    ops = _frame(at, "Attempts")
    assert list(ops["Operation"]) == ["op_0", "op_1"]
    assert list(ops["Status"]) == ["✓ completed", "✗ failed"]
    assert list(ops["Attempts"]) == ["1/1", "1/1"]
    assert at.selectbox(key=f"inspect-{job_id}").value == "op_1"  # the first failed operation


def test_details_lead_with_failing_checks_and_fold_passing_ones(engine):
    job_id = _job_with_checks(engine)
    at = open_page(PAGE, job_id=job_id)
    bad = _frame(at, "Pass rate")  # the first checks table: what did not pass
    assert list(bad["Check"]) == ["not_null_email"]
    assert list(bad["Failed"]) == [40] and list(bad["Total"]) == [1000]
    # the threshold sits right beside the pass rate
    cols = list(bad.columns)
    assert cols.index("Threshold") == cols.index("Pass rate") + 1
    assert (list(bad["Pass rate"]), list(bad["Threshold"])) == ([0.96], [1.0])
    assert list(bad["Pipeline"]) == ["retail_migration · dim_customer_validation"]
    assert any(m.value == "**1 of 3 checks did not pass**" for m in at.markdown)
    # the failing check is expanded, with its sample and SQL; the passing ones are folded
    assert [e.label for e in at.expander] == [
        "✗ failed · retail\\_migration · dim\\_customer\\_validation · not\\_null\\_email "
        "\\[not\\_null on customers.email\\] — 40 of 1,000 rows failed · pass rate 96.0% (needs 100%)",
        "Passing checks (2)",
    ]
    good = _frame(at, "Pass rate", 1)
    assert list(good["Check"]) == ["not_null_id", "unique_id"]
    assert list(good["Status"]) == ["✓ passed", "✓ passed"]
    sample = _frame(at, "email")
    assert list(sample.columns) == ["id", "email"] and list(sample["id"]) == [7, 19]
    assert at.code[0].value == "SELECT count(*) FILTER (WHERE email IS NULL) FROM customers"
    assert "3 checks · 2 passed · 1 not passed" in at.caption[-1].value or any(
        "3 checks · 2 passed · 1 not passed" in c.value for c in at.caption
    )
    at.toggle(key=f"checks-all-{job_id}").set_value(True).run()
    assert len(at.expander) == 4


def test_details_of_a_running_job_offer_cancel_and_unknown_id_says_so(engine):
    job_id = noop_job(engine, "long", 2, sleep_ms=20000, max_parallel=1)
    wait_until(lambda: engine.get_job(job_id, with_operations=False).status.value == "running")
    at = open_page(PAGE, job_id=job_id)
    assert at.button(key="details-cancel").label == "Cancel job"
    assert "Running now: op\\_0" in [c.value for c in at.caption]
    assert "No check results yet" not in " ".join(
        i.value for i in at.info
    )  # noop operations have no checks
    engine.cancel(job_id, force=True)

    at = open_page(PAGE, job_id="not-a-job")
    assert "No job with id `not-a-job`" in at.error[0].value


def test_details_without_id_list_recent_jobs(engine):
    at = open_page(PAGE)
    assert "No jobs yet" in at.info[0].value
    noop_job(engine, "first", 1)
    at = open_page(PAGE)
    assert [link.proto.label.split(" · ")[0] for link in at.get("page_link")][-1:] == ["first"]


def test_user_text_is_escaped_not_rendered_as_html(engine):
    job_id = noop_job(engine, "<img src=x onerror=alert(1)>", 1, tags=["<b>t</b>"])
    engine.wait(job_id, timeout=10)
    at = open_page(PAGE, job_id=job_id)
    md = " ".join(m.value for m in at.markdown)
    # every `<` is backslash-escaped (fmt.md_escape): markdown shows it as text, never as a tag
    assert not re.search(r"(?<!\\)<(img|b>t)", md)
    assert "\\<img src=x onerror=alert(1)\\>" in md and "\\<b\\>t\\</b\\>" in md


def test_retry_on_a_finished_job_follows_it_live_again(engine):
    gate, release = new_gate()
    release.set()  # the first run goes through
    job_id = noop_job(engine, "flaky", 2, gate=gate, result_failed=(1,))
    engine.wait(job_id, timeout=15)
    release.clear()  # the retried operation waits until the test has seen it live
    at = open_page(PAGE, job_id=job_id)
    msgs = fragment_runs.run(at)
    (show,) = fragment_runs.fragment_ids(msgs)
    assert fragment_runs.timers(msgs) == {}  # finished: the page does not refresh
    # the Retry button is inside the fragment: the browser reruns only the fragment
    at.button(key="details-retry").click()
    msgs = fragment_runs.run(at, fragment_id=show)
    timers = fragment_runs.timers(msgs)
    assert list(timers.values()) == [2.0]  # live again: the whole page ran and set the timer
    assert at.success[0].value.startswith("Retrying 1 failed operation")
    assert at.button(key="details-cancel").label == "Cancel job"
    release.set()
    job = engine.wait(job_id, timeout=15)
    assert job.operations[1].attempts == 2
    (show,) = timers
    msgs = fragment_runs.run(at, fragment_id=show)  # the timer's run sees that it ended
    assert fragment_runs.timers(msgs) == {}
    assert at.button(key="details-retry").label == "Retry 1 failed"


def test_cancel_from_details_follows_the_job_until_it_has_stopped(engine):
    gate, release = new_gate()  # op_0 runs until the test has seen the job cancelling
    job_id = noop_job(engine, "long", 2, gate=gate, max_parallel=1)
    wait_until(lambda: engine.get_job(job_id, with_operations=False).status.value == "running")
    at = open_page(PAGE, job_id=job_id)
    msgs = fragment_runs.run(at)
    (show,) = fragment_runs.fragment_ids(msgs)
    assert fragment_runs.timers(msgs) == {show: 2.0}
    at.button(key="details-cancel").click()
    msgs = fragment_runs.run(at, fragment_id=show)  # opens the dialog
    (dialog,) = fragment_runs.fragment_ids(msgs) - {show}
    at.button(key=f"cancel-confirm-{job_id}").click()
    msgs = fragment_runs.run(at, fragment_id=dialog)
    assert engine.get_job(job_id, with_operations=False).status.value == "cancelling"
    timers = fragment_runs.timers(msgs)
    assert list(timers.values()) == [2.0]  # still followed while it is cancelling
    assert "is cancelling" in at.success[0].value
    release.set()  # the running operation ends; the job reaches its final state
    assert engine.wait(job_id, timeout=15).status.value == "cancelled"
    (show,) = timers
    msgs = fragment_runs.run(at, fragment_id=show)
    assert fragment_runs.timers(msgs) == {}
    assert any("cancelled" in m.value and "long" in m.value for m in at.markdown)


def test_a_pass_rate_just_under_1_is_never_shown_as_100_percent(engine):
    job_id = noop_job(engine, "big table", 1, project_id="retail_migration")
    engine.wait(job_id, timeout=10)
    add_checks(
        engine.store,
        job_id,
        [
            check_row(
                "op_0", 0, passed=False, name="not_null_email", failed_rows=1, total_rows=25_000
            )
        ],
    )
    at = open_page(PAGE, job_id=job_id)
    assert [e.label for e in at.expander] == [
        "✗ failed · retail\\_migration · dim\\_customer\\_validation · not\\_null\\_email "
        "\\[not\\_null on customers.email\\] — 1 of 25,000 rows failed · pass rate >99.9% (needs 100%)"
    ]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pass rate"] == ">99.99%" and metrics["Threshold"] == "100%"
    checks = _frame(at, "Pass rate")  # the checks that did not pass
    assert list(checks["Pass rate"]) == [0.9999] and list(checks["Threshold"]) == [1.0]
    assert engine.check_results(job_id)[0]["pass_rate"] == 0.99996  # the stored value is exact


def test_progress_of_a_nearly_finished_job_is_not_100_percent(engine):
    job_id = create_pending_job(
        engine.store, "nearly done", [(f"op_{i}", {"sleep_ms": 0}) for i in range(250)]
    )
    engine.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE operations SET status = 'completed', attempts = 1 WHERE job_id = ? AND seq < 249",
                [job_id],
            ).fetchall()
        )
    )
    at = open_page(PAGE, job_id=job_id)
    assert at.progress[0].value == 99
    assert at.progress[0].proto.text.startswith(">99% · 249/250 done")


def test_jobs_without_validation_have_no_check_results_section(engine):
    generation = engine.submit(
        "batch_data_generation",
        {
            "job_name": "gen",
            "items": [
                {
                    "schema_type": "Retail",
                    "row_count": 50,
                    "seed": 1,
                    "target_connection": "generated",
                }
            ],
        },
    ).job_id
    extraction = engine.submit(
        "bulk_metadata_extraction",
        {"job_name": "snap", "items": [{"connection_name": "warehouse"}]},
    ).job_id
    for job_id, kind in ((generation, "data_generation"), (extraction, "metadata_extraction")):
        job = engine.wait(job_id, timeout=60)
        assert job.status.value == "completed"
        assert [o.operation_type.value for o in job.operations] == [kind]
        at = open_page(PAGE, job_id=job_id)
        assert [s.value for s in at.subheader] == ["Progress", "Run timeline", "Operations"]
        assert not at.info and not at.expander


def test_a_validation_job_without_results_yet_says_they_will_appear(engine):
    spec = {"project_id": "retail_migration", "pipeline_id": "dim_customer_validation"}
    job_id = create_pending_job(engine.store, "validate", [("dim_customer_validation", spec)])
    engine.store.call(  # a queued pipeline operation (stored jobs are not picked up until restart)
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE operations SET kind = 'pipeline_execution' WHERE job_id = ?", [job_id]
            ).fetchall()
        )
    )
    at = open_page(PAGE, job_id=job_id)
    assert [s.value for s in at.subheader] == [
        "Progress",
        "Run timeline",
        "Operations",
        "Check results",
        "Compare runs",
    ]
    assert at.info[0].value.startswith("No check results yet")


def test_failures_at_a_glance_of_108_checks_on_a_missing_table_are_one_short_line(
    engine, workspace
):
    columns = ", ".join(f"c{i}" for i in range(108))
    (
        workspace / "projects" / "retail_migration" / "pipelines" / "flights_validation.yaml"
    ).write_text(
        f"target: warehouse\nchecks:\n  - {{type: not_null, table: flights, columns: [{columns}]}}\n"
    )
    job_id = engine.submit(
        "bulk_pipeline_execution",
        {
            "job_name": "flights",
            "pipelines": [{"project_id": "retail_migration", "pipeline_id": "flights_validation"}],
        },
    ).job_id
    job = engine.wait(job_id, timeout=30)
    assert len(job.operations) == 1
    at = open_page(PAGE, job_id=job_id)
    assert at.error[0].value == "**retail\\_migration · flights\\_validation** error: " + md_escape(
        "108 of 108 checks could not run: not_null(flights.c0), "
        "not_null(flights.c1), not_null(flights.c2) … and 105 more: "
        "table 'flights' not found in connection warehouse (duckdb)"
    )
    # every check is still listed, with its full error
    assert any(c.value.startswith("108 checks · 0 passed · 108 not passed") for c in at.caption)
    assert len(_frame(at, "Pass rate")) == 108
    # five open to read at once, the other 103 one at a time through a picker
    assert len([e for e in at.expander if e.label.startswith("⚠ error")]) == 5
    more = at.selectbox(key=f"attention-more-{job_id}")
    assert len(more.options) == 103 and more.value is None

    def could_not_run() -> int:
        return sum("The check could not run: table 'flights'" in e.value for e in at.error)

    assert could_not_run() == 5
    more.set_value(102).run()
    assert could_not_run() == 6  # the picked check's panel


def test_failures_at_a_glance_cut_long_errors_and_show_five_operations(engine):
    job_id = noop_job(engine, "many failures", 8, fail=tuple(range(8)))
    engine.wait(job_id, timeout=10)
    long_error = "table x not found; " * 200  # 3,800 characters, stored by an older version
    engine.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE operations SET error = ? WHERE job_id = ?", [long_error, job_id]
            ).fetchall()
        )
    )
    at = open_page(PAGE, job_id=job_id)
    glance = [e.value for e in at.error][:5]
    cut = long_error[:299].rstrip() + "… (full text: inspect the operation below)"
    assert glance == [f"**op\\_{i}** error: {cut}" for i in range(5)]  # they raised: error
    assert "… and 3 more failed operations (see the table below)." in [c.value for c in at.caption]
    assert at.error[5].value == long_error.strip()  # the inspector shows the whole error


def test_cancel_on_a_cancelling_job_opens_the_force_dialog(engine):
    job_id = noop_job(engine, "stuck", 2, sleep_ms=20000, max_parallel=1)
    wait_until(
        lambda: engine.get_job(job_id, with_operations=False).progress.running_operations == 1
    )
    engine.cancel(job_id)  # its running operation keeps it cancelling
    at = open_page(PAGE, job_id=job_id)
    at.button(key="details-cancel").click().run()
    text = " ".join(m.value for m in at.markdown)
    assert "**stuck** is already cancelling" in text
    assert "**Force** stops the running operations now" in text
    assert "running ones finish and keep their results" not in text
    assert at.checkbox(key=f"cancel-force-now-{job_id}").value is True
    at.button(key="details-cancel").click()
    at.button(key=f"cancel-confirm-{job_id}").click().run()
    job = engine.wait(job_id, timeout=10)
    assert [o.status.value for o in job.operations] == ["cancelled", "skipped"]


def test_a_cancelling_job_offers_force_and_no_time_estimate(engine):
    gate, _ = new_gate()  # never set: op_0 runs until the force cancel
    job_id = noop_job(engine, "stopping", 2, gate=gate, max_parallel=1)
    wait_until(lambda: engine.get_job(job_id, with_operations=False).status.value == "running")
    engine.cancel(job_id)
    assert engine.get_job(job_id, with_operations=False).status.value == "cancelling"
    at = open_page(PAGE, job_id=job_id)
    assert at.button(key="details-cancel").label == "Force cancel…"
    (bar,) = at.get("progress")
    assert bar.proto.text.endswith(" · time left stopping")
    engine.cancel(job_id, force=True)
    assert engine.wait(job_id, timeout=15).status.value == "cancelled"


def _real_check_rows(root) -> list[dict]:
    """Check results of a real pipeline run (SQLite source, DuckDB target): a row_diff on a
    composite (int, text) key and an aggregate comparison that fail with samples, a schema
    check missing one of 3 columns — as the store keeps them for operation `op_0`."""
    ws = make_ws(
        root,
        {
            "src": {"type": "sqlite", "path": "src.sqlite", "options": {"create": True}},
            "tgt": {"type": "duckdb", "path": "tgt.duckdb"},
        },
        source="src",
        target="tgt",
    )
    cols = [("id", "int"), ("code", "text"), ("v", "text")]
    load_tables(ws, "src", {"t": (cols, [(1, "a", "x"), (2, "b", "y"), (3, "c", "z")])})
    load_tables(ws, "tgt", {"t": (cols, [(1, "a", "x"), (2, "b", "Y"), (4, "d", "w")])})
    res = run_yaml(
        ws,
        """
        checks:
          - {type: row_diff, table: t, key: [id, code]}
          - {type: column_aggregates_match, table: t, columns: [id, v]}
          - {type: schema, table: t, columns: [id, v, email]}
        """,
    )
    return [{**c.to_row(), "operation_id": "op_0", "attempt": 1} for c in res.checks]


def test_check_counts_are_labelled_in_each_checks_unit(engine, tmp_path):
    job_id = noop_job(engine, "units", 1)
    engine.wait(job_id, timeout=10)
    add_checks(engine.store, job_id, _real_check_rows(tmp_path / "vws"))
    at = open_page(PAGE, job_id=job_id)
    # most failed first (all of severity error)
    assert [e.label.split(" — ")[1] for e in at.expander] == [
        "4 of 12 metrics failed · pass rate 66.7%",
        "3 of 3 rows failed · pass rate 0% (needs 100%)",
        "1 of 3 columns failed · pass rate 66.7%",
    ]
    checks = _frame(at, "Unit")
    assert list(checks["Unit"]) == ["metrics", "rows", "columns"]
    assert list(checks["Failed"]) == [4, 3, 1] and list(checks["Total"]) == [12, 3, 3]
    labels = [m.label for m in at.metric]
    assert {"Failed rows", "Failed metrics", "Failed columns", "Total columns"} <= set(labels)


def test_failing_row_samples_are_arrow_safe_tables_with_their_values(engine, tmp_path, caplog):
    rows = _real_check_rows(tmp_path / "vws")
    diff, agg = rows[0]["sample"], rows[1]["sample"]
    assert diff["rows"][0] == ["changed", [2, "b"], {"v": {"source": "y", "target": "Y"}}]
    for sample in (diff, agg):
        with pytest.raises(pa.ArrowException):  # what st.dataframe met before
            pa.Table.from_pandas(pd.DataFrame(sample["rows"], columns=sample["columns"]))
        pa.Table.from_pandas(checks_view.sample_frame(sample))
    job_id = noop_job(engine, "samples", 1)
    engine.wait(job_id, timeout=10)
    add_checks(engine.store, job_id, rows)
    caplog.clear()
    at = open_page(PAGE, job_id=job_id)
    shown = _frame(at, "diff")  # the row_diff sample
    assert shown.to_dict("list") == {
        "diff": ["changed", "extra_in_target", "missing_in_target"],
        "key": ['[2, "b"]', '[4, "d"]', '[3, "c"]'],
        "values": ['{"v": {"source": "y", "target": "Y"}}', '{"v": "w"}', '{"v": "z"}'],
    }
    metrics = _frame(at, "metric")
    assert metrics.to_dict("list") == {
        "column": ["id", "id", "v", "v"],
        "metric": ["max", "sum", "min", "max"],
        "source": ["3", "6", "x", "z"],
        "target": ["4", "7", "Y", "x"],
    }
    assert "Arrow" not in caplog.text


def test_a_check_that_could_not_run_shows_a_dash_not_none(engine):
    """An errored check has no failed/total rows: its cells read "—" (Streamlit would draw a
    grey "None"); a table without such a check keeps numbers."""
    job_id = noop_job(engine, "errored", 1, result_failed=(0,), project_id="retail_migration")
    engine.wait(job_id, timeout=10)
    broken = check_row("op_0", 1, passed=False, name="row_count_orders", failed_rows=0)
    broken.update(status="error", failed_rows=None, total_rows=None, pass_rate=None)
    broken["error"] = "table orders not found"
    add_checks(
        engine.store,
        job_id,
        [check_row("op_0", 0, passed=False, name="not_null_email", failed_rows=7602), broken],
    )
    at = open_page(PAGE, job_id=job_id)
    bad = _frame(at, "Pass rate")
    rows = dict(zip(bad["Check"], zip(bad["Failed"], bad["Total"], strict=True), strict=True))
    assert rows == {"not_null_email": ("7,602", "1,000"), "row_count_orders": ("—", "—")}
    assert "None" not in bad.astype(str).to_numpy().ravel().tolist()
