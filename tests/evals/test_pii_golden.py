"""The PII golden set: the masking pipeline meets the issue's targets, and the set is sound."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evals.pii import PII_GOLDEN, load_cases, run_pii_eval

ENTITIES = 14


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return run_pii_eval(baseline=False)


def test_golden_set_is_valid_and_large_enough() -> None:
    checker = PII_GOLDEN / "check_golden.py"
    done = subprocess.run([sys.executable, str(checker)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    cases, errors = load_cases(PII_GOLDEN)
    assert errors == []
    labels = [e for case in cases for e in case.labels.values()]
    assert len(labels) >= 600
    assert len(set(labels)) >= 12


def test_recall_and_precision_meet_the_targets(report: dict[str, object]) -> None:
    overall = report["overall"]
    assert isinstance(overall, dict)
    assert overall["recall"] >= 0.98, overall
    assert overall["precision"] >= 0.97, overall
    by_entity = report["by_entity"]
    assert isinstance(by_entity, dict) and len(by_entity) == ENTITIES


def test_without_ner_is_reported_and_worse_on_persons(report: dict[str, object]) -> None:
    without = report["without_ner"]
    by_entity = report["by_entity"]
    assert isinstance(without, dict) and isinstance(by_entity, dict)
    assert without["by_entity"]["PERSON"]["recall"] < by_entity["PERSON"]["recall"]


def test_generator_is_deterministic(tmp_path: Path) -> None:
    """`make_golden.py` rewrites exactly the committed generated cases."""
    copy = tmp_path / "pii"
    copy.mkdir()
    # make_golden.py imports the modules beside it, so copy every module of the folder.
    for module in PII_GOLDEN.glob("*.py"):
        (copy / module.name).write_bytes(module.read_bytes())
    done = subprocess.run([sys.executable, str(copy / "make_golden.py")], capture_output=True)
    assert done.returncode == 0, done.stderr
    generated = sorted(p.relative_to(copy) for p in copy.glob("gen_*/*.csv"))
    assert generated, "the generator wrote nothing"
    for rel in generated:
        assert (copy / rel).read_bytes() == (PII_GOLDEN / rel).read_bytes(), rel
