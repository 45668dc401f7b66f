"""Opening database connections: one small wrapper over each driver, with its SQL dialect.

`open_connection(spec, read_only=...)` returns a `DbConnection` (use it as a context manager)
whose `query()` answers `(column_names, rows)`, and whose `cancel()` may be called from another
thread to stop the running statement (DuckDB `interrupt()`, SQLite `interrupt()`, PostgreSQL
cancel request, MySQL `KILL QUERY`). DuckDB files are opened once per process and shared through
cursors, because DuckDB lets one process hold a file; the instance closes when its last user
leaves so other processes can open the file again.

Read-only sessions (validation, lint, metadata: `read_only=True`) are enforced by the database
where it can (the statements: `Dialect.read_only_sql`): PostgreSQL
`default_transaction_read_only` with every statement prepared (one statement per call),
MariaDB/MySQL `SET SESSION TRANSACTION READ ONLY`, SQLite opened `mode=ro` with `PRAGMA
query_only` and nothing attachable, DuckDB one SELECT/EXPLAIN per call (DuckDB's own parser)
inside a `READ ONLY` transaction. Every DuckDB file is opened with `enable_external_access =
false` (no file functions, no COPY, no ATTACH): the instance is shared per file with the data
generator, which needs none, so the same configuration serves both (docs/security.md).

Every error leaving a connection has its secrets redacted (batchcore.redact, see DbConnection).
"""

from __future__ import annotations

import functools
import re
import sqlite3
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

# Dialect and DIALECTS live in batchcore.dialects; re-exported here for existing imports
from batchcore.dialects import DIALECTS, Dialect, dialect_for  # noqa: F401
from batchcore.errors import (
    BatchError,
    ConfigError,
    ConnectionFailed,
    ConnectionRejected,
    OperationCancelled,
    driver_error,
)
from batchcore.redact import redact_exception, redact_secrets
from batchcore.workspace import ConnectionSpec, ResolvedConnection

_REDACTED_METHODS = ("query", "execute", "query_arrow", "close")


