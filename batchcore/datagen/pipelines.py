"""The validation pipeline each generated schema must pass (and that finds injected defects).

`pipeline_for(schema_type)` derives it from the schema's declarations, per table in dependency
order: `not_null` on every column that is never NULL by design, `unique` on the primary key,
`relationships` for every foreign key, `between` for every declared range and
`accepted_values` for every closed value set (DESIGN §7 format). Generated without defects, every
check passes; with defects, each check's failed_rows equals the ground truth recorded by the
generation (`result.defects.expected_failures`; checks not listed there find 0).

The example workspace ships these as projects/synthetic_data/pipelines/<type>_validation.yaml;
`python -m batchcore.datagen.pipelines DIR` rewrites them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from batchcore.datagen.schemas import SCHEMAS, get_schema


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def pipeline_for(schema_type: str, target: str = "generated") -> dict[str, Any]:
    """The pipeline (DESIGN §7 dict) validating a generated schema on connection `target`."""
    schema = get_schema(schema_type)
    tables = schema.tables(1000, 0)
    checks: list[dict[str, Any]] = []
    for t in tables:
        q = f"{schema.schema}.{t.name}"
        cols = [c.name for c in t.columns if not c.nullable]
        checks.append({"type": "not_null", "table": q, "columns": cols})
        checks.append({"type": "unique", "table": q, "columns": list(t.primary_key)})
        for c in t.columns:
            if c.references:
                ref_table, ref_col = c.references.split(".")
                checks.append(
                    {
                        "type": "relationships",
                        "table": q,
                        "column": c.name,
                        "to": f"{schema.schema}.{ref_table}",
                        "field": ref_col,
                    }
                )
        for c in t.columns:
            if c.valid is not None:
                checks.append(
                    {
                        "type": "between",
                        "table": q,
                        "column": c.name,
                        "min": _num(c.valid[0]),
                        "max": _num(c.valid[1]),
                    }
                )
        for c in t.columns:
            if c.values is not None:
                checks.append(
                    {
                        "type": "accepted_values",
                        "table": q,
                        "column": c.name,
                        "values": list(c.values),
                    }
                )
    return {
        "description": f"Generated {schema.schema_type} star schema ({schema.schema}.*): keys, references, ranges and "
        "value sets. Passes on clean data; with injected defects each check finds exactly the "
        "recorded ground truth.",
        "target": target,
        "threshold": 1.0,
        "sample_size": 5,
        "checks": checks,
    }


def pipeline_yaml(schema_type: str, target: str = "generated") -> str:
    """`pipeline_for` as YAML text with a header comment."""
    body = yaml.safe_dump(
        pipeline_for(schema_type, target),
        sort_keys=False,
        width=120,
        allow_unicode=True,
        default_flow_style=None,
    )
    return (
        f"# Validation of the generated {get_schema(schema_type).schema_type} schema. Written by "
        "`python -m batchcore.datagen.pipelines`\n# from the schema declarations in batchcore/datagen/schemas/; "
        "edit those, then regenerate.\n" + body
    )


def write_pipelines(folder: Path) -> list[Path]:
    """Write `<type>_validation.yaml` for the three schemas into `folder`; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in SCHEMAS:
        path = folder / f"{name.lower()}_validation.yaml"
        path.write_text(pipeline_yaml(name), encoding="utf-8")
        out.append(path)
    return out


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    for p in write_pipelines(
        Path(
            sys.argv[1]
            if len(sys.argv) > 1
            else "examples/workspace/projects/synthetic_data/pipelines"
        )
    ):
        print(p)
