"""The embedded control-plane store: a real PostgreSQL 16 + pgvector from the ``pgserver`` wheel.

Used when ``CONDUIT_DATABASE_URL`` is unset. The server lives in ``$CONDUIT_HOME/pg``; the first
process to ask starts it (about 1 s), later ones attach to it (a few ms), and it stops when the
last process holding it exits. Pitfalls handled here (see FIELD_NOTES.md):

- a process killed with SIGKILL leaves its pid in ``PGDATA/.handle_pids.json`` and the server would
  never stop: dead pids are pruned before attaching;
- SIGTERM skips ``atexit``: callers turn it into ``sys.exit`` with :func:`exit_cleanly_on_sigterm`;
- a space in the path breaks ``postgres``; a long path moves the socket to ``$XDG_RUNTIME_DIR``,
  so a short private one is set before ``pgserver`` is imported;
- as root, ``pgserver`` runs postgres as the system user ``pgserver`` and makes every ancestor
  directory of the data directory (and of the venv) readable and searchable by others.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from core.errors import DeterministicFailure

__all__ = ["EmbeddedStoreError", "start_embedded", "stop_embedded", "exit_cleanly_on_sigterm"]

_SOCKET_PATH_MAX = 100  # Unix socket paths are limited to 107 bytes; keep a margin


class EmbeddedStoreError(DeterministicFailure):
    """The embedded PostgreSQL could not start."""


def _prepare_runtime_dir() -> None:
    current = os.environ.get("XDG_RUNTIME_DIR", "")
    if current and Path(current).is_dir() and len(current) < 40:
        return
    short = Path(tempfile.gettempdir()) / f"conduit-rt-{os.getuid()}"
    short.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(short)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prune_dead_handles(pgdata: Path, lock: Any) -> None:
    pid_file = pgdata / ".handle_pids.json"
    if not pid_file.exists():
        return
    with lock:
        try:
            pids = json.loads(pid_file.read_text() or "[]")
        except (OSError, ValueError):
            pids = []
        alive = [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]
        if alive != pids:
            pid_file.write_text(json.dumps(alive))


def start_embedded(home: Path) -> str:
    """Start (or attach to) the embedded server under ``home/pg``; return a SQLAlchemy URL.

    Raises:
        EmbeddedStoreError: naming the data directory and the server log, when it cannot start.
    """
    pgdata = (home / "pg").resolve()
    if " " in str(pgdata):
        raise EmbeddedStoreError(
            f"the embedded PostgreSQL cannot use a data directory with a space in its path "
            f"({pgdata}); set CONDUIT_HOME to a path without spaces",
            field="CONDUIT_HOME",
        )
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EmbeddedStoreError(f"cannot create {pgdata.parent}: {e}", field="CONDUIT_HOME") from e
    _prepare_runtime_dir()
    from pgserver.postgres_server import PostgresServer, get_server

    _prune_dead_handles(pgdata, PostgresServer._lock)
    try:
        server = get_server(pgdata, cleanup_mode="stop")
        socket_dir = server.get_postmaster_info().socket_dir
    except Exception as e:  # pgserver raises bare subprocess/assert errors
        log = pgdata / "log"
        raise EmbeddedStoreError(
            f"the embedded PostgreSQL in {pgdata} did not start ({type(e).__name__}: {e}); "
            f"see its log {log}, or set CONDUIT_DATABASE_URL to a PostgreSQL server"
        ) from e
    if socket_dir is None or len(str(socket_dir)) > _SOCKET_PATH_MAX:
        raise EmbeddedStoreError(f"the embedded PostgreSQL in {pgdata} reports no usable socket")
    return f"postgresql+psycopg://postgres@/postgres?host={socket_dir}"


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into ``sys.exit(0)`` so atexit handlers release the embedded server."""

    def _handler(signum: int, frame: object) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, _handler)


def stop_embedded(home: Path) -> None:
    """Release this process's handle on the embedded server under ``home/pg``; the server stops
    when no other process holds it."""
    from pgserver.postgres_server import PostgresServer

    server = PostgresServer._instances.get((home / "pg").resolve())
    if server is not None:
        server.cleanup()
