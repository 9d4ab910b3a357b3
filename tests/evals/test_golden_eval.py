"""``conduit eval DIR``: a case written by someone else runs unchanged; the figures are real."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from artifacts.store import PostgresArtifactStore
from core.db import Database
from evals.mapping import PairCounts, mapping_counts, prf
from ledger.store import PostgresLedger
from tests.conftest import CliRunner


def _write_case(root: Path) -> Path:
    case = root / "acme_payments"
    case.mkdir(parents=True)
    (case / "case.yaml").write_text(
        textwrap.dedent(
            """\
            name: acme_payments
            mode: data_mode
            lhs: {type: file, location: lhs.csv}
            rhs: {type: schema, location: rhs_schema.yaml}
            owner: someone else   # an unknown key: ignored
            """
        )
    )
    (case / "rhs_schema.yaml").write_text(
        textwrap.dedent(
            """\
            table: payment
            columns:
              - {name: payment_id, type: string, key: true}
              - {name: paid_on, type: date}
              - {name: amount, type: "decimal(12,2)"}
              - {name: email, type: string}
              - {name: full_name, type: string, description: "given name then family name"}
              - {name: notes, type: string}
            """
        )
    )
    lines = ["Payment Ref,Pay Date,First,Last,Amt,E-mail"]
    expected = ["payment_id,paid_on,amount,email,full_name,notes"]
    people = [("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper")]
    for i in range(36):
        first, last = people[i % 3]
        day = i % 28 + 1
        amount = f"{1000 + 37 * i}.{i % 100:02d}"
        email = f"{first.lower()}{i}@example.org"
        money = f"${1000 + 37 * i:,}.{i % 100:02d}"
        lines.append(f'P-{i:04d},{day:02d}/04/2026,{first},{last},"{money}",{email}')
        expected.append(f"P-{i:04d},2026-04-{day:02d},{amount},{email},{first} {last},")
    (case / "lhs.csv").write_text("\n".join(lines) + "\n")
    (case / "expected.csv").write_text("\n".join(expected) + "\n")
    (case / "expected.yaml").write_text(
        textwrap.dedent(
            """\
            mappings:
              payment_id: ["Payment Ref"]
              paid_on: ["Pay Date"]
              amount: ["Amt"]
              email: ["E-mail"]
              full_name: ["First", "Last"]
              notes: []
            """
        )
    )
    return case


def test_a_new_case_in_the_golden_format_runs_unchanged(
    tmp_path: Path, cli: CliRunner, db: Database
) -> None:
    _write_case(tmp_path / "set")
    done = cli("eval", str(tmp_path / "set"), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    summary, (case,) = report["summary"], report["cases"]
    assert summary["cases"] == 1 and summary["errors"] == 0
    assert case["error"] is None and case["run_id"]
    plan = {c["target"]: c for c in case["plan"]}
    assert plan["full_name"]["sources"] == ["First", "Last"]
    assert plan["notes"]["decision"] == "unmapped"
    assert summary["mapping"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    # Every expected cell came out of the accepted plan run over the whole source.
    assert summary["cells"] == 1.0 and case["cells"] == 1.0
    # The eval itself is recorded: an artifact and a ledger event on the eval chain.
    with db.connect() as conn:
        stored = PostgresArtifactStore(conn).get(report["eval"]["artifact"])
        events = PostgresLedger(conn).events("eval")
    assert stored.meta.kind == "eval_report"
    assert stored.body["summary"]["mapping"]["f1"] == 1.0
    assert any(e.outputs_hash == stored.meta.ref.hash for e in events)


def test_a_wrong_expected_cell_lowers_cell_accuracy(tmp_path: Path, cli: CliRunner) -> None:
    case = _write_case(tmp_path / "set")
    rows = (case / "expected.csv").read_text().splitlines()
    rows[1] = rows[1].replace("Ada Lovelace", "Ada Byron")  # one of 36 x 6 cells
    (case / "expected.csv").write_text("\n".join(rows) + "\n")
    report = json.loads(cli("eval", str(tmp_path / "set"), "--json").stdout)
    assert report["summary"]["cells"] == round(215 / 216, 4)


def test_mapping_counts_follow_the_golden_format() -> None:
    plan = {
        "columns": [
            {"target": "a", "sources": ["x"], "decision": "accept"},
            {"target": "b", "sources": ["y"], "decision": "hold"},  # held: a miss
            {"target": "c", "sources": ["z"], "decision": "accept"},  # wrong source
            {"target": "d", "sources": [], "decision": "unmapped"},  # [] and nothing: a hit
            {"target": "e", "sources": ["w"], "decision": "accept"},  # [] expected: a FP
            {"target": "f", "sources": ["q", "p"], "decision": "accept"},  # order matters
        ]
    }
    expected = {"a": ["x"], "b": ["y"], "c": ["x"], "d": [], "e": [], "f": ["p", "q"]}
    counts = mapping_counts(plan, expected)
    assert counts == PairCounts(hits=2, false_positives=3, misses=3)
    assert prf(counts) == {"precision": 0.4, "recall": 0.4, "f1": 0.4}
    assert mapping_counts(None, {"a": ["x"], "d": []}) == PairCounts(1, 0, 1)


def test_nightly_runs_every_routing_profile_and_compares_with_the_last(
    tmp_path: Path, cli: CliRunner
) -> None:
    _write_case(tmp_path / "set")
    first = json.loads(cli("eval", str(tmp_path / "set"), "--nightly", "--json").stdout)
    profiles = [r["routing_profile"] for r in first["runs"]]
    assert profiles == ["quality_first", "cost_first", "latency_first", "offline_first"]
    assert all(r["previous"] is None and r["delta"] is None for r in first["runs"])
    second = json.loads(cli("eval", str(tmp_path / "set"), "--nightly", "--json").stdout)
    for before, after in zip(first["runs"], second["runs"], strict=True):
        assert after["previous"] == before["eval"]["artifact"]  # the same set, same profile
        assert after["delta"]["mapping_f1"] == 0.0 and after["delta"]["cells"] == 0.0


def test_cells_compare_iso_values_and_read_a_bom(tmp_path: Path) -> None:
    import polars as pl

    from core.target_schema import parse_target_schema
    from evals.mapping import cell_accuracy

    target = parse_target_schema(
        {
            "table": "t",
            "columns": [
                {"name": "id", "type": "string", "key": True},
                {"name": "at", "type": "timestamp"},
                {"name": "ok", "type": "boolean"},
                {"name": "n", "type": "decimal(6,2)"},
            ],
        }
    )
    expected = tmp_path / "expected.csv"
    expected.write_text(
        "\ufeffid,at,ok,n\n1,2026-01-02T10:00Z,maybe,1.5\n2,2026-01-02T10:00:00,true,2\n",
        encoding="utf-8",
    )
    produced = pl.DataFrame(
        {
            "id": ["1", "2"],
            "at": ["2026-01-02T10:00:00", "2026-01-02 10:00"],
            "ok": ["false", "true"],
            "n": ["1.50", "2.00"],
        }
    )
    # "maybe" is not False; every other cell is equal by value.
    assert cell_accuracy(produced, expected, target) == (7, 8)


def test_a_case_with_a_bad_mapping_value_is_an_error_of_that_case_only(
    tmp_path: Path, cli: CliRunner
) -> None:
    good = _write_case(tmp_path / "set")
    bad = tmp_path / "set" / "broken"
    bad.mkdir()
    for name in ("case.yaml", "rhs_schema.yaml", "lhs.csv"):
        (bad / name).write_text((good / name).read_text())
    (bad / "expected.yaml").write_text("mappings:\n  email: E-mail\n")  # a string, not a list
    report = json.loads(cli("eval", str(tmp_path / "set"), "--json").stdout)
    errors = {c["name"]: c["error"] for c in report["cases"]}
    assert errors["acme_payments"] is None
    assert "mappings.email must be a list" in errors["broken"]
    assert report["summary"]["errors"] == 1
