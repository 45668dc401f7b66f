"""Batch Data Generation, Multi-Project Validation and Bulk Metadata Extraction forms: each
creates the right job, and shows its validation errors inline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import open_page
from ui_components.fmt import md_escape


def _only_job(engine):
    jobs, total = engine.list_jobs()
    assert total == 1
    return engine.get_job(jobs[0].job_id)


def test_data_generation_form_creates_one_item_per_schema(engine):
    at = open_page("pages/data_generation.py")
    at.text_input(key="datagen.job_name").input("test data")
    at.checkbox(key="datagen.use.Finance").check()
    at.number_input(key="datagen.rows.Retail").set_value(5000)
    at.number_input(key="datagen.seed.Finance").set_value(7)
    # only the connections generation may write: `legacy` has no allow_generate
    assert at.selectbox(key="datagen.target.Finance").options == ["warehouse", "generated"]
    at.selectbox(key="datagen.target.Finance").select("warehouse")
    at.toggle(key="datagen.parallel_execution").set_value(False)
    at.button(key="datagen.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    job = _only_job(engine)
    assert job.job_type.value == "batch_data_generation"
    assert (job.parallel_execution, job.max_parallel) == (False, 1)
    assert [
        (
            o.operation_id,
            o.metadata["schema_type"],
            o.metadata["row_count"],
            o.metadata["seed"],
            o.metadata["target_connection"],
        )
        for o in job.operations
    ] == [
        ("generate_0_retail", "Retail", 5000, None, "generated"),
        ("generate_1_finance", "Finance", 10000, 7, "warehouse"),
    ]


def test_seed_help_says_what_empty_really_does(engine):
    at = open_page("pages/data_generation.py")
    seed = at.number_input(key="datagen.seed.Retail")
    assert seed.value is None
    assert seed.proto.placeholder == "42 (default)"
    assert seed.help == (
        "Same seed, same data. Empty uses the default seed 42, so every run without a seed "
        "writes the same data; enter another number (0 to 2,147,483,647) for a different data set."
    )
    assert "random" not in (seed.proto.placeholder + seed.help).lower()
    # and that is what the engine does with an empty seed
    at.text_input(key="datagen.job_name").input("no seed")
    at.number_input(key="datagen.rows.Retail").set_value(100)
    at.button(key="datagen.submit").click().run()
    job = engine.wait(_only_job(engine).job_id, timeout=60)
    (op,) = engine.get_job(job.job_id).operations
    assert op.status.value == "completed", op.error
    assert (op.metadata["seed"], op.result["seed"], op.result["seed_defaulted"]) == (
        None,
        42,
        True,
    )


def test_data_generation_rejects_zero_rows_and_no_schema(engine):
    at = open_page("pages/data_generation.py")
    at.text_input(key="datagen.job_name").input("bad")
    at.number_input(key="datagen.rows.Retail").set_value(0)
    at.button(key="datagen.submit").click().run()
    assert at.error[0].value == (
        "Retail: fact rows must be a whole number from 1 to 100,000,000 (got 0)."
    )
    at.checkbox(key="datagen.use.Retail").uncheck()
    at.button(key="datagen.submit").click().run()
    assert "Choose at least one schema to generate." in [e.value for e in at.error]
    assert engine.list_jobs()[1] == 0


def test_data_generation_shows_every_error_of_every_schema(engine):
    at = open_page("pages/data_generation.py")
    at.text_input(key="datagen.job_name").input("bad")
    at.number_input(key="datagen.rows.Retail").set_value(0)
    at.number_input(key="datagen.seed.Retail").set_value(-5)
    at.checkbox(key="datagen.use.Finance").check()
    at.number_input(key="datagen.rows.Finance").set_value(300_000_000)
    at.button(key="datagen.submit").click().run()
    assert [e.value for e in at.error] == [
        "Retail: fact rows must be a whole number from 1 to 100,000,000 (got 0).",
        "Retail: the seed must be a whole number from 0 to 2,147,483,647 (got -5).",
        "Finance: fact rows must be a whole number from 1 to 100,000,000 (got 300,000,000).",
        "Fix the 3 problems above, then submit again.",
    ]
    # fixing the rows leaves the seed's error, without a new submit
    at.number_input(key="datagen.rows.Retail").set_value(100).run()
    assert [e.value for e in at.error][:2] == [
        "Retail: the seed must be a whole number from 0 to 2,147,483,647 (got -5).",
        "Finance: fact rows must be a whole number from 1 to 100,000,000 (got 300,000,000).",
    ]
    assert engine.list_jobs()[1] == 0


def test_multi_project_form_sends_projects_with_their_pipelines(engine):
    at = open_page("pages/multi_project.py")
    at.text_input(key="multi.job_name").input("weekly")
    at.checkbox(key="multi.proj.retail_migration").check().run()
    at.multiselect(key="multi.pls.retail_migration").select("fact_sales_validation")
    at.checkbox(key="multi.proj.finance_checks").check()
    at.number_input(key="multi.threshold").set_value(0.9)
    at.button(key="multi.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    job = _only_job(engine)
    assert job.job_type.value == "multi_project_validation"
    assert [
        (o.metadata["project_id"], o.metadata["pipeline_id"], o.metadata["config_override"])
        for o in job.operations
    ] == [
        ("finance_checks", "fx_rates_validation", {"threshold": 0.9}),
        ("finance_checks", "ledger_validation", {"threshold": 0.9}),
        ("retail_migration", "fact_sales_validation", {"threshold": 0.9}),
    ]
    assert at.checkbox(key="multi.proj.empty_project").disabled


def test_multi_project_needs_a_project(engine):
    at = open_page("pages/multi_project.py")
    at.text_input(key="multi.job_name").input("weekly")
    at.button(key="multi.submit").click().run()
    assert "Select at least one project." in [e.value for e in at.error]
    assert engine.list_jobs()[1] == 0
    # ticking a project clears the error at once; an error that still holds stays
    at.number_input(key="multi.max_retries").set_value(11)
    at.button(key="multi.submit").click().run()
    assert [e.value for e in at.error] == [
        "Select at least one project.",
        "Max retries must be a whole number from 0 to 10 (got 11).",
        "Fix the 2 problems above, then submit again.",
    ]
    at.checkbox(key="multi.proj.finance_checks").check().run()
    assert [e.value for e in at.error] == [
        "Max retries must be a whole number from 0 to 10 (got 11).",
        "Fix the 1 problem above, then submit again.",
    ]
    at.number_input(key="multi.max_retries").set_value(1).run()
    assert not at.error
    at.button(key="multi.submit").click().run()
    assert not at.error and engine.list_jobs()[1] == 1


def test_an_engine_error_goes_once_the_form_changes(engine):
    at = open_page("pages/multi_project.py")
    at.text_input(key="multi.job_name").input("weekly")
    at.checkbox(key="multi.proj.finance_checks").check()
    at.multiselect(key="multi.tags").select("t" * 51)
    at.button(key="multi.submit").click().run()
    engine_error = f"tags.0: String should have at most 50 characters (got “{'t' * 51}”)."
    assert [e.value for e in at.error] == [
        engine_error,
        "Fix the 1 problem above, then submit again.",
    ]
    at.run()  # nothing changed: the error stays
    assert at.error[0].value == engine_error
    at.multiselect(key="multi.tags").set_value(["weekly"]).run()
    assert not at.error


def test_metadata_form_by_name_and_by_type(engine):
    at = open_page("pages/metadata_extraction.py")
    at.text_input(key="meta.job_name").input("catalog")
    at.multiselect(key="meta.names").select("warehouse").select("legacy").run()
    # a listable connection offers its schemas with their table counts
    schemas = at.multiselect(key="meta.schemas.warehouse")
    assert schemas.options == ["main (5 tables)"] and schemas.value == []
    schemas.select("main")
    at.text_input(key="meta.tables.Named connections.legacy").input("flights, planes")
    at.button(key="meta.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    job = _only_job(engine)
    assert job.job_type.value == "bulk_metadata_extraction"
    assert [
        (o.metadata["connection_name"], o.metadata["schema_name"], o.metadata["table_names"])
        for o in job.operations
    ] == [("warehouse", "main", None), ("legacy", None, ["flights", "planes"])]

    at.radio(key="meta.mode").set_value("Connection types").run()
    at.multiselect(key="meta.types").select("duckdb")
    at.text_input(key="meta.job_name").input("all duckdb")
    at.button(key="meta.submit").click().run()
    jobs, _ = engine.list_jobs()
    by_type = engine.get_job(jobs[0].job_id)
    assert by_type.name == "all duckdb"
    assert sorted(o.metadata["connection_name"] for o in by_type.operations) == [
        "generated",
        "warehouse",
    ]


def test_metadata_form_lists_schemas_and_picks_those_with_tables(engine, workspace: Path):
    """`generated` with its data in schemas retail and finance (none in main): both are chosen,
    and the job snapshots their tables instead of an empty default schema."""
    import duckdb

    with duckdb.connect(str(workspace / "data" / "generated.duckdb")) as con:
        for schema, tables in (("retail", ("dim_date", "fact_sales")), ("finance", ("gl",))):
            con.execute(f"CREATE SCHEMA {schema}")
            for t in tables:
                con.execute(f"CREATE TABLE {schema}.{t} AS SELECT 1 AS id")
    at = open_page("pages/metadata_extraction.py")
    at.text_input(key="meta.job_name").input("generated catalog")
    at.multiselect(key="meta.names").select("generated").run()
    picker = at.multiselect(key="meta.schemas.generated")
    assert picker.options == ["finance (1 table)", "retail (2 tables)"]
    assert picker.value == ["finance", "retail"]  # the default schema holds nothing
    at.button(key="meta.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    job = engine.wait(_only_job(engine).job_id, timeout=30)
    assert job.status.value == "completed"
    assert [(o.metadata["connection_name"], o.metadata["schema_name"]) for o in job.operations] == [
        ("generated", "finance"),
        ("generated", "retail"),
    ]
    snaps = engine.snapshots().list_snapshots()
    counts = {s["schema_name"]: s["table_count"] for s in snaps}
    assert counts == {"finance": 1, "retail": 2}


def test_metadata_form_needs_a_source(engine):
    at = open_page("pages/metadata_extraction.py")
    at.button(key="meta.submit").click().run()
    errors = [e.value for e in at.error]
    assert "Give the job a name." in errors
    assert "Choose at least one connection or connection type." in errors


@pytest.fixture
def broken_workspace(workspace: Path) -> Path:
    """The test workspace plus a pipeline file whose name is no valid id and a project whose
    project.yaml names an unknown connection: 2 problems, both skipped at load."""
    (workspace / "projects" / "retail_migration" / "pipelines" / "bad name.yaml").write_text(
        "target: warehouse\nchecks: []\n"
    )
    broken = workspace / "projects" / "broken_project"
    (broken / "pipelines").mkdir(parents=True)
    (broken / "project.yaml").write_text("name: Broken\ntarget: nowhere\n")
    return workspace


SKIPPED_2 = (
    "2 pipeline files or projects were skipped because they failed to load: see the Pipelines page."
)


@pytest.mark.parametrize(
    ("page", "offered"),
    [
        ("pages/bulk_pipeline.py", "bulk.pl.retail_migration.dim_store_validation"),
        ("pages/multi_project.py", "multi.proj.retail_migration"),
    ],
)
def test_skipped_pipeline_files_are_named_on_the_pipeline_pickers(
    broken_workspace, engine, page, offered
):
    assert len(engine.workspace().problems) == 2
    at = open_page(page)
    assert [w.value for w in at.warning] == [SKIPPED_2]
    links = {link.proto.label: link.proto.page for link in at.get("page_link")}
    assert links["Open Pipelines"] == "pipelines"
    # the rest of the workspace is still offered
    assert at.checkbox(key=offered)
    assert not [c for c in at.checkbox if c.key and "broken_project" in c.key]


def test_a_clean_workspace_warns_nothing(engine):
    assert engine.workspace().problems == []
    for page in ("pages/bulk_pipeline.py", "pages/multi_project.py"):
        assert not open_page(page).warning


@pytest.fixture
def one_bad_file(workspace: Path) -> Path:
    """The test workspace plus one pipeline file whose name is no valid id."""
    (workspace / "projects" / "finance_checks" / "pipelines" / "-x.yaml").write_text("checks: []\n")
    return workspace


def test_one_skipped_file_is_singular(one_bad_file, engine):
    at = open_page("pages/bulk_pipeline.py")
    assert [w.value for w in at.warning] == [
        "1 pipeline file or project was skipped because it failed to load: see the Pipelines page."
    ]


UNLOADABLE_FILES = {
    "bad_yaml": "target: warehouse\nchecks: [\n  - {type: not_null\n",
    "empty": "",
    "a_list": "- not_null\n- unique\n",
    "bad_check": "target: warehouse\nchecks:\n  - {type: not_a_check, table: dim_store}\n"
    "  - {type: not_null, table: dim_store, columnz: [id]}\n",
}


@pytest.fixture
def unloadable_files(workspace: Path) -> Path:
    """The test workspace plus four retail_migration pipeline files with valid names that do
    not load: a YAML syntax error, an empty file, a top-level list, an invalid pipeline."""
    pipelines = workspace / "projects" / "retail_migration" / "pipelines"
    for name, text in UNLOADABLE_FILES.items():
        (pipelines / f"{name}.yaml").write_text(text)
    return workspace


REASONS = {  # what each file's mark says (the first problem; `+n more` when there are more)
    "a_list": "line 1: a pipeline file must be a mapping with 'checks' (got a list)",
    "bad_check": "line 3: check 1 (not_a_check): type: unknown check type 'not_a_check'; known "
    "types: accepted_values, between, column_aggregates_match, freshness, metric_anomaly, not_null, "
    "regex, relationships, row_count, row_count_match, row_diff, schema, schema_match, sql, unique "
    "(+1 more)",
    "bad_yaml": "line 3: YAML syntax error: expected the node content, but found '-'",
    "empty": "the file is empty",
}


def _listing(*names: str) -> str:
    return "\n".join(f"- `retail_migration/{n}`: {md_escape(REASONS[n])}" for n in names)


def test_bulk_picker_marks_pipelines_that_do_not_load(unloadable_files, engine):
    at = open_page("pages/bulk_pipeline.py")
    assert not at.warning  # the files are offered, not skipped
    marked = {c.key.rsplit(".", 1)[1]: c.label for c in at.checkbox if "⚠" in c.label}
    assert marked == {n: f"{n} ⚠ does not load" for n in UNLOADABLE_FILES}
    assert at.checkbox(key="bulk.pl.retail_migration.bad_yaml").help == (
        "This pipeline file does not load:\n- "
        + md_escape(REASONS["bad_yaml"])
        + "\n\nIts operation "
        "fails unless the file is fixed before it runs (see the Pipelines page)."
    )
    bad_check_help = at.checkbox(key="bulk.pl.retail_migration.bad_check").help
    assert md_escape("- line 4: check 2 (not_null): columnz: unknown key;") in bad_check_help
    assert at.checkbox(key="bulk.pl.finance_checks.ledger_validation").label == "ledger_validation"
    assert not at.checkbox(key="bulk.pl.finance_checks.ledger_validation").help

    # ticking them warns before submit
    at.text_input(key="bulk.job_name").input("with broken")
    at.checkbox(key="bulk.pl.retail_migration.bad_yaml").check()
    at.checkbox(key="bulk.pl.retail_migration.empty").check()
    at.checkbox(key="bulk.pl.finance_checks.ledger_validation").check().run()
    assert [w.value for w in at.warning] == [
        "2 of the chosen pipelines do not load; their operations fail unless the files are "
        "fixed before they run (see the Pipelines page):\n" + _listing("bad_yaml", "empty")
    ]
    # the submit is allowed (the files may be fixed before they run) and warns again
    at.button(key="bulk.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "with broken" in at.success[0].value
    assert at.warning[-1].value == (
        "The job includes 2 pipelines that do not load; their operations fail unless the files "
        "are fixed before they run (see the Pipelines page):\n" + _listing("bad_yaml", "empty")
    )
    job = engine.wait(engine.list_jobs()[0][0].job_id, timeout=60)
    status = {o.metadata["pipeline_id"]: o.status.value for o in job.operations}
    assert status == {"ledger_validation": "completed", "bad_yaml": "failed", "empty": "failed"}

    # a fixed file loses its mark on the next run
    (unloadable_files / "projects" / "retail_migration" / "pipelines" / "empty.yaml").write_text(
        "target: warehouse\nchecks:\n  - {type: not_null, table: dim_store, columns: [id]}\n"
    )
    at.run()
    assert at.checkbox(key="bulk.pl.retail_migration.empty").label == "empty"
    assert at.warning[0].value == (
        "1 of the chosen pipelines does not load; its operation fails unless the file is fixed "
        "before it runs (see the Pipelines page):\n" + _listing("bad_yaml")
    )


def test_multi_project_picker_marks_pipelines_that_do_not_load(unloadable_files, engine):
    at = open_page("pages/multi_project.py")
    assert not at.warning
    project = at.checkbox(key="multi.proj.retail_migration")
    assert project.label == (
        "**Retail migration** · `retail_migration` — 7 pipelines · ⚠ 4 do not load"
    )
    assert project.help == "Retail migration checks\n\nPipelines that do not load:\n" + "\n".join(
        f"- `{n}`: {md_escape(REASONS[n])}" for n in sorted(UNLOADABLE_FILES)
    )
    assert "⚠" not in at.checkbox(key="multi.proj.finance_checks").label
    project.check().run()
    pipelines = at.multiselect(key="multi.pls.retail_migration")
    assert pipelines.options == [
        "a_list ⚠ does not load",
        "bad_check ⚠ does not load",
        "bad_yaml ⚠ does not load",
        "dim_customer_validation",
        "dim_store_validation",
        "empty ⚠ does not load",
        "fact_sales_validation",
    ]
    # the whole project (no pipeline chosen) runs all four
    assert [w.value for w in at.warning] == [
        "4 of the chosen pipelines do not load; their operations fail unless the files are "
        "fixed before they run (see the Pipelines page):\n"
        + _listing("a_list", "bad_check", "bad_yaml", "empty")
    ]
    pipelines.set_value(["fact_sales_validation"]).run()
    assert not at.warning
    at.multiselect(key="multi.pls.retail_migration").set_value(
        ["fact_sales_validation", "a_list"]
    ).run()
    assert at.warning[0].value.endswith(":\n" + _listing("a_list"))
    at.text_input(key="multi.job_name").input("weekly")
    at.button(key="multi.submit").click().run()
    assert at.success and at.warning[-1].value.startswith(
        "The job includes 1 pipeline that does not load; its operation fails"
    )


def test_data_generation_replace_existing_is_asked_for_explicitly(engine):
    at = open_page("pages/data_generation.py")
    box = at.checkbox(key="datagen.replace_existing")
    assert box.value is False and "did not write" in box.label
    at.text_input(key="datagen.job_name").input("replace")
    box.check()
    at.button(key="datagen.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    job = _only_job(engine)
    assert [o.metadata.get("replace_existing") for o in job.operations] == [True]


def test_data_generation_form_follows_the_servers_row_limit(engine, monkeypatch):
    """The form's limit is BATCH_MAX_GENERATE_ROWS (default 100,000,000), not the request
    model's 200,000,000: what the form accepts, the server accepts."""
    from batchcore.engine import get_engine, shutdown_engine

    at = open_page("pages/data_generation.py")
    help_text = at.number_input(key="datagen.rows.Retail").help
    assert "1 to 100,000,000" in help_text
    shutdown_engine()
    monkeypatch.setenv("BATCH_MAX_GENERATE_ROWS", "5000")
    assert get_engine().settings.max_generate_rows == 5000
    at = open_page("pages/data_generation.py")
    assert "1 to 5,000" in at.number_input(key="datagen.rows.Retail").help
    at.text_input(key="datagen.job_name").input("big")
    at.number_input(key="datagen.rows.Retail").set_value(6000)
    at.button(key="datagen.submit").click().run()
    assert at.error[0].value == (
        "Retail: fact rows must be a whole number from 1 to 5,000 (got 6,000)."
    )
    assert get_engine().list_jobs()[1] == 0
