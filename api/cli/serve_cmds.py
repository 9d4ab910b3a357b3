"""``conduit serve`` (the HTTP API) and ``conduit keys`` (its API keys)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from api.cli.common import open_db

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes.", min=1, max=64)] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, pages at /docs) until interrupted."""
    from api.http.serve import serve as run

    open_db().dispose()  # the schema is migrated once, before the workers start
    typer.echo(f"conduit API on http://{host}:{port} (OpenAPI: /openapi.json)", err=True)
    run(host, port, workers)


def _emit(as_json: bool, data: Any, text: str) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True) if as_json else text)


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="The tenant the key sees (§40).")],
    role: Annotated[str, typer.Option(help="viewer, analyst, operator, maintainer or admin.")],
    actor: Annotated[str, typer.Option(help="Who the key acts as (on the ledger).")],
    label: Annotated[str, typer.Option(help="A note: what the key is for.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create an API key. Its secret is printed once and stored only as a hash."""
    from supervisor.keys import create_key

    key, token = create_key(open_db(), tenant=tenant, actor=actor, role=role, label=label)
    _emit(
        as_json,
        key.as_dict() | {"token": token},
        f"key {key.key_id}: {actor} ({role}) in tenant {tenant}\n{token}\n"
        "(shown once: the store keeps only its hash)",
    )


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List API keys (never their secrets)."""
    from supervisor.keys import list_keys

    found = list_keys(open_db(), tenant=tenant)
    lines = [
        f"{k.key_id}  {k.tenant:<16} {k.actor:<20} {k.role:<10} "
        f"{'revoked ' + (k.revoked_at or '') if k.revoked_at else 'active'}  {k.label}"
        for k in found
    ]
    _emit(as_json, [k.as_dict() for k in found], "\n".join(lines) or "no keys")


@keys_app.command("revoke")
def keys_revoke(key_id: str, as_json: JsonFlag = False) -> None:
    """Revoke an API key (the API stops taking it within 10 s)."""
    from supervisor.keys import revoke_key

    key = revoke_key(open_db(), key_id)
    _emit(as_json, key.as_dict(), f"key {key.key_id} revoked at {key.revoked_at}")
