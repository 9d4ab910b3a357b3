"""The control-plane database: an engine on PostgreSQL, schema brought up to date on first use.

``open_database(settings)`` is the one entry point: it starts the embedded server when no
``CONDUIT_DATABASE_URL`` is set, makes a SQLAlchemy engine (psycopg 3), and applies pending schema
migrations (under an advisory lock, so concurrent first uses do not race).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import DeterministicFailure, PolicyBlock, TransientError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from core.settings import Settings

__all__ = [
    "TENANT_ROLE",
    "Database",
    "TenantDatabase",
    "open_database",
    "normalize_url",
    "require_transaction",
]

#: The role a tenant's transactions run as: bound by the row-level security of migration 0007.
TENANT_ROLE = "conduit_tenant"


class StoreUnavailable(TransientError):
    """The control-plane PostgreSQL did not answer."""


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs.

    Example:
        >>> normalize_url("postgresql://u@h/db")
        'postgresql+psycopg://u@h/db'
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@contextmanager
def _store_errors() -> Iterator[None]:
    """Lost connections and server failures become TRANSIENT_ERROR; writes the database refuses
    (a constraint, the append-only triggers, a value out of range) DETERMINISTIC_FAILURE; a
    tenant's write that row-level security refuses POLICY_BLOCK."""
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError

    try:
        yield
    except OperationalError as e:
        raise StoreUnavailable(f"the control-plane database failed: {e.orig}") from e
    except ProgrammingError as e:
        if getattr(e.orig, "sqlstate", None) != "42501":  # insufficient_privilege
            raise
        message = str(e.orig).splitlines()[0]
        raise PolicyBlock(f"the control-plane database refused it: {message}") from e
    except (IntegrityError, DataError) as e:
        message = str(e.orig).splitlines()[0] if e.orig else str(e)
        raise DeterministicFailure(f"the control-plane database refused it: {message}") from e


@dataclass(frozen=True)
class Database:
    """A handle on the control-plane store."""

    engine: Engine
    embedded: bool

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside one transaction, committed on success, rolled back on error."""
        with _store_errors(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads (autobegin; rolled back on close)."""
        with _store_errors(), self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    def for_tenant(self, tenant: str) -> TenantDatabase:
        """The same store, seen as one tenant: every transaction is bound by row-level security."""
        return TenantDatabase(engine=self.engine, embedded=self.embedded, tenant=tenant)


def _enter_tenant(conn: Connection, tenant: str) -> None:
    from sqlalchemy import text

    # one round trip: set_config('role', .., true) is SET LOCAL ROLE (same membership check)
    conn.execute(
        text("SELECT set_config('role', :r, true), set_config('conduit.tenant_id', :t, true)"),
        {"r": TENANT_ROLE, "t": tenant},
    )


@dataclass(frozen=True)
class TenantDatabase(Database):
    """A store handle whose transactions run as ``conduit_tenant`` with ``conduit.tenant_id``
    set: PostgreSQL then shows and accepts only that tenant's rows of the walled tables (the
    second wall of §40; the first is the callers' own tenant checks).

    Both settings are transaction-local, so they end with the transaction: a pooled connection
    goes back to the pool as the application's role. Code that commits in the middle of a
    ``connect()`` block and goes on reading would read as the application's role; nothing in the
    tenant-facing paths does.
    """

    tenant: str = "default"

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with _store_errors(), self.engine.begin() as conn:
            _enter_tenant(conn, self.tenant)
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _store_errors(), self.engine.connect() as conn:
            _enter_tenant(conn, self.tenant)
            yield conn


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Open the control-plane store described by ``settings``.

    Args:
        settings: where the store is (``database_url``) or where to embed it (``home``).
        migrate: apply pending schema migrations (the default: schema is applied on first use).
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    if settings.database_url:
        url = normalize_url(settings.database_url)
    else:
        from core.embedded import start_embedded

        url = start_embedded(settings.home)
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as e:
        where = "the embedded server" if settings.embedded else "CONDUIT_DATABASE_URL"
        raise StoreUnavailable(f"cannot connect to {where}: {e.orig}") from e
    db = Database(engine=engine, embedded=settings.embedded)
    if migrate:
        from core.migrate import ensure_schema

        ensure_schema(db.engine)
    return db


def require_transaction(conn: Connection, what: str) -> None:
    """Refuse to run on a connection in autocommit mode: each statement would commit on its
    own and the advisory locks that serialize appends would be released at once."""
    driver = conn.connection.driver_connection
    if getattr(driver, "autocommit", False):
        raise RuntimeError(f"{what} needs a transaction; the connection is in autocommit mode")
