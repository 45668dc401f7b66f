"""The `noop` operation: for tests, benchmarks and smoke checks of the executor.

spec keys (all optional): `sleep_ms` (default 0), `fail` (raise RuntimeError), `fail_attempts`
(raise on the first N attempts, then succeed), `result_failed` (return a failed outcome),
`ignore_cancel` (sleep through a cancel, like a blocking call that cannot be interrupted),
`value` (echoed in the result).
"""

from __future__ import annotations

import time

from batchcore.operations.base import OperationContext, OperationOutcome


def run(spec: dict, ctx: OperationContext) -> OperationOutcome:
    """Sleep `sleep_ms`, then fail or succeed as the spec says."""
    sleep_s = float(spec.get("sleep_ms", 0)) / 1000.0
    if sleep_s > 0:
        if spec.get("ignore_cancel"):
            time.sleep(sleep_s)
        elif ctx.wait(sleep_s):
            ctx.check_cancelled()
    if spec.get("fail") or ctx.attempt <= int(spec.get("fail_attempts", 0)):
        raise RuntimeError(f"noop failure on attempt {ctx.attempt}")
    if spec.get("result_failed"):
        return OperationOutcome(success=False, summary="noop failed result", error="requested failed result",
                                result={"value": spec.get("value")})
    return OperationOutcome(success=True, summary="ok", result={"value": spec.get("value"), "attempt": ctx.attempt})
