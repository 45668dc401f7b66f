"""The scheduler with a fake clock: planned times across DST, catch-up after downtime, overlap,
a request that no longer validates, and exactly one job per planned time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from batchcore.errors import Conflict, NotFound, RequestError
from batchcore.store import schedules as q
from tests.schedules.conftest import FakeClock, bulk_request, schedule_body


def runs_of(eng, sid: str) -> list[dict]:
    with eng.store.reader() as cur:
        return list(reversed(q.runs(cur, sid, limit=10_000)))


def jobs_of(eng, sid: str) -> list:
    jobs, _ = eng.list_jobs(limit=500)
    return [j for j in jobs if f"schedule:{sid}" in j.tags]


def drive(eng, clock: FakeClock, until: datetime, step: timedelta) -> None:
    """Move the clock to `until` by `step`, ticking at each step and waiting for the jobs made."""
    while clock.now < until:
        clock.advance(seconds=step.total_seconds())
        eng.scheduler.tick()
        for job in eng.active_jobs():
            eng.wait(job.job_id, timeout=60)


@pytest.mark.parametrize(
    "zone,start,expected_walls",
    [
        # spring forward 29 Mar 2026 01:00Z: 01:59 CET is followed by 03:00 CEST
        (
            "Europe/Berlin",
            datetime(2026, 3, 29, 0, 55, 10, tzinfo=UTC),
            [
                "01:56",
                "01:57",
                "01:58",
                "01:59",
                "03:00",
                "03:01",
                "03:02",
                "03:03",
                "03:04",
                "03:05",
            ],
        ),
        # fall back 25 Oct 2026 01:00Z: 02:59 CEST is followed by 02:00 CET
        (
            "Europe/Berlin",
            datetime(2026, 10, 25, 0, 55, 10, tzinfo=UTC),
            [
                "02:56",
                "02:57",
                "02:58",
                "02:59",
                "02:00",
                "02:01",
                "02:02",
                "02:03",
                "02:04",
                "02:05",
            ],
        ),
        # spring forward 8 Mar 2026 07:00Z: 01:59 EST is followed by 03:00 EDT
        (
            "America/New_York",
            datetime(2026, 3, 8, 6, 55, 10, tzinfo=UTC),
            [
                "01:56",
                "01:57",
                "01:58",
                "01:59",
                "03:00",
                "03:01",
                "03:02",
                "03:03",
                "03:04",
                "03:05",
            ],
        ),
        # fall back 1 Nov 2026 06:00Z: 01:59 EDT is followed by 01:00 EST
        (
            "America/New_York",
            datetime(2026, 11, 1, 5, 55, 10, tzinfo=UTC),
            [
                "01:56",
                "01:57",
                "01:58",
                "01:59",
                "01:00",
                "01:01",
                "01:02",
                "01:03",
                "01:04",
                "01:05",
            ],
        ),
    ],
)
def test_every_minute_fires_each_real_minute_across_dst(open_engine, zone, start, expected_walls):
    from zoneinfo import ZoneInfo

    clock = FakeClock(start)
    eng = open_engine(clock)
    sch = eng.create_schedule(schedule_body(timezone=zone))
    # ticks every 20 s: each planned time is seen by three ticks, and fires once
    drive(eng, clock, start + timedelta(minutes=10), timedelta(seconds=20))
    runs = runs_of(eng, sch.schedule_id)
    planned = [r["planned_at"] for r in runs]
    first = start.replace(second=0) + timedelta(minutes=1)
    assert planned == [first + timedelta(minutes=k) for k in range(10)]
    assert [p.astimezone(ZoneInfo(zone)).strftime("%H:%M") for p in planned] == expected_walls
    assert {r["state"] for r in runs} == {q.CREATED}
    jobs = jobs_of(eng, sch.schedule_id)
    assert len(jobs) == 10 and {j.status.value for j in jobs} == {"completed"}
    assert sorted(r["job_id"] for r in runs) == sorted(j.job_id for j in jobs)


@pytest.mark.parametrize(
    "zone,start,expected",
    [
        # 02:30 does not exist on 29 Mar in Berlin: once, when the clocks jump (01:00Z)
        (
            "Europe/Berlin",
            datetime(2026, 3, 28, 12, tzinfo=UTC),
            ["2026-03-29T01:00", "2026-03-30T00:30"],
        ),
        # 02:30 happens twice on 25 Oct in Berlin: once, at the first (CEST, 00:30Z)
        (
            "Europe/Berlin",
            datetime(2026, 10, 24, 12, tzinfo=UTC),
            ["2026-10-25T00:30", "2026-10-26T01:30"],
        ),
        (
            "America/New_York",
            datetime(2026, 3, 7, 12, tzinfo=UTC),
            ["2026-03-08T07:00", "2026-03-09T06:30"],
        ),
        (
            "America/New_York",
            datetime(2026, 10, 31, 12, tzinfo=UTC),
            ["2026-11-01T05:30", "2026-11-02T06:30"],
        ),
    ],
)
def test_a_0230_run_fires_once_on_dst_days(open_engine, zone, start, expected):
    clock = FakeClock(start)
    eng = open_engine(clock)
    cron = "30 1 * * *" if start.month == 10 and zone == "America/New_York" else "30 2 * * *"
    sch = eng.create_schedule(schedule_body("nightly", cron=cron, timezone=zone))
    drive(eng, clock, start + timedelta(hours=48), timedelta(minutes=10))
    planned = [r["planned_at"].strftime("%Y-%m-%dT%H:%M") for r in runs_of(eng, sch.schedule_id)]
    assert planned == expected
    assert len(jobs_of(eng, sch.schedule_id)) == 2


def test_catch_up_latest_after_three_hours_down_makes_exactly_one_job(open_engine, clock):
    eng = open_engine(clock)
    sch = eng.create_schedule(schedule_body())
    clock.advance(minutes=1)
    eng.scheduler.tick()
    eng.wait(jobs_of(eng, sch.schedule_id)[0].job_id, timeout=60)
    eng.close()
    clock.advance(hours=3)  # the app was down for three hours
    eng2 = open_engine(clock)
    eng2.scheduler.tick()
    eng2.scheduler.tick()
    runs = runs_of(eng2, sch.schedule_id)
    assert len(runs) == 2 and len(jobs_of(eng2, sch.schedule_id)) == 2
    assert runs[1]["planned_at"] == clock.now.replace(second=0)
    assert "179 planned time(s)" in runs[1]["reason"] and "catch_up: latest" in runs[1]["reason"]


def test_catch_up_none_records_the_missed_time_as_skipped(open_engine, clock):
    eng = open_engine(clock)
    sch = eng.create_schedule(schedule_body(cron="0 * * * *", catch_up="none"))
    clock.advance(hours=3, minutes=2)  # 09:00, 10:00, 11:00 missed; 11:00 is 150 s late
    eng.scheduler.tick()
    runs = runs_of(eng, sch.schedule_id)
    assert len(runs) == 1 and runs[0]["state"] == q.SKIPPED and runs[0]["job_id"] is None
    assert runs[0]["planned_at"] == datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    assert runs[0]["reason"] == (
        "3 planned time(s) from 2026-06-01 09:00 UTC were missed while the scheduler was not "
        "running (catch_up: none)"
    )
    assert jobs_of(eng, sch.schedule_id) == []
    clock.advance(minutes=58)  # 12:00:30: on time
    eng.scheduler.tick()
    assert [r["state"] for r in runs_of(eng, sch.schedule_id)] == [q.SKIPPED, q.CREATED]


def test_overlap_skip_records_the_reason_and_fires_again_when_the_job_ended(open_engine, clock):
    eng = open_engine(clock, start=False)  # nothing runs: the first job stays pending
    sch = eng.create_schedule(schedule_body())
    clock.advance(minutes=1)
    eng.scheduler.tick()
    (first,) = jobs_of(eng, sch.schedule_id)
    clock.advance(minutes=1)
    eng.scheduler.tick()
    runs = runs_of(eng, sch.schedule_id)
    assert [r["state"] for r in runs] == [q.CREATED, q.SKIPPED]
    assert runs[1]["reason"] == f"previous job {first.job_id} is still pending (overlap: skip)"
    eng.cancel(first.job_id, "test")
    clock.advance(minutes=1)
    eng.scheduler.tick()
    assert [r["state"] for r in runs_of(eng, sch.schedule_id)] == [q.CREATED, q.SKIPPED, q.CREATED]
    assert len(jobs_of(eng, sch.schedule_id)) == 2


def test_overlap_queue_waits_for_the_previous_job_once(open_engine, clock):
    eng = open_engine(clock, start=False)
    sch = eng.create_schedule(schedule_body(overlap="queue"))
    clock.advance(minutes=1)
    eng.scheduler.tick()
    (first,) = jobs_of(eng, sch.schedule_id)
    for _ in range(2):
        clock.advance(minutes=1)
        eng.scheduler.tick()
    states = [r["state"] for r in runs_of(eng, sch.schedule_id)]
    assert states == [q.CREATED, q.QUEUED, q.SKIPPED]  # one waits, never a pile
    eng.cancel(first.job_id)
    eng.scheduler.tick()  # same minute: the waiting run gets its job
    runs = runs_of(eng, sch.schedule_id)
    assert [r["state"] for r in runs] == [q.CREATED, q.CREATED, q.SKIPPED]
    assert len(jobs_of(eng, sch.schedule_id)) == 2


def test_run_now_ignores_pause_and_a_second_tick_never_makes_a_second_job(open_engine, clock):
    eng = open_engine(clock)
    sch = eng.create_schedule(schedule_body(enabled=False))
    clock.advance(minutes=5)
    eng.scheduler.tick()
    assert runs_of(eng, sch.schedule_id) == []  # paused: nothing fires
    res = eng.run_schedule(sch.schedule_id)
    assert eng.wait(res.job_id, timeout=60).status.value == "completed"
    assert eng.schedule_of_job(res.job_id)["trigger"] == "manual"
    eng.resume_schedule(sch.schedule_id)
    clock.advance(minutes=1)
    for _ in range(3):
        eng.scheduler.tick()
    assert [r["trigger"] for r in runs_of(eng, sch.schedule_id)] == ["manual", "cron"]


def test_a_request_that_no_longer_validates_fails_its_job_and_flags_the_schedule(
    open_engine, clock, workspace
):
    eng = open_engine(clock)
    sch = eng.create_schedule(schedule_body())
    (workspace / "projects/retail_migration/pipelines/dim_customer_validation.yaml").unlink()
    eng._ws_cache = None  # the engine re-reads the workspace at most once a second
    clock.advance(minutes=1)
    eng.scheduler.tick()
    (job,) = jobs_of(eng, sch.schedule_id)
    view = eng.get_job(job.job_id)
    assert view.status.value == "failed"
    (op,) = view.operations
    assert op.operation_id == "schedule_request" and "dim_customer_validation" in op.error
    flagged = eng.get_schedule(sch.schedule_id)
    assert flagged.problem and "dim_customer_validation" in flagged.problem
    # the scheduler goes on: the next minute fires again (and fails the same way)
    clock.advance(minutes=1)
    eng.scheduler.tick()
    assert len(jobs_of(eng, sch.schedule_id)) == 2


def test_bad_input_names_the_field(open_engine, clock):
    eng = open_engine(clock)
    with pytest.raises(RequestError) as info:
        eng.create_schedule(schedule_body(cron="0 25 * * *"))
    assert info.value.field == "cron" and "0 25 * * *" in info.value.message
    with pytest.raises(RequestError) as info:
        eng.create_schedule(schedule_body(timezone="Mars/Olympus"))
    assert info.value.field == "timezone"
    with pytest.raises(RequestError) as info:
        eng.create_schedule(schedule_body(request=bulk_request(pipelines=("no_such_validation",))))
    assert info.value.field.startswith("request.pipelines")
    eng.create_schedule(schedule_body("dup"))
    with pytest.raises(Conflict):
        eng.create_schedule(schedule_body("DUP"))
    with pytest.raises(NotFound):
        eng.run_schedule("sch-00000000")
    assert [s.name for s in eng.list_schedules()] == ["dup"]


def test_cron_change_and_resume_start_from_now(open_engine, clock):
    eng = open_engine(clock)
    sch = eng.create_schedule(schedule_body(cron="0 * * * *"))
    eng.pause_schedule(sch.schedule_id)
    clock.advance(hours=5)
    view = eng.resume_schedule(sch.schedule_id)
    assert view.next_run_at == (clock.now + timedelta(hours=1)).replace(minute=0, second=0)
    eng.scheduler.tick()
    assert runs_of(eng, sch.schedule_id) == []  # the paused hours are not caught up
    view = eng.update_schedule(sch.schedule_id, {"cron": "*/5 * * * *", "timezone": "Asia/Tokyo"})
    assert view.cron == "*/5 * * * *" and view.timezone == "Asia/Tokyo"
    assert view.next_run_at == clock.now.replace(second=0, minute=5)


def test_sigkill_between_planned_and_job_created_gives_exactly_one_job(
    open_engine, clock, tmp_path, workspace
):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    eng = open_engine(clock)
    sch = eng.create_schedule(schedule_body())
    eng.close()
    planned_at = clock.advance(minutes=1)
    child = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("crash_child.py")),
            str(tmp_path / "jobs"),
            str(workspace),
            sch.schedule_id,
            planned_at.isoformat(),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline().strip()
        assert line.startswith("PLANNED "), line
        job_id = line.split()[1]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    clock.advance(seconds=5)
    eng2 = open_engine(clock)  # recovery at start creates the planned run's job
    for _ in range(3):
        eng2.scheduler.tick()
    runs = runs_of(eng2, sch.schedule_id)
    assert [(r["state"], r["job_id"]) for r in runs] == [(q.CREATED, job_id)]
    (job,) = jobs_of(eng2, sch.schedule_id)
    assert job.job_id == job_id
    assert eng2.wait(job_id, timeout=60).status.value == "completed"
    assert eng2.schedule_of_job(job_id)["planned_at"] == planned_at.replace(second=0)
