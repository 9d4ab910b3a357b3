"""Faces: the ``conduit`` CLI (``api.cli``); the HTTP API arrives with its issue. Holds no
business logic: handlers validate, call one supervisor or store function, and render."""

from __future__ import annotations

__all__: list[str] = []
