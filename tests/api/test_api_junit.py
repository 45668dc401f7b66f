"""JUnit XML from a job export: one case per operation and per check, failures where CI
systems look for them, XML that parses even with control characters in errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from batchcore.junit import junit_report


def _op(op_id, status, **kw):
    return {
        "operation_id": op_id,
        "status": status,
        "duration_ms": 1500.0,
        "metadata": {"project_id": "nyc", "pipeline_id": op_id.split("_", 2)[-1]},
        **kw,
    }


def _check(op_id, index, name, passed, severity="error", **kw):
    return {
        "operation_id": op_id,
        "check_index": index,
        "check_name": name,
        "check_type": "not_null",
        "table_name": "flights",
        "columns": ["carrier"],
        "severity": severity,
        "passed": passed,
        "status": "passed" if passed else "failed",
        "total_rows": 10,
        "failed_rows": 0 if passed else 3,
        "pass_rate": 1.0 if passed else 0.7,
        "threshold": 1.0,
        "duration_ms": 20.0,
        "sql": "select 1",
        "sample": [{"carrier": None}],
        **kw,
    }


EXPORT = {
    "job": {
        "job_id": "j1",
        "name": "Nightly",
        "job_type": "bulk_pipeline_execution",
        "status": "partial_success",
        "project_id": "nyc",
        "created_at": "2026-11-30T06:00:00Z",
        "started_at": "2026-11-30T06:00:01Z",
        "operations": [
            _op("pipeline_0_airlines", "completed", summary="2 checks passed"),
            _op("pipeline_1_flights", "failed", summary="1 of 3 checks failed", error=None),
            _op(
                "pipeline_2_weather",
                "failed",
                error="ConnectionFailed: cannot open warehouse\x00\x1b[0m",
            ),
            _op("pipeline_3_planes", "skipped", status_reason="stop on error", duration_ms=None),
        ],
    },
    "check_results": [
        _check("pipeline_0_airlines", 0, "not_null_carrier", True),
        _check("pipeline_0_airlines", 1, "unique_carrier", True),
        _check("pipeline_1_flights", 1, "accepted_origin", False, severity="warn"),
        _check("pipeline_1_flights", 0, "not_null_carrier", False),
        _check(
            "pipeline_1_flights",
            2,
            "custom_sql",
            False,
            status="error",
            error="Catalog Error: no table x",
        ),
    ],
}


def test_cases_failures_errors_skipped():
    xml, counts = junit_report(EXPORT)
    root = ET.fromstring(xml.encode())
    suite = root.find("testsuite")
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names == [
        "pipeline_0_airlines",
        "pipeline_0_airlines: not_null_carrier",
        "pipeline_0_airlines: unique_carrier",
        "pipeline_1_flights",
        "pipeline_1_flights: not_null_carrier",
        "pipeline_1_flights: accepted_origin",
        "pipeline_1_flights: custom_sql",
        "pipeline_2_weather",
        "pipeline_3_planes",
    ]
    # failures: 2 failed operations + 1 failed error-severity check; the warn check passes; the crashed check is an error
    assert (counts.tests, counts.failures, counts.errors, counts.skipped) == (9, 3, 1, 1)
    for el in (root, suite):
        assert (el.get("tests"), el.get("failures"), el.get("errors"), el.get("skipped")) == (
            "9",
            "3",
            "1",
            "1",
        )
    assert (
        suite.get("time") == "4.500"
    )  # 3 operations × 1.5 s (the skipped one never ran; checks run inside them)

    by_name = {c.get("name"): c for c in suite.findall("testcase")}
    failed_check = by_name["pipeline_1_flights: not_null_carrier"]
    assert failed_check.get("classname") == "nyc.flights"
    assert failed_check.find("failure").get("message") == (
        "not_null_carrier on flights carrier: 3 of 10 rows failed (pass rate 0.7, threshold 1.0)"
    )
    assert "warning" in by_name["pipeline_1_flights: accepted_origin"].find("system-out").text
    assert by_name["pipeline_1_flights: accepted_origin"].find("failure") is None
    assert (
        by_name["pipeline_1_flights: custom_sql"].find("error").get("message")
        == "Catalog Error: no table x"
    )
    assert (
        by_name["pipeline_2_weather"].find("failure").get("message")
        == "ConnectionFailed: cannot open warehouse[0m"
    )
    assert by_name["pipeline_3_planes"].find("skipped").get("message") == "skipped: stop on error"
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props == {
        "job_id": "j1",
        "job_type": "bulk_pipeline_execution",
        "status": "partial_success",
        "project_id": "nyc",
    }


def test_unfinished_operations_are_skipped_not_passed():
    export = {
        "job": {
            "job_id": "j2",
            "name": "x",
            "operations": [_op("pipeline_0_a", "running"), _op("pipeline_1_b", "pending")],
        }
    }
    _, counts = junit_report(export)
    assert (counts.tests, counts.failures, counts.skipped) == (2, 0, 2)


def test_failure_messages_count_in_the_unit_of_the_check():
    export = {
        "job": {**EXPORT["job"], "operations": [_op("pipeline_0_planes", "failed")]},
        "check_results": [
            _check(
                "pipeline_0_planes",
                0,
                "schema_planes",
                False,
                check_type="schema",
                columns=[],
                total_rows=3,
                failed_rows=1,
                pass_rate=0.6667,
            ),
            _check("pipeline_0_planes", 1, "not_null_year", False),
        ],
    }
    xml, _ = junit_report(export)
    messages = [f.get("message") for f in ET.fromstring(xml).iter("failure")]
    assert messages[1:] == [
        "schema_planes on flights: 1 of 3 columns failed (pass rate 0.6667, threshold 1.0)",
        "not_null_year on flights carrier: 3 of 10 rows failed (pass rate 0.7, threshold 1.0)",
    ]
