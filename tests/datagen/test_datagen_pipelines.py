"""The shipped synthetic_data pipelines are what the schema declarations imply, and cover
every defect the generator can inject."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from batchcore.datagen.defects import DefectSpec, ground_truth, plan_defects
from batchcore.datagen.pipelines import pipeline_for
from batchcore.datagen.schemas import SCHEMAS
from batchcore.workspace import Workspace

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workspace"


@pytest.mark.parametrize("schema_type", list(SCHEMAS))
def test_shipped_pipeline_matches_the_schema(schema_type):
    ref = Workspace.load(EXAMPLE).resolve_pipeline(
        f"{schema_type.lower()}_validation", "synthetic_data"
    )
    shipped = yaml.safe_load(ref.path.read_text(encoding="utf-8"))
    assert shipped == pipeline_for(schema_type)
    assert shipped["target"] == "generated" and shipped["threshold"] == 1.0


@pytest.mark.parametrize("schema_type", list(SCHEMAS))
def test_every_injectable_defect_has_a_check(schema_type):
    """Ask for every defect the schema allows; each expected failure must match a check."""
    schema = SCHEMAS[schema_type]
    tables = {
        t.name: t for t in schema.tables(1_000_000, 1)
    }  # every table has rows for each defect
    spec = {}
    for t in tables.values():
        pk = set(t.primary_key)
        spec[t.name] = {
            "nulls": {c.name: 1 for c in t.columns if c.name not in pk and not c.nullable},
            "orphan_fks": {c.name: 1 for c in t.columns if c.references},
            "out_of_range": {c.name: 1 for c in t.columns if c.valid and c.name not in pk},
            "duplicate_keys": 1,
        }
    truth = ground_truth(
        schema.schema,
        tables,
        plan_defects(schema.schema, tables, DefectSpec.model_validate(spec), 1),
    )
    checks = pipeline_for(schema_type)["checks"]
    keys = set()
    for c in checks:
        cols = c.get("columns") or [c["column"]]
        if c["type"] == "not_null":
            keys |= {("not_null", c["table"], (col,)) for col in cols}
        else:
            keys.add((c["type"], c["table"], tuple(cols)))
    missing = [
        e
        for e in truth["expected_failures"]
        if (e["check_type"], e["table"], tuple(e["columns"])) not in keys
    ]
    assert missing == []
    assert len(truth["expected_failures"]) > 40
