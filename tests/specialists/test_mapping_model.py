"""Mapping with a model: proposals for the columns in doubt, through the adapters, against a local
server speaking OpenAI's wire protocol; validated like any other pipeline, never trusted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.types import CallContext
from core.profiles import bundled_profiles
from evals.domains import case_bodies
from evals.golden_cases import GOLDEN, load_case
from specialists.domains.catalog import load_catalog
from specialists.domains.run import DomainSettings, domain_assignments
from specialists.mapping import MappingSettings, mapping_plan
from specialists.mapping.propose import ModelAccess
from tests.adapters.fake_providers import FakeProviders, Fault, Reply
from tests.adapters.test_conformance import make_router

PROFILE = next(p for p in bundled_profiles() if p.profile_id == "tp_default_v2")
CASE = load_case(GOLDEN / "crm_contacts_salesforce")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviders]:
    with FakeProviders() as s:
        yield s


def _plan(server: FakeProviders, *replies: Any) -> dict[str, Any]:
    router = make_router(server)
    server.script("openai", *replies)
    context = CallContext(
        stage="mapping",
        mode="data_mode",
        actor_user_id="ana",
        actor_role="analyst",
        provider_allowlist=("openai",),
    )
    catalog_body, sample_body = case_bodies(CASE, "data_mode")
    assignments = domain_assignments(
        catalog_body,
        sample_body,
        CASE.target,
        "data_mode",
        load_catalog(),
        DomainSettings.of(PROFILE),
    )
    try:
        return mapping_plan(
            catalog_body,
            sample_body,
            assignments,
            CASE.target,
            "data_mode",
            MappingSettings.of(PROFILE),
            model=ModelAccess(router=router, context=context),
        )
    finally:
        router.close()


def _reply(*mappings: dict[str, Any]) -> Reply:
    return Reply(text=json.dumps({"mappings": list(mappings)}))


COMPANY = {
    "target": "company_name",
    "sources": ["account_name"],
    "pipeline": {"inputs": ["account_name"], "output": "company_name", "ops": [{"op": "trim"}]},
    "confidence": 0.85,
    "rationale": "a Salesforce contact's Account Name is the company",
}


def test_a_valid_proposal_settles_a_held_column(server: FakeProviders) -> None:
    plan = _plan(server, _reply(COMPANY))
    columns = {c["target"]: c for c in plan["columns"]}
    assert plan["model"]["asked"] == ["company_name"]  # only the column in doubt
    assert columns["company_name"]["decision"] == "accept"
    assert columns["company_name"]["sources"] == ["Account Name"]
    assert columns["company_name"]["strategy"] == "model"
    assert columns["company_name"]["sample"]["success_rate"] == 1.0
    assert plan["model"]["kept"] == ["company_name"]
    [call] = plan["model"]["calls"]
    assert call["provider"] == "openai" and call["pii_mask_applied"] is True
    [request] = server.requests("openai")
    body = request.raw.decode()
    assert "otanaka@fabrikam.example.com" not in body  # the sample went out masked
    assert "company_name" in body and "account_name" in body


def test_hostile_or_wrong_proposals_are_refused_and_the_plan_stands(
    server: FakeProviders,
) -> None:
    before = {c["target"]: c["decision"] for c in _plan(server, _reply())["columns"]}
    plan = _plan(
        server,
        _reply(
            {**COMPANY, "sources": ["no_such_column"]},
            {**COMPANY, "pipeline": {**COMPANY["pipeline"], "ops": [{"op": "eval", "code": "1"}]}},
            {
                "target": "email",
                "sources": ["email"],
                "confidence": 1.0,
                "pipeline": {"inputs": ["email"], "output": "email", "ops": []},
            },
            {**COMPANY, "pipeline": {**COMPANY["pipeline"], "inputs": ["title"]}},
        ),
    )
    refused = [(r["target"], r["why"]) for r in plan["model"]["refused"]]
    assert [t for t, _ in refused] == ["company_name", "company_name", "email", "company_name"]
    assert "unknown source columns" in refused[0][1]
    assert refused[1][1].startswith("DSL_REJECT")
    assert refused[2][1] == "not a column in doubt"
    assert "inputs are not the proposed sources" in refused[3][1]
    assert {c["target"]: c["decision"] for c in plan["columns"]} == before


def test_a_failing_provider_leaves_the_deterministic_plan(server: FakeProviders) -> None:
    plan = _plan(server, *[Fault("auth")] * 3)
    assert plan["model"]["error"]["code"] in ("DETERMINISTIC_FAILURE", "PROVIDER_UNHEALTHY")
    columns = {c["target"]: c for c in plan["columns"]}
    assert columns["company_name"]["decision"] == "hold"  # still waiting for a person
