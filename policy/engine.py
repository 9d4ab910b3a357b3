"""The Policy Engine's gate before a model call (§6, §20, §39): ``prepare``, ``evaluate``.

Every request to a model passes two steps, in this order, in the adapter that sends it:

1. ``prepare(manifest, request, key=...)`` masks the payload: tables through the column-aware
   detector, messages span by span; it returns the request as it may leave the process.
2. ``evaluate(manifest, request)`` decides on exactly what would be sent. It re-reads the payload
   (a masked payload passes; an unmasked value in it does not) and checks the rest of the
   manifest: RBAC for ``local_only_override``, the mode's capabilities, provider allow/deny lists,
   the egress allow-list, cost caps. A denial raises POLICY_BLOCK naming every reason; an approval
   returns a ``Decision`` whose ``audit`` fields go on the ledger.

``policy_check`` is ``evaluate`` as a dry run: it never raises, and lists what would be masked
(where, which entity, which operator, how many cells; never a value).
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from core.canonical import content_hash
from core.contract import Mode, PiiPolicy, RbacActor, StageBudget
from core.errors import PolicyBlock
from policy.egress import origin
from policy.manifest import Entity, Operator, PiiDetection, PolicyManifest
from policy.pii.detect import TableFindings, detect_table
from policy.pii.mask import Masker, mask_table
from policy.pii.text import mask_text, text_findings
from policy.rbac import allowed

__all__ = [
    "AuditFields",
    "Decision",
    "Message",
    "PolicyRequest",
    "Reason",
    "TablePayload",
    "WouldMask",
    "evaluate",
    "origin",
    "policy_check",
    "prepare",
]

_MAX_TEXT = 2_000_000  # characters per message
_MAX_CELLS = 1_000_000  # cells per request


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Frozen):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=_MAX_TEXT)


class TablePayload(_Frozen):
    """Rows sent to a model, column-major: ``{column: [value, ...]}``."""

    name: str = Field(min_length=1, max_length=200)
    columns: dict[str, list[str | None]]
    domains: dict[str, str] = Field(default_factory=dict)

    def cells(self) -> int:
        return sum(len(v) for v in self.columns.values())

    def has_values(self) -> bool:
        return any(v not in (None, "") for values in self.columns.values() for v in values)


class PolicyRequest(_Frozen):
    """One model call as the Policy Engine sees it."""

    run_id: str | None = None
    stage: str = Field(min_length=1, max_length=64)
    mode: Mode
    actor: RbacActor
    pii_policy: PiiPolicy
    provider: str = Field(min_length=1, max_length=64)
    model: str = Field(min_length=1, max_length=200)
    endpoint: str = Field(min_length=1, max_length=2000)
    provider_allowlist: list[str] = Field(default_factory=list)
    provider_denylist: list[str] = Field(default_factory=list)
    catalog_version: str = "0.0.0"
    messages: list[Message] = Field(default_factory=list)
    tables: list[TablePayload] = Field(default_factory=list)
    estimated_tokens: int = Field(default=0, ge=0)
    estimated_usd: Decimal = Field(default=Decimal(0), ge=0)
    budget: StageBudget | None = None
    #: How many values ``prepare`` masked; set only by ``prepare`` (a caller cannot claim it).
    _pii_masked: int = PrivateAttr(default=0)

    @property
    def pii_masked(self) -> int:
        return self._pii_masked

    def payload_hash(self) -> str:
        """SHA-256 of what would be sent: messages and tables, canonical JSON."""
        return content_hash(
            {
                "messages": [m.model_dump() for m in self.messages],
                "tables": [t.model_dump() for t in self.tables],
            }
        )


ReasonKind = Literal["rbac", "capability", "provider", "egress", "local_only", "pii", "cost"]


class Reason(_Frozen):
    kind: ReasonKind
    field: str
    message: str


class WouldMask(_Frozen):
    """Where unmasked personal data sits in a request (no values)."""

    location: str  # tables[0].email or messages[1]
    entity: Entity
    operator: Operator
    cells: int
    evidence: str


class AuditFields(_Frozen):
    """§6 and §20 audit fields, recorded with the ledger event of the call."""

    policy_version: str
    pii_mask_applied: bool
    local_only_override: bool
    provider: str
    model: str
    prompt_hash: str
    catalog_version: str
    destination: Literal["local", "cloud"]


class Decision(_Frozen):
    allowed: bool
    reasons: list[Reason]
    audit: AuditFields
    would_mask: list[WouldMask]


# Addresses on the tenant's own machines: loopback, RFC 1918, unique-local IPv6 (not the
# documentation ranges `is_private` also counts).
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
)


def _is_local_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in _LOCAL_NETWORKS)


def _destination(manifest: PolicyManifest, request: PolicyRequest) -> Literal["local", "cloud"]:
    local_providers = {p.lower() for p in manifest.providers.local}
    local = request.provider.lower() in local_providers and _is_local_host(request.endpoint)
    return "local" if local else "cloud"


def _findings(
    manifest: PolicyManifest, request: PolicyRequest
) -> tuple[list[TableFindings], list[list[tuple[Entity, int]]]]:
    """Findings per table, and per text: the messages, then each table's name and column names
    (a header can be an email address; it is sent with the rows)."""
    detection = manifest.pii.detection
    tables = [
        detect_table(t.columns, detection=detection, domains=t.domains) for t in request.tables
    ]
    texts = [text_findings(m.content, detection=detection) for m in request.messages]
    for t in request.tables:
        texts.append(
            [f for text in (t.name, *t.columns) for f in text_findings(text, detection=detection)]
        )
    return tables, texts


def _would_mask(
    manifest: PolicyManifest,
    request: PolicyRequest,
    tables: list[TableFindings],
    texts: list[list[tuple[Entity, int]]],
) -> list[WouldMask]:
    ops = manifest.pii.operators
    groups: list[tuple[str, Counter[Entity], str]] = [
        (
            f"tables[{n}].{column}",
            Counter(f.entity for f in cells.values()),
            found.plans[column].evidence,
        )
        for n, found in enumerate(tables)
        for column, cells in found.cells.items()
    ]
    for n, spans in enumerate(texts):
        m = len(request.messages)
        where = f"messages[{n}]" if n < m else f"tables[{n - m}].names"
        groups.append((where, Counter(entity for entity, _ in spans), "found in the text"))
    return [
        WouldMask(location=where, entity=e, operator=ops[e], cells=count, evidence=evidence)
        for where, counts, evidence in groups
        for e, count in sorted(counts.items())
    ]


def _reasons(
    manifest: PolicyManifest, request: PolicyRequest, would_mask: list[WouldMask]
) -> list[Reason]:
    v = manifest.version
    out: list[Reason] = []
    override = request.pii_policy.local_only_override
    destination = _destination(manifest, request)
    role = request.actor.role
    if override and not allowed(manifest, role, "toggle_local_only_override"):
        roles = ", ".join(manifest.rbac["toggle_local_only_override"])
        out.append(
            Reason(
                kind="rbac",
                field="pii_policy.local_only_override",
                message=f"{request.actor.user_id} ({role}) may not use "
                f"local_only_override; allowed roles: {roles} (policy {v})",
            )
        )
    if override and not manifest.pii.local_only_override_allowed:
        out.append(
            Reason(
                kind="local_only",
                field="pii_policy.local_only_override",
                message=f"policy {v} does not allow local_only_override",
            )
        )
    if override and destination != "local":
        out.append(
            Reason(
                kind="local_only",
                field="provider",
                message=f"local_only_override sends unmasked data only to a local "
                f"provider ({', '.join(manifest.providers.local) or 'none listed'}) at "
                f"a loopback or private address; {request.provider} at "
                f"{origin(request.endpoint)} is not",
            )
        )
    if request.mode == "metadata_only" and any(t.has_values() for t in request.tables):
        out.append(
            Reason(
                kind="capability",
                field="tables",
                message="metadata_only runs send no row values (§3: row_samples)",
            )
        )
    out += _provider_reasons(manifest, request)
    # Unmasked data may go out only under an override that passed every check above.
    valid_override = override and destination == "local" and not out
    out += _pii_reasons(request, would_mask, valid_override)
    out += _cost_reasons(request)
    return out


def _provider_reasons(manifest: PolicyManifest, request: PolicyRequest) -> list[Reason]:
    out = []
    p, v = request.provider.lower(), manifest.version
    for source, deny_list, allow_list in (
        ("policy", manifest.providers.denylist, manifest.providers.allowlist),
        ("contract", request.provider_denylist, request.provider_allowlist),
    ):
        deny = {d.lower() for d in deny_list}
        allow = {a.lower() for a in allow_list}
        if p in deny or (allow and p not in allow):
            why = "denies" if p in deny else "does not allow"
            label = f"policy {v}" if source == "policy" else "the Run Contract"
            out.append(
                Reason(kind="provider", field="provider", message=f"{label} {why} provider {p}")
            )
    where = origin(request.endpoint)
    listed = {origin(e) for e in manifest.egress_allowlist}
    if where is None or where not in listed:
        out.append(
            Reason(
                kind="egress",
                field="endpoint",
                message=f"endpoint {where or request.endpoint!r} is not on the egress "
                f"allow-list of policy {v} (deny by default)",
            )
        )
    return out


def _pii_reasons(
    request: PolicyRequest, would_mask: list[WouldMask], unmasked_ok: bool
) -> list[Reason]:
    if not would_mask or unmasked_ok:
        return []
    cells = sum(w.cells for w in would_mask)
    where = ", ".join(f"{w.location} ({w.entity})" for w in would_mask[:5])
    more = "" if len(would_mask) <= 5 else f" and {len(would_mask) - 5} more"
    return [
        Reason(
            kind="pii",
            field="pii_policy.mask_before_send",
            message=f"{cells} unmasked personal-data value(s) would reach {request.provider}"
            f": {where}{more}; mask them first (policy.prepare)",
        )
    ]


def _cost_reasons(request: PolicyRequest) -> list[Reason]:
    b = request.budget
    if b is None:
        return []
    out = []
    if request.estimated_tokens > b.tokens:
        out.append(
            Reason(
                kind="cost",
                field=f"budget_caps.{request.stage}.tokens",
                message=f"about {request.estimated_tokens} tokens; the stage has {b.tokens} left",
            )
        )
    if request.estimated_usd > b.usd:
        out.append(
            Reason(
                kind="cost",
                field=f"budget_caps.{request.stage}.usd",
                message=f"about ${request.estimated_usd}; the stage has ${b.usd} left",
            )
        )
    return out


def policy_check(manifest: PolicyManifest, request: PolicyRequest) -> Decision:
    """The decision ``evaluate`` would take, without raising, with what would be masked."""
    _check_size(request)
    tables, texts = _findings(manifest, request)
    would_mask = _would_mask(manifest, request, tables, texts)
    reasons = _reasons(manifest, request, would_mask)
    audit = AuditFields(
        policy_version=manifest.version,
        pii_mask_applied=request.pii_masked > 0,
        local_only_override=request.pii_policy.local_only_override
        and not any(r.kind in ("rbac", "local_only") for r in reasons),
        provider=request.provider,
        model=request.model,
        prompt_hash=request.payload_hash(),
        catalog_version=request.catalog_version,
        destination=_destination(manifest, request),
    )
    return Decision(allowed=not reasons, reasons=reasons, audit=audit, would_mask=would_mask)


def evaluate(manifest: PolicyManifest, request: PolicyRequest) -> Decision:
    """Approve ``request`` as it stands, or raise POLICY_BLOCK naming every reason."""
    decision = policy_check(manifest, request)
    if not decision.allowed:
        first = decision.reasons[0]
        text = "; ".join(r.message for r in decision.reasons)
        raise PolicyBlock(f"request refused: {text}", field=first.field)
    return decision


def prepare(manifest: PolicyManifest, request: PolicyRequest, *, key: bytes) -> PolicyRequest:
    """The request with its personal data masked by the manifest's operators: table cells
    (column by column), table and column names, and messages.

    Only a ``local_only_override`` that ``evaluate`` would accept (the role may use it, the
    policy allows it, the destination is local) leaves the payload as it is.
    """
    _check_size(request)
    if _override_holds(manifest, request):
        return request
    masker = Masker(manifest.pii.operators, key)
    detection = manifest.pii.detection
    tables, texts = _findings(manifest, request)
    masked_tables = [
        t.model_copy(
            update={
                "name": mask_text(t.name, masker, detection=detection),
                "columns": _rename(mask_table(t.columns, found, masker), masker, detection),
            }
        )
        for t, found in zip(request.tables, tables, strict=True)
    ]
    masked_messages = [
        m.model_copy(update={"content": mask_text(m.content, masker, detection=detection)})
        for m in request.messages
    ]
    prepared = request.model_copy(update={"tables": masked_tables, "messages": masked_messages})
    count = sum(f.count() for f in tables) + sum(len(s) for s in texts)
    prepared._pii_masked = request.pii_masked + count
    return prepared


def _override_holds(manifest: PolicyManifest, request: PolicyRequest) -> bool:
    return (
        request.pii_policy.local_only_override
        and manifest.pii.local_only_override_allowed
        and allowed(manifest, request.actor.role, "toggle_local_only_override")
        and _destination(manifest, request) == "local"
    )


def _rename(
    columns: dict[str, list[str | None]], masker: Masker, detection: PiiDetection
) -> dict[str, list[str | None]]:
    """Column names with personal data masked (two masked alike get a suffix)."""
    out: dict[str, list[str | None]] = {}
    for name, values in columns.items():
        new = mask_text(name, masker, detection=detection)
        while new in out:
            new += "_"
        out[new] = values
    return out


def _check_size(request: PolicyRequest) -> None:
    cells = sum(t.cells() for t in request.tables)
    if cells > _MAX_CELLS:
        raise PolicyBlock(
            f"request carries {cells} cells; at most {_MAX_CELLS} go to a model in one call",
            field="tables",
        )
