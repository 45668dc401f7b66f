"""Check history (issue 15 §1): a check's identity across runs, and the Engine methods the pages,
the API, the CLI and the review report call (SQL: batchcore/store/history.py).

A check is identified by project + pipeline + check name (`CheckKey`); its text form
`<project>/<pipeline>/<check name>` is the key of `GET /batch/checks/{check_key}/history` and of
the Check history page's URL (`-` stands for "no project"). Project and pipeline ids cannot hold
`/`, so everything after the second `/` is the check's name. A renamed check starts a new history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from batchcore import jsonutil
from batchcore.errors import NotFound, RequestError
from batchcore.export import csv_text
from batchcore.store import history as q
from batchcore.timeutil import from_db, to_db, utcnow_naive

if TYPE_CHECKING:
    from batchcore.store import Store

NO_PROJECT = "-"
_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$")


@dataclass(frozen=True)
class CheckKey:
    """A check's identity: (project_id or None, pipeline_id, check_name)."""

    project_id: str | None
    pipeline_id: str
    check_name: str

    @property
    def text(self) -> str:
        """`<project>/<pipeline>/<check name>` (`-` for no project)."""
        return f"{self.project_id or NO_PROJECT}/{self.pipeline_id}/{self.check_name}"

    @classmethod
    def parse(cls, text: str) -> CheckKey:
        """Read `<project>/<pipeline>/<check name>`. Raises RequestError (field check_key)."""
        parts = (text or "").split("/", 2)
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise RequestError(
                f"check_key {text!r} is not <project>/<pipeline>/<check name> "
                "(use - for no project), e.g. retail_migration/dim_customer_validation/"
                "not_null(customers.email)",
                field="check_key",
                value=text,
            )
        project, pipeline, name = parts
        return cls(None if project == NO_PROJECT else project, pipeline, name)


