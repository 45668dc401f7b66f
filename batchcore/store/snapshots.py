"""Reading metadata snapshots from the job store (`catalog_snapshots`). Read-only.

Callers use `engine.snapshots()` (or `Snapshots(store)` on a `Store` opened by the CLI): each
call one read transaction. The functions taking a reader cursor are the implementation. Snapshots are written only by the executor, from the snapshot a
`metadata_extraction` operation returns.

A snapshot reference (`resolve`) is a snapshot id, a unique prefix of one, or
`@<connection>[/<schema>][~N]`: the newest snapshot of that connection (and schema), or the
N-th before it (`~1` = the previous one).
"""

from __future__ import annotations

import json
import re
from typing import Any

from batchcore.errors import NotFound, RequestError
from batchcore.store.commands import SNAPSHOT_COLUMNS

# every stored column but the catalog itself (read only when one snapshot is opened)
_META_COLUMNS = tuple(c for c in SNAPSHOT_COLUMNS if c != "catalog")
_REF = re.compile(r"^@(?P<conn>[^/~]+)(?:/(?P<schema>[^~]+))?(?:~(?P<back>\d+))?$")


def _row(cols: tuple[str, ...], values: tuple) -> dict[str, Any]:
    return dict(zip(cols, values, strict=True))


def list_snapshots(
    cur,
    *,
    connection: str | None = None,
    schema: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Snapshots without their catalog, newest first, optionally of one connection / schema.

    Each dict has the keys snapshot_id, job_id, operation_id, connection_name, connection_type,
    schema_name, created_at (naive UTC datetime), table_count, column_count, duration_ms (ms).
    """
    where, params = [], []
    if connection is not None:
        where.append("connection_name = ?")
        params.append(connection)
    if schema is not None:
        where.append("schema_name = ?")
        params.append(schema)
    sql = (
        f"SELECT {', '.join(_META_COLUMNS)} FROM catalog_snapshots"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} "
        "ORDER BY created_at DESC, snapshot_id DESC LIMIT ? OFFSET ?"
    )
    rows = cur.execute(sql, [*params, int(limit), int(offset)]).fetchall()
    return [_row(_META_COLUMNS, r) for r in rows]


def get_snapshot(cur, snapshot_id: str) -> dict[str, Any]:
    """One snapshot with its catalog (parsed JSON), by id or unique id prefix.

    Raises NotFound, or RequestError when a prefix matches several snapshots.
    """
    cols = (*_META_COLUMNS, "catalog")
    rows = cur.execute(
        f"SELECT {', '.join(cols)} FROM catalog_snapshots WHERE snapshot_id = ?", [snapshot_id]
    ).fetchall()
    if not rows and snapshot_id:
        rows = cur.execute(
            f"SELECT {', '.join(cols)} FROM catalog_snapshots WHERE starts_with(snapshot_id, ?) LIMIT 6",
            [snapshot_id],
        ).fetchall()
        if len(rows) > 1:
            raise RequestError(
                f"snapshot id prefix {snapshot_id!r} matches several snapshots "
                f"({', '.join(r[0] for r in rows[:5])}...): give more characters",
                field="snapshot_id",
                value=snapshot_id,
            )
    if not rows:
        raise NotFound(
            f"snapshot {snapshot_id!r} not found", field="snapshot_id", value=snapshot_id
        )
    snap = _row(cols, rows[0])
    snap["catalog"] = (
        json.loads(snap["catalog"]) if isinstance(snap["catalog"], str) else snap["catalog"]
    )
    return snap


def resolve(cur, ref: str) -> dict[str, Any]:
    """The snapshot a reference names (see module doc), with its catalog.

    Raises NotFound (nothing matches) or RequestError (ambiguous prefix).
    """
    m = _REF.match(ref.strip())
    if not m:
        return get_snapshot(cur, ref.strip())
    back = int(m["back"] or 0)
    found = list_snapshots(cur, connection=m["conn"], schema=m["schema"], limit=1, offset=back)
    if not found:
        where = m["conn"] + (f"/{m['schema']}" if m["schema"] else "")
        raise NotFound(
            f"no snapshot {ref!r}: connection {where} has fewer than {back + 1} snapshot(s)",
            field="snapshot_id",
            value=ref,
        )
    return get_snapshot(cur, found[0]["snapshot_id"])


class Snapshots:
    """Snapshot reads bound to a job store; each method opens its own read transaction."""

    def __init__(self, store):
        self._store = store

    def list_snapshots(
        self,
        *,
        connection: str | None = None,
        schema: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Snapshots without their catalog, newest first (see `list_snapshots`)."""
        with self._store.reader() as cur:
            return list_snapshots(
                cur, connection=connection, schema=schema, limit=limit, offset=offset
            )

    def get_snapshot(self, snapshot_id: str) -> dict[str, Any]:
        """One snapshot with its catalog. Raises NotFound / RequestError (see `get_snapshot`)."""
        with self._store.reader() as cur:
            return get_snapshot(cur, snapshot_id)

    def resolve(self, *refs: str) -> list[dict[str, Any]]:
        """The snapshots the references name, read in one transaction (see `resolve`).
        Raises NotFound / RequestError naming the first bad reference."""
        with self._store.reader() as cur:
            return [resolve(cur, r) for r in refs]
