"""Engine access, the token gate, error display and cross-page links shared by every page.

Errors reach the user as `st.error` with the message, never as a traceback: `guard()` wraps a
block, `engine()` stops the page with a clear message when the job store cannot be opened.
`token_gate()` asks for BATCH_API_TOKEN (when the server sets it) before any page runs; a session
that gives BATCH_API_TOKEN_READ instead may only read: `can_write()` is False, write buttons are
drawn disabled with `read_only_note()`, and `require_write()` refuses the actions themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from batchcore.engine import Engine, get_engine
from batchcore.errors import BatchError, Forbidden
from batchcore.netguard import token_role
from ui_components.fmt import md_escape

log = logging.getLogger("batchcore.ui")

# Page scripts, relative to ui.py (st.page_link / st.switch_page take these paths).
PAGE_BULK = "pages/bulk_pipeline.py"
PAGE_DATAGEN = "pages/data_generation.py"
PAGE_MULTI = "pages/multi_project.py"
PAGE_METADATA = "pages/metadata_extraction.py"
PAGE_ACTIVE = "pages/active_jobs.py"
PAGE_HISTORY = "pages/job_history.py"
PAGE_DETAILS = "pages/job_details.py"
PAGE_ANALYTICS = "pages/analytics.py"
PAGE_CATALOG = "pages/catalog.py"
PAGE_PIPELINES = "pages/pipelines.py"
PAGE_SCHEDULES = "pages/schedules.py"
PAGE_CHECK_HISTORY = "pages/check_history.py"

MY_JOBS_KEY = "bo_my_jobs"
TOKEN_OK_KEY = "bo_token_ok"
TOKEN_ROLE_KEY = "bo_token_role"  # "write" (BATCH_API_TOKEN) or "read" (BATCH_API_TOKEN_READ)
TOKEN_INPUT_KEY = "bo_token_input"
READ_ONLY_NOTE = (
    "Signed in with the read-only token: launching, cancelling, retrying and deleting jobs need "
    "the server's BATCH_API_TOKEN."
)

MIME_TYPES = {"csv": "text/csv", "json": "application/json", "html": "text/html"}


def error_text(exc: BaseException) -> str:
    """The message to show for an exception: a BatchError's own message (with its field), else
    the exception type and text."""
    if isinstance(exc, BatchError):
        if exc.field and exc.field not in exc.message:
            return f"{exc.field}: {exc.message}"
        return exc.message
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def guard(action: str | None = None) -> Iterator[None]:
    """Show any error raised in the block as `st.error` (with `action` as context) instead of a
    traceback. Streamlit's own rerun/stop signals pass through (they are not `Exception`s)."""
    try:
        yield
    except Exception as exc:
        if not isinstance(exc, BatchError):
            log.exception("UI action failed: %s", action or "page")
        text = md_escape(error_text(exc))
        st.error(f"{action}: {text}" if action else text)


def engine() -> Engine:
    """The process engine; stops the page with `st.error` when it cannot start (store locked,
    bad settings)."""
    try:
        return get_engine()
    except Exception as exc:
        log.exception("engine start failed")
        st.error(f"The job engine could not start: {md_escape(error_text(exc))}")
        st.stop()
        raise  # unreachable: st.stop() raises


def signed_in() -> bool:
    """True when this browser session may see the pages: no token is required, or the session
    already gave it. Safe to call before `st.navigation` (it never stops the script); an engine
    that cannot start counts as not signed in, and `token_gate()` then shows its error."""
    if st.session_state.get(TOKEN_OK_KEY):
        return True
    try:
        return not get_engine().settings.api_token
    except Exception:
        return False


def token_gate() -> None:
    """Ask for the access token before any page runs, when the server sets one.

    The token is the engine's `api_token` setting: BATCH_API_TOKEN, the same one the REST API
    requires, or its read-only `api_token_read` (BATCH_API_TOKEN_READ). Unset: no gate. Set: a
    password input; the entry is compared in constant time (`hmac.compare_digest`), success and
    the role it gives are remembered in `st.session_state` for this browser session, and a
    missing or wrong token stops the script after saying so.
    """
    if st.session_state.get(TOKEN_OK_KEY):
        return
    token = engine().settings.api_token
    if not token:
        return
    st.title("Batch Operations")
    given = st.text_input(
        "Access token",
        type="password",
        key=TOKEN_INPUT_KEY,
        help="The server's BATCH_API_TOKEN (the bearer token of the REST API).",
    )
    if not given:
        st.info(
            "This server requires an access token. Enter it to continue.", icon=":material/lock:"
        )
        st.stop()
    read_token = engine().settings.api_token_read
    role = token_role(given, token, read_token)
    if role is None:
        log.warning("UI sign-in with a wrong token")
        st.error(
            "The token is wrong: it must equal the server's BATCH_API_TOKEN"
            + (" or BATCH_API_TOKEN_READ." if read_token else "."),
            icon=":material/error:",
        )
        st.stop()
    st.session_state[TOKEN_ROLE_KEY] = role
    st.session_state[TOKEN_OK_KEY] = True
    st.rerun()  # draw the page without the token input


def can_write() -> bool:
    """True when this session may launch, cancel, retry and delete jobs: no token is required,
    or it signed in with BATCH_API_TOKEN (not the read-only BATCH_API_TOKEN_READ)."""
    try:
        if not get_engine().settings.api_token:
            return True
    except Exception:
        return False
    return st.session_state.get(TOKEN_ROLE_KEY) == "write"


def read_only_note(where: Any = st) -> bool:
    """Show READ_ONLY_NOTE in `where` when the session may only read; answers whether it did
    (write buttons are then drawn disabled)."""
    if can_write():
        return False
    where.caption(READ_ONLY_NOTE)
    return True


def require_write() -> None:
    """Raise Forbidden (shown by the caller's error display) when the session may only read: the
    server side of the disabled buttons."""
    if not can_write():
        raise Forbidden(READ_ONLY_NOTE, field="token")


def remember_job(job_id: str) -> None:
    """Note a job launched in this browser session (Active Jobs keeps showing it after it ends)."""
    mine = st.session_state.setdefault(MY_JOBS_KEY, [])
    if job_id not in mine:
        mine.insert(0, job_id)
        del mine[20:]


def my_jobs() -> list[str]:
    """Ids of the jobs launched or watched in this session, newest first."""
    return list(st.session_state.get(MY_JOBS_KEY, []))


def details_link(job_id: str, label: str = "Open job details") -> None:
    """A link to the Job Details page for `job_id` (navigates without reloading the app)."""
    st.page_link(
        PAGE_DETAILS, label=label, icon=":material/open_in_new:", query_params={"job_id": job_id}
    )


def download(
    where: Any,
    label: str,
    data: str | Callable[[], str],
    file_name: str,
    key: str,
    **options: Any,
) -> None:
    """A download button in `where` (st or a column) for `file_name`, typed by its ending (csv,
    json, html); `data` may be a callable that makes the text. Clicking it does not rerun the
    page. `options`: more download_button arguments (help, disabled)."""
    where.download_button(
        label,
        data=data,
        file_name=file_name,
        mime=MIME_TYPES[file_name.rsplit(".", 1)[-1]],
        on_click="ignore",
        icon=":material/download:",
        key=key,
        **options,
    )