def parse_since(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """`7d`, `24h`, `2w` (before now) or an ISO date/time (UTC when naive) → naive UTC; None
    for empty. Raises RequestError (field since) naming the value."""
    if text is None or not str(text).strip():
        return None
    now = to_db(now) or utcnow_naive()
    m = _SINCE.match(str(text))
    if m:
        n, unit = float(m.group(1)), m.group(2)
        return now - timedelta(hours=n * {"h": 1, "d": 24, "w": 168}[unit])
    try:
        return to_db(datetime.fromisoformat(str(text).strip()))
    except ValueError:
        raise RequestError(
            f"since {text!r} is neither a duration (7d, 24h, 2w) nor an ISO date (2026-11-01)",
            field="since",
            value=text,
        ) from None


def runs_csv(runs: list[dict[str, Any]], key: CheckKey) -> str:
    """One CSV row per run, with the check's identity on every row (the product's one CSV
    writer, batchcore.export.csv_text: formula-safe cells)."""
    cols = ("project_id", "pipeline_id", "check_name", *q.RUN_KEYS)
    ident = {"project_id": key.project_id, "pipeline_id": key.pipeline_id}
    rows = []
    for r in runs:
        row = {**ident, "check_name": key.check_name, **r}
        rows.append(
            [
                jsonutil.dumps(row[c]) if c == "observed" and row[c] is not None else row[c]
                for c in cols
            ]
        )
    return csv_text(cols, rows)


def matrix_csv(matrix: dict[str, Any], project_id: str | None, pipeline_id: str) -> str:
    """One CSV row per (run, check) cell of a pipeline history, oldest run first (through
    batchcore.export.csv_text)."""
    cols = (
        "project_id",
        "pipeline_id",
        "run_at",
        "job_id",
        "job_name",
        "operation_id",
        "attempt",
        "check_name",
        "status",
        "failed_rows",
        "pass_rate",
    )
    runs = matrix["runs"]
    rows = []
    for c in sorted(matrix["cells"], key=lambda c: (c["run"], c["check_name"])):
        r = runs[c["run"]]
        rows.append(
            (
                project_id,
                pipeline_id,
                r["run_at"],
                r["job_id"],
                r["job_name"],
                r["operation_id"],
                r["attempt"],
                c["check_name"],
                c["status"],
                c["failed_rows"],
                c["pass_rate"],
            )
        )
    return csv_text(cols, rows)


def metric_history_source(store: Store):
    """The check history source of learned alert bands (batchcore.validation.anomaly
    .HistorySource): `source(project_id, pipeline_id, check_name, metric, *, before, limit,
    isoweekday=None)` → [(time, value)] newest first, read from `store` in its own read."""

    def source(
        project_id: str | None,
        pipeline_id: str,
        check_name: str,
        metric: str,
        *,
        before: datetime,
        limit: int,
        isoweekday: int | None = None,
    ) -> list[tuple[datetime, float]]:
        with store.reader() as cur:
            return q.metric_history(
                cur,
                project_id,
                pipeline_id,
                check_name,
                metric,
                before=before,
                limit=limit,
                isoweekday=isoweekday,
            )

    return source


def aware(value: Any) -> Any:
    """`value` with every naive datetime (the store's UTC) made timezone-aware UTC, recursively
    through dicts and lists (what every Engine method returns)."""
    if isinstance(value, datetime):
        return from_db(value)
    if isinstance(value, dict):
        return {k: aware(v) for k, v in value.items()}
    if isinstance(value, list):
        return [aware(v) for v in value]
    return value


class HistoryMethods:
    """Engine methods of check history (mixed into `batchcore.engine.Engine`)."""

    store: Store

    def check_history(
        self,
        key: CheckKey | str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = 50,
        offset: int = 0,
        max_points: int = 1500,
    ) -> dict[str, Any]:
        """One check's history in [since, until): {"key", "project_id", "pipeline_id",
        "check_name", "summary" (all runs, see store.history.check_summary), "trend" (see
        check_trend), "runs" (a page, newest first), "total_runs" (in the range)}.
        Raises RequestError (bad key), NotFound (the check never ran)."""
        key = CheckKey.parse(key) if isinstance(key, str) else key
        since, until = to_db(since), to_db(until)
        with self.store.reader() as cur:
            args = (key.project_id, key.pipeline_id, key.check_name)
            summary = q.check_summary(cur, *args)
            if summary is None:
                raise NotFound(
                    f"no runs of check {key.text!r}: check the project, pipeline and check name "
                    "(a renamed check starts a new history)",
                    field="check_key",
                    value=key.text,
                )
            trend = q.check_trend(cur, *args, since=since, until=until, max_points=max_points)
            runs, total = q.check_runs(
                cur, *args, since=since, until=until, limit=limit, offset=offset
            )
        return aware(
            {
                "key": key.text,
                "project_id": key.project_id,
                "pipeline_id": key.pipeline_id,
                "check_name": key.check_name,
                "summary": summary,
                "trend": trend,
                "runs": runs,
                "total_runs": total,
            }
        )

    def check_history_export(
        self,
        key: CheckKey | str,
        fmt: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> str:
        """Every run of the check in the range as `json` (the check_history answer with all
        runs) or `csv` (runs_csv). Raises RequestError, NotFound."""
        key = CheckKey.parse(key) if isinstance(key, str) else key
        data = self.check_history(key, since=since, until=until, limit=None)
        if fmt == "csv":
            return runs_csv(data["runs"], key)
        return jsonutil.dumps(data, indent=2)

    def list_checks(
        self,
        *,
        project_id: str | None = None,
        pipeline_id: str | None = None,
        search: str | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """Checks that have history (see store.history.list_checks), each with its `key`."""
        with self.store.reader() as cur:
            rows = q.list_checks(
                cur, project_id=project_id, pipeline_id=pipeline_id, search=search, limit=limit
            )
        for r in rows:
            r["key"] = CheckKey(r["project_id"], r["pipeline_id"], r["check_name"]).text
        return aware(rows)

    def pipeline_history(
        self,
        pipeline_id: str,
        project_id: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        max_runs: int = 60,
    ) -> dict[str, Any]:
        """A pipeline's latest runs × checks (see store.history.pipeline_matrix), each check with
        its `key`. A pipeline id without project resolves when one project's history has it.
        Raises NotFound (no runs), RequestError (the id is in several projects)."""
        with self.store.reader() as cur:
            if project_id is None:
                projects = [
                    r[0]
                    for r in cur.execute(
                        "SELECT DISTINCT project_id FROM check_results WHERE pipeline_id = ? ORDER BY 1",
                        [pipeline_id],
                    ).fetchall()
                ]
                if len(projects) > 1:
                    raise RequestError(
                        f"pipeline {pipeline_id!r} has history in several projects "
                        f"({', '.join(p or NO_PROJECT for p in projects)}): give project_id",
                        field="project_id",
                        value=None,
                    )
                project_id = projects[0] if projects else None
            m = q.pipeline_matrix(
                cur,
                project_id,
                pipeline_id,
                since=to_db(since),
                until=to_db(until),
                max_runs=max_runs,
            )
        if not m["runs"] and not m["total_runs"]:
            raise NotFound(
                f"no check results of pipeline {pipeline_id!r}"
                + (f" in project {project_id!r}" if project_id else "")
                + (" in this range" if since or until else ""),
                field="pipeline_id",
                value=pipeline_id,
            )
        for c in m["checks"]:
            c["key"] = CheckKey(project_id, pipeline_id, c["check_name"]).text
        return aware({"project_id": project_id, "pipeline_id": pipeline_id, **m})

    def pipeline_history_export(
        self, pipeline_id: str, project_id: str | None, fmt: str, **kw: Any
    ) -> str:
        """The pipeline history as `json` or `csv` (one row per run × check)."""
        data = self.pipeline_history(pipeline_id, project_id, **kw)
        if fmt == "csv":
            return matrix_csv(data, data["project_id"], pipeline_id)
        return jsonutil.dumps(data, indent=2)

    def quality_scorecard(
        self,
        project_id: str | None = None,
        *,
        period: timedelta = timedelta(days=7),
        end: datetime | None = None,
        start: datetime | None = None,
    ) -> dict[str, Any]:
        """Checks passing now vs the previous period of the same length (see
        store.history.project_scorecard), with "start", "end", "previous_start" and each
        check's `key`. `start` given: the period is [start, end)."""
        end = to_db(end) or utcnow_naive()
        start = to_db(start) or end - period
        if start >= end:
            raise RequestError(
                "the period's start must be before its end", field="since", value=str(start)
            )
        previous_start = start - (end - start)
        with self.store.reader() as cur:
            card = q.project_scorecard(
                cur, project_id, start=start, end=end, previous_start=previous_start
            )
        for c in card["checks"] + card["previous_only"]:
            c["key"] = CheckKey(c["project_id"], c["pipeline_id"], c["check_name"]).text
        return aware(
            {
                "project_id": project_id,
                "start": start,
                "end": end,
                "previous_start": previous_start,
                **card,
            }
        )

    def anomalies(
        self,
        *,
        project_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 200,
    ) -> tuple[list[dict[str, Any]], int]:
        """Check runs flagged by their learned band in the range (see
        store.history.anomaly_runs), newest first, each with its check `key`; and the count."""
        with self.store.reader() as cur:
            rows, total = q.anomaly_runs(
                cur, project_id=project_id, since=to_db(since), until=to_db(until), limit=limit
            )
        for r in rows:
            r["key"] = CheckKey(r["project_id"], r["pipeline_id"], r["check_name"]).text
        return aware(rows), total

    def latest_check_run(
        self, key: CheckKey | str, *, until: datetime | None = None
    ) -> dict[str, Any] | None:
        """The check's latest run before `until` with its sample, SQL and details, or None."""
        key = CheckKey.parse(key) if isinstance(key, str) else key
        with self.store.reader() as cur:
            row = q.latest_run_details(
                cur, key.project_id, key.pipeline_id, key.check_name, until=to_db(until)
            )
        return aware(row)

    def review_report(
        self,
        *,
        job_id: str | None = None,
        project_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> str:
        """The review report (issue 15 §4) as one self-contained HTML document: of a job, or of
        a project (None: all) over [since, until) (default: the last 7 days). Raises NotFound,
        RequestError (see batchcore.report.review.collect)."""
        from batchcore.report.html import render
        from batchcore.report.review import collect

        return render(collect(self, job_id=job_id, project_id=project_id, since=since, until=until))
