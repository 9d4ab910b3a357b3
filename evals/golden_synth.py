"""Shared parts of the golden-set generator (``evals/make_golden.py``): fictional names, money
and text rendering, and writing one case folder in the GOLDEN_FORMAT.md layout."""

from __future__ import annotations

import csv
import io
import json
import random
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from evals.golden_cases import GOLDEN

__all__ = [
    "FIRST",
    "LAST",
    "LAST_SPACED",
    "ascii_fold",
    "csv_text",
    "money",
    "pad",
    "person",
    "unique_ids",
    "usd",
    "write_case",
]

FIRST = [
    "Amara",
    "Ana",
    "Andre",
    "Aisha",
    "Caleb",
    "Chen",
    "Daniel",
    "Elena",
    "Farah",
    "Felix",
    "Freya",
    "Grace",
    "Hannah",
    "Hugo",
    "Imani",
    "Ingrid",
    "Jonah",
    "Keiko",
    "Kofi",
    "Lena",
    "Linh",
    "Lucas",
    "Maria",
    "Mateo",
    "Maya",
    "Mei",
    "Nadia",
    "Noor",
    "Omar",
    "Owen",
    "Priya",
    "Rafael",
    "Sofia",
    "Tomas",
    "Victor",
    "Yusuf",
    "Zoe",
    "Wei",
    "Ravi",
    "Olga",
]
LAST = [
    "Abbott",
    "Adeyemi",
    "Bell",
    "Delgado",
    "Duval",
    "Hartmann",
    "Kowalski",
    "Lambert",
    "Moriyama",
    "Novotny",
    "Okafor",
    "Ortega",
    "Osei",
    "Park",
    "Quinlan",
    "Raman",
    "Serrano",
    "Souza",
    "Tanaka",
    "Vance",
    "Whitaker",
    "Whitfield",
    "Zhao",
    "Nguyen",
    "Fischer",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Petrov",
    "Rossi",
]
# family names with a space, for the "Last, First" decomposition
LAST_SPACED = ["De la Cruz", "Van der Berg", "Da Silva", "Mac Donald"]


def money(value: Decimal, scale: int = 2) -> Decimal:
    """Round half away from zero to ``scale`` places (Decimal's ROUND_HALF_UP)."""
    return value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def ascii_fold(s: str) -> str:
    """Lower case without accents (for e-mail local parts)."""
    return unicodedata.normalize("NFKD", s.lower()).encode("ascii", "ignore").decode()


def usd(value: Decimal) -> str:
    """``$1,234.56`` (``-$12.00`` for a negative amount)."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def schema_yaml(table: str, columns: list[dict[str, Any]]) -> str:
    out = [f"table: {table}", "columns:"]
    for c in columns:
        parts = [f"name: {c['name']}", f"type: {q(c['type'])}"]
        if c.get("key"):
            parts.append("key: true")
        if c.get("description"):
            parts.append(f"description: {q(c['description'])}")
        out.append("  - {" + ", ".join(parts) + "}")
    return "\n".join(out) + "\n"


def expected_yaml(columns: list[dict[str, Any]]) -> str:
    out = ["mappings:"]
    for c in columns:
        out.append(f"  {c['name']}: [" + ", ".join(q(s) for s in c["from"]) + "]")
    return "\n".join(out) + "\n"


def case_yaml(name: str) -> str:
    return (
        f"name: {name}\n"
        "mode: data_mode\n"
        "lhs: {type: file, location: lhs.csv}\n"
        "rhs: {type: schema, location: rhs_schema.yaml}\n"
    )


def pad(rng: random.Random, value: str, p: float = 0.12) -> str:
    """Sometimes surround a value with spaces (values may; headers never do)."""
    r = rng.random()
    if r < p / 2:
        return f" {value}"
    if r < p:
        return f"{value}  "
    return value


def write_case(
    name: str,
    table: str,
    columns: list[dict[str, Any]],
    header: list[str],
    lhs: list[list[str]],
    expected: list[list[str]],
) -> None:
    folder = GOLDEN / name
    folder.mkdir(parents=True, exist_ok=True)
    schema_cols = [{k: v for k, v in c.items() if k != "from"} for c in columns]
    files = {
        "case.yaml": case_yaml(name),
        "rhs_schema.yaml": schema_yaml(table, schema_cols),
        "expected.yaml": expected_yaml(columns),
        "lhs.csv": csv_text(header, lhs),
        "expected.csv": csv_text([c["name"] for c in columns], expected),
    }
    for fname, text in files.items():
        (folder / fname).write_text(text, encoding="utf-8", newline="")
    print(f"wrote {name}: {len(lhs)} rows, {len(columns)} target columns")


def unique_ids(rng: random.Random, lo: int, hi: int, n: int) -> list[int]:
    return sorted(rng.sample(range(lo, hi), n))


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)
