"""`metric_anomaly`: a table's row count, or a column's null rate / distinct count / mean, judged
against a band learned from the check's own history instead of a fixed threshold (issue 15 §2).

YAML: `{type: metric_anomaly, table: T, metric: row_count}` or `{type: metric_anomaly, table: T,
column: C, metric: null_rate | distinct_count | mean, window: 20, seasonality: none | weekday,
sensitivity: 3}`. Answered by the table scan (`count(C)`, and `count(DISTINCT C)` or `avg(C)` for
those metrics). The measured value is `observed[metric]` (row_count is also `total_rows`, null_rate is
also (total − non_null_rows) ÷ total); the band and the verdict come from
batchcore.validation.anomaly (formula in docs/checks.md#anomaly): outside → failed (warned with
`severity: warn`); inside or still learning (fewer than 5 comparable runs) → passed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from batchcore.connections import DbConnection
from batchcore.validation.anomaly import MIN_HISTORY, AnomalySpec
from batchcore.validation.checks.base import (
    ColumnName,
    Outcome,
    RunContext,
    ScanCheck,
    TableCheckSpec,
    as_int,
)

METRICS = ("row_count", "null_rate", "distinct_count", "mean")


class MetricAnomalySpec(TableCheckSpec):
    """Keys: table, metric, column (all metrics but row_count), window, seasonality,
    sensitivity (as in `anomaly:`)."""

    metric: Literal["row_count", "null_rate", "distinct_count", "mean"]
    column: ColumnName | None = None
    window: Annotated[int, Field(ge=MIN_HISTORY, le=1000)] = 20
    seasonality: Literal["none", "weekday"] = "none"
    sensitivity: Annotated[float, Field(gt=0, le=100)] = 3.0

    @model_validator(mode="after")
    def _column(self):
        if self.metric != "row_count" and self.column is None:
            raise ValueError(f"metric {self.metric} needs 'column'")
        if self.metric == "row_count" and self.column is not None:
            raise ValueError("metric row_count counts the table's rows: drop 'column'")
        if self.anomaly is not None:
            raise ValueError("metric_anomaly takes window, seasonality and sensitivity itself")
        return self

    @property
    def band_spec(self) -> AnomalySpec:
        return AnomalySpec(
            metric=self.metric,
            window=self.window,
            seasonality=self.seasonality,
            sensitivity=self.sensitivity,
        )


class MetricAnomalyCheck(ScanCheck):
    def __init__(self, spec: MetricAnomalySpec):
        target = spec.table if spec.column is None else f"{spec.table}.{spec.column}"
        super().__init__(
            spec,
            table=spec.table,
            columns=[spec.column] if spec.column else [],
            label=f"metric_anomaly({target}:{spec.metric})",
        )

    def aggregates(self, conn: DbConnection) -> list[str]:
        if self.spec.column is None:
            return []
        col = self.col(conn, self.spec.column)
        extra = {"distinct_count": f"count(DISTINCT {col})", "mean": f"avg({col})"}
        return [f"count({col})", *([extra[self.spec.metric]] if self.spec.metric in extra else [])]

    def evaluate(self, total: int, values: list[Any], ctx: RunContext) -> Outcome:
        observed: dict[str, Any] = {"row_count": total}
        non_null = None
        if self.spec.column is not None:
            non_null = as_int(values[0])
            observed["null_rate"] = 0.0 if total == 0 else (total - non_null) / total
            if self.spec.metric == "distinct_count":
                observed["distinct_count"] = as_int(values[1])
            elif self.spec.metric == "mean":  # NULL (no value, or an empty table): not judged
                observed["mean"] = None if values[1] is None else float(values[1])
        return Outcome(
            total_rows=total,
            failed_rows=0,
            non_null_rows=non_null,
            observed=observed,
            passed=True,  # the learned band decides (runner: apply_anomalies)
            uses_threshold=False,
            pass_rate=1.0,
        )


def plans(spec: MetricAnomalySpec) -> list[MetricAnomalyCheck]:
    return [MetricAnomalyCheck(spec)]
