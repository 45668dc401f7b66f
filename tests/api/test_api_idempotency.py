"""Client retries never duplicate jobs: `Idempotency-Key` on the four create endpoints (same key
and request → the same job and answer; another request → 409 naming the key), kept 24 h in the
job store, also across a restart; the CLI's `submit` sends one."""

from __future__ import annotations

import threading
from datetime import timedelta

from batchcore.api import create_api
from batchcore.cli import main
from batchcore.config import Settings
from batchcore.engine import Engine
from batchcore.store.requests import SweepIdempotencyKeys
from batchcore.store.writer import FnCommand
from tests.api.conftest import TestClient

BODY = {"job_name": "nightly", "pipelines": [{"pipeline_id": "pipeline1"}]}
PATH = "/pipelines/bulk-execute"


def key_rows(engine: Engine) -> list[tuple]:
    with engine.store.reader() as cur:
        return cur.execute(
            "SELECT idempotency_key, job_type, job_id FROM idempotency_keys ORDER BY created_at"
        ).fetchall()


def job_count(engine: Engine) -> int:
    return engine.list_jobs()[1]


def test_same_key_and_body_answer_the_first_job_again(client, api_engine):
    first = client.post(PATH, json=BODY, headers={"Idempotency-Key": "nightly-2026-12-01"})
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = client.post(PATH, json=BODY, headers={"Idempotency-Key": "nightly-2026-12-01"})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert job_count(api_engine) == 1
    assert key_rows(api_engine) == [
        ("nightly-2026-12-01", "bulk_pipeline_execution", first.json()["job_id"])
    ]
    # the same request spelled with its defaults is the same request
    spelled = {**BODY, "max_parallel": 5, "parallel_execution": True, "tags": []}
    third = client.post(PATH, json=spelled, headers={"Idempotency-Key": "nightly-2026-12-01"})
    assert third.json()["job_id"] == first.json()["job_id"]
    # without a key every request is a new job
    assert client.post(PATH, json=BODY).json()["job_id"] != first.json()["job_id"]
    assert job_count(api_engine) == 2


def test_same_key_with_another_request_is_409_naming_the_key(client, api_engine):
    first = client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-409"})
    job_id = first.json()["job_id"]
    other = client.post(
        PATH, json={**BODY, "job_name": "other"}, headers={"Idempotency-Key": "k-409"}
    )
    assert other.status_code == 409, other.text
    err = other.json()
    assert err["error"] == "Conflict"
    assert err["message"] == (
        f"Idempotency-Key 'k-409' was already used within 24 h for another request (job "
        f"{job_id}, bulk_pipeline_execution): send a new key for a new request"
    )
    assert err["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    other_endpoint = client.post(
        "/metadata/bulk-extract",
        json={"job_name": "nightly", "items": [{"connection_name": "warehouse"}]},
        headers={"Idempotency-Key": "k-409"},
    )
    assert other_endpoint.status_code == 409
    assert job_count(api_engine) == 1


def test_concurrent_retries_with_one_key_create_one_job(client, api_engine):
    start = threading.Barrier(8)
    answers: list = [None] * 8

    def send(i: int) -> None:
        start.wait()
        answers[i] = client.post(PATH, json=BODY, headers={"Idempotency-Key": "burst"})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.json()["job_id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 7
    assert job_count(api_engine) == 1


def test_a_key_is_kept_24_hours(client, api_engine):
    first = client.post(PATH, json=BODY, headers={"Idempotency-Key": "old"}).json()

    def age(hours: float):
        return FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE idempotency_keys SET created_at = ? WHERE idempotency_key = 'old'",
                [now - timedelta(hours=hours)],
            )
        )

    api_engine.store.call(age(23.9))
    assert client.post(PATH, json=BODY, headers={"Idempotency-Key": "old"}).json() == first
    api_engine.store.call(age(24.1))
    renewed = client.post(
        PATH, json={**BODY, "job_name": "new"}, headers={"Idempotency-Key": "old"}
    )
    assert renewed.status_code == 200 and renewed.json()["job_id"] != first["job_id"]
    assert api_engine.store.call(SweepIdempotencyKeys()) == 1  # the expired row
    assert [r[2] for r in key_rows(api_engine)] == [renewed.json()["job_id"]]


def test_bad_keys_are_422_naming_the_header(client, api_engine):
    for bad in ("x" * 256, "has space", ""):
        res = client.post(PATH, json=BODY, headers={"Idempotency-Key": bad})
        assert res.status_code == 422, (bad, res.text)
        assert res.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
        assert res.json()["message"].startswith("Idempotency-Key: ")
    assert job_count(api_engine) == 0


def test_keys_survive_a_restart(tmp_path, api_workspace):
    settings = Settings(
        jobs_dir=tmp_path / "jobs", workspace=api_workspace, auto_build_example=False
    )
    eng = Engine(settings)
    with TestClient(create_api(engine=eng, token=None)) as c:
        first = c.post(PATH, json=BODY, headers={"Idempotency-Key": "restart"}).json()
    eng.close()
    eng = Engine(settings)
    try:
        with TestClient(create_api(engine=eng, token=None)) as c:
            again = c.post(PATH, json=BODY, headers={"Idempotency-Key": "restart"})
        assert again.json() == first and again.headers["Idempotent-Replayed"] == "true"
        assert job_count(eng) == 1
    finally:
        eng.close()


def test_cli_submit_sends_a_key(capsys, tmp_path, live_url, api_engine):
    request = tmp_path / "request.json"
    request.write_text('{"job_name": "nightly", "pipelines": [{"pipeline_id": "pipeline1"}]}')

    def submit(*extra: str) -> str:
        rc = main(["submit", str(request), "--url", live_url, "-q", *extra])
        out, _err = capsys.readouterr()
        assert rc == 0
        return out.strip()

    a = submit("--idempotency-key", "ci-run-42")
    b = submit("--idempotency-key", "ci-run-42")  # a CI step re-run: the same job
    c = submit()
    d = submit()  # each invocation without --idempotency-key is its own request
    assert a == b and len({a, c, d}) == 3
    keys = {r[0]: r[2] for r in key_rows(api_engine)}
    assert keys["ci-run-42"] == a
    generated = [k for k, job in keys.items() if job in (c, d)]
    assert len(generated) == 2 and all(len(k) == 36 for k in generated)  # a UUID each
    assert job_count(api_engine) == 3
