"""Compare two catalogs ("schema synchronisation between environments"): a pure function.

Rules:
- Tables and columns are matched by name; between different dialects also case-insensitively
  (Snowflake's ORDERS is PostgreSQL's orders).
- A column changes when its type, nullability or default changes. Types are compared as
  spelled (`exact`) or by type family (`family`); `auto` = exact within one dialect, family
  across dialects. Defaults are compared within one dialect only (spellings differ across).
  Ordinal positions are not compared (dropping a column renumbers every later one).
- Keys are compared by their columns, not their names (generated names differ between
  environments): the primary key's column list; foreign keys by (columns, referenced table,
  referenced columns); unique constraints by columns; indexes by (columns, unique), only when
  both sides expose indexes. A table's kind (table / view ...) is compared too.
- Row estimates and comments are not compared (they are not schema).
"""

from __future__ import annotations

import json
from typing import Any

from batchcore.export import csv_text

CSV_COLUMNS = ("change", "object", "table", "column", "attribute", "from", "to")


def _split(x: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metadata, catalog) of a snapshot dict (with "catalog") or of a bare catalog."""
    if "catalog" in x:
        meta = {
            k: x.get(k)
            for k in (
                "snapshot_id",
                "connection_name",
                "connection_type",
                "schema_name",
                "created_at",
            )
        }
        return meta, x["catalog"]
    return {"schema_name": x.get("schema"), "connection_type": x.get("dialect")}, x


def _index(items: list[dict], key: str, fold: bool) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for it in items:
        out[it[key].lower() if fold else it[key]] = it
    return out


def _fk_id(fk: dict, own_schema: str | None, fold: bool) -> tuple:
    f = (lambda s: s.lower()) if fold else (lambda s: s)
    ref_schema = "" if fk.get("ref_schema") in (None, own_schema) else f(fk["ref_schema"])
    return (
        tuple(f(c) for c in fk["columns"]),
        ref_schema,
        f(fk["ref_table"]),
        tuple(f(c or "") for c in fk["ref_columns"]),
    )


def _fk_text(fk: dict) -> str:
    return f"({', '.join(fk['columns'])}) -> {fk['ref_table']}({', '.join(c or '?' for c in fk['ref_columns'])})"


def _cols(key: dict | None, fold: bool) -> tuple | None:
    if not key:
        return None
    return tuple(c.lower() if fold else c for c in key["columns"])


def _diff_table(
    ta: dict, tb: dict, *, family: bool, defaults: bool, fold: bool, schemas: tuple
) -> dict | None:
    ca, cb = _index(ta["columns"], "name", fold), _index(tb["columns"], "name", fold)
    out: dict[str, Any] = {
        "table": tb["name"],
        "kind": None,
        "columns_added": [cb[k] for k in cb if k not in ca],
        "columns_removed": [ca[k] for k in ca if k not in cb],
        "columns_changed": [],
        "primary_key": None,
        "foreign_keys_added": [],
        "foreign_keys_removed": [],
        "unique_constraints_added": [],
        "unique_constraints_removed": [],
        "indexes_added": [],
        "indexes_removed": [],
    }
    if ta.get("kind") != tb.get("kind"):
        out["kind"] = {"from": ta.get("kind"), "to": tb.get("kind")}
    for k in cb:
        if k not in ca:
            continue
        a, b = ca[k], cb[k]
        changes = {}
        ta_type, tb_type = (
            (a["type_family"], b["type_family"]) if family else (a["data_type"], b["data_type"])
        )
        if ta_type != tb_type:
            changes["data_type"] = {"from": a["data_type"], "to": b["data_type"]}
        if bool(a["nullable"]) != bool(b["nullable"]):
            changes["nullable"] = {"from": a["nullable"], "to": b["nullable"]}
        if defaults and a.get("default") != b.get("default"):
            changes["default"] = {"from": a.get("default"), "to": b.get("default")}
        if changes:
            out["columns_changed"].append({"column": b["name"], "changes": changes})
    if _cols(ta.get("primary_key"), fold) != _cols(tb.get("primary_key"), fold):
        out["primary_key"] = {
            "from": (ta.get("primary_key") or {}).get("columns"),
            "to": (tb.get("primary_key") or {}).get("columns"),
        }
    fa = {_fk_id(f, schemas[0], fold): f for f in ta.get("foreign_keys") or []}
    fb = {_fk_id(f, schemas[1], fold): f for f in tb.get("foreign_keys") or []}
    out["foreign_keys_added"] = [fb[k] for k in fb if k not in fa]
    out["foreign_keys_removed"] = [fa[k] for k in fa if k not in fb]
    ua = {_cols(u, fold): u for u in ta.get("unique_constraints") or []}
    ub = {_cols(u, fold): u for u in tb.get("unique_constraints") or []}
    out["unique_constraints_added"] = [ub[k] for k in ub if k not in ua]
    out["unique_constraints_removed"] = [ua[k] for k in ua if k not in ub]
    if ta.get("indexes") is not None and tb.get("indexes") is not None:
        ia = {(_cols(i, fold), bool(i["unique"])): i for i in ta["indexes"]}
        ib = {(_cols(i, fold), bool(i["unique"])): i for i in tb["indexes"]}
        out["indexes_added"] = [ib[k] for k in ib if k not in ia]
        out["indexes_removed"] = [ia[k] for k in ia if k not in ib]
    changed = any(v for k, v in out.items() if k != "table")
    return out if changed else None


def diff(a: dict[str, Any], b: dict[str, Any], *, types: str = "auto") -> dict[str, Any]:
    """What changed from `a` to `b` (snapshot dicts with "catalog", or bare catalogs).

    `types`: "auto" | "exact" | "family" (see module doc). Returns {"from", "to",
    "type_comparison", "defaults_compared", "identical", "summary": {tables_added, tables_removed,
    tables_changed, columns_added, columns_removed, columns_changed, keys_changed},
    "tables_added": [table], "tables_removed": [table], "tables_changed": [per-table changes]}.
    Raises ValueError for an unknown `types`.
    """
    if types not in ("auto", "exact", "family"):
        raise ValueError(f"types must be auto, exact or family, not {types!r}")
    meta_a, cat_a = _split(a)
    meta_b, cat_b = _split(b)
    same_dialect = cat_a.get("dialect") == cat_b.get("dialect")
    family = types == "family" or (types == "auto" and not same_dialect)
    fold = not same_dialect
    ta, tb = (
        _index(cat_a.get("tables", []), "name", fold),
        _index(cat_b.get("tables", []), "name", fold),
    )
    added = [tb[k] for k in sorted(tb) if k not in ta]
    removed = [ta[k] for k in sorted(ta) if k not in tb]
    changed = [
        c
        for k in sorted(tb)
        if k in ta
        for c in [
            _diff_table(
                ta[k],
                tb[k],
                family=family,
                defaults=same_dialect,
                fold=fold,
                schemas=(cat_a.get("schema"), cat_b.get("schema")),
            )
        ]
        if c
    ]
    key_fields = (
        "foreign_keys_added",
        "foreign_keys_removed",
        "unique_constraints_added",
        "unique_constraints_removed",
        "indexes_added",
        "indexes_removed",
    )
    summary = {
        "tables_added": len(added),
        "tables_removed": len(removed),
        "tables_changed": len(changed),
        "columns_added": sum(len(c["columns_added"]) for c in changed),
        "columns_removed": sum(len(c["columns_removed"]) for c in changed),
        "columns_changed": sum(len(c["columns_changed"]) for c in changed),
        "keys_changed": sum(
            (c["primary_key"] is not None) + sum(len(c[f]) for f in key_fields) for c in changed
        ),
    }
    return {
        "from": {**meta_a, "dialect": cat_a.get("dialect")},
        "to": {**meta_b, "dialect": cat_b.get("dialect")},
        "type_comparison": "family" if family else "exact",
        "defaults_compared": same_dialect,
        "identical": not (added or removed or changed),
        "summary": summary,
        "tables_added": added,
        "tables_removed": removed,
        "tables_changed": changed,
    }


def diff_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per change (keys of CSV_COLUMNS), in a stable order: for tables, CSV and UIs."""
    rows: list[dict[str, Any]] = []

    def add(change, obj, table, column="", attribute="", old="", new=""):
        rows.append(
            dict(zip(CSV_COLUMNS, (change, obj, table, column, attribute, old, new), strict=True))
        )

    for t in d["tables_added"]:
        add("added", "table", t["name"], new=t.get("kind"))
    for t in d["tables_removed"]:
        add("removed", "table", t["name"], old=t.get("kind"))
    for c in d["tables_changed"]:
        t = c["table"]
        if c["kind"]:
            add("changed", "table", t, attribute="kind", old=c["kind"]["from"], new=c["kind"]["to"])
        for col in c["columns_added"]:
            add("added", "column", t, col["name"], new=col["data_type"])
        for col in c["columns_removed"]:
            add("removed", "column", t, col["name"], old=col["data_type"])
        for col in c["columns_changed"]:
            for attr, ch in col["changes"].items():
                add("changed", "column", t, col["column"], attr, ch["from"], ch["to"])
        if c["primary_key"]:
            pk = c["primary_key"]
            add(
                "changed",
                "primary_key",
                t,
                attribute="columns",
                old=", ".join(pk["from"] or []),
                new=", ".join(pk["to"] or []),
            )
        for kind, obj in (
            ("foreign_keys", "foreign_key"),
            ("unique_constraints", "unique"),
            ("indexes", "index"),
        ):
            for change in ("added", "removed"):
                for k in c[f"{kind}_{change}"]:
                    text = (
                        _fk_text(k)
                        if obj == "foreign_key"
                        else f"({', '.join(k['columns'])})"
                        + (" unique" if obj == "index" and k.get("unique") else "")
                    )
                    add(
                        change,
                        obj,
                        t,
                        ", ".join(k["columns"]),
                        "",
                        text if change == "removed" else "",
                        text if change == "added" else "",
                    )
    return rows


