"""batchcore.analytics: aggregates over a real job store (noop jobs and inserted check rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from batchcore.store import analytics
from batchcore.store.analytics import Scope
from batchcore.store.writer import FnCommand
from batchcore.timeutil import utcnow_naive
from tests.ui.seed import add_checks, check_row, noop_job
from ui_components import charts


@pytest.fixture
def eng(make_engine, workspace):
    return make_engine(workspace=workspace, max_workers=4)


def _finish(eng, *job_ids):
    for j in job_ids:
        eng.wait(j, timeout=20)


def test_status_and_type_distribution_and_summary(eng):
    a = noop_job(eng, "ok", 2, project_id="retail_migration", tags=["nightly"])
    b = noop_job(eng, "bad", 2, fail=(0, 1), project_id="finance_checks")
    c = noop_job(eng, "half", 2, result_failed=(1,))
    _finish(eng, a, b, c)
    with eng.store.reader() as cur:
        st = analytics.status_distribution(cur, Scope())
        assert dict(zip(st.status, st.jobs, strict=True)) == {
            "completed": 1,
            "failed": 1,
            "partial_success": 1,
        }
        ty = analytics.type_distribution(cur, Scope())
        assert ty.jobs.sum() == 3 and set(ty.job_type) == {"bulk_pipeline_execution"}
        s = analytics.summary(cur, Scope())
        assert (s["jobs"], s["completed"], s["failed"], s["partial_success"]) == (3, 1, 1, 1)
        assert s["success_rate"] == pytest.approx(1 / 3)
        assert (s["operations"], s["failed_operations"]) == (6, 3)
        # the raised ones could not run (error); the failed result is a data failure
        assert (s["checks_failed_operations"], s["error_operations"]) == (1, 2)
        only = analytics.summary(cur, Scope(project_id="retail_migration"))
        assert (only["jobs"], only["completed"]) == (1, 1)
        opts = analytics.filter_options(cur)
        assert opts["projects"] == ["finance_checks", "retail_migration"] and opts["tags"] == [
            "nightly"
        ]
        future = Scope(created_from=utcnow_naive() + timedelta(days=1))
        assert analytics.status_distribution(cur, future).empty


def test_durations_slowest_and_failure_rates(eng):
    a = noop_job(eng, "slow", 2, sleep_ms=150)
    b = noop_job(eng, "fast", 1, fail=(0,))
    _finish(eng, a, b)
    with eng.store.reader() as cur:
        jd = analytics.job_durations(cur, Scope(), "hour")
        assert jd.jobs.sum() == 2 and (jd.max_s >= 0.15).any()
        od = analytics.operation_durations(cur, Scope(), "day")
        assert od.operations.sum() == 3 and list(od.kind) == ["noop"]
        slow = analytics.slowest_operations(cur, Scope(), limit=2)
        assert list(slow.job_name) == ["slow", "slow"] and (slow.duration_s >= 0.15).all()
        assert analytics.pipeline_failure_rates(cur, Scope(), "day").empty  # noop is no pipeline


def test_check_failure_rates_and_trends_show_the_check_getting_worse(eng):
    older = noop_job(eng, "monday", 1)
    newer = noop_job(eng, "tuesday", 1)
    _finish(eng, older, newer)
    add_checks(
        eng.store,
        older,
        [
            check_row("op_0", 0, passed=True, name="not_null_email"),
            check_row("op_0", 1, passed=True, name="unique_id", check_type="unique"),
        ],
    )
    add_checks(
        eng.store,
        newer,
        [
            check_row("op_0", 0, passed=False, name="not_null_email", failed_rows=40),
            check_row("op_0", 1, passed=True, name="unique_id", check_type="unique"),
        ],
    )
    day_before = utcnow_naive() - timedelta(days=1)
    eng.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE check_results SET created_at = ? WHERE job_id = ?", [day_before, older]
            ).fetchall()
        )
    )
    with eng.store.reader() as cur:
        rates = analytics.check_failure_rates(cur, Scope(), "day")
        email = rates[rates.check == "dim_customer_validation · not_null_email"]
        assert list(email.failed) == [0, 1] and list(email.runs) == [1, 1]
        trends = analytics.check_trends(cur, Scope())
        top = trends.iloc[0]
        assert top.check == "dim_customer_validation · not_null_email"
        assert (top.earlier_failure_rate, top.recent_failure_rate, top.change) == (0.0, 1.0, 1.0)
        assert top.first_pass_rate == 1.0 and top.last_pass_rate == pytest.approx(0.96)
        # a check that never failed is not "getting worse": it is not listed
        assert list(trends.check) == ["dim_customer_validation · not_null_email"]
        assert analytics.check_trends(cur, Scope(project_id="finance_checks")).empty


def test_bucket_for_picks_hour_day_week():
    now = utcnow_naive()
    assert analytics.bucket_for(now - timedelta(days=1), now) == "hour"
    assert analytics.bucket_for(now - timedelta(days=30), now) == "day"
    assert analytics.bucket_for(now - timedelta(days=365), now) == "week"
    with pytest.raises(ValueError):
        analytics._bucket("minute; DROP TABLE jobs")


def test_datagen_throughput_uses_reported_rows_else_requested_rows(eng):
    job_id = noop_job(eng, "gen", 2, sleep_ms=20)
    _finish(eng, job_id)

    def make_generation(cur, now):
        cur.execute(
            """UPDATE operations SET kind = 'data_generation', duration_ms = 2000,
                           spec = '{"schema_type": "Retail", "row_count": 1000}',
                           result = CASE WHEN operation_id = 'op_0' THEN '{"rows_written": 5000}'::JSON END
                       WHERE job_id = ?""",
            [job_id],
        ).fetchall()

    eng.store.call(FnCommand(make_generation))
    with eng.store.reader() as cur:
        gen = analytics.datagen_throughput(cur, Scope(), "day")
    # op_0 reports 5,000 rows, op_1 falls back to its requested 1,000; 2 s each
    assert len(gen) == 1
    row = gen.iloc[0]
    assert (row.schema_type, row.operations, row.rows, row.duration_s) == ("Retail", 2, 6000, 4.0)
    assert (row.rows_per_s, row.best_rows_per_s) == (1500.0, 2500.0)


def _status_row(index: int, name: str, status: str, pipeline_id: str) -> dict:
    """A check_results row with `status` passed | failed | warned | error (as the runner stores
    it: only `passed` has passed=True; warned is a severity-warn check that did not pass)."""
    row = check_row(
        "op_0",
        index,
        passed=status == "passed",
        name=name,
        failed_rows=0 if status == "passed" else 5,
        pipeline_id=pipeline_id,
    )
    return {
        **row,
        "status": status,
        "severity": "warn" if status == "warned" else "error",
        "error": "table not found" if status == "error" else None,
    }


def test_only_status_failed_counts_as_a_failure_and_only_failing_checks_are_listed(eng):
    job = noop_job(eng, "checks", 1)
    _finish(eng, job)
    add_checks(
        eng.store,
        job,
        [
            _status_row(0, "fails", "failed", "orders_validation"),
            _status_row(1, "fails", "passed", "orders_validation"),
            _status_row(2, "warns", "warned", "orders_validation"),
            _status_row(3, "warns", "warned", "orders_validation"),
            _status_row(4, "breaks", "error", "orders_validation"),
            _status_row(5, "passes", "passed", "orders_validation"),
        ],
    )
    with eng.store.reader() as cur:
        rates = analytics.check_failure_rates(cur, Scope(), "day")
        trends = analytics.check_trends(cur, Scope())
    by_check = {
        r.check.split(" · ")[1]: (r.runs, r.failed, r.warned, r.errors, r.failure_rate)
        for r in rates.itertuples()
    }
    assert by_check == {
        "fails": (2, 1, 0, 0, 0.5),
        "warns": (2, 0, 2, 0, 0.0),
        "breaks": (1, 0, 0, 1, 0.0),
        "passes": (1, 0, 0, 0, 0.0),
    }
    # its two runs share one time: nothing says it got worse, so it is not listed
    assert trends.empty
    # the chart of top failures draws only the check that failed
    fig = charts.failure_lines(rates, "check", "day")
    assert [t.name for t in fig.data] == ["orders_validation · fails"]


def test_pipeline_failure_chart_lists_only_pipelines_that_failed(eng):
    """A run whose checks found bad data is a failure; one that could not run is an error,
    counted apart (and not drawn as a failure)."""
    job = noop_job(eng, "pipelines", 4, result_failed=(1,), fail=(3,))
    _finish(eng, job)

    def as_pipelines(cur, now):
        cur.execute(
            """UPDATE operations SET kind = 'pipeline_execution',
                   spec = json_object('project_id', 'shop', 'pipeline_id', 'pl_' || operation_id)
               WHERE job_id = ?""",
            [job],
        ).fetchall()

    eng.store.call(FnCommand(as_pipelines))
    with eng.store.reader() as cur:
        pipe = analytics.pipeline_failure_rates(cur, Scope(), "day")
    assert sorted(zip(pipe.pipeline, pipe.runs, pipe.failed, pipe.errors, strict=True)) == [
        ("shop/pl_op_0", 1, 0, 0),
        ("shop/pl_op_1", 1, 1, 0),
        ("shop/pl_op_2", 1, 0, 0),
        ("shop/pl_op_3", 1, 0, 1),
    ]
    assert list(pipe.sort_values("pipeline").error_rate) == [0.0, 0.0, 0.0, 1.0]
    fig = charts.failure_lines(pipe, "pipeline", "day")
    assert [t.name for t in fig.data] == ["shop/pl_op_1"]
    assert list(fig.data[0].y) == [1.0]
    # nothing failed: no chart at all (the page says so)
    assert charts.failure_lines(pipe[pipe.failed == 0], "pipeline", "day") is None


def test_auto_bucket_follows_the_span_of_the_jobs_in_the_range():
    now = datetime(2026, 11, 30, 12, 0)
    month_ago = now - timedelta(days=30)
    # a 30-day range whose jobs were all created in the last 20 minutes: hours, not one day
    assert analytics.bucket_for(month_ago, now) == "day"
    assert analytics.bucket_for_data(month_ago, now, now - timedelta(minutes=20), now) == "hour"
    # jobs over 60 days of a year-long range: days; over the whole year: weeks
    year_ago = now - timedelta(days=365)
    assert analytics.bucket_for_data(year_ago, now, now - timedelta(days=60), now) == "day"
    assert analytics.bucket_for_data(year_ago, now, year_ago, now) == "week"
    # the range still bounds the span (jobs outside it do not widen it)
    assert analytics.bucket_for_data(now - timedelta(days=2), now, year_ago, now) == "hour"
    # no job in the range, or none at all: the range decides
    assert analytics.bucket_for_data(month_ago, now, year_ago, year_ago) == "day"
    assert analytics.bucket_for_data(month_ago, now, None, None) == "day"
    # aware datetimes (the page's) and naive UTC ones (the store's) mix
    aware = now.replace(tzinfo=UTC)
    assert analytics.bucket_for_data(aware - timedelta(days=30), aware, now, now) == "hour"


HOUR, DAY = 3_600_000, 86_400_000


@pytest.mark.parametrize(
    ("periods", "bucket", "dtick", "tick0", "span"),
    [
        # one point: a tick on it, half a period either side (no millisecond ticks)
        (["2026-11-30 09:00"], "hour", HOUR, "2026-11-30T09:00:00", ("08:30", "09:30")),
        (["2026-11-30"], "day", DAY, "2026-11-30T00:00:00", ("2026-11-29T12", "2026-11-30T12")),
        # two hours: a tick per hour, never every 10 minutes
        (["2026-11-30 09:00", "2026-11-30 10:00"], "hour", HOUR, "2026-11-30T09:00:00", None),
        # 72 hours: every 12 hours (6 ticks), from midnight
        (
            pd.date_range("2026-11-27", periods=72, freq="h"),
            "hour",
            12 * HOUR,
            "2026-11-27T00:00:00",
            None,
        ),
        # 30 days: weekly ticks (5), never the same date twice
        (
            pd.date_range("2026-11-01", periods=30, freq="D"),
            "day",
            7 * DAY,
            "2026-11-01T00:00:00",
            None,
        ),
        # 52 weeks: every 13 weeks (4 ticks) from the first Monday
        (
            pd.date_range("2025-12-01", periods=52, freq="W-MON"),
            "week",
            91 * DAY,
            "2025-12-01T00:00:00",
            None,
        ),
        # hours over a year (chosen by hand): whole days apart (46 days), from midnight
        (
            pd.date_range("2025-11-30 09:00", periods=8760, freq="h"),
            "hour",
            46 * DAY,
            "2025-11-30T00:00:00",
            None,
        ),
    ],
)
def test_time_axis_ticks_are_whole_periods(periods, bucket, dtick, tick0, span):
    axis = charts.time_axis(pd.to_datetime(pd.Series(periods)), bucket)
    assert (axis["dtick"], axis["tick0"]) == (dtick, tick0)
    first, last = pd.Timestamp(min(periods)), pd.Timestamp(max(periods))
    half = pd.Timedelta(milliseconds=charts.BUCKET_MS[bucket] / 2)
    assert axis["range"] == [(first - half).isoformat(), (last + half).isoformat()]
    if span is not None:
        assert span[0] in axis["range"][0] and span[1] in axis["range"][1]
    n_ticks = (last - first) // pd.Timedelta(milliseconds=dtick) + 1
    assert n_ticks <= charts.MAX_TICKS
    assert axis["dtick"] % charts.BUCKET_MS[bucket] == 0  # never finer than one period


def test_a_pipeline_that_passed_on_retry_keeps_its_failed_run(eng):
    """Pipeline failure rates count attempts: a manual retry that passes does not erase the
    error of the first run (as check failure rates count every attempt); the first run raised,
    so it is an error, not a data failure."""
    from batchcore.planning import OpPlan

    job = eng.submit_operations(
        "flaky",
        [OpPlan("op_0", "noop", {"fail_attempts": 1}), OpPlan("op_1", "noop", {})],
        max_retries=0,
    ).job_id
    assert eng.wait(job, timeout=20).status.value == "partial_success"
    eng.retry(job)
    assert eng.wait(job, timeout=20).status.value == "completed"

    def as_pipelines(cur, now):
        cur.execute(
            """UPDATE operations SET kind = 'pipeline_execution',
                   spec = json_object('project_id', 'shop', 'pipeline_id', 'pl_' || operation_id)
               WHERE job_id = ?""",
            [job],
        ).fetchall()

    eng.store.call(FnCommand(as_pipelines))
    with eng.store.reader() as cur:
        pipe = analytics.pipeline_failure_rates(cur, Scope(), "day")
    rows = zip(
        pipe.pipeline,
        pipe.runs,
        pipe.failed,
        pipe.errors,
        pipe.failure_rate,
        pipe.error_rate,
        strict=True,
    )
    assert sorted(rows) == [
        ("shop/pl_op_0", 2, 0, 1, 0.0, 0.5),
        ("shop/pl_op_1", 1, 0, 0, 0.0, 0.0),
    ]
