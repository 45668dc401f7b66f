"""The UI token gate: with BATCH_API_TOKEN set the browser asks for it before any page runs."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from batchcore.engine import get_engine, shutdown_engine
from tests.ui.conftest import UI, open_page

TOKEN = "s3cret-token"


@pytest.fixture
def token_engine(engine, monkeypatch: pytest.MonkeyPatch):
    """The process engine restarted with BATCH_API_TOKEN set."""
    monkeypatch.setenv("BATCH_API_TOKEN", TOKEN)
    shutdown_engine()
    eng = get_engine()
    assert eng.settings.api_token == TOKEN
    yield eng
    shutdown_engine()


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_no_token_set_means_no_gate(engine, monkeypatch: pytest.MonkeyPatch):
    assert engine.settings.api_token is None
    at = open_page()
    assert _titles(at) == ["Bulk Pipeline Execution"]
    assert not [t for t in at.text_input if t.key == "bo_token_input"]


def test_token_set_asks_for_it_before_any_page_and_remembers_it(token_engine):
    at = AppTest.from_file(UI, default_timeout=30).run()
    assert not at.exception
    # the gate, not the page: no form, no job data
    assert _titles(at) == ["Batch Operations"]
    assert at.text_input(key="bo_token_input").label == "Access token"
    assert at.info[0].value == "This server requires an access token. Enter it to continue."
    assert not at.button  # no submit button of the bulk form

    at.text_input(key="bo_token_input").input("wrong").run()
    assert [e.value for e in at.error] == [
        "The token is wrong: it must equal the server's BATCH_API_TOKEN."
    ]
    assert _titles(at) == ["Batch Operations"]
    assert "bo_token_ok" not in at.session_state

    # a prefix of the token is wrong too
    at.text_input(key="bo_token_input").input(TOKEN[:-1]).run()
    assert at.error and _titles(at) == ["Batch Operations"]

    at.text_input(key="bo_token_input").input(TOKEN).run()
    assert not at.exception
    assert _titles(at) == ["Bulk Pipeline Execution"]
    assert not at.error
    assert at.session_state["bo_token_ok"] is True
    assert not [t for t in at.text_input if t.key == "bo_token_input"]

    # remembered for the session: other pages open without asking again
    at.switch_page("pages/job_history.py").run()
    assert not at.exception
    assert _titles(at) == ["Job History"]
    assert not [t for t in at.text_input if t.key == "bo_token_input"]


def test_a_new_session_asks_again(token_engine):
    first = AppTest.from_file(UI, default_timeout=30).run()
    first.text_input(key="bo_token_input").input(TOKEN).run()
    assert _titles(first) == ["Bulk Pipeline Execution"]
    second = AppTest.from_file(UI, default_timeout=30).run()
    assert _titles(second) == ["Batch Operations"]
    # a deep link does not get past the gate either
    second.switch_page("pages/job_history.py").run()
    assert _titles(second) == ["Batch Operations"]


# ---------------------------------------------------------------- the read-only token

READ_TOKEN = "r3ad-only-token"


@pytest.fixture
def roles_engine(engine, monkeypatch: pytest.MonkeyPatch):
    """The process engine restarted with BATCH_API_TOKEN and BATCH_API_TOKEN_READ set, holding a
    pending job and a failed one."""
    from tests.ui.seed import create_pending_job, noop_job

    monkeypatch.setenv("BATCH_API_TOKEN", TOKEN)
    monkeypatch.setenv("BATCH_API_TOKEN_READ", READ_TOKEN)
    shutdown_engine()
    eng = get_engine()
    assert eng.settings.api_token_read == READ_TOKEN
    failed = noop_job(eng, "failed one", 1, fail=(0,))
    eng.wait(failed, timeout=10)
    pending = create_pending_job(eng.store, "waiting one", [("op_0", {})])
    yield eng, pending, failed
    shutdown_engine()


def _signed_in(token: str, page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(UI, default_timeout=30)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.text_input(key="bo_token_input").input(token).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


NOTE = (
    "Signed in with the read-only token: launching, cancelling, retrying and deleting jobs need "
    "the server's BATCH_API_TOKEN."
)


def test_read_token_signs_in_but_every_write_button_is_disabled_with_a_note(roles_engine):
    _eng, pending, failed = roles_engine
    at = _signed_in(READ_TOKEN)
    assert at.session_state["bo_token_role"] == "read"
    assert at.button(key="bulk.submit").disabled
    assert NOTE in [c.value for c in at.caption]
    for page in (
        "pages/data_generation.py",
        "pages/multi_project.py",
        "pages/metadata_extraction.py",
    ):
        at.switch_page(page).run()
        submit = next(b for b in at.button if b.key and b.key.endswith(".submit"))
        assert submit.disabled, page
    at.switch_page("pages/active_jobs.py").run()
    assert at.button(key=f"cancel-{pending}").disabled
    assert NOTE in [c.value for c in at.caption]
    at = _signed_in(READ_TOKEN, "pages/job_details.py", job_id=failed)
    assert at.button(key="details-retry").disabled and at.button(key="details-delete").disabled
    at = _signed_in(READ_TOKEN, "pages/job_details.py", job_id=pending)
    assert at.button(key="details-cancel").disabled
    # reading and exporting stay available
    assert [b.label for b in at.get("download_button")][:2] == ["Export JSON", "Export CSV"]


def test_the_write_token_keeps_every_button(roles_engine):
    _eng, pending, failed = roles_engine
    at = _signed_in(TOKEN, "pages/job_details.py", job_id=failed)
    assert at.session_state["bo_token_role"] == "write"
    assert not at.button(key="details-retry").disabled
    assert NOTE not in [c.value for c in at.caption]
    at.switch_page("pages/active_jobs.py").run()
    assert not at.button(key=f"cancel-{pending}").disabled


def test_read_only_actions_are_refused_even_when_called(roles_engine):
    """The callbacks behind the buttons refuse too (a disabled button is not the only guard)."""
    from ui_components import jobs

    eng, _pending, failed = roles_engine
    at = _signed_in(READ_TOKEN)
    import streamlit as st

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(st, "session_state", {"bo_token_ok": True, "bo_token_role": "read"})
        deleted, problems = jobs.delete_jobs(eng, [failed])
    assert deleted == [] and problems == [NOTE]
    assert eng.get_job(failed).name == "failed one"
    assert at.session_state["bo_token_role"] == "read"


def test_wrong_token_message_names_both_tokens(roles_engine):
    at = AppTest.from_file(UI, default_timeout=30).run()
    at.text_input(key="bo_token_input").input("nope").run()
    assert [e.value for e in at.error] == [
        "The token is wrong: it must equal the server's BATCH_API_TOKEN or BATCH_API_TOKEN_READ."
    ]


def test_read_token_cannot_schedule_run_pause_or_delete_schedules(roles_engine):
    eng, _pending, _failed = roles_engine
    sch = eng.create_schedule(
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
    at = _signed_in(READ_TOKEN)
    assert at.button(key="bulk.schedule.open").disabled  # "Save as schedule" beside Submit
    at.switch_page("pages/schedules.py").run()
    assert not at.exception
    for key in ("sched.run", "sched.pause", "sched.delete"):
        assert at.button(key=key).disabled, key
    assert NOTE in [c.value for c in at.caption]
    assert eng.get_schedule(sch.schedule_id).enabled and not eng.get_schedule(sch.schedule_id).runs
