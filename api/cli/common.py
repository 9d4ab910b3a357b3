"""What every command shares: opening the store from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.db import Database

__all__ = ["open_db"]


def open_db() -> Database:
    """The control-plane store named by the settings (the embedded server when unset)."""
    from pydantic import ValidationError

    from core.db import open_database
    from core.embedded import exit_cleanly_on_sigterm
    from core.errors import DeterministicFailure
    from core.settings import Settings

    try:
        settings = Settings()
    except ValidationError as e:
        first = e.errors()[0]
        name = "CONDUIT_" + str(first["loc"][0]).upper() if first["loc"] else "CONDUIT_*"
        raise DeterministicFailure(f"{name} is invalid: {first['msg']}", field=name) from None
    if settings.embedded:
        exit_cleanly_on_sigterm()
    return open_database(settings)
