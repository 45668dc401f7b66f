"""The parts every job form shares: job fields, execution options, inline errors and submit.

A launch page calls `launch_page` with its own selection widgets and `build`: that renders the
title, `job_fields`, the selection, `execution_fields` and `submit_area` in this order.
Submitting runs in the button's callback (before the page re-renders), so validation errors
appear next to their fields and the success message links to the new job. Every error names
the offending value (`got`); once the form changes, `refresh_errors` drops the errors that no
longer hold, and a failed submit with an override in error opens the overrides' expander. Every widget has a
key `<prefix>.<field>`; the page's `build` callable reads its own keys from session state.

Double-submit guard: a request identical to this session's previous one (same job type, same
request content) within `DUPLICATE_WINDOW_S` seconds creates no second job; the first job's
success message is shown again with a note that the duplicate was ignored.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from batchcore.engine import get_engine
from batchcore.errors import BatchError
from batchcore.models import DESCRIPTION_MAX, JOB_NAME_MAX, JobType
from batchcore.textutil import clip
from batchcore.workspace import Workspace
from ui_components import schedule_form
from ui_components.core import (
    PAGE_ACTIVE,
    PAGE_DETAILS,
    can_write,
    engine,
    error_text,
    guard,
    log,
    read_only_note,
    remember_job,
    require_write,
)
from ui_components.fmt import md_escape

Errors = dict[str, str]
Builder = Callable[[], tuple[dict[str, Any], Errors]]
# a warning about an accepted request (workspace, request) -> text or None, shown with the success
Notes = Callable[[Workspace, dict[str, Any]], str | None]
# widget values persist for the whole session, so a form is still filled after a visit elsewhere
PERSIST = "session"
DUPLICATE_WINDOW_S = 5.0
LAST_SUBMIT_KEY = "bo_last_submit"
# the validation overrides (pickers.override_fields): an error in one opens their expander
OVERRIDE_FIELDS = ("threshold", "sample_size", "config_override")
OVERRIDES_OPEN = "overrides_open"


def got(v: Any) -> str:
    """`(got 1.5)`: the offending value for an error message, numbers as people write them
    (`-5`, `1,500`, `0.125`), text quoted and cut at 60 characters; `(it is empty)` for None."""
    if v is None:
        return "(it is empty)"
    if isinstance(v, bool):
        return f"(got {v})"
    if isinstance(v, int | float):
        if isinstance(v, float) and not v.is_integer():
            return f"(got {v:,})"
        return f"(got {int(v):,})"
    return f"(got “{clip(str(v), 60)}”)"


def key(prefix: str, name: str) -> str:
    """Widget key of field `name` in the form `prefix`."""
    return f"{prefix}.{name}"


def value(prefix: str, name: str, default: Any = None) -> Any:
    """Current value of a form field (its default before the widget ever rendered)."""
    return st.session_state.get(key(prefix, name), default)


def _errors(prefix: str) -> Errors:
    return st.session_state.get(key(prefix, "_errors")) or {}


def field_error(prefix: str, *fields: str) -> bool:
    """Show the errors of `fields` (or of any field starting with `<field>.`) right here.
    Returns True when one was shown; shown errors are not repeated at the submit button."""
    errs = _errors(prefix)
    shown = st.session_state.setdefault(key(prefix, "_shown"), set())
    hit = False
    for name, msg in errs.items():
        if any(name == f or name.startswith(f + ".") for f in fields):
            st.error(msg, icon=":material/error:")
            shown.add(name)
            hit = True
    return hit


CUT_AT = {"job_name": JOB_NAME_MAX, "description": DESCRIPTION_MAX}
CUT_LABELS = {"job_name": "job name", "description": "description"}


def cut_to_limit(prefix: str) -> None:
    """Keep the first CUT_AT characters of each text field that is longer (a long paste), and
    remember how long it was for `cut_note`. Call from a widget callback (before the widgets
    are drawn), e.g. the submit button's."""
    for name, limit in CUT_AT.items():
        text = str(value(prefix, name, "") or "")
        if len(text.strip()) > limit:
            st.session_state[key(prefix, name)] = text.strip()[:limit]
            st.session_state[key(prefix, f"_cut.{name}")] = len(text.strip())


