"""User-supplied text (job names, descriptions, tags, cancel reasons, schedule names, error
texts) reaches Streamlit's markdown only through fmt.md_escape: Markdown, links, LaTeX, HTML
and `:colour[...]` in a name are shown as typed, never rendered.

The AppTest checks read the markdown source each element was given; the browser test
(tests/ui/e2e/test_user_text_browser.py) checks what Chromium actually renders."""

from __future__ import annotations

import re

from tests.ui.conftest import open_page, wait_until
from tests.ui.seed import noop_job
from ui_components.fmt import WORD_JOINER, md_escape

EVIL = "**bold** [link](https://evil.example) $x$ <b>html</b> :red[red] www.evil.example & _i_"
# every character that would start markdown, HTML, LaTeX or a link is preceded by a backslash
UNESCAPED = re.compile(r"(?<!\\)[*\[\]$<>:&_]|(?<!\\)www\.")


def _escaped_in(body: str) -> bool:
    return md_escape(EVIL) in body


def test_md_escape_leaves_nothing_that_renders():
    out = md_escape(EVIL)
    assert not UNESCAPED.search(out), out
    # removing the escapes and the invisible word joiners gives back the text exactly
    assert re.sub(r"\\(.)", r"\1", out).replace(WORD_JOINER, "") == EVIL


def test_job_details_title_description_and_fields_show_text_as_typed(engine):
    job = noop_job(engine, EVIL, 1, description=f"desc {EVIL}", tags=["$t$"])
    engine.wait(job, timeout=10)
    at = open_page("pages/job_details.py", job_id=job)
    title = at.markdown[0].value
    assert title.startswith(f"### {md_escape(EVIL)} &nbsp; ")
    bodies = [m.value for m in at.markdown]
    assert f"desc {md_escape(EVIL)}" in bodies
    assert any("<b>\\$t\\$</b>" in b for b in bodies)  # the tags field
    assert not any(EVIL in b for b in bodies)  # the raw name is never given to markdown


def test_cancel_and_delete_dialogs_and_their_messages_show_the_name_as_typed(engine):
    job = noop_job(engine, EVIL, 1, sleep_ms=60_000)
    wait_until(lambda: engine.get_job(job, with_operations=False).status.value == "running")
    at = open_page("pages/job_details.py", job_id=job)
    at.button(key="details-cancel").click().run()
    assert any(f"Cancel **{md_escape(EVIL)}**?" in m.value for m in at.markdown)
    # replay the opening click with the dialog's inputs (see test_active_jobs_page)
    at.button(key="details-cancel").click()
    at.text_input(key=f"cancel-reason-{job}").input("$because$ <i>")
    at.checkbox(key=f"cancel-force-{job}").check()
    at.button(key=f"cancel-confirm-{job}").click().run()
    (success,) = at.success
    assert f"**{md_escape(EVIL)}** is cancel" in success.value
    engine.wait(job, timeout=30)

    at = open_page("pages/job_details.py", job_id=job)
    bodies = [m.value for m in at.markdown]
    assert any("<b>\\$because\\$ \\<i\\></b>" in b for b in bodies)  # the cancel reason
    at.button(key="details-delete").click().run()
    assert any(f"Delete 1 job (**{md_escape(EVIL)}**)?" in m.value for m in at.markdown), bodies


def test_the_submit_success_message_shows_the_name_as_typed(engine):
    at = open_page("pages/bulk_pipeline.py")
    at.text_input(key="bulk.job_name").input(EVIL)
    at.checkbox(key="bulk.pl.finance_checks.ledger_validation").check()
    at.button(key="bulk.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    (success,) = at.success
    assert success.value.startswith(f"Submitted job **{md_escape(EVIL)}** (")
