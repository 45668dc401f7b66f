"""The three star schemas, by `schema_type` (Retail, Finance, Healthcare)."""

from __future__ import annotations

from batchcore.datagen.schemas.finance import FINANCE
from batchcore.datagen.schemas.healthcare import HEALTHCARE
from batchcore.datagen.schemas.retail import RETAIL
from batchcore.datagen.spec import StarSchema
from batchcore.errors import ConfigError

SCHEMAS: dict[str, StarSchema] = {s.schema_type: s for s in (RETAIL, FINANCE, HEALTHCARE)}


def get_schema(schema_type: str) -> StarSchema:
    """The schema for `schema_type` (case-insensitive). Raises ConfigError listing the known types."""
    for name, schema in SCHEMAS.items():
        if name.lower() == str(schema_type).strip().lower():
            return schema
    raise ConfigError(
        f"unknown schema_type {schema_type!r}; known: {sorted(SCHEMAS)}",
        field="schema_type",
        value=schema_type,
    )
