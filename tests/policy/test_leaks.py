"""Regressions from the review of the Policy Engine: each was a way personal data left unmasked
(or the engine stalled, or a bad file crashed a command). Every case goes through
``prepare`` + ``evaluate`` to a cloud provider and must come out masked and allowed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from core.csvtable import read_csv_table
from core.errors import ContractError, PolicyBlock
from policy.engine import Message, PolicyRequest, TablePayload, evaluate, policy_check, prepare
from policy.manifest import current_manifest, parse_manifest
from policy.pii.values import find_spans
from supervisor.policies import pii_key

KEY = b"k" * 32
SECRETS = ["Maria Gonzalez", "415-555-0134", "536-22-1943", "ana.lopez@gmail.com"]


def _request(**kw: Any) -> PolicyRequest:
    base: dict[str, Any] = {
        "stage": "domains",
        "mode": "data_mode",
        "actor": {"user_id": "ana", "role": "analyst"},
        "pii_policy": {"mask_before_send": True, "local_only_override": False},
        "provider": "openai",
        "model": "gpt-4o-mini",
        "endpoint": "https://api.openai.com/v1/chat/completions",
    }
    base.update(kw)
    return PolicyRequest.model_validate(base)


def _sent(request: PolicyRequest) -> str:
    prepared = prepare(current_manifest(), request, key=KEY)
    evaluate(current_manifest(), prepared)  # raises if anything is left
    return prepared.model_dump_json()


NOTE = "**URGENT** call Maria Gonzalez 415-555-0134 SSN 536-22-1943, ana.lopez@gmail.com"


@pytest.mark.parametrize(
    "column",
    ["notes", "ticket_description", "order_notes", "case_notes", "status_comment", "details"],
)
def test_free_text_is_scanned_whatever_the_header(column: str) -> None:
    other = "Called back, no answer, will try again on Monday morning"
    table = TablePayload(name="t", columns={column: [NOTE, other, other]})
    sent = _sent(_request(tables=[table]))
    for secret in SECRETS:
        assert secret not in sent


@pytest.mark.parametrize(
    ("column", "value", "secret"),
    [
        ("card_number", "4111 1111 1111 1111 exp 12/27", "4111 1111 1111 1111"),
        ("ssn", "536-22-1943 / 536-22-1944", "536-22-1943"),
        ("full_name", "Maria Gonzalez*", "Maria Gonzalez"),
        ("email", "ana.lopez@gmail.com *", "ana.lopez@gmail.com"),
    ],
)
def test_odd_values_in_claimed_columns_are_still_masked(
    column: str, value: str, secret: str
) -> None:
    table = TablePayload(name="t", columns={column: [value]})
    assert secret not in _sent(_request(tables=[table]))


def test_column_and_table_names_are_masked() -> None:
    table = TablePayload(
        name="ana.lopez@gmail.com export", columns={"maria.gonzalez@gmail.com": ["12.50"]}
    )
    sent = _sent(_request(tables=[table]))
    assert "ana.lopez@gmail.com" not in sent and "maria.gonzalez@gmail.com" not in sent
    decision = policy_check(current_manifest(), _request(tables=[table]))
    assert any(w.location == "tables[0].names" for w in decision.would_mask)


def test_a_card_after_many_clean_lookalikes_is_masked() -> None:
    values = [f"4111-1111-1111-10{i:02d}" for i in range(22)] + ["4111-1111-1111-1111"]
    table = TablePayload(name="t", columns={"details": values})
    assert "4111-1111-1111-1111" not in _sent(_request(tables=[table]))


@pytest.mark.parametrize(
    "text",
    [
        "contact ana.lopez\u200b@gmail.com",
        "email maria.gonzalez@acme.local",
        "mail alpha@corp.internal",
        "SSN \uff15\uff13\uff16-\uff12\uff12-\uff11\uff19\uff14\uff13",
        "SSN 536\u00a022\u00a01943",
        "birth: 1985-03-14",
    ],
)
def test_unusual_spellings_are_masked(text: str) -> None:
    sent = json.loads(_sent(_request(messages=[Message(role="user", content=text)])))
    content = sent["messages"][0]["content"]
    assert content != text
    assert "alpha@corp" not in content and "1985-03-14" not in content


def test_a_caller_cannot_claim_the_payload_was_masked() -> None:
    with pytest.raises(ValidationError):
        _request(pii_masked=7)


def test_an_invalid_override_does_not_skip_masking() -> None:
    table = TablePayload(name="t", columns={"email": ["ana.lopez@gmail.com"]})
    request = _request(
        tables=[table],
        provider="ollama",
        endpoint="http://127.0.0.1:11434/api/chat",
        pii_policy={"mask_before_send": True, "local_only_override": True},
    )  # an analyst may not use the override: masked as any request
    prepared = prepare(current_manifest(), request, key=KEY)
    assert "ana.lopez@gmail.com" not in prepared.model_dump_json()
    with pytest.raises(PolicyBlock):
        evaluate(current_manifest(), prepared)  # and still refused for the role


@pytest.mark.parametrize("hostile", ["a." * 50_000 + "@", "1." * 50_000, "www." * 25_000])
def test_hostile_values_are_bounded(hostile: str) -> None:
    started = time.perf_counter()
    spans = find_spans(hostile)
    assert time.perf_counter() - started < 2.0
    assert spans and spans[0].end == len(hostile)  # masked whole


def test_egress_entries_must_be_origins() -> None:
    text = Path("policy/manifests/policy_v0_2.yaml").read_text(encoding="utf-8")
    bad = text.replace("- https://api.groq.com", "- api.groq.com")
    with pytest.raises(ContractError) as info:
        parse_manifest(bad)
    assert "not an origin" in info.value.message


def test_manifest_duplicate_keys_are_refused() -> None:
    text = Path("policy/manifests/policy_v0_2.yaml").read_text(encoding="utf-8")
    with pytest.raises(ContractError):
        parse_manifest(text + "\nversion: 9.9.9\n")


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"a,b\n1\n", "has 1 fields"),
        (b"", "is empty"),
        (b"a,a\n1,2\n", "repeats a column name"),
    ],
)
def test_bad_csv_files_are_refused_clearly(tmp_path: Path, content: bytes, expect: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(ContractError) as info:
        read_csv_table(path)
    assert expect in info.value.message


def test_a_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffname,email\nAna,a@b.co\n".encode())
    assert list(read_csv_table(path)) == ["name", "email"]


def test_the_pii_key_file_is_created_once_and_reused(tmp_path: Path) -> None:
    first = pii_key(tmp_path, None, "acme")
    assert pii_key(tmp_path, None, "acme") == first
    assert pii_key(tmp_path, None, "other") != first
    path = tmp_path / "secrets" / "pii.key"
    assert path.stat().st_mode & 0o777 == 0o600 and len(path.read_bytes()) == 32
    assert list(path.parent.iterdir()) == [path]  # no temporary file left
    with pytest.raises(Exception) as info:
        pii_key(tmp_path, "short", "acme")
    assert "16 bytes" in str(info.value)
