"""Active Jobs page: live rows with progress, cancel with reason/force, retry failed."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

from batchcore.planning import OpPlan
from batchcore.store.writer import FnCommand
from batchcore.timeutil import utcnow_naive
from tests.ui.conftest import open_page, wait_until
from tests.ui.seed import create_pending_job, new_gate, noop_job, seed_dates

PAGE = "pages/active_jobs.py"


def _row(at, name: str) -> str:
    """The HTML of the live row showing job `name`."""
    rows = [m.value for m in at.markdown if f"<b>{name}</b>" in m.value]
    assert len(rows) == 1, rows
    return rows[0]


class _Cells(HTMLParser):
    """The text of each cell (a top-level `<div>` of the row's grid)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.cells = 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            self.depth += 1
            if self.depth == 2:
                self.cells.append("")

    def handle_endtag(self, tag):
        if tag == "div":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth >= 2:
            self.cells[-1] += data


def _cell(row: str, header: str) -> str:
    """The text of column `header` in a live row's HTML."""
    from ui_components.live import HEADERS

    parser = _Cells()
    parser.feed(row)
    return dict(zip(HEADERS, parser.cells, strict=True))[header]


def test_empty_state_says_what_to_do(engine):
    at = open_page(PAGE)
    assert "No job is running right now" in at.info[0].value
    assert at.metric[0].value == "0"


def test_running_job_shows_progress_counts_and_running_operations(engine):
    gate, release = new_gate()
    job_id = noop_job(engine, "slow <batch>", 4, gate=gate, max_parallel=2)
    wait_until(
        lambda: engine.get_job(job_id, with_operations=False).progress.running_operations == 2
    )
    at = open_page(PAGE)
    assert at.metric[0].value == "1" and at.metric[1].value == "2"
    row = _row(at, "slow &lt;batch&gt;")  # the name is escaped
    assert "Bulk pipelines" in row and ">◐ running</span>" in row
    assert "0/4 done" in row and "<code>op_0</code> <code>op_1</code>" in row
    assert 'class="bo-bar" style="width:0.0%' in row
    assert at.button(key=f"cancel-{job_id}").label == "Cancel"
    release.set()
    engine.wait(job_id, timeout=10)
    at.run()
    row = _row(at, "slow &lt;batch&gt;")  # still shown, finished
    assert ">✓ completed</span>" in row and "4/4 done" in row and 'style="width:100.0%' in row


def test_cancel_with_reason_and_force(engine):
    job_id = noop_job(engine, "to cancel", 3, sleep_ms=20000, max_parallel=1)
    wait_until(
        lambda: engine.get_job(job_id, with_operations=False).progress.running_operations == 1
    )
    at = open_page(PAGE)
    at.button(key=f"cancel-{job_id}").click().run()
    assert at.button(key=f"cancel-confirm-{job_id}").label == "Cancel job"  # the dialog is open
    # AppTest reruns the whole page (no dialog fragment): the opening click is replayed with the
    # dialog's inputs so the dialog body runs with them, as the browser's dialog rerun does
    at.button(key=f"cancel-{job_id}").click()
    at.text_input(key=f"cancel-reason-{job_id}").input("wrong input data")
    at.checkbox(key=f"cancel-force-{job_id}").check()
    at.button(key=f"cancel-confirm-{job_id}").click().run()
    job = engine.wait(job_id, timeout=10)
    assert job.status.value == "cancelled"
    assert job.cancel_reason == "wrong input data"
    assert [o.status.value for o in job.operations] == ["cancelled", "skipped", "skipped"]
    assert "is cancelled" in at.success[0].value
    # the job stays visible with its final state, and leaves the active list
    assert at.metric[0].value == "0"
    assert ">⊘ cancelled</span>" in _row(at, "to cancel")


def test_retry_failed_from_a_job_that_just_finished(engine):
    gate, release = new_gate()
    job_id = noop_job(engine, "flaky", 2, gate=gate, result_failed=(1,))
    at = open_page(PAGE)  # sees it active: its operations wait for the gate
    assert at.button(key=f"cancel-{job_id}").label == "Cancel"
    release.set()  # now it finishes (op_1 with a failed result)
    engine.wait(job_id, timeout=10)
    at.run()
    assert at.subheader[0].value == "Recently finished in this session"
    at.button(key=f"retry-{job_id}").click().run()
    assert "Retrying 1 failed operations" in at.success[0].value
    job = engine.wait(job_id, timeout=10)
    op = job.operations[1]
    assert op.attempts == 2


def _finish_ops(engine, job_id: str, n: int) -> None:
    """Mark the first `n` operations of a stored job completed."""
    engine.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE operations SET status = 'completed', attempts = 1, finished_at = ? "
                "WHERE job_id = ? AND seq < ?",
                [now, job_id, n],
            ).fetchall()
        )
    )


def test_progress_is_never_100_percent_before_every_operation_has_finished(engine):
    job_id = create_pending_job(
        engine.store, "nearly done", [(f"op_{i}", {"sleep_ms": 0}) for i in range(250)]
    )
    _finish_ops(engine, job_id, 249)
    at = open_page(PAGE)
    row = _row(at, "nearly done")
    assert "249/250 done" in row
    assert _cell(row, "Progress") == "&gt;99% · 249/250 done".replace("&gt;", ">")
    assert 'style="width:99.6%' in row


