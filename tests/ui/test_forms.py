"""ui_components.forms helpers that need no page: the double-submit guard's window."""

from __future__ import annotations

from batchcore.models import JobType
from ui_components.forms import DUPLICATE_WINDOW_S, recent_duplicate, request_fingerprint

REQUEST = {"job_name": "nightly", "pipelines": [{"pipeline_id": "a", "project_id": "p"}]}


def test_fingerprint_is_the_type_and_the_content_not_the_key_order():
    fp = request_fingerprint(JobType.BULK_PIPELINE_EXECUTION, REQUEST)
    reordered = {"pipelines": REQUEST["pipelines"], "job_name": "nightly"}
    assert request_fingerprint("bulk_pipeline_execution", reordered) == fp
    assert request_fingerprint(JobType.MULTI_PROJECT_VALIDATION, REQUEST) != fp
    assert request_fingerprint(JobType.BULK_PIPELINE_EXECUTION, {**REQUEST, "job_name": "x"}) != fp


def test_recent_duplicate_only_within_the_window():
    fp = request_fingerprint(JobType.BULK_PIPELINE_EXECUTION, REQUEST)
    last = {"fingerprint": fp, "at": 100.0, "result": {"job_id": "j1"}}
    assert DUPLICATE_WINDOW_S == 5.0
    assert recent_duplicate(last, fp, 100.0) is last
    assert recent_duplicate(last, fp, 104.9) is last
    assert recent_duplicate(last, fp, 105.0) is None
    assert recent_duplicate(last, "other", 101.0) is None
    assert recent_duplicate(None, fp, 101.0) is None
