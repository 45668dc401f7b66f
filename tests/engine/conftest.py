"""Fixtures for executor and store tests: noop operation plans and probes."""

from __future__ import annotations

import itertools

import pytest

from batchcore.operations import noop
from batchcore.planning import OpPlan

_probe_names = itertools.count()


def noops(n: int, prefix: str = "op", **spec) -> list[OpPlan]:
    """`n` noop operation plans with ids prefix0..prefixN-1 and the given spec."""
    return [OpPlan(f"{prefix}{i}", "noop", dict(spec)) for i in range(n)]


@pytest.fixture
def new_probe():
    """Factory: a fresh, uniquely named concurrency probe → (name, Probe)."""

    def factory():
        name = f"probe{next(_probe_names)}"
        return name, noop.probe(name)

    return factory


def counts_add_up(progress) -> bool:
    """completed + failed + skipped + cancelled + running + pending == total."""
    p = progress
    return (
        p.completed_operations
        + p.failed_operations
        + p.skipped_operations
        + p.cancelled_operations
        + p.running_operations
        + p.pending_operations
    ) == p.total_operations