def cut_note(prefix: str, name: str) -> None:
    """Under a field cut by `cut_to_limit`: what was kept, while the text is the cut one."""
    had = st.session_state.get(key(prefix, f"_cut.{name}"))
    if had is None:
        return
    if len(str(value(prefix, name, "") or "")) != CUT_AT[name]:
        st.session_state.pop(key(prefix, f"_cut.{name}"), None)  # edited since: no longer true
        return
    st.warning(
        f"The {CUT_LABELS[name]} had {had:,} characters: only the first {CUT_AT[name]:,} are kept "
        "(the limit). Edit it if the cut lands badly.",
        icon=":material/content_cut:",
    )


def job_fields(prefix: str, *, placeholder: str, known_tags: list[str] | None = None) -> None:
    """Job name, description and tags."""
    st.session_state[key(prefix, "_shown")] = set()
    # no max_chars: Streamlit's browser input drops a pasted text longer than it whole (the
    # field came back empty); a submit keeps the first CUT_AT characters and says so instead
    st.text_input(
        "Job name",
        key=key(prefix, "job_name"),
        placeholder=placeholder,
        persist_state=PERSIST,
    )
    cut_note(prefix, "job_name")
    field_error(prefix, "job_name")
    st.text_area(
        "Description",
        key=key(prefix, "description"),
        height=68,
        placeholder="What this batch is for (optional)",
        persist_state=PERSIST,
    )
    cut_note(prefix, "description")
    field_error(prefix, "description")
    st.multiselect(
        "Tags",
        options=known_tags or [],
        key=key(prefix, "tags"),
        accept_new_options=True,
        placeholder="Choose or type tags (optional)",
        persist_state=PERSIST,
    )
    field_error(prefix, "tags")


def execution_fields(prefix: str, *, default_parallel: int = 5) -> None:
    """Parallel / sequential, max parallel 1–10, stop on first error, retries and timeout."""
    c1, c2 = st.columns(2)
    with c1:
        parallel = st.toggle(
            "Run operations in parallel",
            value=True,
            key=key(prefix, "parallel_execution"),
            help="Off: one operation at a time, in the listed order.",
            persist_state=PERSIST,
        )
        st.slider(
            "Max parallel",
            min_value=1,
            max_value=10,
            value=default_parallel,
            key=key(prefix, "max_parallel"),
            disabled=not parallel,
            help="Operations of this job running at once (1–10).",
            persist_state=PERSIST,
        )
        field_error(prefix, "max_parallel", "parallel_execution")
        st.checkbox(
            "Stop on first error",
            value=False,
            key=key(prefix, "stop_on_error"),
            help="After the first operation fails for good, the pending ones are skipped.",
            persist_state=PERSIST,
        )
    with c2:
        st.number_input(
            "Max retries per operation",
            value=0,
            step=1,
            key=key(prefix, "max_retries"),
            help="Automatic retries (0–10) of an operation that raised an error, with backoff.",
            persist_state=PERSIST,
        )
        field_error(prefix, "max_retries")
        st.number_input(
            "Timeout per operation (seconds)",
            value=None,
            step=60.0,
            key=key(prefix, "timeout_s"),
            placeholder="no limit",
            help="Optional, up to 86,400 s (one day).",
            persist_state=PERSIST,
        )
        field_error(prefix, "timeout_s")


def read_options(prefix: str) -> tuple[dict[str, Any], Errors]:
    """The common request fields from the widgets, with inline validation errors."""
    errs: Errors = {}
    raw_name = str(value(prefix, "job_name", "") or "")
    name = raw_name.strip()[:JOB_NAME_MAX]  # a longer one is cut (cut_to_limit tells the user)
    if not name:
        errs["job_name"] = "Give the job a name" + (" (got only spaces)." if raw_name else ".")
    parallel = bool(value(prefix, "parallel_execution", True))
    max_parallel = int(value(prefix, "max_parallel", 5))
    retries = value(prefix, "max_retries", 0)
    if retries is None or not float(retries).is_integer() or not 0 <= retries <= 10:
        errs["max_retries"] = f"Max retries must be a whole number from 0 to 10 {got(retries)}."
    timeout = value(prefix, "timeout_s")
    if timeout is not None and not 0 < float(timeout) <= 86400:
        errs["timeout_s"] = (
            f"Timeout must be more than 0 and at most 86,400 seconds, one day {got(timeout)}."
        )
    opts = {
        "job_name": name,
        "description": str(value(prefix, "description", "") or "").strip()[:DESCRIPTION_MAX],
        "tags": [str(t).strip() for t in value(prefix, "tags", []) or [] if str(t).strip()],
        "parallel_execution": parallel,
        "max_parallel": max_parallel if parallel else 1,
        "stop_on_error": bool(value(prefix, "stop_on_error", False)),
        "max_retries": int(retries) if "max_retries" not in errs else 0,
        "timeout_s": None if timeout is None or "timeout_s" in errs else float(timeout),
    }
    return opts, errs


