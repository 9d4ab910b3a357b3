"""Settings, read once at the edge (CLI or API start) and passed down as a frozen value.

Environment variables carry the ``CONDUIT_`` prefix:

- ``CONDUIT_DATABASE_URL``: the control-plane PostgreSQL (with pgvector); unset = embedded server
- ``CONDUIT_REDIS_URL``: Redis for caches, idempotency keys and lane queues; unset = in-process
- ``CONDUIT_HOME``: where Conduit keeps local state (embedded database, scratch); ``./.conduit``
- ``CONDUIT_PII_SECRET``: master secret of the pseudonym keys; unset = a random key kept in
  ``<home>/secrets/pii.key``
- ``CONDUIT_DATA_ROOT``: the folder the HTTP API reads and writes run files under (relative
  contract paths start there; a path that leaves it is refused); unset = the current folder
- ``CONDUIT_API_RATE`` / ``CONDUIT_API_BURST``: each API key's token bucket, requests per second
  and burst (50 and 100)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings; build one with ``Settings()`` at the edge only."""

    model_config = SettingsConfigDict(env_prefix="CONDUIT_", frozen=True, extra="ignore")

    database_url: str | None = None
    redis_url: str | None = None
    home: Path = Path(".conduit")
    pii_secret: SecretStr | None = None
    data_root: Path | None = None
    api_rate: float = Field(default=50.0, gt=0)
    api_burst: int = Field(default=100, ge=1)

    @property
    def embedded(self) -> bool:
        """True when the control-plane store is the embedded PostgreSQL."""
        return not self.database_url
