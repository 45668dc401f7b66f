"""The API while the job store's disk is full (a real tmpfs): /health says degraded with the
reasons, creates answer 503 with a message (never 500), a cancel is still accepted and honoured,
and everything answers normally again once space is back."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

from batchcore.api import create_api
from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.operations import noop
from batchcore.planning import OpPlan
from batchcore.store.writer import FnCommand

BODY = {"job_name": "nightly", "pipelines": [{"pipeline_id": "pipeline1"}]}


def wait_until(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def disk_client(small_disk, api_workspace) -> Iterator[tuple[TestClient, Engine]]:
    eng = Engine(
        Settings(
            jobs_dir=small_disk.path / "jobs",
            workspace=api_workspace,
            max_workers=4,
            auto_build_example=False,
        )
    )
    try:
        with TestClient(create_api(engine=eng, token=None)) as c:
            yield c, eng
    finally:
        small_disk.free()
        eng.close(wait_s=5)


def test_a_full_disk_is_degraded_health_and_503_then_recovers(disk_client, small_disk):
    client, eng = disk_client
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["reasons"] == []
    assert health["store"]["writable"] is True and health["store"]["disk_free_bytes"] > 0

    gate = f"api-disk-{time.monotonic_ns()}"
    job = eng.submit_operations("held", [OpPlan("held", "noop", {"gate": gate})]).job_id
    wait_until(lambda: eng.get_job(job, with_operations=False).progress.running_operations == 1)

    small_disk.fill()
    eng.store.submit(
        FnCommand(
            lambda cur, now: cur.execute("CREATE TABLE scratch AS SELECT range FROM range(50000)")
        )
    )
    wait_until(lambda: client.get("/health").json()["store"]["writable"] is False)
    health = client.get("/health").json()
    assert health["status"] == "degraded"
    assert any(r.startswith("store write failing") for r in health["reasons"])
    assert any(r.startswith("disk full") for r in health["reasons"])

    refused = client.post("/pipelines/bulk-execute", json=BODY)
    assert refused.status_code == 503, refused.text
    err = refused.json()
    assert err["error"] == "StoreUnavailable"
    assert err["message"].startswith("the job store cannot write now (")
    assert "No space left on device" in err["message"] and "nothing was changed" in err["message"]
    assert err["detail"][0]["loc"] == ["server"]
    # /health needs no token: neither it nor a 503 names the server's folders
    assert '"<jobs dir>/batch.duckdb.wal"' in err["message"]
    assert str(small_disk.path) not in refused.text + str(health)
    with_key = client.post("/pipelines/bulk-execute", json=BODY, headers={"Idempotency-Key": "k1"})
    assert with_key.status_code == 503

    t0 = time.perf_counter()
    cancel = client.post(f"/jobs/{job}/cancel", json={"force": True, "reason": "disk full"})
    assert time.perf_counter() - t0 < 1.0
    assert cancel.status_code == 200, cancel.text
    assert "the job store cannot write now" in cancel.json()["message"]
    wait_until(lambda: eng.executor.running_count() == 0)  # interrupted at once

    small_disk.free()
    wait_until(lambda: client.get("/health").json()["status"] == "ok")
    assert eng.wait(job, timeout=30).status.value == "cancelled"
    created = client.post("/pipelines/bulk-execute", json=BODY)
    assert created.status_code == 200, created.text
    noop.gate(gate).set()