def test_running_and_cancelling_jobs_come_first_then_pending_newest_first(engine):
    now = utcnow_naive()
    ids = {
        "pending old": create_pending_job(engine.store, "pending old", [("op_0", {})]),
        "running old": noop_job(engine, "running old", 1, sleep_ms=20000),
        "pending new": create_pending_job(engine.store, "pending new", [("op_0", {})]),
        "cancelling new": noop_job(engine, "cancelling new", 1, sleep_ms=20000),
        "running newest": noop_job(engine, "running newest", 1, sleep_ms=20000),
    }
    for minutes, name in enumerate(
        ["running newest", "pending new", "cancelling new", "running old", "pending old"]
    ):
        seed_dates(engine.store, ids[name], now - timedelta(minutes=minutes))
    for name in ("running old", "cancelling new", "running newest"):
        wait_until(
            lambda n=name: engine.get_job(ids[n], with_operations=False).status.value == "running"
        )
    engine.cancel(ids["cancelling new"])  # its running operation finishes first: cancelling
    assert engine.get_job(ids["cancelling new"], with_operations=False).status.value == "cancelling"
    at = open_page(PAGE)
    rows = [m.value for m in at.markdown if 'class="bo-bar"' in m.value]
    shown = [next(n for n in ids if f"<b>{n}</b>" in r) for r in rows]
    assert shown == [
        "running newest",
        "cancelling new",
        "running old",
        "pending new",
        "pending old",
    ]
    for name in ("running old", "cancelling new", "running newest"):
        engine.cancel(ids[name], force=True)


def test_a_cancelling_job_shows_no_time_left(engine):
    ops = [
        OpPlan("op_0", "noop", {"sleep_ms": 0}),
        *(OpPlan(f"op_{i}", "noop", {"sleep_ms": 20000}) for i in (1, 2)),
    ]
    job_id = engine.submit_operations("stopping", ops, max_parallel=1).job_id
    wait_until(lambda: engine.get_job(job_id, with_operations=False).progress.running_operations)
    wait_until(
        lambda: (
            engine.get_job(job_id, with_operations=False).progress.estimated_time_remaining_ms
            is not None
        )
    )
    at = open_page(PAGE)
    row = _row(at, "stopping")
    # an estimate while it runs, under the duration
    assert re.search(r'<div class="bo-sub">\d+(\.\d)? m?s left</div>', row), row
    engine.cancel(job_id)  # op_1 keeps running: the job is cancelling
    job = engine.get_job(job_id, with_operations=False)
    assert job.status.value == "cancelling"
    assert job.progress.estimated_time_remaining_ms is not None  # the engine still estimates
    at.run()
    row = _row(at, "stopping")
    assert _cell(row, "Status") == "◌ cancelling"
    assert _cell(row, "Time").endswith("stopping")
    engine.cancel(job_id, force=True)
    after = _cell(_row(at.run(), "stopping"), "Time")
    assert after.endswith("stopping") or "left" not in after


ORDINARY = "running ones finish and keep their results"
FORCE = "**Force** stops the running operations now"


def _cancelling_job(engine, name: str) -> str:
    """A job whose one running operation keeps it cancelling (a plain cancel was requested)."""
    job_id = noop_job(engine, name, 2, sleep_ms=20000, max_parallel=1)
    wait_until(
        lambda: engine.get_job(job_id, with_operations=False).progress.running_operations == 1
    )
    engine.cancel(job_id, "first try")
    assert engine.get_job(job_id, with_operations=False).status.value == "cancelling"
    return job_id


def test_force_on_a_cancelling_job_opens_the_force_dialog(engine):
    job_id = _cancelling_job(engine, "stuck")
    running = noop_job(engine, "busy", 1, sleep_ms=20000)
    wait_until(lambda: engine.get_job(running, with_operations=False).status.value == "running")
    at = open_page(PAGE)
    assert at.button(key=f"cancel-{job_id}").label == "Force…"
    at.button(key=f"cancel-{job_id}").click().run()
    text = " ".join(m.value for m in at.markdown)
    assert "**stuck** is already cancelling" in text and FORCE in text and ORDINARY not in text
    assert at.checkbox(key=f"cancel-force-now-{job_id}").value is True
    assert at.button(key=f"cancel-confirm-{job_id}").label == "Force cancel"
    captions = [c.value for c in at.caption]
    assert "Running now: `op_0`" in captions and "Cancel reason given: first try" in captions
    # replay the opening click with the dialog's inputs (see test_cancel_with_reason_and_force)
    at.button(key=f"cancel-{job_id}").click()
    at.text_input(key=f"cancel-reason-{job_id}").input("hung query")
    at.button(key=f"cancel-confirm-{job_id}").click().run()
    job = engine.wait(job_id, timeout=10)
    assert job.status.value == "cancelled"
    assert [o.status.value for o in job.operations] == ["cancelled", "skipped"]
    assert job.operations[0].status_reason == "force-cancelled: hung query"
    # a running job still gets the ordinary dialog, Force unticked
    at.button(key=f"cancel-{running}").click().run()
    text = " ".join(m.value for m in at.markdown)
    assert ORDINARY in text and FORCE not in text
    assert at.checkbox(key=f"cancel-force-{running}").value is False
    engine.cancel(running, force=True)
