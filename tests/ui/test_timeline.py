"""Job Details › Run timeline (issue 15 §5): the bars are the executor's real attempts and the
wait before each retry."""

from __future__ import annotations

import json

from batchcore.planning import OpPlan
from batchcore.timeutil import utcnow
from tests.ui.conftest import open_page
from ui_components import timeline

PAGE = "pages/job_details.py"


def test_timeline_shows_each_attempt_and_the_wait_before_the_retry(engine):
    plans = [OpPlan(f"op_{i}", "noop", {"sleep_ms": 50, "fail_attempts": 1}) for i in range(2)]
    job_id = engine.submit_operations("flaky", plans, max_retries=1).job_id
    job = engine.wait(job_id, timeout=20)
    attempts = engine.attempts(job_id)
    seg = timeline.segments(job, attempts, utcnow())
    by_op = {
        op: [(k, n) for k, n in zip(g["Kind"], g["Attempt"], strict=True) if k != "queued"]
        for op, g in seg.groupby("Operation", sort=False)
    }
    assert by_op == {
        "op_0": [("error", 1), ("retry wait", 0), ("completed", 2)],
        "op_1": [("error", 1), ("retry wait", 0), ("completed", 2)],
    }
    # each bar is exactly what the store recorded
    first = {a["operation_id"]: a for a in attempts if a["attempt"] == 1}
    second = {a["operation_id"]: a for a in attempts if a["attempt"] == 2}
    for op, rows in seg.groupby("Operation"):
        wait = rows[rows["Kind"] == "retry wait"].iloc[0]
        assert wait["Start"] == first[op]["finished_at"]
        assert wait["End"] == second[op]["started_at"]
    at = open_page(PAGE, job_id=job_id)
    assert "Run timeline" in [s.value for s in at.subheader]
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [t["name"] for t in fig["data"]]
    assert {"error", "waiting to retry", "completed"} <= set(names)
    caption = next(c.value for c in at.caption if "attempts" in c.value)
    assert caption.startswith("2 operations · 4 attempts · 2 retries")
