"""Page-load times of the UI with a large job history (default 10,000 jobs).

    python bench/ui_page_load.py [--jobs 10000] [--repeat 5] [--no-browser]

1. Seeds a fresh job store (tmp dir): N finished jobs with 4 operations each and a check result
   per pipeline operation, spread over 30 days, plus 20 active jobs (long noop operations).
2. AppTest: median time of one full run of each page script (`at.switch_page(p).run()`).
3. Browser (Debian Chromium via Playwright, when /usr/bin/chromium exists) against
   `streamlit run app.py`: median time from navigation start to the page's content being
   visible: a new tab (page.goto; browser cache warm, as for a returning user), the first
   in-app navigation to the page in that tab (sidebar click; the page's front-end parts load),
   and moving to it again (sidebar click in a tab that has shown it).
4. Check history (issue 15): a 60-day validation history of --check-runs check runs (default
   100,000) is seeded too; one full run of the Check history page for one check, one pipeline
   and the all-projects scorecard (AppTest, median), against the 1 s target.
The machine's load average is printed with the results: on a shared machine it dominates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchutil import machine_line  # noqa: E402

from batchcore.store import Store  # noqa: E402
from tests.servers import start_streamlit_process, stop_process  # noqa: E402
from tests.ui.seed import (  # noqa: E402
    WORSENING,
    create_pending_job,
    seed_check_history,
    seed_history,
    write_workspace,
)

PAGES = {  # name: (script, url path, text that shows the content is there)
    "Job History": ("pages/job_history.py", "/history", "matching · newest first"),
    "Active Jobs": ("pages/active_jobs.py", "/active", "bench active job 19"),
    "Job Details": ("pages/job_details.py", "/job", "Recent jobs"),
    "Analytics": ("pages/analytics.py", "/analytics", "Operation duration per"),
    "Bulk Pipeline Execution": ("pages/bulk_pipeline.py", "/", "pipelines selected"),
    "Check history": ("pages/check_history.py", "/check-history", "Checks passing now"),
}
HISTORY_VIEWS = {  # name: query parameters of the Check history page
    "one check (all runs)": {"check": "/".join(WORSENING), "period": "all"},
    "one pipeline (60 runs x 6 checks)": {
        "project": WORSENING[0],
        "pipeline": WORSENING[1],
        "period": "all",
    },
    "scorecard, all projects (60d)": {"period": "60d"},
}
TARGET_S = 1.0


def seed(base: Path, n_jobs: int, check_runs: int = 100_000) -> None:
    write_workspace(base / "workspace")
    store = Store(base / "jobs" / "batch.duckdb")
    store.start()
    t = seed_history(store, n_jobs, ops_per_job=4, days=30)
    per_day = max(1, round(check_runs / (30 * 61)))
    h = seed_check_history(store, days=60, runs_per_day=per_day)
    print(
        f"seeded a 60-day check history: {h['check_runs']:,} check runs of {h['checks']} checks "
        f"({h['jobs']:,} jobs) in {h['seconds']:.1f} s"
    )
    for i in range(20):
        create_pending_job(
            store,
            f"bench active job {i}",
            [(f"op_{k}", {"sleep_ms": 600_000}) for k in range(5)],
            max_parallel=1,
        )
    store.close()
    print(
        f"seeded {n_jobs:,} finished jobs ({4 * n_jobs:,} operations) + 20 active jobs in {t:.1f} s"
    )


def apptest_times(base: Path, repeat: int) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from batchcore.engine import get_engine, shutdown_engine

    os.environ.update(
        BATCH_JOBS_DIR=str(base / "jobs"),
        BATCH_WORKSPACE=str(base / "workspace"),
        BATCH_AUTO_BUILD_EXAMPLE="0",
    )
    get_engine()
    out = {}
    try:
        for name, (script, _, _) in PAGES.items():
            times = []
            at = AppTest.from_file(str(ROOT / "ui.py"), default_timeout=60).run()
            for _ in range(repeat):
                t0 = time.perf_counter()
                at.switch_page(script).run()
                times.append(time.perf_counter() - t0)
                assert not at.exception, [e.value for e in at.exception]
            out[name] = statistics.median(times)
    finally:
        shutdown_engine()
    return out


def history_times(base: Path, repeat: int) -> dict[str, tuple[float, float, int]]:
    """Median seconds of one full run of the Check history page per view (AppTest), the median
    seconds of the Engine call behind it, and the runs the view covers."""
    from datetime import timedelta

    from streamlit.testing.v1 import AppTest

    from batchcore.engine import get_engine, shutdown_engine

    os.environ.update(
        BATCH_JOBS_DIR=str(base / "jobs"),
        BATCH_WORKSPACE=str(base / "workspace"),
        BATCH_AUTO_BUILD_EXAMPLE="0",
    )
    eng = get_engine()
    calls = {
        "one check (all runs)": lambda: eng.check_history("/".join(WORSENING), limit=100),
        "one pipeline (60 runs x 6 checks)": lambda: eng.pipeline_history(
            WORSENING[1], WORSENING[0]
        ),
        "scorecard, all projects (60d)": lambda: eng.quality_scorecard(
            None, period=timedelta(days=60)
        ),
    }
    out = {}
    try:
        for name, query in HISTORY_VIEWS.items():
            times, engine_times = [], []
            for _ in range(repeat):
                at = AppTest.from_file(str(ROOT / "ui.py"), default_timeout=60)
                for k, v in query.items():
                    at.query_params[k] = v
                at.run()
                t0 = time.perf_counter()
                at.switch_page("pages/check_history.py").run()
                times.append(time.perf_counter() - t0)
                assert not at.exception, [e.value for e in at.exception]
                assert not at.error, [e.value for e in at.error]
                t0 = time.perf_counter()
                calls[name]()
                engine_times.append(time.perf_counter() - t0)
            with eng.store.reader() as cur:
                n = cur.execute("SELECT count(*) FROM check_results").fetchall()[0][0]
            out[name] = (statistics.median(times), statistics.median(engine_times), n)
    finally:
        shutdown_engine()
    return out


def shown(page, name: str, marker: str) -> None:
    """Wait until the page's content is visible (for Analytics: its four Overview charts drawn)."""
    page.get_by_text(marker).first.wait_for(timeout=60_000)
    if name == "Analytics":
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4", timeout=60_000
        )


