"""The Policy Engine's gate before a model call (§6): ``prepare`` masks, ``evaluate`` decides,
``policy_check`` explains without raising and without values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from core.contract import Mode, PiiPolicy, RbacActor, Role, StageBudget
from core.errors import PolicyBlock
from policy.engine import (
    Decision,
    Message,
    PolicyRequest,
    TablePayload,
    evaluate,
    policy_check,
    prepare,
)
from policy.manifest import PolicyManifest, current_manifest

KEY = b"\x07" * 32
OPENAI = "https://api.openai.com/v1/chat/completions"
OLLAMA = "http://127.0.0.1:11434/api/chat"

EMAILS = ["maria.gonzalez@example.com", "j.smith@contoso.com", "wei.chen@fabrikam.net"]
AMOUNTS = ["98765.43", "120.50", "7.25"]
SSN = "536-22-1943"
VALUES = [*EMAILS, SSN]


def _request(
    *,
    role: Role = "analyst",
    override: bool = False,
    provider: str = "openai",
    endpoint: str = OPENAI,
    mode: Mode = "data_mode",
    pii: bool = True,
    **extra: Any,
) -> PolicyRequest:
    tables = [TablePayload(name="customers", columns={"email": EMAILS, "amount": AMOUNTS})]
    text = f"Customer SSN {SSN}; map the columns." if pii else "Map the columns."
    return PolicyRequest(
        stage="mapping",
        mode=mode,
        actor=RbacActor(user_id="ann", role=role),
        pii_policy=PiiPolicy(mask_before_send=not override, local_only_override=override),
        provider=provider,
        model="test-model",
        endpoint=endpoint,
        messages=[Message(role="user", content=text)],
        tables=tables if pii else [],
        **extra,
    )


def _blocked(manifest: PolicyManifest, request: PolicyRequest) -> PolicyBlock:
    with pytest.raises(PolicyBlock) as info:
        evaluate(manifest, request)
    return info.value


def _reasons(decision: Decision) -> set[tuple[str, str]]:
    return {(r.kind, r.field) for r in decision.reasons}


@pytest.mark.parametrize(
    "payload",
    [
        {"tables": [TablePayload(name="t", columns={"email": EMAILS})]},
        {"messages": [Message(role="user", content=f"SSN {SSN}")]},
    ],
    ids=["table", "message"],
)
def test_unmasked_pii_to_a_cloud_provider_is_blocked(payload: dict[str, Any]) -> None:
    request = _request(pii=False).model_copy(update=payload)
    error = _blocked(current_manifest(), request)
    assert (error.code, error.exit_code) == ("POLICY_BLOCK", 10)
    assert error.field == "pii_policy.mask_before_send"
    assert _reasons(policy_check(current_manifest(), request)) == {
        ("pii", "pii_policy.mask_before_send")
    }


def test_prepare_masks_every_value_and_then_evaluate_allows() -> None:
    manifest, request = current_manifest(), _request()
    prepared = prepare(manifest, request, key=KEY)
    decision = evaluate(manifest, prepared)
    assert decision.allowed and decision.reasons == []
    assert decision.audit.pii_mask_applied and prepared.pii_masked == len(VALUES)
    assert (decision.audit.destination, decision.audit.local_only_override) == ("cloud", False)
    sent = prepared.model_dump_json()
    assert [v for v in VALUES if v in sent] == []
    assert prepared.tables[0].columns["amount"] == AMOUNTS
    assert decision.audit.prompt_hash == prepared.payload_hash() != request.payload_hash()
    again = prepare(manifest, prepared, key=KEY)
    assert again.payload_hash() == prepared.payload_hash()
    assert again.pii_masked == prepared.pii_masked


def test_an_email_holding_xx_is_masked_before_it_leaves() -> None:
    table = TablePayload(name="t", columns={"email": ["maxx.power@example.com", *EMAILS]})
    request = _request(pii=False).model_copy(update={"tables": [table]})
    [would_mask] = policy_check(current_manifest(), request).would_mask
    assert would_mask.cells == 4
    prepared = prepare(current_manifest(), request, key=KEY)
    assert "maxx.power@example.com" not in prepared.model_dump_json()


def test_an_analyst_may_not_use_local_only_override() -> None:
    request = _request(override=True, provider="ollama", endpoint=OLLAMA)
    error = _blocked(current_manifest(), request)
    assert error.field == "pii_policy.local_only_override"
    decision = policy_check(current_manifest(), request)
    # A refused override grants nothing: the unmasked data is a reason of its own.
    assert _reasons(decision) == {
        ("rbac", "pii_policy.local_only_override"),
        ("pii", "pii_policy.mask_before_send"),
    }
    assert not decision.audit.local_only_override


@pytest.mark.parametrize("role", ["maintainer", "admin"])
@pytest.mark.parametrize("endpoint", [OLLAMA, "http://localhost:11434/api/chat"])
def test_override_to_a_local_provider_sends_unmasked(role: Role, endpoint: str) -> None:
    manifest = current_manifest()
    request = _request(role=role, override=True, provider="ollama", endpoint=endpoint)
    prepared = prepare(manifest, request, key=KEY)
    assert prepared == request
    audit = evaluate(manifest, prepared).audit
    assert audit.local_only_override and audit.destination == "local"
    assert not audit.pii_mask_applied


@pytest.mark.parametrize(
    ("provider", "endpoint"),
    [("openai", OPENAI), ("openai", OLLAMA), ("ollama", "http://203.0.113.5:11434")],
)
def test_override_away_from_a_local_provider_is_refused(provider: str, endpoint: str) -> None:
    request = _request(role="maintainer", override=True, provider=provider, endpoint=endpoint)
    _blocked(current_manifest(), request)
    decision = policy_check(current_manifest(), request)
    assert not decision.allowed
    # 203.0.113.0/24 is a documentation range (Python's is_private says yes): not local either.
    assert ("local_only", "provider") in _reasons(decision)
    assert not decision.audit.local_only_override
    assert decision.audit.destination == "cloud"


def test_override_to_a_public_address_is_refused_even_when_egress_allows_it() -> None:
    public = "http://93.184.216.34:11434"
    base = current_manifest()
    manifest = base.model_copy(update={"egress_allowlist": [*base.egress_allowlist, public]})
    request = _request(role="maintainer", override=True, provider="ollama", endpoint=public)
    decision = policy_check(manifest, request)
    assert ("local_only", "provider") in _reasons(decision)
    assert ("egress", "endpoint") not in _reasons(decision)
    assert decision.audit.destination == "cloud" and not decision.audit.local_only_override


def test_override_refused_when_the_policy_does_not_allow_it() -> None:
    base = current_manifest()
    pii = base.pii.model_copy(update={"local_only_override_allowed": False})
    manifest = base.model_copy(update={"pii": pii})
    request = _request(role="admin", override=True, provider="ollama", endpoint=OLLAMA)
    assert _reasons(policy_check(manifest, request)) == {
        ("local_only", "pii_policy.local_only_override"),
        ("pii", "pii_policy.mask_before_send"),
    }


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://api.openai.com.evil.example/v1/chat/completions",
        "https://api.openai.com:8443/v1/chat/completions",
        "ftp://api.openai.com/v1",
        "http://api.openai.com/v1/chat/completions",
        "https://evil.example/api.openai.com",
        "https://api.openai.com\\@evil.example/v1",
        "api.openai.com",
        "not a url at all",
    ],
)
def test_endpoints_off_the_egress_allowlist_are_refused(endpoint: str) -> None:
    request = _request(pii=False, endpoint=endpoint)
    assert _blocked(current_manifest(), request).field == "endpoint"
    assert _reasons(policy_check(current_manifest(), request)) == {("egress", "endpoint")}


@pytest.mark.parametrize(
    ("provider", "endpoint"),
    [
        ("openai", "HTTPS://API.OPENAI.COM/v1"),
        ("openai", "https://api.openai.com:443/v1/chat/completions"),
        ("anthropic", "https://api.anthropic.com/v1/messages"),
    ],
)
def test_endpoints_on_the_egress_allowlist_are_allowed(provider: str, endpoint: str) -> None:
    request = _request(pii=False, provider=provider, endpoint=endpoint)
    assert evaluate(current_manifest(), request).allowed


@pytest.mark.parametrize(
    ("providers", "contract", "allowed"),
    [
        ({"denylist": ["openai"]}, {}, False),
        ({"allowlist": ["anthropic"]}, {}, False),
        ({"allowlist": ["anthropic", "openai"]}, {}, True),
        ({"denylist": ["groq"]}, {}, True),
        ({}, {"provider_denylist": ["openai"]}, False),
        ({}, {"provider_allowlist": ["anthropic"]}, False),
        ({}, {"provider_allowlist": ["openai"]}, True),
        ({"allowlist": ["openai"]}, {"provider_denylist": ["openai"]}, False),
    ],
)
def test_provider_allow_and_deny_lists(
    providers: dict[str, list[str]], contract: dict[str, list[str]], allowed: bool
) -> None:
    base = current_manifest()
    manifest = base.model_copy(update={"providers": base.providers.model_copy(update=providers)})
    decision = policy_check(manifest, _request(pii=False).model_copy(update=contract))
    assert decision.allowed is allowed
    expected = set() if allowed else {("provider", "provider")}
    assert _reasons(decision) == expected


BUDGET = StageBudget(tokens=1000, usd=Decimal("1.50"), wall_time_s=60)


@pytest.mark.parametrize(
    ("tokens", "usd", "fields"),
    [
        (1000, Decimal("1.50"), set()),
        (1001, Decimal("1.50"), {"budget_caps.mapping.tokens"}),
        (10, Decimal("1.500001"), {"budget_caps.mapping.usd"}),
        (5000, Decimal("9"), {"budget_caps.mapping.tokens", "budget_caps.mapping.usd"}),
    ],
)
def test_cost_caps(tokens: int, usd: Decimal, fields: set[str]) -> None:
    request = _request(pii=False, estimated_tokens=tokens, estimated_usd=usd, budget=BUDGET)
    decision = policy_check(current_manifest(), request)
    assert _reasons(decision) == {("cost", f) for f in fields}
    if fields:
        assert _blocked(current_manifest(), request).field in fields


def test_policy_check_lists_every_reason_and_no_value() -> None:
    request = _request(
        override=True,
        endpoint="https://llm.evil.example/v1",
        provider_denylist=["openai"],
        estimated_tokens=2000,
        budget=BUDGET,
    )
    decision = policy_check(current_manifest(), request)
    kinds = {r.kind for r in decision.reasons}
    assert kinds == {"rbac", "local_only", "provider", "egress", "pii", "cost"}
    masks = {(w.location, w.entity, w.operator, w.cells) for w in decision.would_mask}
    assert masks == {
        ("tables[0].email", "EMAIL_ADDRESS", "pseudonym", 3),
        ("messages[0]", "US_SSN", "redact", 1),
    }
    dumped = decision.model_dump_json()
    assert [v for v in [*VALUES, *AMOUNTS] if v in dumped] == []
    message = _blocked(current_manifest(), request).message
    assert all(r.message in message for r in decision.reasons)


def test_prompt_hash_follows_the_payload() -> None:
    manifest = current_manifest()

    def prompt_hash(request: PolicyRequest) -> str:
        return policy_check(manifest, request).audit.prompt_hash

    request = _request(pii=False)
    same = _request(pii=False, provider="anthropic", endpoint="https://api.anthropic.com")
    assert prompt_hash(request) == prompt_hash(same) == request.payload_hash()
    other_text = request.model_copy(update={"messages": [Message(role="user", content="Map.")]})
    table = TablePayload(name="t", columns={"amount": ["1.00"]})
    with_table = request.model_copy(update={"tables": [table]})
    other_cell = request.model_copy(
        update={"tables": [TablePayload(name="t", columns={"amount": ["1.01"]})]}
    )
    hashes = {prompt_hash(r) for r in (request, other_text, with_table, other_cell)}
    assert len(hashes) == 4


def test_too_many_cells_are_refused() -> None:
    limit = TablePayload(name="big", columns={"a": [None] * 500_000, "b": [None] * 500_000})
    request = _request(pii=False).model_copy(update={"tables": [limit]})
    assert evaluate(current_manifest(), request).allowed
    big = limit.model_copy(update={"columns": {**limit.columns, "c": [None]}})
    request = request.model_copy(update={"tables": [big]})
    with pytest.raises(PolicyBlock) as info:
        evaluate(current_manifest(), request)
    assert (info.value.code, info.value.field) == ("POLICY_BLOCK", "tables")
    with pytest.raises(PolicyBlock):
        prepare(current_manifest(), request, key=KEY)


def test_too_long_a_message_is_refused_at_construction() -> None:
    assert len(Message(role="user", content="x" * 2_000_000).content) == 2_000_000
    with pytest.raises(ValidationError):
        Message(role="user", content="x" * 2_000_001)