def diff_to_json(d: dict[str, Any], indent: int | None = 2) -> str:
    """The diff as JSON text (datetimes as ISO strings)."""
    from batchcore.jsonutil import to_jsonable

    return json.dumps(to_jsonable(d), indent=indent, ensure_ascii=False)


def diff_to_csv(d: dict[str, Any]) -> str:
    """The diff as CSV, one row per change (CSV_COLUMNS), spreadsheet-formula safe."""
    rows = (["" if r[k] is None else str(r[k]) for k in CSV_COLUMNS] for r in diff_rows(d))
    return csv_text(CSV_COLUMNS, rows)


def diff_to_text(d: dict[str, Any]) -> str:
    """A readable report: a header, then `+` / `-` / `~` lines per table, column and key."""

    def name(m):
        return m.get("snapshot_id") or f"{m.get('connection_type')}:{m.get('schema_name')}"

    s = d["summary"]
    lines = [
        f"{name(d['from'])} ({d['from'].get('connection_name')}/{d['from'].get('schema_name')}) -> "
        f"{name(d['to'])} ({d['to'].get('connection_name')}/{d['to'].get('schema_name')}); types compared "
        f"{d['type_comparison']}",
        "identical"
        if d["identical"]
        else (
            f"{s['tables_added']} table(s) added, {s['tables_removed']} removed, {s['tables_changed']} changed; "
            f"columns: {s['columns_added']} added, {s['columns_removed']} removed, {s['columns_changed']} changed; "
            f"{s['keys_changed']} key change(s)"
        ),
    ]
    sign = {"added": "+", "removed": "-", "changed": "~"}
    current = None
    for r in diff_rows(d):
        if r["object"] == "table" and r["attribute"] != "kind":
            lines.append(f"{sign[r['change']]} table {r['table']} ({r['to'] or r['from']})")
            continue
        if r["table"] != current:
            lines.append(f"~ table {r['table']}")
            current = r["table"]
        if r["object"] == "column" and r["change"] != "changed":
            lines.append(f"    {sign[r['change']]} column {r['column']} {r['to'] or r['from']}")
        elif r["object"] in ("column", "table", "primary_key"):
            what = (
                f"column {r['column']}"
                if r["object"] == "column"
                else r["object"].replace("_", " ")
            )
            lines.append(f"    ~ {what}: {r['attribute']} {r['from']} -> {r['to']}")
        else:
            lines.append(
                f"    {sign[r['change']]} {r['object'].replace('_', ' ')} {r['to'] or r['from']}"
            )
    return "\n".join(lines) + "\n"
