"""Notifications against real receivers on 127.0.0.1 (an HTTP server and aiosmtpd): one message
per job with the right content, retries with backoff, a dead receiver, recovered, secrets."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import pytest

from batchcore.errors import NotFound
from tests.schedules.conftest import FakeClock, break_table, bulk_request, fix_table, schedule_body
from tests.schedules.receivers import SmtpServer, WebhookReceiver, closed_port, self_signed

BASE = "http://batch.example.test:8501"
# aiosmtpd warns that the plain-SMTP test server takes a login without TLS (on purpose here)
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def write_config(workspace: Path, text: str) -> None:
    (workspace / "notifications.yaml").write_text(text)


def evaluated(eng, job_id: str) -> bool:
    with eng.store.reader() as cur:
        return bool(
            cur.execute(
                "SELECT 1 FROM notification_evaluations WHERE job_id = ?", [job_id]
            ).fetchall()
        )


def settled(eng, job_id: str, n: int, timeout: float = 30.0) -> list[dict]:
    """Wait until the job's end was evaluated and it has `n` deliveries, none pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ds = eng.notification_deliveries(job_id)
        done = len(ds) >= n and all(d["status"] != "pending" for d in ds)
        if done and evaluated(eng, job_id) and eng.notifier.idle():
            return ds
        time.sleep(0.02)
    raise AssertionError(f"deliveries of {job_id}: {eng.notification_deliveries(job_id)}")


@pytest.fixture
def hook():
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture
def smtp():
    s = SmtpServer(user="batch", password="mail-pass-42")
    yield s
    s.close()


def test_a_failing_job_sends_exactly_one_email_and_one_webhook(
    open_engine, clock, workspace, hook, smtp, monkeypatch
):
    monkeypatch.setenv("SMTP_PASSWORD", "mail-pass-42")
    write_config(
        workspace,
        f"""
channels:
  hook: {{type: webhook, url: "{hook.url}/in"}}
  mail:
    type: email
    host: 127.0.0.1
    port: {smtp.port}
    security: none
    username: batch
    password: "${{SMTP_PASSWORD}}"
    from: batch@example.test
    to: [dq@example.test, oncall@example.test]
rules:
  - {{name: all failures, channels: [hook, mail], events: [failed, partial_success]}}
  - {{name: retail, channels: [hook], projects: [retail_migration], events: [partial_success]}}
  - {{name: not this, channels: [hook], job_types: [batch_data_generation]}}
""",
    )
    break_table(workspace, "fact_sales", nulls=2)
    eng = open_engine(clock, base_url=BASE)
    job = eng.submit(
        "bulk_pipeline_execution",
        bulk_request("nightly retail", ("dim_customer_validation", "fact_sales_validation")),
    )
    assert eng.wait(job.job_id, timeout=60).status.value == "partial_success"
    ds = settled(eng, job.job_id, 2)
    assert sorted((d["channel"], d["status"], d["attempts"]) for d in ds) == [
        ("hook", "sent", 1),
        ("mail", "sent", 1),
    ]
    assert next(d for d in ds if d["channel"] == "hook")["rules"] == ["all failures", "retail"]
    failed = [c for c in eng.check_results(job.job_id) if not c["passed"]]
    assert len(failed) == 1  # not_null finds the 2 NULLs; unique ignores NULL keys
    # ---- the webhook: one POST with the job, counts, worst checks and the link
    assert len(hook.requests) == 1 and hook.paths == ["/in"]
    body = hook.requests[0]
    assert body["event"] == "partial_success" and body["title"] == "PARTIAL SUCCESS: nightly retail"
    assert body["job"]["job_id"] == job.job_id and body["job"]["status"] == "partial_success"
    assert body["counts"] == {
        "total": 2,
        "completed": 1,
        "failed": 1,
        "skipped": 0,
        "cancelled": 0,
        "could_not_run": 0,
    }
    assert body["url"] == f"{BASE}/job?job_id={job.job_id}"
    worst = {(c["check_name"], c["failed_rows"], c["total_rows"]) for c in body["worst_checks"]}
    assert worst == {(c["check_name"], c["failed_rows"], c["total_rows"]) for c in failed}
    nn = next(c for c in body["worst_checks"] if c["check_type"] == "not_null")
    assert (nn["failed_rows"], nn["total_rows"], nn["pass_rate"]) == (2, 5, pytest.approx(0.6))
    # ---- the email: one message to both recipients, logged in with the ${ENV} password
    assert len(smtp.messages) == 1 and smtp.logins == ["batch"]
    mail = smtp.messages[0]
    assert mail["Subject"] == "[Batch Operations] PARTIAL SUCCESS: nightly retail"
    assert mail["To"] == "dq@example.test, oncall@example.test"
    text = mail.get_content()
    assert f"{nn['check_name']} on fact_sales: 2 of 5 rows failed (pass rate 60.00%)" in text
    assert "1 completed, 1 failed (0 could not run), 0 skipped, 0 cancelled of 2" in text
    assert f"Job Details: {BASE}/job?job_id={job.job_id}" in text
    # ---- still one of each a moment later (no second message per check or per rule)
    eng.notifier.jobs_finished([job.job_id])  # a duplicate hand-over is ignored too
    settled(eng, job.job_id, 2)
    assert len(hook.requests) == 1 and len(smtp.messages) == 1


