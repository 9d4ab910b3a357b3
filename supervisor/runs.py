"""Runs: creating one from a Run Contract, amending its contract, reading it back.

Creating a run validates the contract (ContractError, DETERMINISTIC_FAILURE), checks it against
the Policy Manifest (POLICY_BLOCK), pins the §27 versions, and then, in one transaction, writes
the ``runs`` row, the contract as artifact ``run_contract`` v1 and a SUPERVISOR ledger event.
A failure before or during that transaction writes nothing.

Idempotency: the same idempotency key with the same contract returns the run already created
(same ``run_id``, no new row, no new event). The same key with another contract is refused,
naming the first differing field; an immutable field (§27) gets its own message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from artifacts.store import PostgresArtifactStore
from core.canonical import content_hash
from core.contract import (
    IMMUTABLE_FIELDS,
    RunContract,
    contract_document,
    contract_hash,
    parse_contract,
)
from core.errors import ContractError, NotFoundError
from core.ids import is_ulid, ulid, ulid_for_key
from dsl.version import DSL_VERSION, supports
from ledger.events import HumanConfirmation, LedgerEvent
from ledger.store import PostgresLedger
from policy.contract_check import check_contract
from supervisor.policies import newest_manifest, stored_manifest
from supervisor.reference import ensure_reference_data, stored_profile

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from core.db import Database

__all__ = [
    "DEFAULT_TENANT",
    "RunRecord",
    "CreateResult",
    "create_run",
    "amend_contract",
    "get_run",
    "list_runs",
    "stop_run",
]

#: The live domain catalog's version until the Domain Catalog lands (issue 7): the empty one.
EMPTY_CATALOG_VERSION = "0.0.0"
MAX_IDEMPOTENCY_KEY = 200

_RUN_COLUMNS = (
    "run_id, idempotency_key, contract_version, contract_hash, contract, mode, policy_version,"
    " dsl_version, catalog_version, threshold_profile_id, status, lane, actor_user_id,"
    " actor_role, created_at, updated_at, tenant_id"
)
#: The tenant of runs created without one (the CLI, on one team's own machine).
DEFAULT_TENANT = "default"


@dataclass(frozen=True)
class RunRecord:
    """A run as stored in ``runs``."""

    run_id: str
    idempotency_key: str | None
    contract_version: int
    contract_hash: str
    contract: dict[str, Any]
    mode: str
    policy_version: str
    dsl_version: str
    catalog_version: str
    threshold_profile_id: str
    status: str
    lane: str | None
    actor_user_id: str
    actor_role: str
    created_at: dt.datetime
    updated_at: dt.datetime
    tenant_id: str = DEFAULT_TENANT


@dataclass(frozen=True)
class CreateResult:
    run: RunRecord
    created: bool  # False when an earlier create with the same key is returned


def _pin(contract: RunContract, *, defaults: dict[str, str]) -> RunContract:
    """Fill the pins the contract leaves open, check the ones it sets."""
    pinned = contract.model_copy(
        update={
            "policy_version": contract.policy_version or defaults["policy_version"],
            "catalog_version": contract.catalog_version or defaults["catalog_version"],
        }
    )
    if not supports(pinned.dsl_version):
        raise ContractError(
            f"dsl_version {pinned.dsl_version} is not supported by this build (DSL {DSL_VERSION})",
            field="dsl_version",
        )
    if pinned.catalog_version != EMPTY_CATALOG_VERSION:
        raise ContractError(
            f"catalog_version {pinned.catalog_version} is not a known domain catalog "
            f"(live: {EMPTY_CATALOG_VERSION})",
            field="catalog_version",
        )
    return pinned


def _row(conn: Connection, where: str, value: str) -> RunRecord | None:
    from sqlalchemy import text

    row = conn.execute(
        text(f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where} = :v"), {"v": value}
    ).first()
    if row is None:
        return None
    data = dict(row._mapping)
    data["contract_hash"] = data["contract_hash"].strip()
    return RunRecord(**data)


def _first_contract(conn: Connection, run_id: str) -> dict[str, Any]:
    from sqlalchemy import text

    digest = conn.execute(
        text(
            "SELECT hash FROM artifact_refs"
            " WHERE run_id = :r AND kind = 'run_contract' AND version = 1"
        ),
        {"r": run_id},
    ).scalar_one()
    body: dict[str, Any] = PostgresArtifactStore(conn).get(digest).body
    return body


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [k for k in keys if content_hash(old.get(k)) != content_hash(new.get(k))]


def _refuse_immutable_change(run: RunRecord, pinned: RunContract) -> None:
    for name in IMMUTABLE_FIELDS:
        was, now = getattr(run, name), getattr(pinned, name)
        if was != now:
            raise ContractError(
                f"{name} is immutable within run {run.run_id} (it is {was}, the contract says "
                f"{now}); create a new run, with a new idempotency key, for a new {name}",
                field=name,
            )


def _check_key(key: str | None) -> None:
    if key is not None and not (0 < len(key) <= MAX_IDEMPOTENCY_KEY and key.isprintable()):
        raise ContractError(
            f"an idempotency key is 1 to {MAX_IDEMPOTENCY_KEY} printable characters",
            field="idempotency_key",
        )


def _existing(conn: Connection, key: str | None, run_id: str | None) -> RunRecord | None:
    from sqlalchemy import text

    if key is not None:
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"run-key:{key}"}
        )
        found = _row(conn, "idempotency_key", key)
        if found is not None:
            return found
    if run_id is not None:
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"run:{run_id}"}
        )
        return _row(conn, "run_id", run_id)
    return None


def create_run(
    db: Database,
    doc: object,
    *,
    idempotency_key: str | None = None,
    tenant: str = DEFAULT_TENANT,
) -> CreateResult:
    """Create a run from a contract document (a mapping as read from YAML/JSON) for ``tenant``.

    Idempotency keys are scoped to the tenant: two tenants may use the same key.

    Raises:
        ContractError: the contract is invalid, names unknown versions or profiles, or reuses
            an idempotency key with a different contract.
        PolicyBlock: the actor may not create runs, or the contract asks beyond the policy.
    """
    _check_key(idempotency_key)
    contract = parse_contract(doc)
    key = idempotency_key
    if key is not None and tenant != DEFAULT_TENANT:
        key = f"{tenant}:{key}"

    with db.begin() as conn:
        ensure_reference_data(conn)
        pinned = _pin(
            contract,
            defaults={
                "policy_version": newest_manifest(conn).version,
                "catalog_version": EMPTY_CATALOG_VERSION,
            },
        )
        assert pinned.policy_version is not None
        check_contract(stored_manifest(conn, pinned.policy_version), pinned)
        if stored_profile(conn, pinned.threshold_profile_id) is None:
            raise ContractError(
                f"threshold_profile_id {pinned.threshold_profile_id} is not a stored profile",
                field="threshold_profile_id",
            )
        existing = _existing(conn, key, contract.run_id)
        if existing is not None and existing.tenant_id != tenant:
            raise ContractError(
                f"run_id {contract.run_id} cannot be used: leave run_id out to get a new one",
                field="run_id",
            )
        if existing is not None:
            return CreateResult(_same_or_refuse(conn, existing, pinned, idempotency_key), False)

        run_id = contract.run_id or (ulid_for_key(key) if key else ulid())
        final = pinned.model_copy(update={"run_id": run_id})
        return CreateResult(_insert(conn, final, doc, key, tenant), True)


def _same_or_refuse(
    conn: Connection, run: RunRecord, pinned: RunContract, key: str | None
) -> RunRecord:
    if pinned.run_id is not None and pinned.run_id != run.run_id:
        raise ContractError(
            f"idempotency key {key!r} belongs to run {run.run_id}, but the contract names run "
            f"{pinned.run_id}",
            field="run_id",
        )
    _refuse_immutable_change(run, pinned)
    first = _first_contract(conn, run.run_id)
    asked = contract_document(pinned.model_copy(update={"run_id": run.run_id}))
    differing = _differences(first, asked)
    if differing:
        how = f"idempotency key {key!r}" if key else f"run_id {run.run_id}"
        raise ContractError(
            f"{how} was used for run {run.run_id} with a different contract (it differs in "
            f"{', '.join(differing)}); use a new key for a new run, or `conduit runs amend` "
            "to change this run's contract",
            field=differing[0],
        )
    return run


def _insert(
    conn: Connection, contract: RunContract, doc: object, key: str | None, tenant: str
) -> RunRecord:
    import json

    from sqlalchemy import text

    assert contract.run_id is not None
    body = contract_document(contract)
    digest = contract_hash(contract)
    conn.execute(
        text(
            "INSERT INTO runs (run_id, idempotency_key, contract_version, contract_hash, contract,"
            " mode, policy_version, dsl_version, catalog_version, threshold_profile_id,"
            " actor_user_id, actor_role, tenant_id) VALUES (:run_id, :key, 1, :hash,"
            " CAST(:contract AS jsonb), :mode, :policy_version, :dsl_version, :catalog_version,"
            " :threshold_profile_id, :user_id, :role, :tenant)"
        ),
        {
            "run_id": contract.run_id,
            "tenant": tenant,
            "key": key,
            "hash": digest,
            "contract": json.dumps(body),
            "user_id": contract.rbac_actor.user_id,
            "role": contract.rbac_actor.role,
            **contract.pins(),
        },
    )
    ref = PostgresArtifactStore(conn).put("run_contract", body, run_id=contract.run_id)
    assert ref.hash == digest
    _record(conn, contract, inputs=content_hash(doc), outputs=digest)
    run = _row(conn, "run_id", contract.run_id)
    assert run is not None
    return run


def _record(conn: Connection, contract: RunContract, *, inputs: str, outputs: str) -> None:
    assert contract.run_id is not None
    PostgresLedger(conn).append(
        LedgerEvent(
            run_id=contract.run_id,
            stage="SUPERVISOR",
            decision="accept",
            inputs_hash=inputs,
            outputs_hash=outputs,
            pii_mask_applied=False,
            local_only_override=contract.pii_policy.local_only_override,
            policy_version=contract.policy_version,
            threshold_profile_id=contract.threshold_profile_id,
            dsl_version=contract.dsl_version,
            human_confirmation=HumanConfirmation(required=contract.human_confirm_required),
        )
    )


def _check_run_id(run_id: str) -> None:
    if not is_ulid(run_id):
        raise NotFoundError(f"{run_id!r} is not a run id (a ULID)", field="run_id")


def get_run(db: Database, run_id: str, *, tenant: str | None = None) -> RunRecord:
    """Read one run, or raise NotFoundError; with ``tenant``, another tenant's run is missing."""
    _check_run_id(run_id)
    with db.connect() as conn:
        run = _row(conn, "run_id", run_id)
    if run is None or (tenant is not None and run.tenant_id != tenant):
        raise NotFoundError(f"no run {run_id}", field="run_id")
    return run


