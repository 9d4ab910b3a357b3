"""Text and JSON renderings of runs, ledger events and artifacts for the CLI."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from artifacts.models import ArtifactMeta
    from core.db import Database
    from ledger.events import StoredEvent
    from ledger.store import DecisionSummary
    from supervisor.runs import RunRecord

_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


def store_info(db: Database, revision: str | None) -> dict[str, Any]:
    from urllib.parse import unquote

    url = unquote(db.engine.url.render_as_string(hide_password=True))
    return {
        "store": "embedded PostgreSQL" if db.embedded else "PostgreSQL",
        "url": _PASSWORD.sub(r"\1***@", url),
        "schema_revision": revision,
    }


def store_text(info: dict[str, Any]) -> str:
    return (
        f"control-plane store: {info['store']} ({info['url']})\n"
        f"schema revision: {info['schema_revision']}\n"
        "reference data: threshold profiles and policy manifests stored"
    )


def run_dict(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "idempotency_key": run.idempotency_key,
        "status": run.status,
        "mode": run.mode,
        "lane": run.lane,
        "contract_version": run.contract_version,
        "contract_hash": run.contract_hash,
        "policy_version": run.policy_version,
        "dsl_version": run.dsl_version,
        "catalog_version": run.catalog_version,
        "threshold_profile_id": run.threshold_profile_id,
        "actor": {"user_id": run.actor_user_id, "role": run.actor_role},
        "created_at": run.created_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
        "contract": run.contract,
    }


def run_text(run: RunRecord) -> str:
    lines = [
        f"  run_id            {run.run_id}",
        f"  status            {run.status}",
        f"  mode              {run.mode}",
        f"  lane              {run.lane or '(not chosen yet)'}",
        f"  actor             {run.actor_user_id} ({run.actor_role})",
        f"  contract          v{run.contract_version} sha256:{run.contract_hash}",
        f"  pins              policy {run.policy_version}, dsl {run.dsl_version}, "
        f"catalog {run.catalog_version}, thresholds {run.threshold_profile_id}",
        f"  lhs               {run.contract['lhs']['location']}",
        f"  rhs               {run.contract['rhs']['location']}",
        f"  created           {run.created_at.isoformat()}",
    ]
    return "\n".join(lines)


def summary_dict(summary: DecisionSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {
        "event_count": summary.event_count,
        "head_hash": summary.head_hash,
        "last_event_at": summary.last_event_at.isoformat(),
        **summary.summary,
    }


def summary_text(summary: DecisionSummary | None) -> str:
    if summary is None:
        return "decision summary: no events"
    lines = [f"decision summary: {summary.event_count} events, head {summary.head_hash[:16]}"]
    for stage, info in sorted(summary.summary["stages"].items()):
        counts = ", ".join(f"{d} {n}" for d, n in sorted(info["decisions"].items()))
        lines.append(f"  {stage:<11} last {info['last_decision']:<8} ({counts})")
    waiting = summary.summary.get("awaiting_human") or []
    if waiting:
        lines.append(f"  awaiting a human decision: {', '.join(waiting)}")
    return "\n".join(lines)


def meta_dict(meta: ArtifactMeta) -> dict[str, Any]:
    return {
        "hash": meta.ref.hash,
        "version": meta.ref.version,
        "kind": meta.kind,
        "schema_version": meta.schema_version,
        "run_id": meta.run_id,
        "created_at": meta.created_at.isoformat(),
        "size_bytes": meta.size_bytes,
    }


def meta_text(meta: ArtifactMeta) -> str:
    return (
        f"{meta.kind} v{meta.ref.version} (schema {meta.schema_version}) "
        f"sha256:{meta.ref.hash}\n  run {meta.run_id or '-'}, {meta.size_bytes} bytes, "
        f"created {meta.created_at.isoformat()} (hash verified)"
    )


def artifacts_text(metas: list[ArtifactMeta]) -> str:
    if not metas:
        return "artifacts: none"
    lines = ["artifacts:"]
    lines += [
        f"  {m.kind:<18} v{m.ref.version:<3} {m.ref.hash}  {m.size_bytes} bytes" for m in metas
    ]
    return "\n".join(lines)


def ledger_text(events: list[StoredEvent], kinds: dict[str, ArtifactMeta]) -> str:
    if not events:
        return "ledger: no events"
    lines = [f"{'seq':>4}  {'time (UTC)':<27} {'stage':<11} {'decision':<9} outputs / error"]
    for e in events:
        out = "-"
        if e.outputs_hash:
            meta = kinds.get(e.outputs_hash)
            label = f"{meta.kind} v{meta.ref.version}" if meta else "artifact"
            out = f"{label} {e.outputs_hash[:12]}"
        if e.error_code:
            out += f"  {e.error_code}"
        when = e.timestamp_utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        lines.append(f"{e.seq:>4}  {when:<27} {e.stage:<11} {e.decision:<9} {out}")
    return "\n".join(lines)
