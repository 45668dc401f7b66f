"""Error answers of the REST API: one JSON shape for every 4xx/5xx (see schemas.ErrorResponse).

- `BatchError` → its `http_status` (RequestError/ConfigError 422, NotFound 404, Conflict 409,
  StoreLocked/StoreUnavailable 503, Unauthorized 401); `loc` comes from the error's `field`
  (`["header", name]` when it names a request header, `["server"]` for a 503).
- FastAPI/pydantic validation errors (bad JSON, wrong types, unknown keys, out-of-range values,
  bad query values) → 422 with each problem's `loc` and a plain `message` naming the field. A
  value that fits no member of a union is one problem of its field (`must be a number or a list,
  got '5' (a string)`), not one per member under pydantic's member tags (`x.int`, `x.list[int]`).
- Starlette HTTP errors (unknown URL 404, wrong method 405) keep their status.
- Anything else → 500 "internal error" (`"error": "InternalError"`) with no traceback and no
  exception class (both go to the log).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from batchcore.errors import BatchError
from batchcore.textutil import json_kind, short_value

log = logging.getLogger("batchcore.api")

_LOC_KINDS = ("body", "query", "path", "header", "cookie")
MAX_PROBLEMS_IN_MESSAGE = 3
# error types whose message already shows the value (no "(got …)" added)
_SELF_DESCRIBED = {"wrong_type", "number_range"}


# pydantic's tags of union members in an error's loc: `int`, `float`, `str`, `list[int]`,
# `function-after[check_id(), str]`, `constrained-str`, a model's class name; request fields
# are snake_case, so a tag is never mistaken for one
_UNION_TAG = re.compile(
    r"(int|float|str|bool|bytes|none|decimal|constrained-[a-z-]+|[a-z-]+\[.*\]|[A-Z]\w*)"
)
# error types saying "the value is not of this member's kind", and that kind for messages
_KIND_NOUNS = {
    "float_type": "a number",
    "int_type": "an integer",
    "string_type": "a string",
    "bool_type": "true/false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "none_required": "null",
    "literal_error": None,  # the allowed values, from ctx
    "enum": None,
}


def _union_tag_at(loc: tuple) -> int | None:
    """Where the first union-member tag is in `loc`, if any."""
    for i, part in enumerate(loc):
        if i == 0 and part in _LOC_KINDS:
            continue
        if isinstance(part, str) and _UNION_TAG.fullmatch(part):
            return i
    return None


def _kind_noun(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    noun = _KIND_NOUNS.get(kind)
    if noun is None:
        expected = (err.get("ctx") or {}).get("expected")
        return str(expected) if expected else "another kind of value"
    return noun


def collapse_union_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors with each union's per-member errors merged into one error of the field.

    pydantic reports a value that fits no member once per member, each under the member's tag
    (`threshold.float`, `threshold.int`). When the value was of no member's kind, those become
    one `wrong_type` error at the field: `must be a number or a list, got '5' (a string)`. When
    it was of one member's kind but broke that member's rules, that member's errors are kept,
    without the tag in their loc.
    """
    groups: dict[tuple, dict[str, list[dict[str, Any]]]] = {}
    for err in errors:
        loc = tuple(err.get("loc", ()))
        at = _union_tag_at(loc)
        if at is not None:
            groups.setdefault(loc[:at], {}).setdefault(str(loc[at]), []).append(err)
    unions = {field: members for field, members in groups.items() if len(members) > 1}
    out: list[dict[str, Any]] = []
    done: set[tuple] = set()
    for err in errors:
        loc = tuple(err.get("loc", ()))
        at = _union_tag_at(loc)
        field = loc[:at] if at is not None else None
        if field not in unions:
            out.append(err)
            continue
        if field in done:
            continue
        done.add(field)
        members = unions[field]
        depth = len(field)
        # a member "fits" when the value was of its kind: its errors are about parts of the value
        # (a list's item, an object's field) or rules of the kind (range, length, pattern)
        fitting = [
            errs
            for errs in members.values()
            if any(e.get("type") not in _KIND_NOUNS or len(e["loc"]) > depth + 1 for e in errs)
        ]
        if fitting:
            out.extend(
                {**e, "loc": (*e["loc"][:depth], *e["loc"][depth + 1 :])} for e in fitting[0]
            )
            continue
        nouns = list(dict.fromkeys(_kind_noun(errs[0]) for errs in members.values()))
        if "a number" in nouns and "an integer" in nouns:
            nouns.remove("an integer")
        value = err.get("input")
        out.append(
            {
                "type": "wrong_type",
                "loc": field,
                "msg": f"must be {' or '.join(nouns)}, got {short_value(value)} ({json_kind(value)})",
                "input": value,
            }
        )
    return out


def field_name(loc: list[str | int] | tuple) -> str:
    """`["body", "pipelines", 0, "pipeline_id"]` → `pipelines.0.pipeline_id`; `["query", "status",
    0]` → `status` (a repeated query parameter); `["body"]` → `request body`."""
    parts = list(loc)
    kind = parts[0] if parts and parts[0] in _LOC_KINDS else None
    if kind is not None:
        parts = parts[1:]
        if kind == "query":
            parts = [p for p in parts if not isinstance(p, int)]
    return ".".join(str(p) for p in parts) or (
        "request body" if kind in (None, "body") else f"{kind} parameters"
    )


