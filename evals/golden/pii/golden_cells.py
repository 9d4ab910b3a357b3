"""Labeled cells and tables: what the table generators build and ``make_golden.py`` writes.

A cell is a plain ``str`` (not personal data) or a ``Pii`` (its value and entity kind).
``Table.add`` turns a row of cells into a CSV row plus the labels of its non-empty ``Pii`` cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .golden_values import R

PERSON = "PERSON"
EMAIL = "EMAIL_ADDRESS"
PHONE = "PHONE_NUMBER"
CARD = "CREDIT_CARD"
IBAN = "IBAN_CODE"
SSN = "US_SSN"
BANK = "US_BANK_NUMBER"
ABA = "ABA_ROUTING_NUMBER"
IP = "IP_ADDRESS"
URL = "URL"
DOB = "DATE_OF_BIRTH"
STREET = "STREET_ADDRESS"
TAX = "TAX_ID"
OTHER = "OTHER_ID"
ENTITIES = (PERSON, EMAIL, PHONE, CARD, IBAN, SSN, BANK, ABA, IP, URL, DOB, STREET, TAX, OTHER)

# A free-text cell that holds several kinds is labeled with the first of them in this order.
PRECEDENCE = (CARD, SSN, IBAN, BANK, ABA, TAX, OTHER, DOB, STREET, EMAIL, PHONE, IP, URL, PERSON)


class Pii(NamedTuple):
    """A cell value that is personal data of kind ``entity`` (unlabeled cells are plain str)."""

    value: str
    entity: str


Cell = str | Pii


def main_kind(kinds: Sequence[str]) -> str:
    return min(kinds, key=PRECEDENCE.index)


def text(*parts: Cell) -> Cell:
    """Join parts into one free-text cell, labeled with the main kind of its PII parts."""
    value = "".join(part.value if isinstance(part, Pii) else part for part in parts)
    kinds = [part.entity for part in parts if isinstance(part, Pii)]
    return Pii(value, main_kind(kinds)) if kinds else value


def blank(rng: R, cell: Cell, p: float) -> Cell:
    """Drop the value with probability ``p`` (a missing value is never labeled)."""
    if rng.random() >= p:
        return cell
    return Pii("", cell.entity) if isinstance(cell, Pii) else ""


@dataclass
class Table:
    name: str
    columns: tuple[str, ...] = ()
    rows: list[list[str]] = field(default_factory=list)
    labels: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, cells: dict[str, Cell]) -> None:
        if not self.columns:
            self.columns = tuple(cells)
        if tuple(cells) != self.columns:
            raise ValueError(f"{self.name}: row columns differ from {self.columns}")
        index = len(self.rows)
        values = []
        for column, cell in cells.items():
            if isinstance(cell, Pii):
                if cell.value:
                    self.labels.append((index, column, cell.entity))
                values.append(cell.value)
            else:
                values.append(cell)
        self.rows.append(values)
