"""README's schedule and notifications examples work as written (on the example workspace)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

from batchcore.api import create_api
from batchcore.notify.config import parse_config
from batchcore.notify.service import channel_summary
from tests.schedules.conftest import FakeClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "workspace"


def example(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```", text, re.S)
    assert m, f"README.md has no example {name}"
    return m.group(1)


def test_the_schedule_example_creates_that_schedule(open_engine):
    block = example("schedule")
    assert len(block.strip().splitlines()) == 5
    body = json.loads(re.search(r"-d '(.*?)'", block, re.S).group(1))
    eng = open_engine(FakeClock(), workspace=EXAMPLES)
    with TestClient(create_api(engine=eng, token=None)) as client:
        r = client.post("/schedules", json=body)
    assert r.status_code == 201, r.text
    s = r.json()
    assert (s["name"], s["cron"], s["timezone"]) == (
        "weekday flights",
        "0 6 * * 1-5",
        "Europe/Berlin",
    )
    assert s["next_run_at"] == "2026-06-02T04:00:00Z"  # Tuesday 06:00 CEST after Monday 10:00


def test_the_notifications_example_parses_and_shows_no_secret(tmp_path, monkeypatch):
    block = example("notifications")
    assert len(block.strip().splitlines()) == 5
    (tmp_path / "notifications.yaml").write_text(block)
    cfg = parse_config(tmp_path / "notifications.yaml")
    assert sorted(cfg.channels) == ["dq-mail", "team-chat"]
    assert [e.value for e in cfg.rules[0].events] == ["failed", "error", "recovered"]
    shown = [channel_summary(n, c)["target"] for n, c in sorted(cfg.channels.items())]
    assert shown == [
        "dq-team@example.com via smtp.example.com:587 (starttls)",
        "${SLACK_WEBHOOK_URL} (slack)",
    ]
