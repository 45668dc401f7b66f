"""`catalog list | show | diff`: browse and compare metadata snapshots of the local job store.

```
python -m batchcore catalog list [--connection NAME] [--schema S] [--limit N] [--format text|json]
python -m batchcore catalog show REF [--format text|json] [-o FILE]
python -m batchcore catalog diff A B [--format text|json|csv] [--types auto|exact|family] [-o FILE]
```

REF, A and B are snapshot ids, unique id prefixes, or `@connection[/schema][~N]` (newest
snapshot of that connection, or the N-th before it). The job store is opened from
BATCH_JOBS_DIR (or `--jobs-dir`); while a running app or server holds it, pass `--url
http://127.0.0.1:8501/batch` (or any server's /batch URL) to read the snapshots through its API.

Exit codes: 0 done (diff: identical); 1 diff found differences (like diff(1), so CI can fail
a schema-drift check); 2 could not run (unknown snapshot, locked or missing store, bad option).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from batchcore.cli import EXIT_ERROR, EXIT_FAILED, EXIT_OK
from batchcore.errors import NotFound


@contextmanager
def _store_snapshots(args):
    from batchcore.config import Settings
    from batchcore.store import Store

    overrides = {"jobs_dir": Path(args.jobs_dir).resolve()} if args.jobs_dir else {}
    settings = Settings.from_env(**overrides)
    if not settings.db_path.exists():
        raise NotFound(
            f"no job store at {settings.db_path} (set BATCH_JOBS_DIR or --jobs-dir)",
            field="jobs_dir",
            value=str(settings.db_path),
        )
    from batchcore.store.snapshots import Snapshots

    store = Store(settings.db_path)
    try:
        yield Snapshots(store)
    finally:
        store.close()


def _remote(args):
    from batchcore.cli.apiclient import ApiClient

    return ApiClient(args.url)


def _when(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _emit(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _cmd_list(args) -> int:
    from batchcore.jsonutil import dumps

    if args.url:
        params = {
            k: v
            for k, v in {
                "connection": args.connection,
                "schema": args.schema,
                "limit": args.limit,
            }.items()
            if v is not None
        }
        with _remote(args) as api:
            rows = api.json("GET", "/catalog/snapshots", params=params)["snapshots"]
        for r in rows:
            r["created_at"] = _when(r["created_at"])
    else:
        with _store_snapshots(args) as snaps:
            rows = snaps.list_snapshots(
                connection=args.connection, schema=args.schema, limit=args.limit
            )
    if args.format == "json":
        print(dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no snapshots", file=sys.stderr)
        return EXIT_OK
    print(
        f"{'snapshot_id':<30} {'created_at (UTC)':<20} {'connection':<24} {'schema':<20} {'tables':>7} {'columns':>8}"
    )
    for r in rows:
        print(
            f"{r['snapshot_id']:<30} {r['created_at']:%Y-%m-%d %H:%M:%S}  {r['connection_name']:<24} "
            f"{r['schema_name'] or '':<20} {r['table_count']:>7} {r['column_count']:>8}"
        )
    return EXIT_OK


def _show_text(snap: dict) -> str:
    cat = snap["catalog"]
    lines = [
        f"{snap['snapshot_id']}  {snap['connection_name']} ({snap['connection_type']}) schema {snap['schema_name']}"
        f"  {snap['table_count']} tables, {snap['column_count']} columns, taken {snap['created_at']:%Y-%m-%d %H:%M:%S} UTC"
    ]
    for t in cat["tables"]:
        est = "" if t.get("row_estimate") is None else f", ~{t['row_estimate']:,} rows"
        lines.append(f"{t['kind']} {t['name']} ({len(t['columns'])} columns{est})")
        pk = set((t.get("primary_key") or {}).get("columns") or [])
        for c in t["columns"]:
            flags = " PK" if c["name"] in pk else ""
            default = f" DEFAULT {c['default']}" if c.get("default") is not None else ""
            lines.append(
                f"    {c['name']:<32} {c['data_type']:<28} {'NULL' if c['nullable'] else 'NOT NULL'}{default}{flags}"
            )
        for fk in t.get("foreign_keys") or []:
            lines.append(
                f"    FK ({', '.join(fk['columns'])}) -> {fk['ref_table']}({', '.join(c or '?' for c in fk['ref_columns'])})"
            )
        for u in t.get("unique_constraints") or []:
            lines.append(f"    UNIQUE ({', '.join(u['columns'])})")
        for ix in t.get("indexes") or []:
            lines.append(
                f"    INDEX {ix['name']} ({', '.join(ix['columns'])}){' unique' if ix['unique'] else ''}"
            )
    return "\n".join(lines) + "\n"


def _cmd_show(args) -> int:
    from batchcore.jsonutil import dumps

    if args.url:
        with _remote(args) as api:
            snap = api.json("GET", "/catalog/snapshot", params={"ref": args.ref})
        snap["created_at"] = _when(snap["created_at"])
    else:
        with _store_snapshots(args) as snaps:
            (snap,) = snaps.resolve(args.ref)
    _emit(dumps(snap, indent=2) + "\n" if args.format == "json" else _show_text(snap), args.output)
    return EXIT_OK


def _cmd_diff(args) -> int:
    from batchcore.metadata.diff import diff, diff_to_csv, diff_to_json, diff_to_text

    if args.url:
        with _remote(args) as api:
            d = api.json(
                "GET", "/catalog/diff", params={"a": args.a, "b": args.b, "types": args.types}
            )
    else:
        with _store_snapshots(args) as snaps:
            a, b = snaps.resolve(args.a, args.b)
        d = diff(a, b, types=args.types)
    render = {"text": diff_to_text, "json": lambda x: diff_to_json(x) + "\n", "csv": diff_to_csv}[
        args.format
    ]
    _emit(render(d), args.output)
    return EXIT_OK if d["identical"] else EXIT_FAILED


def register(sub) -> None:
    """Add `catalog list | show | diff` to the CLI's sub-commands."""
    p = sub.add_parser("catalog", help="browse and compare metadata snapshots (list, show, diff)")
    csub = p.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)

    def common(sp):
        sp.add_argument(
            "--jobs-dir", metavar="DIR", help="job store folder (default: BATCH_JOBS_DIR or ./data)"
        )
        sp.add_argument(
            "--url",
            metavar="URL",
            help="read through a running server's API instead (e.g. http://127.0.0.1:8501/batch)",
        )
        sp.set_defaults(exit_error=EXIT_ERROR)

    lp = csub.add_parser("list", help="snapshots, newest first")
    lp.add_argument("--connection", help="only this connection")
    lp.add_argument("--schema", help="only this schema")
    lp.add_argument("--limit", type=int, default=50, help="at most N snapshots (default 50)")
    lp.add_argument("--format", choices=("text", "json"), default="text")
    common(lp)
    lp.set_defaults(func=_cmd_list)

    sp = csub.add_parser("show", help="one snapshot: tables, columns, keys, indexes")
    sp.add_argument(
        "ref", metavar="REF", help="snapshot id, unique prefix, or @connection[/schema][~N]"
    )
    sp.add_argument("--format", choices=("text", "json"), default="text")
    sp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    common(sp)
    sp.set_defaults(func=_cmd_show)

    dp = csub.add_parser(
        "diff", help="what changed from snapshot A to snapshot B (exit 1 when they differ)"
    )
    dp.add_argument(
        "a", metavar="A", help="the older snapshot (id, prefix or @connection[/schema][~N])"
    )
    dp.add_argument("b", metavar="B", help="the newer snapshot")
    dp.add_argument("--format", choices=("text", "json", "csv"), default="text")
    dp.add_argument(
        "--types",
        choices=("auto", "exact", "family"),
        default="auto",
        help="compare types as spelled or by family (auto: exact within one dialect)",
    )
    dp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    common(dp)
    dp.set_defaults(func=_cmd_diff)
