"""The schedule and notification endpoints over HTTP, and the CLI against them."""

from __future__ import annotations

import json
import warnings

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from batchcore.api import create_api
from batchcore.cli import main
from tests.api.conftest import ThreadedServer
from tests.schedules.conftest import bulk_request, schedule_body
from tests.schedules.receivers import WebhookReceiver

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def eng(open_engine, clock):
    return open_engine(clock)


@pytest.fixture
def client(eng):
    with TestClient(create_api(engine=eng, token=None)) as c:
        yield c


@pytest.fixture
def url(eng):
    server = ThreadedServer(
        Starlette(routes=[Mount("/batch", app=create_api(engine=eng, token=None))])
    ).start()
    yield f"http://127.0.0.1:{server.port}/batch"
    server.stop()


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        rc = main(list(argv))
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def test_schedule_lifecycle_over_the_api(client, eng, clock):
    r = client.post(
        "/schedules",
        json=schedule_body("weekday 6am", cron="0 6 * * 1-5", timezone="Europe/Berlin"),
    )
    assert r.status_code == 201, r.text
    s = r.json()
    sid = s["schedule_id"]
    # clock: Monday 2026-06-01 08:00:30 UTC = 10:00 in Berlin: next is Tuesday 06:00 CEST
    assert s["next_run_at"] == "2026-06-02T04:00:00Z"
    assert s["catch_up"] == "latest" and s["overlap"] == "skip" and s["last_run"] is None
    assert client.get("/schedules").json()["total"] == 1
    r = client.patch(f"/schedules/{sid}", json={"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["next_run_at"] is None
    r = client.post(f"/schedules/{sid}/run")
    assert r.status_code == 200, r.text
    job_id = r.json()["job_id"]
    assert eng.wait(job_id, timeout=60).status.value == "completed"
    detail = client.get(f"/schedules/{sid}").json()
    (run,) = detail["runs"]
    assert (run["job_id"], run["trigger"], run["state"], run["job_status"]) == (
        job_id,
        "manual",
        "created",
        "completed",
    )
    assert detail["last_run"]["job_id"] == job_id
    job = client.get(f"/jobs/{job_id}").json()["job"]
    assert f"schedule:{sid}" in job["tags"]
    assert client.get(f"/jobs/{job_id}/notifications").json() == {"deliveries": [], "total": 0}
    r = client.delete(f"/schedules/{sid}")
    assert r.status_code == 200
    assert client.get(f"/schedules/{sid}").status_code == 404
    assert client.get(f"/jobs/{job_id}").status_code == 200  # its jobs stay


@pytest.mark.parametrize(
    "change,field,fragment",
    [
        ({"cron": "0 6 * *"}, "cron", "5 fields"),
        ({"cron": "0 6 * * 9"}, "cron", "not valid"),
        ({"timezone": "Europe/Berln"}, "timezone", "unknown IANA time zone 'Europe/Berln'"),
        (
            {"request": bulk_request(pipelines=("missing_validation",))},
            "request.pipelines.0.pipeline_id",
            "missing_validation",
        ),
        ({"request": {"job_name": "x"}}, "request.pipelines", "Field required"),
        ({"catch_up": "all"}, "catch_up", "'none' or 'latest'"),
        ({"cron": "0 0 31 2 *"}, "cron", "never fires"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, change, field, fragment):
    r = client.post("/schedules", json={**schedule_body(), **change})
    assert r.status_code == 422, r.text
    body = r.json()
    assert fragment in body["message"]
    assert ".".join(str(p) for p in body["detail"][0]["loc"][1:]) == field


def test_unknown_ids_and_taken_names(client):
    assert client.get("/schedules/sch-00000000").status_code == 404
    assert client.post("/schedules/sch-00000000/run").status_code == 404
    assert client.patch("/schedules/sch-00000000", json={"enabled": True}).status_code == 404
    assert client.post("/schedules", json=schedule_body("a")).status_code == 201
    r = client.post("/schedules", json=schedule_body("A"))
    assert r.status_code == 409 and "exists already" in r.json()["message"]
    assert client.post("/notifications/channels/nope/test").status_code == 404


def test_cli_schedule_add_list_pause_resume_run_rm(capsys, tmp_path, url, eng):
    req = tmp_path / "req.json"
    req.write_text(json.dumps(bulk_request("nightly dims")))
    rc, out, err = cli(
        capsys,
        "schedule",
        "add",
        "nightly dims",
        str(req),
        "--cron",
        "30 2 * * *",
        "--tz",
        "America/New_York",
        "--overlap",
        "queue",
        "--tag",
        "nightly",
        "--url",
        url,
    )
    assert rc == 0, err
    sid = out.strip()
    s = eng.get_schedule(sid)
    assert (s.cron, s.timezone, s.overlap.value, s.tags) == (
        "30 2 * * *",
        "America/New_York",
        "queue",
        ["nightly"],
    )
    rc, out, _ = cli(capsys, "schedule", "list", "--url", url)
    assert rc == 0 and sid in out and "enabled" in out and "never ran" in out
    rc, out, _ = cli(capsys, "schedule", "pause", "nightly dims", "--url", url)
    assert rc == 0 and "paused" in out and not eng.get_schedule(sid).enabled
    rc, out, _ = cli(capsys, "schedule", "resume", sid, "--url", url)
    assert rc == 0 and eng.get_schedule(sid).enabled
    rc, out, err = cli(
        capsys, "schedule", "run", "NIGHTLY DIMS", "--url", url, "--wait", "--poll", "0.05", "-q"
    )
    assert rc == 0, err
    job_id = out.splitlines()[0]
    assert eng.get_job(job_id).status.value == "completed"
    assert {"nightly", f"schedule:{sid}"} <= set(eng.get_job(job_id).tags)
    rc, _, err = cli(capsys, "schedule", "run", "nope", "--url", url)
    assert rc == 2 and "no schedule 'nope'" in err and sid in err
    rc, _, err = cli(capsys, "schedule", "add", "bad", str(req), "--cron", "* *", "--url", url)
    assert rc == 2 and "cron" in err and "5 fields" in err
    rc, out, _ = cli(capsys, "schedule", "rm", sid, "--url", url)
    assert rc == 0 and eng.list_schedules() == []


def test_cli_notify_list_and_test(capsys, url, eng, workspace):
    hook = WebhookReceiver()
    try:
        (workspace / "notifications.yaml").write_text(
            f"channels:\n  team: {{type: webhook, url: '{hook.url}/T0/${{HOOK_PART:-abc}}', format: slack}}\n"
        )
        rc, out, _ = cli(capsys, "notify", "list", "--url", url)
        assert rc == 0 and "team" in out and "http://127.0.0.1/… (slack)" in out
        rc, out, _ = cli(capsys, "notify", "test", "team", "--url", url)
        assert rc == 0 and "test message sent to team (HTTP 200)" in out
        assert hook.requests[0]["text"].startswith("TEST:")
        hook.script = [503]
        (workspace / "notifications.yaml").write_text(
            f"channels:\n  team: {{type: webhook, url: '{hook.url}/x'}}\n"
        )
        rc, _, err = cli(capsys, "notify", "test", "team", "--url", url)
        assert rc == 1 and "HTTP 503" in err
        tests = eng.notification_deliveries()
        assert [d["status"] for d in tests] == ["failed", "sent"]
    finally:
        hook.close()
