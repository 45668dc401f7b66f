"""Learned alert bands (issue 15 §2): is today's value normal for this check?

A check may declare `anomaly: {metric, window, seasonality, sensitivity}`; `type: metric_anomaly`
declares the same keys at its top level. The band is learned from the check's own history
(batchcore/store/history.py `metric_history`), robustly:

    median = median of the last `window` comparable runs' values
    MAD    = median of |value − median| over those runs
    band   = median ± sensitivity × 1.4826 × MAD

(1.4826 × MAD estimates the standard deviation of normally distributed values, so sensitivity 3
reads like "3 sigma", while one wild run cannot drag the band as it would a mean.) Comparable
runs: earlier runs of the same check identity (project + pipeline + name) that ran (status not
`error`) and have the metric; with `seasonality: weekday` only runs on the same weekday (UTC).
The value is outside when value < lower or value > upper; a MAD of 0 gives a band of width 0
(every earlier value equal: any other value is outside). With fewer than MIN_HISTORY comparable
runs the check is "learning (k of 5 runs)" and the band does not decide. Formula in
docs/checks.md#anomaly.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

MIN_HISTORY = 5  # comparable runs needed before a band decides
MAD_SCALE = 1.4826
BUILTIN_METRICS = ("row_count", "failed_rows", "null_rate")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# history(project_id, pipeline_id, check_name, metric, *, before, limit, isoweekday) ->
# [(time, value)] newest first (batchcore.store.history.metric_history over a reader)
HistorySource = Callable[..., list[tuple[datetime, float]]]


class AnomalySpec(BaseModel):
    """`anomaly:` of a check. metric: row_count | failed_rows | null_rate | a field of the
    check's `observed`; window: comparable runs learned from (5..1000); seasonality: none |
    weekday; sensitivity: how many scaled MADs from the median the band reaches (> 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    window: Annotated[int, Field(ge=MIN_HISTORY, le=1000)] = 20
    seasonality: Literal["none", "weekday"] = "none"
    sensitivity: Annotated[float, Field(gt=0, le=100)] = 3.0


@dataclass(frozen=True)
class Band:
    """median ± sensitivity × 1.4826 × MAD over `runs` values."""

    median: float
    mad: float
    lower: float
    upper: float
    runs: int


def learn_band(values: list[float], sensitivity: float) -> Band:
    """The band of `values` (at least one). See the module doc for the formula."""
    med = statistics.median(values)
    mad = statistics.median(abs(v - med) for v in values)
    half = sensitivity * MAD_SCALE * mad
    return Band(med, mad, med - half, med + half, len(values))


def metric_value(row: dict[str, Any], metric: str) -> float | None:
    """The metric of one result row (keys of CheckResult.to_row): row_count = total rows,
    failed_rows, null_rate = (total − non-NULL) ÷ total (0 for an empty table; None when the
    check does not count non-NULL values), else `observed[metric]` as a number. The SQL twin is
    batchcore.store.history.METRIC_SQL."""
    total = row.get("total_rows")
    if metric == "row_count":
        return None if total is None else float(total)
    if metric == "failed_rows":
        f = row.get("failed_rows")
        return None if f is None else float(f)
    if metric == "null_rate":
        nn = row.get("non_null_rows")
        if total == 0:
            return 0.0
        return None if total is None or nn is None else (total - nn) / total
    v = (row.get("observed") or {}).get(metric)
    if isinstance(v, bool) or v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt_value(v: float) -> str:
    """A metric value for reasons: whole numbers with thousands separators (12,400), at most two
    decimals from 1 up (107.43), four significant digits below 1 (0.01234)."""
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.4g}"


@dataclass(frozen=True)
class AnomalyVerdict:
    """What the band says about `value`: state learning | normal | anomaly | no_value, the
    reason in words, and the band (None while learning)."""

    state: str
    metric: str
    value: float | None
    reason: str
    band: Band | None
    window: int
    seasonality: str
    sensitivity: float
    needed: int = MIN_HISTORY

    def as_dict(self) -> dict[str, Any]:
        d = {
            "state": self.state,
            "metric": self.metric,
            "value": self.value,
            "reason": self.reason,
            "window": self.window,
            "seasonality": self.seasonality,
            "sensitivity": self.sensitivity,
            "min_history": self.needed,
        }
        if self.band is not None:
            d.update(asdict(self.band))
        return d