def amend_contract(db: Database, run_id: str, doc: object) -> tuple[RunRecord, bool]:
    """Give a run a new contract version; the §27 pins may not change.

    Returns the run and whether a new version was written (False when nothing changed).
    """
    import json

    from sqlalchemy import text

    _check_run_id(run_id)
    contract = parse_contract(doc)
    if contract.run_id is not None and contract.run_id != run_id:
        raise ContractError(
            f"the contract names run {contract.run_id}, not {run_id}", field="run_id"
        )
    with db.begin() as conn:
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"run:{run_id}"}
        )
        run = _row(conn, "run_id", run_id)
        if run is None:
            raise NotFoundError(f"no run {run_id}", field="run_id")
        pinned = _pin(
            contract,
            defaults={"policy_version": run.policy_version, "catalog_version": run.catalog_version},
        ).model_copy(update={"run_id": run_id})
        _refuse_immutable_change(run, pinned)
        check_contract(stored_manifest(conn, run.policy_version), pinned)
        digest = contract_hash(pinned)
        if digest == run.contract_hash:
            return run, False
        body = contract_document(pinned)
        # Going back to an earlier contract reuses its artifact, and so its version.
        ref = PostgresArtifactStore(conn).put("run_contract", body, run_id=run_id)
        conn.execute(
            text(
                "UPDATE runs SET contract_version = :v, contract_hash = :h,"
                " contract = CAST(:c AS jsonb), updated_at = now() WHERE run_id = :r"
            ),
            {"v": ref.version, "h": digest, "c": json.dumps(body), "r": run_id},
        )
        _record(conn, pinned, inputs=content_hash(doc), outputs=digest)
        updated = _row(conn, "run_id", run_id)
        assert updated is not None
        return updated, True