def _sha256(value: Any) -> str:
    """A digest of a JSON-able value (key order does not matter)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def request_fingerprint(job_type: JobType | str, request: dict[str, Any]) -> str:
    """A digest of the job type and the request content (key order does not matter)."""
    return _sha256([str(JobType(job_type).value), request])


def recent_duplicate(
    last: dict[str, Any] | None,
    fingerprint: str,
    now: float,
    window_s: float = DUPLICATE_WINDOW_S,
) -> dict[str, Any] | None:
    """The previous submission `last` ({"fingerprint", "at", "result"}, `at` on the
    `time.monotonic()` clock) when `fingerprint` equals its fingerprint and it is less than
    `window_s` seconds old; else None."""
    if not last or last.get("fingerprint") != fingerprint:
        return None
    return last if 0 <= now - last["at"] < window_s else None


def _field_of(exc: BatchError, field_map: dict[str, str]) -> str:
    name = exc.field or "_form"
    root = name.split(".", 1)[0]
    return field_map.get(name) or field_map.get(root) or name


def _engine_error(exc: BatchError) -> str:
    """The engine's message for a refused request, with the offending value when the message
    does not already show it."""
    text = error_text(exc)
    if exc.value is None or str(exc.value) in text:
        return text
    return f"{text.rstrip('.')} {got(exc.value)}."


def _check(prefix: str, build: Builder) -> tuple[dict[str, Any], Errors]:
    """The request the widgets make now and the form's own errors (no engine call)."""
    opts, errs = read_options(prefix)
    try:
        body, body_errs = build()
    except Exception as exc:  # a bad workspace file while reading the selection
        body, body_errs = {}, {"_form": error_text(exc)}
    return {**opts, **body}, {**errs, **body_errs}


def _digest(request: dict[str, Any], errs: Errors) -> str:
    """What the form asks for: the request and the form's own errors (they hold the values the
    request leaves out), so a search or an expander that moves changes nothing."""
    return _sha256([request, errs])


def _set_errors(prefix: str, errs: Errors, digest: str | None = None) -> None:
    st.session_state[key(prefix, "_errors")] = errs
    st.session_state[key(prefix, "_errors_for")] = digest


def refresh_errors(prefix: str, build: Builder) -> None:
    """Forget errors that no longer hold, before the form is drawn. Once the form asks for
    something else than at the failed submit, an error stays only if the form's own check still
    finds it (with its message for the new value); an error of the engine (or of the whole form)
    goes, since only a new submit can tell. An unchanged form keeps every error."""
    errs = _errors(prefix)
    if not errs:
        return
    request, now = _check(prefix, build)
    digest = _digest(request, now)
    if digest != st.session_state.get(key(prefix, "_errors_for")):
        _set_errors(prefix, {name: now[name] for name in errs if name in now}, digest)


def _note(notes: Notes | None, request: dict[str, Any]) -> str | None:
    if notes is None:
        return None
    try:
        return notes(get_engine().workspace(), request)
    except Exception:  # a note must never hide the job that was created
        log.exception("submit note failed")
        return None


