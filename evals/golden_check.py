"""``python evals/make_golden.py --check``: every case folder under the golden set is well formed
(YAML parses, headers and mappings agree, expected.csv matches the target schema and its keys)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from evals.golden_cases import GOLDEN, find_cases

__all__ = ["check", "check_case"]


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _check_lhs(header: list[str], rows: list[list[str]]) -> list[str]:
    out = []
    if len(set(header)) != len(header):
        out.append("lhs.csv has duplicate headers")
    if any(h != h.strip() for h in header):
        out.append("lhs.csv has a header with surrounding spaces")
    for i, r in enumerate(rows):
        if len(r) != len(header):
            out.append(f"lhs.csv row {i} has {len(r)} fields, header has {len(header)}")
    return out


def _check_mappings(header: list[str], targets: list[str], expected: dict[str, Any]) -> list[str]:
    out = []
    mappings = expected.get("mappings") or {}
    out += [f"target column {t} has no mappings entry" for t in targets if t not in mappings]
    for t, srcs in mappings.items():
        if t not in targets:
            out.append(f"mappings names {t}, not a target column")
        out += [
            f"mappings {t}: source {s!r} is not a lhs.csv header"
            for s in srcs or []
            if s not in header
        ]
    out += [
        f"domains: {s!r} is not a lhs.csv header"
        for s in expected.get("domains") or {}
        if s not in header
    ]
    return out


def _check_expected_csv(path: Path, targets: list[str], keys: list[str], n_rows: int) -> list[str]:
    if not keys:
        return ["expected.csv but the target schema has no key column"]
    eh, erows = _read_csv(path)
    if eh != targets:
        return [f"expected.csv header {eh} != target columns {targets}"]
    out = []
    if len(erows) != n_rows:
        out.append(f"expected.csv has {len(erows)} rows, lhs.csv {n_rows}")
    kix = [eh.index(k) for k in keys]
    seen = set()
    for i, r in enumerate(erows):
        if len(r) != len(eh):
            out.append(f"expected.csv row {i} has {len(r)} fields")
            continue
        kv = tuple(r[j] for j in kix)
        if "" in kv:
            out.append(f"expected.csv row {i} has an empty key")
        if kv in seen:
            out.append(f"expected.csv key {kv} is not unique")
        seen.add(kv)
        out += [f"expected.csv row {i} has an untrimmed value {v!r}" for v in r if v != v.strip()]
    return out


def check_case(folder: Path) -> list[str]:
    """The problems of one case folder (empty when it is well formed)."""
    import yaml

    try:
        case = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
        schema = yaml.safe_load((folder / "rhs_schema.yaml").read_text(encoding="utf-8"))
        expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    except Exception as e:  # noqa: BLE001 - report any unreadable file
        return [f"YAML does not parse: {e}"]
    header, rows = _read_csv(folder / str((case.get("lhs") or {}).get("location", "lhs.csv")))
    targets = [c["name"] for c in schema["columns"]]
    keys = [c["name"] for c in schema["columns"] if c.get("key")]
    out = _check_lhs(header, rows) + _check_mappings(header, targets, expected)
    if (folder / "expected.csv").exists():
        if case.get("mode", "data_mode") != "data_mode":
            out.append("expected.csv in a case that is not data_mode")
        out += _check_expected_csv(folder / "expected.csv", targets, keys, len(rows))
    return out


def check(root: Path = GOLDEN) -> int:
    """Validate every case under ``root``; print problems; return how many there were."""
    folders = find_cases(root)
    problems = [
        f"{folder.relative_to(root).as_posix()}: {msg}"
        for folder in folders
        for msg in check_case(folder)
    ]
    for p in problems:
        print("PROBLEM", p)
    print(f"checked {len(folders)} cases under {root}: {len(problems)} problem(s)")
    return len(problems)
