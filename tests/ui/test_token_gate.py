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