def explain(err: dict[str, Any]) -> str:
    """What is wrong with one input, without its name: `must be ≤ 10 (got 11)`."""
    kind = err.get("type", "")
    loc = list(err.get("loc", ()))
    msg = (
        str(err.get("msg", "invalid value"))
        .removeprefix("Value error, ")
        .removeprefix("Assertion failed, ")
    )
    at_root = loc in (["body"], [])
    if kind == "missing":
        return (
            "is required: send a JSON object (Content-Type: application/json)"
            if at_root
            else "required field is missing"
        )
    if kind == "json_invalid":
        ctx = err.get("ctx") or {}
        return f"is not valid JSON ({ctx.get('error', msg)})"
    if kind == "extra_forbidden":
        return "unknown field (not part of this request; see /batch/docs)"
    if kind == "model_attributes_type" and at_root:
        return "must be a JSON object (Content-Type: application/json)"
    if kind in _SELF_DESCRIBED:
        return msg
    if "input" in err and kind != "model_attributes_type":
        return f"{msg} (got {short_value(err['input'])})"
    return msg


def describe(err: dict[str, Any]) -> str:
    """One plain sentence for one pydantic/FastAPI error: `field: what is wrong (got value)`."""
    name = "request body" if err.get("type") == "json_invalid" else field_name(err.get("loc", ()))
    text = explain(err)
    if name == "request body" and text.startswith(("is ", "must ")):
        return f"request body {text}"
    return f"{name}: {text}"


def validation_message(errors: list[dict[str, Any]]) -> str:
    """All problems in one message (the first three spelled out)."""
    errors = collapse_union_errors(errors)
    parts = [describe(e) for e in errors[:MAX_PROBLEMS_IN_MESSAGE]]
    more = len(errors) - MAX_PROBLEMS_IN_MESSAGE
    text = "; ".join(parts) or "invalid request"
    return text + (f" (and {more} more problem{'s' * (more > 1)})" if more > 0 else "")


def _loc_from_field(field: str | None, request: Request, value: Any = None) -> list[str | int]:
    if not field:
        return []
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in field.split(".")]
    if field in request.path_params:
        return ["path", *parts]
    # the engine names a job `job_id`; the route may call that path parameter job_a / job_b
    named = [k for k, v in request.path_params.items() if value is not None and v == value]
    if named:
        return ["path", named[-1]]
    if field in request.headers:  # e.g. Idempotency-Key
        return ["header", field]
    return ["body" if request.method in ("POST", "PUT", "PATCH") else "query", *parts]


def error_body(
    error: str, message: str, detail: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """The ErrorResponse JSON."""
    body = {"error": error, "message": message, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def batch_error_handler(redact: Callable[[str], str] | None = None):
    """The handler for BatchError: its http_status; 422 messages are prefixed with the field when
    missing. `redact` rewrites texts before they leave (e.g. server folders → `<workspace>`)."""
    clean = redact or (lambda text: text)

    async def handle(request: Request, exc: BatchError) -> JSONResponse:
        status = int(getattr(exc, "http_status", 400))
        text = clean(exc.message)
        message = text
        if status == 422 and exc.field and not message.startswith(exc.field):
            message = f"{exc.field}: {message}"
        # a server-side problem (503: workspace, locked store) or a credential (401) is not
        # located in the request's body or query
        located = status < 500 and status not in (401, 403, 429)
        loc = _loc_from_field(exc.field, request, exc.value) if located else ["server"]
        if status in (401, 403):
            loc = ["header", "Authorization"]
        detail = [{"loc": loc, "msg": text, "type": type(exc).__name__}]
        current = exc.extra.get("current_status")
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 429:
            headers = {"Retry-After": str(int(exc.extra.get("retry_after_s", 30)))}
        return JSONResponse(
            error_body(type(exc).__name__, message, detail, current_status=current),
            status_code=status,
            headers=headers,
        )

    return handle


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Request validation → 422 with loc/msg/type per problem (inputs are not echoed)."""
    errors = collapse_union_errors(list(exc.errors()))
    detail = [
        {
            "loc": list(e.get("loc", ())),
            "msg": explain(e),
            "type": str(e.get("type", "value_error")),
        }
        for e in errors
    ]
    return JSONResponse(
        error_body("RequestValidationError", validation_message(errors), detail), status_code=422
    )


async def http_error_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """404 for unknown URLs, 405 for wrong methods, in the common shape; an unreadable body
    (FastAPI's 400) becomes a 422 like every other bad body."""
    text = exc.detail if isinstance(exc.detail, str) else "HTTP error"
    if exc.status_code == 400 and text == "There was an error parsing the body":
        # FastAPI's answer to a body that is not UTF-8 / cannot be decoded: a bad body like any other
        text = "request body could not be read: send UTF-8 encoded JSON (Content-Type: application/json)"
        detail = [{"loc": ["body"], "msg": text, "type": "body_unreadable"}]
        return JSONResponse(error_body("RequestValidationError", text, detail), status_code=422)
    if exc.status_code == 404 and text == "Not Found":
        text = f"no endpoint {request.method} {request.url.path} (see /batch/docs)"
    elif exc.status_code == 405:
        text = f"method {request.method} is not allowed on {request.url.path}"
    detail = [{"loc": [], "msg": text, "type": f"http_{exc.status_code}"}]
    return JSONResponse(
        error_body("HTTPException", text, detail),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Bugs: 500 without a traceback in the answer (logged with one)."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    text = (
        "internal error: the server could not answer this request (details are in the server log)"
    )
    # the exception's class stays in the log: it tells a client nothing and an attacker a lot
    return JSONResponse(
        error_body("InternalError", text, [{"loc": [], "msg": text, "type": "internal"}]),
        status_code=500,
    )


def install_error_handlers(api: FastAPI, redact: Callable[[str], str] | None = None) -> None:
    """Register every handler above on `api` (`redact`: see batch_error_handler)."""
    api.add_exception_handler(BatchError, batch_error_handler(redact))
    api.add_exception_handler(RequestValidationError, validation_error_handler)
    api.add_exception_handler(StarletteHTTPException, http_error_handler)
    api.add_exception_handler(Exception, unexpected_error_handler)