def test_worst_five_checks_of_many_in_one_message(open_engine, clock, workspace, hook):
    write_config(
        workspace,
        f"channels: {{h: {{type: webhook, url: '{hook.url}'}}}}\nrules: [{{channels: [h]}}]\n",
    )
    pipelines = [
        "dim_customer_validation",
        "fact_sales_validation",
        "dim_store_validation",
    ]
    for i, table in enumerate(("dim_customer", "fact_sales", "dim_store")):
        break_table(workspace, table, nulls=i + 1)
    for table in ("dim_customer", "fact_sales", "dim_store"):  # duplicate ids: unique fails too
        import duckdb

        with duckdb.connect(str(workspace / "data" / "warehouse.duckdb")) as con:
            con.execute(f'INSERT INTO "{table}" VALUES (1), (1)')
    eng = open_engine(clock, base_url=BASE)
    job = eng.submit("bulk_pipeline_execution", bulk_request("many", pipelines))
    assert eng.wait(job.job_id, timeout=60).status.value == "failed"
    settled(eng, job.job_id, 1)
    (body,) = hook.requests
    failed = [c for c in eng.check_results(job.job_id) if not c["passed"]]
    assert len(failed) == 6 and body["failed_checks"] == 6
    assert len(body["worst_checks"]) == 5
    rates = [c["pass_rate"] for c in body["worst_checks"]]
    assert rates == sorted(rates)  # worst first
    assert min(c["pass_rate"] for c in failed) == rates[0]
    assert "Worst checks (5 of 6 failed):" in body["text"]


def test_a_receiver_answering_500_twice_then_200_gets_three_tries(open_engine, clock, workspace):
    hook = WebhookReceiver(script=[500, 500])
    try:
        write_config(
            workspace,
            f"channels: {{h: {{type: webhook, url: '{hook.url}'}}}}\n"
            "rules: [{channels: [h], events: [completed]}]\n"
            "delivery: {max_attempts: 5, backoff_s: 0.05, backoff_cap_s: 0.2}\n",
        )
        eng = open_engine(clock)
        job = eng.submit("bulk_pipeline_execution", bulk_request())
        eng.wait(job.job_id, timeout=60)
        (d,) = settled(eng, job.job_id, 1)
        assert (d["status"], d["attempts"]) == ("sent", 3)
        assert [t["outcome"] for t in d["tries"]] == ["retry", "retry", "sent"]
        assert d["tries"][0]["error"].startswith("the webhook answered HTTP 500")
        assert len(hook.requests) == 3
        assert all(r == hook.requests[0] for r in hook.requests)  # the same message each time
        starts = [t["started_at"] for t in d["tries"]]
        assert starts == sorted(starts)
    finally:
        hook.close()


