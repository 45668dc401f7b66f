"""What every benchmark shares: the machine line (load average) and repeated timings.

Every figure a benchmark prints is run at least 3 times and reported as min and median
(`Timing`), and every benchmark's output starts with `machine_line()` so that a figure read
later comes with the load the machine was under (the machine is shared).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MIN_REPEAT = 3


def machine_line() -> str:
    """`load average 1/5/15 min: a b c; N cpus; Python x.y` (os.getloadavg)."""
    try:
        one, five, fifteen = os.getloadavg()
        load = f"load average (1/5/15 min): {one:.2f} {five:.2f} {fifteen:.2f}"
    except OSError:
        load = "load average: unavailable"
    return f"{load}; {os.cpu_count()} cpus; Python {platform.python_version()}"


@dataclass
class Timing:
    """Seconds of the runs of one figure; `min` and `median` in seconds."""

    runs: list[float] = field(default_factory=list)

    @property
    def min(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def add(self, seconds: float) -> None:
        self.runs.append(seconds)

    def __str__(self) -> str:
        return f"{self.min:.3f}/{self.median:.3f}"


def timed(fn: Callable[[], Any], repeat: int = MIN_REPEAT) -> tuple[Timing, Any]:
    """Run `fn` `repeat` times (at least MIN_REPEAT): (Timing of the runs, last result)."""
    t, out = Timing(), None
    for _ in range(max(MIN_REPEAT, repeat)):
        t0 = time.perf_counter()
        out = fn()
        t.add(time.perf_counter() - t0)
    return t, out


def interleaved(ways: dict[str, Callable[[], Any]], repeat: int = MIN_REPEAT):
    """Run every way once per round, `repeat` rounds (at least MIN_REPEAT), so that a shared
    machine's load hits every way alike: ({way: Timing}, {way: last result})."""
    times = {k: Timing() for k in ways}
    found: dict[str, Any] = {}
    for _ in range(max(MIN_REPEAT, repeat)):
        for k, fn in ways.items():
            t0 = time.perf_counter()
            found[k] = fn()
            times[k].add(time.perf_counter() - t0)
    return times, found
