"""Fixtures for executor and store tests: noop operation plans and probes, and the executor
backends.

A test module that sets `BACKENDS = ("threads", "dask")` runs each of its tests that build an
engine (`make_engine`) once per backend; `dask` is a LocalCluster of 2 worker processes started
once per session (on first use) and stopped at its end. A test marked `threads_only(reason)`
runs on threads only. Noop probes and gates are files in a shared folder from the moment the
cluster starts (BATCH_NOOP_DIR), so tests watch and release operations running in workers.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from batchcore.config import PROJECT_ROOT, Settings
from batchcore.engine import Engine
from batchcore.executor import RetryPolicy
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


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    backends = getattr(metafunc.module, "BACKENDS", ("threads",))
    if metafunc.definition.get_closest_marker("threads_only"):
        backends = ("threads",)
    metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The executor backend of this test: `threads` or `dask`."""
    return getattr(request, "param", "threads")


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """A LocalCluster of 2 worker processes (12 threads each) on 127.0.0.1, for the session.

    Its scheduler runs in this process with `allowed-failures: 0` (as the engine's `local:N`
    does): a killed worker surfaces to the executor instead of being retried by Dask."""
    import dask
    from distributed import LocalCluster

    shared = tmp_path_factory.mktemp("noop-shared")
    os.environ["BATCH_NOOP_DIR"] = str(shared)  # before the workers start: they inherit it
    dask.config.set({"distributed.scheduler.allowed-failures": 0})
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=12,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    yield cluster
    cluster.close()
    os.environ.pop("BATCH_NOOP_DIR", None)


@pytest.fixture
def make_engine(tmp_path: Path, backend: str, request):
    """Factory: `make_engine(max_workers=.., workspace=.., **settings)` → a started Engine on a
    job store in tmp_path (the same store each call, so a second engine reloads it), running
    its operations on this test's backend. Closed at the end."""
    engines: list[Engine] = []
    extra = {}
    if backend == "dask":
        cluster = request.getfixturevalue("dask_cluster")
        extra = {"executor": "dask", "dask_scheduler": cluster.scheduler_address}

    def factory(
        *, workspace: Path | None = None, retry_policy: RetryPolicy | None = None, **kw
    ) -> Engine:
        settings = Settings(
            jobs_dir=tmp_path / "jobs",
            workspace=workspace or (PROJECT_ROOT / "examples" / "workspace"),
            auto_build_example=False,
            **{**extra, **kw},
        )
        eng = Engine(settings, retry_policy=retry_policy or RetryPolicy(base_s=0.01, cap_s=0.05))
        engines.append(eng)
        return eng

    yield factory
    for eng in engines:
        eng.close(wait_s=5)