def test_a_dead_receiver_does_not_hold_the_job_or_the_next_one(open_engine, clock, workspace):
    hung = WebhookReceiver(hold=True)  # accepts, then answers only when released
    try:
        write_config(
            workspace,
            f"""
channels:
  hung: {{type: webhook, url: '{hung.url}', timeout_s: 60}}
  refused: {{type: webhook, url: 'http://127.0.0.1:{closed_port()}/x'}}
rules: [{{channels: [hung, refused], events: [completed]}}]
delivery: {{max_attempts: 3, backoff_s: 0.01, backoff_cap_s: 0.02}}
""",
        )
        eng = open_engine(clock)
        first = eng.submit("bulk_pipeline_execution", bulk_request("first"))
        assert eng.wait(first.job_id, timeout=60).status.value == "completed"
        assert hung.arrived.wait(30)  # its message is in flight and held by the receiver ...
        second = eng.submit("bulk_pipeline_execution", bulk_request("second"))
        # ... while the next job runs to its end (the engine never waits for a receiver)
        assert eng.wait(second.job_id, timeout=60).status.value == "completed"
        statuses = {d["channel"]: d["status"] for d in eng.notification_deliveries(first.job_id)}
        assert statuses["hung"] == "pending"
        hung.release()
        for job_id in (first.job_id, second.job_id):
            ds = {d["channel"]: d for d in settled(eng, job_id, 2)}
            assert ds["hung"]["status"] == "sent"
            assert (ds["refused"]["status"], ds["refused"]["attempts"]) == ("failed", 3)
            assert "cannot reach the webhook" in ds["refused"]["last_error"]
    finally:
        hung.close()


def test_recovered_when_a_schedule_goes_green_again(open_engine, workspace, hook):
    write_config(
        workspace,
        f"channels: {{h: {{type: webhook, url: '{hook.url}', format: slack}}}}\n"
        "rules: [{channels: [h], events: [failed, recovered], schedules: [fact checks]}]\n",
    )
    clock = FakeClock()
    eng = open_engine(clock, base_url=BASE)
    sch = eng.create_schedule(
        schedule_body("fact checks", request=bulk_request("facts", ("fact_sales_validation",)))
    )
    outcomes = []
    for broken in (True, True, False, False):
        (break_table if broken else fix_table)(workspace, "fact_sales")
        clock.advance(minutes=1)
        eng.scheduler.tick()
        run = eng.get_schedule(sch.schedule_id).runs[0]
        outcomes.append(eng.wait(run.job_id, timeout=60).status.value)
        settled(eng, run.job_id, 0)
    assert outcomes == ["failed", "failed", "completed", "completed"]
    titles = [r["text"] for r in hook.requests]
    assert titles == ["FAILED: facts", "FAILED: facts", "RECOVERED: facts"]
    blocks = hook.requests[2]["blocks"]
    assert "Schedule: fact checks" in blocks[1]["text"]["text"]
    assert blocks[2]["text"]["text"].startswith(f"<{BASE}/job?job_id=")


def test_could_not_run_event_for_a_scheduled_request_that_no_longer_validates(
    open_engine, clock, workspace, hook
):
    write_config(
        workspace,
        f"channels: {{h: {{type: webhook, url: '{hook.url}'}}}}\n"
        "rules: [{channels: [h], events: [error]}]\n",
    )
    eng = open_engine(clock)
    sch = eng.create_schedule(schedule_body())
    (workspace / "projects/retail_migration/pipelines/dim_customer_validation.yaml").unlink()
    eng._ws_cache = None
    clock.advance(minutes=1)
    eng.scheduler.tick()
    job_id = eng.get_schedule(sch.schedule_id).runs[0].job_id
    settled(eng, job_id, 1)
    (body,) = hook.requests
    assert body["event"] == "error" and body["events"] == ["error", "failed"]
    assert body["title"] == "COULD NOT RUN: scheduled checks"
    (err,) = body["could_not_run"]
    assert err["operation_id"] == "schedule_request" and "dim_customer_validation" in err["error"]