def _submit(
    prefix: str,
    job_type: JobType,
    build: Builder,
    field_map: dict[str, str],
    notes: Notes | None = None,
) -> None:
    st.session_state[key(prefix, "_result")] = None
    cut_to_limit(prefix)
    request, errs = _check(prefix, build)
    if errs:
        _set_errors(prefix, errs, _digest(request, errs))
        if any(name in OVERRIDE_FIELDS for name in errs):
            st.session_state[key(prefix, OVERRIDES_OPEN)] = True  # show the field in error
        return
    fingerprint = request_fingerprint(job_type, request)
    now = time.monotonic()
    first = recent_duplicate(st.session_state.get(LAST_SUBMIT_KEY), fingerprint, now)
    if first is not None:
        _set_errors(prefix, {})
        st.session_state[key(prefix, "_result")] = {
            **first["result"],
            "duplicate_after_s": now - first["at"],
        }
        return
    try:
        require_write()  # a read-only session never launches (its button is disabled too)
        resp = get_engine().submit(job_type, request)
    except BatchError as exc:
        _set_errors(prefix, {_field_of(exc, field_map): _engine_error(exc)}, _digest(request, {}))
        return
    except Exception as exc:
        log.exception("submit failed")
        _set_errors(
            prefix,
            {"_form": f"The job could not be submitted: {error_text(exc)}"},
            _digest(request, {}),
        )
        return
    result = {
        "job_id": resp.job_id,
        "name": request["job_name"],
        "message": resp.message,
        "total": resp.total_operations,
        "note": _note(notes, request),
    }
    _set_errors(prefix, {})
    st.session_state[key(prefix, "_result")] = result
    st.session_state[LAST_SUBMIT_KEY] = {
        "fingerprint": fingerprint,
        "at": time.monotonic(),
        "result": result,
    }
    remember_job(resp.job_id)


def submit_area(
    prefix: str,
    job_type: JobType,
    build: Builder,
    *,
    field_map: dict[str, str] | None = None,
    label: str = "Submit job",
    notes: Notes | None = None,
) -> None:
    """The submit button and "Save as schedule" beside it, then the outcome: errors not shown
    inline, or a success message with links to the new job's details and to Active Jobs (and, for an ignored duplicate submit, the
    first job's message with a note). `notes(workspace, request)` may add a warning about an
    accepted request (shown under the success message)."""
    with st.container(horizontal=True):
        st.button(
            label,
            type="primary",
            key=key(prefix, "submit"),
            icon=":material/rocket_launch:",
            on_click=_submit,
            args=(prefix, job_type, build, field_map or {}, notes),
            disabled=not can_write(),
        )
        schedule_form.save_button(prefix, job_type, lambda: _check(prefix, build))
    read_only_note()
    schedule_form.outcome(prefix)
    errs = _errors(prefix)
    shown = st.session_state.get(key(prefix, "_shown"), set())
    rest = {k: v for k, v in errs.items() if k not in shown}
    for msg in rest.values():
        st.error(msg, icon=":material/error:")
    if errs and not rest:
        st.error(
            f"Fix the {len(errs)} problem{'s' if len(errs) > 1 else ''} above, then submit again.",
            icon=":material/error:",
        )
    result = st.session_state.get(key(prefix, "_result"))
    if result:
        st.success(
            f"Submitted job **{md_escape(result['name'])}** (`{result['job_id']}`): "
            f"{md_escape(result['message'])}.",
            icon=":material/check_circle:",
        )
        if result.get("note"):
            st.warning(result["note"], icon=":material/warning:")
        if result.get("duplicate_after_s") is not None:
            st.info(
                f"The same request was submitted {result['duplicate_after_s']:.1f} s ago as this "
                "job, so the duplicate was ignored: no second job was created.",
                icon=":material/content_copy:",
            )
        c1, c2, _ = st.columns([1, 1, 2])
        with c1:
            st.page_link(
                PAGE_DETAILS,
                label="Open job details",
                icon=":material/open_in_new:",
                query_params={"job_id": result["job_id"]},
            )
        with c2:
            st.page_link(PAGE_ACTIVE, label="Watch on Active Jobs", icon=":material/monitoring:")


def launch_page(
    prefix: str,
    job_type: JobType,
    *,
    title: str,
    caption: str,
    placeholder: str,
    section: str,
    selection: Callable[[Workspace], None],
    build: Builder,
    default_parallel: int = 5,
    notes: Notes | None = None,
) -> None:
    """A whole job form: title and caption, then (errors shown by `guard`) the job fields with
    the store's known tags, the page's `selection(workspace)` under the heading `section`, the
    execution options and the submit area for `job_type` with `build` (and `notes`)."""
    st.title(title)
    st.caption(caption)
    eng = engine()
    with guard("Reading the workspace"):
        refresh_errors(prefix, build)
        ws = eng.workspace()
        tags = eng.analytics().distinct_tags()

        st.subheader("Job")
        job_fields(prefix, placeholder=placeholder, known_tags=tags)

        st.subheader(section)
        selection(ws)

        st.subheader("Execution")
        execution_fields(prefix, default_parallel=default_parallel)

        submit_area(prefix, job_type, build, notes=notes)