class DbConnection(ABC):
    """An open connection. Not thread-safe except `cancel()`, which any thread may call.

    Every error leaving `query`, `execute`, `query_arrow` and `close` of any driver (and
    `open_connection`) has the connection's URL, user, password and `${ENV}` values redacted
    from its message (batchcore.redact), whatever the driver's exception class; the class and
    the traceback are kept. Driver code called outside these methods (bulk loaders on `con`)
    wraps itself in `with conn.redacting():`.
    """

    dialect: Dialect

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _REDACTED_METHODS:
            if name in cls.__dict__:
                setattr(cls, name, _redacting_method(cls.__dict__[name]))

    def __init__(self, resolved: ResolvedConnection, read_only: bool = False):
        self.name = resolved.name
        self.type = resolved.type
        self.read_only = read_only
        self._secrets = resolved.redaction()
        self.dialect = dialect_for(resolved.type)
        self.options = dict(resolved.options)
        schema = self.options.get("schema")
        self.schema: str | None = str(schema) if schema else None

    def redact(self, text: str) -> str:
        """`text` without this connection's secrets."""
        return redact_secrets(text, self._secrets)

    @contextmanager
    def redacting(self) -> Iterator[None]:
        """Redact the message of any exception leaving the block (in place, then re-raised)."""
        try:
            yield
        except BaseException as exc:
            redact_exception(exc, self.redact)
            raise

    def split_table(self, name: str) -> tuple[str | None, str]:
        """(schema, table) of a pipeline's table reference: `table`, `schema.table`, or
        `"a.b"` in double quotes for a table whose name holds a dot. The schema defaults to the
        connection's `options.schema` (None = the database's current schema)."""
        name = str(name)
        if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
            return self.schema, name[1:-1].replace('""', '"')
        if "." in name:
            schema, table = name.split(".", 1)
            return schema, table
        return self.schema, name

    def table_ref(self, name: str) -> str:
        """Quoted, qualified reference to a table (see `split_table`): reserved words, mixed
        case and spaces work in every dialect."""
        schema, table = self.split_table(name)
        return self.dialect.table(table, schema)

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """Run one statement and fetch all rows: (column names, rows as tuples)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement, ignoring any rows."""
        self.query(sql, params)

    def query_arrow(self, sql: str):
        """Run one SELECT and answer a pyarrow Table (column by column; a column whose Python
        values Arrow cannot type together, as SQLite's dynamic typing allows, becomes text)."""
        import pyarrow as pa

        cols, rows = self.query(sql)
        arrays = []
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(cols)
        del rows
        for values in columns:
            values = list(values)
            try:
                arrays.append(pa.array(values))
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                arrays.append(
                    pa.array([None if v is None else str(v) for v in values], pa.string())
                )
        return pa.table(arrays, names=[f"c{i}" for i in range(len(cols))]) if cols else pa.table({})

    def cancel(self) -> None:
        """Stop the running statement from another thread (best effort, never raises)."""

    def close(self) -> None:
        """Release the connection (idempotent)."""

    def __enter__(self) -> DbConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _redacting_method(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(self: DbConnection, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except BaseException as exc:
            redact_exception(exc, self.redact)
            raise

    return wrapper


# ---------------------------------------------------------------- DuckDB

# Every workspace DuckDB file is opened with this configuration (one per file and process):
# no file system access from SQL. The data generator writes with SQL only, so it shares it.
DUCKDB_CONFIG = {"enable_external_access": False}
# what a read-only DuckDB call may be (DuckDB's own parser decides, one statement per call)
_DUCKDB_READ_STATEMENTS = frozenset({"SELECT", "EXPLAIN"})


class _DuckInstance:
    def __init__(self, path: str, read_only: bool = False):
        self.path = path
        self.con = duckdb.connect(path, read_only=read_only, config=dict(DUCKDB_CONFIG))
        self.users = 0


def _instance_key(path: str, read_only: bool) -> str:
    key = path if path == ":memory:" else str(Path(path).resolve())
    return key + "\0ro" if read_only and key != ":memory:" else key


_DUCK_LOCK = threading.Lock()
_DUCK_INSTANCES: dict[str, _DuckInstance] = {}


def duckdb_instance_acquire(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A cursor on the process-wide DuckDB instance for `path` (opened on first use, with
    DUCKDB_CONFIG: no external access). `read_only`: a separate instance opened read-only (used
    on Dask workers, where several processes read one file at once; DuckDB lets many processes
    open a file read-only, or one process read-write).

    Raises ConnectionFailed when another process holds the file's lock, ConnectionRejected when
    this process holds it with another configuration (e.g. the job store file). Pair with
    `duckdb_instance_release(path)`.
    """
    key = _instance_key(path, read_only)
    file = key.split("\0")[0]
    with _DUCK_LOCK:
        inst = _DUCK_INSTANCES.get(key)
        if inst is None:
            if key != ":memory:":
                Path(file).parent.mkdir(parents=True, exist_ok=True)
            try:
                inst = _DuckInstance(file, read_only)
            except duckdb.IOException as exc:
                raise ConnectionFailed(
                    f"cannot open DuckDB file {file}: {exc}", field="path", value=file
                ) from None
            except duckdb.ConnectionException:
                raise ConnectionRejected(
                    f"cannot open DuckDB file {file}: this process already has it open with other "
                    "settings (the job store, a connection opened outside Batch Operations, or "
                    "on a Dask worker: a generation writing it while a validation reads it)",
                    field="path",
                    value=file,
                ) from None
            _DUCK_INSTANCES[key] = inst
        inst.users += 1
        return inst.con.cursor()


def duckdb_instance_release(path: str, read_only: bool = False) -> None:
    """Drop one user of the shared instance for `path`; the last one closes the file."""
    key = _instance_key(path, read_only)
    with _DUCK_LOCK:
        inst = _DUCK_INSTANCES.get(key)
        if inst is None:
            return
        inst.users -= 1
        if inst.users <= 0:
            del _DUCK_INSTANCES[key]
            try:
                inst.con.close()
            except duckdb.Error:
                pass


class DuckDBConnection(DbConnection):
    """A cursor on the shared DuckDB instance of a file (or `:memory:`)."""

    def __init__(self, resolved: ResolvedConnection, read_only: bool = False):
        super().__init__(resolved, read_only)
        self.path = resolved.path or ":memory:"
        # on a Dask worker a reader opens the file read-only: other worker processes read it too
        self._shared_ro = read_only and _on_dask_worker()
        self.cur = duckdb_instance_acquire(self.path, self._shared_ro)
        self._closed = False
        for stmt in self.dialect.session_sql(self.options):  # options.time_zone (this cursor)
            try:
                self.cur.execute(stmt)
            except duckdb.Error as exc:
                self.close()
                raise ConnectionFailed(
                    f"options.time_zone: DuckDB does not accept {self.options.get('time_zone')!r}"
                    f" ({exc})",
                    field="options.time_zone",
                    value=self.options.get("time_zone"),
                ) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        def run():
            res = self.cur.execute(sql, list(params) if params else None)
            cols = [d[0] for d in (res.description or [])]
            return cols, (res.fetchall() if res.description else [])

        return self._read_only_call(sql, run) if self.read_only else run()

    def query_arrow(self, sql: str):
        def run():
            return self.cur.sql(sql).to_arrow_table()

        tbl = self._read_only_call(sql, run) if self.read_only else run()
        return tbl.rename_columns([f"c{i}" for i in range(tbl.num_columns)])

    def _read_only_call(self, sql: str, run: Callable[[], Any]) -> Any:
        """`run()` for one SELECT/EXPLAIN statement inside a READ ONLY transaction. Raises
        duckdb.InvalidInputException naming the statement kinds when `sql` is not exactly one
        reading statement (DuckDB's parser decides), and whatever `run()` raises."""
        kinds = [s.type.name for s in self.cur.extract_statements(sql)]
        if len(kinds) != 1 or kinds[0] not in _DUCKDB_READ_STATEMENTS:
            raise duckdb.InvalidInputException(
                f"a read-only session runs one SELECT per call (got {', '.join(kinds) or 'nothing'})"
            )
        self.cur.execute("BEGIN TRANSACTION READ ONLY")
        try:
            out = run()
        except BaseException:
            try:
                self.cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise
        self.cur.execute("COMMIT")
        return out

    def cancel(self) -> None:
        try:
            self.cur.interrupt()
        except Exception:
            pass

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self.cur.close()
            finally:
                duckdb_instance_release(self.path, self._shared_ro)


# ---------------------------------------------------------------- SQLite


class SQLiteConnection(DbConnection):
    """A sqlite3 connection (opened with check_same_thread=False so cancel() can interrupt)."""

    def __init__(self, resolved: ResolvedConnection, read_only: bool = False):
        super().__init__(resolved, read_only)
        path = resolved.path or ":memory:"
        if (
            path != ":memory:"
            and not Path(path).exists()
            and (read_only or not resolved.options.get("create", False))
        ):
            raise ConnectionFailed(f"SQLite file {path} does not exist", field="path", value=path)
        target, uri = path, False
        if read_only and path != ":memory:":
            target, uri = f"{Path(path).resolve().as_uri()}?mode=ro", True
        self.con = sqlite3.connect(
            target, check_same_thread=False, timeout=30, isolation_level=None, uri=uri
        )
        if read_only:  # no writes, and no other database files attached
            for stmt in self.dialect.read_only_sql():
                self.con.execute(stmt)
            self.con.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        self.dialect.register_functions(self.con)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql, tuple(params))
        cols = [d[0] for d in (cur.description or [])]
        rows = cur.fetchall() if cur.description else []
        cur.close()
        return cols, rows

    def cancel(self) -> None:
        try:
            self.con.interrupt()
        except Exception:
            pass

    def close(self) -> None:
        self.con.close()


# ---------------------------------------------------------------- PostgreSQL


def _connect_error(exc: BaseException, context: str) -> BatchError:
    """A driver's failure to connect: ConnectionRejected (login or database refused) or
    ConnectionFailed (anything else: the server may answer later). See errors.driver_error."""
    return driver_error(exc, context) or ConnectionFailed(
        f"{context}: {str(exc).strip() or type(exc).__name__}", field="url"
    )


def _plain_arrow(t) -> bool:
    """An Arrow type every comparison reads like the tuple path's values."""
    import pyarrow as pa

    return (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_null(t)
        or pa.types.is_decimal(t)
    )


class PostgresConnection(DbConnection):
    """psycopg 3 in autocommit mode; `cancel()` sends the server a cancel request."""

    def __init__(self, resolved: ResolvedConnection, read_only: bool = False):
        super().__init__(resolved, read_only)
        import psycopg

        self._url = resolved.url
        self._adbc: Any = None  # ADBC session for query_arrow: None = not yet, False = none
        self._adbc_cursor: Any = None
        try:
            self.con = psycopg.connect(resolved.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise _connect_error(exc, f"cannot connect to PostgreSQL ({resolved.name})") from None
        # options.time_zone, strings read as the SQL gate reads them; read-only transactions
        for stmt in self.dialect.session_sql(self.options) + (
            self.dialect.read_only_sql() if read_only else []
        ):
            self.execute(stmt)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        with self.con.cursor() as cur:
            # a prepared statement is ONE statement: a read-only session never runs "a; b"
            cur.execute(sql, tuple(params) if params else None, prepare=self.read_only or None)
            if cur.description is None:
                return [], []
            return [d.name for d in cur.description], cur.fetchall()

    def query_arrow(self, sql: str):
        """Rows straight into Arrow through ADBC (`adbc-driver-postgresql`: the server's binary
        COPY, no Python object per value) on a second session with the same session settings;
        the tuple path of the base class when the driver is missing or a column comes back in a
        type the comparison might not read the same way (anything but numbers, text, binary and
        booleans: row_diff pulls dates and times as canonical text; NUMERIC arrives as its
        text)."""
        import pyarrow as pa

        adbc = self._adbc_session()
        if adbc is None:
            return super().query_arrow(sql)
        cur = adbc.cursor()
        self._adbc_cursor = cur
        try:
            cur.execute(sql)
            tbl = cur.fetch_arrow_table()
        finally:
            self._adbc_cursor = None
            cur.close()
        arrays = []
        for col in tbl.columns:
            arr = col
            if isinstance(arr.type, pa.ExtensionType) and pa.types.is_string(arr.type.storage_type):
                arr = pa.chunked_array([c.storage for c in arr.chunks], arr.type.storage_type)
            if not _plain_arrow(arr.type):
                return super().query_arrow(sql)
            arrays.append(arr)
        return pa.table(arrays, names=[f"c{i}" for i in range(tbl.num_columns)])

    def _adbc_session(self):
        """The ADBC connection (opened on first use, session settings applied), or None."""
        if self._adbc is False:
            return None
        if self._adbc is None:
            try:
                import adbc_driver_postgresql.dbapi as adbc_pg
            except ImportError:
                self._adbc = False
                return None
            con = adbc_pg.connect(self._url, autocommit=True)
            cur = con.cursor()
            for stmt in self.dialect.session_sql(self.options) + (
                self.dialect.read_only_sql() if self.read_only else []
            ):
                cur.execute(stmt)
            cur.close()
            self._adbc = con
        return self._adbc

    def cancel(self) -> None:
        try:
            self.con.cancel_safe(timeout=5)
        except Exception:
            pass
        cur = self._adbc_cursor
        if cur is not None:
            try:
                cur.adbc_cancel()
            except Exception:
                pass

    def close(self) -> None:
        self.con.close()
        if self._adbc:
            try:
                self._adbc.close()
            except Exception:
                pass
            self._adbc = False


# ---------------------------------------------------------------- MySQL / MariaDB


def _mysql_params(url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return dict(
        host=u.host or "127.0.0.1",
        port=u.port or 3306,
        user=u.username or "root",
        password=u.password or "",
        database=u.database,
        charset="utf8mb4",
    )


class MySQLConnection(DbConnection):
    """PyMySQL; `cancel()` runs `KILL QUERY <id>` from a second connection."""

    def __init__(self, resolved: ResolvedConnection, read_only: bool = False):
        super().__init__(resolved, read_only)
        import pymysql

        self._params = _mysql_params(resolved.url or "")
        try:
            self.con = pymysql.connect(autocommit=True, connect_timeout=10, **self._params)
        except pymysql.MySQLError as exc:
            raise _connect_error(exc, f"cannot connect to MySQL ({resolved.name})") from None
        self.thread_id = self.con.thread_id()
        # time_zone and sql_mode: see dialects/mysql.py; read-only transactions
        for stmt in self.dialect.session_sql(self.options) + (
            self.dialect.read_only_sql() if read_only else []
        ):
            self.execute(stmt)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        with self.con.cursor() as cur:
            cur.execute(sql, tuple(params) if params else None)
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], list(cur.fetchall())

    def cancel(self) -> None:
        import pymysql

        try:
            killer = pymysql.connect(autocommit=True, connect_timeout=5, **self._params)
            with killer.cursor() as cur:
                cur.execute(self.dialect.cancel_sql(self.thread_id))
            killer.close()
        except Exception:
            pass

    def close(self) -> None:
        try:
            self.con.close()
        except Exception:
            pass


# ---------------------------------------------------------------- Snowflake


def _snowflake_params(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """snowflake.connector.connect() arguments from `snowflake://user:password@account/database/
    schema?warehouse=..&role=..` (the snowflake-sqlalchemy URL form)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    db, _, schema = (u.database or "").partition("/")
    params: dict[str, Any] = {"account": u.host, "user": u.username, "password": u.password}
    params.update(database=db or None, schema=schema or options.get("schema") or None)
    params.update({k: v for k, v in u.query.items() if k in ("warehouse", "role", "authenticator")})
    return {k: v for k, v in params.items() if v is not None}


class SnowflakeConnection(DbConnection):
    """snowflake-connector-python (optional: `pip install snowflake-connector-python`);
    `cancel()` runs SYSTEM$CANCEL_ALL_QUERIES for the session from a second cursor."""

    def __init__(self, resolved: ResolvedConnection, read_only: bool = False):
        super().__init__(resolved, read_only)
        try:
            import snowflake.connector
        except ImportError:
            raise ConfigError(
                f"connection {resolved.name}: Snowflake needs the package "
                "snowflake-connector-python (pip install snowflake-connector-python)",
                field="type",
                value="snowflake",
            ) from None
        try:
            self.con = snowflake.connector.connect(
                **_snowflake_params(resolved.url or "", self.options)
            )
        except snowflake.connector.errors.Error as exc:
            raise ConnectionFailed(
                f"cannot connect to Snowflake ({resolved.name}): {exc}", field="url"
            ) from None
        for stmt in self.dialect.session_sql(self.options):  # options.time_zone
            self.execute(stmt)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        cur = self.con.cursor()
        try:
            cur.execute(sql, tuple(params) if params else None)
            if not cur.description:
                return [], []
            return [d[0] for d in cur.description], [tuple(r) for r in cur.fetchall()]
        finally:
            cur.close()

    def cancel(self) -> None:
        try:
            sql = self.dialect.cancel_sql(self.con.session_id)
            if sql:
                self.con.cursor().execute(sql)
        except Exception:
            pass

    def close(self) -> None:
        try:
            self.con.close()
        except Exception:
            pass


# ---------------------------------------------------------------- SQLAlchemy (SQL Server)


class SQLAlchemyConnection(DbConnection):
    """Any SQLAlchemy URL whose driver is installed (SQL Server; untested here)."""

    def __init__(self, resolved: ResolvedConnection, read_only: bool = False):
        super().__init__(resolved, read_only)
        import sqlalchemy as sa

        try:
            self.engine = sa.create_engine(resolved.url)
            self.con = self.engine.connect()
        except Exception as exc:
            raise ConnectionFailed(
                f"cannot connect to {resolved.type} ({resolved.name}): {exc}", field="url"
            ) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        res = self.con.exec_driver_sql(sql, tuple(params) if params else ())
        if not res.returns_rows:
            return [], []
        return list(res.keys()), [tuple(r) for r in res.fetchall()]

    def close(self) -> None:
        self.con.close()
        self.engine.dispose()


_DRIVERS: dict[str, type[DbConnection]] = {
    "duckdb": DuckDBConnection,
    "sqlite": SQLiteConnection,
    "postgres": PostgresConnection,
    "mysql": MySQLConnection,
    "sqlserver": SQLAlchemyConnection,
    "snowflake": SnowflakeConnection,
}


_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def url_problem(url: str) -> str | None:
    """Why a database URL cannot be read unambiguously, naming the part but never its value:
    a `%` not followed by two hex digits, a `#`, more than one `@`, or `/` `?` in the user or
    password (each must be percent-encoded: `%25`, `%23`, `%40`, `%2F`, `%3F`). None when fine."""
    rest = url.split("://", 1)[1] if "://" in url else url
    if _BAD_PERCENT.search(url):
        return "it holds a '%' not followed by two hex digits (write a literal % as %25)"
    if "#" in url:
        return "it holds a '#' (write it as %23 in a user or password)"
    if rest.count("@") > 1:
        return "it holds more than one '@' (write an @ in the user or password as %40)"
    if "@" in rest and any(c in rest.split("@", 1)[0] for c in "/?"):
        return "its user or password holds '/' or '?' (write them as %2F and %3F)"
    return None


def open_connection(
    spec: ConnectionSpec | ResolvedConnection, *, read_only: bool = False
) -> DbConnection:
    """Open `spec` (expanding `${ENV}`); `read_only=True` for validation and metadata sessions
    (see the module doc for what each database enforces). Raises ConfigError,
    ConnectionRejected (a URL that cannot be read, named without its value) or ConnectionFailed
    with the name; every error's text is redacted of the connection's secrets."""
    resolved = spec.resolve() if isinstance(spec, ConnectionSpec) else spec
    try:
        driver = _DRIVERS[resolved.type]
    except KeyError:
        raise ConfigError(
            f"connection {resolved.name}: unknown type {resolved.type!r}",
            field="type",
            value=resolved.type,
        ) from None
    problem = url_problem(resolved.url) if resolved.url else None
    if problem:
        raise ConnectionRejected(
            f"connection {resolved.name}: the url is not a valid URL: {problem}",
            field="url",
            value=resolved.name,
        )
    try:
        return driver(resolved, read_only)
    except BaseException as exc:
        secrets = resolved.redaction()
        redact_exception(exc, lambda text: redact_secrets(text, secrets))
        raise


# ---------------------------------------------------------------- per-connection concurrency limit

_SLOTS_LOCK = threading.Lock()
_SLOTS: dict[str, tuple[int, threading.BoundedSemaphore]] = {}


def connection_semaphore(name: str, limit: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore of connection `name` (created with `limit` permits on first use;
    a changed `max_concurrency` in connections.yaml gives a new semaphore for later users)."""
    with _SLOTS_LOCK:
        held = _SLOTS.get(name)
        if held is None or held[0] != limit:
            held = (limit, threading.BoundedSemaphore(limit))
            _SLOTS[name] = held
        return held[1]


# the progress message of an operation waiting for a connection slot starts with this, then the
# connection's name (store.reads lists those names in a job's progress: Active Jobs shows them)
WAITING_PREFIX = "waiting for connection "


def _on_dask_worker() -> bool:
    """True inside a task on a Dask worker (the attempt runs on a cluster)."""
    if "distributed" not in sys.modules:
        return False
    try:
        from distributed import get_worker

        get_worker()
        return True
    except (ValueError, ImportError):
        return False


def _cluster_semaphore(name: str, limit: int):
    """The cluster-wide semaphore of connection `name` (a Dask distributed Semaphore kept by the
    scheduler; a lease held by a worker that dies is released after the lease timeout)."""
    from distributed import Semaphore

    return Semaphore(max_leases=limit, name=f"batch-connection-{name}-{limit}")


@contextmanager
def connection_slot(
    spec: ConnectionSpec,
    *,
    cancelled: Callable[[], bool] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold one of `spec.max_concurrency` slots (connections.yaml `max_concurrent`, default 4)
    while inside the block.

    A batch of hundreds of pipelines thus never opens more than `max_concurrency` connections to
    one database at once: in this process on the threads backend, across the whole cluster when
    the attempt runs on a Dask worker (a distributed Semaphore). When no slot is free at once,
    `on_wait("waiting for connection NAME ...")` is called (shown live on Active Jobs); while
    waiting, `cancelled()` is polled every 0.2 s and ends the wait with OperationCancelled.
    """
    if _on_dask_worker():
        sem = _cluster_semaphore(spec.name, spec.max_concurrency)
    else:
        sem = connection_semaphore(spec.name, spec.max_concurrency)
    if not sem.acquire(timeout=0):
        if on_wait is not None:
            on_wait(
                f"{WAITING_PREFIX}{spec.name} (all {spec.max_concurrency} of its "
                "max_concurrent slots in use)"
            )
        while not sem.acquire(timeout=0.2):
            if cancelled is not None and cancelled():
                raise OperationCancelled(
                    f"cancelled while waiting for a free slot of connection {spec.name}"
                )
    try:
        yield
    finally:
        sem.release()
