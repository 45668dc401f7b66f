"""`serve`: the REST API and the engine without the UI, for headless servers.

`python -m batchcore serve --host 127.0.0.1 --port 8000` serves the same API as
`streamlit run app.py` at the same paths (`/batch/...`, docs at `/batch/docs`). Listening on
anything but loopback needs BATCH_API_TOKEN (or `--insecure`), and requests must name an
allowed host (batchcore.netguard). The engine opens before the port is served: a job store held by another process (a running app or server) is
reported in one line naming the lock and `--url`, with exit code 2. `--port 0` picks a free port;
the first stderr line always gives the URL actually served.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from batchcore.cli import EXIT_ERROR, EXIT_OK
from batchcore.errors import BatchError
from batchcore.netguard import exposure_problem, is_loopback


class ServeError(BatchError):
    """The server could not start (port taken, bad address)."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 = a free one). Raises ServeError."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}", field="port", value=port
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _cmd_serve(args) -> int:
    import uvicorn

    from batchcore.api.app import MOUNT_PATH, standalone_app
    from batchcore.engine import get_engine, shutdown_engine

    if args.workspace:
        os.environ["BATCH_WORKSPACE"] = str(Path(args.workspace).resolve())
    if args.jobs_dir:
        os.environ["BATCH_JOBS_DIR"] = str(Path(args.jobs_dir).resolve())
    problem = exposure_problem(args.host, os.environ.get("BATCH_API_TOKEN"), args.insecure)
    if problem:
        raise ServeError(problem, field="host", value=args.host)
    sock = bind_socket(args.host, args.port)
    try:
        engine = get_engine()  # StoreLocked (another process owns the job store) → exit 2
    except BaseException:
        sock.close()
        raise
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    token = os.environ.get("BATCH_API_TOKEN") or None
    print(
        f"serving the Batch Operations API on http://{shown}:{port}{MOUNT_PATH} "
        f"(docs: {MOUNT_PATH}/docs, job store {engine.settings.db_path}, pid {os.getpid()})",
        file=sys.stderr,
        flush=True,
    )
    if not is_loopback(args.host) and not token:  # only with --insecure
        print(
            f"warning: listening on {args.host} without BATCH_API_TOKEN (--insecure): anyone who "
            "reaches this port can launch and delete jobs",
            file=sys.stderr,
            flush=True,
        )
    config = uvicorn.Config(
        standalone_app(get_engine, shutdown_engine, bind_host=args.host),
        log_level=args.log_level,
        lifespan="on",
        access_log=args.access_log,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        shutdown_engine()
        sock.close()
    return EXIT_OK if server.started else EXIT_ERROR


def register(sub) -> None:
    p = sub.add_parser("serve", help="serve the REST API and the engine at /batch, without the UI")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    p.add_argument(
        "--port", type=int, default=8000, help="TCP port (default 8000; 0 = a free port, printed)"
    )
    p.add_argument(
        "--workspace",
        metavar="DIR",
        help="workspace folder (default: BATCH_WORKSPACE or the shipped example)",
    )
    p.add_argument(
        "--jobs-dir", metavar="DIR", help="job store folder (default: BATCH_JOBS_DIR or ./data)"
    )
    p.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.add_argument(
        "--insecure",
        action="store_true",
        help="allow listening on a non-loopback address without BATCH_API_TOKEN (trusted networks only)",
    )
    p.set_defaults(func=_cmd_serve)