def sidebar_to(page, current: str, name: str, marker: str) -> float:
    """Once page `current` shows its content (and 0.5 s more), click `name` in the sidebar:
    seconds until its content is visible."""
    page.get_by_text(PAGES[current][2]).first.wait_for(timeout=60_000)
    time.sleep(0.5)
    t0 = time.perf_counter()
    page.get_by_role("link", name=name, exact=True).first.click()
    shown(page, name, marker)
    return time.perf_counter() - t0


def browser_times(base: Path, repeat: int) -> dict[str, tuple[float, float, float]]:
    from playwright.sync_api import sync_playwright

    exe = (
        "/usr/lib/chromium/chromium"
        if Path("/usr/lib/chromium/chromium").exists()
        else "/usr/bin/chromium"
    )
    env = {
        **os.environ,
        "BATCH_JOBS_DIR": str(base / "jobs"),
        "BATCH_WORKSPACE": str(base / "workspace"),
        "BATCH_AUTO_BUILD_EXAMPLE": "0",
    }
    proc, url = start_streamlit_process(env, None, port=8900 + os.getpid() % 90)
    out = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=exe, args=["--no-sandbox", "--headless=new"]
            )
            # one browser profile, as a returning user has: the app's static files are cached
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            warm = context.new_page()
            warm.goto(url + "/")
            warm.get_by_text("pipelines selected").wait_for(timeout=60_000)
            warm.close()
            for name, (_, path, marker) in PAGES.items():
                fresh, first, again = [], [], []
                other = "Job History" if name != "Job History" else "Bulk Pipeline Execution"
                for _ in range(repeat):
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(url + path)
                    shown(page, name, marker)
                    fresh.append(time.perf_counter() - t0)
                    # in-app navigation from another page, first in a tab that has not shown this page
                    page.goto(url + PAGES[other][1])
                    first.append(sidebar_to(page, other, name, marker))
                    # and again, as when moving around the app
                    page.get_by_role("link", name=other, exact=True).first.click()
                    again.append(sidebar_to(page, other, name, marker))
                    page.close()
                out[name] = tuple(statistics.median(x) for x in (fresh, first, again))
            browser.close()
    finally:
        stop_process(proc, timeout=30)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--check-runs", type=int, default=100_000)
    args = ap.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp:
        base = Path(tmp)
        seed(base, args.jobs, args.check_runs)
        print(
            f"\nCheck history page, one full run (AppTest, median of {args.repeat}), "
            f"target {TARGET_S:g} s:"
        )
        for name, (s, e, n) in history_times(base, args.repeat).items():
            print(
                f"  {name:<36} {s * 1000:7.0f} ms  (engine {e * 1000:5.0f} ms; "
                f"{n:,} check runs stored; {s / TARGET_S:.2f} of the target)"
            )
        print(f"\nAppTest, one full page run (median of {args.repeat}):")
        for name, s in apptest_times(base, args.repeat).items():
            print(f"  {name:<26} {s * 1000:7.0f} ms")
        if args.no_browser or not Path("/usr/bin/chromium").exists():
            print("\nbrowser: skipped")
            return
        print(
            f"\nBrowser, navigation start -> content visible (median of {args.repeat}), "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:"
        )
        print(f"  {'page':<26} {'new tab':>9} {'1st visit':>10} {'moving':>8}")
        for name, (fresh, first, again) in browser_times(base, args.repeat).items():
            print(
                f"  {name:<26} {fresh * 1000:6.0f} ms {first * 1000:7.0f} ms {again * 1000:5.0f} ms"
            )


if __name__ == "__main__":
    main()
