"""Bulk Pipeline Execution page: the form creates the right job; validation errors appear."""

from __future__ import annotations

from tests.ui.conftest import open_page
from ui_components import details

PAGE = "pages/bulk_pipeline.py"
FIX_1 = "Fix the 1 problem above, then submit again."


def test_form_submits_a_bulk_job_with_the_chosen_pipelines(engine):
    at = open_page()  # the default page
    assert at.title[0].value == "Bulk Pipeline Execution"
    at.text_input(key="bulk.job_name").input("nightly retail")
    at.text_area(key="bulk.description").input("after the migration")
    at.multiselect(key="bulk.tags").select("nightly")
    at.checkbox(key="bulk.all.retail_migration").check().run()
    at.checkbox(key="bulk.pl.finance_checks.ledger_validation").check()
    at.toggle(key="bulk.parallel_execution").set_value(True)
    at.slider(key="bulk.max_parallel").set_value(3)
    at.checkbox(key="bulk.stop_on_error").check()
    at.number_input(key="bulk.max_retries").set_value(2)
    at.button(key="bulk.submit").click().run()

    assert not at.error, [e.value for e in at.error]
    assert "nightly retail" in at.success[0].value
    jobs, total = engine.list_jobs()
    assert total == 1
    job = engine.get_job(jobs[0].job_id)
    assert (job.name, job.description, job.tags) == (
        "nightly retail",
        "after the migration",
        ["nightly"],
    )
    assert job.job_type.value == "bulk_pipeline_execution"
    assert (job.parallel_execution, job.max_parallel, job.stop_on_error, job.max_retries) == (
        True,
        3,
        True,
        2,
    )
    # workspace order: projects and pipelines sorted by id
    assert [(o.metadata["project_id"], o.metadata["pipeline_id"]) for o in job.operations] == [
        ("finance_checks", "ledger_validation"),
        ("retail_migration", "dim_customer_validation"),
        ("retail_migration", "dim_store_validation"),
        ("retail_migration", "fact_sales_validation"),
    ]
    assert job.job_id in at.success[0].value
    links = {link.proto.label: link.proto.page for link in at.get("page_link")}
    assert "Open job details" in links and "Watch on Active Jobs" in links
    # and the job is there to see in the monitoring pages
    at.switch_page("pages/job_history.py").run()
    row = at.dataframe[0].value.iloc[0]
    assert (row["Job"], row["Type"], row["Job id"]) == (
        "nightly retail",
        "Bulk pipelines",
        job.job_id,
    )
    at.query_params["job_id"] = job.job_id
    at.switch_page("pages/job_details.py").run()
    assert list(at.dataframe[0].value["Operation"]) == [details.op_title(o) for o in job.operations]


def test_missing_name_and_no_pipeline_show_inline_errors(engine):
    at = open_page(PAGE)
    at.button(key="bulk.submit").click().run()
    errors = [e.value for e in at.error]
    assert "Give the job a name." in errors
    assert "Select at least one pipeline." in errors
    assert engine.list_jobs()[1] == 0


def test_out_of_range_numbers_are_rejected(engine):
    at = open_page(PAGE)
    at.text_input(key="bulk.job_name").input("x")
    at.checkbox(key="bulk.pl.finance_checks.ledger_validation").check()
    at.number_input(key="bulk.max_retries").set_value(11)
    at.number_input(key="bulk.timeout_s").set_value(-5.0)
    at.number_input(key="bulk.threshold").set_value(1.5)
    at.number_input(key="bulk.sample_size").set_value(5000)
    assert not at.run().expander[0].proto.expanded  # the overrides start collapsed
    at.button(key="bulk.submit").click().run()
    errors = [e.value for e in at.error]
    assert errors == [  # in page order: the overrides come before the execution options
        "The pass-rate threshold must be between 0 and 1, e.g. 0.95 (got 1.5).",
        "Failing rows kept per check must be a whole number from 0 to 1,000 (got 5,000).",
        "Max retries must be a whole number from 0 to 10 (got 11).",
        "Timeout must be more than 0 and at most 86,400 seconds, one day (got -5).",
        "Fix the 4 problems above, then submit again.",
    ]
    assert engine.list_jobs()[1] == 0
    # the overrides expander is open after the failed submit, its errors inside it
    (overrides,) = at.expander
    assert overrides.label == "Validation overrides (optional)" and overrides.proto.expanded
    assert [e.value for e in overrides.error] == errors[:2]
    # it stays open on the next runs, and the errors follow the values until they are fixed
    at.number_input(key="bulk.threshold").set_value(2.0).run()
    assert at.expander[0].proto.expanded
    assert "The pass-rate threshold must be between 0 and 1, e.g. 0.95 (got 2)." in [
        e.value for e in at.error
    ]
    at.number_input(key="bulk.threshold").set_value(0.9).run()
    assert [e.value for e in at.expander[0].error] == [errors[1]]
    at.session_state["bulk.overrides_open"] = False  # the user may still close it
    assert not at.run().expander[0].proto.expanded


