"""Catalog and Pipelines pages: browse projects and YAML, lint at the line, browse and diff
real metadata snapshots."""

from __future__ import annotations

import duckdb

from tests.ui.conftest import open_page

CATALOG, PIPELINES = "pages/catalog.py", "pages/pipelines.py"


def test_pipelines_page_browses_projects_and_shows_the_yaml(engine, workspace):
    at = open_page(PIPELINES)
    assert at.selectbox(key="pl_project").value == "empty_project"
    assert "This project has no pipelines yet" in at.info[0].value
    at.selectbox(key="pl_project").select("retail_migration").run()
    at.radio(key="pl_pipeline_retail_migration").set_value("fact_sales_validation").run()
    path = workspace / "projects" / "retail_migration" / "pipelines" / "fact_sales_validation.yaml"
    assert at.code[0].value == path.read_text().rstrip("\n")  # st.code drops the final newline
    assert "description: fact_sales after migration" in at.code[0].value


def test_run_in_bulk_ticks_the_pipeline_on_the_bulk_form(engine):
    at = open_page(PIPELINES)
    at.selectbox(key="pl_project").select("finance_checks").run()
    at.button(key="pl_run").click().run()
    at.switch_page("pages/bulk_pipeline.py").run()
    assert at.checkbox(key="bulk.pl.finance_checks.fx_rates_validation").value is True
    assert at.checkbox(key="bulk.pl.finance_checks.ledger_validation").value is False


def test_lint_shows_each_problem_at_its_line(engine, workspace):
    bad = workspace / "projects" / "finance_checks" / "pipelines" / "broken_validation.yaml"
    bad.write_text(
        "description: broken\ntarget: warehouse\nchecks:\n  - {type: not_null, table: t, colums: [id]}\n"
    )
    at = open_page(PIPELINES)
    at.selectbox(key="pl_project").select("finance_checks").run()
    at.radio(key="pl_pipeline_finance_checks").set_value("broken_validation").run()
    assert "broken_validation.yaml:4" in at.error[0].value
    lines = at.code[0].value.splitlines()
    assert "# ⚠" in lines[3] and all("# ⚠" not in line for i, line in enumerate(lines) if i != 3)


def test_lint_shows_a_yaml_syntax_error_once_and_at_its_line(engine, workspace):
    bad = workspace / "projects" / "finance_checks" / "pipelines" / "broken_syntax.yaml"
    bad.write_text(
        "description: broken\ntarget: warehouse\nchecks:\n"
        "  - {type: not_null, table: t, columns: [id]\n  - {type: unique, table: t, column: id}\n"
    )
    at = open_page(PIPELINES)
    at.selectbox(key="pl_project").select("finance_checks").run()
    at.radio(key="pl_pipeline_finance_checks").set_value("broken_syntax").run()
    message = "YAML syntax error: expected ',' or '}', but got '-'"
    assert at.error[0].value == f"1 problem:\n\n- {bad}:5: {message}"
    lines = at.code[0].value.splitlines()
    assert lines[4] == f"  - {{type: unique, table: t, column: id}}  # ⚠ {message}"
    assert all("# ⚠" not in line for i, line in enumerate(lines) if i != 4)


def test_catalog_browses_and_diffs_two_real_snapshots(engine, workspace):
    db = workspace / "data" / "warehouse.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR)")
    request = {"job_name": "snap", "items": [{"connection_name": "warehouse"}]}
    first = engine.submit("bulk_metadata_extraction", request).job_id
    assert engine.wait(first, timeout=30).status.value == "completed"
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE customers ADD COLUMN loyalty_tier VARCHAR")
    second = engine.submit("bulk_metadata_extraction", request).job_id
    assert engine.wait(second, timeout=30).status.value == "completed"

    at = open_page(CATALOG)
    assert len(at.selectbox(key="cat_snapshot").options) == 2
    tables = at.dataframe[0].value
    assert "customers" in list(tables["Table"])
    columns = at.dataframe[1].value
    assert "loyalty_tier" in list(columns["Column"])  # the newest snapshot is first
    diff = at.dataframe[2].value
    assert diff.apply(lambda row: row.astype(str).str.contains("loyalty_tier").any(), axis=1).any()


def test_pipelines_page_lists_the_files_the_workspace_skipped(engine, workspace):
    projects = workspace / "projects"
    (projects / "finance_checks" / "pipelines" / "fx rates.yaml").write_text("checks: []\n")
    (projects / "hr_checks" / "pipelines").mkdir(parents=True)
    (projects / "hr_checks" / "project.yaml").write_text("name: HR\nowner_team: people\n")
    at = open_page(PIPELINES)
    (warning,) = at.warning
    text = warning.value.replace("\\", "")  # the messages are markdown-escaped
    assert "2 projects or pipeline files could not be loaded and were skipped" in text
    assert "`projects/finance_checks/pipelines/fx rates.yaml`" in text
    assert "pipeline file name 'fx rates.yaml' does not give a valid id" in text
    assert "`projects/hr_checks/project.yaml:2`" in text
    assert "unknown key(s) ['owner_team']" in text and "project hr_checks skipped" in text
    assert "hr_checks" not in at.selectbox(key="pl_project").options


def test_lint_problems_are_flagged_next_to_run_in_a_bulk_job(engine, workspace):
    bad = workspace / "projects" / "finance_checks" / "pipelines" / "broken_validation.yaml"
    bad.write_text(
        "description: broken\ntarget: warehouse\nchecks:\n  - {type: not_null, table: t, colums: [id]}\n"
    )
    at = open_page(PIPELINES)
    at.selectbox(key="pl_project").select("finance_checks").run()
    at.radio(key="pl_pipeline_finance_checks").set_value("fx_rates_validation").run()
    assert "No problems found" in at.success[0].value and not at.warning
    at.radio(key="pl_pipeline_finance_checks").set_value("broken_validation").run()
    n = len(at.error[0].value.split("\n- ")) - 1  # the lint list above the code
    (warning,) = at.warning
    assert n >= 1 and f"{n} lint problem" in warning.value
    assert "will fail" in warning.value
    at.button(key="pl_run").click().run()  # the button still works
    at.switch_page("pages/bulk_pipeline.py").run()
    assert at.checkbox(key="bulk.pl.finance_checks.broken_validation").value is True
