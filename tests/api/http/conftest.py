"""The HTTP API in this process (FastAPI's TestClient over the real app, the real store, lanes
on threads), its data root, and API keys per tenant and role.

Runs the app queues execute ``supervisor.jobs.run_job``, which opens the store from the process's
``CONDUIT_*`` environment: the ``http_env`` fixture points it at the test store.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from core.db import Database
from core.settings import Settings
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "bank_transactions"
KeyMaker = Callable[..., str]


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The API's data root, holding the example's source file and target schema."""
    root = tmp_path_factory.mktemp("api-data")
    for name in ("transactions.csv", "target_schema.yaml"):
        shutil.copy(EXAMPLE / name, root / name)
    return root


@pytest.fixture(scope="session")
def http_env(settings: Settings, db: Database) -> Iterator[None]:
    """``CONDUIT_*`` of this process pointed at the test store (for jobs the app queues)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("CONDUIT_")}
    for k in saved:
        del os.environ[k]
    os.environ["CONDUIT_HOME"] = str(settings.home)
    if settings.database_url:
        os.environ["CONDUIT_DATABASE_URL"] = settings.database_url
    yield
    for k in [k for k in os.environ if k.startswith("CONDUIT_")]:
        del os.environ[k]
    os.environ.update(saved)


def make_app(settings: Settings, db: Database, data_root: Path, **limits: Any) -> Any:
    from api.http.app import create_app
    from api.http.ratelimit import RateLimiter
    from supervisor.executors import ThreadLaneExecutor

    app_settings = settings.model_copy(update={"data_root": data_root})
    limiter = RateLimiter(
        limits.get("rate", 10_000.0), limits.get("burst", 10_000), limits.get("redis_url")
    )
    return create_app(app_settings, db=db, executor=ThreadLaneExecutor(), limiter=limiter)


@pytest.fixture(scope="session")
def client(
    settings: Settings, db: Database, data_root: Path, http_env: None
) -> Iterator[TestClient]:
    with TestClient(make_app(settings, db, data_root), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def key(db: Database) -> KeyMaker:
    """``key(tenant, role)``: the token of a new key (one per tenant, role and actor, reused)."""
    from supervisor.keys import create_key

    made: dict[tuple[str, str, str], str] = {}

    def make(tenant: str, role: str, actor: str | None = None) -> str:
        who = actor or f"{role}.{tenant}"
        if (tenant, role, who) not in made:
            made[(tenant, role, who)] = create_key(db, tenant=tenant, actor=who, role=role)[1]
        return made[(tenant, role, who)]

    return make


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def example_contract(**changes: Any) -> dict[str, Any]:
    """The bundled example's contract for the API: paths relative to the data root, a target
    file of its own, no rbac_actor (the key's is used)."""
    doc: dict[str, Any] = yaml.safe_load((EXAMPLE / "contract.yaml").read_text())
    doc.pop("rbac_actor")
    doc["rhs"]["location"] = "sqlite:///bank.sqlite"
    doc.update(changes)
    return doc