def test_secrets_never_reach_the_store_the_log_or_the_export(
    open_engine, clock, workspace, monkeypatch, caplog
):
    hook = WebhookReceiver(script=[500, 500])  # its error body echoes the token
    token = "s3cr3t-token"
    monkeypatch.setenv("HOOK_TOKEN", token)
    try:
        write_config(
            workspace,
            f"channels: {{h: {{type: webhook, url: '{hook.url}/hooks/${{HOOK_TOKEN}}', "
            "headers: {X-Token: '${HOOK_TOKEN}'}}}\n"
            "rules: [{channels: [h], events: [completed]}]\n"
            "delivery: {max_attempts: 2, backoff_s: 0.01}\n",
        )
        caplog.set_level(logging.DEBUG)
        eng = open_engine(clock)
        job = eng.submit("bulk_pipeline_execution", bulk_request())
        eng.wait(job.job_id, timeout=60)
        (d,) = settled(eng, job.job_id, 1)
        assert hook.paths == [f"/hooks/{token}"] * 2  # the token was used ...
        assert d["status"] == "failed" and "***" in d["last_error"]
        stored = json.dumps(eng.notification_deliveries(), default=str)
        with eng.store.reader() as cur:
            for table in ("notification_deliveries", "notification_attempts", "schedules"):
                stored += json.dumps(cur.execute(f"SELECT * FROM {table}").fetchall(), default=str)
        from batchcore.export import job_export_json

        stored += job_export_json(eng, job.job_id)
        stored += json.dumps(eng.notification_settings())
        assert token not in stored  # ... and is nowhere kept
        assert token not in caplog.text
    finally:
        hook.close()


def test_send_test_message_per_channel(open_engine, clock, workspace, hook):
    write_config(
        workspace,
        f"channels:\n  ok: {{type: webhook, url: '{hook.url}'}}\n"
        f"  down: {{type: webhook, url: 'http://127.0.0.1:{closed_port()}'}}\n",
    )
    eng = open_engine(clock, base_url=BASE)
    res = eng.send_test_message("ok")
    assert (res["status"], res["outcome"]) == ("sent", "HTTP 200")
    assert hook.requests[0]["title"] == "TEST: Batch Operations notifications reach channel ok"
    res = eng.send_test_message("down")
    assert res["status"] == "failed" and "cannot reach the webhook" in res["error"]
    with pytest.raises(NotFound) as info:
        eng.send_test_message("nope")
    assert "channels: down, ok" in info.value.message
    tests = [d for d in eng.notification_deliveries() if d["event"] == "test"]
    assert sorted((d["channel"], d["status"], len(d["tries"])) for d in tests) == [
        ("down", "failed", 1),
        ("ok", "sent", 1),
    ]


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_email_over_starttls_and_ssl_with_login(open_engine, clock, workspace, tmp_path, mode):
    cert = self_signed(tmp_path)
    server = SmtpServer(mode=mode, user="batch", password="pw-123", cert=cert)
    try:
        write_config(
            workspace,
            f"""
channels:
  mail:
    type: email
    host: 127.0.0.1
    port: {server.port}
    security: {mode}
    username: batch
    password: pw-123
    from: batch@example.test
    to: [dq@example.test]
    ca_file: {cert[0]}
""",
        )
        eng = open_engine(clock)
        res = eng.send_test_message("mail")
        assert res["status"] == "sent", res
        (mail,) = server.messages
        assert mail["Subject"].startswith("[Batch Operations] TEST")
        assert server.logins == ["batch"]
    finally:
        server.close()