def list_runs(
    db: Database, *, tenant: str | None = None, status: str | None = None, limit: int = 50
) -> list[RunRecord]:
    """The newest runs first (of ``tenant``, with ``status``), at most ``limit``."""
    from sqlalchemy import text

    with db.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT {_RUN_COLUMNS} FROM runs"
                " WHERE (CAST(:t AS text) IS NULL OR tenant_id = :t)"
                " AND (CAST(:s AS text) IS NULL OR status = :s)"
                " ORDER BY created_at DESC, run_id DESC LIMIT :n"
            ),
            {"t": tenant, "s": status, "n": max(1, min(limit, 500))},
        ).all()
    return [
        RunRecord(**(dict(r._mapping) | {"contract_hash": r.contract_hash.strip()})) for r in rows
    ]


#: A run in one of these states may be stopped; a running one stops at its next gate only.
STOPPABLE = ("created", "held", "failed")


def stop_run(
    db: Database, run_id: str, *, actor: str, role: str, tenant: str | None = None
) -> RunRecord:
    """Stop a run that is not running (created, held at a gate, or failed): its status becomes
    ``stopped`` and it can be neither started nor resumed again. One SUPERVISOR ``reject`` event
    records who stopped it. Stopping a stopped run returns it unchanged.

    Raises:
        NotFoundError: no such run (for ``tenant``).
        PolicyBlock: the role may not create runs, and so may not stop them (§32).
        ContractError: the run is running, or has completed.
    """
    from sqlalchemy import text

    from policy.rbac import require

    _check_run_id(run_id)
    with db.begin() as conn:
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"run:{run_id}"}
        )
        run = _row(conn, "run_id", run_id)
        if run is None or (tenant is not None and run.tenant_id != tenant):
            raise NotFoundError(f"no run {run_id}", field="run_id")
        require(stored_manifest(conn, run.policy_version), role, "create_run", actor=actor)
        if run.status == "stopped":
            return run
        if run.status not in STOPPABLE:
            raise ContractError(
                f"run {run_id} is {run.status}: only a {', '.join(STOPPABLE)} run can be stopped",
                field="run_id",
            )
        conn.execute(
            text("UPDATE runs SET status = 'stopped', updated_at = now() WHERE run_id = :r"),
            {"r": run_id},
        )
        PostgresLedger(conn).append(
            LedgerEvent(
                run_id=run_id,
                stage="SUPERVISOR",
                decision="reject",
                inputs_hash=run.contract_hash,
                pii_mask_applied=False,
                local_only_override=False,
                policy_version=run.policy_version,
                threshold_profile_id=run.threshold_profile_id,
                dsl_version=run.dsl_version,
                error_detail_id="stopped",
                human_confirmation=HumanConfirmation(
                    required=True, actor=f"{actor} ({role})", timestamp=dt.datetime.now(dt.UTC)
                ),
            )
        )
        stopped = _row(conn, "run_id", run_id)
        assert stopped is not None
        return stopped
