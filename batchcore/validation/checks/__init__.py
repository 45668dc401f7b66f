"""The check library: every check type, registered in one explicit dict.

`CHECK_TYPES[type] = (YAML model, plans function)`; an unknown type's error lists the known
ones (`known_types()`). `unit_of(type)` names what a kind's counts count (the spec's `unit`).
Kinds and their rules are documented in docs/checks.md.
"""

from __future__ import annotations

from collections.abc import Callable

from batchcore.validation.checks import (
    accepted_values,
    between,
    column_aggregates_match,
    freshness,
    metric_anomaly,
    not_null,
    regex,
    relationships,
    row_count,
    row_count_match,
    row_diff,
    schema,
    schema_match,
    sql,
    unique,
)
from batchcore.validation.checks.base import Check, CheckSpec

CHECK_TYPES: dict[str, tuple[type[CheckSpec], Callable[..., list[Check]]]] = {
    "not_null": (not_null.NotNullSpec, not_null.plans),
    "unique": (unique.UniqueSpec, unique.plans),
    "accepted_values": (accepted_values.AcceptedValuesSpec, accepted_values.plans),
    "between": (between.BetweenSpec, between.plans),
    "regex": (regex.RegexSpec, regex.plans),
    "relationships": (relationships.RelationshipsSpec, relationships.plans),
    "row_count": (row_count.RowCountSpec, row_count.plans),
    "freshness": (freshness.FreshnessSpec, freshness.plans),
    "schema": (schema.SchemaSpec, schema.plans),
    "sql": (sql.SqlSpec, sql.plans),
    "row_count_match": (row_count_match.RowCountMatchSpec, row_count_match.plans),
    "column_aggregates_match": (
        column_aggregates_match.ColumnAggregatesMatchSpec,
        column_aggregates_match.plans,
    ),
    "schema_match": (schema_match.SchemaMatchSpec, schema_match.plans),
    "row_diff": (row_diff.RowDiffSpec, row_diff.plans),
    "metric_anomaly": (metric_anomaly.MetricAnomalySpec, metric_anomaly.plans),
}

COMPARISON_TYPES = frozenset(
    {"row_count_match", "column_aggregates_match", "schema_match", "row_diff"}
)


def known_types() -> list[str]:
    """Every registered check type, sorted."""
    return sorted(CHECK_TYPES)


def unit_of(check_type: str) -> str:
    """What `check_type`'s `failed_rows` and `total_rows` count: `rows`, `columns` (schema,
    schema_match) or `metrics` (column_aggregates_match); `rows` for an unknown type."""
    entry = CHECK_TYPES.get(check_type)
    return entry[0].unit if entry else "rows"


def plans_for(spec: CheckSpec) -> list[Check]:
    """The result rows `spec` produces (a `not_null` on N columns gives N)."""
    return CHECK_TYPES[spec.type][1](spec)
