"""The ``conduit`` command line, run as a user runs it: a subprocess against the real store."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from core.db import Database
from core.errors import CODES
from policy.manifest import current_manifest
from tests.conftest import ROOT, CliRunner, require, target_rows

EXAMPLE = ROOT / "examples" / "bank_transactions" / "contract.yaml"
EXIT_DETERMINISTIC = CODES["DETERMINISTIC_FAILURE"].exit_code
EXIT_POLICY = CODES["POLICY_BLOCK"].exit_code


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return doc


def _write(tmp_path: Path, doc: object, name: str = "contract.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _key() -> str:
    return f"test-{uuid.uuid4()}"


def _counts(db: Database) -> dict[str, int]:
    tables = ("runs", "supervisor_ledger", "artifacts", "artifact_refs", "decision_summaries")
    with db.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables
        }


def _create(cli: CliRunner, contract: Path, key: str) -> dict[str, Any]:
    done = cli("runs", "create", "--contract", str(contract), "--idempotency-key", key, "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_help_lists_the_commands(cli: CliRunner) -> None:
    done = cli("--help")
    assert done.returncode == 0
    for command in ("init", "runs", "ledger", "artifacts"):
        assert command in done.stdout


def test_same_key_same_contract_gives_one_run(cli: CliRunner, db: Database) -> None:
    key = _key()
    first = _create(cli, EXAMPLE, key)
    second = _create(cli, EXAMPLE, key)
    assert first["run_id"] == second["run_id"]
    assert (first["created"], second["created"]) == (True, False)
    run_id = first["run_id"]
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT count(*) FROM runs WHERE idempotency_key = :k"), {"k": key}
        )
        events = conn.execute(
            text("SELECT count(*) FROM supervisor_ledger WHERE run_id = :r"), {"r": run_id}
        )
        assert rows.scalar_one() == 1
        assert events.scalar_one() == 1
    ledger = json.loads(cli("ledger", run_id, "--json").stdout)
    [event] = ledger["events"]
    assert (event["stage"], event["decision"]) == ("SUPERVISOR", "accept")
    assert event["outputs_hash"] == first["contract_hash"]


def test_show_and_artifacts(cli: CliRunner) -> None:
    run = _create(cli, EXAMPLE, _key())
    shown = json.loads(cli("runs", "show", run["run_id"], "--json").stdout)
    assert shown["mode"] == "data_mode" and shown["policy_version"] == current_manifest().version
    assert shown["decision_summary"]["event_count"] == 1
    [artifact] = shown["artifacts"]
    assert artifact["kind"] == "run_contract" and artifact["hash"] == run["contract_hash"]
    body = json.loads(cli("artifacts", "show", run["contract_hash"][:16], "--json").stdout)
    assert body["body"]["run_id"] == run["run_id"]
    text_out = cli("runs", "show", run["run_id"]).stdout
    assert run["run_id"] in text_out and "SUPERVISOR" in text_out


def _psql_url(db: Database) -> str:
    """The store's URL as libpq (psql) reads it."""
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE supervisor_ledger SET decision = 'reject' WHERE run_id = '{run}'",
        "DELETE FROM supervisor_ledger WHERE run_id = '{run}'",
    ],
)
def test_psql_cannot_update_or_delete_ledger(cli: CliRunner, db: Database, statement: str) -> None:
    psql = shutil.which("psql")
    require(psql is not None, "the psql client (Debian package postgresql-client)")
    assert psql is not None
    run_id = _create(cli, EXAMPLE, _key())["run_id"]
    done = subprocess.run(
        [psql, _psql_url(db), "-v", "ON_ERROR_STOP=1", "-c", statement.format(run=run_id)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "append-only" in done.stderr
    assert cli("ledger", run_id, "--verify").returncode == 0


def test_verify_names_an_event_edited_behind_the_trigger(
    cli: CliRunner, superuser_sql: Callable[..., None]
) -> None:
    run_id = _create(cli, EXAMPLE, _key())["run_id"]
    event_id = json.loads(cli("ledger", run_id, "--json").stdout)["events"][0]["event_id"]
    superuser_sql(
        "UPDATE supervisor_ledger SET decision = 'reject' WHERE event_id = :e", {"e": event_id}
    )
    done = cli("ledger", run_id, "--verify")
    assert done.returncode == EXIT_DETERMINISTIC
    assert event_id in done.stderr and "DETERMINISTIC_FAILURE" in done.stderr
    assert "Traceback" not in done.stderr


def _without(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != key}


BAD_CONTRACTS: dict[str, tuple[Callable[[dict[str, Any]], object], str]] = {
    "missing key": (lambda d: _without(d, "rbac_actor"), "rbac_actor"),
    "wrong enum": (lambda d: {**d, "mode": "full_send"}, "mode"),
    "data_mode without sample_caps": (lambda d: _without(d, "sample_caps"), "sample_caps"),
    "unknown key": (lambda d: {**d, "moed": "data_mode"}, "moed"),
    "bad semver": (lambda d: {**d, "dsl_version": "one"}, "dsl_version"),
    "unknown profile": (lambda d: {**d, "threshold_profile_id": "tp_nope"}, "threshold_profile_id"),
    "unsupported dsl": (lambda d: {**d, "dsl_version": "2.0.0"}, "dsl_version"),
    "not a mapping": (lambda d: ["a", "list"], "--contract"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONTRACTS))
def test_invalid_contract_names_field_and_writes_nothing(
    cli: CliRunner, db: Database, tmp_path: Path, case: str
) -> None:
    mutate, field = BAD_CONTRACTS[case]
    path = _write(tmp_path, mutate(_doc()))
    before = _counts(db)
    done = cli("runs", "create", "--contract", str(path), "--idempotency-key", _key())
    assert done.returncode == EXIT_DETERMINISTIC, done.stderr
    assert "DETERMINISTIC_FAILURE" in done.stderr and field in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert _counts(db) == before


def test_changed_immutable_field_is_refused(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    key = _key()
    run = _create(cli, EXAMPLE, key)
    changed = {**_doc(), "mode": "metadata_only"}
    path = _write(tmp_path, changed)
    before = _counts(db)
    for args in (
        ("runs", "create", "--contract", str(path), "--idempotency-key", key),
        ("runs", "amend", run["run_id"], "--contract", str(path)),
    ):
        done = cli(*args)
        assert done.returncode == EXIT_DETERMINISTIC, done.stderr
        assert "DETERMINISTIC_FAILURE" in done.stderr
        assert "mode is immutable" in done.stderr
    assert _counts(db) == before


def test_same_key_other_contract_names_the_difference(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    key = _key()
    _create(cli, EXAMPLE, key)
    path = _write(tmp_path, {**_doc(), "audit_tags": ["other"]})
    before = _counts(db)
    done = cli("runs", "create", "--contract", str(path), "--idempotency-key", key)
    assert done.returncode == EXIT_DETERMINISTIC
    assert "audit_tags" in done.stderr
    assert _counts(db) == before


def test_amend_records_a_new_contract_version(cli: CliRunner, tmp_path: Path) -> None:
    run = _create(cli, EXAMPLE, _key())
    path = _write(tmp_path, {**_doc(), "audit_tags": ["demo", "amended"]})
    done = cli("runs", "amend", run["run_id"], "--contract", str(path), "--json")
    assert done.returncode == 0, done.stderr
    amended = json.loads(done.stdout)
    assert amended["changed"] and amended["contract_version"] == 2
    assert amended["contract_hash"] != run["contract_hash"]
    again = json.loads(
        cli("runs", "amend", run["run_id"], "--contract", str(path), "--json").stdout
    )
    assert not again["changed"] and again["contract_version"] == 2
    events = json.loads(cli("ledger", run["run_id"], "--verify", "--json").stdout)
    assert len(events["events"]) == 2 and events["verification"]["ok"]


def test_viewer_may_not_create_runs(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    doc = {**_doc(), "rbac_actor": {"user_id": "vic", "role": "viewer"}}
    before = _counts(db)
    done = cli("runs", "create", "--contract", str(_write(tmp_path, doc)))
    assert done.returncode == EXIT_POLICY
    assert "POLICY_BLOCK" in done.stderr and "rbac_actor.role" in done.stderr
    assert _counts(db) == before


@pytest.mark.parametrize(
    "args",
    [
        ("runs", "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        ("runs", "show", "not-a-run"),
        ("ledger", "'; DROP TABLE runs; --"),
        ("artifacts", "show", "deadbeefdeadbeef"),
    ],
)
def test_unknown_objects_are_clean_errors(cli: CliRunner, args: tuple[str, ...]) -> None:
    done = cli(*args)
    assert done.returncode == EXIT_DETERMINISTIC
    assert done.stderr.startswith("error: DETERMINISTIC_FAILURE")
    assert "Traceback" not in done.stderr


def test_malformed_contract_file(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("mode: [unclosed\n")
    done = cli("runs", "create", "--contract", str(path))
    assert done.returncode == EXIT_DETERMINISTIC and "line" in done.stderr
    binary = tmp_path / "junk.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x01garbage")
    done = cli("runs", "create", "--contract", str(binary))
    assert done.returncode == EXIT_DETERMINISTIC and "Traceback" not in done.stderr


def test_debug_shows_the_traceback(cli: CliRunner) -> None:
    done = cli("--debug", "runs", "show", "not-a-run")
    assert done.returncode == EXIT_DETERMINISTIC
    assert "Traceback" in done.stderr


def test_usage_error_exits_2(cli: CliRunner) -> None:
    done = cli("runs", "create")
    assert done.returncode == 2


def test_start_and_resume_a_run(cli: CliRunner, tmp_path: Path, sqlite_target: str) -> None:
    doc = _doc()  # the example, migrating into a target of this test's own
    doc["lhs"]["location"] = str(EXAMPLE.parent / doc["lhs"]["location"])
    doc["rhs"]["schema_ref"] = str(EXAMPLE.parent / doc["rhs"]["schema_ref"])
    doc["rhs"]["location"] = sqlite_target
    run_id = _create(cli, _write(tmp_path, doc), _key())["run_id"]
    base = str(EXAMPLE.parent)
    held = cli("runs", "start", run_id, "--base", base, "--json")
    assert held.returncode == 0, held.stderr
    answer = json.loads(held.stdout)
    assert answer["status"] == "held" and answer["held"]["stage"] == "ingest"
    assert "__interrupt__" not in answer and answer["decision_summary"]["event_count"] == 4
    assert json.loads(cli("runs", "show", run_id, "--json").stdout)["status"] == "held"
    refused = cli(
        "runs",
        "resume",
        run_id,
        "--decision",
        "accept",
        "--actor",
        "vic",
        "--role",
        "viewer",
        "--base",
        base,
    )
    assert refused.returncode == EXIT_POLICY and "POLICY_BLOCK" in refused.stderr
    done = cli(
        "runs",
        "resume",
        run_id,
        "--decision",
        "accept",
        "--actor",
        "ana",
        "--role",
        "analyst",
        "--base",
        base,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] == "held" and answer["held"]["stage"] == "domains"  # its turn
    for stage in ("mapping", "analysis", "migration", None):
        done = cli(
            *("runs", "resume", run_id, "--decision", "accept"),
            *("--actor", "ana", "--role", "analyst", "--base", base, "--json"),
        )
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        if stage is not None:  # human_confirm_required: every gate waits for a person
            assert answer["status"] == "held" and answer["held"]["stage"] == stage
    assert answer["status"] == "completed"
    assert target_rows(sqlite_target) == 60  # the accepted migration promoted the example
    again = cli(
        "runs",
        "resume",
        run_id,
        "--decision",
        "accept",
        "--actor",
        "ana",
        "--role",
        "analyst",
        "--base",
        base,
    )
    assert again.returncode == EXIT_DETERMINISTIC
    assert (
        again.stderr.startswith("error: DETERMINISTIC_FAILURE") and "Traceback" not in again.stderr
    )
