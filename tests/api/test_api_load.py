"""Load: 20 client threads submit jobs and poll them for 30 s against a live `serve` process.
Every job must be accounted for (listed, terminal, with all its operations), no answer may be a
5xx or a dropped connection. Prints requests/s and latency percentiles (ms).

BATCH_LOAD_SECONDS / BATCH_LOAD_CLIENTS change the duration and the number of threads."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import Counter

import httpx
import pytest

SECONDS = float(os.environ.get("BATCH_LOAD_SECONDS", "30"))
CLIENTS = int(os.environ.get("BATCH_LOAD_CLIENTS", "20"))
TERMINAL = {"completed", "partial_success", "failed", "cancelled"}
PIPELINE_SETS = [
    ["test_pipeline"],
    ["airlines_validation", "flights_validation"],
    ["pipeline1", "pipeline2", "val1"],
]


class Recorder:
    """Thread-safe record of (endpoint, status, latency ms) and of the jobs each client created."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.by_endpoint: Counter[str] = Counter()
        self.errors: list[str] = []
        self.jobs: dict[str, int] = {}

    def call(
        self, client: httpx.Client, method: str, path: str, endpoint: str, **kw
    ) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            resp = client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            with self.lock:
                self.errors.append(f"{method} {path}: {exc!r}")
            return None
        ms = (time.perf_counter() - start) * 1000
        with self.lock:
            self.latencies.append(ms)
            self.statuses[resp.status_code] += 1
            self.by_endpoint[endpoint] += 1
        return resp


def client_loop(url: str, index: int, stop_at: float, rec: Recorder) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        n = 0
        while time.perf_counter() < stop_at:
            pipes = PIPELINE_SETS[(index + n) % len(PIPELINE_SETS)]
            body = {
                "job_name": f"load {index}-{n}",
                "pipelines": [{"pipeline_id": p} for p in pipes],
                "max_parallel": 2,
                "tags": ["load"],
            }
            resp = rec.call(client, "POST", "/pipelines/bulk-execute", "create", json=body)
            n += 1
            if resp is None or resp.status_code != 200:
                continue
            job_id = resp.json()["job_id"]
            with rec.lock:
                rec.jobs[job_id] = len(pipes)
            while time.perf_counter() < stop_at + 10:
                prog = rec.call(client, "GET", f"/jobs/{job_id}/progress", "progress")
                if (
                    prog is not None
                    and prog.status_code == 200
                    and prog.json()["job_status"] in TERMINAL
                ):
                    break
                time.sleep(0.05)
            if n % 5 == 0:
                rec.call(client, "GET", "/jobs", "list", params={"limit": 50, "tag": "load"})
            if n % 10 == 0:
                rec.call(client, "GET", "/statistics", "statistics")
                rec.call(client, "GET", f"/jobs/{job_id}", "details")


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


@pytest.mark.slow
def test_twenty_clients_for_thirty_seconds(serve_processes, capsys):
    server = serve_processes()
    rec = Recorder()
    start = time.perf_counter()
    stop_at = start + SECONDS
    threads = [
        threading.Thread(target=client_loop, args=(server.url, i, stop_at, rec))
        for i in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 60)
    elapsed = time.perf_counter() - start
    assert not any(t.is_alive() for t in threads)

    # every job accounted for: listed, terminal, operations all there and finished
    with httpx.Client(base_url=server.url, timeout=30) as client:
        listed: dict[str, dict] = {}
        offset = 0
        while True:
            page = client.get(
                "/jobs", params={"limit": 500, "offset": offset, "tag": "load"}
            ).json()
            listed.update({j["job_id"]: j for j in page["jobs"]})
            offset += 500
            if offset >= page["total"]:
                break
        deadline = time.monotonic() + 60
        unfinished = [j for j, v in listed.items() if v["status"] not in TERMINAL]
        while unfinished and time.monotonic() < deadline:
            time.sleep(0.5)
            unfinished = [
                j
                for j in unfinished
                if client.get(f"/jobs/{j}/progress").json()["job_status"] not in TERMINAL
            ]

    total = len(rec.latencies)
    rps = total / elapsed
    p50, p95, p99 = (percentile(rec.latencies, q) for q in (50, 95, 99))
    print(
        f"\nload: {CLIENTS} clients, {elapsed:.1f} s, {total} requests = {rps:.0f} requests/s; latency ms "
        f"p50 {p50:.1f} p95 {p95:.1f} p99 {p99:.1f} max {max(rec.latencies):.1f}; jobs created {len(rec.jobs)}, "
        f"listed {len(listed)}; statuses {dict(rec.statuses)}; per endpoint {dict(rec.by_endpoint)}"
    )
    assert rec.errors == []
    assert not [s for s in rec.statuses if s >= 500]
    assert set(rec.statuses) == {200}
    assert set(listed) == set(rec.jobs)
    assert page["total"] == len(rec.jobs)
    assert unfinished == []
    assert all(listed[j]["progress"]["total_operations"] == n for j, n in rec.jobs.items())
    assert len(rec.jobs) >= CLIENTS
