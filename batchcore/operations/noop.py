"""The `noop` operation: for tests, benchmarks and smoke checks of the executor.

spec keys (all optional): `sleep_ms` (default 0), `fail` (raise RuntimeError), `fail_attempts`
(raise on the first N attempts, then succeed), `result_failed` (return a failed outcome),
`ignore_cancel` (sleep through a cancel, like a blocking call that cannot be interrupted),
`value` (echoed in the result), `probe` (name of a `Probe` that records concurrency and the
start/end times of every execution, for concurrency tests), `gate` (name of a threading.Event,
`gate(name)`: the attempt waits until the test sets it, or until it is cancelled).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from batchcore.operations.base import OperationContext, OperationOutcome


@dataclass
class Probe:
    """Concurrency recorder: `current` and `max` executions at once; `runs` of
    (operation_id, attempt, start, end) in time.monotonic() seconds."""

    current: int = 0
    max: int = 0
    runs: list[tuple[str, int, float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


PROBES: dict[str, Probe] = {}
_PROBES_LOCK = threading.Lock()


def probe(name: str) -> Probe:
    """The probe called `name` (created empty on first use)."""
    with _PROBES_LOCK:
        return PROBES.setdefault(name, Probe())


GATES: dict[str, threading.Event] = {}


def gate(name: str) -> threading.Event:
    """The event called `name` (created unset on first use): operations with `gate: name` wait
    for it, so a test decides when they end instead of sleeping."""
    with _PROBES_LOCK:
        return GATES.setdefault(name, threading.Event())


def run(spec: dict, ctx: OperationContext) -> OperationOutcome:
    """Sleep `sleep_ms`, then fail or succeed as the spec says."""
    p = probe(spec["probe"]) if spec.get("probe") else None
    start = time.monotonic()
    if p is not None:
        with p.lock:
            p.current += 1
            p.max = max(p.max, p.current)
    try:
        if spec.get("gate"):
            released = gate(spec["gate"])
            while not released.wait(0.02):
                ctx.check_cancelled()
        sleep_s = float(spec.get("sleep_ms", 0)) / 1000.0
        if sleep_s > 0:
            if spec.get("ignore_cancel"):
                time.sleep(sleep_s)
            elif ctx.wait(sleep_s):
                ctx.check_cancelled()
        if spec.get("fail") or ctx.attempt <= int(spec.get("fail_attempts", 0)):
            raise RuntimeError(f"noop failure on attempt {ctx.attempt}")
        if spec.get("result_failed"):
            return OperationOutcome(
                success=False,
                summary="noop failed result",
                error="requested failed result",
                result={"value": spec.get("value")},
            )
        return OperationOutcome(
            success=True, summary="ok", result={"value": spec.get("value"), "attempt": ctx.attempt}
        )
    finally:
        if p is not None:
            with p.lock:
                p.current -= 1
                p.runs.append((ctx.operation_id, ctx.attempt, start, time.monotonic()))
