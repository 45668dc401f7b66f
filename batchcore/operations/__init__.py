"""Operation handlers: one per `OperationKind`, behind one small interface.

A handler is `run(spec: dict, ctx: OperationContext) -> OperationOutcome`. It only does its
work: the executor marks it running, times it, classifies exceptions, retries, stores the
outcome and always reaches a terminal state. A handler RETURNS a failed outcome for a result
that is a failure (checks that fail) and RAISES for an error (cannot connect, bad YAML).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from batchcore.models import OperationKind
from batchcore.operations.base import OperationContext, OperationOutcome

Handler = Callable[[dict, OperationContext], OperationOutcome]

# kind -> "module:function", imported on first use so start-up stays fast
HANDLER_PATHS: dict[str, str] = {
    OperationKind.PIPELINE_EXECUTION.value: "batchcore.operations.pipeline:run",
    OperationKind.DATA_GENERATION.value: "batchcore.operations.datagen:run",
    OperationKind.METADATA_EXTRACTION.value: "batchcore.operations.metadata:run",
    OperationKind.NOOP.value: "batchcore.operations.noop:run",
}
_CACHE: dict[str, Handler] = {}


def get_handler(kind: str) -> Handler:
    """The handler for `kind`. Raises KeyError listing the known kinds."""
    if kind not in _CACHE:
        try:
            path = HANDLER_PATHS[kind]
        except KeyError:
            raise KeyError(
                f"unknown operation kind {kind!r}; known: {sorted(HANDLER_PATHS)}"
            ) from None
        module, func = path.split(":")
        _CACHE[kind] = getattr(importlib.import_module(module), func)
    return _CACHE[kind]


__all__ = ["HANDLER_PATHS", "Handler", "OperationContext", "OperationOutcome", "get_handler"]
