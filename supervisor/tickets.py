"""Supervisor tickets (§17): a person's request for the supervisor's attention on a run — a
question, an escalation, or a request to fix a stage's output.

A ticket is a row in ``supervisor_tickets`` (with the run's tenant) and one SUPERVISOR ledger
event with decision ``escalate``, so the run's audit trail shows who asked what, and when. A
ticket does not move the run: the gates do. Any role that may view the run's artifacts may open
one (§32: Viewer and above).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from core.canonical import content_hash
from core.errors import ContractError
from core.ids import ulid
from ledger.events import HumanConfirmation, LedgerEvent
from ledger.store import PostgresLedger
from policy.rbac import require
from supervisor.policies import stored_manifest
from supervisor.runs import get_run

if TYPE_CHECKING:
    from core.db import Database

__all__ = ["TicketKind", "list_tickets", "open_ticket"]

TicketKind = Literal["question", "escalation", "fix_request"]
_KINDS = ("question", "escalation", "fix_request")
_COLUMNS = (
    "ticket_id, run_id, kind, subject, body, stage, status, opened_by, opened_role, created_at"
)


def _as_dict(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["created_at"] = data["created_at"].isoformat()
    return data


def open_ticket(
    db: Database,
    run_id: str,
    *,
    kind: str,
    subject: str,
    body: str = "",
    stage: str | None = None,
    actor: str,
    role: str,
    tenant: str | None = None,
) -> dict[str, Any]:
    """Open a ticket on ``run_id``; return it.

    Raises:
        NotFoundError: no such run (for ``tenant``).
        ContractError: an unknown kind, or an empty or oversized subject or body.
        PolicyBlock: the role may not view the run's artifacts.
    """
    from sqlalchemy import text

    run = get_run(db, run_id, tenant=tenant)
    if kind not in _KINDS:
        raise ContractError(f"kind must be one of {', '.join(_KINDS)}", field="kind")
    if not 0 < len(subject.strip()) <= 200:
        raise ContractError("a subject is 1 to 200 characters", field="subject")
    if len(body) > 10_000:
        raise ContractError("a body is at most 10,000 characters", field="body")
    ticket_id = ulid()
    with db.begin() as conn:
        manifest = stored_manifest(conn, run.policy_version)
        require(manifest, role, "view_artifacts_masked", actor=actor)
        row = conn.execute(
            text(
                "INSERT INTO supervisor_tickets (ticket_id, run_id, kind, subject, body, stage,"
                " opened_by, opened_role) VALUES (:i, :r, :k, :s, :b, :st, :a, :ro)"
                f" RETURNING {_COLUMNS}"
            ),
            {
                "i": ticket_id,
                "r": run_id,
                "k": kind,
                "s": subject.strip(),
                "b": body,
                "st": stage,
                "a": actor,
                "ro": role,
            },
        ).one()
        ticket = _as_dict(row)
        PostgresLedger(conn).append(
            LedgerEvent(
                run_id=run_id,
                stage="SUPERVISOR",
                decision="escalate",
                inputs_hash=content_hash({k: v for k, v in ticket.items() if k != "created_at"}),
                pii_mask_applied=False,
                local_only_override=False,
                policy_version=run.policy_version,
                threshold_profile_id=run.threshold_profile_id,
                dsl_version=run.dsl_version,
                error_detail_id=f"ticket:{ticket_id}",
                human_confirmation=HumanConfirmation(
                    required=False, actor=f"{actor} ({role})", timestamp=dt.datetime.now(dt.UTC)
                ),
            )
        )
    return ticket


def list_tickets(db: Database, run_id: str, *, tenant: str | None = None) -> list[dict[str, Any]]:
    """The run's tickets, oldest first."""
    from sqlalchemy import text

    get_run(db, run_id, tenant=tenant)
    with db.connect() as conn:
        rows = conn.execute(
            text(f"SELECT {_COLUMNS} FROM supervisor_tickets WHERE run_id = :r ORDER BY ticket_id"),
            {"r": run_id},
        ).all()
    return [_as_dict(r) for r in rows]