def test_blank_name_and_an_engine_error_show_the_value(engine):
    at = open_page(PAGE)
    at.text_input(key="bulk.job_name").input("   ")
    at.checkbox(key="bulk.pl.finance_checks.ledger_validation").check()
    at.button(key="bulk.submit").click().run()
    assert [e.value for e in at.error] == [
        "Give the job a name (got only spaces).",
        FIX_1,
    ]
    tag = "quarterly-close-" + "x" * 50  # the engine allows 50 characters
    at.text_input(key="bulk.job_name").input("nightly")
    at.multiselect(key="bulk.tags").select(tag)
    at.button(key="bulk.submit").click().run()
    engine_error = f"tags.0: String should have at most 50 characters (got “{tag[:59]}…”)."
    assert [e.value for e in at.error] == [engine_error, FIX_1]
    assert engine.list_jobs()[1] == 0
    at.text_input(key="bulk.search").input("ledger").run()  # not a change of the request
    assert [e.value for e in at.error] == [engine_error, FIX_1]
    at.multiselect(key="bulk.tags").set_value(["nightly"]).run()
    assert not at.error


def test_search_filters_pipelines_and_keeps_hidden_selection(engine):
    at = open_page(PAGE)
    at.checkbox(key="bulk.pl.retail_migration.dim_store_validation").check().run()
    at.text_input(key="bulk.search").input("ledger").run()
    labels = [c.label for c in at.checkbox if c.key and ".pl." in c.key]
    assert labels == ["ledger_validation"]
    at.checkbox(key="bulk.pl.finance_checks.ledger_validation").check()
    at.text_input(key="bulk.job_name").input("two")
    at.button(key="bulk.submit").click().run()
    job = engine.get_job(engine.list_jobs()[0][0].job_id)
    assert [o.metadata["pipeline_id"] for o in job.operations] == [
        "ledger_validation",
        "dim_store_validation",
    ]


def test_a_second_identical_submit_within_5_s_creates_no_second_job(engine):
    at = open_page(PAGE)
    at.text_input(key="bulk.job_name").input("nightly")
    at.checkbox(key="bulk.pl.finance_checks.ledger_validation").check()
    at.button(key="bulk.submit").click().run()
    jobs, total = engine.list_jobs()
    assert total == 1
    first = jobs[0].job_id
    assert not at.info

    at.button(key="bulk.submit").click().run()  # the double click
    assert engine.list_jobs()[1] == 1
    assert not at.error, [e.value for e in at.error]
    assert first in at.success[0].value and "nightly" in at.success[0].value
    (note,) = [i.value for i in at.info]
    assert note.startswith("The same request was submitted ")
    assert note.endswith(
        "s ago as this job, so the duplicate was ignored: no second job was created."
    )
    links = {link.proto.label: link.proto.query_string for link in at.get("page_link")}
    assert f"job_id={first}" in links["Open job details"]

    # a different request is a new job at once
    at.checkbox(key="bulk.pl.retail_migration.dim_store_validation").check()
    at.button(key="bulk.submit").click().run()
    jobs, total = engine.list_jobs()
    assert total == 2 and jobs[0].job_id != first
    assert jobs[0].job_id in at.success[0].value and not at.info


def test_a_job_name_over_200_characters_keeps_the_first_200_and_says_so(engine):
    long_name = "nightly retail reconciliation " * 10  # 300 characters
    at = open_page()
    at.text_input(key="bulk.job_name").input(long_name)
    at.checkbox(key="bulk.pl.finance_checks.ledger_validation").check()
    at.button(key="bulk.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    (job,) = engine.list_jobs()[0]
    assert job.name == long_name.strip()[:200]
    assert at.text_input(key="bulk.job_name").value == long_name.strip()[:200]
    assert any(
        w.value.startswith("The job name had 299 characters: only the first 200 are kept")
        for w in at.warning
    ), [w.value for w in at.warning]
    # once edited, the note goes
    at.text_input(key="bulk.job_name").input("short").run()
    assert not any("characters: only the first" in w.value for w in at.warning)
