"""``conduit domains ...``, run as a user runs it (a subprocess), on a database of its own so the
catalog it promotes is live for no other test."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from core.db import Database
from core.errors import CODES
from specialists.domains.promotion import Feedback, record_feedback
from tests.conftest import CONDUIT, ROOT, CliRunner
from tests.specialists.test_domain_promotion import borderline_header, fresh_database

EXIT_DETERMINISTIC = CODES["DETERMINISTIC_FAILURE"].exit_code
EXIT_POLICY = CODES["POLICY_BLOCK"].exit_code


@pytest.fixture
def own(db: Database, cli_env: dict[str, str]) -> Iterator[tuple[Database, CliRunner]]:
    with fresh_database(db) as store:
        env = dict(cli_env)
        env["CONDUIT_DATABASE_URL"] = store.engine.url.render_as_string(hide_password=False)

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(CONDUIT), *args],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
            )

        yield store, run


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _error(done: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert done.returncode == code, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and text in line, line


def test_feedback_stage_test_promote(own: tuple[Database, CliRunner]) -> None:
    store, cli = own
    header, domain = borderline_header()
    for _ in range(19):
        record_feedback(
            store, Feedback(header, domain, "accept", domain), actor="ana", role="analyst"
        )
    before = _json(cli("domains", "show", "--json"))
    assert (before["version"], before["bundled"]) == ("1.0.0", True)
    assert cli("domains", "list").stdout.startswith("no stored versions")

    done = _json(
        cli("domains", "feedback", header, domain, "--proposed", domain,
            "--actor", "ana", "--role", "analyst", "--run", "R1", "--json")
    )  # fmt: skip
    assert done["verdict"] == "accept"
    [proposal] = _json(cli("domains", "proposals", "--json"))
    assert (proposal["header"], proposal["domain_id"]) == (header, domain)
    assert (proposal["support"], proposal["auto"]) == (20, True)

    staged = _json(
        cli("domains", "stage", "--auto", "--actor", "ana", "--role", "analyst", "--json")
    )
    assert (staged["version"], staged["status"], len(staged["feedback_ids"])) == (
        "1.1.0",
        "staged",
        20,
    )
    _error(
        cli("domains", "promote", "1.1.0", "--actor", "ana", "--role", "analyst"),
        EXIT_DETERMINISTIC,
        "has not been tested",
    )
    report = _json(cli("domains", "test", "1.1.0", "--json"))
    assert report["passed"] is True and report["regressions"] == []
    _error(
        cli("domains", "promote", "1.1.0", "--actor", "vic", "--role", "viewer"),
        EXIT_POLICY,
        "POLICY_BLOCK",
    )
    promoted = _json(
        cli("domains", "promote", "1.1.0", "--actor", "ana", "--role", "analyst", "--json")
    )
    assert (promoted["status"], promoted["promoted_by"]) == ("live", "ana")

    after = _json(cli("domains", "show", "--json"))
    assert (after["version"], after["bundled"]) == ("1.1.0", False)
    assert after["cache_key"] != before["cache_key"] and after["hash"] != before["hash"]
    [row] = _json(cli("domains", "list", "--json"))
    assert (row["version"], row["status"]) == ("1.1.0", "live")
    shown = _json(cli("domains", "show", "1.1.0", "--json"))
    assert shown["evaluation"]["passed"] is True and shown["deltas"][0]["value"] == header


def test_bad_input_is_refused(own: tuple[Database, CliRunner]) -> None:
    _, cli = own
    _error(
        cli("domains", "stage", "--alias", "nope.nothing=Foo", "--actor", "a", "--role", "analyst"),
        EXIT_DETERMINISTIC,
        "nope.nothing",
    )
    _error(
        cli("domains", "stage", "--alias", "no-equals", "--actor", "a", "--role", "analyst"),
        EXIT_DETERMINISTIC,
        "DOMAIN=TEXT",
    )
    _error(cli("domains", "show", "7.7.7"), EXIT_DETERMINISTIC, "7.7.7")
    _error(cli("domains", "test", "7.7.7"), EXIT_DETERMINISTIC, "7.7.7")
