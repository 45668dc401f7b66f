"""The UI shows an operation that could not run as an `error` chip, apart from `failed` (its
checks found bad data), wherever operation statuses or counts appear (DESIGN §12)."""

from __future__ import annotations

from batchcore.planning import OpPlan
from tests.ui.conftest import open_page, wait_until
from tests.ui.seed import noop_job
from ui_components import status


def test_job_details_shows_error_apart_from_failed(engine):
    job_id = noop_job(engine, "mixed", 3, result_failed=(1,), fail=(2,))
    engine.wait(job_id, timeout=20)
    at = open_page("pages/job_details.py", job_id=job_id)
    ops = at.dataframe[0].value
    assert list(ops["Status"]) == ["✓ completed", "✗ failed", "⚠ error"]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Completed"], metrics["Failed"], metrics["Error"]) == ("1", "1", "1")
    assert [e.value for e in at.error][:2] == [  # names and messages as text (md_escape)
        "**op\\_1** failed: requested failed result",
        "**op\\_2** error: RuntimeError\\: noop failure on attempt 1",
    ]
    at.selectbox(key=f"inspect-{job_id}").select("op_2").run()
    assert any("⚠ error</span>" in m.value for m in at.markdown)
    # the chip's colour is the one of "could not run", not the red of "failed"
    assert status.status_colour("error") == status.ERROR_COLOUR != status.status_colour("failed")
    styled = status.style_status(ops).to_html()
    assert status.ERROR_COLOUR in styled and status.status_colour("failed") in styled


def test_job_history_counts_errors_apart(engine):
    job_id = noop_job(engine, "mixed", 3, result_failed=(1,), fail=(2,))
    engine.wait(job_id, timeout=20)
    at = open_page("pages/job_history.py")
    (ops,) = at.dataframe[0].value["Operations"]
    assert ops == "1/3 done · 1 failed · 1 error"


def test_active_jobs_counts_errors_apart(engine):
    plans = [
        OpPlan("broken", "noop", {"fail": True}),
        OpPlan("bad", "noop", {"result_failed": True}),
        OpPlan("long", "noop", {"sleep_ms": 60_000}),
    ]
    job_id = engine.submit_operations("running", plans, max_parallel=3).job_id
    wait_until(
        lambda: engine.get_job(job_id, with_operations=False).progress.failed_operations == 2
    )
    at = open_page("pages/active_jobs.py")
    (row,) = [m.value for m in at.markdown if "<b>running</b>" in m.value]
    assert "0/3 done · 1 failed · 1 error" in row
    engine.cancel(job_id, "test over", force=True)
