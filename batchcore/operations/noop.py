"""The `noop` operation: for tests, benchmarks and smoke checks of the executor.

spec keys (all optional): `sleep_ms` (default 0), `fail` (raise RuntimeError), `fail_attempts`
(raise on the first N attempts, then succeed), `result_failed` (return a failed outcome),
`ignore_cancel` (sleep through a cancel, like a blocking call that cannot be interrupted),
`value` (echoed in the result), `probe` (name of a `Probe` that records concurrency and the
start/end times of every execution, for concurrency tests), `gate` (name of a threading.Event,
`gate(name)`: the attempt waits until the test sets it, or until it is cancelled).

Probes and gates live in this process's memory, unless BATCH_NOOP_DIR names a folder: then they
are files in it (`probe-<name>.log`, `gate-<name>`), so a test can watch and release operations
that run in other processes (Dask workers started with the same environment). Times are
`time.monotonic()`, which is one clock for every process of a Linux machine.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from batchcore.operations.base import OperationContext, OperationOutcome


@dataclass
class Probe:
    """Concurrency recorder: `current` and `max` executions at once; `runs` of
    (operation_id, attempt, start, end) in time.monotonic() seconds."""

    current: int = 0
    max: int = 0
    runs: list[tuple[str, int, float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> float:
        """An execution starts: returns its start time."""
        with self.lock:
            self.current += 1
            self.max = max(self.max, self.current)
        return time.monotonic()

    def leave(self, operation_id: str, attempt: int, start: float) -> None:
        """The execution that started at `start` ends."""
        with self.lock:
            self.current -= 1
            self.runs.append((operation_id, attempt, start, time.monotonic()))


class FileProbe:
    """A Probe kept in a file shared by processes: one line per start and per end."""

    def __init__(self, path: Path):
        self.path = path

    def _write(self, line: str) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())  # one write() with O_APPEND: lines never interleave
        finally:
            os.close(fd)

    def enter(self) -> float:
        start = time.monotonic()
        self._write(f"S {start!r} {os.getpid()}\n")
        return start

    def leave(self, operation_id: str, attempt: int, start: float) -> None:
        self._write(f"E {time.monotonic()!r} {start!r} {attempt} {operation_id}\n")

    def _events(self) -> list[list[str]]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return []
        return [ln.split(" ", 4) for ln in text.splitlines() if ln]

    @property
    def runs(self) -> list[tuple[str, int, float, float]]:
        return [(e[4], int(e[3]), float(e[2]), float(e[1])) for e in self._events() if e[0] == "E"]

    @property
    def current(self) -> int:
        ev = self._events()
        return sum(1 for e in ev if e[0] == "S") - sum(1 for e in ev if e[0] == "E")

    @property
    def max(self) -> int:
        """Most executions at once: starts and ends swept in time order (an end at the same
        instant as a start counts first)."""
        points = []
        for e in self._events():
            if e[0] == "S":
                points.append((float(e[1]), 1))
            else:
                points.append((float(e[1]), -1))
        best = now = 0
        for _t, d in sorted(points):
            now += d
            best = max(best, now)
        return best


class FileGate:
    """A threading.Event-like gate kept as a file (set = the file exists)."""

    def __init__(self, path: Path):
        self.path = path

    def set(self) -> None:
        self.path.touch()

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def is_set(self) -> bool:
        return self.path.exists()

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.path.exists():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True


PROBES: dict[str, Probe] = {}
_PROBES_LOCK = threading.Lock()


def _shared_dir() -> Path | None:
    d = os.environ.get("BATCH_NOOP_DIR")
    return Path(d) if d else None


def probe(name: str) -> Probe | FileProbe:
    """The probe called `name` (created empty on first use)."""
    shared = _shared_dir()
    if shared is not None:
        return FileProbe(shared / f"probe-{name}.log")
    with _PROBES_LOCK:
        return PROBES.setdefault(name, Probe())


GATES: dict[str, threading.Event] = {}


def gate(name: str) -> threading.Event | FileGate:
    """The event called `name` (created unset on first use): operations with `gate: name` wait
    for it, so a test decides when they end instead of sleeping."""
    shared = _shared_dir()
    if shared is not None:
        return FileGate(shared / f"gate-{name}")
    with _PROBES_LOCK:
        return GATES.setdefault(name, threading.Event())


def run(spec: dict, ctx: OperationContext) -> OperationOutcome:
    """Sleep `sleep_ms`, then fail or succeed as the spec says."""
    p = probe(spec["probe"]) if spec.get("probe") else None
    start = p.enter() if p is not None else time.monotonic()
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
            p.leave(ctx.operation_id, ctx.attempt, start)
