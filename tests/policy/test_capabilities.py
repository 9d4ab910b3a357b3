"""The §3 capability matrix, and its Done-when: metadata_only never yields row values from any
stage entry point; in data_mode samples are capped and masked."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest
import yaml

from core.contract import Mode, PiiPolicy, RbacActor, SampleCaps
from core.errors import CODES, PolicyBlock
from policy.capabilities import capable, masked_sample, require_capability
from policy.engine import PolicyRequest, TablePayload, evaluate, policy_check, prepare
from policy.manifest import Capability, PolicyManifest, bundled_manifests, current_manifest
from tests.conftest import CliRunner

KEY = b"\x11" * 32
MODES: tuple[Mode, ...] = get_args(Mode)

# §3, written from the spec: capability -> (metadata_only, data_mode).
SPEC_3: dict[Capability, dict[Mode, bool]] = {
    # Catalog inference: Yes | Yes
    "catalog_inference": {"metadata_only": True, "data_mode": True},
    # Row samples: No | Yes (masked, capped)
    "row_samples": {"metadata_only": False, "data_mode": True},
    # Domaining evidence: headers/regex/units | ... + tiny value sketches
    "value_sketches": {"metadata_only": False, "data_mode": True},
    # Transform previews: symbolic/dry-run | sample execution
    "sample_execution": {"metadata_only": False, "data_mode": True},
    # Analysis checks: logical/feasibility | coverage/nulls/dups + stats
    "data_checks": {"metadata_only": False, "data_mode": True},
    # Migration: dry-run planning | full execution with checkpoints
    "migration_execute": {"metadata_only": False, "data_mode": True},
    # GUI previews: masked schema/IDs | masked slices + diffs
    "gui_masked_slices": {"metadata_only": False, "data_mode": True},
}
MANIFESTS = {m.version: m for m in bundled_manifests()}
MATRIX = [
    pytest.param(v, c, mode, allowed[mode], id=f"{v}-{c}-{mode}")
    for v in MANIFESTS
    for c, allowed in SPEC_3.items()
    for mode in MODES
]

TABLE: dict[str, list[str | None]] = {
    "email": ["maria.gonzalez@example.com", "j.smith@contoso.com", None, "wei.chen@fabrikam.net"],
    "customer": ["Maria Gonzalez", "John Smith", "Ana Lopez", "Wei Chen"],
    "amount": ["98765.43", "120.50", "7.25", "(1,234.56)"],
    "posted_on": ["2024-01-03", "2023-12-31", "2024-02-29", "2019-07-14"],
}
VALUES = sorted({v for values in TABLE.values() for v in values if v is not None})
PII_COLUMNS, PLAIN_COLUMNS = ("email", "customer"), ("amount", "posted_on")


def _leaks(text: str) -> list[str]:
    return [v for v in VALUES if v in text]


def test_manifests_cover_exactly_the_spec_capabilities() -> None:
    for manifest in MANIFESTS.values():
        assert set(manifest.capabilities) == set(SPEC_3) == set(get_args(Capability))


@pytest.mark.parametrize(("version", "capability", "mode", "expected"), MATRIX)
def test_capable_matches_spec(
    version: str, capability: Capability, mode: Mode, expected: bool
) -> None:
    manifest = MANIFESTS[version]
    assert capable(manifest, mode, capability) is expected
    if expected:
        require_capability(manifest, mode, capability)
        return
    with pytest.raises(PolicyBlock) as info:
        require_capability(manifest, mode, capability)
    assert (info.value.code, info.value.field) == ("POLICY_BLOCK", "mode")


def _request(
    mode: Mode, table: dict[str, list[str | None]], *, local_override: bool = False
) -> PolicyRequest:
    return PolicyRequest(
        stage="domains",
        mode=mode,
        actor=RbacActor(user_id="mo", role="maintainer"),
        pii_policy=PiiPolicy(
            mask_before_send=not local_override, local_only_override=local_override
        ),
        provider="ollama" if local_override else "openai",
        model="test-model",
        endpoint="http://127.0.0.1:11434/api/chat"
        if local_override
        else "https://api.openai.com/v1",
        tables=[TablePayload(name="payments", columns=table)],
    )


def _sample(manifest: PolicyManifest) -> object:
    caps = SampleCaps(rows_max=10, bytes_max=10_000)
    return masked_sample(manifest, mode="metadata_only", table=TABLE, caps=caps, key=KEY)


def _evaluate(manifest: PolicyManifest) -> object:
    return evaluate(manifest, _request("metadata_only", TABLE))


def _prepare_evaluate(manifest: PolicyManifest) -> object:
    return evaluate(manifest, prepare(manifest, _request("metadata_only", TABLE), key=KEY))


def _override_evaluate(manifest: PolicyManifest) -> object:
    request = _request("metadata_only", TABLE, local_override=True)
    return evaluate(manifest, prepare(manifest, request, key=KEY))


@pytest.mark.parametrize(
    "entry", [_sample, _evaluate, _prepare_evaluate, _override_evaluate], ids=lambda f: f.__name__
)
def test_metadata_only_refuses_row_values(entry: Callable[[PolicyManifest], object]) -> None:
    with pytest.raises(PolicyBlock) as info:
        entry(current_manifest())
    assert info.value.code == "POLICY_BLOCK"
    assert _leaks(info.value.one_line()) == []


def test_metadata_only_policy_check_explains_without_values() -> None:
    decision = policy_check(current_manifest(), _request("metadata_only", TABLE))
    assert not decision.allowed
    assert ("capability", "tables") in {(r.kind, r.field) for r in decision.reasons}
    assert _leaks(decision.model_dump_json()) == []


def test_metadata_only_may_send_a_schema_without_values() -> None:
    schema: dict[str, list[str | None]] = {name: [None, ""] for name in TABLE}
    assert evaluate(current_manifest(), _request("metadata_only", schema)).allowed


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_cli_policy_check_in_metadata_only_prints_no_value(
    cli: CliRunner, tmp_path: Path, as_json: bool
) -> None:
    data = tmp_path / "payments.csv"
    with data.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(TABLE)
        writer.writerows(zip(*TABLE.values(), strict=True))
    doc = _request("metadata_only", {}).model_dump(mode="json", exclude={"tables"})
    request = tmp_path / "request.yaml"
    request.write_text(yaml.safe_dump(doc))
    done = cli("policy", "check", str(request), "--table", str(data), *(["--json"] * as_json))
    assert done.returncode == CODES["POLICY_BLOCK"].exit_code, done.stderr
    assert "Traceback" not in done.stderr
    assert _leaks(done.stdout + done.stderr) == []
    if as_json:
        assert json.loads(done.stdout)["allowed"] is False


def _raw_bytes(rows: int) -> int:
    return sum(len((v[r] or "").encode()) for v in TABLE.values() for r in range(rows))


@pytest.mark.parametrize("rows_max", [1, 2, 4, 50])
def test_data_mode_sample_respects_rows_max(rows_max: int) -> None:
    caps = SampleCaps(rows_max=rows_max, bytes_max=10_000)
    sample = masked_sample(current_manifest(), mode="data_mode", table=TABLE, caps=caps, key=KEY)
    assert sample.rows == min(rows_max, 4) and sample.rows_available == 4
    assert {len(v) for v in sample.columns.values()} == {sample.rows}


@pytest.mark.parametrize("rows", [0, 1, 2, 3])
def test_data_mode_sample_respects_bytes_max(rows: int) -> None:
    for bytes_max in (max(_raw_bytes(rows), 1), _raw_bytes(rows + 1) - 1):
        caps = SampleCaps(rows_max=100, bytes_max=bytes_max)
        manifest = current_manifest()
        sample = masked_sample(manifest, mode="data_mode", table=TABLE, caps=caps, key=KEY)
        assert sample.rows == rows
        assert _raw_bytes(sample.rows) <= bytes_max < _raw_bytes(sample.rows + 1)


@pytest.mark.parametrize("field", ["rows_max", "bytes_max"])
def test_data_mode_sample_refuses_caps_above_the_policy(field: str) -> None:
    manifest = current_manifest()
    limits = manifest.sample_caps.model_dump()
    caps = SampleCaps.model_validate({**limits, field: limits[field] + 1})
    with pytest.raises(PolicyBlock) as info:
        masked_sample(manifest, mode="data_mode", table=TABLE, caps=caps, key=KEY)
    assert info.value.field == f"sample_caps.{field}"
    at_limit = SampleCaps.model_validate(limits)
    assert masked_sample(manifest, mode="data_mode", table=TABLE, caps=at_limit, key=KEY).rows == 4


def test_data_mode_sample_masks_pii_and_keeps_the_rest() -> None:
    caps = SampleCaps(rows_max=100, bytes_max=10_000)
    sample = masked_sample(current_manifest(), mode="data_mode", table=TABLE, caps=caps, key=KEY)
    masked = [v for c in PII_COLUMNS for v in sample.columns[c] if v is not None]
    originals = [v for c in PII_COLUMNS for v in TABLE[c] if v is not None]
    assert not set(masked) & set(originals)
    assert sample.masked_cells == len(originals)
    assert sample.columns["email"][2] is None
    for column in PLAIN_COLUMNS:
        assert sample.columns[column] == TABLE[column]