def test_a_bad_notifications_file_is_reported_with_its_line(open_engine, clock, workspace):
    write_config(
        workspace,
        "channels:\n  h: {type: webhook, url: 'http://x'}\nrules:\n  - channels: [h, nope]\n",
    )
    eng = open_engine(clock)
    problem = eng.notification_settings()["problem"]
    assert "notifications.yaml:" in problem and "unknown channel 'nope'" in problem
    write_config(workspace, "channels:\n  h: {type: pager, url: 'http://x'}\n")
    st = (workspace / "notifications.yaml").stat()
    os.utime(workspace / "notifications.yaml", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    problem = eng.notification_settings()["problem"]
    assert "notifications.yaml:2" in problem and "channels.h" in problem


def test_a_channel_error_goes_through_the_one_redaction(monkeypatch):
    """A webhook URL holding a password full of URL-special characters (written percent-encoded,
    from `${VAR}`) and an error text echoing it in every spelling: batchcore.redact hides all."""
    from batchcore.notify import channels
    from batchcore.notify.config import WebhookChannel

    password = "p%40ss:w/rd#1"  # as written in the URL; decodes to p@ss:w/rd#1
    monkeypatch.setenv("HOOK_PW", password)
    ch = WebhookChannel.model_validate(
        {"type": "webhook", "url": f"http://alice:${{HOOK_PW}}@127.0.0.1:{closed_port()}/h"}
    )

    def echo(resolved, message):
        raise RuntimeError(f"failed {resolved.url} pw={password} decoded=p@ss:w/rd#1")

    monkeypatch.setattr(channels, "_webhook", echo)
    with pytest.raises(channels.DeliveryFailed) as info:
        channels.send(ch, {}, "notifications.yaml")
    text = info.value.message
    assert "p%40ss" not in text and "p@ss" not in text and "127.0.0.1" not in text, text
    assert text.startswith("RuntimeError: failed ***") and "pw=***" in text, text
    assert "decoded=***" in text, text
    # a URL with credentials that no variable brought in is hidden too
    assert channels.redact("see https://bob:hunter22@example.org/x", []) == (
        "see https://***@example.org/x"
    )


ANOMALY_PIPELINE = """\
target: warehouse
checks:
  - type: row_count
    table: orders
    min: 1
    severity: warn
    anomaly: {metric: row_count, window: 6, sensitivity: 2}
"""


def test_an_anomaly_sends_one_message_naming_the_check(open_engine, clock, workspace, hook):
    """A learned band (issue 15) on a warn check, learned from runs through the real executor:
    the outlier run sends one `anomaly` message with the value, band and reason; learning and
    within-band runs send nothing to an `events: [anomaly]` rule."""
    import duckdb

    (workspace / "projects/retail_migration/pipelines/orders_validation.yaml").write_text(
        ANOMALY_PIPELINE
    )
    write_config(
        workspace,
        f"channels: {{h: {{type: webhook, url: '{hook.url}'}}}}\n"
        "rules: [{name: bands, channels: [h], events: [anomaly]}]\n",
    )
    eng = open_engine(clock, base_url=BASE)

    def run(rows: int):
        with duckdb.connect(str(workspace / "data" / "warehouse.duckdb")) as con:
            con.execute(f"CREATE OR REPLACE TABLE orders AS SELECT range AS id FROM range({rows})")
        clock.advance(minutes=5)
        job = eng.submit(
            "bulk_pipeline_execution", bulk_request(f"orders {rows}", ("orders_validation",))
        )
        assert eng.wait(job.job_id, timeout=60).status.value == "completed"  # warn: completed
        (check,) = eng.check_results(job.job_id)
        return job, check["observed"]["anomaly"]

    # five learning runs and one within the band: evaluated, nothing sent
    for k, n in enumerate([100, 104, 98, 101, 103]):
        job, verdict = run(n)
        assert verdict["state"] == "learning" and verdict["reason"] == f"learning ({k} of 5 runs)"
        assert settled(eng, job.job_id, 0) == []
    job, verdict = run(102)
    # by hand: 98 100 101 103 104 -> median 101, |x - 101| -> 0 1 2 3 3 -> MAD 2;
    # band 101 +- 2 * 1.4826 * 2 = [95.0696, 106.9304]: 102 is inside
    assert verdict["state"] == "normal" and verdict["lower"] == pytest.approx(95.0696)
    assert settled(eng, job.job_id, 0) == [] and hook.requests == []
    # the outlier: history 100 104 98 101 103 102 -> median 101.5, MAD 1.5;
    # band 101.5 +- 2 * 1.4826 * 1.5 = [97.0522, 105.9478]; 130 is 24.0522 above
    job, verdict = run(130)
    assert verdict["state"] == "anomaly"
    (d,) = settled(eng, job.job_id, 1)
    assert (d["channel"], d["status"], d["event"], d["rules"]) == (
        "h",
        "sent",
        "anomaly",
        ["bands"],
    )
    assert len(hook.requests) == 1
    body = hook.requests[0]
    assert body["event"] == "anomaly" and body["events"] == ["anomaly", "completed"]
    assert body["title"] == "ANOMALY: orders 130" and body["anomalous_checks"] == 1
    (c,) = body["worst_checks"]
    assert (c["check_name"], c["severity"], c["status"]) == ("row_count(orders)", "warn", "warned")
    a = c["anomaly"]
    assert (a["metric"], a["value"], a["median"], a["runs"]) == ("row_count", 130, 101.5, 6)
    assert a["lower"] == pytest.approx(97.0522) and a["upper"] == pytest.approx(105.9478)
    assert a["reason"].startswith("row_count 130 is above the band 97.05 – 105.95 by 24.05")
    assert f"row_count(orders) on orders: anomaly: {a['reason']} [warn]" in body["text"]
    assert "Anomalies: 1 check outside the learned band." in body["text"]
