"""Where a run created over the HTTP API may read and write (§20).

A person at the CLI runs Conduit on their own files; a caller of the HTTP API runs it on the
server's. So the API confines a contract's file paths (the LHS file, schema references, SQLite
targets) to one data root, and refuses ``env:`` locations that would read the server's own
configuration (``CONDUIT_*`` other than ``CONDUIT_SOURCE_*`` and ``CONDUIT_TARGET_*``).

    >>> from pathlib import Path
    >>> inside(Path("/srv/data"), "in/a.csv")
    True
    >>> inside(Path("/srv/data"), "../etc/passwd"), inside(Path("/srv/data"), "/etc/passwd")
    (False, False)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import PolicyBlock

__all__ = ["check_locations", "inside"]

_ALLOWED_ENV = ("CONDUIT_SOURCE_", "CONDUIT_TARGET_")


def inside(root: Path, location: str) -> bool:
    """True when ``location`` (relative to ``root``, or absolute) names a path under ``root``."""
    base = root.resolve()
    try:
        (base / location).resolve().relative_to(base)
    except (ValueError, OSError):
        return False
    return True


def _sqlite_path(url: str) -> str | None:
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            return url[len(prefix) :].split("?", 1)[0]
    return None


def _check(root: Path, where: str, endpoint: dict[str, Any]) -> None:
    location = str(endpoint.get("location", ""))
    kind = (endpoint.get("source") or {}).get("type")
    if location.startswith("env:"):
        name = location[4:]
        if name.startswith("CONDUIT_") and not name.startswith(_ALLOWED_ENV):
            raise PolicyBlock(
                f"{where}.location {location} names the server's own configuration; "
                "use a CONDUIT_SOURCE_* or CONDUIT_TARGET_* variable",
                field=f"{where}.location",
            )
    elif kind == "file" and not inside(root, location):
        raise PolicyBlock(
            f"{where}.location {location!r} is outside the server's data root", field=where
        )
    sqlite = _sqlite_path(location)
    if sqlite is not None and sqlite != ":memory:" and not inside(root, sqlite):
        raise PolicyBlock(
            f"{where}.location {location!r} is a SQLite file outside the server's data root",
            field=f"{where}.location",
        )
    ref = endpoint.get("schema_ref")
    if ref and not inside(root, str(ref)):
        raise PolicyBlock(
            f"{where}.schema_ref {ref!r} is outside the server's data root",
            field=f"{where}.schema_ref",
        )


def check_locations(doc: dict[str, Any], root: Path) -> None:
    """Raise POLICY_BLOCK when the contract document reads or writes outside ``root``."""
    for where in ("lhs", "rhs"):
        endpoint = doc.get(where)
        if isinstance(endpoint, dict):
            _check(root, where, endpoint)
