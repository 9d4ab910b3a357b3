"""Generate the synthetic cases of the table PII golden set.

Usage::

    .venv/bin/python evals/golden/pii/make_golden.py

Writes ``gen_<name>/table.csv`` and ``gen_<name>/labels.csv`` next to this file, one folder per
finance-themed table. Everything is drawn from one ``random.Random(SEED)`` in a fixed order, so
running the script twice gives byte-identical files. Only the standard library is used (no Faker,
no network): every name, street, company and city comes from the lists of ``golden_words.py``.
The labeling conventions are in README.md next to this file; ``check_golden.py`` validates the
result.

This file is the entry point: the table list, in call order, and the output. The rest is split by
concept into the modules beside it: ``golden_cells`` (labeled cells and tables), ``golden_words``
(word lists), ``golden_values`` (valid values: dates, names, addresses, numbers with check digits),
``golden_records`` and ``golden_ledgers`` (one generator function per table).
"""

from __future__ import annotations

import csv
import importlib.machinery
import importlib.util
import random
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

SEED = 20261122
HERE = Path(__file__).resolve().parent


def folder_as_package(name: str, folder: Path) -> ModuleType:
    """An empty package ``name`` whose submodules are the ``*.py`` files of ``folder``."""
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(folder)]
    return importlib.util.module_from_spec(spec)


# The modules beside this file import each other relatively, as one package. mypy checks them as
# the package ``evals.golden.pii``. Run as a script (from any directory, or from a copy of this
# folder), this file has no package, so it imports them as the package ``golden_pii`` made from
# its own folder; the ``golden_`` names clash with nothing else importable.
if TYPE_CHECKING:
    from .golden_cells import ENTITIES, Table
    from .golden_ledgers import (
        bank_transactions,
        card_transactions,
        gl_lines,
        invoices,
        wire_transfers,
    )
    from .golden_records import (
        customers,
        employees,
        kyc_applications,
        support_tickets,
        vendors,
        web_access_log,
    )
    from .golden_values import R
else:
    sys.modules["golden_pii"] = folder_as_package("golden_pii", HERE)
    from golden_pii.golden_cells import ENTITIES, Table
    from golden_pii.golden_ledgers import (
        bank_transactions,
        card_transactions,
        gl_lines,
        invoices,
        wire_transfers,
    )
    from golden_pii.golden_records import (
        customers,
        employees,
        kyc_applications,
        support_tickets,
        vendors,
        web_access_log,
    )
    from golden_pii.golden_values import R

TABLES: tuple[Callable[[R], Table], ...] = (
    customers,
    employees,
    vendors,
    bank_transactions,
    card_transactions,
    invoices,
    gl_lines,
    wire_transfers,
    web_access_log,
    kyc_applications,
    support_tickets,
)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_case(table: Table, root: Path) -> None:
    folder = root / f"gen_{table.name}"
    folder.mkdir(exist_ok=True)
    write_csv(folder / "table.csv", table.columns, table.rows)
    labels = [(str(row), column, entity) for row, column, entity in table.labels]
    write_csv(folder / "labels.csv", ("row", "column", "entity"), labels)


def main() -> None:
    rng = random.Random(SEED)
    tables = [make(rng) for make in TABLES]
    counts: Counter[str] = Counter()
    for table in tables:
        write_case(table, HERE)
        counts.update(entity for _, _, entity in table.labels)
    per_entity = " ".join(f"{entity}={counts[entity]}" for entity in ENTITIES)
    print(
        f"{len(tables)} cases, {sum(len(t.rows) for t in tables)} rows, "
        f"{sum(counts.values())} labeled cells: {per_entity}"
    )


if __name__ == "__main__":
    main()
