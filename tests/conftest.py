"""Shared fixtures: one real embedded PostgreSQL per test session, and a CLI runner.

The store is the same embedded PostgreSQL 16 + pgvector that ``make demo`` uses, started in a
short temporary directory (Unix socket paths are limited to about 100 bytes). Set
CONDUIT_TEST_DATABASE_URL to run the suite against a PostgreSQL server with pgvector instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.db import Database, open_database
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONDUIT = Path(sys.executable).with_name("conduit")
IN_CI = os.environ.get("CI", "").lower() == "true"


REDIS = "redis://127.0.0.1:6379"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_timeout=1).ping())
    except Exception:
        return False


def require(condition: bool, why: str) -> None:
    """Skip when a machine part is missing, except under CI=true, where that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required by this test and missing on the CI machine: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def conduit_home() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="cdt-", dir="/tmp"))
    yield home
    from core.embedded import stop_embedded

    stop_embedded(home)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(conduit_home: Path) -> Settings:
    return Settings(home=conduit_home, database_url=os.environ.get("CONDUIT_TEST_DATABASE_URL"))


@pytest.fixture(scope="session")
def db(settings: Settings) -> Iterator[Database]:
    database = open_database(settings)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def cli_env(settings: Settings, db: Database) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUIT_")}
    env["CONDUIT_HOME"] = str(settings.home)
    if settings.database_url:
        env["CONDUIT_DATABASE_URL"] = settings.database_url
    return env


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(cli_env: dict[str, str]) -> CliRunner:
    """Run the installed ``conduit`` script as a user would; returns the completed process."""

    def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CONDUIT), *args],
            env=cli_env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture
def superuser_sql(db: Database) -> Callable[[str, dict[str, object] | None], None]:
    """Run SQL as the database superuser with triggers bypassed, as an attacker with full access
    would (``session_replication_role = replica`` disables ordinary triggers)."""
    from sqlalchemy import text

    def run(sql: str, params: dict[str, object] | None = None) -> None:
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(sql), params or {})

    return run


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of our own (1-15, claimed with a lock key), its keys removed after."""
    require(_redis_up(), "Redis on 127.0.0.1:6379")
    import redis

    token = uuid.uuid4().hex
    for db in range(1, 16):
        conn = redis.Redis.from_url(f"{REDIS}/{db}")
        if conn.set("conduit:test-lock", token, nx=True, ex=600):
            break
        conn.close()
    else:
        pytest.fail("no free Redis database among 1-15 (all hold conduit:test-lock)")
    try:
        yield f"{REDIS}/{db}"
    finally:
        keys = list(conn.scan_iter("rq:*", count=1000))
        if keys:
            conn.delete(*keys)
        if conn.get("conduit:test-lock") == token.encode():
            conn.delete("conduit:test-lock")
        conn.close()


#: A profile whose Domains gate never holds for borderline columns: for tests about the graph's
#: mechanics (ingest, gates, resume), not about domaining.
LENIENT_PROFILE = "tp_test_lenient"


@pytest.fixture(scope="session")
def lenient_profile(db: Database) -> str:
    """Store ``LENIENT_PROFILE`` (tp_default_v2 with ``borderline_share_max: 1``) once."""
    from core.profiles import bundled_profiles
    from supervisor.reference import store_profile

    [base] = [p for p in bundled_profiles() if p.profile_id == "tp_default_v2"]
    domaining = base.domaining.model_copy(update={"borderline_share_max": 1.0})
    profile = base.model_copy(update={"profile_id": LENIENT_PROFILE, "domaining": domaining})
    with db.begin() as conn:
        store_profile(conn, profile)
    return LENIENT_PROFILE


#: The table of the bundled example's target schema (examples/bank_transactions).
BANK_TABLE = "bank_transaction"


@pytest.fixture
def sqlite_target(tmp_path: Path) -> str:
    """A migration target of the test's own: an SQLite file under ``tmp_path``. The example
    contract's ``rhs.location`` (``.conduit/demo/bank.sqlite``) is shared by every run on it, so a
    test that migrates into it would depend on the tests before it."""
    return f"sqlite:///{tmp_path / 'target' / 'bank.sqlite'}"


def target_rows(url: str, table: str = BANK_TABLE) -> int | None:
    """The rows of ``table`` in the SQLite target ``url`` (None when the table does not exist)."""
    import sqlite3
    from contextlib import closing

    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        return None
    with closing(sqlite3.connect(path)) as conn:
        found = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()[0]
        if not found:
            return None
        return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


# -- spans: one SDK tracer provider per process, its finished spans in memory ------------------

from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)


@pytest.fixture(scope="session")
def _span_memory() -> InMemorySpanExporter:
    """An in-memory exporter on the process's SDK tracer provider, installed once: the global
    provider can be set only once per process, so an SDK provider already set is reused."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        pytest.fail(f"the global tracer provider is not the SDK's: {type(provider).__name__}")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def span_exporter(_span_memory: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    """The spans finished during the test: ``span_exporter.get_finished_spans()``."""
    _span_memory.clear()
    yield _span_memory
    _span_memory.clear()
