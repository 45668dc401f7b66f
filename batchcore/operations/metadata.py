"""The `metadata_extraction` operation: the catalog of one schema of one connection, as a snapshot.

spec: connection_name, connection_type, schema_name (None → the connection's `options.schema`,
else its default schema:
main / public / the MySQL database), table_names (optional filter; a missing name is an error).

Returns a successful outcome whose `snapshot` the executor stores in `catalog_snapshots`
({snapshot_id, connection_name, connection_type, schema_name, table_count, column_count,
duration_ms, catalog}; catalog shape in batchcore.metadata.model) and whose result repeats the
counts, the number of catalog queries and the tables (at most 200 listed).
Raises NotFound (unknown connection, schema or table, a DuckDB / SQLite file that does not
exist — opening it would create an empty one: not retried), CatalogAccessDenied
(permission errors: not retried), ConnectionRejected (login or database refused: not retried),
ConnectionFailed (unreachable: retried when the job allows).
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from batchcore.connections import open_connection
from batchcore.dialects import dialect_for
from batchcore.errors import BatchError, NotFound
from batchcore.metadata.extract import CatalogAccessDenied, timed_extract
from batchcore.operations.base import OperationContext, OperationOutcome

_DENIED_MARKERS = (
    "permission denied",
    "access denied",
    "password authentication failed",
    "insufficient privilege",
    "not authorized",
    "authentication failed",
)
_MYSQL_DENIED = {1044, 1045, 1142, 1143, 1227, 1370}
MAX_LISTED = 200


def new_snapshot_id() -> str:
    """A readable, time-ordered snapshot id: `snap-<UTC yyyymmddHHMMSS>-<8 hex>`."""
    return f"snap-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(4)}"


def _denied(exc: BaseException) -> bool:
    code = getattr(exc, "args", [None])[0] if type(exc).__module__.startswith("pymysql") else None
    if isinstance(code, int) and code in _MYSQL_DENIED:
        return True
    if type(exc).__name__ in ("InsufficientPrivilege", "InvalidAuthorizationSpecification"):
        return True
    return any(m in str(exc).lower() for m in _DENIED_MARKERS)


def run(spec: dict, ctx: OperationContext) -> OperationOutcome:
    """Extract the catalog of `spec`'s schema and return it as a snapshot (see module doc)."""
    name = spec["connection_name"]
    conn_spec = ctx.workspace.connection(name, field="connection_name")
    if dialect_for(conn_spec.type).file_based:
        path = conn_spec.resolve().path or ":memory:"
        if path != ":memory:" and not Path(path).exists():  # opening would create an empty database
            raise NotFound(
                f"connection {name!r}: {conn_spec.type} file {path} does not exist",
                field="connection_name",
                value=name,
            )
    ctx.progress(f"connecting to {name} ({conn_spec.type})", force=True)
    conn = open_connection(
        conn_spec
    )  # ConnectionRejected (not retried) / ConnectionFailed (retried)
    with conn:
        ctx.check_cancelled()
        ctx.progress(
            f"reading the catalog of {name}.{spec.get('schema_name') or conn.schema or '<default schema>'}",
            force=True,
        )
        try:
            with ctx.interruptible(conn.cancel):
                cat, duration_ms = timed_extract(
                    conn, spec.get("schema_name") or conn.schema, spec.get("table_names")
                )
        except BatchError:
            raise
        except Exception as exc:
            ctx.check_cancelled()
            if _denied(exc):
                raise CatalogAccessDenied(
                    f"permission denied reading the catalog of {name}: {exc}".strip(),
                    field="connection_name",
                    value=name,
                ) from None
            raise
    kinds = Counter(t.kind for t in cat.tables)
    snapshot_id = new_snapshot_id()
    snapshot = {
        "snapshot_id": snapshot_id,
        "connection_name": name,
        "connection_type": conn_spec.type,
        "schema_name": cat.schema,
        "table_count": len(cat.tables),
        "column_count": cat.column_count,
        "duration_ms": round(duration_ms, 1),
        "catalog": cat.to_dict(),
    }
    listed = [
        {"name": t.name, "kind": t.kind, "columns": len(t.columns), "row_estimate": t.row_estimate}
        for t in cat.tables[:MAX_LISTED]
    ]
    result = {k: v for k, v in snapshot.items() if k != "catalog"} | {
        "database": cat.database,
        "kinds": dict(kinds),
        "queries": cat.queries,
        "primary_keys": sum(1 for t in cat.tables if t.primary_key),
        "foreign_keys": sum(len(t.foreign_keys) for t in cat.tables),
        "tables": listed,
        "tables_truncated": len(cat.tables) > MAX_LISTED,
    }
    summary = (
        f"{name}.{cat.schema}: {len(cat.tables)} tables/views, {cat.column_count} columns in "
        f"{duration_ms:.0f} ms ({cat.queries} catalog queries) → snapshot {snapshot_id}"
    )
    if not cat.tables and cat.other_schemas:
        shown = ", ".join(cat.other_schemas[:10]) + (" …" if len(cat.other_schemas) > 10 else "")
        result["hint"] = (
            f"schema {cat.schema!r} has no tables or views; other schemas here: {shown} "
            "(set schema_name)"
        )
        summary += f" — {result['hint']}"
    return OperationOutcome(success=True, summary=summary, result=result, snapshot=snapshot)
