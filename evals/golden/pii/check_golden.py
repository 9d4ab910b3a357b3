"""Validate the table PII golden set and print its label counts.

Usage::

    .venv/bin/python evals/golden/pii/check_golden.py [ROOT]

ROOT defaults to the folder of this file. Every subfolder holding a ``table.csv`` is a case. The
checks follow the contract in README.md: canonical CSV (UTF-8, no BOM, ``\\n`` line endings,
the csv module's minimal quoting), unique header names, rectangular rows, a ``row,column,entity``
labels header, labels that point at existing non-empty cells, known entity names, at most one
label per cell, and check digits for labeled CREDIT_CARD (Luhn), IBAN_CODE (mod 97),
ABA_ROUTING_NUMBER (ABA checksum) and US_SSN (area/group/serial) cells. It also checks the
coverage targets of the set as a whole. Exit status 1 when anything fails.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ENTITIES = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "US_BANK_NUMBER",
    "ABA_ROUTING_NUMBER",
    "IP_ADDRESS",
    "URL",
    "DATE_OF_BIRTH",
    "STREET_ADDRESS",
    "TAX_ID",
    "OTHER_ID",
)
LABELS_HEADER = ["row", "column", "entity"]

MIN_LABELED = 900
MIN_PER_ENTITY = 25
MIN_PERSON = 120
MIN_UNLABELED_RATIO = 2.5

# IBAN length per country (ISO 13616 registry) for the countries the set may use.
IBAN_LENGTHS = {"GB": 22, "DE": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27, "BE": 16, "IE": 22}
DIGIT_RUN = re.compile(r"\d(?:[ -]?\d)*")
IBAN_START = re.compile(r"\b([A-Z]{2})(\d{2})")


# ---- check digits ----


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 == 1 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def card_prefix_ok(number: str) -> bool:
    """Visa, Mastercard, American Express or Discover prefix and length."""
    n = len(number)
    if number.startswith("4"):
        return n in (13, 16, 19)
    if number[:2] in ("34", "37"):
        return n == 15
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return n == 16
    if number.startswith("6011") or number.startswith("65") or 644 <= int(number[:3]) <= 649:
        return 16 <= n <= 19
    return False


def iban_ok(compact: str) -> bool:
    if len(compact) != IBAN_LENGTHS.get(compact[:2], -1) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def aba_ok(number: str) -> bool:
    if len(number) != 9 or not number.isdigit():
        return False
    d = [int(ch) for ch in number]
    weighted = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]
    return weighted % 10 == 0


def ssn_ok(number: str) -> bool:
    area, group, serial = int(number[:3]), int(number[3:5]), int(number[5:])
    return 0 < area < 900 and area != 666 and group != 0 and serial != 0


def digit_runs(cell: str) -> list[str]:
    """Digit sequences in ``cell``, allowing single spaces or dashes between digits."""
    return [re.sub(r"[ -]", "", run) for run in DIGIT_RUN.findall(cell)]


def has_card(cell: str) -> bool:
    return any(
        13 <= len(run) <= 19 and card_prefix_ok(run) and luhn_ok(run) for run in digit_runs(cell)
    )


def has_iban(cell: str) -> bool:
    for match in IBAN_START.finditer(cell):
        compact = re.sub(r" ", "", cell[match.start() : match.start() + 50])
        length = IBAN_LENGTHS.get(match.group(1))
        if length and iban_ok(compact[:length]):
            return True
    return False


def has_aba(cell: str) -> bool:
    return any(len(run) == 9 and aba_ok(run) for run in digit_runs(cell))


def has_ssn(cell: str) -> bool:
    return any(len(run) == 9 and ssn_ok(run) for run in digit_runs(cell))


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "CREDIT_CARD": has_card,
    "IBAN_CODE": has_iban,
    "ABA_ROUTING_NUMBER": has_aba,
    "US_SSN": has_ssn,
}


# ---- files ----


def read_canonical_csv(path: Path, errors: list[str]) -> list[list[str]]:
    """Parse ``path``; report anything that is not UTF-8 with minimal quoting and ``\\n``."""
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        errors.append(f"{path}: starts with a byte order mark")
    if b"\r" in raw:
        errors.append(f"{path}: contains \\r (line endings must be \\n)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(f"{path}: not UTF-8 ({exc})")
        return []
    rows = list(csv.reader(io.StringIO(text, newline="")))
    again = io.StringIO()
    csv.writer(again, lineterminator="\n").writerows(rows)
    if again.getvalue() != text:
        errors.append(f"{path}: not in canonical csv-module form (quoting or final newline)")
    return rows


@dataclass
class CaseStats:
    name: str
    rows: int = 0
    labeled: Counter[str] = field(default_factory=Counter)
    unlabeled_non_empty: int = 0


def check_labels(
    folder: Path, table: list[list[str]], labels: list[list[str]], errors: list[str]
) -> dict[tuple[int, str], str]:
    header, body = table[0], table[1:]
    found: dict[tuple[int, str], str] = {}
    for line, label in enumerate(labels[1:], start=2):
        where = f"{folder.name}/labels.csv:{line}"
        if len(label) != 3:
            errors.append(f"{where}: expected 3 fields, got {label}")
            continue
        row_text, column, entity = label
        if not row_text.isdigit() or str(int(row_text)) != row_text:
            errors.append(f"{where}: row {row_text!r} is not a 0-based integer")
            continue
        row = int(row_text)
        if row >= len(body):
            errors.append(f"{where}: row {row} out of range (table has {len(body)} rows)")
        elif column not in header:
            errors.append(f"{where}: unknown column {column!r}")
        elif entity not in ENTITIES:
            errors.append(f"{where}: unknown entity {entity!r}")
        elif (row, column) in found:
            errors.append(f"{where}: cell ({row}, {column}) labeled twice")
        else:
            cell = body[row][header.index(column)]
            if not cell.strip():
                errors.append(f"{where}: label on an empty cell")
            elif entity in VALIDATORS and not VALIDATORS[entity](cell):
                errors.append(f"{where}: {cell!r} is not a valid {entity}")
            found[(row, column)] = entity
    return found


def check_case(folder: Path, errors: list[str]) -> CaseStats:
    stats = CaseStats(folder.name)
    labels_path = folder / "labels.csv"
    if not labels_path.is_file():
        errors.append(f"{folder.name}: labels.csv is missing")
        return stats
    table = read_canonical_csv(folder / "table.csv", errors)
    labels = read_canonical_csv(labels_path, errors)
    if not table or not labels:
        errors.append(f"{folder.name}: empty table.csv or labels.csv")
        return stats
    header = table[0]
    if len(set(header)) != len(header) or not all(name.strip() for name in header):
        errors.append(f"{folder.name}: header names must be unique and non-empty: {header}")
    for number, row in enumerate(table[1:]):
        if len(row) != len(header):
            errors.append(
                f"{folder.name}: data row {number} has {len(row)} fields, not {len(header)}"
            )
    if labels[0] != LABELS_HEADER:
        errors.append(f"{folder.name}: labels header is {labels[0]}, not {LABELS_HEADER}")
    found = check_labels(folder, table, labels, errors)
    stats.rows = len(table) - 1
    stats.labeled.update(found.values())
    stats.unlabeled_non_empty = sum(
        1
        for number, row in enumerate(table[1:])
        for column, cell in zip(header, row, strict=False)
        if cell.strip() and (number, column) not in found
    )
    return stats


def check_targets(cases: list[CaseStats], errors: list[str]) -> None:
    totals: Counter[str] = sum((case.labeled for case in cases), Counter())
    labeled = sum(totals.values())
    unlabeled = sum(case.unlabeled_non_empty for case in cases)
    if labeled < MIN_LABELED:
        errors.append(f"target: {labeled} labeled cells, want at least {MIN_LABELED}")
    for entity in ENTITIES:
        want = MIN_PERSON if entity == "PERSON" else MIN_PER_ENTITY
        if totals[entity] < want:
            errors.append(f"target: {totals[entity]} {entity} cells, want at least {want}")
    if unlabeled < MIN_UNLABELED_RATIO * labeled:
        errors.append(f"target: {unlabeled} unlabeled cells < {MIN_UNLABELED_RATIO} x {labeled}")


def report(cases: list[CaseStats]) -> None:
    width = max(len(case.name) for case in cases)
    print(f"{'case':<{width}}  rows  labeled  unlabeled")
    for case in cases:
        labeled = sum(case.labeled.values())
        print(f"{case.name:<{width}}  {case.rows:>4}  {labeled:>7}  {case.unlabeled_non_empty:>9}")
    totals: Counter[str] = sum((case.labeled for case in cases), Counter())
    labeled = sum(totals.values())
    unlabeled = sum(case.unlabeled_non_empty for case in cases)
    print("\nper entity:")
    for entity in ENTITIES:
        generated = sum(c.labeled[entity] for c in cases if c.name.startswith("gen_"))
        hand = totals[entity] - generated
        print(f"  {entity:<20} {totals[entity]:>5}  (gen {generated}, hand {hand})")
    ratio = unlabeled / labeled if labeled else 0.0
    print(
        f"\n{len(cases)} cases, {sum(c.rows for c in cases)} rows, {labeled} labeled cells, "
        f"{unlabeled} unlabeled non-empty cells (ratio {ratio:.2f})"
    )


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    errors: list[str] = []
    folders = sorted(path.parent for path in root.glob("*/table.csv"))
    if not folders:
        print(f"no cases under {root}")
        return 1
    cases = [check_case(folder, errors) for folder in folders]
    report(cases)
    check_targets(cases, errors)
    for error in errors:
        print(f"ERROR {error}")
    print("FAILED" if errors else "OK")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
