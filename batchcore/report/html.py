"""The review report as ONE self-contained HTML file (issue 15 §4).

plotly.js is inlined once (`include_plotlyjs=True` on the first chart), so the file opens with no
network; every other chart reuses it. A print stylesheet gives clean PDF pages from a browser
(sections do not split, charts fit the page width, links print their text). Every text taken
from data is HTML-escaped.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from batchcore import jsonutil
from batchcore.report.figures import (
    STATUS_COLOURS,
    anomaly_band_figure,
    check_trend_figure,
    pipeline_heatmap,
)
from batchcore.report.review import Report
from batchcore.validation.anomaly import fmt_value

CSS = """
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { font-family: Inter, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; padding: 32px 40px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.muted { color: var(--muted); }
nav { margin: 12px 0 8px; } nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
        padding: 12px 16px; min-width: 170px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 26px; font-weight: 600; }
.card .delta { font-size: 13px; }
.up { color: #1a7f37; } .down { color: #cf222e; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: 600; white-space: nowrap; }
.check { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 8px; overflow-x: auto;
      white-space: pre-wrap; word-break: break-word; font-size: 12px; }
.chart { margin: 8px 0 16px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { padding: 0; font-size: 11px; }
  nav { display: none; }
  h2 { break-after: avoid; }
  section, .check, .chart, table, .cards { break-inside: avoid; page-break-inside: avoid; }
  .chart .js-plotly-plot, .chart .plot-container { width: 100% !important; }
  .modebar-container { display: none !important; }
  a { color: inherit; text-decoration: none; }
  .card { min-width: 140px; }
}
"""

CHANGE_TITLES = {
    "newly_failing": "Newly failing",
    "fixed": "Fixed",
    "still_failing": "Still failing",
    "new": "New checks",
    "removed": "Checks that no longer ran",
    "not_run": "Did not run",
}


def esc(v: Any) -> str:
    """Escaped text; `—` for None."""
    return "—" if v is None else html.escape(str(v))


def _num(v: Any) -> str:
    if v is None:
        return "—"
    return fmt_value(float(v))


def _pct(v: float | None, digits: int = 2) -> str:
    if v is None:
        return "—"
    p = v * 100
    text = f"{p:.{digits}f}%"
    if text == f"{100:.{digits}f}%" and v < 1:  # never show 100% when rows failed
        text = f"{int(p * 10**digits) / 10**digits:.{digits}f}%"
    return text


def _ts(v: datetime | str | None) -> str:
    if v is None:
        return "—"
    if isinstance(v, str):
        return v[:16].replace("T", " ")
    return v.strftime("%Y-%m-%d %H:%M")


def _status(s: str | None) -> str:
    if not s:
        return '<span class="status muted">—</span>'
    colour = STATUS_COLOURS.get(s, "#57606a")
    return f'<span class="status" style="color:{colour}">{esc(s)}</span>'


def _card(label: str, value: str, delta: str = "", cls: str = "") -> str:
    d = f'<div class="delta {cls}">{delta}</div>' if delta else ""
    return (
        f'<div class="card"><div class="label">{esc(label)}</div>'
        f'<div class="value">{value}</div>{d}</div>'
    )


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    th = "".join(
        f'<th class="{"num" if i in numeric else ""}">{esc(h)}</th>' for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"num" if i in numeric else ""}">{c}</td>' for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


class _Charts:
    """Figures as HTML; plotly.js inlined with the first one only."""

    def __init__(self) -> None:
        self.first = True
        self.count = 0

    def html(self, fig: go.Figure) -> str:
        self.count += 1
        out = fig.to_html(
            full_html=False,
            include_plotlyjs=self.first,
            config={"displaylogo": False, "responsive": True},
            div_id=f"chart-{self.count}",
        )
        self.first = False
        return f'<div class="chart">{out}</div>'


def _scorecard(r: Report) -> str:
    s = r.scorecard
    if s["kind"] == "job":
        cards = [
            _card("Checks passed", f"{s['passed']:,} of {s['checks']:,}"),
            _card("Failed", f"{s['failed']:,}"),
            _card("Could not run", f"{s['error']:,}"),
            _card("Warned", f"{s['warned']:,}"),
            _card("Job status", esc(s["job_status"])),
            _card("Anomalies", f"{len(r.anomalies):,}"),
        ]
        return f'<div class="cards" id="scorecard">{"".join(cards)}</div>'
    now, prev = s["current"], s["previous"]

    def delta(a: int, b: int, good_up: bool = True) -> tuple[str, str]:
        if not prev["checks"]:
            return "no previous period", ""
        d = a - b
        cls = "" if d == 0 else ("up" if (d > 0) == good_up else "down")
        return f"{d:+,} vs previous ({b:,})", cls

    pd_text, pd_cls = delta(now["passing"], prev["passing"])
    fd_text, fd_cls = delta(now["failing"], prev["failing"], good_up=False)
    rate = now["run_pass_rate"]
    prev_rate = prev["run_pass_rate"]
    rate_delta = (
        f"{(rate - prev_rate) * 100:+.1f} pts vs previous"
        if rate is not None and prev_rate is not None
        else ""
    )
    cards = [
        _card("Checks passing now", f"{now['passing']:,} of {now['checks']:,}", pd_text, pd_cls),
        _card("Failing now", f"{now['failing']:,}", fd_text, fd_cls),
        _card("Could not run", f"{now['errors']:,}"),
        _card("Runs passed", _pct(rate, 1), rate_delta),
        _card("Anomalies", f"{len(r.anomalies):,}"),
        _card("Jobs in the period", f"{s['jobs_in_range']:,}"),
    ]
    pipes = _table(
        ["Project", "Pipeline", "Passing now", "Previous period"],
        [
            [
                esc(p["project_id"]),
                esc(p["pipeline_id"]),
                f"{p['passing']:,} of {p['checks']:,}",
                f"{p['previous_passing']:,} of {p['previous_checks']:,}"
                if p["previous_checks"]
                else "—",
            ]
            for p in s["pipelines"]
        ],
    )
    return (
        f'<div class="cards" id="scorecard">{"".join(cards)}</div>'
        '<p class="muted">A check counts in a period when it ran in it and passes when its latest '
        "run of the period passed.</p>" + pipes
    )


def _changes(r: Report) -> str:
    parts = [f'<p class="muted">{esc(r.changes_note)}</p>']
    if not any(r.changes.values()):
        parts.append("<p>No check changed status or figures.</p>")
    for kind, items in r.changes.items():
        if not items:
            continue
        rows = [
            [
                esc(f"{c['pipeline_id']} · {c['check_name']}"),
                _status(c.get("previous_status")),
                _status(c.get("status")),
                f"{_num(c.get('previous_failed_rows'))} → {_num(c.get('last_failed_rows'))}",
            ]
            for c in items
        ]
        parts.append(
            f"<h3>{esc(CHANGE_TITLES.get(kind, kind))} · {len(items):,}</h3>"
            + _table(["Check", "Before", "Now", "Failed rows"], rows)
        )
    return "".join(parts)


def _anomalies(r: Report) -> str:
    if not r.anomalies:
        return "<p>No check ran outside its learned band.</p>"
    rows = [
        [
            _ts(a["run_at"]),
            esc(f"{a['pipeline_id']} · {a['check_name']}"),
            esc(a["metric"]),
            _num(a["value"]),
            f"{_num(a['lower'])} – {_num(a['upper'])}" if a.get("lower") is not None else "—",
            esc(a["reason"]),
        ]
        for a in r.anomalies
    ]
    return (
        '<p class="muted">Band = median ± sensitivity × 1.4826 × MAD of the check\'s last comparable '
        "runs (docs/checks.md).</p>"
        + _table(["Run at (UTC)", "Check", "Metric", "Value", "Band", "Why"], rows, {3})
    )


def _sample(sample: dict[str, Any] | None) -> str:
    if not sample or not sample.get("rows"):
        return ""
    cols = sample.get("columns") or [f"c{i}" for i in range(len(sample["rows"][0]))]
    rows = [
        [
            esc(v if isinstance(v, str | int | float) or v is None else jsonutil.dumps(v))
            for v in row
        ]
        for row in sample["rows"][:20]
    ]
    return f"<h4>Failing rows (sample of {len(sample['rows'])})</h4>" + _table(
        list(map(str, cols)), rows
    )


def _failing(r: Report) -> str:
    if not r.failing:
        return "<p>Every check passes.</p>"
    out = []
    for c in r.failing:
        reason = (
            (c.get("details") or {}).get("reason") if isinstance(c.get("details"), dict) else None
        )
        facts = (
            f"{_status(c['status'])} · failed rows <b>{_num(c.get('failed_rows'))}</b> of "
            f"{_num(c.get('total_rows'))} · pass rate {_pct(c.get('pass_rate'))} · threshold "
            f"{_pct(c.get('threshold'))} · run {_ts(c.get('run_at'))} in job {esc(c.get('job_name'))} "
            f"(<code>{esc(c.get('job_id'))}</code>)"
        )
        block = [
            f'<div class="check"><h3>{esc(c["pipeline_id"])} · {esc(c["check_name"])}</h3>',
            f"<div>{facts}</div>",
        ]
        if reason:
            block.append(f"<p>{esc(reason)}</p>")
        if c.get("error"):
            block.append(f"<p><b>Could not run:</b> {esc(c['error'])}</p>")
        block.append(_sample(c.get("sample")))
        if c.get("sql"):
            block.append(f"<h4>SQL</h4><pre>{esc(c['sql'])}</pre>")
        block.append("</div>")
        out.append("".join(block))
    return "".join(out)


def _metadata(r: Report) -> str:
    rows = [
        [
            esc(j["name"]),
            f"<code>{esc(j['job_id'])}</code>",
            _status(j["status"]),
            esc(j["project_id"]),
            _ts(j["created_at"]),
            "—" if j["duration_ms"] is None else f"{j['duration_ms'] / 1000:,.1f} s",
            f"{j['operations']:,}",
            f"{j['failed_operations']:,}",
        ]
        for j in r.jobs
    ]
    head = ["Job", "Id", "Status", "Project", "Created (UTC)", "Duration", "Operations", "Failed"]
    out = [_table(head, rows, {6, 7})]
    if r.job:
        ops = [
            [
                esc(o["operation_id"]),
                esc(o["type"]),
                _status(o["status"]),
                esc(o["failure_kind"]),
                str(o["attempts"]),
                "—" if o["duration_ms"] is None else f"{o['duration_ms'] / 1000:,.2f} s",
                esc(o["summary"] or o["error"] or ""),
            ]
            for o in r.job["operations"]
        ]
        out.append("<h3>Operations</h3>")
        out.append(
            _table(["Operation", "Type", "Status", "Kind", "Attempts", "Duration", "Summary"], ops)
        )
    return "".join(out)


def render(r: Report) -> str:
    """The report as one HTML document (UTF-8 text), viewable offline and printable."""
    charts = _Charts()
    trend_html = "".join(
        f"<h3>{esc(t['title'])}</h3>"
        + (
            charts.html(anomaly_band_figure(t["band_runs"]))
            if t.get("band_runs")
            else charts.html(check_trend_figure(t["trend"]))
        )
        for t in r.trends
    )
    strip_html = "".join(
        f"<h3>{esc(s['title'])}</h3>" + charts.html(pipeline_heatmap(s["matrix"])) for s in r.strips
    )
    if not trend_html and not strip_html:
        trend_html = "<p>No failing check, so no trend to show.</p>"
    period = (
        f"{_ts(r.start)} – {_ts(r.end)} UTC" if r.start is not None else f"until {_ts(r.end)} UTC"
    )
    sections = [
        ("summary", "Summary scorecard", _scorecard(r)),
        ("changes", "What changed", _changes(r)),
        ("anomalies", f"Anomalies · {len(r.anomalies):,}", _anomalies(r)),
        ("failing", f"Failing checks · {len(r.failing):,}", _failing(r)),
        ("trends", "Trends", trend_html + strip_html),
        ("metadata", "Run metadata", _metadata(r)),
    ]
    nav = "".join(
        f'<a href="#{sid}">{esc(title.split(" · ")[0])}</a>' for sid, title, _ in sections
    )
    body = "".join(
        f'<section id="{sid}"><h2>{esc(title)}</h2>{content}</section>'
        for sid, title, content in sections
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(r.title)}</title>
<style>{CSS}</style></head>
<body>
<header><h1>{esc(r.title)}</h1>
<div class="muted">{esc(r.subject)} · period {period} · generated {_ts(r.generated_at)} UTC by
Batch Operations {esc(r.version)}</div></header>
<nav>{nav}</nav>
{body}
<footer>Self-contained report: charts are embedded (no network needed). Print it to PDF from the
browser (File → Print).</footer>
</body></html>
"""
