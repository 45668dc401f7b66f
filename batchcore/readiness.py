"""Is the data a pipeline reads built yet? The launch pages mark a pipeline "needs setup" with
the command to run while it is not.

Only connections that declare `setup: <command>` in connections.yaml are looked at (the shipped
example's do); a workspace without it never sees the mark. A connection is built when:

- duckdb: its file exists and holds every table the pipeline's checks name on that side
  (`schema.table`, or a table of that name in any schema);
- sqlite: its file exists;
- postgres: the server answers within 2 s and the schema in `options.schema` (default `public`)
  holds a table.

Other types, a file another process holds, or a pipeline that does not load count as built (the
run says what is wrong). Answers are cached: files by modification time, servers for
SERVER_TTL_S seconds.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from batchcore.workspace import ConnectionSpec, PipelineRef, Workspace

SERVER_TTL_S = 30.0
_CACHE: dict[tuple, tuple[float, bool]] = {}
_LOCK = threading.Lock()


def _tables_by_side(spec) -> dict[str, set[str]]:
    """Tables the pipeline's checks name, per side (target, source)."""
    out: dict[str, set[str]] = {"target": set(), "source": set()}
    for c in spec.checks:
        table = getattr(c, "table", None)
        if table:
            out["target"].add(table)
        to = getattr(c, "to", None)
        if isinstance(to, str) and to:
            out["target"].add(to)
        if any(hasattr(c, k) for k in ("source_table",)) and spec.source:
            out["source"].add(getattr(c, "source_table", None) or table)
    return {k: {t for t in v if t} for k, v in out.items()}


def _duckdb_built(path: Path, tables: set[str]) -> bool:
    from batchcore.connections import duckdb_instance_acquire, duckdb_instance_release
    from batchcore.errors import ConnectionFailed, ConnectionRejected

    if not path.exists():
        return False
    if not tables:
        return True
    try:
        cur = duckdb_instance_acquire(str(path))
    except (ConnectionFailed, ConnectionRejected):
        return True  # another process holds it: it has the data it serves
    try:
        rows = cur.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
        rows += cur.execute("SELECT schema_name, view_name FROM duckdb_views()").fetchall()
    finally:
        cur.close()
        duckdb_instance_release(str(path))
    qualified = {f"{s}.{t}".lower() for s, t in rows}
    bare = {t.lower() for _s, t in rows}
    return all((t.lower() in qualified) if "." in t else (t.lower() in bare) for t in tables)


def _postgres_built(url: str, schema: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as pg:
            return bool(
                pg.execute(
                    "SELECT 1 FROM information_schema.tables WHERE table_schema = %s LIMIT 1",
                    [schema],
                ).fetchall()
            )
    except psycopg.Error:
        return False


def connection_built(conn: ConnectionSpec, tables: set[str] = frozenset()) -> bool:
    """Whether `conn` holds its data (see the module doc); True for a connection without
    `setup` or of another type."""
    if not conn.setup:
        return True
    try:
        resolved = conn.resolve()
    except Exception:
        return True  # a missing ${VAR}: the run reports it
    if conn.type in ("duckdb", "sqlite") and resolved.path:
        path = Path(resolved.path)
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return False
        key = ("file", str(path), stamp, tuple(sorted(tables)))
        with _LOCK:
            hit = _CACHE.get(key)
        if hit is not None:
            return hit[1]
        built = True if conn.type == "sqlite" else _duckdb_built(path, tables)
        with _LOCK:
            _CACHE[key] = (time.monotonic(), built)
        return built
    if conn.type == "postgres" and resolved.url:
        schema = str(conn.options.get("schema") or "public")
        key = ("server", resolved.url, schema)
        now = time.monotonic()
        with _LOCK:
            hit = _CACHE.get(key)
        if hit is not None and now - hit[0] < SERVER_TTL_S:
            return hit[1]
        built = _postgres_built(resolved.url, schema)
        with _LOCK:
            _CACHE[key] = (now, built)
        return built
    return True


def _read_pipeline(ws: Workspace, ref: PipelineRef) -> tuple | None:
    """(source, target, tables by side) of a pipeline, parsed once per file version."""
    from batchcore.validation.spec import load_pipeline

    try:
        st = Path(ref.path).stat()
    except OSError:
        return None
    key = ("pipeline", str(ref.path), st.st_mtime_ns, st.st_size, str(ws.root))
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit[1]
    try:
        spec = load_pipeline(ref, ws)
        read = (spec.source, spec.target, _tables_by_side(spec))
    except Exception:
        read = None
    with _LOCK:
        _CACHE[key] = (time.monotonic(), read)
    return read


def needs_setup(ws: Workspace, ref: PipelineRef) -> str | None:
    """The `setup` command of the first connection the pipeline reads that is not built yet
    (source first), or None when its data is there (or it cannot tell)."""
    read = _read_pipeline(ws, ref)
    if read is None:
        return None  # the pickers show why it does not load
    source, target, tables = read
    for side, name in (("source", source), ("target", target)):
        conn = ws.connections.get(name) if name else None
        if conn is not None and not connection_built(conn, tables[side]):
            return conn.setup
    return None


def clear_cache() -> None:
    """Forget every answer (tests; after building data in this process)."""
    with _LOCK:
        _CACHE.clear()
