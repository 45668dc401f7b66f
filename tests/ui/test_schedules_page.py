"""Save as schedule on a launch form, and the Schedules page (AppTest, the process engine)."""

from __future__ import annotations

from tests.ui.conftest import open_page, wait_until


def _save_from_bulk_form(at, name="nightly retail", cron="0 6 * * 1-5", zone="Europe/Berlin"):
    at.text_input(key="bulk.job_name").input("nightly retail job")
    at.checkbox(key="bulk.pl.finance_checks.ledger_validation").check()
    at.button(key="bulk.schedule.open").click().run()
    assert at.button(key="bulk.schedule.save").label == "Save schedule"  # the dialog is open
    # AppTest reruns the whole page (no dialog fragment): replay the opening click with the
    # dialog's inputs, as the browser's dialog rerun does
    at.button(key="bulk.schedule.open").click()
    at.text_input(key="bulk.schedule.name").input(name)
    at.text_input(key="bulk.schedule.cron").input(cron)
    at.selectbox(key="bulk.schedule.tz").select(zone)
    at.selectbox(key="bulk.schedule.overlap").select("queue")
    at.button(key="bulk.schedule.save").click().run()
    return at


def test_save_as_schedule_from_the_bulk_form(engine):
    at = _save_from_bulk_form(open_page("pages/bulk_pipeline.py"))
    assert not at.exception
    (s,) = engine.list_schedules()
    assert (s.name, s.cron, s.timezone, s.overlap.value, s.job_type.value) == (
        "nightly retail",
        "0 6 * * 1-5",
        "Europe/Berlin",
        "queue",
        "bulk_pipeline_execution",
    )
    assert s.request["job_name"] == "nightly retail job"
    assert s.request["pipelines"] == [
        {"pipeline_id": "ledger_validation", "project_id": "finance_checks"}
    ]
    assert any(
        f"Saved schedule **nightly retail** (`{s.schedule_id}`)" in m.value for m in at.success
    )
    assert engine.list_jobs()[1] == 0  # saving runs nothing


def test_save_as_schedule_shows_a_bad_cron_in_the_dialog(engine):
    at = _save_from_bulk_form(open_page("pages/bulk_pipeline.py"), cron="0 6 * *")
    assert any("5 fields" in e.value for e in at.error)
    assert engine.list_schedules() == []


def test_save_as_schedule_refuses_a_form_with_errors(engine):
    at = open_page("pages/bulk_pipeline.py")
    at.button(key="bulk.schedule.open").click().run()
    assert any(e.value.startswith("Fix the form first") for e in at.error)
    assert engine.list_schedules() == []


def test_schedules_page_lists_runs_now_pauses_and_shows_history(engine):
    sch = engine.create_schedule(
        {
            "name": "hourly finance",
            "job_type": "bulk_pipeline_execution",
            "request": {
                "job_name": "finance",
                "pipelines": [{"pipeline_id": "ledger_validation", "project_id": "finance_checks"}],
            },
            "cron": "0 * * * *",
        }
    )
    at = open_page("pages/schedules.py")
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["hourly finance"] and list(table["Last run (UTC)"]) == ["never"]
    at.button(key="sched.run").click().run()
    assert any("Run now: job" in m.value for m in at.success)
    (run,) = engine.get_schedule(sch.schedule_id).runs
    engine.wait(run.job_id, timeout=60)
    at.button(key="sched.pause").click().run()
    assert not engine.get_schedule(sch.schedule_id).enabled
    at.run()
    table = at.dataframe[0].value
    assert list(table["Next run (UTC)"]) == ["paused"] and "completed" in table["Status"][0]
    history = at.dataframe[1].value
    assert list(history["Trigger"]) == ["manual"]
    assert history["Job"][0] == f"job?job_id={run.job_id}"
    at.button(key="sched.resume").click().run()
    assert engine.get_schedule(sch.schedule_id).enabled


def test_job_details_names_the_schedule(engine):
    sch = engine.create_schedule(
        {
            "name": "details check",
            "job_type": "bulk_pipeline_execution",
            "request": {"job_name": "d", "pipelines": [{"pipeline_id": "ledger_validation"}]},
            "cron": "@daily",
        }
    )
    job_id = engine.run_schedule(sch.schedule_id).job_id
    wait_until(lambda: engine.get_job(job_id).status.is_terminal, timeout=60)
    at = open_page("pages/job_details.py", job_id=job_id)
    assert any("Created by schedule **details check**" in c.value for c in at.caption)


def test_notifications_tab_sends_a_test_message(engine, workspace):
    from tests.schedules.receivers import WebhookReceiver

    hook = WebhookReceiver()
    try:
        (workspace / "notifications.yaml").write_text(
            f"channels:\n  team: {{type: webhook, url: '{hook.url}'}}\n"
            "rules: [{channels: [team]}]\n"
        )
        at = open_page("pages/schedules.py")
        at.button(key="sched.test.team").click().run()
        assert any("Test message sent to team (HTTP 200)" in m.value for m in at.success)
        assert len(hook.requests) == 1
    finally:
        hook.close()
