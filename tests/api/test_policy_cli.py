"""``conduit policy ...`` and ``conduit eval pii``, run as a user runs them (a subprocess)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.errors import CODES
from policy.manifest import bundled_manifests
from tests.conftest import CliRunner

EXIT_DETERMINISTIC = CODES["DETERMINISTIC_FAILURE"].exit_code
EXIT_POLICY = CODES["POLICY_BLOCK"].exit_code


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def _json(done: Any) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_policy_list(cli: CliRunner) -> None:
    rows = _json(cli("policy", "list", "--json"))
    versions = [r["version"] for r in rows]
    assert versions == sorted(versions, key=_semver)
    hashes = {r["version"]: r["hash"] for r in rows}
    for manifest in bundled_manifests():
        assert hashes[manifest.version] == manifest.content_hash
    text = cli("policy", "list")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert [line.split()[0] for line in lines] == versions
    assert all(line.split()[1] == hashes[v][:12] for line, v in zip(lines, versions, strict=True))


def test_policy_show_newest_as_json_and_text(cli: CliRunner) -> None:
    newest = _json(cli("policy", "list", "--json"))[-1]
    shown = _json(cli("policy", "show", "--json"))
    assert shown["hash"] == newest["hash"]
    assert shown["manifest"]["version"] == newest["version"]
    assert set(shown["manifest"]) >= {"capabilities", "rbac", "pii", "egress_allowlist"}
    text = cli("policy", "show")
    assert text.returncode == 0
    header, _, body = text.stdout.partition("\n")
    assert header == f"# policy {newest['version']}  sha256:{newest['hash']}"
    assert yaml.safe_load(body) == shown["manifest"]


def test_policy_show_a_version(cli: CliRunner) -> None:
    [v010] = [m for m in bundled_manifests() if m.version == "0.1.0"]
    shown = _json(cli("policy", "show", "0.1.0", "--json"))
    assert shown["hash"] == v010.content_hash
    assert shown["manifest"]["egress_allowlist"] == []


def test_policy_show_an_unknown_version(cli: CliRunner) -> None:
    done = cli("policy", "show", "9.9.9")
    assert done.returncode == EXIT_DETERMINISTIC
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: DETERMINISTIC_FAILURE")
    assert "9.9.9" in line and "[field: policy_version]" in line and "0.2.0" in line


def _request(tmp_path: Path, **changes: Any) -> Path:
    doc: dict[str, Any] = {
        "stage": "mapping",
        "mode": "data_mode",
        "actor": {"user_id": "ann", "role": "analyst"},
        "pii_policy": {"mask_before_send": True, "local_only_override": False},
        "provider": "openai",
        "model": "gpt-4o-mini",
        "endpoint": "https://api.openai.com/v1/chat/completions",
        **changes,
    }
    path = tmp_path / "request.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


PLAIN = [["amount", "posted_on"], ["98765.43", "2024-01-03"], ["120.50", "2023-12-31"]]
PERSONAL = [
    ["email", "amount"],
    ["maria.gonzalez@example.com", "12.50"],
    ["j.smith@contoso.com", "7"],
]


def test_policy_check_allows_a_table_without_pii(cli: CliRunner, tmp_path: Path) -> None:
    table = _csv(tmp_path / "ledger.csv", PLAIN)
    done = cli("policy", "check", str(_request(tmp_path)), "--table", str(table), "--json")
    decision = _json(done)
    assert decision["allowed"] is True and decision["reasons"] == []
    assert decision["would_mask"] == []
    audit = decision["audit"]
    assert (audit["provider"], audit["destination"]) == ("openai", "cloud")
    assert audit["policy_version"] == _json(cli("policy", "list", "--json"))[-1]["version"]


def test_policy_check_denies_unmasked_pii(cli: CliRunner, tmp_path: Path) -> None:
    table = _csv(tmp_path / "customers.csv", PERSONAL)
    request = _request(tmp_path)
    done = cli("policy", "check", str(request), "--table", str(table), "--json")
    assert done.returncode == EXIT_POLICY, done.stderr
    decision = json.loads(done.stdout)
    assert decision["allowed"] is False
    assert [(r["kind"], r["field"]) for r in decision["reasons"]] == [
        ("pii", "pii_policy.mask_before_send")
    ]
    [mask] = decision["would_mask"]
    assert (mask["location"], mask["entity"], mask["cells"]) == (
        "tables[0].email",
        "EMAIL_ADDRESS",
        2,
    )
    text = cli("policy", "check", str(request), "--table", str(table))
    assert text.returncode == EXIT_POLICY
    assert text.stdout.startswith("decision: deny") and "tables[0].email" in text.stdout
    for output in (done.stdout, text.stdout):
        assert "maria.gonzalez@example.com" not in output and "j.smith@contoso.com" not in output


def test_policy_check_pins_the_version_asked(cli: CliRunner, tmp_path: Path) -> None:
    table = _csv(tmp_path / "ledger.csv", PLAIN)
    request = _request(tmp_path, policy_version="0.1.0")
    done = cli("policy", "check", str(request), "--table", str(table), "--json")
    assert done.returncode == EXIT_POLICY
    decision = json.loads(done.stdout)
    assert decision["audit"]["policy_version"] == "0.1.0"
    assert [r["kind"] for r in decision["reasons"]] == ["egress"]


def test_policy_check_rejects_an_invalid_request(cli: CliRunner, tmp_path: Path) -> None:
    done = cli("policy", "check", str(_request(tmp_path, mode="full_send")))
    assert done.returncode == EXIT_DETERMINISTIC
    [line] = done.stderr.strip().splitlines()
    assert "[field: mode]" in line and "Traceback" not in done.stderr


def _case(root: Path, name: str, labels: list[list[str]]) -> None:
    _csv(
        root / name / "table.csv",
        [
            ["email", "amount", "city"],
            ["maria.gonzalez@example.com", "12.50", "Denver"],
            ["j.smith@contoso.com", "300.00", "Austin"],
            ["wei.chen@fabrikam.net", "7.25", "Boston"],
        ],
    )
    _csv(root / name / "labels.csv", [["row", "column", "entity"], *labels])


def test_eval_pii_scores_a_tiny_case(cli: CliRunner, tmp_path: Path) -> None:
    # Labeled: two of the three emails, and one amount (which no detector should find).
    # Found: the three emails. Recall 2/3, precision 2/3, one false positive in `email`.
    labels = [["0", "email", "EMAIL_ADDRESS"], ["1", "email", "EMAIL_ADDRESS"]]
    _case(tmp_path, "tiny", [*labels, ["0", "amount", "OTHER_ID"]])
    report = _json(cli("eval", "pii", str(tmp_path), "--json", "--no-baseline"))
    assert set(report) >= {"overall", "by_entity", "false_positives_by_column", "errors"}
    assert "baseline" not in report
    assert report["cases"] == 1 and report["errors"] == []
    assert report["overall"] == {"cells": 3, "found": 3, "recall": 0.6667, "precision": 0.6667}
    assert report["by_entity"] == {
        "EMAIL_ADDRESS": {"recall": 1.0, "found": 2, "total": 2},
        "OTHER_ID": {"recall": 0.0, "found": 0, "total": 1},
    }
    assert report["false_positives_by_column"] == {"tiny/email": 1}


def test_eval_pii_reports_a_malformed_case_and_runs_the_rest(
    cli: CliRunner, tmp_path: Path
) -> None:
    _case(tmp_path, "good", [[str(r), "email", "EMAIL_ADDRESS"] for r in range(3)])
    _case(tmp_path, "bad", [["0", "phone", "PHONE_NUMBER"]])
    report = _json(cli("eval", "pii", str(tmp_path), "--json", "--no-baseline"))
    assert report["cases"] == 1
    [error] = report["errors"]
    assert error["case"] == "bad" and "phone" in error["error"]
    assert report["overall"] == {"cells": 3, "found": 3, "recall": 1.0, "precision": 1.0}
    assert report["false_positives_by_column"] == {}


@pytest.mark.parametrize("where", ["/nonexistent", "empty"])
def test_eval_pii_without_cases(cli: CliRunner, tmp_path: Path, where: str) -> None:
    directory = Path(where)
    if where == "empty":
        directory = tmp_path / where
        directory.mkdir()
    done = cli("eval", "pii", str(directory), "--no-baseline")
    assert done.returncode == EXIT_DETERMINISTIC
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: DETERMINISTIC_FAILURE") and "[field: DIR]" in line
