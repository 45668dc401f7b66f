"""Real-browser fixtures: Debian's Chromium driven by Playwright against `streamlit run app.py`.

Chromium launch arguments and the skip-or-fail rule for `e2e` tests live in tests/conftest.py.
The server gets its own BATCH_JOBS_DIR and BATCH_WORKSPACE; the store is seeded before the
server opens it (pending jobs are resumed by the server's engine at start-up).
Screenshots go to $BATCH_TEST_ARTIFACTS (default: <repo>/test-artifacts/screenshots).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from batchcore.store import Store
from tests.servers import start_streamlit_process, stop_process
from tests.ui.seed import add_checks, check_row, create_pending_job, seed_history, write_workspace

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("BATCH_TEST_ARTIFACTS") or ROOT / "test-artifacts" / "screenshots")


def _seed(jobs_dir: Path) -> dict[str, str]:
    """History, a long job to cancel and a job with check results, written before the server starts."""
    store = Store(jobs_dir / "batch.duckdb")
    store.start()
    try:
        seed_history(store, 40, days=10)
        long_job = create_pending_job(
            store,
            "e2e long job",
            [(f"op_{i}", {"sleep_ms": 120_000}) for i in range(3)],
            max_parallel=1,
        )
        running = create_pending_job(
            store,
            "e2e nightly warehouse checks",
            [(f"pipeline_{i}_check", {"sleep_ms": 40_000 + 5_000 * i}) for i in range(6)],
            max_parallel=2,
            tags=["nightly"],
        )
        two_tabs = create_pending_job(  # active for the whole session, until its test cancels it
            store, "e2e two tabs job", [("op_0", {"sleep_ms": 600_000})], max_parallel=1
        )
        checks_job = create_pending_job(
            store,
            "e2e checks job",
            [
                ("pipeline_0_dim_customer_validation", {"sleep_ms": 50}),
                ("pipeline_1_fact_sales_validation", {"sleep_ms": 50, "result_failed": True}),
            ],
            tags=["e2e"],
            project_id="retail_migration",
        )
        add_checks(
            store,
            checks_job,
            [
                check_row(
                    "pipeline_0_dim_customer_validation",
                    0,
                    passed=True,
                    name="not_null_id",
                    columns=("id",),
                ),
                check_row(
                    "pipeline_1_fact_sales_validation",
                    0,
                    passed=False,
                    name="not_null_email",
                    failed_rows=40,
                    pipeline_id="fact_sales_validation",
                ),
                check_row(
                    "pipeline_1_fact_sales_validation",
                    1,
                    passed=True,
                    name="unique_id",
                    check_type="unique",
                    columns=("id",),
                    pipeline_id="fact_sales_validation",
                ),
            ],
        )
    finally:
        store.close()
    return {"long": long_job, "checks": checks_job, "running": running, "two_tabs": two_tabs}


@pytest.fixture(scope="session")
def e2e_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[SimpleNamespace]:
    """`streamlit run app.py` on a free 127.0.0.1 port with its own job store and workspace."""
    tmp = tmp_path_factory.mktemp("e2e")
    workspace = write_workspace(tmp / "workspace")
    seeded = _seed(tmp / "jobs")
    env = {
        **os.environ,
        "BATCH_JOBS_DIR": str(tmp / "jobs"),
        "BATCH_WORKSPACE": str(workspace),
        "BATCH_AUTO_BUILD_EXAMPLE": "0",
        "BATCH_MAX_WORKERS": "5",  # the seeded jobs hold 4 lanes; the journeys need one
        "BATCH_CANCEL_TIMEOUT_S": "10",
    }
    log_path = tmp / "server.log"
    try:
        proc, base = start_streamlit_process(env, log_path)
    except RuntimeError as exc:  # exited, or silent for 60 s (the message has the log tail)
        pytest.fail(str(exc))
    try:
        # Streamlit 1.67 answers the very first session of a fresh server that opens a deep link
        # with a "Page not found" notice: open the default page once so tests start clean.
        warm = browser.new_page()
        warm.goto(base + "/")
        warm.get_by_text("Bulk Pipeline Execution").first.wait_for(timeout=30_000)
        warm.close()
        yield SimpleNamespace(url=base, seeded=seeded, workspace=workspace, log=log_path)
    finally:
        stop_process(proc)


@pytest.fixture(autouse=True)
def patient_page(request: pytest.FixtureRequest) -> None:
    """Generous timeouts: CI and shared machines are slow; a real failure still fails."""
    expect.set_options(timeout=15_000)
    if "page" in request.fixturenames:
        request.getfixturevalue("page").set_default_timeout(30_000)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
