"""The review report opened in Chromium with the network cut (issue 15 §4): the scorecard shows
the engine's numbers, every chart renders from the inlined plotly.js, print hides the menu."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.history.test_check_history import _run, _workspace
from tests.ui.seed import seed_check_history

pytestmark = pytest.mark.e2e


def test_report_renders_offline_in_chromium(page: Page, make_engine, tmp_path, artifacts):
    ws = _workspace(tmp_path)
    eng = make_engine(workspace=ws)
    seed_check_history(eng.store, days=60, runs_per_day=1)
    _run(eng, ws)
    job = _run(eng, ws, "UPDATE people SET email = NULL WHERE id < 3")
    card = eng.quality_scorecard("retail_migration")
    reports = {
        "range": eng.review_report(project_id="retail_migration"),
        "job": eng.review_report(job_id=job),
    }
    outside: list[str] = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file:")
            else (outside.append(route.request.url), route.abort())
        ),
    )
    for name, html in reports.items():
        path = tmp_path / f"review_{name}.html"
        path.write_text(html, encoding="utf-8")
        page.goto(path.as_uri())
        n_charts = html.count('class="plotly-graph-div"')
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_charts}"
        )
        assert page.evaluate("typeof window.Plotly") == "object"
        # every chart drew its data: bars / lines / heat-map cells are in the SVG
        assert page.locator(".js-plotly-plot").count() == n_charts >= 2
        drawn = page.evaluate(
            """[...document.querySelectorAll('.js-plotly-plot')].filter(
                   p => p.querySelector('g.trace, g.hm image, g.hm')).length"""
        )
        assert drawn == n_charts
        cards = {
            c.locator(".label").inner_text().strip().lower(): c.locator(".value").inner_text()
            for c in page.locator("#scorecard .card").all()
        }
        if name == "range":
            now = card["current"]
            assert cards["checks passing now"] == f"{now['passing']} of {now['checks']}"
            assert cards["failing now"] == str(now["failing"])
        else:
            assert cards["checks passed"] == "1 of 2" and cards["failed"] == "1"
            assert page.get_by_text("Failing rows (sample of 3)").is_visible()
        page.screenshot(path=str(artifacts / f"review_report_{name}.png"), full_page=True)
        page.emulate_media(media="print")
        assert page.locator("nav").is_hidden()
        page.emulate_media(media="screen")
        assert page.locator("nav").is_visible()
    assert outside == []  # nothing was fetched from the network