def judge(
    value: float | None, history: list[float], spec: AnomalySpec, *, weekday: int | None = None
) -> AnomalyVerdict:
    """The verdict on `value` given the comparable runs' values `history` (newest first, at
    most `spec.window`); `weekday` (1..7) names the weekday in the reason."""
    common = dict(
        metric=spec.metric,
        value=value,
        window=spec.window,
        seasonality=spec.seasonality,
        sensitivity=spec.sensitivity,
    )
    on = f" on {WEEKDAYS[weekday - 1]}s" if weekday else ""
    if value is None:
        return AnomalyVerdict(
            "no_value", reason=f"this run has no {spec.metric} to judge", band=None, **common
        )
    k = len(history)
    if k < MIN_HISTORY:
        return AnomalyVerdict(
            "learning",
            reason=f"learning ({k} of {MIN_HISTORY} runs{on})",
            band=None,
            **common,
        )
    b = learn_band(history[: spec.window], spec.sensitivity)
    rule = (
        f"median {fmt_value(b.median)} ± {spec.sensitivity:g} × 1.4826 × MAD {fmt_value(b.mad)} over the "
        f"last {b.runs} runs{on}"
    )
    if value < b.lower:
        why = f"{spec.metric} {fmt_value(value)} is below the band {fmt_value(b.lower)} – {fmt_value(b.upper)} by {fmt_value(b.lower - value)} ({rule})"
        return AnomalyVerdict("anomaly", reason=why, band=b, **common)
    if value > b.upper:
        why = f"{spec.metric} {fmt_value(value)} is above the band {fmt_value(b.lower)} – {fmt_value(b.upper)} by {fmt_value(value - b.upper)} ({rule})"
        return AnomalyVerdict("anomaly", reason=why, band=b, **common)
    return AnomalyVerdict(
        "normal",
        reason=f"{spec.metric} {fmt_value(value)} is within the band {fmt_value(b.lower)} – {fmt_value(b.upper)} ({rule})",
        band=b,
        **common,
    )


def evaluate(
    row: dict[str, Any],
    spec: AnomalySpec,
    history: HistorySource | None,
    *,
    at: datetime,
) -> AnomalyVerdict:
    """Judge one result row (keys of CheckResult.to_row, with project_id / pipeline_id /
    check_name) against its history before `at` (naive UTC). No history source (a pipeline run
    outside the engine, e.g. `validate`): learning with 0 runs."""
    weekday = at.isoweekday() if spec.seasonality == "weekday" else None
    past: list[float] = []
    if history is not None and row.get("pipeline_id"):
        past = [
            v
            for _t, v in history(
                row.get("project_id"),
                row["pipeline_id"],
                row["check_name"],
                spec.metric,
                before=at,
                limit=spec.window,
                isoweekday=weekday,
            )
        ]
    return judge(metric_value(row, spec.metric), past, spec, weekday=weekday)


def prefetch_history(
    spec: dict[str, Any], workspace_root: Any, history: HistorySource, *, at: datetime
) -> dict[str, list[float]]:
    """For an attempt that runs away from the job store (a Dask worker): the history every
    banded check of the `pipeline_execution` spec will ask for, read now in the app process.
    Keys: JSON of [project_id, pipeline_id, check_name, metric]; values newest first. A pipeline
    that cannot load gives {} (the worker then reports the real error)."""
    import json

    from batchcore.validation.runner import expand
    from batchcore.validation.spec import load_pipeline
    from batchcore.workspace import Workspace

    try:
        ws = Workspace.load(workspace_root)
        pipeline = load_pipeline(
            ws.resolve_pipeline(spec["pipeline_id"], spec.get("project_id")), ws
        )
    except Exception:
        return {}
    out: dict[str, list[float]] = {}
    for plan in expand(pipeline):
        band = plan.spec.band_spec
        if band is None:
            continue
        weekday = at.isoweekday() if band.seasonality == "weekday" else None
        key = json.dumps([pipeline.project_id, pipeline.pipeline_id, plan.name, band.metric])
        out[key] = [
            v
            for _t, v in history(
                pipeline.project_id,
                pipeline.pipeline_id,
                plan.name,
                band.metric,
                before=at,
                limit=band.window,
                isoweekday=weekday,
            )
        ]
    return out


def frozen_history(data: dict[str, list[float]]) -> HistorySource:
    """A HistorySource answering from `prefetch_history`'s result (on the worker)."""
    import json

    def source(project_id, pipeline_id, check_name, metric, *, before, limit, isoweekday=None):
        values = data.get(json.dumps([project_id, pipeline_id, check_name, metric]), [])
        return [(before, v) for v in values[:limit]]

    return source
