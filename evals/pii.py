"""The PII golden-set eval: recall and precision over cells, beside vanilla Presidio.

A case is a folder holding ``table.csv`` (a table as a user uploads it) and ``labels.csv``
(``row,column,entity``: the cells that are personal data); see ``GOLDEN_FORMAT.md``. A cell counts
as found when the masking pipeline would mask it before any model call. The baseline is Presidio
as shipped: every predefined recognizer, the same spaCy model (the one installed here), each cell
analyzed alone, found when any entity is returned.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from core.csvtable import read_csv_table
from core.errors import ConduitError, ContractError
from policy.manifest import Entity, PiiDetection
from policy.pii.detect import detect_table

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

__all__ = [
    "PII_GOLDEN",
    "Case",
    "load_cases",
    "per_entity_table",
    "run_pii_eval",
    "vanilla_presidio",
]

#: The project's own PII golden set.
PII_GOLDEN = Path(__file__).parent / "golden" / "pii"
_ENTITIES = frozenset(get_args(Entity))

Cell = tuple[int, str]
Table = dict[str, list[str | None]]


@dataclass(frozen=True)
class Case:
    name: str
    table: Table
    labels: dict[Cell, str]


def _read_labels(path: Path, table: Table) -> dict[Cell, str]:
    labels: dict[Cell, str] = {}
    rows = len(next(iter(table.values()), []))
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or set(reader.fieldnames) < {"row", "column", "entity"}:
                raise ContractError(f"{path} has no header `row,column,entity`", field=str(path))
            records = list(reader)
    except (UnicodeDecodeError, csv.Error) as e:
        raise ContractError(f"cannot read {path}: {e}", field=str(path)) from None
    for n, rec in enumerate(records, start=2):
        try:
            cell = (int(rec["row"]), rec["column"])
            entity = rec["entity"].strip()
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ContractError(f"{path}:{n} is not `row,column,entity`", field=str(path)) from None
        if entity not in _ENTITIES or cell[1] not in table or not 0 <= cell[0] < rows:
            raise ContractError(f"{path}:{n}: unknown entity, column or row: {dict(rec)}")
        if cell in labels:
            raise ContractError(f"{path}:{n}: the cell {cell} is labeled twice", field=str(path))
        labels[cell] = entity
    return labels


def load_cases(root: Path) -> tuple[list[Case], list[dict[str, str]]]:
    """Every case under ``root`` (a folder holding ``table.csv``), and one error per bad case."""
    cases, errors = [], []
    for table_path in sorted(root.rglob("table.csv")):
        folder = table_path.parent
        name = str(folder.relative_to(root)) if folder != root else folder.name
        try:
            table = read_csv_table(table_path)
            labels_path = folder / "labels.csv"
            labels = _read_labels(labels_path, table) if labels_path.exists() else {}
        except (ContractError, UnicodeDecodeError, csv.Error) as e:
            errors.append({"case": name, "error": str(e)})
            continue
        cases.append(Case(name, table, labels))
    return cases, errors


Finder = Callable[[Table], set[Cell]]


def _pipeline(detection: PiiDetection) -> Finder:
    def find(table: Table) -> set[Cell]:
        found = detect_table(table, detection=detection)
        return {(row, column) for column, cells in found.cells.items() for row in cells}

    return find


def _vanilla(engine: AnalyzerEngine) -> Finder:
    def find(table: Table) -> set[Cell]:
        return {
            (row, column)
            for column, values in table.items()
            for row, value in enumerate(values)
            if value and engine.analyze(value, language="en")
        }

    return find


def vanilla_presidio() -> AnalyzerEngine:
    """Presidio's default recognizers with the installed spaCy model (the default configuration
    asks for ``en_core_web_lg``, which cannot be downloaded here)."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from policy.pii.ner import MODEL

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": MODEL}],
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def _score(cases: Iterable[Case], find: Finder) -> dict[str, Any]:
    total: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    false_pos: Counter[str] = Counter()
    found_all = 0
    failed: list[dict[str, str]] = []
    for case in cases:
        try:
            found = find(case.table)
        except ConduitError as e:  # one case's failure never stops the others
            failed.append({"case": case.name, "error": e.one_line()})
            continue
        found_all += len(found)
        for cell, entity in case.labels.items():
            total[entity] += 1
            hit[entity] += cell in found
        for _row, column in found - case.labels.keys():
            false_pos[f"{case.name}/{column}"] += 1
    n, k = sum(total.values()), sum(hit.values())
    return {
        "overall": {
            "recall": _ratio(k, n),
            "precision": _ratio(k, found_all),
            "cells": n,
            "found": found_all,
        },
        "by_entity": {
            e: {"recall": _ratio(hit[e], total[e]), "found": hit[e], "total": total[e]}
            for e in sorted(total)
        },
        "false_positives_by_column": dict(sorted(false_pos.items())),
        "errors": failed,
    }


def _ratio(a: int, b: int) -> float | None:
    """``a / b`` to 4 places; None (JSON null) when there is nothing to divide."""
    return round(a / b, 4) if b else None


def run_pii_eval(
    root: Path | None = None,
    *,
    detection: PiiDetection | None = None,
    baseline: bool = True,
    ablation: bool = True,
) -> dict[str, Any]:
    """Score the masking pipeline (and vanilla Presidio, unless not wanted) on ``root``."""
    cases, errors = load_cases(root or PII_GOLDEN)
    if not cases and not errors:
        raise ContractError(f"no PII case (a folder with table.csv) under {root}", field="DIR")
    if not cases:
        first = errors[0]
        raise ContractError(
            f"no PII case under {root} could be read ({len(errors)} refused; first: "
            f"{first['case']}: {first['error']})",
            field="DIR",
        )
    detection = detection or PiiDetection()
    started = time.perf_counter()
    report = _score(cases, _pipeline(detection))
    report["seconds"] = round(time.perf_counter() - started, 2)
    report["cases"] = len(cases) - len(report["errors"])
    report["errors"] = errors + report["errors"]
    if ablation and detection.ner:
        without = _score(cases, _pipeline(detection.model_copy(update={"ner": False})))
        report["without_ner"] = {"overall": without["overall"], "by_entity": without["by_entity"]}
    if baseline:
        report["baseline"] = _score(cases, _vanilla(vanilla_presidio()))
    return report


def per_entity_table(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (entity, found/total, recall, baseline recall) for the human-readable output."""
    base = report.get("baseline", {}).get("by_entity", {})
    rows = []
    for entity, m in sorted(report["by_entity"].items()):
        b = base.get(entity)
        rows.append(
            (
                entity,
                f"{m['found']}/{m['total']}",
                _fmt(m["recall"]),
                "" if b is None else _fmt(b["recall"]),
            )
        )
    return rows


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
