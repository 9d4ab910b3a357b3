"""Faces: the ``conduit`` CLI (``api.cli``) and the HTTP API (``api.http``). Hold no business
logic: handlers validate, call one supervisor or store function, and render."""

from __future__ import annotations

__all__: list[str] = []
